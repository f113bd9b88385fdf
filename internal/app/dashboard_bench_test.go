package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

// BenchmarkDashboard measures the dashboard's query (dashboardQuery, the
// last 30 days) for a signed-in browser, over an organization that synced
// Triple Whale, HubSpot and Klaviyo (90 days of figures), with the
// process's cache and without it (OMNIFY_CACHE_MAX_BYTES=0), one client
// at a time and from 32 at once.
func BenchmarkDashboard(b *testing.B) {
	for _, bc := range []struct {
		name  string
		bytes int64
	}{{"cache", 64 << 20}, {"nocache", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			fake := platformtest.Start(b, platformtest.Config{HubSpotPageSize: 100, KlaviyoReportLimits: testReportLimits()})
			fake.AddAccount(platformtest.AccountConfig{
				Name: "acme", Keys: platformtest.Keys{TripleWhale: twGoodKey, HubSpot: hsGoodKey, Klaviyo: klGoodKey},
				ShopDomain: shop, OrganizationName: "Acme Store", Daily: twDay,
			})
			env := apptest.Start(b, dbs, configurePlatforms(fake), func(c *config.Config) { c.CacheMaxBytes = bc.bytes })
			alice := signUp(b, env, "bench@example.com", "Acme")
			syncEverything(b, alice.c)
			body, _ := json.Marshal(map[string]any{"query": dashboardQuery, "variables": dashboardVars()})
			post := func(c *http.Client) {
				req, _ := http.NewRequest("POST", env.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			post(alice.c.HTTP()) // warm-up
			// What every signed-in request costs (the session and the legal
			// gate), for comparison.
			b.Run("sessiononly", func(b *testing.B) {
				for b.Loop() {
					req, _ := http.NewRequest("POST", env.URL+"/graphql", strings.NewReader(`{"query":"{ serverInfo { version } }"}`))
					req.Header.Set("Content-Type", "application/json")
					resp, err := alice.c.HTTP().Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.Run("1client", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					post(alice.c.HTTP())
				}
			})
			b.Run("32clients", func(b *testing.B) {
				b.SetParallelism(32 / max(1, runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						post(alice.c.HTTP())
					}
				})
			})
		})
	}
}
