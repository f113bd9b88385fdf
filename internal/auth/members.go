package auth

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/mongodb"
	"github.com/omnify/bff/internal/page"
	"github.com/omnify/bff/internal/text"
)

// Memberships returns a page of the caller's organizations with the
// caller's role in each, oldest first. Any caller; an API key belongs to
// its one organization only, with the role it acts with (a membership
// without an id of its own).
func (s *Service) Memberships(ctx context.Context, p *authz.Principal, r page.Request) (page.Page[Membership], error) {
	if err := authz.Require(p, authz.RoleViewer); err != nil {
		return page.Page[Membership]{}, err
	}
	if p.IsAPIKey() {
		only := []Membership{{OrganizationID: p.OrganizationID, Role: p.Role}}
		return page.Slice(r, only, membershipKey, func(Membership, []string) bool { return false }), nil
	}
	return s.store.MembershipsOfUser(ctx, p.UserID, r)
}

// Membership returns one of the caller's own memberships by its id.
// Signed-in users only. Returns NOT_FOUND for anyone else's.
func (s *Service) Membership(ctx context.Context, p *authz.Principal, id bson.ObjectID) (Membership, error) {
	if err := authz.RequireUser(p, authz.RoleViewer); err != nil {
		return Membership{}, err
	}
	m, err := s.store.MembershipByID(ctx, id)
	if errors.Is(err, errNotFound) || err == nil && m.UserID != p.UserID {
		return Membership{}, errNoMembership
	}
	return m, err
}

// canSee checks that the caller may see the organization orgID and its
// members: its own active organization, or, for a signed-in user, any
// organization the user belongs to. Returns NOT_FOUND otherwise.
func (s *Service) canSee(ctx context.Context, p *authz.Principal, orgID bson.ObjectID) error {
	if err := authz.Require(p, authz.RoleViewer); err != nil {
		return err
	}
	if orgID == p.OrganizationID {
		return nil
	}
	if p.IsAPIKey() {
		return errNoOrg
	}
	if _, err := s.store.Membership(ctx, orgID, p.UserID); errors.Is(err, errNotFound) {
		return errNoOrg
	} else if err != nil {
		return err
	}
	return nil
}

// CanSee returns nil when the caller may see the organization orgID: its
// active organization, or for a signed-in user any organization the user
// belongs to. Returns NOT_FOUND otherwise. Other modules use it to answer
// for an organization the same way this one does.
func (s *Service) CanSee(ctx context.Context, p *authz.Principal, orgID bson.ObjectID) error {
	return s.canSee(ctx, p, orgID)
}

// Organization returns an organization the caller belongs to (an API key:
// its own). Any caller. Returns NOT_FOUND for any other organization.
func (s *Service) Organization(ctx context.Context, p *authz.Principal, id bson.ObjectID) (Organization, error) {
	if err := s.canSee(ctx, p, id); err != nil {
		return Organization{}, err
	}
	o, err := s.store.Organization(ctx, id)
	if errors.Is(err, errNotFound) {
		return Organization{}, errNoOrg
	}
	return o, err
}

// Members returns a page of the members of an organization the caller
// belongs to, oldest first. Any caller (API keys: of their organization).
// Returns NOT_FOUND for any other organization.
func (s *Service) Members(ctx context.Context, p *authz.Principal, orgID bson.ObjectID, r page.Request) (page.Page[Membership], error) {
	if err := s.canSee(ctx, p, orgID); err != nil {
		return page.Page[Membership]{}, err
	}
	return s.store.MembershipsOfOrganization(ctx, orgID, r)
}

// Member returns a membership by its id, with the rules of Members: the
// caller must see its organization. Returns NOT_FOUND otherwise.
func (s *Service) Member(ctx context.Context, p *authz.Principal, id bson.ObjectID) (Membership, error) {
	if err := authz.Require(p, authz.RoleViewer); err != nil {
		return Membership{}, err
	}
	m, err := s.store.MembershipByID(ctx, id)
	if errors.Is(err, errNotFound) {
		return Membership{}, errNoMembership
	}
	if err != nil {
		return Membership{}, err
	}
	if err := s.canSee(ctx, p, m.OrganizationID); err != nil {
		return Membership{}, errNoMembership
	}
	return m, nil
}

// User returns a user the caller may see: the caller, or a member of the
// caller's active organization. Any caller. Returns NOT_FOUND otherwise.
func (s *Service) User(ctx context.Context, p *authz.Principal, id bson.ObjectID) (User, error) {
	if err := authz.Require(p, authz.RoleViewer); err != nil {
		return User{}, err
	}
	if id != p.UserID {
		if _, err := s.store.Membership(ctx, p.OrganizationID, id); errors.Is(err, errNotFound) {
			return User{}, errNoUser
		} else if err != nil {
			return User{}, err
		}
	}
	u, err := s.store.User(ctx, id)
	if errors.Is(err, errNotFound) || err == nil && u.PendingSignUp != nil {
		return User{}, errNoUser
	}
	return u, err
}

