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
	t.Run("uncached", func(t *testing.T) { testSessionsExpire(t, 0) })
	// With a cache whose entries outlive the test, every check after the
	// first is served from it: the idle expiry must still slide, and both
	// expiries still end the session.
	t.Run("cached", func(t *testing.T) { testSessionsExpire(t, 365*24*time.Hour) })
}

func testSessionsExpire(t *testing.T, cacheTTL time.Duration) {
	db, _ := dbs.NewDB(t)
	store := NewStore(db)
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := New(store, Options{Now: clock, CacheTTL: cacheTTL})
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
	hash, _ := ParseSessionToken(token)
	for _, st := range steps {
		now = now.Add(st.advance)
		_, err := s.AuthenticateSession(context.Background(), token)
		if (err == nil) != st.wantOK {
			t.Fatalf("%s: err = %v", st.name, err)
		}
		if sess, err := store.Session(context.Background(), hash); st.wantOK && (err != nil || !sess.LastUsedAt.Equal(now)) {
			t.Fatalf("%s: the use is not recorded: %+v, %v", st.name, sess, err)
		}
	}

	// Idle expiry: a session unused for 7 days ends.
	j2 := &jar{}
	if _, err := s.LogIn(WithSessionCookie(context.Background(), j2), "e@example.com", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateSession(context.Background(), j2.token); err != nil {
		t.Fatal(err)
	}
	now = now.Add(7*24*time.Hour + time.Second)
	if _, err := s.AuthenticateSession(context.Background(), j2.token); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("idle session: %v", err)
	}
}

