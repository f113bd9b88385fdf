package triplewhale_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
	"github.com/omnify/bff/internal/integrations/triplewhale"
)

const apiKey = "tw_live_0123456789abcdef"

// server runs h behind the /api/v2 prefix of the real base URL and returns a
// Client for it, the request counter and the sleeper.
func server(t *testing.T, h http.HandlerFunc) (*triplewhale.Client, *platformtest.Counter, *platformtest.Sleeper) {
	t.Helper()
	srv := httptest.NewServer(http.StripPrefix("/api/v2", h))
	t.Cleanup(srv.Close)
	opts, sleeper, counter := platformtest.Options(t)
	c, err := triplewhale.New(srv.URL+"/api/v2", apiKey, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, counter, sleeper
}

// checkAuth reports a request that lacks the documented key header.
func checkAuth(t *testing.T, r *http.Request) {
	t.Helper()
	if got := r.Header.Get("x-api-key"); got != apiKey {
		t.Errorf("x-api-key = %q, want the key", got)
	}
}

func twError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"success": false, "message": msg})
}

func TestCheckKey(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		wantRejected bool
		wantErr      bool
	}{
		{"valid key", http.StatusOK, false, false},
		{"unknown key is rejected", http.StatusUnauthorized, true, true},
		{"key without scope is rejected", http.StatusForbidden, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				checkAuth(t, r)
				if r.Method != http.MethodGet || r.URL.Path != "/users/api-keys/me" {
					t.Errorf("request = %s %s, want GET /users/api-keys/me", r.Method, r.URL.Path)
				}
				if tt.status != http.StatusOK {
					twError(w, tt.status, "Invalid API key "+apiKey)
					return
				}
				io.WriteString(w, `{"id":"k1","scopes":["summary-page:read"]}`)
			})
			err := c.CheckKey(t.Context())
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckKey error = %v, want error %v", err, tt.wantErr)
			}
			if platform.IsRejected(err) != tt.wantRejected {
				t.Errorf("IsRejected = %v, want %v (%v)", platform.IsRejected(err), tt.wantRejected, err)
			}
			if counter.Count() != 1 {
				t.Errorf("requests = %d, want 1 (no retry)", counter.Count())
			}
			if err != nil && (strings.Contains(err.Error(), apiKey) || !strings.Contains(err.Error(), "Invalid API key")) {
				t.Errorf("error %q should keep the reason and drop the key", err)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	const body = `{"metrics":[
		{"id":"sales","title":"Order Revenue","values":{"current":12345.67,"previous":100}},
		{"id":"blendedAds","values":{"current":"2500.5","previous":"1.0"}},
		{"id":"roas","values":{"current":"4.94"}},
		{"id":"shopifyOrders","values":{"current":88}},
		{"id":"shopifyAov","values":{"current":140.29}},
		{"id":"totalNetProfit","values":{"current":-12.5}},
		{"id":"someOtherMetric","values":[1,2,3]},
		{"id":42,"values":"weird"}
	]}`
	c, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		checkAuth(t, r)
		if r.Method != http.MethodPost || r.URL.Path != "/summary-page/get-data" {
			t.Errorf("request = %s %s", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content-type = %q", ct)
		}
		var got map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("request body: %v", err)
		}
		want := map[string]any{
			"shopDomain": "acme.myshopify.com",
			"period":     map[string]any{"start": "2026-01-05", "end": "2026-01-05"},
			"todayHour":  float64(25),
		}
		if !jsonEqual(got, want) {
			t.Errorf("request body = %v, want %v", got, want)
		}
		io.WriteString(w, body)
	})
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	got, err := c.Summary(t.Context(), "acme.myshopify.com", day, day)
	if err != nil {
		t.Fatalf("Summary: %v", err)
	}
	want := triplewhale.Summary{
		Revenue: 12345.67, AdSpend: 2500.5, ROAS: 4.94, Orders: 88,
		AverageOrderValue: 140.29, NetProfit: -12.5,
	}
	if !summaryEqual(got, want) {
		t.Errorf("Summary = %+v, want %+v", got, want)
	}
}

