package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/omnify/bff/internal/apperr"
)

type logBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}

func TestErrorPresenter(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantMessage string
		wantExt     map[string]any
		wantLogged  bool
	}{
		{
			name:        "domain error keeps its message and code",
			err:         apperr.New(apperr.NotFound, "no such agent"),
			wantMessage: "no such agent",
			wantExt:     map[string]any{"code": "NOT_FOUND"},
		},
		{
			name:        "input error names its field",
			err:         fmt.Errorf("signup: %w", apperr.Invalid("email", "not an email address")),
			wantMessage: "not an email address",
			wantExt:     map[string]any{"code": "BAD_USER_INPUT", "field": "email"},
		},
		{
			name:        "extensions travel with the code",
			err:         apperr.New(apperr.RateLimited, "too many attempts").With("retryAfterSeconds", 60),
			wantMessage: "too many attempts",
			wantExt:     map[string]any{"code": "RATE_LIMITED", "retryAfterSeconds": 60},
		},
		{
			name:        "unexpected error is hidden and logged",
			err:         errors.New("mongo: connection refused to 10.0.0.7:27017"),
			wantMessage: "internal server error",
			wantExt:     map[string]any{"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1"},
			wantLogged:  true,
		},
		{
			name:        "internal domain error is hidden too",
			err:         &apperr.Error{Code: apperr.Internal, Message: "secret detail"},
			wantMessage: "internal server error",
			wantExt:     map[string]any{"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1"},
			wantLogged:  true,
		},
		{
			name:        "a variable that does not fit its type is bad input",
			err:         &gqlerror.Error{Message: "SUPER is not a valid Role", Path: ast.Path{ast.PathName("variable"), ast.PathName("role")}, Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}},
			wantMessage: "SUPER is not a valid Role",
			wantExt:     map[string]any{"code": "BAD_USER_INPUT", "field": "role"},
		},
		{
			name:        "gqlgen's own error passes through",
			err:         &gqlerror.Error{Message: "operation is too deep", Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"}},
			wantMessage: "operation is too deep",
			wantExt:     map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logBuffer{}
			present := errorPresenter(slog.New(slog.NewTextHandler(logs, nil)))
			ctx := context.WithValue(context.Background(), requestIDKey{}, "req-1")
			got := present(ctx, tt.err)
			if got.Message != tt.wantMessage {
				t.Errorf("message = %q, want %q", got.Message, tt.wantMessage)
			}
			if fmt.Sprint(got.Extensions) != fmt.Sprint(tt.wantExt) {
				t.Errorf("extensions = %v, want %v", got.Extensions, tt.wantExt)
			}
			logged := strings.Count(logs.String(), "internal error")
			if tt.wantLogged && (logged != 1 || !strings.Contains(logs.String(), "request_id=req-1")) {
				t.Errorf("want one log line with the request id, got %q", logs.String())
			}
			if !tt.wantLogged && logged != 0 {
				t.Errorf("logged %q", logs.String())
			}
		})
	}
}

func TestRecoveredPanicIsLoggedOnce(t *testing.T) {
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	err := recoverFunc(logger)(context.Background(), "boom")
	got := errorPresenter(logger)(context.Background(), err)
	if got.Message != "internal server error" || got.Extensions["code"] != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("presented %+v", got)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !strings.Contains(logs.String(), "stack=") {
		t.Fatalf("want one error line with the stack, got %d:\n%s", n, logs.String())
	}
}

