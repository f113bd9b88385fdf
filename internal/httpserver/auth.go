package httpserver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/authz"
)

// Authenticator turns credentials into a principal. auth.Service implements it.
type Authenticator interface {
	// AuthenticateSession checks a session cookie's value.
	AuthenticateSession(ctx context.Context, token string) (*authz.Principal, error)
	// AuthenticateAPIKey checks a bearer secret.
	AuthenticateAPIKey(ctx context.Context, secret string) (*authz.Principal, error)
	// Recheck answers what an earlier principal may do now:
	// UNAUTHENTICATED once nothing.
	Recheck(ctx context.Context, p *authz.Principal) (*authz.Principal, error)
	// Watch calls recheck at once whenever this process changes something
	// that may reduce current()'s authority; stop ends the watch.
	Watch(current func() *authz.Principal, recheck func(context.Context)) (stop func())
}

// sessionCookieName is the cookie that carries the session token. In
// production the __Host- prefix makes browsers insist on Secure, Path=/ and
// no Domain, so no sibling subdomain can plant or read it.
func (s *Server) sessionCookieName() string {
	if s.secureCookies {
		return "__Host-omnify_session"
	}
	return "omnify_session"
}

// cookieJar sets and clears the session cookie on one HTTP response.
type cookieJar struct {
	w      http.ResponseWriter
	name   string
	secure bool
}

func (c cookieJar) Set(token string, expires time.Time) {
	http.SetCookie(c.w, &http.Cookie{
		Name: c.name, Value: token, Path: "/", Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (c cookieJar) Clear() {
	http.SetCookie(c.w, &http.Cookie{
		Name: c.name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

type authFailureKey struct{}

// authenticate puts the caller into the request's context: a bearer API
// key, else a session cookie, else nobody. A bad bearer key is refused with
// 401 at once; a bad cookie is cleared and the request goes on anonymous.
// Cookie-authenticated requests that a browser could send cross-site
// without a preflight must carry a CSRF header, or get 403.
//
// WebSocket upgrades are never refused here: the failure is noted and the
// connection closed with 4403 during connection_init, as the protocol
// expects.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	ctx := auth.WithClient(r.Context(), auth.Client{IP: clientIP(r, s.trustedProxies), UserAgent: r.UserAgent()})
	upgrade := r.Header.Get("Upgrade") != ""
	jar := cookieJar{w: w, name: s.sessionCookieName(), secure: s.secureCookies}
	if !upgrade {
		ctx = auth.WithSessionCookie(ctx, jar)
	}
	if s.authn == nil {
		return r.WithContext(ctx), true
	}

	if header := r.Header.Get("Authorization"); header != "" {
		p, err := s.bearer(ctx, header)
		if err != nil {
			if upgrade {
				return r.WithContext(context.WithValue(ctx, authFailureKey{}, err)), true
			}
			s.refuse(w, r, err)
			return nil, false
		}
		return r.WithContext(authz.WithPrincipal(ctx, p)), true
	}

	c, err := r.Cookie(jar.name)
	if err != nil || c.Value == "" {
		return r.WithContext(ctx), true
	}
	p, err := s.authn.AuthenticateSession(ctx, c.Value)
	if err != nil {
		if apperr.CodeOf(err) != apperr.Unauthenticated {
			s.refuse(w, r, err)
			return nil, false
		}
		if !upgrade {
			jar.Clear()
		}
		return r.WithContext(ctx), true
	}
	if !upgrade && csrfRisk(r) {
		writeCodedError(w, http.StatusForbidden, "FORBIDDEN",
			"Requests authenticated by the session cookie must send the X-Omnify-Csrf header (any value) unless they are JSON POSTs.")
		return nil, false
	}
	return r.WithContext(authz.WithPrincipal(ctx, p)), true
}

func (s *Server) bearer(ctx context.Context, header string) (*authz.Principal, error) {
	secret, ok := auth.ParseBearer(header)
	if !ok {
		return nil, apperr.New(apperr.Unauthenticated, "The Authorization header must be \"Bearer <API key>\".")
	}
	return s.authn.AuthenticateAPIKey(ctx, secret)
}

// refuse answers a request whose credentials failed: 401 for a bad
// credential, 500 (logged) when checking it failed.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="omnify"`)
		writeCodedError(w, http.StatusUnauthorized, string(ae.Code), ae.Message)
		return
	}
	s.logger.ErrorContext(r.Context(), "authentication failed", slog.String("request_id", RequestID(r.Context())), slog.Any("error", err))
	writeCodedError(w, http.StatusInternalServerError, string(apperr.Internal), "internal server error")
}

// csrfRisk reports whether a browser could have sent r from another site
// without asking first (a GET, or a POST of a "simple" content type) and it
// lacks the header that only same-origin script can add.
func csrfRisk(r *http.Request) bool {
	if r.Header.Get("X-Omnify-Csrf") != "" || r.Header.Get("Apollo-Require-Preflight") != "" {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			return r.Header.Get("Content-Type") == "" // no type: a browser form can do that too
		}
		return mt == "text/plain" || mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"
	}
	return false
}

// clientIP is the address of the browser or partner that sent r. The peer
// of the connection is the client unless it is one of our trusted proxies
// (a load balancer); then X-Forwarded-For is read from the right, skipping
// trusted proxies, and the first other address is the client. Addresses
// further left were written by the client itself and are never believed.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || !isTrusted(addr, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed entry: trust nothing before it
		}
		hop = hop.Unmap()
		if !isTrusted(hop, trusted) {
			return hop.String()
		}
		addr = hop
	}
	return addr.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// closeForbidden is the close code for a refused WebSocket credential.
