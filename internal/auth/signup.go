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
// Anyone may call it.
//
// Returns BAD_USER_INPUT for an unacceptable email, password or name;
// CONFLICT (field email) if the email is taken.
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
	if err != nil {
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
