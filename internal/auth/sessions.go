package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/text"
)

// startSession stores a new session of the user acting in orgID and
// returns its principal and token. The caller hands the token to the
// browser (SessionCookie.Set) once nothing can fail any more.
func (s *Service) startSession(ctx context.Context, userID, orgID bson.ObjectID, role authz.Role) (*authz.Principal, string, time.Time, error) {
	token, hash := newSessionToken()
	now := s.now()
	client := ClientFromContext(ctx)
	sess := Session{
		ID: hash, UserID: userID, OrganizationID: orgID,
		CreatedAt: now, LastUsedAt: now,
		AbsoluteExpiresAt: now.Add(s.opts.SessionTTL),
		ExpiresAt:         now.Add(min(s.opts.SessionIdleTTL, s.opts.SessionTTL)),
		IP:                client.IP, UserAgent: text.Truncate(client.UserAgent, 512),
	}
	if err := s.store.InsertSession(ctx, sess); err != nil {
		return nil, "", time.Time{}, err
	}
	return &authz.Principal{UserID: userID, OrganizationID: orgID, Role: role, SessionID: hash}, token, sess.AbsoluteExpiresAt, nil
}

// LogIn checks an email and password and starts a session in the user's
// first organization. Wrong password and unknown email fail alike, in about
// the same time. The email is compared in its canonical form (see
// canonicalEmail), so look-alike spellings reach, and are throttled as, the
// one account. Anyone may call it.
//
// Returns UNAUTHENTICATED for wrong credentials; RATE_LIMITED (with
// retryAfterSeconds) after too many failures for the email or the client's
// IP within the window, even with the right password.
func (s *Service) LogIn(ctx context.Context, emailIn, password string) (*authz.Principal, error) {
	cookie := sessionCookieFrom(ctx)
	if cookie == nil {
		return nil, apperr.New(apperr.BadUserInput, "Log in with an HTTP POST request, so the session cookie can be set.")
	}
	email := canonicalEmail(emailIn)
	if len(email) > maxEmail || utf8.RuneCountInString(password) > maxPassword {
		return nil, errBadCredentials
	}
	a, err := s.beginAttempt(ctx, email)
	if err != nil {
		return nil, err
	}
	defer a.release()
	user, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, errNotFound) {
		a.forget(ctx)
		return nil, err
	}
	ok, verr := s.hasher.Verify(ctx, user.PasswordHash, password) // empty hash: dummy check
	if verr != nil && !errors.Is(verr, errBadHash) {
		a.forget(ctx)
		return nil, verr
	}
	if !ok || user.ID.IsZero() {
		s.opts.Logger.WarnContext(ctx, "login failed", slog.String("ip", ClientFromContext(ctx).IP))
		return nil, errBadCredentials
	}
	a.succeeded(ctx)
	if !s.finishSignUp(ctx, user) {
		return nil, errors.New("auth: log in: the account's sign-up could not be finished")
	}

	first, err := s.store.FirstMembershipOfUser(ctx, user.ID)
	if errors.Is(err, errNotFound) {
		return nil, apperr.New(apperr.Forbidden, "Your account does not belong to any organization any more.")
	}
	if err != nil {
		return nil, err
	}
	p, token, expires, err := s.startSession(ctx, user.ID, first.OrganizationID, first.Role)
	if err != nil {
		return nil, err
	}
	cookie.Set(token, expires)
	return p, nil
}

// LogOut ends the caller's session and clears the cookie. It reports
// whether a session was ended: false for an anonymous caller or an API key,
// which have none.
func (s *Service) LogOut(ctx context.Context, p *authz.Principal) (bool, error) {
	if c := sessionCookieFrom(ctx); c != nil {
		c.Clear()
	}
	if p == nil || p.SessionID == "" {
		return false, nil
	}
	if err := s.store.DeleteSession(ctx, p.SessionID); err != nil {
		return false, err
	}
	s.changed(ctx, Change{SessionID: p.SessionID})
	return true, nil
}

// AuthenticateSession turns a session cookie value into a principal.
// Returns UNAUTHENTICATED when the token is malformed, unknown, expired, or
// its user no longer belongs to the session's organization. An answer given
// moments ago is served from the cache (see principalCache) without reading
// the database; use is still recorded once per TouchInterval, which moves
// the idle expiry on.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*authz.Principal, error) {
	hash, ok := ParseSessionToken(token)
	if !ok {
		return nil, errSessionInvalid
	}
	key := sessionCacheKey(hash)
	now := s.now()
	if e, ok := s.cache.get(key, now); ok {
		if s.due(e, now) {
			expires := minTime(now.Add(s.opts.SessionIdleTTL), e.absoluteExpiresAt)
			if err := s.store.TouchSession(ctx, hash, now, expires, s.opts.TouchInterval); err != nil {
				s.opts.Logger.WarnContext(ctx, "record session use", slog.Any("error", err))
			} else {
				e.expiresAt.Store(expires.UnixMilli())
			}
		}
		return e.principal(), nil
	}
	seen := s.cache.generation()
	p, sess, err := s.sessionPrincipal(ctx, hash, bson.ObjectID{}, true)
	if err != nil {
		return nil, err
	}
	e := &cachedPrincipal{p: *p, session: true, absoluteExpiresAt: sess.AbsoluteExpiresAt}
	e.expiresAt.Store(sess.ExpiresAt.UnixMilli())
	e.usedAt.Store(sess.LastUsedAt.UnixMilli())
	s.cache.put(key, seen, e, now)
	return p, nil
}

