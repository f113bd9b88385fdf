package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// graphQLOptions configure the GraphQL handler.
type graphQLOptions struct {
	logger          *slog.Logger
	metrics         *Metrics
	limits          QueryLimits
	introspection   bool
	gates           gates
	perOperation    func(context.Context) context.Context
	perResponse     func(context.Context) context.Context
	streamError     func(context.Context) error
	websocket       transport.Websocket // the legacy graphql-ws protocol
	transportWS     graphql.Transport   // graphql-transport-ws
	queryCacheBytes int64
	apqCacheBytes   int64
	answers         AnswerOptions
}

// newGraphQLHandler builds the gqlgen server with explicit transports and the
// protections every operation passes through.
func newGraphQLHandler(es graphql.ExecutableSchema, o graphQLOptions) *handler.Server {
	srv := handler.New(es)

	// Transport order matters: the first whose Supports accepts the request
	// serves it. WebSocket upgrades and event streams are picked out first.
	if o.transportWS != nil {
		srv.AddTransport(o.transportWS)
	}
	srv.AddTransport(o.websocket)
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})

	queryCache := newByteCache(o.queryCacheBytes, documentSize, o.metrics.cacheBytes.WithLabelValues("query").Set)
	srv.SetQueryCache(queryCache)
	// queryLimits parses with this limit first; gqlgen's own parse keeps it
	// too, should anything reach it unchecked.
	srv.SetParserTokenLimit(o.limits.Tokens)
	if o.introspection {
		srv.Use(extension.Introspection{})
	}
	// Extensions run in the order they are added. Metrics come before the
	// limits so that, around responses, they count the errors a client is
	// actually sent (after the cap).
	srv.Use(graphQLMetrics{m: o.metrics})
	srv.Use(&queryLimits{
		limits: o.limits,
		apq: extension.AutomaticPersistedQuery{
			Cache: newByteCache(o.apqCacheBytes, persistedQuerySize, o.metrics.cacheBytes.WithLabelValues("apq").Set),
		},
		parsed: queryCache,
	})
	srv.Use(o.gates)
	if a := newAnswerCache(o.answers, o.metrics); a != nil {
		srv.Use(a)
	}
	if o.perOperation != nil || o.perResponse != nil {
		srv.Use(perOperation{hook: o.perOperation, perResponse: o.perResponse})
	}
	if o.streamError != nil {
		srv.Use(streamEnd{reason: o.streamError})
	}

	srv.SetErrorPresenter(errorPresenter(o.logger))
	srv.SetRecoverFunc(recoverFunc(o.logger))
	return srv
}

// errLoggedPanic marks an error already logged by the recover func, so the
// presenter does not log it a second time.
type errLoggedPanic struct{}

func (errLoggedPanic) Error() string { return "panic in resolver" }

// recoverFunc logs a resolver panic with its stack; the client sees an
// INTERNAL_SERVER_ERROR for that field and the rest of the response survives.
func recoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		logger.ErrorContext(ctx, "panic in resolver",
			slog.String("request_id", RequestID(ctx)),
			slog.Any("panic", v),
			slog.String("stack", string(debug.Stack())))
		return errLoggedPanic{}
	}
}

// errorPresenter turns errors into what a client sees. Domain errors keep
// their message and get their code (and field); gqlgen's own errors (parse,
// validation, limits) pass through; anything else is a bug or an outage, so
// the client gets a generic message and the real error is logged once.
func errorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if ae, ok := apperr.As(err); ok && ae.Code != apperr.Internal {
			gerr.Message = ae.Message
			ext := map[string]any{"code": string(ae.Code)}
			for k, v := range ae.Extensions {
				ext[k] = v
			}
			if ae.Field != "" {
				ext["field"] = ae.Field
			}
			gerr.Extensions = ext
			return gerr
		}
		var inner *gqlerror.Error
		if errors.As(err, &inner) && inner.Unwrap() == nil {
			// Raised by gqlgen itself with a message meant for the client.
			if len(gerr.Path) >= 2 && gerr.Path[0] == ast.PathName("variable") {
				// A variable's value does not fit its type (an unknown enum
				// value, say): the input is at fault, not the document. The
				// field is the innermost name, e.g. "role" of $input.role.
				field := ""
				for _, el := range gerr.Path[1:] {
					if name, ok := el.(ast.PathName); ok {
						field = string(name)
					}
				}
				gerr.Extensions = map[string]any{"code": string(apperr.BadUserInput), "field": field}
				return gerr
			}
			if gerr.Extensions == nil || gerr.Extensions["code"] == nil {
				gerr.Extensions = map[string]any{"code": "BAD_REQUEST"}
			}
			return gerr
		}
		if !errors.As(err, new(errLoggedPanic)) {
			logger.ErrorContext(ctx, "internal error",
				slog.String("request_id", RequestID(ctx)),
				slog.String("path", gerr.Path.String()),
				slog.Any("error", err))
		}
		gerr.Message = "internal server error"
		gerr.Extensions = map[string]any{"code": string(apperr.Internal)}
		if id := RequestID(ctx); id != "" {
			gerr.Extensions["requestId"] = id
		}
		return gerr
	}
}

