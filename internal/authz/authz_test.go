package authz

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
)

func code(err error) string {
	if err == nil {
		return "ok"
	}
	if e, ok := apperr.As(err); ok {
		return string(e.Code)
	}
	return err.Error()
}

func TestRequire(t *testing.T) {
	org := bson.NewObjectID()
	user := func(r Role) *Principal { return &Principal{UserID: bson.NewObjectID(), OrganizationID: org, Role: r} }
	key := func(s Scope, r Role) *Principal {
		return &Principal{APIKeyID: bson.NewObjectID(), OrganizationID: org, Role: r, Scope: s}
	}
	for _, tt := range []struct {
		name                               string
		p                                  *Principal
		min                                Role
		require, requireUser, write, inOrg string
	}{
		{"anonymous", nil, RoleViewer, "UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED"},
		{"exactly the role", user(RoleAdmin), RoleAdmin, "ok", "ok", "ok", "ok"},
		{"one role short", user(RoleMember), RoleAdmin, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"},
		{"an unknown role", user("ROOT"), RoleViewer, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"},
		{"a READ key", key(ScopeRead, RoleViewer), RoleViewer, "ok", "FORBIDDEN", "FORBIDDEN", "ok"},
		{"a READ_WRITE key", key(ScopeReadWrite, RoleAdmin), RoleAdmin, "ok", "FORBIDDEN", "ok", "ok"},
		{"no organization", &Principal{UserID: bson.NewObjectID(), Role: RoleOwner}, RoleViewer, "ok", "ok", "ok", "FORBIDDEN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(Require(tt.p, tt.min)); got != tt.require {
				t.Errorf("Require = %s, want %s", got, tt.require)
			}
			if got := code(RequireUser(tt.p, tt.min)); got != tt.requireUser {
				t.Errorf("RequireUser = %s, want %s", got, tt.requireUser)
			}
			if got := code(RequireWrite(tt.p, tt.min)); got != tt.write {
				t.Errorf("RequireWrite = %s, want %s", got, tt.write)
			}
			if got := code(RequireIn(tt.p, tt.min)); got != tt.inOrg {
				t.Errorf("RequireIn = %s, want %s", got, tt.inOrg)
			}
		})
	}
}

func TestRolesAndLive(t *testing.T) {
	if !RoleOwner.AtLeast(RoleAdmin) || RoleViewer.AtLeast(RoleMember) || Role("").AtLeast(RoleViewer) {
		t.Fatal("AtLeast orders the roles wrongly")
	}
	if RoleOwner.Min(RoleMember) != RoleMember || RoleViewer.Min(RoleAdmin) != RoleViewer {
		t.Fatal("Min")
	}
	p := &Principal{Role: RoleAdmin}
	l := NewLive(p)
	ctx := WithLive(context.Background(), l)
	pinned := Pin(ctx)
	l.Store(nil)
	if FromContext(ctx) != nil || FromContext(pinned) != p {
		t.Fatal("a live principal must change for new operations and stay for a pinned one")
	}
}
