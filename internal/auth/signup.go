package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// SignUpInput is what a new user gives.
type SignUpInput struct {
	Email            string // see normalizeEmail: NFKC, trimmed, lower-cased, no invisible characters, a domain name
	Password         string // see checkPassword: 10 to 256 characters, not the email, not a common password
	Name             string // the user's name
	OrganizationName string // the new organization's name
	// Then, if set, is the rest of the sign-up that other modules do (such
	// as recording the legal documents the user accepted). It runs once the
	// account, its organization and its session exist, before the session
	// cookie is set; if it fails, the sign-up is undone and its error
	// returned.
	Then func(ctx context.Context, p *authz.Principal) error
}

// SignUp creates a user, a new organization with the user as its OWNER, and
// a session, whose token goes to the browser through the request's
// SessionCookie.
//
// There are no transactions, so a sign-up is a few writes that converge.
// The first inserts the user marked pending, with the ids of everything
// still to create; the unique email index makes it the write that settles
// a race between two sign-ups with one email. Until the mark is cleared the
// account cannot be seen: it cannot log in unfinished, nor be added to an
// organization. A sign-up stopped after that write (the process killed, a
// write failing) is finished, with the same ids, by whoever finds it next:
// a second sign-up with the email, a login with the password, or
// FinishSignUps when the next process starts.
//
// A sign-up either succeeds whole (account, organization, membership,
// session, and whatever in.Then records) or leaves no account behind: when
// the session or in.Then fails, the sign-up is undone (see undoSignUp). The
// session cookie is set last, when nothing can fail any more. Anyone may
// call it.
//
// Returns BAD_USER_INPUT for an unacceptable email, password or name;
// CONFLICT (field email) if the email is taken; in.Then's error if it fails.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*authz.Principal, error) {
	cookie := sessionCookieFrom(ctx)
	if cookie == nil {
		return nil, apperr.New(apperr.BadUserInput, "Sign up with an HTTP POST request, so the session cookie can be set.")
	}
	u, err := s.newSignUp(ctx, in)
	if err != nil {
		return nil, err
	}
	steps := s.signUpSteps(u)
	if err := steps[0](ctx); err != nil {
		if errors.Is(err, errDuplicate) {
			// The email's owner may be a sign-up that was interrupted: finish
			// it, so that the answer "log in instead" is true.
			if other, err := s.store.UserByEmail(ctx, u.Email); err == nil {
				s.finishSignUp(ctx, other)
			}
			return nil, errEmailTaken
		}
		return nil, err
	}
	for _, step := range steps[1:] {
		if err := step(ctx); err != nil {
			return nil, err // the next attempt finishes it (see above)
		}
	}
	p, token, expires, err := s.startSession(ctx, u.ID, u.PendingSignUp.OrganizationID, authz.RoleOwner)
	if err == nil && in.Then != nil {
		err = in.Then(ctx, p)
	}
	if err != nil {
		s.undoSignUp(ctx, u)
		return nil, err
	}
	cookie.Set(token, expires)
	s.opts.Logger.InfoContext(ctx, "user signed up", slog.String("user_id", u.ID.Hex()),
		slog.String("organization_id", u.PendingSignUp.OrganizationID.Hex()))
	return p, nil
}

// newSignUp checks a sign-up's input and returns the pending user it writes
// first.
func (s *Service) newSignUp(ctx context.Context, in SignUpInput) (User, error) {
	email, err := normalizeEmail("email", in.Email)
	if err != nil {
		return User{}, err
	}
	if err := checkPassword("password", in.Password, email); err != nil {
		return User{}, err
	}
	name, err := checkName("name", "your name", in.Name)
	if err != nil {
		return User{}, err
	}
	orgName, err := checkName("organizationName", "an organization name", in.OrganizationName)
	if err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	return User{
		ID: bson.NewObjectID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
		PendingSignUp: &PendingSignUp{
			OrganizationID: bson.NewObjectID(), OrganizationName: orgName, MembershipID: bson.NewObjectID(), StartedAt: now,
		},
	}, nil
}

