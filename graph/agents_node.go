package graph

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/authz"
)

// agentsNode is the node(id:) lookup of the agents module's types. Each
// goes through the same service method, with the same rules (VIEWER or
// above, the caller's organization only), as the typed field that returns
// it; what another organization owns is NOT_FOUND.
func (r *Resolver) agentsNode(ctx context.Context, typ, key string) (model.Node, bool, error) {
	p := authz.FromContext(ctx)
	switch typ {
	case typeAgent:
		org, k, ok := strings.Cut(key, ":")
		if !ok || p != nil && org != p.OrganizationID.Hex() {
			return nil, true, errNoNode()
		}
		return found(r.AgentService.Agent(ctx, p, k))
	case typeAgentExecution:
		id, err := bson.ObjectIDFromHex(key)
		if err != nil {
			return nil, true, errNoNode()
		}
		return found(r.AgentService.Execution(ctx, p, id))
	}
	return nil, false, nil
}
