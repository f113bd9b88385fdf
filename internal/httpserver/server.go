// Package httpserver serves Omnify over HTTP: the GraphQL endpoint over POST,
// GET, server-sent events and WebSockets, health and readiness checks,
// Prometheus metrics, the playground and the embedded web app.
package httpserver

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// Check reports whether one dependency answers; a nil error means it does.
type Check func(ctx context.Context) error

// Options are what a Server needs. Zero values are safe: no schema serves no
// GraphQL (the worker role), no logger discards logs.
type Options struct {
	// Logger receives the access log and errors.
	Logger *slog.Logger
	// Schema is the executable GraphQL schema; nil serves only health and metrics.
	Schema graphql.ExecutableSchema
	// Metrics collects the server's series; nil creates a fresh set with
	// MetricsOptions.
	Metrics *Metrics
	// MetricsOptions bound the label values of a fresh set of metrics.
	MetricsOptions MetricsOptions
	// Checks are the dependencies /readyz pings, by name.
	Checks map[string]Check
	// MaxBodyBytes caps a request body (and a WebSocket message) [1 MiB].
	MaxBodyBytes int64
	// RequestTimeout bounds a request other than a WebSocket or an event
	// stream: its context ends then, so whatever it waits on gives up [30s].
	RequestTimeout time.Duration
	// BodyReadTimeout is how long a client may take to send a body [10s].
	BodyReadTimeout time.Duration
	// Limits bound every GraphQL document and response.
	Limits QueryLimits
	// QueryCacheBytes bounds the parsed documents kept for reuse [6 MiB].
	QueryCacheBytes int64
	// APQCacheBytes bounds the automatic persisted queries kept [2 MiB].
	APQCacheBytes int64
	// Answers configures the answer cache; its zero value keeps nothing.
	Answers AnswerOptions
	// Introspection allows schema introspection at all.
	Introspection bool
	// IntrospectionPublic allows it to anonymous callers too (development);
	// otherwise only authenticated callers may introspect.
	IntrospectionPublic bool
	// Authenticator checks session cookies and API keys; nil leaves every caller anonymous.
	Authenticator Authenticator
	// SecureCookies marks the session cookie Secure (production, behind HTTPS).
	SecureCookies bool
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed
	// when telling a client's address (throttling, sessions, audit records).
	TrustedProxies []netip.Prefix
	// Gates may refuse whole operations before they run.
	Gates []Gate
	// PerOperation runs at the start of every GraphQL operation; it returns
	// the context the operation runs with (per-operation dataloaders).
	PerOperation func(context.Context) context.Context
	// PerResponse runs before each response of an operation (each event of
	// a subscription); it returns the context the response is computed
	// with (fresh dataloaders, so that no event is answered from what an
	// earlier one cached).
	PerResponse func(context.Context) context.Context
	// StreamError, when set, is asked when a subscription's stream ends
	// why it ended; a non-nil error is sent as the stream's last response
	// (a "next" with errors, before "complete"), for example SLOW_CONSUMER.
	StreamError func(context.Context) error
	// WebsocketRecheckInterval is how often an authenticated WebSocket's or
	// event stream's session or key is checked again [30s]; changes made in
	// this process reach them at once (Authenticator.Watch).
	WebsocketRecheckInterval time.Duration
	// AllowedOrigins may call the API from a browser (CORS and WebSockets).
	AllowedOrigins []string
	// WebsocketInitTimeout bounds the wait for connection_init.
	WebsocketInitTimeout time.Duration
	// WebsocketPingInterval is how often the server pings a WebSocket client.
	WebsocketPingInterval time.Duration
	// WebsocketMaxSubscriptions caps the operations running at once on one
	// WebSocket [32].
	WebsocketMaxSubscriptions int
	// WebsocketMaxSocketsPerClient caps the WebSockets open at once for one
	// user or API key, or one address for anonymous clients [16].
	WebsocketMaxSocketsPerClient int
	// Web is the built web app (index.html at its root); nil or empty shows a placeholder.
	Web fs.FS
	// Playground is the HTML page served at /playground.
	Playground []byte
	// Routes are more handlers by ServeMux pattern, such as the agent
	// service's signed webhook; they get the middleware chain but no
	// session or CSRF handling (they authenticate their own way).
	Routes map[string]http.Handler
}

