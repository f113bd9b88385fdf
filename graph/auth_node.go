package graph

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// authNode is the node(id:) lookup of the auth module's types. Each type is
// fetched through the service method that applies the rules of the typed
// field returning it:
//
//   - User: the caller, or a member of the caller's active organization;
//   - Organization and Member: an organization the caller belongs to;
//   - OrganizationMembership: the caller's own;
//   - ApiKey: the active organization's, as `apiKeys` (OWNER or ADMIN,
//     signed-in users only);
//   - Invitation: as `invitations`, or an open one addressed to the caller.
//
// Whatever the caller may not see is NOT_FOUND with no hint of whether it
// exists (an anonymous caller is refused before, in node). Viewer ids are
// not nodes.
func (r *Resolver) authNode(ctx context.Context, typ, key string) (model.Node, bool, error) {
	var fetch nodeFetch
	switch typ {
	case typeUser:
		fetch = asNode(r.Auth.User)
	case typeOrganization:
		fetch = asNode(r.Auth.Organization)
	case typeMember:
		fetch = asNode(r.Auth.Member)
	case typeOrganizationMembership:
		fetch = func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error) {
			m, err := r.Auth.Membership(ctx, p, id)
			om := model.OrganizationMembership(m)
			return &om, err
		}
	case typeAPIKey:
		fetch = asNode(r.Auth.APIKey)
	case typeInvitation:
		fetch = asNode(r.Auth.Invitation)
	default:
		return nil, false, nil
	}
	id, err := bson.ObjectIDFromHex(key)
	if err != nil {
		return nil, true, errNoNode()
	}
	n, err := fetch(ctx, authz.FromContext(ctx), id)
	if err == nil {
		return n, true, nil
	}
	switch apperr.CodeOf(err) {
	case apperr.NotFound, apperr.Forbidden, apperr.Unauthenticated:
		return nil, true, errNoNode()
	}
	return nil, true, err
}

// nodeFetch fetches one object by its key for node(id:).
type nodeFetch func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error)

// asNode adapts a service's lookup by id to a nodeFetch.
func asNode[T any](get func(context.Context, *authz.Principal, bson.ObjectID) (T, error)) nodeFetch {
	return func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error) {
		v, err := get(ctx, p, id)
		return &v, err
	}
}
