package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/mongodb"
)

// Options tune the service; zero values take the defaults in brackets.
type Options struct {
	// SessionTTL is a session's absolute lifetime [30 days].
	SessionTTL time.Duration
	// SessionIdleTTL ends a session not used for this long [7 days].
	SessionIdleTTL time.Duration
	// TouchInterval is how often last use of a session or key is recorded [1 minute].
	TouchInterval time.Duration
	// LoginWindow is the throttling window [15 minutes].
	LoginWindow time.Duration
	// MaxFailuresPerEmail within the window before logins are refused [5].
	MaxFailuresPerEmail int
	// MaxFailuresPerIP within the window before logins are refused [20].
	MaxFailuresPerIP int
	// MaxAPIKeys is how many live keys one organization may have [100].
	MaxAPIKeys int
	// Password are the argon2id parameters [DefaultPasswordParams].
	Password PasswordParams
	// HashConcurrency bounds simultaneous password hashes [4].
	HashConcurrency int
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives security events [discarded].
	Logger *slog.Logger
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.SessionTTL, 30*24*time.Hour)
	def(&o.SessionIdleTTL, 7*24*time.Hour)
	def(&o.TouchInterval, time.Minute)
	def(&o.LoginWindow, 15*time.Minute)
	if o.MaxFailuresPerEmail <= 0 {
		o.MaxFailuresPerEmail = 5
	}
	if o.MaxFailuresPerIP <= 0 {
		o.MaxFailuresPerIP = 20
	}
	if o.MaxAPIKeys <= 0 {
		o.MaxAPIKeys = 100
	}
	if o.Password.MemoryKiB == 0 {
		o.Password = DefaultPasswordParams()
	}
	if o.HashConcurrency <= 0 {
		o.HashConcurrency = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Service implements sign-up, login, sessions, memberships and API keys.
type Service struct {
	store    *Store
	hasher   *Hasher
	opts     Options
	watchers watchers
	checks   inFlight
}

// NewService returns a service over store.
func NewService(store *Store, opts Options) *Service {
	opts.defaults()
	return &Service{store: store, hasher: NewHasher(opts.Password, opts.HashConcurrency), opts: opts}
}

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// ParseID parses a GraphQL ID; BAD_USER_INPUT naming field when malformed.
func ParseID(field, id string) (bson.ObjectID, error) {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return oid, apperr.Invalid(field, "%q is not a valid id.", truncate(id, 40))
	}
	return oid, nil
}

func (s *Service) startSession(ctx context.Context, cookie SessionCookie, userID, orgID bson.ObjectID, role authz.Role) (*authz.Principal, error) {
	token, hash := newSessionToken()
	now := s.now()
	client := ClientFromContext(ctx)
	sess := Session{
		ID: hash, UserID: userID, OrganizationID: orgID,
		CreatedAt: now, LastUsedAt: now,
		AbsoluteExpiresAt: now.Add(s.opts.SessionTTL),
		ExpiresAt:         now.Add(min(s.opts.SessionIdleTTL, s.opts.SessionTTL)),
		IP:                client.IP, UserAgent: truncate(client.UserAgent, 512),
	}
	if err := s.store.InsertSession(ctx, sess); err != nil {
		return nil, err
	}
	cookie.Set(token, sess.AbsoluteExpiresAt)
	return &authz.Principal{UserID: userID, OrganizationID: orgID, Role: role, SessionID: hash}, nil
}

// LogIn checks an email and password and starts a session in the user's
// first organization. Wrong password and unknown email fail alike, in about
// the same time. The email is compared in its canonical form (see
// canonicalEmail), so look-alike spellings reach, and are throttled as, the
// one account.
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

	memberships, err := s.store.MembershipsOfUser(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	if len(memberships) == 0 {
		return nil, apperr.New(apperr.Forbidden, "Your account does not belong to any organization any more.")
	}
	return s.startSession(ctx, cookie, user.ID, memberships[0].OrganizationID, memberships[0].Role)
}

var errBadCredentials = apperr.New(apperr.Unauthenticated, "The email address or password is incorrect.")

// LogOut ends the caller's session and clears the cookie. It is a no-op for
// an anonymous caller or an API key.
func (s *Service) LogOut(ctx context.Context) error {
	if c := sessionCookieFrom(ctx); c != nil {
		c.Clear()
	}
	p := authz.FromContext(ctx)
	if p == nil || p.SessionID == "" {
		return nil
	}
	if err := s.store.DeleteSession(ctx, p.SessionID); err != nil {
		return err
	}
	s.changed(ctx, Change{SessionID: p.SessionID})
	return nil
}

