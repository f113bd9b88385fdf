package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

const secret = "sk_test_5f8a9c0b1d2e3f4a"

// newCaller points a Caller at a test server running h, with fast Options
// adjusted by tune.
func newCaller(t *testing.T, h http.HandlerFunc, tune func(*platform.Options)) (*platform.Caller, *platformtest.Sleeper, *platformtest.Counter) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts, sleeper, counter := platformtest.Options(t)
	if tune != nil {
		tune(&opts)
	}
	c, err := platform.NewCaller(platform.Config{
		Platform: "testplatform",
		BaseURL:  srv.URL + "/api/v2/",
		Secret:   secret,
		Header:   http.Header{"X-Api-Key": {secret}},
		Diagnose: func(f platform.FailedResponse) platform.Diagnosis {
			var body struct{ Code, Message string }
			_ = json.Unmarshal(f.Body, &body)
			return platform.Diagnosis{Code: body.Code, Message: body.Message}
		},
	}, opts)
	if err != nil {
		t.Fatalf("NewCaller: %v", err)
	}
	return c, sleeper, counter
}

// asError requires err to carry a *platform.Error.
func asError(t *testing.T, err error) *platform.Error {
	t.Helper()
	var e *platform.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *platform.Error", err, err)
	}
	return e
}

func TestDoSendsRequestAndDecodes(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodPost:
			t.Errorf("method = %s, want POST", r.Method)
		case r.URL.Path != "/api/v2/things":
			t.Errorf("path = %s, want /api/v2/things", r.URL.Path)
		case r.URL.Query().Get("filter") != "equals(a,'b')":
			t.Errorf("filter = %q", r.URL.Query().Get("filter"))
		case r.Header.Get("X-Api-Key") != secret:
			t.Errorf("x-api-key header missing")
		case r.Header.Get("Content-Type") != "application/json":
			t.Errorf("content-type = %q", r.Header.Get("Content-Type"))
		case r.Header.Get("User-Agent") != platform.DefaultUserAgent:
			t.Errorf("user-agent = %q", r.Header.Get("User-Agent"))
		}
		body, _ := io.ReadAll(r.Body)
		if string(body) != `{"name":"x"}` {
			t.Errorf("body = %s", body)
		}
		io.WriteString(w, `{"id":"42"}`)
	}
	c, _, counter := newCaller(t, h, nil)
	var out struct{ ID string }
	err := c.Do(t.Context(), platform.Request{
		Method: http.MethodPost,
		Path:   "/things",
		Query:  url.Values{"filter": {"equals(a,'b')"}},
		Body:   map[string]string{"name": "x"},
	}, &out)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if out.ID != "42" || counter.Count() != 1 {
		t.Errorf("got id %q after %d requests, want 42 after 1", out.ID, counter.Count())
	}
}

func TestDoRetries(t *testing.T) {
	tests := []struct {
		name         string
		responses    []func(http.ResponseWriter) // the last one repeats
		wantErr      bool
		wantStatus   int
		wantAttempts int
		wantWaits    []time.Duration // nil: not checked
		rejected     bool
		temporary    bool
	}{
		{
			name:         "429 with Retry-After seconds then success",
			responses:    []func(http.ResponseWriter){status(429, "Retry-After", "1"), ok},
			wantAttempts: 2,
			wantWaits:    []time.Duration{time.Second},
		},
		{
			name:         "503 then success",
			responses:    []func(http.ResponseWriter){status(503), ok},
			wantAttempts: 2,
		},
		{
			name:         "500 forever gives up after the attempt bound",
			responses:    []func(http.ResponseWriter){status(500)},
			wantErr:      true,
			wantStatus:   500,
			wantAttempts: 4,
			temporary:    true,
		},
		{
			name:         "401 is rejected without retry",
			responses:    []func(http.ResponseWriter){status(401)},
			wantErr:      true,
			wantStatus:   401,
			wantAttempts: 1,
			rejected:     true,
		},
		{
			name:         "403 is rejected without retry",
			responses:    []func(http.ResponseWriter){status(403)},
			wantErr:      true,
			wantStatus:   403,
			wantAttempts: 1,
			rejected:     true,
		},
		{
			name:         "404 is not retried",
			responses:    []func(http.ResponseWriter){status(404)},
			wantErr:      true,
			wantStatus:   404,
			wantAttempts: 1,
		},
		{
			name:         "Retry-After beyond the total budget gives up at once",
			responses:    []func(http.ResponseWriter){status(429, "Retry-After", "3600")},
			wantErr:      true,
			wantStatus:   429,
			wantAttempts: 1,
			wantWaits:    []time.Duration{},
			temporary:    true,
		},
		{
			name:         "redirect to another host is not followed",
			responses:    []func(http.ResponseWriter){status(302, "Location", "https://evil.example/steal")},
			wantErr:      true,
			wantStatus:   302,
			wantAttempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			h := func(w http.ResponseWriter, r *http.Request) {
				i := min(int(n.Add(1)), len(tt.responses)) - 1
				tt.responses[i](w)
			}
			c, sleeper, counter := newCaller(t, h, nil)
			var out map[string]any
			err := c.Do(t.Context(), platform.Request{Path: "/x"}, &out)
			if counter.Count() != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", counter.Count(), tt.wantAttempts)
			}
			if tt.wantWaits != nil && !equalDurations(sleeper.Waits(), tt.wantWaits) {
				t.Errorf("waits = %v, want %v", sleeper.Waits(), tt.wantWaits)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				return
			}
			e := asError(t, err)
			if e.Status != tt.wantStatus || e.Attempts != tt.wantAttempts {
				t.Errorf("status %d after %d attempts, want %d after %d", e.Status, e.Attempts, tt.wantStatus, tt.wantAttempts)
			}
			if !strings.Contains(err.Error(), "testplatform") || !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", tt.wantStatus)) {
				t.Errorf("error %q should name the platform and status", err)
			}
			if e.Rejected() != tt.rejected || e.Temporary() != tt.temporary {
				t.Errorf("Rejected() = %v, Temporary() = %v, want %v, %v", e.Rejected(), e.Temporary(), tt.rejected, tt.temporary)
			}
		})
	}
}

