package httpserver

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

// AnswerOptions configure the answer cache: whole answers to read-only
// queries that read nothing but what a per-organization generation
// covers, kept per organization and role, and served again without
// executing while the generation stays the same.
type AnswerOptions struct {
	// MaxBytes bounds the answers kept (estimated); 0 keeps none.
	MaxBytes int64
	// TTL is the longest an answer is kept, whatever the generation [1m].
	TTL time.Duration
	// Fields are the Query fields an answer may read: a query is kept only
	// when every field at its root is one of them (or __typename), and
	// what each of them returns, down to its leaves, must be covered by
	// Generation and depend on the caller only through its organization
	// and role.
	Fields []string
	// Generation returns the organization's data generation. It must
	// change after every change to what Fields read is applied in this
	// process, after which a read returns the changed data; nil keeps
	// nothing.
	Generation func(org bson.ObjectID) uint64
}

// Limits of what one answer may take: larger queries, variables or
// answers are executed every time.
const (
	maxAnswerQuery     = 8 << 10
	maxAnswerVariables = 1 << 10
	maxAnswerBytes     = 64 << 10
)

// answerCache is the gqlgen extension that keeps answers (see
// AnswerOptions). It sits after the gates, so an operation a gate refuses
// never reaches it, and before the per-operation hooks, so a kept answer
// costs no dataloaders.
//
// Freshness: the generation is read before the query executes and again
// after it; the answer is kept only when the two are the same, with that
// generation, and served only while the organization's generation still
// is. A change applied while the query executed therefore never leaves its
// older answer behind, and a read that starts after a change was applied
// never gets an answer from before it.
type answerCache struct {
	c      *otter.Cache[string, answer]
	ttl    time.Duration
	fields map[string]bool
	gen    func(bson.ObjectID) uint64
	// hits, misses and skips count lookups by outcome: served, executed
	// (then kept if it may be), or an operation that may not be kept.
	hits, misses, skips prometheus.Counter
}

// answer is one kept answer, the generation it was computed at, and when.
type answer struct {
	gen  uint64
	at   time.Time
	data json.RawMessage
}

var (
	_ graphql.HandlerExtension     = (*answerCache)(nil)
	_ graphql.OperationInterceptor = (*answerCache)(nil)
)

// newAnswerCache returns the extension, or nil when o keeps nothing.
func newAnswerCache(o AnswerOptions, m *Metrics) *answerCache {
	if o.MaxBytes <= 0 || o.Generation == nil || len(o.Fields) == 0 {
		return nil
	}
	ttl := o.TTL
	if ttl <= 0 {
		ttl = time.Minute
	}
	a := &answerCache{
		fields: map[string]bool{"__typename": true},
		gen:    o.Generation,
		ttl:    ttl,
		// No expiry in otter, which would run a goroutine for the server's
		// life: an answer's age is checked when it is looked up, and
		// answers nobody asks for again leave by the size bound.
		c: otter.Must(&otter.Options[string, answer]{
			MaximumWeight: uint64(o.MaxBytes),
			Weigher:       func(k string, v answer) uint32 { return uint32(128 + len(k) + len(v.data)) },
		}),
		hits:   m.answers.WithLabelValues("hit"),
		misses: m.answers.WithLabelValues("miss"),
		skips:  m.answers.WithLabelValues("skip"),
	}
	for _, f := range o.Fields {
		a.fields[f] = true
	}
	// Another server on the same Metrics (in tests) reports its own
	// cache only.
	_ = m.registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "omnify_graphql_answer_cache_bytes",
		Help: "Memory held by the GraphQL answer cache, as estimated for its byte limit.",
	}, func() float64 { return float64(a.c.WeightedSize()) }))
	return a
}

// ExtensionName names the extension for gqlgen.
func (*answerCache) ExtensionName() string { return "AnswerCache" }

// Validate accepts any schema.
func (*answerCache) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation serves a kept answer, or executes the operation and
// keeps its answer when it may.
func (a *answerCache) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	p := authz.FromContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	key, ok := a.key(p, oc)
	if !ok {
		a.skips.Inc()
		return next(ctx)
	}
	org := p.OrganizationID
	gen := a.gen(org)
	if e, ok := a.c.GetIfPresent(key); ok && e.gen == gen && time.Since(e.at) < a.ttl {
		a.hits.Inc()
		return graphql.OneShot(&graphql.Response{Data: e.data})
	}
	a.misses.Inc()
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		r := h(ctx)
		if r != nil && len(r.Errors) == 0 && r.HasNext == nil && len(r.Extensions) == 0 &&
			len(r.Data) > 0 && len(r.Data) <= maxAnswerBytes && a.gen(org) == gen {
			a.c.Set(key, answer{gen: gen, at: time.Now(), data: r.Data})
		}
		return r
	}
}

// key returns the key of the operation's answer, or false when it may not
// be kept: not a query, asked without an organization, or reading a root
// field that Fields do not name. The key holds everything the answer
// depends on besides the generation: the organization, the role and the
// key's scope, the operation name, the variables and the document itself.
func (a *answerCache) key(p *authz.Principal, oc *graphql.OperationContext) (string, bool) {
	if p == nil || p.OrganizationID.IsZero() || oc == nil || oc.Operation == nil ||
		oc.Operation.Operation != ast.Query || len(oc.RawQuery) > maxAnswerQuery {
		return "", false
	}
	named := true
	eachField(oc.Operation.SelectionSet, map[string]bool{}, func(f *ast.Field) { named = named && a.fields[f.Name] })
	if !named {
		return "", false
	}
	vars := []byte("{}")
	if len(oc.Variables) > 0 {
		var err error
		if vars, err = json.Marshal(oc.Variables); err != nil || len(vars) > maxAnswerVariables {
			return "", false
		}
	}
	var b strings.Builder
	b.Grow(64 + len(oc.OperationName) + len(vars) + len(oc.RawQuery))
	b.WriteString(p.OrganizationID.Hex())
	b.WriteByte(0)
	b.WriteString(string(p.Role))
	b.WriteByte(0)
	b.WriteString(string(p.Scope))
	b.WriteByte(0)
	b.WriteString(oc.OperationName)
	b.WriteByte(0)
	b.Write(vars)
	b.WriteByte(0)
	b.WriteString(oc.RawQuery)
	return b.String(), true
}