// Server is Omnify's HTTP handler plus what shutdown needs to know.
type Server struct {
	logger          *slog.Logger
	metrics         *Metrics
	checks          map[string]Check
	allowedOrigins  []string
	authn           Authenticator
	secureCookies   bool
	trustedProxies  []netip.Prefix
	recheckInterval time.Duration
	ws              *wsHub
	draining        atomic.Bool
	handler         http.Handler
}

// New builds the server and its routes.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(o.MetricsOptions)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.BodyReadTimeout <= 0 {
		o.BodyReadTimeout = 10 * time.Second
	}
	o.Limits = o.Limits.withDefaults()
	if o.QueryCacheBytes <= 0 {
		o.QueryCacheBytes = 6 << 20
	}
	if o.APQCacheBytes <= 0 {
		o.APQCacheBytes = 2 << 20
	}
	if o.WebsocketRecheckInterval <= 0 {
		o.WebsocketRecheckInterval = 30 * time.Second
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.WebsocketMaxSubscriptions <= 0 {
		o.WebsocketMaxSubscriptions = 32
	}
	if o.WebsocketMaxSocketsPerClient <= 0 {
		o.WebsocketMaxSocketsPerClient = 16
	}
	s := &Server{
		logger:          o.Logger,
		metrics:         o.Metrics,
		checks:          o.Checks,
		allowedOrigins:  o.AllowedOrigins,
		authn:           o.Authenticator,
		secureCookies:   o.SecureCookies,
		trustedProxies:  o.TrustedProxies,
		recheckInterval: o.WebsocketRecheckInterval,
		ws:              newWSHub(o.Metrics, o.WebsocketMaxSubscriptions, o.WebsocketMaxSocketsPerClient, o.WebsocketPingInterval),
	}

	mux := http.NewServeMux()
	s.route(mux, "GET /healthz", http.HandlerFunc(s.healthz))
	s.route(mux, "GET /readyz", http.HandlerFunc(s.readyz))
	s.route(mux, "GET /metrics", metricsHandler(o.Metrics))
	if o.Schema != nil {
		gql := newGraphQLHandler(o.Schema, graphQLOptions{
			logger:          o.Logger,
			metrics:         o.Metrics,
			limits:          o.Limits,
			introspection:   o.Introspection,
			gates:           gates{gates: o.Gates, introspection: o.Introspection, introspectionPublic: o.IntrospectionPublic},
			perOperation:    o.PerOperation,
			perResponse:     o.PerResponse,
			streamError:     o.StreamError,
			queryCacheBytes: o.QueryCacheBytes,
			apqCacheBytes:   o.APQCacheBytes,
			answers:         o.Answers,
			transportWS: transportWS{
				s: s, logger: o.Logger, initTimeout: o.WebsocketInitTimeout, readLimit: o.MaxBodyBytes,
				pingEvery: o.WebsocketPingInterval, maxActive: o.WebsocketMaxSubscriptions,
			},
			websocket: transport.Websocket{
				Implementation:        wsImplementation{hub: s.ws},
				InitFunc:              s.websocketInitWithinLimits,
				InitTimeout:           o.WebsocketInitTimeout,
				KeepAlivePingInterval: o.WebsocketPingInterval,
				// graphql-transport-ws pings come from protocolConn, on a
				// timer rather than a goroutine per socket.
				PayloadReadLimit: &o.MaxBodyBytes,
				ErrorFunc: func(ctx context.Context, err error) {
					o.Logger.DebugContext(ctx, "websocket", slog.String("request_id", RequestID(ctx)), slog.Any("error", err))
				},
			},
		})
		s.route(mux, "/graphql", s.graphqlEndpoint(gql))
		s.route(mux, "GET /playground", htmlPage(o.Playground))
		for pattern, h := range o.Routes {
			s.route(mux, pattern, h)
		}
		s.route(mux, "/", webApp(o.Web))
	}

	// The chain, outermost first, and why in this order:
	//   recovery    first, so a panic anywhere below becomes a 500, not a dead process;
	//   request id  before logging, so every log line of the request carries it;
	//   access log  sees the final status and the whole duration;
	//   CORS        answers preflights before any body is read;
	//   deadline    inside the access log, so a request it ends is still logged;
	//   body limit  last, nearest the handlers that read bodies (its read
	//               deadline then covers only the body).
	s.handler = chain(mux,
		withRecovery(o.Logger),
		withRequestID,
		withAccessLog(o.Logger),
		withCORS(o.AllowedOrigins),
		withDeadline(o.RequestTimeout),
		withBodyLimit(o.MaxBodyBytes, o.BodyReadTimeout),
	)
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Drain makes /readyz answer 503, so load balancers stop sending traffic,
// and closes every WebSocket with 1001 (going away) so clients reconnect to
// another replica. Call it when shutdown begins.
func (s *Server) Drain() {
	s.draining.Store(true)
	s.ws.closeAll()
}

// WaitWebsockets blocks until every WebSocket handler has returned or ctx ends.
func (s *Server) WaitWebsockets(ctx context.Context) error { return s.ws.wait(ctx) }

// route registers h under pattern and counts its requests by that pattern.
func (s *Server) route(mux *http.ServeMux, pattern string, h http.Handler) {
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, ok := w.(*statusRecorder)
		h.ServeHTTP(w, r)
		code := http.StatusOK
		if ok {
			code = rec.status()
		}
		s.metrics.observeHTTP(pattern, r.Method, code)
	}))
}

