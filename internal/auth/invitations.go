package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// Invitation asks the person with an email address to join an
// organization with a role. Nobody joins an organization without accepting:
// the invitee sees it after signing in with that address (me.invitations)
// and accepts it, or lets it expire.
type Invitation struct {
	ID             bson.ObjectID `bson:"_id"`            // the invitation's id
	OrganizationID bson.ObjectID `bson:"organizationId"` // the organization to join
	Email          string        `bson:"email"`          // the invitee, canonical form
	Role           authz.Role    `bson:"role"`           // the role they get on accepting
	InvitedBy      bson.ObjectID `bson:"invitedBy"`      // the member who invited
	CreatedAt      time.Time     `bson:"createdAt"`      // when it was sent
	ExpiresAt      time.Time     `bson:"expiresAt"`      // after this it cannot be accepted
}

// Invitation limits.
const (
	// invitationTTL is how long an invitation can be accepted.
	invitationTTL = 7 * 24 * time.Hour
	// maxPendingInvitations bounds an organization's open invitations, so
	// that no one can use Omnify to pile up invitations for strangers.
	maxPendingInvitations = 50
)

// InviteMember invites the person with the email to the caller's
// organization with the role. It answers alike whether or not the address
// has an Omnify account, so it cannot be used to find out who does; the
// person sees the invitation once they sign in (or sign up) with that
// address. Inviting an address again replaces its open invitation. OWNER
// or ADMIN; signed-in users only; only an OWNER can invite an OWNER.
//
// Returns BAD_USER_INPUT for a malformed email or unknown role, FORBIDDEN
// for an OWNER invitation by an ADMIN, CONFLICT (field email) when the
// person is already a member, CONFLICT when the organization has
// maxPendingInvitations open invitations.
func (s *Service) InviteMember(ctx context.Context, p *authz.Principal, emailIn string, role authz.Role) (Invitation, error) {
	if err := authz.RequireUser(p, authz.RoleAdmin); err != nil {
		return Invitation{}, err
	}
	email, err := normalizeEmail("email", emailIn)
	if err != nil {
		return Invitation{}, err
	}
	if err := s.checkGrant(p, role); err != nil {
		return Invitation{}, err
	}
	// Membership is the caller's own organization's business; whether the
	// address has an account at all is not told.
	if u, err := s.store.UserByEmail(ctx, email); err == nil {
		if _, err := s.store.Membership(ctx, p.OrganizationID, u.ID); err == nil {
			return Invitation{}, &apperr.Error{Code: apperr.Conflict, Field: "email", Message: "This person is already a member of the organization."}
		} else if !errors.Is(err, errNotFound) {
			return Invitation{}, err
		}
	} else if !errors.Is(err, errNotFound) {
		return Invitation{}, err
	}
	now := s.now()
	inv := Invitation{ID: bson.NewObjectID(), OrganizationID: p.OrganizationID, Email: email, Role: role,
		InvitedBy: p.UserID, CreatedAt: now, ExpiresAt: now.Add(invitationTTL)}
	if err := s.store.DeleteInvitationTo(ctx, p.OrganizationID, email); err != nil {
		return Invitation{}, err
	}
	// Record first, then count: of a burst, those past the limit see the
	// others and take their own back.
	if err := s.store.InsertInvitation(ctx, inv); err != nil {
		if errors.Is(err, errDuplicate) {
			return Invitation{}, &apperr.Error{Code: apperr.Conflict, Field: "email", Message: "This address is being invited at this moment; look at the open invitations."}
		}
		return Invitation{}, err
	}
	n, err := s.store.CountInvitations(ctx, p.OrganizationID, now)
	if err == nil && n > maxPendingInvitations {
		err = apperr.New(apperr.Conflict, "This organization has %d open invitations, the most it may have; revoke some first.", maxPendingInvitations)
	}
	if err != nil {
		if derr := s.store.DeleteInvitation(context.WithoutCancel(ctx), p.OrganizationID, inv.ID); derr != nil {
			s.opts.Logger.WarnContext(ctx, "delete an invitation past the limit", slog.Any("error", derr))
		}
		return Invitation{}, err
	}
	s.opts.Logger.InfoContext(ctx, "member invited", slog.String("invitation_id", inv.ID.Hex()), slog.String("organization_id", p.OrganizationID.Hex()))
	return inv, nil
}

// Invitations returns a page of the caller's organization's open
// invitations, newest first. OWNER or ADMIN; signed-in users only.
func (s *Service) Invitations(ctx context.Context, p *authz.Principal, r page.Request) (page.Page[Invitation], error) {
	if err := authz.RequireUser(p, authz.RoleAdmin); err != nil {
		return page.Page[Invitation]{}, err
	}
	return s.store.InvitationsOfOrganization(ctx, p.OrganizationID, s.now(), r)
}

