package httpserver

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/omnify/bff/internal/text"
)

// Metrics are the Prometheus series the server exports at /metrics. Each
// Server has its own registry, so tests can run many servers side by side.
type Metrics struct {
	registry       *prometheus.Registry
	httpRequests   *prometheus.CounterVec
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	errors         *prometheus.CounterVec
	websockets     prometheus.Gauge
	subscriptions  prometheus.Gauge
	cacheBytes     *prometheus.GaugeVec
	refusedSockets prometheus.Counter
	answers        *prometheus.CounterVec
	operationNames *boundedNames
}

// MetricsOptions bound the label values clients can create.
type MetricsOptions struct {
	// OperationNames caps the distinct operation names used as labels [200].
	OperationNames int
	// OperationNameLength caps the length of a name used as a label [100].
	OperationNameLength int
}

// NewMetrics creates the series and a registry that also holds the Go runtime
// and process collectors.
func NewMetrics(o MetricsOptions) *Metrics {
	if o.OperationNames <= 0 {
		o.OperationNames = 200
	}
	if o.OperationNameLength <= 0 {
		o.OperationNameLength = 100
	}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omnify_http_requests_total",
			Help: "HTTP requests served, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omnify_graphql_requests_total",
			Help: "GraphQL operations received, by operation type and name.",
		}, []string{"operation_type", "operation_name"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "omnify_graphql_request_duration_seconds",
			Help:    "Time from reading a GraphQL request to its response, for queries and mutations.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation_type", "operation_name"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omnify_graphql_errors_total",
			Help: "GraphQL errors returned to clients, by extensions.code.",
		}, []string{"code"}),
		websockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "omnify_websocket_connections",
			Help: "Open GraphQL WebSocket connections.",
		}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "omnify_graphql_active_subscriptions",
			Help: "GraphQL subscriptions currently streaming.",
		}),
		cacheBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "omnify_graphql_cache_bytes",
			Help: "Memory held by the GraphQL caches (parsed documents, automatic persisted queries), as estimated for their byte limits.",
		}, []string{"cache"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omnify_graphql_answers_total",
			Help: "Operations looked up in the answer cache, by result: hit (served from it), miss (executed, then kept if it may be), skip (an operation it does not keep).",
		}, []string{"result"}),
		refusedSockets: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "omnify_websocket_refused_total",
			Help: "WebSockets closed at once because their client had too many open.",
		}),
		operationNames: &boundedNames{max: o.OperationNames, maxLen: o.OperationNameLength, seen: map[string]struct{}{}},
	}
	m.registry.MustRegister(
		// The defaults, plus the live heap as of the last GC: what the
		// process holds, garbage aside (memory per connection).
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.requests, m.duration, m.errors, m.websockets, m.subscriptions,
		m.cacheBytes, m.refusedSockets, m.answers,
	)
	return m
}

// Registry is where other parts of the process register their own series.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

func (m *Metrics) observeHTTP(route, method string, code int) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
}

// The label values that stand for many operation names.
const (
	labelAnonymous = "anonymous" // an operation without a name
	labelUnknown   = "unknown"   // no operation was found (a parse error, an unknown operationName)
	labelOther     = "other"     // a name past the caps
)

// boundedNames caps the operation names used as label values, in number
// and in length: clients choose the names, and unbounded labels would let
// them grow the metrics (and every scrape) without limit. Names past the
// caps are reported as "other".
type boundedNames struct {
	mu     sync.Mutex
	max    int
	maxLen int
	seen   map[string]struct{}
}

func (b *boundedNames) label(name string) string {
	if name == "" {
		return labelAnonymous
	}
	if len(name) > b.maxLen {
		return labelOther
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[name]; ok {
		return name
	}
	if len(b.seen) >= b.max {
		return labelOther
	}
	b.seen[name] = struct{}{}
	return name
}

// graphQLMetrics is the gqlgen extension that feeds Metrics and tells the
// access log which operation ran.
type graphQLMetrics struct{ m *Metrics }

var (
	_ graphql.HandlerExtension     = graphQLMetrics{}
	_ graphql.OperationInterceptor = graphQLMetrics{}
	_ graphql.ResponseInterceptor  = graphQLMetrics{}
)

func (graphQLMetrics) ExtensionName() string                   { return "OmnifyMetrics" }
func (graphQLMetrics) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation counts subscriptions and tracks how many are live; the
// other operations are counted once their response is ready.
func (g graphQLMetrics) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	setOperationName(ctx, text.Shorten(operationName(oc), g.m.operationNames.maxLen))
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		g.m.requests.WithLabelValues("subscription", g.m.operationNames.label(operationName(oc))).Inc()
		g.m.subscriptions.Inc()
		context.AfterFunc(ctx, g.m.subscriptions.Dec)
	}
	return next(ctx)
}

// InterceptResponse counts errors by code for every response, and counts and
// times queries and mutations, including those refused before execution.
func (g graphQLMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" {
				code = "UNKNOWN"
			}
			g.m.errors.WithLabelValues(code).Inc()
		}
	}
	opType, label, start := "unknown", labelUnknown, time.Time{}
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		start = oc.Stats.OperationStart
		if oc.Operation != nil {
			opType = string(oc.Operation.Operation)
			label = g.m.operationNames.label(operationName(oc))
		}
	}
	if opType == string(ast.Subscription) {
		return resp
	}
	g.m.requests.WithLabelValues(opType, label).Inc()
	if !start.IsZero() {
		g.m.duration.WithLabelValues(opType, label).Observe(time.Since(start).Seconds())
	}
	return resp
}

// operationName is the name of the operation that runs, as the document
// spells it. The operationName the client sent is used only when it names
// an operation of the document, so a made-up name never becomes a label.
func operationName(oc *graphql.OperationContext) string {
	if oc.Operation != nil {
		return oc.Operation.Name
	}
	return ""
}
