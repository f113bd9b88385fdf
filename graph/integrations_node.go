package graph

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations"
)

// integrationsNode is the node(id:) lookup of the integrations module's
// types. Each goes through the same service method, with the same rules
// (VIEWER or above, the caller's organization only), as the typed field
// that returns it; what another organization owns is NOT_FOUND.
func (r *Resolver) integrationsNode(ctx context.Context, typ, key string) (model.Node, bool, error) {
	svc, p := r.IntegrationService, authz.FromContext(ctx)
	switch typ {
	case typeIntegration:
		org, platform, ok := strings.Cut(key, ":")
		if p != nil && org != p.OrganizationID.Hex() || !ok || !integrations.Platform(platform).Valid() {
			return nil, true, errNoNode()
		}
		return found(svc.Integration(ctx, p, integrations.Platform(platform)))
	case typeIntegrationSync:
		id, err := bson.ObjectIDFromHex(key)
		if err != nil {
			return nil, true, errNoNode()
		}
		return found(svc.SyncRun(ctx, p, id))
	case typeDeal:
		return found(svc.Deal(ctx, p, key))
	case typeContact:
		return found(svc.Contact(ctx, p, key))
	case typeEmailCampaign:
		return found(svc.Campaign(ctx, p, key))
	case typeEmailFlow:
		return found(svc.Flow(ctx, p, key))
	}
	return nil, false, nil
}

// found is a node lookup's answer for a service's result: the object, or
// its error, with NOT_FOUND in node's words.
func found[T any](v T, err error) (model.Node, bool, error) {
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.NotFound {
		return nil, true, errNoNode()
	}
	if err != nil {
		return nil, true, err
	}
	return &v, true, nil
}