// TestCachedPrincipalsFollowChanges: with a cache that never expires on its
// own, every change of authority still reaches the next authentication.
func TestCachedPrincipalsFollowChanges(t *testing.T) {
	db, _ := dbs.NewDB(t)
	store := NewStore(db)
	if err := store.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := New(store, Options{CacheTTL: time.Hour})
	ctx := context.Background()
	alice := signUpUser(t, s, "alice@example.com")
	bob := signUpUser(t, s, "bob@example.com")
	join(t, s, alice, bob, "bob@example.com", authz.RoleAdmin)

	bobJar := &jar{}
	bobHere, err := s.LogIn(WithSessionCookie(ctx, bobJar), "bob@example.com", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if bobHere, err = s.SwitchOrganization(ctx, bobHere, alice.OrganizationID); err != nil {
		t.Fatal(err)
	}
	_, secret, err := s.CreateAPIKey(ctx, bobHere, "k", authz.ScopeReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	session := func() (*authz.Principal, error) { return s.AuthenticateSession(ctx, bobJar.token) }
	key := func() (*authz.Principal, error) { return s.AuthenticateAPIKey(ctx, secret) }
	role := func(what string, auth func() (*authz.Principal, error), want authz.Role) {
		t.Helper()
		for range 2 { // the second answer is the cache's
			p, err := auth()
			if err != nil || p.Role != want || p.OrganizationID != alice.OrganizationID {
				t.Fatalf("%s: %+v, %v; want %s in alice's organization", what, p, err, want)
			}
		}
	}
	role("session after the switch", session, authz.RoleAdmin)
	role("key", key, authz.RoleAdmin)

	if _, err := s.UpdateMemberRole(ctx, alice, bob.UserID, authz.RoleViewer); err != nil {
		t.Fatal(err)
	}
	role("session after the demotion", session, authz.RoleViewer)
	role("key after its creator's demotion", key, authz.RoleViewer)

	if _, err := s.RemoveMember(ctx, alice, bob.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := session(); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("session of a removed member: %v", err)
	}
	if _, err := key(); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("key of a removed member: %v", err)
	}

	// A revoked key, a logged-out session, the other sessions after a
	// password change.
	_, secret, err = s.CreateAPIKey(ctx, alice, "k2", authz.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	p, err := key()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeAPIKey(ctx, alice, p.APIKeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := key(); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("revoked key: %v", err)
	}
	other := &jar{}
	if _, err := s.LogIn(WithSessionCookie(ctx, other), "alice@example.com", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	first := &jar{}
	me, err := s.LogIn(WithSessionCookie(ctx, first), "alice@example.com", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{other.token, first.token, other.token, first.token} {
		if _, err := s.AuthenticateSession(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ChangePassword(ctx, me, "a long enough password", "another long password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateSession(ctx, other.token); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("other session after a password change: %v", err)
	}
	if _, err := s.AuthenticateSession(ctx, first.token); err != nil {
		t.Fatalf("the session that changed the password: %v", err)
	}
	if _, err := s.LogOut(ctx, me); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateSession(ctx, first.token); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("logged-out session: %v", err)
	}
}

// TestALookupReadBeforeAChangeIsNotCached: a lookup that read a key before
// its revocation and stores its answer after the revocation dropped the
// cache's entry must not put the key back.
func TestALookupReadBeforeAChangeIsNotCached(t *testing.T) {
	db, _ := dbs.NewDB(t)
	store := NewStore(db)
	if err := store.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := New(store, Options{CacheTTL: time.Hour})
	ctx := context.Background()
	alice := signUpUser(t, s, "alice@example.com")
	key, secret, err := s.CreateAPIKey(ctx, alice, "k", authz.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	_, hash, _ := ParseAPIKey(secret)

	// The lookup: note the generation, read the key.
	seen := s.cache.generation()
	stored, err := store.APIKeyForAuthentication(ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.keyPrincipal(ctx, stored, false)
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile the key is revoked; then the lookup stores its answer.
	if _, err := s.RevokeAPIKey(ctx, alice, key.ID); err != nil {
		t.Fatal(err)
	}
	s.cache.put(keyCacheKey(hash), seen, &cachedPrincipal{p: *p}, s.now())
	if _, err := s.AuthenticateAPIKey(ctx, secret); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("a revoked key authenticated from a stale lookup: %v", err)
	}

	// Without a change in between, the answer is stored.
	s.cache.put(keyCacheKey(hash), s.cache.generation(), &cachedPrincipal{p: *p}, s.now())
	if _, ok := s.cache.get(keyCacheKey(hash), s.now()); !ok {
		t.Fatal("an answer with no change since its lookup was not stored")
	}
}

// TestCachedKeyRecordsItsUseOncePerInterval: a key served from the cache
// still has its last use recorded, once per TouchInterval.
func TestCachedKeyRecordsItsUseOncePerInterval(t *testing.T) {
	db, _ := dbs.NewDB(t)
	store := NewStore(db)
	if err := store.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s := New(store, Options{CacheTTL: time.Hour, TouchInterval: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	alice := signUpUser(t, s, "alice@example.com")
	key, secret, err := s.CreateAPIKey(ctx, alice, "k", authz.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		t.Helper()
		k, err := store.APIKeyForAuthentication(ctx, key.ID)
		if err != nil || k.LastUsedAt == nil {
			t.Fatalf("key %+v, %v", k, err)
		}
		return k.LastUsedAt.UTC()
	}
	start := now
	for _, step := range []struct {
		at, recorded time.Duration // since the start: this check, the last use it should leave
	}{
		{0, 0},                                 // looked up and recorded
		{30 * time.Second, 0},                  // from the cache, too soon to record
		{61 * time.Second, 61 * time.Second},   // from the cache, recorded
		{120 * time.Second, 61 * time.Second},  // 59 s later: not yet
		{122 * time.Second, 122 * time.Second}, // recorded again
	} {
		now = start.Add(step.at)
		if _, err := s.AuthenticateAPIKey(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if got, want := lastUsed(), start.Add(step.recorded); !got.Equal(want) {
			t.Fatalf("after %v: last use %v, want %v", step.at, got, want)
		}
	}
}