// MyInvitations returns a page of the open invitations addressed to the
// signed-in user's email, of every organization, newest first. Any caller;
// an API key has none.
func (s *Service) MyInvitations(ctx context.Context, p *authz.Principal, r page.Request) (page.Page[Invitation], error) {
	if err := authz.Require(p, authz.RoleViewer); err != nil {
		return page.Page[Invitation]{}, err
	}
	if p.IsAPIKey() {
		return page.Make(r, []Invitation(nil), 0, invitationKey), nil
	}
	u, err := s.self(ctx, p.UserID)
	if err != nil {
		return page.Page[Invitation]{}, err
	}
	return s.store.InvitationsTo(ctx, u.Email, s.now(), r)
}

// Invitation returns an open invitation the caller may see: one of the
// active organization's (OWNER or ADMIN, signed in), or one addressed to
// the signed-in caller. Returns NOT_FOUND otherwise.
func (s *Service) Invitation(ctx context.Context, p *authz.Principal, id bson.ObjectID) (Invitation, error) {
	if err := authz.RequireUser(p, authz.RoleViewer); err != nil {
		return Invitation{}, err
	}
	inv, err := s.store.Invitation(ctx, id)
	if errors.Is(err, errNotFound) || err == nil && !s.now().Before(inv.ExpiresAt) {
		return Invitation{}, errNoInvitation
	}
	if err != nil {
		return Invitation{}, err
	}
	if inv.OrganizationID == p.OrganizationID && p.Role.AtLeast(authz.RoleAdmin) {
		return inv, nil
	}
	u, err := s.self(ctx, p.UserID)
	if err != nil {
		return Invitation{}, err
	}
	if inv.Email != u.Email {
		return Invitation{}, errNoInvitation
	}
	return inv, nil
}

// AcceptInvitation makes the signed-in user a member of the invitation's
// organization with its role, and ends the invitation. The invitation must
// be addressed to the user's email and not expired; accepting when already
// a member keeps the existing membership.
//
// Signed-in users only: returns UNAUTHENTICATED for an anonymous caller,
// FORBIDDEN for an API key, NOT_FOUND for an unknown, revoked, expired or
// someone else's invitation.
func (s *Service) AcceptInvitation(ctx context.Context, p *authz.Principal, oid bson.ObjectID) (Membership, error) {
	if err := authz.RequireUser(p, authz.RoleViewer); err != nil {
		return Membership{}, err
	}
	u, err := s.self(ctx, p.UserID)
	if err != nil {
		return Membership{}, err
	}
	inv, err := s.store.Invitation(ctx, oid)
	if errors.Is(err, errNotFound) || err == nil && (inv.Email != u.Email || !s.now().Before(inv.ExpiresAt)) {
		return Membership{}, errNoInvitation
	}
	if err != nil {
		return Membership{}, err
	}
	now := s.now()
	m := Membership{ID: bson.NewObjectID(), UserID: u.ID, OrganizationID: inv.OrganizationID, Role: inv.Role, CreatedAt: now, UpdatedAt: now}
	switch err := s.store.InsertMembership(ctx, m); {
	case errors.Is(err, errDuplicate):
		if m, err = s.store.Membership(ctx, inv.OrganizationID, u.ID); err != nil {
			return Membership{}, err
		}
	case err != nil:
		return Membership{}, err
	}
	if err := s.store.DeleteInvitation(ctx, inv.OrganizationID, inv.ID); err != nil {
		s.opts.Logger.WarnContext(ctx, "end an accepted invitation", slog.Any("error", err))
	}
	s.opts.Logger.InfoContext(ctx, "invitation accepted", slog.String("invitation_id", inv.ID.Hex()),
		slog.String("user_id", u.ID.Hex()), slog.String("organization_id", inv.OrganizationID.Hex()))
	return m, nil
}

// RevokeInvitation ends an open invitation of the caller's organization.
// OWNER or ADMIN; signed-in users only; NOT_FOUND for another
// organization's invitation or one that is no longer open.
func (s *Service) RevokeInvitation(ctx context.Context, p *authz.Principal, oid bson.ObjectID) (Invitation, error) {
	if err := authz.RequireUser(p, authz.RoleAdmin); err != nil {
		return Invitation{}, err
	}
	inv, err := s.store.Invitation(ctx, oid)
	if errors.Is(err, errNotFound) || err == nil && inv.OrganizationID != p.OrganizationID {
		return Invitation{}, errNoInvitation
	}
	if err != nil {
		return Invitation{}, err
	}
	if err := s.store.DeleteInvitation(ctx, p.OrganizationID, oid); err != nil {
		return Invitation{}, err
	}
	return inv, nil
}