func TestSummaryValues(t *testing.T) {
	tests := []struct {
		name        string
		metrics     string
		wantRevenue float64
		wantOrders  float64
		wantMissing []string
		wantErr     bool
	}{
		{"number", `{"id":"sales","values":{"current":1.09}}`, 1.09, 0, []string{"orders"}, false},
		{"numeric string", `{"id":"sales","values":{"current":"1.09"}}`, 1.09, 0, []string{"orders"}, false},
		{"numeric string with spaces", `{"id":"sales","values":{"current":" 2 "}}`, 2, 0, []string{"orders"}, false},
		{"null current is missing", `{"id":"sales","values":{"current":null}}`, 0, 0, []string{"sales", "orders"}, false},
		{"no values is missing", `{"id":"sales"}`, 0, 0, []string{"sales", "orders"}, false},
		{"placeholder string is missing", `{"id":"sales","values":{"current":"N/A"}}`, 0, 0, []string{"sales", "orders"}, false},
		{"orders preferred over shopifyOrders", `{"id":"orders","values":{"current":5}},{"id":"shopifyOrders","values":{"current":7}}`, 0, 5, []string{"sales"}, false},
		{"shopifyOrders when orders is absent", `{"id":"shopifyOrders","values":{"current":"7"}}`, 0, 7, []string{"sales"}, false},
		{"shopifyOrders when orders is null", `{"id":"orders","values":{"current":null}},{"id":"shopifyOrders","values":{"current":7}}`, 0, 7, []string{"sales"}, false},
		{"first of duplicate ids wins", `{"id":"sales","values":{"current":1}},{"id":"sales","values":{"current":2}}`, 1, 0, []string{"orders"}, false},
		{"boolean current is an error", `{"id":"sales","values":{"current":true}}`, 0, 0, nil, true},
		{"values as an array is an error", `{"id":"sales","values":[1]}`, 0, 0, nil, true},
	}
	others := `{"id":"blendedAds","values":{"current":1}},{"id":"roas","values":{"current":1}},` +
		`{"id":"shopifyAov","values":{"current":1}},{"id":"totalNetProfit","values":{"current":1}}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"metrics":[`+others+`,`+tt.metrics+`]}`)
			})
			day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
			got, err := c.Summary(t.Context(), "acme.myshopify.com", day, day)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Summary = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Summary: %v", err)
			}
			if got.Revenue != tt.wantRevenue || got.Orders != tt.wantOrders {
				t.Errorf("revenue %v orders %v, want %v and %v", got.Revenue, got.Orders, tt.wantRevenue, tt.wantOrders)
			}
			if !slices.Equal(got.Missing, tt.wantMissing) {
				t.Errorf("Missing = %v, want %v", got.Missing, tt.wantMissing)
			}
		})
	}
}