// sessionPrincipal checks a session and the user's membership in orgID, or,
// when orgID is zero, in the session's active organization. With touch, it
// records the use (once per TouchInterval) and returns the session as it
// then is.
func (s *Service) sessionPrincipal(ctx context.Context, hash string, orgID bson.ObjectID, touch bool) (*authz.Principal, Session, error) {
	sess, err := s.store.Session(ctx, hash)
	if errors.Is(err, errNotFound) {
		return nil, Session{}, errSessionInvalid
	}
	if err != nil {
		return nil, Session{}, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.AbsoluteExpiresAt) {
		_ = s.store.DeleteSession(ctx, hash)
		return nil, Session{}, errSessionInvalid
	}
	if orgID.IsZero() {
		orgID = sess.OrganizationID
	}
	m, err := s.store.Membership(ctx, orgID, sess.UserID)
	if errors.Is(err, errNotFound) {
		return nil, Session{}, errSessionInvalid
	}
	if err != nil {
		return nil, Session{}, err
	}
	if touch && now.Sub(sess.LastUsedAt) >= s.opts.TouchInterval {
		expires := minTime(now.Add(s.opts.SessionIdleTTL), sess.AbsoluteExpiresAt)
		if err := s.store.TouchSession(ctx, hash, now, expires, s.opts.TouchInterval); err != nil {
			s.opts.Logger.WarnContext(ctx, "record session use", slog.Any("error", err))
		} else {
			sess.LastUsedAt, sess.ExpiresAt = now, expires
		}
	}
	return &authz.Principal{UserID: sess.UserID, OrganizationID: orgID, Role: m.Role, SessionID: hash}, sess, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Recheck answers what an earlier principal may do now; long-lived
// connections call it periodically and whenever this process changes
// something that affects them (see Watch). A session is checked in the
// organization the principal acts in, not the session's active one: a
// connection stays in the organization it was opened in, for as long as the
// user belongs to it. Returns the principal with its current role, or
// UNAUTHENTICATED once the session has ended, the key is revoked or
// suspended, or the user has left the organization.
func (s *Service) Recheck(ctx context.Context, p *authz.Principal) (*authz.Principal, error) {
	if p.IsAPIKey() {
		key, err := s.store.APIKeyForAuthentication(ctx, p.APIKeyID)
		if errors.Is(err, errNotFound) {
			return nil, errKeyInvalid
		}
		if err != nil {
			return nil, err
		}
		p, _, err := s.keyPrincipal(ctx, key, false)
		return p, err
	}
	p, _, err := s.sessionPrincipal(ctx, p.SessionID, p.OrganizationID, false)
	return p, err
}

// SwitchOrganization makes another of the user's organizations the active
// one for the caller's session, in every process at once (a change of the
// session, see Change). Signed-in users only.
//
// Returns FORBIDDEN for an API key, NOT_FOUND if the user is not a member
// of the organization.
func (s *Service) SwitchOrganization(ctx context.Context, p *authz.Principal, orgID bson.ObjectID) (*authz.Principal, error) {
	if err := authz.RequireUser(p, authz.RoleViewer); err != nil {
		return nil, err
	}
	if p.SessionID == "" {
		return nil, apperr.New(apperr.Forbidden, "Only a browser session can switch organizations.")
	}
	m, err := s.store.Membership(ctx, orgID, p.UserID)
	if errors.Is(err, errNotFound) {
		return nil, &apperr.Error{Code: apperr.NotFound, Field: "organizationId", Message: errNoOrg.Message}
	}
	if err != nil {
		return nil, err
	}
	if err := s.store.SetSessionOrganization(ctx, p.SessionID, orgID); err != nil {
		return nil, err
	}
	// The session's cached principal acts in the old organization, here
	// and on the other processes. Its open connections stay where they are
	// (see Recheck); their re-check finds nothing changed.
	s.changed(ctx, Change{SessionID: p.SessionID})
	return &authz.Principal{UserID: p.UserID, OrganizationID: orgID, Role: m.Role, SessionID: p.SessionID}, nil
}
