package app_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/events/natstest"
)

// The tests here check the cache of resolved principals
// (OMNIFY_AUTH_CACHE_TTL): a credential seen moments ago costs no database
// command, and no change of authority is ever outlived by a cached answer
// in the process that made it, nor on another replica once the change
// reaches it over the bus.

// cacheTTL sets OMNIFY_AUTH_CACHE_TTL.
func cacheTTL(d time.Duration) func(*config.Config) {
	return func(c *config.Config) { c.AuthCacheTTL = d }
}

// withCookie is a client without a jar that sends the session cookie
// (name=value) with every request, even after the server cleared it.
func withCookie(env *apptest.Env, cookie string) *apptest.Client {
	c := env.Client()
	c.HTTP().Jar = nil
	c.Header.Set("Cookie", cookie)
	return c
}

const serverInfoQuery = `{ serverInfo { version } }`

// secondRequestCommands is what the second of two identical requests costs,
// but for the list of current legal documents, which a process reads again
// every legal.CurrentTTL whoever asks.
func secondRequestCommands(t *testing.T, env *apptest.Env, c *apptest.Client) int {
	t.Helper()
	c.MustData(t, serverInfoQuery, nil, nil)
	env.Commands.Reset()
	c.MustData(t, serverInfoQuery, nil, nil)
	return env.Commands.Count() - env.Commands.CountOn("find", "legal_documents")
}

func TestAuthCacheSavesTheLookups(t *testing.T) {
	costs := func(t *testing.T, ttl time.Duration) (key, session int) {
		env := apptest.Start(t, dbs, cacheTTL(ttl))
		alice := signUp(t, env, "alice@example.com", "Acme")
		_, secret := createKey(t, alice.c, "dashboard", "READ")
		return secondRequestCommands(t, env, keyClient(env, secret)), secondRequestCommands(t, env, alice.c)
	}
	var cachedKey, cachedSession, key, session int
	t.Run("cached", func(t *testing.T) { cachedKey, cachedSession = costs(t, 5*time.Second) })
	t.Run("uncached", func(t *testing.T) { key, session = costs(t, 0) })
	t.Logf("second request: key %d commands (uncached %d), session %d (uncached %d)", cachedKey, key, cachedSession, session)
	// serverInfo reads nothing itself; a session's request passes the legal
	// gate, whose answer for a user who is done is kept with the cache on.
	if cachedKey != 0 || cachedSession != 0 {
		t.Errorf("a cached key's request cost %d commands and a cached session's %d, want 0", cachedKey, cachedSession)
	}
	if key != 2 {
		t.Errorf("an uncached key's request cost %d commands, want 2 (the key, its creator's membership)", key)
	}
	if session != 4 {
		t.Errorf("an uncached session's request cost %d commands, want 4 (session, membership, the user's acceptances, the organization's DPA signature)", session)
	}
}

// TestChangesOfAuthorityReachTheNextRequest: on the replica that makes a
// change, the very next request sees it, however long the cache's TTL.
func TestChangesOfAuthorityReachTheNextRequest(t *testing.T) {
	env := apptest.Start(t, dbs, cacheTTL(time.Minute))
	alice := signUp(t, env, "alice@example.com", "Acme")
	bob := signUp(t, env, "bob@example.com", "Bob Co")
	joinAs(t, alice, bob, "ADMIN")

	// A revoked key.
	id, secret := createKey(t, alice.c, "dashboard", "READ")
	kc := keyClient(env, secret)
	for range 2 {
		kc.MustData(t, serverInfoQuery, nil, nil)
	}
	alice.c.MustData(t, `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { id } } }`, map[string]any{"k": id}, nil)
	if r := kc.Do(t, serverInfoQuery, nil); r.Status != http.StatusUnauthorized || r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("revoked key: %d %+v", r.Status, r.Errors)
	}

	// A demoted ADMIN cannot write on the next request, nor can the key
	// they made act above them.
	_, bobKey := createKey(t, bob.c, "bob's", "READ_WRITE")
	bobKC := keyClient(env, bobKey)
	for range 2 {
		if got := roleOf(t, bobKC); got != "ADMIN" {
			t.Fatalf("bob's key acts as %s", got)
		}
	}
	setRole(t, alice, bob.userID, "VIEWER")
	if r := bob.c.Do(t, createKeyOp, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("demoted admin writes: %+v", r.Errors)
	}
	if got := roleOf(t, bobKC); got != "VIEWER" {
		t.Fatalf("the key of a demoted admin acts as %s", got)
	}

	// Switching organizations moves the session at once.
	bob.c.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": bob.orgID}, nil)
	if v := me(t, bob.c); v == nil || v.Organization.ID != bob.orgID || v.Role != "OWNER" {
		t.Fatalf("after switching back: %+v", v)
	}
	bob.c.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": alice.orgID}, nil)

	// A removed member's session and keys end.
	removeMember(t, alice, bob.userID)
	if v := me(t, bob.c); v != nil {
		t.Fatalf("removed member still acts in the organization: %+v", v)
	}
	if r := bobKC.Do(t, serverInfoQuery, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("key of a removed member: %d %+v", r.Status, r.Errors)
	}

	// A logged-out session, replayed.
	for range 2 {
		if me(t, alice.c) == nil {
			t.Fatal("alice is not signed in")
		}
	}
	replay := withCookie(env, sessionCookie(t, env, alice.c))
	alice.c.MustData(t, `mutation { logOut { loggedOut } }`, nil, nil)
	if v := me(t, replay); v != nil {
		t.Fatalf("a logged-out session still works: %+v", v)
	}
}

