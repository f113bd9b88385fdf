// Package authz is the one authorization model of Omnify: the roles a member
// holds in an organization, the scopes of partner API keys, and the
// Principal, the authenticated caller of one request.
//
// Every module's service enforces its own rules with Require, RequireUser and
// RequireWrite before it touches tenant data; the schema's @authenticated and
// @hasRole directives state the same rules and refuse early, as a second line
// of defence. Every organization-scoped method takes the caller's Principal
// and scopes its queries to Principal.OrganizationID, so an object of another
// organization is reported as NOT_FOUND, never FORBIDDEN.
package authz

import (
	"context"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
)

// Role is a member's role in an organization, from most to least powerful.
type Role string

// The roles. OWNER and ADMIN manage members, API keys and integrations;
// MEMBER works with the organization's data and agents; VIEWER only reads.
const (
	RoleOwner  Role = "OWNER"
	RoleAdmin  Role = "ADMIN"
	RoleMember Role = "MEMBER"
	RoleViewer Role = "VIEWER"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleMember, RoleViewer}

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

// Min returns the less powerful of r and o.
func (r Role) Min(o Role) Role {
	if r.rank() <= o.rank() {
		return r
	}
	return o
}

// Scope is what a partner API key may do.
type Scope string

// The scopes: READ runs queries and subscriptions; READ_WRITE mutations too.
const (
	ScopeRead      Scope = "READ"
	ScopeReadWrite Scope = "READ_WRITE"
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeRead || s == ScopeReadWrite }

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

// The messages of the errors below; the directives use the same words.
const (
	msgLogIn    = "Log in to continue."
	msgUserOnly = "This needs a signed-in user; API keys cannot do it."
	msgReadOnly = "This API key is read-only; create a READ_WRITE key to make changes."
)

// Unauthenticated is the error for a caller who is not signed in.
func Unauthenticated() *apperr.Error { return apperr.New(apperr.Unauthenticated, msgLogIn) }

// Require checks that p is signed in (a session or an API key) with at
// least role min in its active organization. It returns UNAUTHENTICATED for
// a nil principal and FORBIDDEN below min.
func Require(p *Principal, min Role) error {
	switch {
	case p == nil:
		return Unauthenticated()
	case !p.Role.AtLeast(min):
		return apperr.New(apperr.Forbidden, "This needs the %s role or higher in the organization.", min)
	}
	return nil
}

// RequireUser is Require for operations only a signed-in person may run:
// an API key gets FORBIDDEN whatever its role.
func RequireUser(p *Principal, min Role) error {
	if p != nil && p.IsAPIKey() {
		return apperr.New(apperr.Forbidden, msgUserOnly)
	}
	return Require(p, min)
}

// RequireWrite is Require for changes: a READ key gets FORBIDDEN.
func RequireWrite(p *Principal, min Role) error {
	if err := Require(p, min); err != nil {
		return err
	}
	if !p.CanWrite() {
		return apperr.New(apperr.Forbidden, msgReadOnly)
	}
	return nil
}

// RequireIn is Require for organization-scoped data: a caller who acts in
// no organization gets FORBIDDEN too.
func RequireIn(p *Principal, min Role) error {
	if err := Require(p, min); err != nil {
		return err
	}
	return inOrganization(p)
}

// RequireWriteIn is RequireWrite for organization-scoped data.
func RequireWriteIn(p *Principal, min Role) error {
	if err := RequireWrite(p, min); err != nil {
		return err
	}
	return inOrganization(p)
}

// inOrganization refuses a caller who acts in no organization: every
// organization-scoped query is scoped to one.
func inOrganization(p *Principal) error {
	if p.OrganizationID.IsZero() {
		return apperr.New(apperr.Forbidden, "Choose an organization first.")
	}
	return nil
}

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