// AuthenticateSession turns a session cookie value into a principal.
// Returns UNAUTHENTICATED when the token is malformed, unknown, expired, or
// its user no longer belongs to the session's organization.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*authz.Principal, error) {
	hash, ok := ParseSessionToken(token)
	if !ok {
		return nil, errSessionInvalid
	}
	return s.sessionPrincipal(ctx, hash, bson.ObjectID{}, true)
}

var errSessionInvalid = apperr.New(apperr.Unauthenticated, "Your session has ended. Log in again.")

// sessionPrincipal checks a session and the user's membership in orgID, or,
// when orgID is zero, in the session's active organization.
func (s *Service) sessionPrincipal(ctx context.Context, hash string, orgID bson.ObjectID, touch bool) (*authz.Principal, error) {
	sess, err := s.store.Session(ctx, hash)
	if errors.Is(err, errNotFound) {
		return nil, errSessionInvalid
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.AbsoluteExpiresAt) {
		_ = s.store.DeleteSession(ctx, hash)
		return nil, errSessionInvalid
	}
	if orgID.IsZero() {
		orgID = sess.OrganizationID
	}
	m, err := s.store.Membership(ctx, orgID, sess.UserID)
	if errors.Is(err, errNotFound) {
		return nil, errSessionInvalid
	}
	if err != nil {
		return nil, err
	}
	if touch && now.Sub(sess.LastUsedAt) >= s.opts.TouchInterval {
		expires := minTime(now.Add(s.opts.SessionIdleTTL), sess.AbsoluteExpiresAt)
		if err := s.store.TouchSession(ctx, hash, now, expires, s.opts.TouchInterval); err != nil {
			s.opts.Logger.WarnContext(ctx, "record session use", slog.Any("error", err))
		}
	}
	return &authz.Principal{UserID: sess.UserID, OrganizationID: orgID, Role: m.Role, SessionID: hash}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// AuthenticateAPIKey turns a bearer secret into a principal. Returns
// UNAUTHENTICATED when the secret is malformed, unknown or revoked, or the
// key is suspended because its creator has left the organization.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (*authz.Principal, error) {
	id, hash, ok := ParseAPIKey(secret)
	if !ok {
		return nil, errKeyInvalid
	}
	key, err := s.store.APIKeyForAuthentication(ctx, id)
	if errors.Is(err, errNotFound) {
		return nil, errKeyInvalid
	}
	if err != nil {
		return nil, err
	}
	if !constantTimeEqual(key.SecretHash, hash) {
		return nil, errKeyInvalid
	}
	return s.keyPrincipal(ctx, key, true)
}

var (
	errKeyInvalid   = apperr.New(apperr.Unauthenticated, "The API key is not valid or has been revoked.")
	errKeySuspended = apperr.New(apperr.Unauthenticated,
		"The API key is suspended: the user who created it no longer belongs to the organization. Ask an admin for a new key.")
)

// keyPrincipal is what an authenticated key may do now. A key acts with its
// scope's role (ADMIN for READ_WRITE, VIEWER for READ) but never with more
// than its creator's current role in the organization, so that demoting or
// removing a person also takes back what the keys they made could do. A key
// whose creator is no longer a member is suspended until they are again.
func (s *Service) keyPrincipal(ctx context.Context, key APIKey, touch bool) (*authz.Principal, error) {
	if key.Revoked() {
		return nil, errKeyInvalid
	}
	role := authz.RoleViewer
	if key.Scope == authz.ScopeReadWrite {
		role = authz.RoleAdmin
	}
	if key.CreatedBy.IsZero() {
		return nil, errKeySuspended
	}
	creator, err := s.store.Membership(ctx, key.OrganizationID, key.CreatedBy)
	if errors.Is(err, errNotFound) {
		return nil, errKeySuspended
	}
	if err != nil {
		return nil, err
	}
	if !creator.Role.AtLeast(role) {
		role = creator.Role
	}
	now := s.now()
	if touch && (key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) >= s.opts.TouchInterval) {
		if err := s.store.TouchAPIKey(ctx, key.ID, now, s.opts.TouchInterval); err != nil {
			s.opts.Logger.WarnContext(ctx, "record key use", slog.Any("error", err))
		}
	}
	return &authz.Principal{OrganizationID: key.OrganizationID, Role: role, APIKeyID: key.ID, Scope: key.Scope, KeyCreatorID: key.CreatedBy}, nil
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
		return s.keyPrincipal(ctx, key, false)
	}
	return s.sessionPrincipal(ctx, p.SessionID, p.OrganizationID, false)
}

