package httpserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// middleware wraps a handler with one concern.
type middleware func(http.Handler) http.Handler

// chain applies middleware so that the first in the list is the outermost:
// it sees the request first and the response last.
func chain(h http.Handler, mws ...middleware) http.Handler {
	for _, mw := range slices.Backward(mws) {
		h = mw(h)
	}
	return h
}

type requestIDKey struct{}

// RequestID returns the id of the request being served, or "" outside one.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID takes a well-formed X-Request-Id from the caller (so a trace
// can cross services) or makes one, and echoes it on the response.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// requestInfo is filled in by inner layers (the GraphQL operation name) and
// read by the log line written when the request ends.
type requestInfo struct {
	mu            sync.Mutex
	operationName string
}

type requestInfoKey struct{}

func setOperationName(ctx context.Context, name string) {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		ri.mu.Lock()
		if ri.operationName == "" {
			ri.operationName = name
		}
		ri.mu.Unlock()
	}
}

// withAccessLog writes one structured line per request when it ends: method,
// path, GraphQL operation, status, bytes and duration.
func withAccessLog(logger *slog.Logger) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ri := &requestInfo{}
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri)))
			ri.mu.Lock()
			op := ri.operationName
			ri.mu.Unlock()
			level := slog.LevelInfo
			if rec.status() >= 500 {
				level = slog.LevelError
			}
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
				level = slog.LevelDebug
			}
			logger.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", RequestID(r.Context())),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("operation", op),
				slog.Int("status", rec.status()),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)),
			)
		})
	}
}

// withRecovery turns a panic in a handler into a 500 and a log line with the
// stack, so one bad request cannot take the process down.
func withRecovery(logger *slog.Logger) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic serving request",
					slog.String("request_id", RequestID(r.Context())),
					slog.Any("panic", v),
					slog.String("stack", string(debug.Stack())))
				if rec, ok := w.(*statusRecorder); !ok || !rec.wroteHeader {
					writeJSONError(w, http.StatusInternalServerError, "internal server error")
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// withBodyLimit refuses bodies over max bytes with 413. The body is read here,
// within the limit, so the refusal is the same whether or not the client sent
// a Content-Length. The whole body must arrive within timeout: a client that
// trickles it would otherwise hold the connection, and the handler, for as
// long as it likes. A late body gets 408 and the connection is closed.
func withBodyLimit(max int64, timeout time.Duration) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
				next.ServeHTTP(w, r)
				return
			}
			if r.ContentLength > max {
				writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", max))
				return
			}
			rc := http.NewResponseController(w)
			deadline := rc.SetReadDeadline(time.Now().Add(timeout)) == nil
			body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// The deadline stays in the past, so the server reads
				// nothing more from this client before closing.
				w.Header().Set("Connection", "close")
				writeJSONError(w, http.StatusRequestTimeout, fmt.Sprintf("request body did not arrive within %s", timeout))
				return
			}
			if deadline {
				// Later reads (the server noticing a client that hangs up
				// during a long response) must not time out.
				_ = rc.SetReadDeadline(time.Time{})
			}
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, "request body could not be read")
				return
			}
			if int64(len(body)) > max {
				writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", max))
				return
			}
			r.Body = &bufferedBody{Reader: bytes.NewReader(body), data: body}
			next.ServeHTTP(w, r)
		})
	}
}

// bufferedBody is a request body already read into memory, so later
// checks can look at the bytes without reading them again.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

// Close does nothing: the body is in memory.
func (*bufferedBody) Close() error { return nil }

// corsHeaders lists the request headers a browser app may send cross-origin.
const corsHeaders = "Content-Type, Accept, Authorization, X-Request-Id, X-Omnify-Csrf, Apollo-Require-Preflight"

// withCORS lets the configured browser origins call the API with credentials.
// Other origins get no CORS headers, so browsers keep their responses from them.
func withCORS(allowed []string) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Add("Vary", "Origin")
			ok := originAllowed(origin, r.Host, allowed)
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			if ok {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Allow-Credentials", "true")
				w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
			}
			if preflight {
				if !ok {
					writeJSONError(w, http.StatusForbidden, "origin not allowed")
					return
				}
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", corsHeaders)
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// originAllowed reports whether a browser origin may call the API: one of the
// configured origins, or the server's own origin.
func originAllowed(origin, host string, allowed []string) bool {
	origin = strings.ToLower(strings.TrimRight(origin, "/"))
	if slices.Contains(allowed, origin) {
		return true
	}
	if i := strings.Index(origin, "://"); i >= 0 {
		return strings.EqualFold(origin[i+3:], host)
	}
	return false
}

// statusRecorder remembers the status and size of a response. It passes
// Flush (server-sent events) and Hijack (WebSockets) through to the writer it
// wraps.
type statusRecorder struct {
	http.ResponseWriter
	code        int
	bytes       int64
	wroteHeader bool
	hijacked    bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.code = code
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) status() int {
	switch {
	case r.hijacked:
		return http.StatusSwitchingProtocols
	case r.code == 0:
		return http.StatusOK
	}
	return r.code
}

// Flush sends buffered data to the client.
func (r *statusRecorder) Flush() {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Hijack hands the connection over, for WebSockets.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
		r.wroteHeader = true
	}
	return c, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// writeJSONError writes a GraphQL-shaped error body with a status.
func writeJSONError(w http.ResponseWriter, status int, message string) {
	writeCodedError(w, status, "", message)
}

// writeCodedError writes a GraphQL-shaped error body with a status and,
// when code is set, extensions.code.
func writeCodedError(w http.ResponseWriter, status int, code, message string) {
	e := map[string]any{"message": message}
	if code != "" {
		e["extensions"] = map[string]any{"code": code}
	}
	body, _ := json.Marshal(map[string]any{"errors": []map[string]any{e}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// withDeadline ends a request's context after timeout, so a request waiting
// on a stuck dependency fails instead of hanging. WebSockets and event
// streams live longer by design and are left alone: they re-check their
// authority and are closed at shutdown.
func withDeadline(timeout time.Duration) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isStream(r) {
				next.ServeHTTP(w, r)
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// isStream reports whether r asks for a WebSocket or an event stream.
func isStream(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") ||
		strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}
