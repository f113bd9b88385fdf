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
// Whatever the caller may not see, an anonymous caller included, is
// NOT_FOUND with no hint of whether it exists. Viewer ids are not nodes.
func (r *Resolver) authNode(ctx context.Context, typ, key string) (model.Node, bool, error) {
	var fetch func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error)
	switch typ {
	case typeUser:
		fetch = func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error) {
			u, err := r.Auth.User(ctx, p, id)
			return &u, err
		}
	case typeOrganization:
		fetch = func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error) {
			o, err := r.Auth.Organization(ctx, p, id)
			return &o, err
		}
	case typeMember:
		fetch = func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error) {
			m, err := r.Auth.Member(ctx, p, id)
			return &m, err
		}
	case typeOrganizationMembership:
		fetch = func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error) {
			m, err := r.Auth.Membership(ctx, p, id)
			om := model.OrganizationMembership(m)
			return &om, err
		}
	case typeAPIKey:
		fetch = func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error) {
			k, err := r.Auth.APIKey(ctx, p, id)
			return &k, err
		}
	case typeInvitation:
		fetch = func(ctx context.Context, p *authz.Principal, id bson.ObjectID) (model.Node, error) {
			inv, err := r.Auth.Invitation(ctx, p, id)
			return &inv, err
		}
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
