// Package auth decides who is calling and what they may do: users,
// organizations and their memberships and roles, browser sessions, partner
// API keys and login throttling.
//
// Every method that touches tenant data takes the caller's authz.Principal and
// scopes its queries to the principal's active organization, so no method
// can read another organization's documents. An object of another
// organization is reported as NOT_FOUND, never FORBIDDEN, so that its
// existence does not leak.
package auth

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

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
	Role           authz.Role    `bson:"role"`           // the member's role there
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
	Scope          authz.Scope   `bson:"scope"`                // what the key may do
	CreatedBy      bson.ObjectID `bson:"createdBy"`            // the user who created it
	CreatedAt      time.Time     `bson:"createdAt"`            // when it was created
	LastUsedAt     *time.Time    `bson:"lastUsedAt,omitempty"` // last use, to the minute; nil if never
	RevokedAt      *time.Time    `bson:"revokedAt,omitempty"`  // when it was revoked; nil while it works
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