func requireUser(p *authz.Principal) error {
	if p == nil {
		return errNotSignedIn
	}
	if p.UserID.IsZero() {
		return apperr.New(apperr.Forbidden, "This needs a signed-in user; API keys cannot do it.")
	}
	return nil
}

var errNotSignedIn = apperr.New(apperr.Unauthenticated, "Log in to continue.")

func requireRole(p *authz.Principal, role authz.Role) error {
	if err := requireUser(p); err != nil {
		return err
	}
	if !p.Role.AtLeast(role) {
		return apperr.New(apperr.Forbidden, "This needs the %s role or higher in the organization.", role)
	}
	return nil
}

// SwitchOrganization makes another of the user's organizations the active
// one for the caller's session. Returns NOT_FOUND if the user is not a
// member of it.
func (s *Service) SwitchOrganization(ctx context.Context, p *authz.Principal, orgID string) (*authz.Principal, error) {
	if err := requireUser(p); err != nil {
		return nil, err
	}
	if p.SessionID == "" {
		return nil, apperr.New(apperr.Forbidden, "Only a browser session can switch organizations.")
	}
	oid, err := ParseID("organizationId", orgID)
	if err != nil {
		return nil, err
	}
	m, err := s.store.Membership(ctx, oid, p.UserID)
	if errors.Is(err, errNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such organization.")
	}
	if err != nil {
		return nil, err
	}
	if err := s.store.SetSessionOrganization(ctx, p.SessionID, oid); err != nil {
		return nil, err
	}
	return &authz.Principal{UserID: p.UserID, OrganizationID: oid, Role: m.Role, SessionID: p.SessionID}, nil
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the user. Checking the current password is
// throttled with logins, under the same email and address limits, so a
// stolen session cannot be used to guess it.
//
// Returns UNAUTHENTICATED for a wrong current password, RATE_LIMITED after
// too many failures, and BAD_USER_INPUT for an unacceptable new one.
func (s *Service) ChangePassword(ctx context.Context, p *authz.Principal, current, next string) error {
	if err := requireUser(p); err != nil {
		return err
	}
	u, err := s.user(ctx, p.UserID)
	if err != nil {
		return err
	}
	a, err := s.beginAttempt(ctx, u.Email)
	if err != nil {
		return err
	}
	defer a.release()
	if ok, err := s.hasher.Verify(ctx, u.PasswordHash, current); err != nil && !errors.Is(err, errBadHash) {
		a.forget(ctx)
		return err
	} else if !ok {
		s.opts.Logger.WarnContext(ctx, "password change refused: wrong current password",
			slog.String("user_id", u.ID.Hex()), slog.String("ip", ClientFromContext(ctx).IP))
		return &apperr.Error{Code: apperr.Unauthenticated, Field: "currentPassword", Message: "The current password is incorrect."}
	}
	a.succeeded(ctx)
	if err := checkPassword("newPassword", next, u.Email); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, u.ID, hash, s.now()); err != nil {
		return err
	}
	n, err := s.store.DeleteOtherSessions(ctx, u.ID, p.SessionID)
	if err != nil {
		return err
	}
	s.changed(ctx, Change{UserID: u.ID})
	s.opts.Logger.InfoContext(ctx, "password changed", slog.String("user_id", u.ID.Hex()), slog.Int64("sessions_ended", n))
	return nil
}

// Memberships lists the caller's organizations with the caller's role in each.
func (s *Service) Memberships(ctx context.Context, p *authz.Principal) ([]Membership, error) {
	if p == nil {
		return nil, errNotSignedIn
	}
	if p.IsAPIKey() {
		return []Membership{{OrganizationID: p.OrganizationID, Role: p.Role}}, nil
	}
	return s.store.MembershipsOfUser(ctx, p.UserID)
}

// Members lists the members of an organization the caller belongs to.
// Returns NOT_FOUND for any other organization.
func (s *Service) Members(ctx context.Context, p *authz.Principal, orgID bson.ObjectID) ([]Membership, error) {
	if p == nil {
		return nil, errNotSignedIn
	}
	if orgID != p.OrganizationID {
		if p.IsAPIKey() {
			return nil, apperr.New(apperr.NotFound, "No such organization.")
		}
		if _, err := s.store.Membership(ctx, orgID, p.UserID); errors.Is(err, errNotFound) {
			return nil, apperr.New(apperr.NotFound, "No such organization.")
		} else if err != nil {
			return nil, err
		}
	}
	return s.store.MembershipsOfOrganization(ctx, orgID)
}