const closeForbidden = 4403

// websocketInit authenticates a WebSocket at connection_init: the upgrade
// request's cookie or bearer header, or "Authorization" in the init payload.
// A bad credential closes the connection with 4403. An authenticated
// connection keeps its authority current (see keepCurrent): operations on
// it act with the latest role, and it is closed with 4403 once its session
// ends, its key is revoked or suspended, or its user leaves the
// organization.
func (s *Server) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *wsCloseError) {
	forbidden := func(msg string) (context.Context, *wsCloseError) {
		return ctx, &wsCloseError{code: closeForbidden, reason: msg}
	}
	if err, ok := ctx.Value(authFailureKey{}).(error); ok && err != nil {
		return forbidden("Forbidden: the credential was refused")
	}
	p := authz.FromContext(ctx)
	if header := payload.Authorization(); header != "" && s.authn != nil {
		if _, ok := auth.ParseBearer(header); !ok {
			header = "Bearer " + header // accept the bare key too
		}
		var err error
		if p, err = s.bearer(ctx, header); err != nil {
			if apperr.CodeOf(err) != apperr.Unauthenticated {
				s.logger.ErrorContext(ctx, "websocket authentication failed", slog.Any("error", err))
			}
			return forbidden("Forbidden: the credential was refused")
		}
		ctx = authz.WithPrincipal(ctx, p)
	}
	if p != nil && s.authn != nil {
		if slot, ok := ctx.Value(wsSlotKey{}).(*wsSlot); ok && slot.conn != nil {
			conn := slot.conn
			ctx = s.keepCurrent(ctx, p, func() { _ = conn.WriteClose(closeForbidden, "Forbidden: authorization ended") })
		}
	}
	return ctx, nil
}