func TestDoDiagnosisOverrides(t *testing.T) {
	tests := []struct {
		name         string
		diagnosis    platform.Diagnosis
		wantAttempts int
		wantWaits    []time.Duration
	}{
		{"Final stops the retry of a 429", platform.Diagnosis{Final: true}, 1, nil},
		{"RetryAfter sets the wait", platform.Diagnosis{RetryAfter: 7 * time.Millisecond}, 2, []time.Duration{7 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusTooManyRequests)
			}))
			t.Cleanup(srv.Close)
			opts, sleeper, counter := platformtest.Options(t)
			opts.MaxAttempts = 2
			c, err := platform.NewCaller(platform.Config{
				Platform: "testplatform",
				BaseURL:  srv.URL,
				Secret:   secret,
				Diagnose: func(platform.FailedResponse) platform.Diagnosis { return tt.diagnosis },
			}, opts)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Do(t.Context(), platform.Request{}, nil)
			if asError(t, err).Status != 429 {
				t.Errorf("error = %v, want a 429", err)
			}
			if counter.Count() != tt.wantAttempts || !equalDurations(sleeper.Waits(), tt.wantWaits) {
				t.Errorf("attempts %d waits %v, want %d waits %v", counter.Count(), sleeper.Waits(), tt.wantAttempts, tt.wantWaits)
			}
		})
	}
}

func TestDoTimesOutSlowServerAndRetries(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // stall until the client gives up
	}
	c, _, counter := newCaller(t, h, func(o *platform.Options) {
		o.Timeout = 50 * time.Millisecond
		o.MaxAttempts = 3
	})
	err := c.Do(t.Context(), platform.Request{Path: "/slow"}, nil)
	e := asError(t, err)
	if counter.Count() != 3 || e.Attempts != 3 {
		t.Errorf("attempts = %d (error says %d), want 3", counter.Count(), e.Attempts)
	}
	if e.Status != 0 || !e.Temporary() || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want a temporary timeout", err)
	}
	if !strings.Contains(err.Error(), "no response within") {
		t.Errorf("error %q should say it timed out", err)
	}
}

func TestDoStopsWhenContextCancelledDuringBackoff(t *testing.T) {
	failed := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		select {
		case failed <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	opts, _, counter := platformtest.Options(t)
	opts.Sleep = nil // the real timer: this test is about interrupting it
	opts.BackoffBase = time.Hour
	opts.BackoffMax = time.Hour
	opts.MaxElapsed = 3 * time.Hour
	c, err := platform.NewCaller(platform.Config{Platform: "testplatform", BaseURL: srv.URL, Secret: secret}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Do(ctx, platform.Request{}, nil) }()
	<-failed
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if counter.Count() != 1 {
			t.Errorf("attempts = %d, want 1", counter.Count())
		}
	case <-time.After(30 * time.Second): // a guard against hanging for an hour, not a timing assertion
		t.Fatal("Do kept sleeping after its context was cancelled")
	}
}

