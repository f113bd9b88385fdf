package graph

import (
	"context"

	"github.com/omnify/bff/graph/model"
)

// integrationsNode is the node(id:) lookup of the integrations module's types.
func (r *Resolver) integrationsNode(ctx context.Context, typ, key string) (model.Node, bool, error) {
	return nil, false, nil
}
