package demo

import (
	"context"
	"testing"
	"time"

	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/legal"
	"github.com/omnify/bff/internal/mongodb/mongotest"
)

var dbs *mongotest.Server

func TestMain(m *testing.M) { mongotest.Main(m, &dbs) }

// env is a demo Service over the real modules on a fresh database.
type env struct {
	svc      *Service
	store    *Store
	accounts *auth.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, _ := dbs.NewDB(t)
	ctx := t.Context()
	authStore := auth.NewStore(db)
	if err := authStore.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	accounts := auth.New(authStore, auth.Options{})
	docs := legal.New(legal.NewStore(db), legal.Options{Organizations: accounts})
	if err := docs.EnsureShipped(ctx); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, integrations.KeySize)
	sealer, err := integrations.NewSealer("", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	istore := integrations.NewStore(db)
	if err := istore.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	data := integrations.New(istore, integrations.Options{Sealer: sealer})
	store := NewStore(db)
	return &env{svc: New(store, Options{Accounts: accounts, Legal: docs, Data: data, LockWait: time.Second}), store: store, accounts: accounts}
}

// logIn logs the demo user in with password: its principal, or nil.
func (e *env) logIn(t *testing.T, password string) *authz.Principal {
	t.Helper()
	p, err := e.accounts.LogIn(auth.WithSessionCookie(t.Context(), discardCookie{}), Email, password)
	if err != nil {
		return nil
	}
	return p
}

func TestEnsureThenReset(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	r, err := e.svc.Ensure(ctx, "")
	if err != nil || r.Outcome != Created || r.Password == "" || r.Email != Email {
		t.Fatalf("Ensure: %+v, %v", r, err)
	}
	p := e.logIn(t, r.Password)
	if p == nil || p.OrganizationID != r.OrganizationID || p.Role != authz.RoleOwner {
		t.Fatalf("log in with the random password: %+v", p)
	}
	if ok, err := e.svc.IsDemo(ctx, r.OrganizationID); !ok || err != nil {
		t.Fatalf("IsDemo: %v, %v", ok, err)
	}
	again, err := e.svc.Ensure(ctx, "")
	if err != nil || again.Outcome != Exists || again.Password != "" {
		t.Fatalf("second Ensure: %+v, %v", again, err)
	}
	reset, err := e.svc.Reset(ctx, "a brand new demo password")
	if err != nil || reset.Outcome != Reset || reset.OrganizationID != r.OrganizationID {
		t.Fatalf("Reset: %+v, %v", reset, err)
	}
	if e.logIn(t, r.Password) != nil || e.logIn(t, "a brand new demo password") == nil {
		t.Fatal("after Reset, the old password works or the new one does not")
	}
	if err := CheckPassword("password1"); err == nil {
		t.Fatal("a short common password was accepted")
	}
}

// TestEnsureFinishesAnInterruptedSetUp: a process claimed the demo and
// signed the demo user up, then died; the next start finishes the set-up
// on the same account.
func TestEnsureFinishesAnInterruptedSetUp(t *testing.T) {
	e := newEnv(t)
	ctx := context.WithoutCancel(t.Context())
	if ok, err := e.store.insertClaim(ctx, "a process that died", time.Now().UTC()); !ok || err != nil {
		t.Fatalf("insertClaim: %v, %v", ok, err)
	}
	p, err := e.accounts.SignUp(auth.WithSessionCookie(ctx, discardCookie{}), auth.SignUpInput{
		Email: Email, Password: "the password nobody knows", Name: UserName, OrganizationName: OrganizationName})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.Ensure(ctx, "the password everyone knows")
	if err != nil || r.Outcome != Created || r.OrganizationID != p.OrganizationID {
		t.Fatalf("Ensure: %+v, %v (the account's organization is %s)", r, err, p.OrganizationID.Hex())
	}
	if e.logIn(t, "the password everyone knows") == nil {
		t.Fatal("the demo user cannot log in")
	}
	c, err := e.store.claim(ctx)
	if err != nil || c.ReadyAt == nil || c.UserID != p.UserID {
		t.Fatalf("claim %+v, %v", c, err)
	}
}

// TestEnsureLeavesABusyDatabase: a database with an organization gets no
// demo at start-up, but Reset creates one.
func TestEnsureLeavesABusyDatabase(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.accounts.SignUp(auth.WithSessionCookie(ctx, discardCookie{}), auth.SignUpInput{
		Email: "owner@example.com", Password: "correct horse battery", Name: "Owner", OrganizationName: "Real Store"}); err != nil {
		t.Fatal(err)
	}
	if r, err := e.svc.Ensure(ctx, ""); err != nil || r.Outcome != NotEmpty {
		t.Fatalf("Ensure: %+v, %v", r, err)
	}
	if r, err := e.svc.Reset(ctx, ""); err != nil || r.Outcome != Created {
		t.Fatalf("Reset: %+v, %v", r, err)
	}
}
