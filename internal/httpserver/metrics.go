package httpserver

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/vektah/gqlparser/v2/ast"
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
	operationNames *boundedNames
}

// NewMetrics creates the series and a registry that also holds the Go runtime
// and process collectors.
func NewMetrics() *Metrics {
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
		operationNames: &boundedNames{max: 200, seen: map[string]struct{}{}},
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.requests, m.duration, m.errors, m.websockets, m.subscriptions,
	)
	return m
}

// Registry is where other parts of the process register their own series.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

func (m *Metrics) observeHTTP(route, method string, code int) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
}

// boundedNames caps the number of distinct operation names used as label
// values: clients choose the names, and an unbounded label would let them
// grow the metrics without limit. Names past the cap are reported as "other".
type boundedNames struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

func (b *boundedNames) label(name string) string {
	if name == "" {
		return "anonymous"
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[name]; ok {
		return name
	}
	if len(b.seen) >= b.max {
		return "other"
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
	setOperationName(ctx, operationName(oc))
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
	opType, opName, start := "unknown", "", time.Time{}
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		opName, start = operationName(oc), oc.Stats.OperationStart
		if oc.Operation != nil {
			opType = string(oc.Operation.Operation)
		}
	}
	if opType == string(ast.Subscription) {
		return resp
	}
	label := g.m.operationNames.label(opName)
	g.m.requests.WithLabelValues(opType, label).Inc()
	if !start.IsZero() {
		g.m.duration.WithLabelValues(opType, label).Observe(time.Since(start).Seconds())
	}
	return resp
}

// operationName is the name the client asked for, or the name of the only
// operation in the document.
func operationName(oc *graphql.OperationContext) string {
	if oc.OperationName != "" {
		return oc.OperationName
	}
	if oc.Operation != nil {
		return oc.Operation.Name
	}
	return ""
}
