package graph

import (
	"context"
	"errors"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/globalid"
	"github.com/omnify/bff/internal/legal"
	"github.com/omnify/bff/internal/loaders"
	"github.com/omnify/bff/internal/page"
)

// legalOrigin is where the request comes from, recorded with acceptances.
func legalOrigin(ctx context.Context) legal.Origin {
	c := auth.ClientFromContext(ctx)
	return legal.Origin{IP: c.IP, UserAgent: c.UserAgent}
}

// legalDocumentIDs decodes the global ids of legal documents given in the
// input field field. A malformed id, or the id of another type, is
// BAD_USER_INPUT naming field; the list's length is checked by the service.
func legalDocumentIDs(ids []string, field string) ([]bson.ObjectID, error) {
	if len(ids) > legal.MaxAcceptIDs {
		return nil, apperr.Invalid(field, "At most %d documents can be accepted at once, got %d.", legal.MaxAcceptIDs, len(ids))
	}
	out := make([]bson.ObjectID, len(ids))
	for i, id := range ids {
		oid, err := decodeOID(id, typeLegalDocument, field)
		if err != nil {
			return nil, apperr.Invalid(field, "%s[%d] is not the id of a legal document.", field, i)
		}
		out[i] = oid
	}
	return out, nil
}

// viewerLegal is where the caller stands with the legal documents. API
// keys are never gated, so they are always up to date.
func (r *Resolver) viewerLegal(ctx context.Context, p *authz.Principal) (*model.ViewerLegal, error) {
	if p == nil || p.IsAPIKey() {
		return &model.ViewerLegal{UpToDate: true, Pending: []*legal.Document{}, Principal: p}, nil
	}
	pending, err := r.Legal.Pending(ctx, p)
	if err != nil {
		return nil, err
	}
	ids := make([]bson.ObjectID, len(pending))
	for i, d := range pending {
		ids[i] = d.ID
	}
	// Pending leaves out the bodies; the loader brings whole documents.
	docs, errs := loaders.For(ctx).LegalDocument.LoadMany(ctx, ids)()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &model.ViewerLegal{UpToDate: len(pending) == 0, Pending: docs, Principal: p}, nil
}

// organizationAcceptanceKey starts the global-id key of an organization
// acceptance, whose records are kept apart from personal ones: a personal
// record's key is its ObjectID, an organization record's this prefix and its
// ObjectID, so the two kinds never share an id and node(id:) knows where to
// look.
const organizationAcceptanceKey = "organization:"

// legalAcceptanceID is the global id of an acceptance record.
func legalAcceptanceID(a *legal.Acceptance) string {
	if a.Scope == legal.ScopeOrganization {
		return globalid.Encode(typeLegalAcceptance, organizationAcceptanceKey+a.ID.Hex())
	}
	return oid(typeLegalAcceptance, a.ID)
}

// legalAcceptanceConnection is a page of acceptance records in the schema's shape.
func legalAcceptanceConnection(ctx context.Context, p page.Page[legal.Acceptance]) *model.LegalAcceptanceConnection {
	preloadAcceptances(ctx, p.Items)
	return &model.LegalAcceptanceConnection{
		Edges: edgesOf(p, func(c string, n *legal.Acceptance) *model.LegalAcceptanceEdge {
			return &model.LegalAcceptanceEdge{Cursor: c, Node: n}
		}),
		Nodes:      nodesOf(p),
		PageInfo:   pageInfoOf(p),
		TotalCount: p.TotalCount,
	}
}

// legalNode is the node(id:) lookup of the legal module's types.
func (r *Resolver) legalNode(ctx context.Context, typ, key string) (model.Node, bool, error) {
	switch typ {
	case typeLegalDocument:
		id, err := bson.ObjectIDFromHex(key)
		if err != nil {
			return nil, true, errNoNode()
		}
		d, err := loaders.For(ctx).LegalDocument.Load(ctx, id)()
		if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound {
			return nil, true, errNoNode()
		}
		if err != nil {
			return nil, true, err
		}
		return d, true, nil
	case typeLegalAcceptance:
		scope, hex := legal.ScopePersonal, key
		if rest, ok := strings.CutPrefix(key, organizationAcceptanceKey); ok {
			scope, hex = legal.ScopeOrganization, rest
		}
		id, err := bson.ObjectIDFromHex(hex)
		if err != nil {
			return nil, true, errNoNode()
		}
		a, err := r.Legal.Acceptance(ctx, authz.FromContext(ctx), scope, id)
		if err != nil {
			return nil, true, err
		}
		return &a, true, nil
	}
	return nil, false, nil
}
