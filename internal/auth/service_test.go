package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// jar is the HTTP layer's part in a sign-up: it receives the session cookie.
type jar struct{ token string }

func (j *jar) Set(token string, _ time.Time) { j.token = token }
func (j *jar) Clear()                        { j.token = "" }

// all asks for a whole (short) list in one page.
var all = page.Request{First: page.MaxFirst}

// list is the items of a page.
func list[T any](p page.Page[T], err error) ([]T, error) { return p.Items, err }

func newService(t *testing.T) (*Service, *Store) {
	t.Helper()
	db, _ := dbs.NewDB(t)
	store := NewStore(db)
	if err := store.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	return New(store, Options{}), store
}

func signUpUser(t *testing.T, s *Service, email string) *authz.Principal {
	t.Helper()
	ctx := WithSessionCookie(context.Background(), &jar{})
	p, err := s.SignUp(ctx, SignUpInput{Email: email, Password: "a long enough password", Name: "N", OrganizationName: "O " + email})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTwoOwnersStepDownAtOnceLeavesOne(t *testing.T) {
	s, store := newService(t)
	ctx := context.Background()
	alice := signUpUser(t, s, "alice@example.com")
	bob := signUpUser(t, s, "bob@example.com")
	join(t, s, alice, bob, "bob@example.com", authz.RoleOwner)
	bobHere := &authz.Principal{UserID: bob.UserID, OrganizationID: alice.OrganizationID, Role: authz.RoleOwner, SessionID: "x"}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []*authz.Principal{alice, bobHere} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.UpdateMemberRole(ctx, p, p.UserID, authz.RoleAdmin)
		}()
	}
	wg.Wait()

	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("unexpected error %v", err)
		}
	}
	members, _ := list(store.MembershipsOfOrganization(ctx, alice.OrganizationID, all))
	owners := 0
	for _, m := range members {
		if m.Role == authz.RoleOwner {
			owners++
		}
	}
	if ok != 1 || owners != 1 {
		t.Fatalf("%d step-downs succeeded, %d owners remain; want 1 and 1", ok, owners)
	}
}

func TestSessionsExpire(t *testing.T) {
	db, _ := dbs.NewDB(t)
	store := NewStore(db)
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := New(store, Options{Now: clock})
	j := &jar{}
	ctx := WithSessionCookie(context.Background(), j)
	if _, err := s.SignUp(ctx, SignUpInput{Email: "e@example.com", Password: "a long enough password", Name: "E", OrganizationName: "E"}); err != nil {
		t.Fatal(err)
	}
	token := j.token

	steps := []struct {
		name    string
		advance time.Duration
		wantOK  bool
	}{
		{"fresh", 0, true},
		{"used after six days", 6 * 24 * time.Hour, true},
		{"used again six days later (idle expiry slides)", 6 * 24 * time.Hour, true},
		{"and again", 6 * 24 * time.Hour, true},
		{"and again", 6 * 24 * time.Hour, true},
		{"past the 30-day absolute limit", 7 * 24 * time.Hour, false},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		_, err := s.AuthenticateSession(context.Background(), token)
		if (err == nil) != st.wantOK {
			t.Fatalf("%s: err = %v", st.name, err)
		}
	}

	// Idle expiry: a session unused for 7 days ends.
	j2 := &jar{}
	if _, err := s.LogIn(WithSessionCookie(context.Background(), j2), "e@example.com", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(7*24*time.Hour + time.Second)
	if _, err := s.AuthenticateSession(context.Background(), j2.token); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("idle session: %v", err)
	}
}
