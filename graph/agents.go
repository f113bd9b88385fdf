package graph

import (
	"context"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/globalid"
	"github.com/omnify/bff/internal/loaders"
)

// AgentExecutionsSource is the batch lookup behind the agent's
// lastExecution loader.
func AgentExecutionsSource(svc *agents.Service) func(context.Context, []bson.ObjectID) ([]agents.Execution, error) {
	return func(ctx context.Context, ids []bson.ObjectID) ([]agents.Execution, error) {
		return svc.ExecutionsByIDs(ctx, authz.FromContext(ctx), ids)
	}
}

// agentID is the global id of an agent: its organization and key.
func agentID(a *agents.Agent) string { return globalid.Encode(typeAgent, a.ID) }

// agentKey decodes an agent's global id given in field into the agent's
// catalog key. An agent of another organization is NOT_FOUND.
func agentKey(ctx context.Context, id, field string) (string, error) {
	key, err := globalid.DecodeAs(id, typeAgent, field)
	if err != nil {
		return "", err
	}
	org, k, ok := strings.Cut(key, ":")
	p := authz.FromContext(ctx)
	if !ok || p == nil || org != p.OrganizationID.Hex() {
		return "", apperr.New(apperr.NotFound, "No such agent.")
	}
	return k, nil
}

// agentStatus resolves an agent's status from its last execution: the
// snapshot it carries, or the one the loader batches for a whole list.
func agentStatus(ctx context.Context, a *agents.Agent) (agents.Status, error) {
	last, err := lastExecution(ctx, a)
	if err != nil {
		return "", err
	}
	return a.StatusWith(last), nil
}

// lastExecution is the agent's newest execution, or nil.
func lastExecution(ctx context.Context, a *agents.Agent) (*agents.Execution, error) {
	if a.LastExecution != nil {
		return a.LastExecution, nil
	}
	if a.LastExecutionID.IsZero() {
		return nil, nil
	}
	return loaders.For(ctx).AgentExecution.Load(ctx, a.LastExecutionID)()
}

func agentExecutionEdge(c string, n *agents.Execution) *model.AgentExecutionEdge {
	return &model.AgentExecutionEdge{Cursor: c, Node: n}
}

// jsonObject is a JSON field's value: an absent map is null, not {}.
func jsonObject(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

// paramsObject reads the parameters of runAgent: a JSON object, or nothing.
func paramsObject(v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, apperr.Invalid("parameters", "parameters must be a JSON object.")
	}
	return m, nil
}

// streamEnds is the holder, per operation, of the reason a subscription's
// stream ended early (SLOW_CONSUMER); the HTTP layer sends it as the
// stream's last response.
type streamEnds struct {
	mu     sync.Mutex
	source func() error // the stream's own reason, asked when it ends
}

type streamEndsKey struct{}

// WithStreamEnds returns a context whose operation can report why its
// stream ended; the composition root installs it for every operation.
func WithStreamEnds(ctx context.Context) context.Context {
	return context.WithValue(ctx, streamEndsKey{}, &streamEnds{})
}

// StreamEndError returns, once, the reason the operation's stream ended
// early, or nil.
func StreamEndError(ctx context.Context) error {
	h, _ := ctx.Value(streamEndsKey{}).(*streamEnds)
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.source == nil {
		return nil
	}
	err := h.source()
	h.source = nil
	return err
}

// streamOf hands a service's stream to gqlgen as it is (the service's
// stream is bounded; this adds no buffer and no goroutine), and tells the
// operation to ask the stream why it ended.
func streamOf[T any](ctx context.Context, s *agents.Stream[T]) <-chan *T {
	if h, _ := ctx.Value(streamEndsKey{}).(*streamEnds); h != nil {
		h.mu.Lock()
		h.source = s.Err
		h.mu.Unlock()
	}
	return s.C
}
