package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
	"github.com/omnify/bff/internal/text"
)

// AuthenticateAPIKey turns a bearer secret into a principal. Returns
// UNAUTHENTICATED when the secret is malformed, unknown or revoked, or the
// key is suspended because its creator has left the organization. An answer
// given moments ago is served from the cache (see principalCache) without
// reading the database; use is still recorded once per TouchInterval.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (*authz.Principal, error) {
	id, hash, ok := ParseAPIKey(secret)
	if !ok {
		return nil, errKeyInvalid
	}
	ck := keyCacheKey(hash)
	now := s.now()
	if e, ok := s.cache.get(ck, now); ok {
		if s.due(e, now) {
			if err := s.store.TouchAPIKey(ctx, id, now, s.opts.TouchInterval); err != nil {
				s.opts.Logger.WarnContext(ctx, "record key use", slog.Any("error", err))
			}
		}
		return e.principal(), nil
	}
	seen := s.cache.generation()
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
	p, usedAt, err := s.keyPrincipal(ctx, key, true)
	if err != nil {
		return nil, err
	}
	e := &cachedPrincipal{p: *p}
	e.usedAt.Store(usedAt.UnixMilli())
	s.cache.put(ck, seen, e, now)
	return p, nil
}

// keyPrincipal is what an authenticated key may do now. A key acts with its
// scope's role (ADMIN for READ_WRITE, VIEWER for READ) but never with more
// than its creator's current role in the organization, so that demoting or
// removing a person also takes back what the keys they made could do. A key
// whose creator is no longer a member is suspended until they are again.
// With touch, it records the use (once per TouchInterval); it returns the
// last use recorded.
func (s *Service) keyPrincipal(ctx context.Context, key APIKey, touch bool) (*authz.Principal, time.Time, error) {
	if key.Revoked() {
		return nil, time.Time{}, errKeyInvalid
	}
	role := authz.RoleViewer
	if key.Scope == authz.ScopeReadWrite {
		role = authz.RoleAdmin
	}
	if key.CreatedBy.IsZero() {
		return nil, time.Time{}, errKeySuspended
	}
	creator, err := s.store.Membership(ctx, key.OrganizationID, key.CreatedBy)
	if errors.Is(err, errNotFound) {
		return nil, time.Time{}, errKeySuspended
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if !creator.Role.AtLeast(role) {
		role = creator.Role
	}
	now := s.now()
	var usedAt time.Time
	if key.LastUsedAt != nil {
		usedAt = *key.LastUsedAt
	}
	if touch && (key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) >= s.opts.TouchInterval) {
		if err := s.store.TouchAPIKey(ctx, key.ID, now, s.opts.TouchInterval); err != nil {
			s.opts.Logger.WarnContext(ctx, "record key use", slog.Any("error", err))
		} else {
			usedAt = now
		}
	}
	return &authz.Principal{OrganizationID: key.OrganizationID, Role: role, APIKeyID: key.ID, Scope: key.Scope, KeyCreatorID: key.CreatedBy}, usedAt, nil
}

// Recheck answers what an earlier principal may do now; long-lived
// connections call it periodically and whenever this process changes
// something that affects them (see Watch). A session is checked in the
// organization the principal acts in, not the session's active one: a

// CreateAPIKey creates a key for the caller's organization and returns it
// with its secret, which is shown this once and stored only as a hash.
// OWNER or ADMIN; signed-in users only. Returns BAD_USER_INPUT for an empty
// or over-long name or an unknown scope, CONFLICT past the
// per-organization limit.
//
// The key is inserted first and the organization's live keys counted after:
// counting first would let a burst of parallel requests all see room for
// one more. Of any number of simultaneous creations, the last to count sees
// all the others, so the limit holds; a key found past it is deleted again
// before anyone has seen its secret.
func (s *Service) CreateAPIKey(ctx context.Context, p *authz.Principal, name string, scope authz.Scope) (APIKey, string, error) {
	if err := authz.RequireUser(p, authz.RoleAdmin); err != nil {
		return APIKey{}, "", err
	}
	name, err := checkName("name", "a name for the key", name)
	if err != nil {
		return APIKey{}, "", err
	}
	if !scope.Valid() {
		return APIKey{}, "", apperr.Invalid("scope", "%q is not a scope; use READ or READ_WRITE.", text.Shorten(string(scope), 20))
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

// APIKeys returns a page of the caller's organization's keys, revoked ones
// included, newest first. OWNER or ADMIN; signed-in users only.
func (s *Service) APIKeys(ctx context.Context, p *authz.Principal, r page.Request) (page.Page[APIKey], error) {
	if err := authz.RequireUser(p, authz.RoleAdmin); err != nil {
		return page.Page[APIKey]{}, err
	}
	return s.store.APIKeys(ctx, p.OrganizationID, r)
}

// APIKey returns a key of the caller's organization, with the rules of
// APIKeys. Returns NOT_FOUND for a key of another organization.
func (s *Service) APIKey(ctx context.Context, p *authz.Principal, id bson.ObjectID) (APIKey, error) {
	if err := authz.RequireUser(p, authz.RoleAdmin); err != nil {
		return APIKey{}, err
	}
	k, err := s.store.APIKey(ctx, p.OrganizationID, id)
	if errors.Is(err, errNotFound) {
		return APIKey{}, errNoAPIKey
	}
	return k, err
}

// RevokeAPIKey revokes a key of the caller's organization; requests with it
// fail from then on. Revoking twice returns the key unchanged. OWNER or
// ADMIN; signed-in users only. Returns NOT_FOUND (field id) for a key of
// another organization.
func (s *Service) RevokeAPIKey(ctx context.Context, p *authz.Principal, id bson.ObjectID) (APIKey, error) {
	if err := authz.RequireUser(p, authz.RoleAdmin); err != nil {
		return APIKey{}, err
	}
	k, err := s.store.RevokeAPIKey(ctx, p.OrganizationID, id, s.now())
	if errors.Is(err, errNotFound) {
		return APIKey{}, &apperr.Error{Code: apperr.NotFound, Field: "id", Message: errNoAPIKey.Message}
	}
	if err != nil {
		return APIKey{}, err
	}
	s.changed(ctx, Change{APIKeyID: id})
	s.opts.Logger.InfoContext(ctx, "api key revoked", slog.String("key_id", id.Hex()))
	return k, nil
}

// CurrentAPIKey returns the key the caller authenticated with; nil for a
// session or an anonymous caller.
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

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
