// Package apptest starts the whole application for a test: the real HTTP
// server on a loopback port, on a fresh database of the package's embedded
// FerretDB, and offers a small GraphQL client for it.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/httpserver"
	"github.com/omnify/bff/internal/mongodb"
	"github.com/omnify/bff/internal/mongodb/mongotest"
)

// Env is a running application.
type Env struct {
	// URL is the server's base URL, for example http://127.0.0.1:41234.
	URL string
	// Config is the configuration the server runs with.
	Config config.Config
	// Commands counts the database commands the server sends while serving
	// requests (background work is not counted).
	Commands *mongodb.CommandCounter
	// Logs holds everything the server logged.
	Logs *SyncBuffer

	cancel context.CancelFunc
	done   chan error
}

// Start runs the application until the test ends. Options adjust the
// configuration before start.
func Start(t testing.TB, dbs *mongotest.Server, opts ...func(*config.Config)) *Env {
	t.Helper()
	return StartWith(t, dbs, app.Options{}, opts...)
}

// StartWith is Start with options for the application besides its
// configuration; their Version, Logger and MongoMonitor are the test's.
func StartWith(t testing.TB, dbs *mongotest.Server, o app.Options, opts ...func(*config.Config)) *Env {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatalf("default config: %v", err)
	}
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.MongoURI = dbs.URI()
	cfg.MongoDatabase = dbs.DatabaseName(t)
	cfg.DataDir = t.TempDir()
	cfg.ShutdownTimeout = 10 * time.Second
	// No demo organization unless the test asks for one.
	cfg.Demo = false
	for _, o := range opts {
		o(&cfg)
	}
	logs := &SyncBuffer{}
	counter := mongodb.NewCommandCounter(cfg.MongoDatabase)
	// Count what requests cost, not what the workers do meanwhile.
	counter.Only(func(ctx context.Context) bool { return httpserver.RequestID(ctx) != "" })
	ctx, cancel := context.WithCancel(context.Background())
	o.Version = "test"
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.MongoMonitor = counter
	a, err := app.New(ctx, cfg, o)
	if err != nil {
		cancel()
		t.Fatalf("start app: %v", err)
	}
	e := &Env{URL: "http://" + a.Addr().String(), Config: cfg, Commands: counter, Logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { e.done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return e
}

// Stop shuts the server down and returns what Serve returned. It is safe to
// call more than once.
func (e *Env) Stop() error {
	e.cancel()
	select {
	case err, ok := <-e.done:
		if ok {
			close(e.done)
		}
		return err
	case <-time.After(30 * time.Second):
		return context.DeadlineExceeded
	}
}

// Database connects to the server's database directly, for assertions on
// what was (or was not) written.
func (e *Env) Database(t testing.TB) *mongo.Database {
	t.Helper()
	if e.Config.MongoURI == "" {
		t.Fatal("Database needs a server URI; this app runs its own embedded database")
	}
	db, err := mongodb.Open(context.Background(), mongodb.Options{URI: e.Config.MongoURI, Database: e.Config.MongoDatabase})
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	return db.Database
}

// Response is a GraphQL response.
type Response struct {
	// Data is the data member, raw.
	Data json.RawMessage `json:"data"`
	// Errors is the errors member.
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	// Status is the HTTP status of the response.
	Status int `json:"-"`
}

// Code returns the extensions.code of the first error, or "".
func (r Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Client sends GraphQL requests with a cookie jar and optional headers.
type Client struct {
	env    *Env
	http   *http.Client
	Header http.Header // headers sent with every request
}

// Client returns a new client with an empty cookie jar.
func (e *Env) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{env: e, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}, Header: http.Header{}}
}

// Do posts an operation and decodes the response; it fails the test on a
// transport error or a body that is not JSON.
func (c *Client) Do(t testing.TB, query string, variables map[string]any) Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	req, _ := http.NewRequest(http.MethodPost, c.env.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out Response
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", resp.StatusCode, raw)
	}
	out.Status = resp.StatusCode
	return out
}

// MustData runs an operation, fails the test on any GraphQL error, and
// decodes data into dst.
func (c *Client) MustData(t testing.TB, query string, variables map[string]any, dst any) {
	t.Helper()
	r := c.Do(t, query, variables)
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if dst != nil {
		if err := json.Unmarshal(r.Data, dst); err != nil {
			t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
}

// HTTP returns the client's underlying HTTP client (with its cookie jar).
func (c *Client) HTTP() *http.Client { return c.http }

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Contains reports whether the log contains s.
func (b *SyncBuffer) Contains(s string) bool { return strings.Contains(b.String(), s) }
