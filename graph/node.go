package graph

import (
	"context"

	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/globalid"
)

// nodeLookup fetches the object of one GraphQL type by the key in its global
// id, applying the same tenant and role rules as the typed field that
// returns it. It answers ok false for a type it does not know.
type nodeLookup func(ctx context.Context, typ, key string) (n model.Node, ok bool, err error)

// node resolves `node(id:)`: each module's lookup is asked in turn; an id no
// module knows, or whose object the caller may not see, is NOT_FOUND.
func (r *Resolver) node(ctx context.Context, id string) (model.Node, error) {
	typ, key, err := globalid.Decode(id, "id")
	if err != nil {
		return nil, err
	}
	// Legal documents are public; everything else needs a caller, as the
	// typed fields do. The answer does not depend on whether the id exists.
	if authz.FromContext(ctx) == nil && typ != typeLegalDocument {
		return nil, authz.Unauthenticated()
	}
	for _, lookup := range []nodeLookup{r.authNode, r.legalNode, r.integrationsNode, r.agentsNode} {
		n, ok, err := lookup(ctx, typ, key)
		if !ok {
			continue
		}
		if err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, errNoNode()
}

// errNoNode is the answer for an id that names nothing the caller may see.
func errNoNode() error {
	return apperr.New(apperr.NotFound, "Nothing with this id exists or is visible to you.")
}