func (s *Service) checkGrant(p *authz.Principal, role authz.Role) error {
	if !role.Valid() {
		return apperr.Invalid("role", "%q is not a role; use OWNER, ADMIN, MEMBER or VIEWER.", text.Shorten(string(role), 20))
	}
	if role == authz.RoleOwner && p.Role != authz.RoleOwner {
		return apperr.New(apperr.Forbidden, "Only an OWNER can make someone an OWNER.")
	}
	return nil
}

// UpdateMemberRole changes a member's role. OWNER or ADMIN; signed-in users
// only; only an OWNER can grant or take away OWNER. The last OWNER cannot
// be demoted (CONFLICT). Returns NOT_FOUND (field userId) if the user is not
// a member.
func (s *Service) UpdateMemberRole(ctx context.Context, p *authz.Principal, userID bson.ObjectID, role authz.Role) (Membership, error) {
	if err := authz.RequireUser(p, authz.RoleAdmin); err != nil {
		return Membership{}, err
	}
	if err := s.checkGrant(p, role); err != nil {
		return Membership{}, err
	}
	var out Membership
	err := s.changeMembers(ctx, p, userID, func(cur Membership) error {
		if cur.Role == role {
			out = cur
			return nil
		}
		if cur.Role == authz.RoleOwner {
			if err := s.keepAnOwner(ctx, p.OrganizationID); err != nil {
				return err
			}
		}
		m, ok, err := s.store.SetRole(ctx, p.OrganizationID, userID, cur.Role, role, s.now())
		if err == nil && !ok {
			err = apperr.New(apperr.Conflict, "The member's role changed meanwhile; reload and try again.")
		}
		out = m
		return err
	})
	if err == nil {
		s.changed(ctx, Change{UserID: userID, OrganizationID: p.OrganizationID})
	}
	return out, err
}

// RemoveMember removes a user from the caller's organization and returns
// the membership removed. OWNER or ADMIN, or any member removing
// themselves; signed-in users only. Only an OWNER removes an OWNER; the
// last OWNER cannot be removed (CONFLICT). Returns NOT_FOUND (field userId)
// if the user is not a member.
func (s *Service) RemoveMember(ctx context.Context, p *authz.Principal, userID bson.ObjectID) (Membership, error) {
	least := authz.RoleAdmin
	if p != nil && userID == p.UserID {
		least = authz.RoleViewer
	}
	if err := authz.RequireUser(p, least); err != nil {
		return Membership{}, err
	}
	var out Membership
	err := s.changeMembers(ctx, p, userID, func(cur Membership) error {
		if cur.Role == authz.RoleOwner {
			if err := s.keepAnOwner(ctx, p.OrganizationID); err != nil {
				return err
			}
		}
		ok, err := s.store.DeleteMembership(ctx, p.OrganizationID, userID, cur.Role)
		if err == nil && !ok {
			err = apperr.New(apperr.Conflict, "The member's role changed meanwhile; reload and try again.")
		}
		out = cur
		return err
	})
	if err == nil {
		s.changed(ctx, Change{UserID: userID, OrganizationID: p.OrganizationID})
	}
	return out, err
}

// changeMembers runs change on a member's current membership while holding
// the organization's membership lock, so that concurrent changes cannot
// together remove every OWNER. Only an OWNER may change an OWNER.
func (s *Service) changeMembers(ctx context.Context, p *authz.Principal, userID bson.ObjectID, change func(cur Membership) error) error {
	release, err := s.store.LockMembers(ctx, p.OrganizationID)
	if errors.Is(err, mongodb.ErrLocked) {
		return apperr.New(apperr.Conflict, "The organization's members are being changed right now; try again.")
	}
	if err != nil {
		return err
	}
	defer release()
	cur, err := s.store.Membership(ctx, p.OrganizationID, userID)
	if errors.Is(err, errNotFound) {
		return errNoMember
	}
	if err != nil {
		return err
	}
	if cur.Role == authz.RoleOwner && p.Role != authz.RoleOwner {
		return apperr.New(apperr.Forbidden, "Only an OWNER can change or remove an OWNER.")
	}
	return change(cur)
}

// keepAnOwner refuses a change that would take away the last OWNER.
func (s *Service) keepAnOwner(ctx context.Context, orgID bson.ObjectID) error {
	n, err := s.store.CountOwners(ctx, orgID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return apperr.New(apperr.Conflict, "An organization needs at least one OWNER; make someone else an OWNER first.")
	}
	return nil
}

// OrganizationIDs returns up to limit organization ids greater than after,
// in order, so that other modules can prepare every organization at
// start-up (the agents catalog). It reads no tenant data.
func (s *Service) OrganizationIDs(ctx context.Context, after bson.ObjectID, limit int) ([]bson.ObjectID, error) {
	return s.store.OrganizationIDs(ctx, after, limit)
}

// self returns the signed-in caller's own user; UNAUTHENTICATED when it is
// gone.
func (s *Service) self(ctx context.Context, id bson.ObjectID) (User, error) {
	u, err := s.store.User(ctx, id)
	if errors.Is(err, errNotFound) {
		return User{}, authz.Unauthenticated()
	}
	return u, err
}