func (s *Service) checkGrant(p *authz.Principal, role authz.Role) error {
	if !role.Valid() {
		return apperr.Invalid("role", "%q is not a role; use OWNER, ADMIN, MEMBER or VIEWER.", truncate(string(role), 20))
	}
	if role == authz.RoleOwner && p.Role != authz.RoleOwner {
		return apperr.New(apperr.Forbidden, "Only an OWNER can make someone an OWNER.")
	}
	return nil
}

// UpdateMemberRole changes a member's role. Needs OWNER or ADMIN; only an
// OWNER can grant or take away OWNER. The last OWNER cannot be demoted
// (CONFLICT). Returns NOT_FOUND if the user is not a member.
func (s *Service) UpdateMemberRole(ctx context.Context, p *authz.Principal, userID string, role authz.Role) (Membership, error) {
	if err := requireRole(p, authz.RoleAdmin); err != nil {
		return Membership{}, err
	}
	uid, err := ParseID("userId", userID)
	if err != nil {
		return Membership{}, err
	}
	if err := s.checkGrant(p, role); err != nil {
		return Membership{}, err
	}
	var out Membership
	err = s.changeMembers(ctx, p, uid, func(cur Membership) error {
		if cur.Role == role {
			out = cur
			return nil
		}
		if cur.Role == authz.RoleOwner {
			if err := s.keepAnOwner(ctx, p.OrganizationID); err != nil {
				return err
			}
		}
		m, ok, err := s.store.SetRole(ctx, p.OrganizationID, uid, cur.Role, role, s.now())
		if err == nil && !ok {
			err = apperr.New(apperr.Conflict, "The member's role changed meanwhile; reload and try again.")
		}
		out = m
		return err
	})
	if err == nil {
		s.changed(ctx, Change{UserID: uid, OrganizationID: p.OrganizationID})
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
	cur, err := s.member(ctx, p.OrganizationID, userID)
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

func (s *Service) member(ctx context.Context, orgID, userID bson.ObjectID) (Membership, error) {
	m, err := s.store.Membership(ctx, orgID, userID)
	if errors.Is(err, errNotFound) {
		return m, &apperr.Error{Code: apperr.NotFound, Field: "userId", Message: "No such member in this organization."}
	}
	return m, err
}

// RemoveMember removes a user from the caller's organization. Needs OWNER
// or ADMIN (anyone may remove themselves); only an OWNER removes an OWNER;
// the last OWNER cannot be removed (CONFLICT). Returns NOT_FOUND if the
// user is not a member.
func (s *Service) RemoveMember(ctx context.Context, p *authz.Principal, userID string) (Membership, error) {
	if err := requireUser(p); err != nil {
		return Membership{}, err
	}
	uid, err := ParseID("userId", userID)
	if err != nil {
		return Membership{}, err
	}
	if uid != p.UserID {
		if err := requireRole(p, authz.RoleAdmin); err != nil {
			return Membership{}, err
		}
	}
	var out Membership
	err = s.changeMembers(ctx, p, uid, func(cur Membership) error {
		if cur.Role == authz.RoleOwner {
			if err := s.keepAnOwner(ctx, p.OrganizationID); err != nil {
				return err
			}
		}
		ok, err := s.store.DeleteMembership(ctx, p.OrganizationID, uid, cur.Role)
		if err == nil && !ok {
			err = apperr.New(apperr.Conflict, "The member's role changed meanwhile; reload and try again.")
		}
		out = cur
		return err
	})
	if err == nil {
		s.changed(ctx, Change{UserID: uid, OrganizationID: p.OrganizationID})
	}
	return out, err
}

// CreateAPIKey creates a key for the caller's organization and returns it
// with its secret, which is shown this once and stored only as a hash.
// Needs OWNER or ADMIN. Returns BAD_USER_INPUT for an empty or over-long
// name or an unknown scope, CONFLICT past the per-organization limit.
//
// The key is inserted first and the organization's live keys counted after:
// counting first would let a burst of parallel requests all see room for
// one more. Of any number of simultaneous creations, the last to count sees
// all the others, so the limit holds; a key found past it is deleted again
// before anyone has seen its secret.
func (s *Service) CreateAPIKey(ctx context.Context, p *authz.Principal, name string, scope authz.Scope) (APIKey, string, error) {
	if err := requireRole(p, authz.RoleAdmin); err != nil {
		return APIKey{}, "", err
	}
	name, err := checkName("name", "a name for the key", name)
	if err != nil {
		return APIKey{}, "", err
	}
	if !scope.Valid() {
		return APIKey{}, "", apperr.Invalid("scope", "%q is not a scope; use READ or READ_WRITE.", truncate(string(scope), 20))
	}
	id := bson.NewObjectID()
	secret, hash := newAPIKeySecret(id)
	k := APIKey{ID: id, OrganizationID: p.OrganizationID, Name: name, Prefix: keyPrefix(secret), SecretHash: hash,
		Scope: scope, CreatedBy: p.UserID, CreatedAt: s.now()}
	if err := s.store.InsertAPIKey(ctx, k); err != nil {
		return APIKey{}, "", err
	}
	n, err := s.store.CountAPIKeys(ctx, p.OrganizationID)
	if err == nil && n > int64(s.opts.MaxAPIKeys) {
		err = apperr.New(apperr.Conflict, "This organization has reached its limit of %d API keys; revoke one first.", s.opts.MaxAPIKeys)
	}
	if err != nil {
		if derr := s.store.DeleteAPIKey(context.WithoutCancel(ctx), p.OrganizationID, id); derr != nil {
			s.opts.Logger.WarnContext(ctx, "delete a key past the limit", slog.String("key_id", id.Hex()), slog.Any("error", derr))
		}
		return APIKey{}, "", err
	}
	s.opts.Logger.InfoContext(ctx, "api key created", slog.String("key_id", id.Hex()), slog.String("organization_id", p.OrganizationID.Hex()))
	return k, secret, nil
}

// APIKeys lists the caller's organization's keys, newest first. Needs
// OWNER or ADMIN.
func (s *Service) APIKeys(ctx context.Context, p *authz.Principal) ([]APIKey, error) {
	if err := requireRole(p, authz.RoleAdmin); err != nil {
		return nil, err
	}
	return s.store.APIKeys(ctx, p.OrganizationID)
}

// RevokeAPIKey revokes a key of the caller's organization; requests with it
// fail from then on. Revoking twice returns the key unchanged. Needs OWNER
// or ADMIN; NOT_FOUND for a key of another organization.
func (s *Service) RevokeAPIKey(ctx context.Context, p *authz.Principal, id string) (APIKey, error) {
	if err := requireRole(p, authz.RoleAdmin); err != nil {
		return APIKey{}, err
	}
	kid, err := ParseID("id", id)
	if err != nil {
		return APIKey{}, err
	}
	k, err := s.store.RevokeAPIKey(ctx, p.OrganizationID, kid, s.now())
	if errors.Is(err, errNotFound) {
		return APIKey{}, apperr.New(apperr.NotFound, "No such API key.")
	}
	if err != nil {
		return APIKey{}, err
	}
	s.changed(ctx, Change{APIKeyID: kid})
	s.opts.Logger.InfoContext(ctx, "api key revoked", slog.String("key_id", kid.Hex()))
	return k, nil
}

// UsersByIDs returns the users with the given ids that exist, in any
// order, in one query; for dataloaders. The ids come from memberships and
// records the caller may already see.
func (s *Service) UsersByIDs(ctx context.Context, ids []bson.ObjectID) ([]User, error) {
	return s.store.UsersByIDs(ctx, ids)
}

// OrganizationsByIDs returns the organizations with the given ids that
// exist, in any order, in one query; for dataloaders.
func (s *Service) OrganizationsByIDs(ctx context.Context, ids []bson.ObjectID) ([]Organization, error) {
	return s.store.OrganizationsByIDs(ctx, ids)
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// CurrentAPIKey returns the key the caller authenticated with.
func (s *Service) CurrentAPIKey(ctx context.Context, p *authz.Principal) (*APIKey, error) {
	if p == nil || !p.IsAPIKey() {
		return nil, nil
	}
	k, err := s.store.APIKeyForAuthentication(ctx, p.APIKeyID)
	if errors.Is(err, errNotFound) || (err == nil && k.OrganizationID != p.OrganizationID) {
		return nil, errKeyInvalid
	}
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// CheckWriteScope refuses a mutation from an API key with the READ scope.
// It runs before any resolver, as an operation gate.
func CheckWriteScope(ctx context.Context, operationType string) error {
	if p := authz.FromContext(ctx); p != nil && operationType == "mutation" && !p.CanWrite() {
		return apperr.New(apperr.Forbidden, "This API key has the READ scope; mutations need a READ_WRITE key.")
	}
	return nil
}
