// Package auth decides who is calling and what they may do: users,
// organizations and their memberships and roles, invitations, browser
// sessions, partner API keys and login throttling.
//
// The service is the authority on access. Every method that acts for a
// caller takes the caller's *authz.Principal and checks it itself with
// authz.Require (any caller with the role, API keys included),
// authz.RequireUser (signed-in people only: managing members, invitations
// and API keys, changing a password, switching organizations) or
// authz.RequireWrite; the schema's directives state the same rules.
// Roles used: OWNER manages owners; OWNER and ADMIN manage members,
// invitations and API keys; every member reads the organization's members.
//
// Every method that touches tenant data scopes its queries to the
// principal's active organization (or to organizations the caller belongs
// to), so no method can read another organization's documents. An object
// of another organization is reported as NOT_FOUND, never FORBIDDEN, so that
// its existence does not leak.
//
// Lists that can grow are paged with the page package, in creation order
// (see Store).
package auth

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// The errors the service answers with, besides BAD_USER_INPUT for input.
var (
	errBadCredentials = apperr.New(apperr.Unauthenticated, "The email address or password is incorrect.")
	errSessionInvalid = apperr.New(apperr.Unauthenticated, "Your session has ended. Log in again.")
	errKeyInvalid     = apperr.New(apperr.Unauthenticated, "The API key is not valid or has been revoked.")
	errKeySuspended   = apperr.New(apperr.Unauthenticated,
		"The API key is suspended: the user who created it no longer belongs to the organization. Ask an admin for a new key.")
	errEmailTaken   = &apperr.Error{Code: apperr.Conflict, Field: "email", Message: "An account with this email address already exists. Log in instead."}
	errNoInvitation = apperr.New(apperr.NotFound, "No such invitation: it was revoked, has expired or is for another email address.")
	errNoOrg        = apperr.New(apperr.NotFound, "No such organization.")
	errNoUser       = apperr.New(apperr.NotFound, "No such user.")
	errNoMember     = &apperr.Error{Code: apperr.NotFound, Field: "userId", Message: "No such member in this organization."}
	errNoMembership = apperr.New(apperr.NotFound, "No such membership.")
	errNoAPIKey     = apperr.New(apperr.NotFound, "No such API key.")
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