func roleOf(t *testing.T, c *apptest.Client) string {
	t.Helper()
	var out struct{ Me struct{ Role string } }
	c.MustData(t, `{ me { role } }`, nil, &out)
	return out.Me.Role
}

// TestRevokedKeyIsRefusedByAnotherReplicaWhenTheBusSaysSo: a key cached on
// replica b is revoked through replica a; b refuses it as soon as the
// change arrives over NATS, long before its cache entry would expire.
func TestRevokedKeyIsRefusedByAnotherReplicaWhenTheBusSaysSo(t *testing.T) {
	nats := natstest.Start(t)
	deployment := replicas(t, nats)
	a := apptest.Start(t, dbs, deployment, role(config.RoleAPI), cacheTTL(time.Minute))
	b := apptest.Start(t, dbs, deployment, role(config.RoleAPI), cacheTTL(time.Minute))
	alice := signUp(t, a, "alice@example.com", "Acme")
	bob := signUp(t, a, "bob@example.com", "Bob Co")
	joinAs(t, alice, bob, "ADMIN")
	id, secret := createKey(t, alice.c, "dashboard", "READ")

	onB := keyClient(b, secret)
	if n := secondRequestCommands(t, b, onB); n != 0 {
		t.Fatalf("the key is not cached on b: %d commands", n)
	}
	bobOnB := logInClient(t, b, bob)
	bobOnB.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": alice.orgID}, nil)
	if got := roleOf(t, bobOnB); got != "ADMIN" {
		t.Fatalf("bob on b: %s", got)
	}

	alice.c.MustData(t, `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { id } } }`, map[string]any{"k": id}, nil)
	start := time.Now()
	waitWithin(t, 5*time.Second, "b to refuse the revoked key", func() bool {
		return onB.Do(t, serverInfoQuery, nil).Status == http.StatusUnauthorized
	})
	t.Logf("b refused the key %v after the revocation answered", time.Since(start).Round(time.Millisecond))

	// A demotion through a reaches bob's cached session on b.
	setRole(t, alice, bob.userID, "VIEWER")
	waitWithin(t, 5*time.Second, "b to see the demotion", func() bool { return roleOf(t, bobOnB) == "VIEWER" })
}

// waitWithin polls cond until it holds, failing the test after bound.
func waitWithin(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, bound)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNoRequestSucceedsAfterTheRevocationAnswered: requests with a key run
// in parallel while it is revoked; none that starts after the revocation
// has answered succeeds, whatever the cache held or was being filled with.
func TestNoRequestSucceedsAfterTheRevocationAnswered(t *testing.T) {
	// With a long TTL the key is served from the cache until the
	// revocation drops it; with a TTL of a millisecond most requests look
	// the key up, so lookups are under way when the revocation answers.
	for _, ttl := range []time.Duration{time.Minute, time.Millisecond} {
		t.Run(ttl.String(), func(t *testing.T) { testNoRequestSucceedsAfterTheRevocation(t, ttl) })
	}
}

func testNoRequestSucceedsAfterTheRevocation(t *testing.T, ttl time.Duration) {
	env := apptest.Start(t, dbs, cacheTTL(ttl))
	alice := signUp(t, env, "alice@example.com", "Acme")
	id, secret := createKey(t, alice.c, "dashboard", "READ")
	keyClient(env, secret).MustData(t, serverInfoQuery, nil, nil)

	var revoked atomic.Int64 // when the revocation answered, in Unix nanoseconds; 0 before
	var wg sync.WaitGroup
	var okBefore, refusedAfter, bad, failed atomic.Int64
	stop := make(chan struct{})
	var once sync.Once
	halt := func() { once.Do(func() { close(stop); wg.Wait() }) }
	t.Cleanup(halt) // before the server stops
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(`{"query":"`+serverInfoQuery+`"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+secret)
				started := time.Now().UnixNano()
				after := revoked.Load() != 0 && started > revoked.Load()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusOK && after:
					bad.Add(1)
				case resp.StatusCode == http.StatusOK:
					okBefore.Add(1)
				case after:
					refusedAfter.Add(1)
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	alice.c.MustData(t, `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { id } } }`, map[string]any{"k": id}, nil)
	revoked.Store(time.Now().UnixNano())
	waitWithin(t, 10*time.Second, "200 refused requests", func() bool { return refusedAfter.Load() >= 200 })
	halt()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d requests failed to reach the server", n)
	}
	t.Logf("%d requests succeeded before the revocation, %d were refused after it", okBefore.Load(), refusedAfter.Load())
	if bad.Load() != 0 || okBefore.Load() == 0 {
		t.Fatalf("%d requests started after the revocation answered succeeded (%d before)", bad.Load(), okBefore.Load())
	}
}

// TestLogoutReachesAnotherReplicasCache is the logout case across
// replicas: a session cached on b ends on b when the
// logout through a reaches it.
func TestLogoutReachesAnotherReplicasCache(t *testing.T) {
	nats := natstest.Start(t)
	deployment := replicas(t, nats)
	a := apptest.Start(t, dbs, deployment, role(config.RoleAPI), cacheTTL(time.Minute))
	b := apptest.Start(t, dbs, deployment, role(config.RoleAPI), cacheTTL(time.Minute))
	alice := signUp(t, a, "alice@example.com", "Acme")
	onB := withCookie(b, sessionCookie(t, a, alice.c))
	for i := range 2 {
		if me(t, onB) == nil {
			t.Fatalf("request %d on b is not signed in", i)
		}
	}
	alice.c.MustData(t, `mutation { logOut { loggedOut } }`, nil, nil)
	waitWithin(t, 5*time.Second, "b to end the session", func() bool { return me(t, onB) == nil })
}
