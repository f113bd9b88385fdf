package auth

import (
	"context"
	"testing"

	"github.com/omnify/bff/internal/authz"
)

func TestLivePrincipalAndPin(t *testing.T) {
	admin := &authz.Principal{Role: authz.RoleAdmin, SessionID: "s"}
	live := authz.NewLive(admin)
	ctx := authz.WithLive(context.Background(), live)
	op := authz.Pin(ctx)

	member := &authz.Principal{Role: authz.RoleMember, SessionID: "s"}
	live.Store(member)
	if got := authz.FromContext(ctx); got != member {
		t.Fatalf("the connection's principal is %+v, want the latest", got)
	}
	if got := authz.FromContext(op); got != admin {
		t.Fatalf("an operation started before the change sees %+v, want the principal it started with", got)
	}
	live.Store(nil)
	if authz.FromContext(ctx) != nil || authz.FromContext(authz.Pin(ctx)) != nil {
		t.Fatal("a connection without authority still has a principal")
	}
	plain := authz.WithPrincipal(context.Background(), admin)
	if authz.FromContext(authz.Pin(plain)) != admin {
		t.Fatal("authz.Pin changed a request's fixed principal")
	}
}
