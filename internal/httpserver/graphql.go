package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/omnify/bff/internal/apperr"
)

// graphQLOptions configure the GraphQL handler.
type graphQLOptions struct {
	logger             *slog.Logger
	metrics            *Metrics
	maxDepth           int
	maxComplexity      int
	introspection      bool
	websocket          transport.Websocket
	queryCacheSize     int
	persistedCacheSize int
}

// newGraphQLHandler builds the gqlgen server with explicit transports and the
// protections every operation passes through.
func newGraphQLHandler(es graphql.ExecutableSchema, o graphQLOptions) *handler.Server {
	srv := handler.New(es)

	// Transport order matters: the first whose Supports accepts the request
	// serves it. WebSocket upgrades and event streams are picked out first.
	srv.AddTransport(o.websocket)
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(getTransport{})
	srv.AddTransport(transport.POST{})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](o.queryCacheSize))
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](o.persistedCacheSize)})
	if o.introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(depthLimit{max: o.maxDepth})
	srv.Use(extension.FixedComplexityLimit(o.maxComplexity))
	srv.Use(graphQLMetrics{m: o.metrics})

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

// depthLimit refuses operations nested deeper than max fields. Introspection
// fields are not counted, so tools can always read the schema.
type depthLimit struct{ max int }

var (
	_ graphql.HandlerExtension        = depthLimit{}
	_ graphql.OperationContextMutator = depthLimit{}
)

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the chosen operation before it runs.
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0, map[string]bool{}); depth > d.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation is nested %d levels deep; the limit is %d", depth, d.max),
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, depth int, visiting map[string]bool) int {
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.Name) > 1 && s.Name[:2] == "__" {
				continue
			}
			d = selectionDepth(s.SelectionSet, depth+1, visiting)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, depth, visiting)
		case *ast.FragmentSpread:
			if s.Definition == nil || visiting[s.Name] {
				continue // validation has already refused fragment cycles
			}
			visiting[s.Name] = true
			d = selectionDepth(s.Definition.SelectionSet, depth, visiting)
			delete(visiting, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// getTransport serves queries over GET, as GraphQL over HTTP allows. Any
// other operation over GET is refused with 405, so a link or an image tag can
// never change data.
type getTransport struct{}

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	q := r.URL.Query()
	params := &graphql.RawParams{
		Query:         q.Get("query"),
		OperationName: q.Get("operationName"),
		Headers:       r.Header,
	}
	params.ReadTime.Start = graphql.Now()
	contentType := responseContentType(r)
	for _, f := range []struct {
		name string
		dst  any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		if v := q.Get(f.name); v != "" {
			if err := decodeJSON(v, f.dst); err != nil {
				w.Header().Set("Content-Type", contentType)
				w.WriteHeader(http.StatusBadRequest)
				writeGraphQLErrors(w, f.name+" is not a JSON object")
				return
			}
		}
	}
	params.ReadTime.End = graphql.Now()

	oc, gerrs := exec.CreateOperationContext(r.Context(), params)
	if gerrs != nil {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(statusForErrors(gerrs, contentType))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(r.Context(), oc), gerrs))
		return
	}
	if oc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusMethodNotAllowed)
		writeGraphQLErrors(w, "only queries can be sent with GET; send "+string(oc.Operation.Operation)+"s with POST")
		return
	}
	w.Header().Set("Content-Type", contentType)
	responses, ctx := exec.DispatchOperation(r.Context(), oc)
	writeResponse(w, responses(ctx))
}