func TestSummaryFailures(t *testing.T) {
	tests := []struct {
		name         string
		handler      func(n int64, w http.ResponseWriter)
		wantErr      bool
		wantStatus   int
		wantAttempts int
		wantWaits    []time.Duration
	}{
		{
			name: "429 with Retry-After then success",
			handler: func(n int64, w http.ResponseWriter) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					twError(w, http.StatusTooManyRequests, "Too many requests")
					return
				}
				io.WriteString(w, `{"metrics":[]}`)
			},
			wantAttempts: 2,
			wantWaits:    []time.Duration{time.Second},
		},
		{
			name:         "500 forever gives up after four attempts",
			handler:      func(_ int64, w http.ResponseWriter) { twError(w, 500, "internal error") },
			wantErr:      true,
			wantStatus:   500,
			wantAttempts: 4,
		},
		{
			name:         "truncated JSON",
			handler:      func(_ int64, w http.ResponseWriter) { io.WriteString(w, `{"metrics":[{"id":"sales","values":{"curr`) },
			wantErr:      true,
			wantStatus:   200,
			wantAttempts: 1,
		},
		{
			name:         "key echoed in the error body",
			handler:      func(_ int64, w http.ResponseWriter) { twError(w, 400, "bad request for key "+apiKey) },
			wantErr:      true,
			wantStatus:   400,
			wantAttempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			c, counter, sleeper := server(t, func(w http.ResponseWriter, r *http.Request) { tt.handler(n.Add(1), w) })
			day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
			_, err := c.Summary(t.Context(), "acme.myshopify.com", day, day)
			if counter.Count() != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", counter.Count(), tt.wantAttempts)
			}
			if tt.wantWaits != nil && !slices.Equal(sleeper.Waits(), tt.wantWaits) {
				t.Errorf("waits = %v, want %v", sleeper.Waits(), tt.wantWaits)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Summary: %v", err)
				}
				return
			}
			var e *platform.Error
			if !errors.As(err, &e) || e.Status != tt.wantStatus {
				t.Fatalf("error = %v, want a platform error with status %d", err, tt.wantStatus)
			}
			if strings.Contains(err.Error(), apiKey) {
				t.Errorf("error leaks the key: %q", err)
			}
		})
	}
}

func TestSummaryValidatesInput(t *testing.T) {
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		shop       string
		start, end time.Time
	}{
		{"empty shop domain", " ", day, day},
		{"end before start", "acme.myshopify.com", day, day.AddDate(0, 0, -1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, counter, _ := server(t, func(http.ResponseWriter, *http.Request) {})
			if _, err := c.Summary(t.Context(), tt.shop, tt.start, tt.end); err == nil {
				t.Error("Summary succeeded, want an error")
			}
			if counter.Count() != 0 {
				t.Errorf("requests = %d, want none", counter.Count())
			}
		})
	}
}

func TestSummaryHonoursCancelledContext(t *testing.T) {
	c, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"metrics":[]}`) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	if _, err := c.Summary(ctx, "acme.myshopify.com", day, day); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

// FuzzSummaryResponse feeds arbitrary bytes to Summary as a 200 body: it may
// fail, but must not panic, leak the key, or return a non-finite value.
func FuzzSummaryResponse(f *testing.F) {
	f.Add([]byte(`{"metrics":[{"id":"sales","values":{"current":"1.09"}}]}`))
	f.Add([]byte(`{"metrics":[{"id":"orders","values":{"current":1e400}},{"id":"roas","values":{"current":"NaN"}}]}`))
	f.Add([]byte(`{"metrics":[{"id":"sales","values":null},{"id":null}]}`))
	f.Add([]byte(`{"metrics":{"id":"sales"}}`))
	f.Add([]byte(`{"metrics":[{"id":"sales","values":{"current":"` + apiKey + `"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		opts := platform.Options{
			MaxAttempts: 1,
			HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{
					StatusCode: http.StatusOK,
					Header:     http.Header{"Content-Type": {"application/json"}},
					Body:       io.NopCloser(strings.NewReader(string(body))),
					Request:    r,
				}, nil
			})},
		}
		c, err := triplewhale.New("https://api.triplewhale.test/api/v2", apiKey, opts)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		s, err := c.Summary(t.Context(), "acme.myshopify.com", day, day)
		if err != nil {
			if strings.Contains(err.Error(), apiKey) {
				t.Fatalf("error leaks the key: %q", err)
			}
			return
		}
		for _, v := range []float64{s.Revenue, s.AdSpend, s.ROAS, s.Orders, s.AverageOrderValue, s.NetProfit} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite value in %+v", s)
			}
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func summaryEqual(a, b triplewhale.Summary) bool {
	return a.Revenue == b.Revenue && a.AdSpend == b.AdSpend && a.ROAS == b.ROAS &&
		a.Orders == b.Orders && a.AverageOrderValue == b.AverageOrderValue &&
		a.NetProfit == b.NetProfit && slices.Equal(a.Missing, b.Missing)
}