// graphqlEndpoint routes /graphql: WebSocket upgrades to the WebSocket
// checks, then everything gqlgen's transports accept; the rest gets the
// status GraphQL over HTTP prescribes.
func (s *Server) graphqlEndpoint(gql http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		r, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		switch {
		case r.Header.Get("Upgrade") != "":
			s.serveWebsocket(w, r, gql)
		case r.Method == http.MethodGet:
			gql.ServeHTTP(w, r)
		case r.Method == http.MethodPost:
			if !isJSON(r.Header.Get("Content-Type")) {
				writeJSONError(w, http.StatusUnsupportedMediaType, "send GraphQL requests as application/json")
				return
			}
			if msg := checkJSONBody(r); msg != "" {
				// gqlgen's own answer would echo the whole body back, and
				// name Go types.
				writeRequestError(w, r, http.StatusBadRequest, msg)
				return
			}
			if (transport.SSE{}).Supports(r) {
				s.serveEventStream(w, r, gql)
				return
			}
			gql.ServeHTTP(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeJSONError(w, http.StatusMethodNotAllowed, "use GET for queries or POST for any operation")
		}
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz answers 200 only when every dependency answers; otherwise 503 with
// the names of those that do not.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeStatus(w, http.StatusServiceUnavailable, map[string]any{"status": "shutting down"})
		return
	}
	// A dependency that cannot answer within a second is not ready to
	// serve: requests behind it would queue.
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	results := map[string]string{}
	status := http.StatusOK
	for name, check := range s.checks {
		if err := check(ctx); err != nil {
			results[name] = "down"
			status = http.StatusServiceUnavailable
			s.logger.WarnContext(ctx, "readiness check failed", slog.String("check", name), slog.Any("error", err))
			continue
		}
		results[name] = "ok"
	}
	body := map[string]any{"status": "ok", "checks": results}
	if status != http.StatusOK {
		body["status"] = "unavailable"
	}
	writeStatus(w, status, body)
}

func writeStatus(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
