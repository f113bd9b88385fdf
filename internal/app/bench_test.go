package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/config"
)

// BenchmarkStartupToReady measures what `make run` waits for: from nothing
// to /readyz answering 200, on a fresh embedded database, then a clean
// shutdown (not timed).
func BenchmarkStartupToReady(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		cfg, _ := config.Load(func(string) string { return "" })
		cfg.Demo = false
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

// BenchmarkAuthenticatedQuery measures `me` for a signed-in browser, one
// request at a time: the session (from the authentication cache after the
// first request, see OMNIFY_AUTH_CACHE_TTL), then the user and the
// organization through the dataloaders. It reports the median too.
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
	var took []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}

// startForBenchmark serves the app on a fresh database of the package's
// embedded FerretDB until the benchmark ends and returns its /graphql URL.
func startForBenchmark(b *testing.B) string {
	b.Helper()
	cfg, _ := config.Load(func(string) string { return "" })
	cfg.Demo = false
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

// BenchmarkAPIKeyQueryParallel measures `{ serverInfo { version } }` with
// 32 clients at once (b.SetParallelism over the machine's processors):
// anonymously, with a partner's API key served from the authentication
// cache, and with the cache off (OMNIFY_AUTH_CACHE_TTL=0: the key and its
// creator's membership are read on every request). Its ns/op is the
// inverse of the requests per second; the clients run in the same process
// as the server and take their share of the processors.
func BenchmarkAPIKeyQueryParallel(b *testing.B) {
	for _, bc := range []struct {
		name string
		key  bool
		ttl  time.Duration
	}{
		{"anonymous", false, 0},
		{"apikey", true, 5 * time.Second},
		{"apikey-uncached", true, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg, _ := config.Load(func(string) string { return "" })
			cfg.Demo = false
			cfg.AuthCacheTTL = bc.ttl
			url := startConfig(b, cfg)
			auth := ""
			if bc.key {
				auth = "Bearer " + benchmarkAPIKey(b, url)
			}
			parallelQueries(b, url, auth)
		})
	}
}

// parallelQueries posts serverInfo from 32 clients until the benchmark
// ends, with the Authorization header auth unless it is empty.
func parallelQueries(b *testing.B, url, auth string) {
	body := `{"query":"{ serverInfo { version } }"}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// benchmarkAPIKey signs up an owner who accepts the current legal documents
// and returns the secret of a READ key they create.
func benchmarkAPIKey(b *testing.B, url string) string {
	b.Helper()
	post := func(body string, cookie *http.Cookie) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out["errors"] != nil {
			b.Fatalf("%s: %v %v", body, err, out["errors"])
		}
		return resp, out
	}
	_, docs := post(`{"query":"{ legalDocuments { id } }"}`, nil)
	var ids []string
	for _, d := range docs["data"].(map[string]any)["legalDocuments"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	accepted, _ := json.Marshal(ids)
	resp, _ := post(`{"query":"mutation { signUp(input: {email: \"keys@example.com\", password: \"a long password\", name: \"K\", organizationName: \"K\", acceptedLegalDocumentIds: `+
		strings.ReplaceAll(string(accepted), `"`, `\"`)+`}) { viewer { role } } }"}`, nil)
	_, key := post(`{"query":"mutation { createApiKey(input: {name: \"bench\", scope: READ}) { secret } }"}`, resp.Cookies()[0])
	return key["data"].(map[string]any)["createApiKey"].(map[string]any)["secret"].(string)
}