// keepCurrent makes a long-lived connection's principal follow changes to
// its authority, until ctx ends. It re-checks the principal every
// recheckInterval (changes made by other replicas reach it so), and at once
// when this process makes a change that affects it. Operations started on
// the returned context act with the latest answer: a demoted ADMIN's
// connection goes on as what they are now. When nothing is left (session
// ended, key revoked or suspended, user removed) the principal becomes nil
// and lost is called to end the connection.
//
// An idle connection costs a timer here, not a goroutine: each re-check
// runs on the timer's own goroutine and arms the next.
func (s *Server) keepCurrent(ctx context.Context, p *authz.Principal, lost func()) context.Context {
	w := &authWatch{authn: s.authn, logger: s.logger, live: authz.NewLive(p), lost: lost}
	stop := s.authn.Watch(w.live.Load, w.recheck)
	w.mu.Lock()
	w.timer = time.AfterFunc(s.recheckInterval, func() {
		if ctx.Err() != nil {
			return
		}
		w.recheck(ctx)
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.live.Load() != nil && ctx.Err() == nil {
			w.timer.Reset(s.recheckInterval)
		}
	})
	w.mu.Unlock()
	context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.timer.Stop()
		w.mu.Unlock()
		stop()
	})
	return authz.WithLive(ctx, w.live)
}

// authWatch is the authority of one long-lived connection.
type authWatch struct {
	authn  Authenticator
	logger *slog.Logger
	live   *authz.Live
	lost   func()
	// mu makes re-checks take turns, so that an answer read before a change
	// is never stored after the answer read after it; it also guards timer.
	mu sync.Mutex
	// timer runs the periodic re-check.
	timer *time.Timer
}

// recheck asks again what the connection may do and acts on the answer.
func (w *authWatch) recheck(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur := w.live.Load()
	if cur == nil {
		return // already lost
	}
	fresh, err := w.authn.Recheck(ctx, cur)
	switch {
	case err == nil:
		w.live.Store(fresh)
	case ctx.Err() != nil:
	case apperr.CodeOf(err) != apperr.Unauthenticated:
		// A database hiccup is not a reason to drop clients; the next
		// re-check asks again.
		w.logger.WarnContext(ctx, "authorization recheck failed", slog.Any("error", err))
	default:
		w.live.Store(nil)
		w.lost()
	}
}

// serveEventStream serves a GraphQL operation over server-sent events with
// the same rule as WebSockets: an authenticated stream keeps its authority
// current, and once it has none left the stream gets an UNAUTHENTICATED
// error event and ends.
func (s *Server) serveEventStream(w http.ResponseWriter, r *http.Request, gql http.Handler) {
	p := authz.FromContext(r.Context())
	if p == nil || s.authn == nil {
		gql.ServeHTTP(w, r)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sw := &streamWriter{ResponseWriter: w}
	ctx = s.keepCurrent(ctx, p, func() {
		sw.end()
		cancel()
	})
	gql.ServeHTTP(sw, r.WithContext(ctx))
}

// streamEnded is the last event of a stream whose authority is gone, written
// in the shape of a GraphQL response so clients report it like any error.
const streamEnded = "event: next\ndata: {\"errors\":[{\"message\":\"Your authorization for this stream has ended; authenticate again.\",\"extensions\":{\"code\":\"UNAUTHENTICATED\"}}]}\n\n"

// streamWriter passes an event stream through, and once the stream's
// authority is gone lets only the final "complete" event out, after an
// UNAUTHENTICATED error.
type streamWriter struct {
	http.ResponseWriter

	mu    sync.Mutex
	ended bool
	told  bool
}

// end marks the stream's authority gone; nothing more but the final
// complete event is written.
func (sw *streamWriter) end() {
	sw.mu.Lock()
	sw.ended = true
	sw.mu.Unlock()
}

// Write writes p unless the stream has ended: then only the closing
// complete event passes, preceded by the UNAUTHENTICATED error.
func (sw *streamWriter) Write(p []byte) (int, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if !sw.ended {
		return sw.ResponseWriter.Write(p)
	}
	if !bytes.HasPrefix(p, []byte("event: complete")) {
		return len(p), nil // an event already under way when authority ended
	}
	if !sw.told {
		sw.told = true
		if _, err := io.WriteString(sw.ResponseWriter, streamEnded); err != nil {
			return 0, err
		}
	}
	return sw.ResponseWriter.Write(p)
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (sw *streamWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// Flush sends what was written; the SSE transport flushes after every event.
func (sw *streamWriter) Flush() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if f, ok := sw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