func TestProtocolConnCheck(t *testing.T) {
	type step struct {
		in       string
		ack      bool // the server acknowledged before this message
		wantCode int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "init, ack, subscribe, complete, subscribe again", steps: []step{
			{in: `{"type":"connection_init"}`},
			{in: `{"type":"subscribe","id":"a","payload":{"query":"{x}"}}`, ack: true},
			{in: `{"type":"complete","id":"a"}`},
			{in: `{"type":"subscribe","id":"a","payload":{"query":"{x}"}}`},
		}},
		{name: "duplicate active id", steps: []step{
			{in: `{"type":"connection_init","payload":null}`},
			{in: `{"type":"subscribe","id":"a","payload":{"query":"{x}"}}`, ack: true},
			{in: `{"type":"subscribe","id":"a","payload":{"query":"{x}"}}`, wantCode: 4409},
		}},
		{name: "subscribe without payload", steps: []step{
			{in: `{"type":"connection_init"}`},
			{in: `{"type":"subscribe","id":"a"}`, ack: true, wantCode: 4400},
		}},
		{name: "pings are always fine", steps: []step{
			{in: `{"type":"ping"}`},
			{in: `{"type":"pong"}`},
		}},
		{name: "a JSON array", steps: []step{{in: `[1]`, wantCode: 4400}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &protocolConn{wsProtocol: wsProtocol{transportWS: true, active: map[string]struct{}{}}}
			for i, s := range tt.steps {
				if s.ack {
					c.acked = true
				}
				if v := c.check([]byte(s.in)); v.code != s.wantCode {
					t.Fatalf("step %d %s: code %d, want %d", i, s.in, v.code, s.wantCode)
				}
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	failing := errors.New("dial tcp: connection refused")
	tests := []struct {
		name       string
		checks     map[string]Check
		drain      bool
		wantStatus int
		wantBody   string
	}{
		{name: "all up", checks: map[string]Check{"database": func(context.Context) error { return nil }}, wantStatus: 200, wantBody: `"database":"ok"`},
		{name: "database down", checks: map[string]Check{"database": func(context.Context) error { return failing }}, wantStatus: 503, wantBody: `"database":"down"`},
		{name: "draining", checks: map[string]Check{"database": func(context.Context) error { return nil }}, drain: true, wantStatus: 503, wantBody: "shutting down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Checks: tt.checks})
			if tt.drain {
				s.Drain()
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("got %d %s", rec.Code, rec.Body.String())
			}
			if strings.Contains(rec.Body.String(), "refused") {
				t.Fatalf("readiness leaks the error: %s", rec.Body.String())
			}
			// Health stays green while the process serves.
			rec = httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != 200 {
				t.Fatalf("healthz %d", rec.Code)
			}
		})
	}
}

func TestWorkerRoleServesOnlyHealthAndMetrics(t *testing.T) {
	s := New(Options{})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/graphql": 404, "/playground": 404} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
}

func TestPanickingHandlerGets500(t *testing.T) {
	logs := &logBuffer{}
	h := chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
		withRecovery(slog.New(slog.NewTextHandler(logs, nil))), withRequestID)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != 500 || !strings.Contains(logs.String(), "panic serving request") {
		t.Fatalf("got %d, logs %s", rec.Code, logs.String())
	}
}

func TestOperationNameLabelsAreBounded(t *testing.T) {
	b := &boundedNames{max: 2, maxLen: 3, seen: map[string]struct{}{}}
	got := []string{b.label("A"), b.label("BBB"), b.label("C"), b.label("A"), b.label(""), b.label("DDDD")}
	want := []string{"A", "BBB", "other", "A", "anonymous", "other"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("labels %v, want %v", got, want)
	}
}

func TestClientIP(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies configured: the peer", "203.0.113.7:5555", []string{"1.2.3.4"}, nil, "203.0.113.7"},
		{"untrusted peer's header is ignored", "203.0.113.7:5555", []string{"1.2.3.4"}, lb, "203.0.113.7"},
		{"trusted proxy: the address it saw", "10.0.0.2:80", []string{"198.51.100.9"}, lb, "198.51.100.9"},
		{"spoofed entries left of the real one are ignored", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.9"}, lb, "198.51.100.9"},
		{"a chain of trusted proxies", "10.0.0.2:80", []string{"198.51.100.9, 10.1.1.1", "10.2.2.2"}, lb, "198.51.100.9"},
		{"malformed entry stops the walk", "10.0.0.2:80", []string{"garbage, 10.1.1.1"}, lb, "10.1.1.1"},
		{"no header behind a proxy: the proxy", "10.0.0.2:80", nil, lb, "10.0.0.2"},
		{"IPv6 peer", "[fd00::1]:443", []string{"2001:db8::5"}, lb, "2001:db8::5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tt.trusted); got != tt.want {
				t.Fatalf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRefusalStatus(t *testing.T) {
	withCode := func(code string) gqlerror.List {
		return gqlerror.List{{Message: "refused", Extensions: map[string]any{"code": code}}}
	}
	tests := []struct {
		errs gqlerror.List
		want int
	}{
		{withCode("GRAPHQL_PARSE_FAILED"), http.StatusBadRequest},
		{withCode("GRAPHQL_VALIDATION_FAILED"), http.StatusBadRequest},
		{withCode("BAD_USER_INPUT"), http.StatusBadRequest},
		{withCode(codeComplexityLimit), http.StatusBadRequest},
		{withCode("PERSISTED_QUERY_NOT_FOUND"), http.StatusBadRequest},
		{withCode("UNAUTHENTICATED"), http.StatusUnauthorized},
		{withCode("FORBIDDEN"), http.StatusForbidden},
		{withCode("LEGAL_ACCEPTANCE_REQUIRED"), http.StatusForbidden},
		{withCode("RATE_LIMITED"), http.StatusTooManyRequests},
		{withCode("INTERNAL_SERVER_ERROR"), http.StatusInternalServerError},
		{gqlerror.List{{Message: "no code"}}, http.StatusBadRequest},
		{nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		if got := refusalStatus(tt.errs); got != tt.want {
			t.Errorf("%v: status %d, want %d", tt.errs, got, tt.want)
		}
	}
}