func TestDoRejectsBadSuccessBodies(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"truncated JSON", `{"id":"4`, "invalid JSON"},
		{"not JSON", `<html>oops</html>`, "invalid JSON"},
		{"empty body", ``, "empty response body"},
		{"wrong type", `{"id":{"nested":true}}`, "invalid JSON"},
		{"body over the size cap", `{"id":"` + strings.Repeat("a", 2048) + `"}`, "exceeds 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tt.body) }
			c, _, counter := newCaller(t, h, func(o *platform.Options) { o.MaxBodyBytes = 1024 })
			var out struct{ ID string }
			err := c.Do(t.Context(), platform.Request{}, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if e := asError(t, err); e.Temporary() || counter.Count() != 1 {
				t.Errorf("temporary = %v after %d attempts, want a permanent error after 1", e.Temporary(), counter.Count())
			}
		})
	}
}

func TestErrorNeverContainsSecret(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"secret echoed in message", 401, `{"message":"invalid key ` + secret + `"}`},
		{"secret echoed in code", 403, `{"code":"` + secret + `","message":"no"}`},
		{"secret as JSON unicode escapes", 400, `{"message":"key \u0073k_test_5f8a9c0b1d2e3f4a refused"}`},
		{"secret split by a control character", 400, "{\"message\":\"sk_test_5f8a9c0b1d2e3f4a\\n\"}"},
		{"secret in a server error", 500, `{"message":"upstream said x-api-key: ` + secret + `"}`},
		{"secret in invalid JSON on success", 200, `{"id": "` + secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}
			c, _, _ := newCaller(t, h, nil)
			var out struct{ ID string }
			err := c.Do(t.Context(), platform.Request{Path: "/x"}, &out)
			if err == nil {
				t.Fatal("Do succeeded, want an error")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(asError(t, err).Message, secret) {
				t.Errorf("error leaks the credential: %q", err)
			}
		})
	}
}

func TestDoRefusesLinksToAnotherOrigin(t *testing.T) {
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
	}))
	t.Cleanup(foreign.Close)
	c, _, counter := newCaller(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }, nil)
	tests := []struct {
		name    string
		link    string
		wantErr error
	}{
		{"another port on the same host", foreign.URL + "/api/v2/x", platform.ErrForeignURL},
		{"another host", "https://evil.example/api/v2/x", platform.ErrForeignURL},
		{"userinfo on the same host", strings.Replace(foreign.URL, "//", "//user@", 1), platform.ErrForeignURL},
		{"relative link stays on the base origin", "/api/v2/next?page=2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Do(t.Context(), platform.Request{URL: tt.link}, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if foreignHits.Load() != 0 || counter.Count() != 1 {
		t.Errorf("foreign server hit %d times, base %d times; want 0 and 1", foreignHits.Load(), counter.Count())
	}
}

func TestDoDoesNotForwardCredentialOnRedirect(t *testing.T) {
	var leaked atomic.Bool
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("X-Api-Key") != "")
	}))
	t.Cleanup(foreign.Close)
	c, _, _ := newCaller(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, foreign.URL+"/collect", http.StatusTemporaryRedirect)
	}, nil)
	err := c.Do(t.Context(), platform.Request{}, nil)
	if e := asError(t, err); e.Status != http.StatusTemporaryRedirect {
		t.Errorf("error = %v, want the 307 reported", err)
	}
	if leaked.Load() {
		t.Error("the credential was sent to the redirect target")
	}
}

func TestNewCallerValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string
		secret  string
	}{
		{"plain http to a remote host", "http://api.example.com", secret},
		{"not a URL", "::", secret},
		{"relative URL", "/api", secret},
		{"ftp scheme", "ftp://api.example.com", secret},
		{"userinfo", "https://u:p@api.example.com", secret},
		{"query", "https://api.example.com/?a=b", secret},
		{"missing credential", "https://api.example.com", ""},
		{"credential with a newline", "https://api.example.com", secret + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := platform.NewCaller(platform.Config{Platform: "p", BaseURL: tt.baseURL, Secret: tt.secret}, platform.Options{})
			if err == nil {
				t.Fatal("NewCaller succeeded, want an error")
			}
			if tt.secret != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.secret)) {
				t.Errorf("error leaks the credential: %q", err)
			}
		})
	}
}

