package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// join invites member's email to owner's organization and accepts as member.
func join(t *testing.T, s *Service, owner, member *authz.Principal, email string, role authz.Role) {
	t.Helper()
	ctx := context.Background()
	inv, err := s.InviteMember(ctx, owner, email, role)
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	if _, err := s.AcceptInvitation(ctx, member, inv.ID); err != nil {
		t.Fatalf("accept as %s: %v", email, err)
	}
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

func TestInvitationIsAcceptedOnlyByItsInvitee(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	owner := signUpUser(t, s, "owner@example.com")
	bob := signUpUser(t, s, "bob@example.com")
	eve := signUpUser(t, s, "eve@example.com")

	inv, err := s.InviteMember(ctx, owner, " Bob@Example.com ", authz.RoleAdmin)
	if err != nil || inv.Email != "bob@example.com" || inv.Role != authz.RoleAdmin {
		t.Fatalf("invite: %+v %v", inv, err)
	}
	if _, err := s.store.Membership(ctx, owner.OrganizationID, bob.UserID); err == nil {
		t.Fatal("bob became a member without accepting")
	}
	if mine, _ := list(s.MyInvitations(ctx, bob, all)); len(mine) != 1 || mine[0].ID != inv.ID {
		t.Fatalf("bob's invitations: %+v", mine)
	}
	if mine, _ := list(s.MyInvitations(ctx, eve, all)); len(mine) != 0 {
		t.Fatalf("eve sees bob's invitation: %+v", mine)
	}
	_, err = s.AcceptInvitation(ctx, eve, inv.ID)
	wantCode(t, "eve accepts bob's invitation", err, apperr.NotFound)
	m, err := s.AcceptInvitation(ctx, bob, inv.ID)
	if err != nil || m.Role != authz.RoleAdmin || m.OrganizationID != owner.OrganizationID {
		t.Fatalf("bob accepts: %+v %v", m, err)
	}
	_, err = s.AcceptInvitation(ctx, bob, inv.ID)
	wantCode(t, "accept twice", err, apperr.NotFound)
	_, err = s.InviteMember(ctx, owner, "bob@example.com", authz.RoleMember)
	wantCode(t, "invite a member", err, apperr.Conflict)
	_, err = s.AcceptInvitation(ctx, nil, inv.ID)
	wantCode(t, "anonymous accepts", err, apperr.Unauthenticated)
}

func TestInvitationRules(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	owner := signUpUser(t, s, "owner@example.com")
	admin := signUpUser(t, s, "admin@example.com")
	viewer := signUpUser(t, s, "viewer@example.com")
	join(t, s, owner, admin, "admin@example.com", authz.RoleAdmin)
	join(t, s, owner, viewer, "viewer@example.com", authz.RoleViewer)
	adminHere := &authz.Principal{UserID: admin.UserID, OrganizationID: owner.OrganizationID, Role: authz.RoleAdmin, SessionID: "a"}
	viewerHere := &authz.Principal{UserID: viewer.UserID, OrganizationID: owner.OrganizationID, Role: authz.RoleViewer, SessionID: "v"}

	_, err := s.InviteMember(ctx, adminHere, "x@example.com", authz.RoleOwner)
	wantCode(t, "an ADMIN invites an OWNER", err, apperr.Forbidden)
	_, err = s.InviteMember(ctx, viewerHere, "x@example.com", authz.RoleViewer)
	wantCode(t, "a VIEWER invites", err, apperr.Forbidden)
	_, err = s.InviteMember(ctx, owner, "not an address", authz.RoleViewer)
	wantCode(t, "a malformed address", err, apperr.BadUserInput)
	_, err = s.InviteMember(ctx, owner, "x@example.com", authz.Role("ROOT"))
	wantCode(t, "an unknown role", err, apperr.BadUserInput)

	// Another organization's invitation cannot be revoked; its own can, once.
	other := signUpUser(t, s, "other@example.com")
	theirs, err := s.InviteMember(ctx, other, "x@example.com", authz.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.RevokeInvitation(ctx, owner, theirs.ID)
	wantCode(t, "revoke another organization's invitation", err, apperr.NotFound)
	ours, err := s.InviteMember(ctx, adminHere, "x@example.com", authz.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeInvitation(ctx, adminHere, ours.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.RevokeInvitation(ctx, adminHere, ours.ID)
	wantCode(t, "revoke twice", err, apperr.NotFound)

	// Inviting an address again replaces its open invitation.
	first, _ := s.InviteMember(ctx, owner, "y@example.com", authz.RoleViewer)
	second, err := s.InviteMember(ctx, owner, "y@example.com", authz.RoleMember)
	if err != nil || first.ID == second.ID {
		t.Fatalf("invite again: %+v %v", second, err)
	}
	if open, _ := list(s.Invitations(ctx, owner, all)); len(open) != 1 || open[0].ID != second.ID || open[0].Role != authz.RoleMember {
		t.Fatalf("open invitations after inviting twice: %+v", open)
	}
}

// TestInvitationsAnswerAlikeForEveryAddress: whether the address has an
// account, an unfinished sign-up or nothing, the inviter learns nothing.
func TestInvitationsAnswerAlikeForEveryAddress(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	owner := signUpUser(t, s, "owner@example.com")
	signUpUser(t, s, "has-account@example.com")
	u, err := s.newSignUp(ctx, SignUpInput{Email: "pending@example.com", Password: "a long enough password", Name: "P", OrganizationName: "P Co"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.signUpSteps(u)[0](ctx); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"has-account@example.com", "pending@example.com", "nobody@example.com"} {
		inv, err := s.InviteMember(ctx, owner, email, authz.RoleViewer)
		if err != nil || inv.Email != email || inv.Role != authz.RoleViewer || inv.ExpiresAt.Sub(inv.CreatedAt) != invitationTTL {
			t.Fatalf("invite %s: %+v %v", email, inv, err)
		}
	}
}

func TestInvitationExpires(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s, _ := newService(t)
	s.opts.Now = func() time.Time { return now }
	ctx := context.Background()
	owner := signUpUser(t, s, "owner@example.com")
	bob := signUpUser(t, s, "bob@example.com")
	inv, err := s.InviteMember(ctx, owner, "bob@example.com", authz.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(invitationTTL)
	if mine, _ := list(s.MyInvitations(ctx, bob, all)); len(mine) != 0 {
		t.Fatalf("an expired invitation is listed: %+v", mine)
	}
	_, err = s.AcceptInvitation(ctx, bob, inv.ID)
	wantCode(t, "accept an expired invitation", err, apperr.NotFound)
}

// TestOpenInvitationsHaveALimitABurstCannotBeat: the limit at its edge, one
// past it, and a burst against it.
func TestOpenInvitationsHaveALimitABurstCannotBeat(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	owner := signUpUser(t, s, "owner@example.com")
	for i := range maxPendingInvitations - 5 {
		if _, err := s.InviteMember(ctx, owner, fmt.Sprintf("p%d@example.com", i), authz.RoleViewer); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = s.InviteMember(ctx, owner, fmt.Sprintf("burst%d@example.com", i), authz.RoleViewer)
		}()
	}
	wg.Wait()
	open, err := list(s.Invitations(ctx, owner, all))
	if err != nil {
		t.Fatal(err)
	}
	if len(open) > maxPendingInvitations {
		t.Fatalf("%d open invitations after a burst, limit %d", len(open), maxPendingInvitations)
	}
	// Fill to the edge, then one past it.
	for i := 0; len(open) < maxPendingInvitations; i++ {
		if _, err := s.InviteMember(ctx, owner, fmt.Sprintf("fill%d@example.com", i), authz.RoleViewer); err != nil {
			t.Fatalf("invitation %d of %d: %v", len(open)+1, maxPendingInvitations, err)
		}
		open, _ = list(s.Invitations(ctx, owner, all))
	}
	_, err = s.InviteMember(ctx, owner, "one-more@example.com", authz.RoleViewer)
	wantCode(t, "one invitation past the limit", err, apperr.Conflict)
}
