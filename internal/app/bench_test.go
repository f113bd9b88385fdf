package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

// BenchmarkStartupToReady measures what `make run` waits for: from nothing
// to /readyz answering 200, on a fresh embedded database, then a clean
// shutdown (not timed).
func BenchmarkStartupToReady(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		cfg, _ := config.Load(func(string) string { return "" })
		cfg.HTTPAddr = "127.0.0.1:0"
		cfg.DataDir = b.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		b.StartTimer()

		a, err := app.New(ctx, cfg, app.Options{Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx) }()
		resp, err := http.Get("http://" + a.Addr().String() + "/readyz")
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("readyz: %v %v", err, resp)
		}
		resp.Body.Close()

		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkQuery measures one small query through the whole HTTP stack.
func BenchmarkQuery(b *testing.B) {
	url := startForBenchmark(b)
	body := `{"query":"{ serverInfo { version startedAt } }"}`
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkAuthenticatedQuery measures `me` for a signed-in browser: the
// session and membership lookups on every request, then the user and the
// organization through the dataloaders.
func BenchmarkAuthenticatedQuery(b *testing.B) {
	url := startForBenchmark(b)
	resp, err := http.Post(url, "application/json", strings.NewReader(
		`{"query":"mutation { signUp(input: {email: \"bench@example.com\", password: \"a long password\", name: \"B\", organizationName: \"B\"}) { viewer { role } } }"}`))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	cookie := resp.Cookies()[0]
	body := `{"query":"{ me { user { email } organization { name } role } }"}`
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// startForBenchmark serves the app on a fresh database of the package's
// embedded FerretDB until the benchmark ends and returns its /graphql URL.
func startForBenchmark(b *testing.B) string {
	b.Helper()
	cfg, _ := config.Load(func(string) string { return "" })
	return startConfig(b, cfg)
}

// startConfig is startForBenchmark with a configuration of the caller's.
func startConfig(b *testing.B, cfg config.Config) string {
	b.Helper()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.MongoURI = dbs.URI()
	cfg.MongoDatabase = dbs.DatabaseName(b)
	cfg.DataDir = b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	url := "http://" + a.Addr().String() + "/graphql"
	return url
}

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