// Operation describes an operation about to run, for gates.
type Operation struct {
	// Type is "query", "mutation" or "subscription".
	Type string
	// Fields are the names of the root fields it selects, fragments included.
	Fields []string
	// Subfields are the names selected directly under each root field,
	// fragments included, for gates that allow a root field only in part.
	Subfields map[string][]string
}

// Gate decides whether an operation may run at all; an error refuses it
// whole, before any resolver runs. Modules provide gates (API key scopes,
// pending legal acceptance); they return *apperr.Error for refusals.
type Gate func(ctx context.Context, op Operation) error

// gates runs every Gate, and decides whether the caller may introspect.
type gates struct {
	gates []Gate
	// introspection allows introspection at all; introspectionPublic allows
	// it to anonymous callers too.
	introspection, introspectionPublic bool
}

var (
	_ graphql.HandlerExtension        = gates{}
	_ graphql.OperationContextMutator = gates{}
)

func (gates) ExtensionName() string                   { return "Gates" }
func (gates) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses an operation a gate rejects, and
// introspection the caller may not use. The refusal is one clean client
// error for the whole operation; left to execution, every __schema or
// __type field would fail on its own as an internal error, each logged.
func (g gates) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	anonymous := authz.FromContext(ctx) == nil
	if !g.introspectionPublic && anonymous {
		oc.DisableIntrospection = true
	}
	if oc.Operation == nil {
		return nil
	}
	op := newOperation(oc.Operation)
	if oc.DisableIntrospection && slices.ContainsFunc(op.Fields, isIntrospectionRoot) {
		err := apperr.New(apperr.Unauthenticated, "Sign in (or send an API key) to introspect the schema.")
		if !g.introspection {
			err = apperr.New(apperr.Forbidden, "Introspection is turned off on this server.")
		}
		return &gqlerror.Error{Message: err.Error(), Err: err}
	}
	for _, gate := range g.gates {
		if err := gate(ctx, op); err != nil {
			return &gqlerror.Error{Message: err.Error(), Err: err}
		}
	}
	return nil
}

// isIntrospectionRoot reports whether a root field reads the schema;
// __typename does not.
func isIntrospectionRoot(field string) bool { return field == "__schema" || field == "__type" }

// newOperation describes op for gates.
func newOperation(op *ast.OperationDefinition) Operation {
	out := Operation{Type: string(op.Operation), Subfields: map[string][]string{}}
	eachField(op.SelectionSet, map[string]bool{}, func(f *ast.Field) {
		out.Fields = append(out.Fields, f.Name)
		eachField(f.SelectionSet, map[string]bool{}, func(sub *ast.Field) {
			out.Subfields[f.Name] = append(out.Subfields[f.Name], sub.Name)
		})
	})
	return out
}

// eachField calls fn for every field of set, looking into inline fragments
// and (once each) fragment spreads.
func eachField(set ast.SelectionSet, seen map[string]bool, fn func(*ast.Field)) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			fn(s)
		case *ast.InlineFragment:
			eachField(s.SelectionSet, seen, fn)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				eachField(s.Definition.SelectionSet, seen, fn)
			}
		}
	}
}

// perOperation runs a hook at the start of every operation, over HTTP and
// WebSocket alike, and another before each of its responses (the
// composition root installs fresh dataloaders with it).
type perOperation struct {
	hook        func(context.Context) context.Context
	perResponse func(context.Context) context.Context
}

var (
	_ graphql.HandlerExtension     = perOperation{}
	_ graphql.OperationInterceptor = perOperation{}
	_ graphql.ResponseInterceptor  = perOperation{}
)

func (perOperation) ExtensionName() string                   { return "PerOperation" }
func (perOperation) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation runs the hook and then the operation.
func (p perOperation) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if p.hook != nil {
		ctx = p.hook(ctx)
	}
	return next(ctx)
}

// InterceptResponse runs the response hook and then the response.
func (p perOperation) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if p.perResponse != nil {
		ctx = p.perResponse(ctx)
	}
	return next(ctx)
}

// streamEnd sends the reason a subscription's stream ended, when it ended
// with one, as the stream's last response.
type streamEnd struct {
	reason func(context.Context) error
}

var (
	_ graphql.HandlerExtension    = streamEnd{}
	_ graphql.ResponseInterceptor = streamEnd{}
)

func (streamEnd) ExtensionName() string                   { return "StreamEnd" }
func (streamEnd) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse turns the end of a stream that has a reason into one
// more response carrying it; the stream then ends as usual.
func (e streamEnd) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return nil
	}
	err := e.reason(ctx)
	if err == nil {
		return nil
	}
	graphql.AddError(ctx, err)
	return &graphql.Response{Errors: graphql.GetErrors(ctx)}
}