func TestPager(t *testing.T) {
	tests := []struct {
		name    string
		cursors []string
		wantErr error
	}{
		{"distinct cursors within the limit", []string{"", "a", "b"}, nil},
		{"a repeated cursor is a loop", []string{"", "a", "b", "a"}, platform.ErrPageLoop},
		{"an empty cursor after the first page is a loop", []string{"", ""}, platform.ErrPageLoop},
		{"more pages than the limit", []string{"", "a", "b", "c"}, platform.ErrTooManyPages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newCaller(t, func(http.ResponseWriter, *http.Request) {}, func(o *platform.Options) { o.MaxPages = 3 })
			p := c.NewPager()
			var err error
			for _, cur := range tt.cursors {
				if err = p.Next(cur); err != nil {
					break
				}
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestErrorPredicates(t *testing.T) {
	tests := []struct {
		name                 string
		err                  error
		rejected, temporary  bool
		wantInMessageSnippet string
	}{
		{"401", &platform.Error{Platform: "p", Status: 401}, true, false, "HTTP 401"},
		{"403 wrapped", wrap(&platform.Error{Platform: "p", Status: 403}), true, false, "HTTP 403"},
		{"400 marked as a refused key", &platform.Error{Platform: "p", Status: 400, KeyRejected: true}, true, false, "bad request"},
		{"429", &platform.Error{Platform: "p", Status: 429, RetryAfter: 2 * time.Second}, false, true, "retry after 2s"},
		{"502", &platform.Error{Platform: "p", Status: 502}, false, true, "bad gateway"},
		{"network failure", &platform.Error{Platform: "p", Message: "request failed: connection refused"}, false, true, "connection refused"},
		{"404", &platform.Error{Platform: "p", Status: 404}, false, false, "not found"},
		{"not a platform error", errors.New("boom"), false, false, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := platform.IsRejected(tt.err); got != tt.rejected {
				t.Errorf("IsRejected = %v, want %v", got, tt.rejected)
			}
			if got := platform.IsTemporary(tt.err); got != tt.temporary {
				t.Errorf("IsTemporary = %v, want %v", got, tt.temporary)
			}
			if !strings.Contains(tt.err.Error(), tt.wantInMessageSnippet) {
				t.Errorf("Error() = %q, want it to contain %q", tt.err, tt.wantInMessageSnippet)
			}
		})
	}
}

func TestLooseString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"string", `"abc"`, "abc"},
		{"escaped string", `"a\u0062c"`, "abc"},
		{"number", `12.50`, "12.50"},
		{"boolean", `true`, "true"},
		{"null", `null`, ""},
		{"object", `{"a":1}`, ""},
		{"array", `[1,2]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct{ V platform.LooseString }
			if err := json.Unmarshal([]byte(`{"V":`+tt.in+`}`), &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if string(got.V) != tt.want {
				t.Errorf("got %q, want %q", got.V, tt.want)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   time.Time
		wantOK bool
	}{
		{"RFC 3339 with zone", "2026-01-15T10:00:00Z", time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), true},
		{"RFC 3339 with millis", "2019-12-07T16:50:06.678Z", time.Date(2019, 12, 7, 16, 50, 6, 678e6, time.UTC), true},
		{"RFC 3339 with offset", "2026-01-01T00:00:00+00:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"no zone", "2026-01-15T10:00:00", time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), true},
		{"date only", "2026-01-15", time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), true},
		{"unix millis", "1768471200000", time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), true},
		{"bare year is not millis", "2026", time.Time{}, false},
		{"garbage", "next tuesday", time.Time{}, false},
		{"empty", "", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := platform.ParseTime(tt.in)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func ok(w http.ResponseWriter) { io.WriteString(w, `{"ok":true}`) }

// status returns a response writer for code with header pairs set.
func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, `{"code":"E","message":"failed"}`)
	}
}

func wrap(err error) error { return errors.Join(errors.New("sync"), err) }

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestNetworkFailuresDoNotNameAddresses: a failed connection says what kind
// of failure it was, never the resolver or the address dialled (the
// shop owner sees the message).
func TestNetworkFailuresDoNotNameAddresses(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	refusedURL := closed.URL
	closed.Close()
	for _, tt := range []struct {
		name, baseURL, want string
	}{
		{"unknown host", "https://no-such-host.invalid/api/", "no-such-host.invalid could not be resolved"},
		{"nothing listening", refusedURL + "/api/", "connection refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts, _, _ := platformtest.Options(t)
			opts.MaxAttempts = 1
			c, err := platform.NewCaller(platform.Config{Platform: "testplatform", BaseURL: tt.baseURL, Secret: secret}, opts)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Do(t.Context(), platform.Request{Path: "/x"}, nil)
			msg := asError(t, err).Error()
			if !strings.Contains(msg, tt.want) {
				t.Fatalf("error %q, want it to say %q", msg, tt.want)
			}
			for _, leak := range []string{":53", "lookup ", "dial tcp", "127.0.0.1"} {
				if strings.Contains(msg, leak) {
					t.Fatalf("error %q names an address (%q)", msg, leak)
				}
			}
		})
	}
}
