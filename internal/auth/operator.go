package auth

import (
	"context"
	"errors"
	"log/slog"

	"github.com/omnify/bff/internal/authz"
)

// CheckPassword reports why password is not acceptable for the account
// email, as sign-up and a password change judge it (see checkPassword),
// with field as the error's field; nil when it is acceptable. Operators'
// settings that carry a password (OMNIFY_DEMO_PASSWORD) are checked with it.
func CheckPassword(field, password, email string) error {
	return checkPassword(field, password, normalizeOrRaw(email))
}

// normalizeOrRaw is email in its stored form, or as given when it is not
// an acceptable address.
func normalizeOrRaw(email string) string {
	if e, err := normalizeEmail("email", email); err == nil {
		return e
	}
	return email
}

// ResetPassword sets the password of the account with email, for an
// operator (the `omnify demo` command): there is no caller and no current
// password to check. It ends every session of the account, here and, over
// the bus, on every process, and returns the account's principal in its
// oldest organization, with no session. It is never reached from the API.
//
// Returns BAD_USER_INPUT (field password) for an unacceptable password and
// NOT_FOUND when no account has the email.
func (s *Service) ResetPassword(ctx context.Context, email, password string) (*authz.Principal, error) {
	email = canonicalEmail(email)
	if err := checkPassword("password", password, email); err != nil {
		return nil, err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, errNotFound) {
		return nil, errNoUser
	}
	if err != nil {
		return nil, err
	}
	if !s.finishSignUp(ctx, u) {
		return nil, errors.New("auth: reset password: the account's sign-up could not be finished")
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetPassword(ctx, u.ID, hash, s.now()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteSessionsOfUser(ctx, u.ID); err != nil {
		return nil, err
	}
	s.changed(ctx, Change{UserID: u.ID})
	first, err := s.store.FirstMembershipOfUser(ctx, u.ID)
	if errors.Is(err, errNotFound) {
		return nil, errNoMembership
	}
	if err != nil {
		return nil, err
	}
	s.opts.Logger.InfoContext(ctx, "password reset by an operator", slog.String("user_id", u.ID.Hex()))
	return &authz.Principal{UserID: u.ID, OrganizationID: first.OrganizationID, Role: first.Role}, nil
}
