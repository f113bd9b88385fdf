package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

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
