// Package auth decides who is calling and what they may do: users,
// organizations and their memberships and roles, browser sessions, partner
// API keys and login throttling.
//
// Every method that touches tenant data takes the caller's Principal and
// scopes its queries to the principal's active organization, so no method
// can read another organization's documents. An object of another
// organization is reported as NOT_FOUND, never FORBIDDEN, so that its
// existence does not leak.
package auth

import (
	"context"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Role is a member's role in an organization, from most to least powerful.
type Role string

// The roles. OWNER and ADMIN manage members and API keys; MEMBER works with
// the organization's data; VIEWER only reads.
const (
	RoleOwner  Role = "OWNER"
	RoleAdmin  Role = "ADMIN"
	RoleMember Role = "MEMBER"
	RoleViewer Role = "VIEWER"
)

// rank orders roles; a higher rank includes the rights of the lower ones.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r includes the rights of min.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// Scope is what a partner API key may do.
type Scope string

// The scopes: READ runs queries and subscriptions; READ_WRITE mutations too.
const (
	ScopeRead      Scope = "READ"
	ScopeReadWrite Scope = "READ_WRITE"
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeRead || s == ScopeReadWrite }

// User is a person who can sign in.
type User struct {
	ID           bson.ObjectID `bson:"_id"`          // the user's id
	Email        string        `bson:"email"`        // trimmed and lower-cased; unique
	Name         string        `bson:"name"`         // display name
	PasswordHash string        `bson:"passwordHash"` // encoded argon2id hash; never leaves the module
	CreatedAt    time.Time     `bson:"createdAt"`    // when the user signed up
	UpdatedAt    time.Time     `bson:"updatedAt"`    // last change (name, password)
	// PendingSignUp is set while the user's sign-up has not created
	// everything yet; nil for a complete account. See SignUp.
	PendingSignUp *PendingSignUp `bson:"pendingSignUp,omitempty"`
}

// PendingSignUp is what an unfinished sign-up still has to create. It is
// written with the user, in the sign-up's first write, so that whoever finds
// the user unfinished (the same sign-up, a second attempt, a login, the next
// process to start) creates exactly the same organization and membership.
type PendingSignUp struct {
	OrganizationID   bson.ObjectID `bson:"organizationId"`   // the new organization's id
	OrganizationName string        `bson:"organizationName"` // and its name
	MembershipID     bson.ObjectID `bson:"membershipId"`     // the OWNER membership's id
	StartedAt        time.Time     `bson:"startedAt"`        // when the sign-up began
}

// Organization is a store's account: the tenant every other object belongs to.
type Organization struct {
	ID        bson.ObjectID `bson:"_id"`       // the organization's id
	Name      string        `bson:"name"`      // display name
	CreatedAt time.Time     `bson:"createdAt"` // when it was created
}

// Membership gives a user a role in an organization.
type Membership struct {
	ID             bson.ObjectID `bson:"_id"`            // the membership's id
	UserID         bson.ObjectID `bson:"userId"`         // the member
	OrganizationID bson.ObjectID `bson:"organizationId"` // the organization
	Role           Role          `bson:"role"`           // the member's role there
	CreatedAt      time.Time     `bson:"createdAt"`      // when the user joined
	UpdatedAt      time.Time     `bson:"updatedAt"`      // last role change
}

// Session is a signed-in browser. Its _id is the SHA-256 of the token, so a
// stolen copy of the database cannot be replayed as cookies.
type Session struct {
	ID             string        `bson:"_id"`            // SHA-256 of the token, hex
	UserID         bson.ObjectID `bson:"userId"`         // the signed-in user
	OrganizationID bson.ObjectID `bson:"organizationId"` // the active organization
	CreatedAt      time.Time     `bson:"createdAt"`      // when the user logged in
	LastUsedAt     time.Time     `bson:"lastUsedAt"`     // last request, to the minute
	// ExpiresAt is when the session ends unless used again: the idle
	// expiry, never later than AbsoluteExpiresAt. A TTL index removes it then.
	ExpiresAt         time.Time `bson:"expiresAt"`
	AbsoluteExpiresAt time.Time `bson:"absoluteExpiresAt"` // end of the 30-day lifetime
	IP                string    `bson:"ip"`                // client address at login
	UserAgent         string    `bson:"userAgent"`         // browser at login, truncated
}

// APIKey is a partner's credential for one organization. Only a hash of
// its secret is stored.
type APIKey struct {
	ID             bson.ObjectID `bson:"_id"`                  // the key's id, embedded in its secret
	OrganizationID bson.ObjectID `bson:"organizationId"`       // the organization it acts for
	Name           string        `bson:"name"`                 // a name to recognise it by
	Prefix         string        `bson:"prefix"`               // omk_ and the id: shown in listings
	SecretHash     string        `bson:"secretHash"`           // SHA-256 of the secret, hex
	Scope          Scope         `bson:"scope"`                // what the key may do
	CreatedBy      bson.ObjectID `bson:"createdBy"`            // the user who created it
	CreatedAt      time.Time     `bson:"createdAt"`            // when it was created
	LastUsedAt     *time.Time    `bson:"lastUsedAt,omitempty"` // last use, to the minute; nil if never
	RevokedAt      *time.Time    `bson:"revokedAt,omitempty"`  // when it was revoked; nil while it works
}

// Principal is the authenticated caller of one request.
type Principal struct {
	// UserID is the signed-in user; zero for an API key.
	UserID bson.ObjectID
	// OrganizationID is the organization the caller acts in.
	OrganizationID bson.ObjectID
	// Role is the caller's role there. An API key acts as ADMIN with
	// READ_WRITE and as VIEWER with READ, but never above its creator's
	// current role.
	Role Role
	// SessionID is the session's id (the token hash) for a browser session.
	SessionID string
	// APIKeyID is the key's id for a partner request.
	APIKeyID bson.ObjectID
	// Scope is the API key's scope; empty for a session.
	Scope Scope
	// KeyCreatorID is the user who created the API key. A key never acts
	// with more than its creator's current role in the organization.
	KeyCreatorID bson.ObjectID
}

// IsAPIKey reports whether the caller is a partner API key.
func (p *Principal) IsAPIKey() bool { return !p.APIKeyID.IsZero() }

// CanWrite reports whether the caller may run mutations.
func (p *Principal) CanWrite() bool { return !p.IsAPIKey() || p.Scope == ScopeReadWrite }

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller, or nil when the request is anonymous or a
// long-lived connection has lost its authority.
func FromContext(ctx context.Context) *Principal {
	switch v := ctx.Value(principalKey{}).(type) {
	case *Principal:
		return v
	case *Live:
		return v.Load()
	}
	return nil
}

// Live is the caller of a long-lived connection (a WebSocket, an event
// stream). Its authority is checked again while the connection is open, and
// each operation on it acts with the latest answer, so a role taken away
// after the connection opened is taken away from it too.
type Live struct{ p atomic.Pointer[Principal] }

// NewLive returns a Live holding p.
func NewLive(p *Principal) *Live {
	l := &Live{}
	l.p.Store(p)
	return l
}

// Load returns the current principal; nil once the connection has lost all
// authority.
func (l *Live) Load() *Principal { return l.p.Load() }

// Store replaces the principal; nil ends its authority.
func (l *Live) Store(p *Principal) { l.p.Store(p) }

// WithLive returns a context whose FromContext answers with l's current
// principal at each call.
func WithLive(ctx context.Context, l *Live) context.Context {
	return context.WithValue(ctx, principalKey{}, l)
}

// Pin returns a context whose principal is the one current now, for one
// operation on a long-lived connection: its directives and resolvers then
// all see the same caller, and a change of authority applies from the next
// operation on (the connection ends if none is left). Other contexts are
// returned as they are.
func Pin(ctx context.Context) context.Context {
	if l, ok := ctx.Value(principalKey{}).(*Live); ok {
		return context.WithValue(ctx, principalKey{}, l.Load())
	}
	return ctx
}

// Client describes where a request comes from, for sessions, throttling and
// audit records.
type Client struct {
	IP        string // the client's address (see OMNIFY_TRUSTED_PROXIES)
	UserAgent string // the User-Agent header
}

type clientKey struct{}

// WithClient returns a context carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFromContext returns the request's client, or a zero Client.
func ClientFromContext(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// SessionCookie is how the HTTP layer hands a session token to the browser.
// The token never travels in a response body.
type SessionCookie interface {
	// Set stores the token in the browser until expires.
	Set(token string, expires time.Time)
	// Clear removes the session cookie.
	Clear()
}

type cookieKey struct{}

// WithSessionCookie returns a context whose requests can set the session cookie.
func WithSessionCookie(ctx context.Context, c SessionCookie) context.Context {
	return context.WithValue(ctx, cookieKey{}, c)
}

func sessionCookieFrom(ctx context.Context) SessionCookie {
	c, _ := ctx.Value(cookieKey{}).(SessionCookie)
	return c
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return k.RevokedAt != nil }
