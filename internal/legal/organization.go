package legal

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// OrganizationPending is a current document an organization has not
// accepted yet, as every member sees it.
type OrganizationPending struct {
	// Document is the version to accept, without its body.
	Document Document
	// SignableBy is the role that accepts it for the organization.
	SignableBy authz.Role
	// Since is when the organization's acceptance became due: the
	// version's publication.
	Since time.Time
}

// sign records rec, an OWNER's acceptance on behalf of the organization,
// unless the organization accepted that version before: then it records
// nothing and returns the existing record, whoever made it. The unique
// index on organization and document makes concurrent signatures (two
// OWNERs, two replicas) record one.
func (s *Service) sign(ctx context.Context, rec Acceptance) (Acceptance, error) {
	existing, err := s.store.signature(ctx, rec.OrganizationID, rec.DocumentID)
	if err != nil || existing != nil {
		return deref(existing), err
	}
	err = s.store.insertSignature(ctx, rec)
	switch {
	case err == nil:
		return rec, nil
	case !mongo.IsDuplicateKeyError(err):
		return Acceptance{}, fmt.Errorf("legal: record organization acceptance of %s version %d: %w", rec.Kind, rec.Version, err)
	}
	// Another OWNER or replica signed it in the meantime.
	existing, err = s.store.signature(ctx, rec.OrganizationID, rec.DocumentID)
	if err != nil {
		return Acceptance{}, err
	}
	if existing == nil {
		return Acceptance{}, fmt.Errorf("legal: organization acceptance of %s version %d is reported to exist but cannot be found", rec.Kind, rec.Version)
	}
	return *existing, nil
}

// deref returns *a, or the zero record for nil.
func deref(a *Acceptance) Acceptance {
	if a == nil {
		return Acceptance{}
	}
	return *a
}

// OrganizationPending returns the current documents the organization orgID
// has not accepted yet, for every member to see: the DPA when no OWNER has
// signed its current version for the organization (a personal record by an
// OWNER of the organization, from before organization acceptances, counts),
// with who signs it and since when. Bodies are left out.
//
// Any member of the organization, API keys of their own organization; an
// organization the caller does not belong to is NOT_FOUND. It costs at most
// three queries.
func (s *Service) OrganizationPending(ctx context.Context, p *authz.Principal, orgID bson.ObjectID) ([]OrganizationPending, error) {
	if err := authz.Require(p, authz.RoleViewer); err != nil {
		return nil, err
	}
	if orgID != p.OrganizationID {
		if s.orgs == nil || p.IsAPIKey() {
			return nil, apperr.New(apperr.NotFound, "No such organization.")
		}
		if err := s.orgs.CanSee(ctx, p, orgID); err != nil {
			return nil, err
		}
	}
	current, _, err := s.current.get(ctx)
	if err != nil {
		return nil, err
	}
	var out []OrganizationPending
	for _, d := range current {
		if d.Kind.Scope() != ScopeOrganization {
			continue
		}
		signed, err := s.store.signature(ctx, orgID, d.ID)
		if err != nil {
			return nil, err
		}
		if signed == nil {
			out = append(out, OrganizationPending{Document: d, SignableBy: Signer, Since: d.PublishedAt})
		}
	}
	return out, nil
}