// signUpSteps are the writes of u's sign-up, in order. Every step after the
// first creates a document with an id fixed in the first, so running it
// again, or in two processes at once, changes nothing.
func (s *Service) signUpSteps(u User) []func(context.Context) error {
	ps := u.PendingSignUp
	return []func(context.Context) error{
		func(ctx context.Context) error { return s.store.InsertUser(ctx, u) },
		func(ctx context.Context) error {
			return existing(s.store.InsertOrganization(ctx, Organization{ID: ps.OrganizationID, Name: ps.OrganizationName, CreatedAt: ps.StartedAt}))
		},
		func(ctx context.Context) error {
			return existing(s.store.InsertMembership(ctx, Membership{
				ID: ps.MembershipID, UserID: u.ID, OrganizationID: ps.OrganizationID, Role: authz.RoleOwner,
				CreatedAt: ps.StartedAt, UpdatedAt: ps.StartedAt,
			}))
		},
		func(ctx context.Context) error { return s.store.ClearPendingSignUp(ctx, u.ID) },
	}
}

// existing treats "already there" as done: the document has the id the
// sign-up chose, so whoever wrote it wrote what this step would.
func existing(err error) error {
	if errors.Is(err, errDuplicate) {
		return nil
	}
	return err
}

// undoSignUp deletes what u's sign-up created, by the ids its first write
// fixed: the user first, so that the email is free again and nobody can log
// in or finish the sign-up meanwhile, then its sessions, its membership and
// its organization. Every delete is by id and may run again. A failure is
// logged; what a later step leaves behind is unreachable without the user,
// and if the user itself cannot be deleted the rest is kept, so that the
// account stays whole.
func (s *Service) undoSignUp(ctx context.Context, u User) {
	ctx = context.WithoutCancel(ctx)
	ps := u.PendingSignUp
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return s.store.DeleteUser(ctx, u.ID) },
		func(ctx context.Context) error { return s.store.DeleteSessionsOfUser(ctx, u.ID) },
		func(ctx context.Context) error { return s.store.DeleteMembershipByID(ctx, ps.MembershipID) },
		func(ctx context.Context) error {
			err := s.store.DeleteOrganization(ctx, ps.OrganizationID)
			s.objects.forgetOrganization(ps.OrganizationID)
			return err
		},
	}
	for i, step := range steps {
		if err := step(ctx); err != nil {
			s.opts.Logger.ErrorContext(ctx, "undo sign-up", slog.String("user_id", u.ID.Hex()), slog.Any("error", err))
			if i == 0 {
				return // the account stays whole rather than without its organization
			}
		}
	}
	s.opts.Logger.InfoContext(ctx, "sign-up undone", slog.String("user_id", u.ID.Hex()))
}

// finishSignUp completes u's sign-up if it is pending. It is safe to run
// while the sign-up itself is still running. Failures are logged: the
// account stays pending, for the next attempt to finish.
func (s *Service) finishSignUp(ctx context.Context, u User) bool {
	if u.PendingSignUp == nil {
		return true
	}
	for _, step := range s.signUpSteps(u)[1:] {
		if err := step(ctx); err != nil {
			s.opts.Logger.WarnContext(ctx, "finish sign-up", slog.String("user_id", u.ID.Hex()), slog.Any("error", err))
			return false
		}
	}
	s.opts.Logger.InfoContext(ctx, "interrupted sign-up finished", slog.String("user_id", u.ID.Hex()),
		slog.String("organization_id", u.PendingSignUp.OrganizationID.Hex()))
	return true
}

// FinishSignUps completes every sign-up that a process stopped half-way
// (see SignUp). Run it at start-up; it is safe on every replica at once.
// It returns an error naming how many it could not finish; they stay
// pending for a later attempt.
func (s *Service) FinishSignUps(ctx context.Context) error {
	users, err := s.store.PendingSignUps(ctx, s.now())
	if err != nil {
		return err
	}
	failed := 0
	for _, u := range users {
		if !s.finishSignUp(ctx, u) {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("auth: %d of %d interrupted sign-ups could not be finished", failed, len(users))
	}
	return nil
}
