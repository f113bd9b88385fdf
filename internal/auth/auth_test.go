package auth

import (
	"context"
	"testing"
)

func TestLivePrincipalAndPin(t *testing.T) {
	admin := &Principal{Role: RoleAdmin, SessionID: "s"}
	live := NewLive(admin)
	ctx := WithLive(context.Background(), live)
	op := Pin(ctx)

	member := &Principal{Role: RoleMember, SessionID: "s"}
	live.Store(member)
	if got := FromContext(ctx); got != member {
		t.Fatalf("the connection's principal is %+v, want the latest", got)
	}
	if got := FromContext(op); got != admin {
		t.Fatalf("an operation started before the change sees %+v, want the principal it started with", got)
	}
	live.Store(nil)
	if FromContext(ctx) != nil || FromContext(Pin(ctx)) != nil {
		t.Fatal("a connection without authority still has a principal")
	}
	plain := WithPrincipal(context.Background(), admin)
	if FromContext(Pin(plain)) != admin {
		t.Fatal("Pin changed a request's fixed principal")
	}
}
