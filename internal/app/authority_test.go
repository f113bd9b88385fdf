package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// The tests here check that no open connection outlives the authority it
// was opened with: a role change, a removal, a logout, a password change or
// a revoked key reaches open WebSockets and event streams at once in the
// process that made the change, and within the re-check interval on other
// replicas.

// noPeriodicRecheck leaves only the in-process notice to act on open
// connections, so a test that passes with it proves that notice works.
func noPeriodicRecheck(c *config.Config) { c.WebsocketRecheckInterval = time.Hour }

// op runs one operation over a graphql-transport-ws connection and returns
// its result (a next message, or the errors of an error message).
func (c *wsClient) op(id, query string) apptest.Response {
	c.t.Helper()
	c.send(wsMsg{ID: id, Type: "subscribe", Payload: map[string]any{"query": query}})
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		var m struct {
			ID      string          `json:"id"`
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := c.conn.ReadJSON(&m); err != nil {
			c.t.Fatalf("read the result of %s: %v", id, err)
		}
		switch {
		case m.Type == "ping":
			c.send(wsMsg{Type: "pong"})
		case m.ID != id:
		case m.Type == "next":
			var r apptest.Response
			if err := json.Unmarshal(m.Payload, &r); err != nil {
				c.t.Fatalf("next payload %s: %v", m.Payload, err)
			}
			return r
		case m.Type == "error":
			var r apptest.Response
			if err := json.Unmarshal(m.Payload, &r.Errors); err != nil {
				c.t.Fatalf("error payload %s: %v", m.Payload, err)
			}
			return r
		}
	}
}

// joinAs adds member to owner's organization with role and makes it the
// member's active organization.
func joinAs(t *testing.T, owner, member account, role string) {
	t.Helper()
	addMember(t, owner, member, role)
	member.c.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": owner.orgID}, nil)
}

func setRole(t *testing.T, owner account, userID, role string) {
	t.Helper()
	owner.c.MustData(t, `mutation($u: ID!, $r: Role!) { updateMemberRole(input: {userId: $u, role: $r}) { member { role } } }`,
		map[string]any{"u": userID, "r": role}, nil)
}

func removeMember(t *testing.T, owner account, userID string) {
	t.Helper()
	owner.c.MustData(t, `mutation($u: ID!) { removeMember(input: {userId: $u}) { removedMemberId organization { id } } }`, map[string]any{"u": userID}, nil)
}

func createKey(t *testing.T, c *apptest.Client, name, scope string) (id, secret string) {
	t.Helper()
	var out struct {
		CreateApiKey struct {
			ApiKey struct{ ID string }
			Secret string
		}
	}
	c.MustData(t, `mutation($n: String!, $s: ApiKeyScope!) { createApiKey(input: {name: $n, scope: $s}) { apiKey { id } secret } }`,
		map[string]any{"n": name, "s": scope}, &out)
	return out.CreateApiKey.ApiKey.ID, out.CreateApiKey.Secret
}

func keyClient(env *apptest.Env, secret string) *apptest.Client {
	c := env.Client()
	c.Header.Set("Authorization", "Bearer "+secret)
	return c
}

func dialWithKey(t *testing.T, env *apptest.Env, secret string) *wsClient {
	t.Helper()
	ws := mustDialWS(t, env, "graphql-transport-ws")
	ws.send(wsMsg{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer " + secret}})
	if m := ws.read(false); m.Type != "connection_ack" {
		t.Fatalf("init with key: %+v", m)
	}
	return ws
}

const createKeyOp = `mutation { createApiKey(input: {name: "over the socket", scope: READ}) { apiKey { id } } }`

func roleOver(t *testing.T, ws *wsClient, id string) string {
	t.Helper()
	r := ws.op(id, `{ me { role } }`)
	var d struct{ Me *struct{ Role string } }
	if len(r.Errors) != 0 || json.Unmarshal(r.Data, &d) != nil || d.Me == nil {
		t.Fatalf("me over the socket: %s %+v", r.Data, r.Errors)
	}
	return d.Me.Role
}

func TestDemotedAdminLosesAdminOnOpenWebsocketAtOnce(t *testing.T) {
	env := apptest.Start(t, dbs, noPeriodicRecheck)
	alice := signUp(t, env, "alice@example.com", "Acme")
	bob := signUp(t, env, "bob@example.com", "Bob Co")
	joinAs(t, alice, bob, "ADMIN")

	ws := mustDialWSWithCookie(t, env, bob.c)
	ws.initAndAck()
	if r := ws.op("1", createKeyOp); len(r.Errors) != 0 {
		t.Fatalf("ADMIN creates a key over the socket: %+v", r.Errors)
	}

	setRole(t, alice, bob.userID, "MEMBER")
	if r := ws.op("2", createKeyOp); r.Code() != "FORBIDDEN" {
		t.Fatalf("createApiKey after demotion to MEMBER: data %s errors %+v, want FORBIDDEN", r.Data, r.Errors)
	}
	// Reduced authority, not none: the connection goes on as a MEMBER.
	if got := roleOver(t, ws, "3"); got != "MEMBER" {
		t.Fatalf("role over the socket after demotion: %s", got)
	}

	removeMember(t, alice, bob.userID)
	if code := ws.closeCode(); code != 4403 {
		t.Fatalf("socket of a removed member closed with %d, want 4403", code)
	}
}

func TestEndedAuthorityClosesOpenWebsocketsAtOnce(t *testing.T) {
	env := apptest.Start(t, dbs, noPeriodicRecheck)
	alice := signUp(t, env, "alice@example.com", "Acme")

	tests := []struct {
		name string
		// open returns a socket that acts with some authority; end takes
		// that authority away over HTTP.
		open func(t *testing.T) (ws *wsClient, end func())
	}{
		{"logout", func(t *testing.T) (*wsClient, func()) {
			laptop := logInClient(t, env, alice)
			ws := mustDialWSWithCookie(t, env, laptop)
			ws.initAndAck()
			return ws, func() { laptop.MustData(t, `mutation { logOut { loggedOut } }`, nil, nil) }
		}},
		{"password changed in another session", func(t *testing.T) (*wsClient, func()) {
			laptop := logInClient(t, env, alice)
			ws := mustDialWSWithCookie(t, env, laptop)
			ws.initAndAck()
			return ws, func() {
				alice.c.MustData(t, `mutation($i: ChangePasswordInput!) { changePassword(input: $i) { otherSessionsEnded } }`,
					map[string]any{"i": map[string]any{"currentPassword": alice.pass, "newPassword": alice.pass + " 2"}}, nil)
				alice.pass += " 2"
			}
		}},
		{"member removed", func(t *testing.T) (*wsClient, func()) {
			bob := signUp(t, env, "bob@example.com", "Bob Co")
			joinAs(t, alice, bob, "VIEWER")
			ws := mustDialWSWithCookie(t, env, bob.c)
			ws.initAndAck()
			return ws, func() { removeMember(t, alice, bob.userID) }
		}},
		{"key revoked", func(t *testing.T) (*wsClient, func()) {
			id, secret := createKey(t, alice.c, "dashboard", "READ")
			ws := dialWithKey(t, env, secret)
			return ws, func() {
				alice.c.MustData(t, `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { id revokedAt } } }`, map[string]any{"k": id}, nil)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, end := tt.open(t)
			if got := roleOver(t, ws, "before"); got == "" {
				t.Fatal("no role before the change")
			}
			end()
			if code := ws.closeCode(); code != 4403 {
				t.Fatalf("close code %d, want 4403", code)
			}
		})
	}
}

func logInClient(t *testing.T, env *apptest.Env, a account) *apptest.Client {
	t.Helper()
	c := env.Client()
	c.MustData(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
		map[string]any{"i": map[string]any{"email": a.email, "password": a.pass}}, nil)
	return c
}

func TestAuthorityChangesReachOtherReplicasWithinTheRecheckInterval(t *testing.T) {
	name := dbs.DatabaseName(t)
	shared := func(c *config.Config) { c.MongoDatabase = name }
	a := apptest.Start(t, dbs, shared)
	b := apptest.Start(t, dbs, shared, func(c *config.Config) { c.WebsocketRecheckInterval = 200 * time.Millisecond })
	alice := signUp(t, a, "alice@example.com", "Acme")
	bob := signUp(t, a, "bob@example.com", "Bob Co")
	joinAs(t, alice, bob, "ADMIN")

	// Bob's socket is on replica b; the change is made through replica a.
	ws := mustDialWSWithCookie(t, b, bob.c)
	ws.initAndAck()
	if got := roleOver(t, ws, "0"); got != "ADMIN" {
		t.Fatalf("role on replica b: %s", got)
	}
	setRole(t, alice, bob.userID, "MEMBER")
	n := 0
	waitFor(t, "the demotion to reach replica b", func() bool {
		n++
		return ws.op(fmt.Sprintf("poll-%d", n), createKeyOp).Code() == "FORBIDDEN"
	})
	removeMember(t, alice, bob.userID)
	if code := ws.closeCode(); code != 4403 {
		t.Fatalf("close code on replica b %d, want 4403", code)
	}

	// An event stream on replica b ends once its key is revoked through a.
	id, secret := createKey(t, alice.c, "dashboard", "READ")
	stream := openSSE(t, b, map[string]string{"Authorization": "Bearer " + secret}, `subscription { integrationEvents { platform status } }`)
	alice.c.MustData(t, `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { id revokedAt } } }`, map[string]any{"k": id}, nil)
	stream.waitEnd(t)
}

// sseStream reads a text/event-stream response event by event.
type sseStream struct {
	events chan sseEvent
}

type sseEvent struct{ name, data string }

// openSSE runs query over server-sent events and returns the stream once
// the server has answered with its headers.
func openSSE(t *testing.T, env *apptest.Env, header map[string]string, query string) *sseStream {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("open event stream: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("event stream answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sseStream{events: make(chan sseEvent, 64)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	waitFor(t, "the subscription to be live", func() bool {
		return strings.Contains(send(t, "GET", env.URL+"/metrics", "", "", nil).body, "omnify_graphql_active_subscriptions 1")
	})
	return s
}

// waitEnd reads until the server ends the stream and returns what came;
// it fails the test if the stream stays open.
func (s *sseStream) waitEnd(t *testing.T) []sseEvent {
	t.Helper()
	var got []sseEvent
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-timeout:
			t.Fatalf("the event stream is still open; received %+v", got)
		}
	}
}

func TestEndedAuthorityEndsEventStreamsAtOnce(t *testing.T) {
	env := apptest.Start(t, dbs, noPeriodicRecheck)
	alice := signUp(t, env, "alice@example.com", "Acme")
	const sub = `subscription { integrationEvents { platform status } }`

	t.Run("key revoked", func(t *testing.T) {
		id, secret := createKey(t, alice.c, "dashboard", "READ")
		stream := openSSE(t, env, map[string]string{"Authorization": "Bearer " + secret}, sub)
		alice.c.MustData(t, `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { id revokedAt } } }`, map[string]any{"k": id}, nil)
		got := stream.waitEnd(t)
		if len(got) == 0 || !strings.Contains(got[0].data, "UNAUTHENTICATED") || got[len(got)-1].name != "complete" {
			t.Fatalf("events at the end of the stream: %+v, want an UNAUTHENTICATED error, then complete", got)
		}
	})
	t.Run("session logged out", func(t *testing.T) {
		laptop := logInClient(t, env, alice)
		stream := openSSE(t, env, map[string]string{"Cookie": sessionCookie(t, env, laptop)}, sub)
		laptop.MustData(t, `mutation { logOut { loggedOut } }`, nil, nil)
		stream.waitEnd(t)
	})
	t.Run("member removed", func(t *testing.T) {
		bob := signUp(t, env, "bob@example.com", "Bob Co")
		joinAs(t, alice, bob, "VIEWER")
		stream := openSSE(t, env, map[string]string{"Cookie": sessionCookie(t, env, bob.c)}, sub)
		removeMember(t, alice, bob.userID)
		stream.waitEnd(t)
	})
}

func sessionCookie(t *testing.T, env *apptest.Env, c *apptest.Client) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.URL, nil)
	cookies := c.HTTP().Jar.Cookies(req.URL)
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	return cookies[0].Name + "=" + cookies[0].Value
}

func TestKeysActWithAtMostTheirCreatorsAuthority(t *testing.T) {
	env := apptest.Start(t, dbs, noPeriodicRecheck)
	alice := signUp(t, env, "alice@example.com", "Acme")
	bob := signUp(t, env, "bob@example.com", "Bob Co")
	joinAs(t, alice, bob, "ADMIN")
	_, botSecret := createKey(t, bob.c, "bob's bot", "READ_WRITE")
	_, dashSecret := createKey(t, alice.c, "alice's dashboard", "READ")
	bot, dash := keyClient(env, botSecret), keyClient(env, dashSecret)
	botWS := dialWithKey(t, env, botSecret)

	role := func(c *apptest.Client) string {
		t.Helper()
		v := me(t, c)
		if v == nil {
			t.Fatal("me is null")
		}
		return v.Role
	}
	// disconnectIntegration needs ADMIN: the role check comes before anything else.
	disconnect := func() string {
		return bot.Do(t, `mutation { disconnectIntegration(input: {platform: HUBSPOT}) { integration { status } } }`, nil).Code()
	}
	if got := role(bot); got != "ADMIN" {
		t.Fatalf("READ_WRITE key of an ADMIN acts as %s", got)
	}
	if code := disconnect(); code == "FORBIDDEN" {
		t.Fatal("READ_WRITE key of an ADMIN may not disconnect")
	}

	setRole(t, alice, bob.userID, "MEMBER")
	if got := role(bot); got != "MEMBER" {
		t.Fatalf("key of a creator demoted to MEMBER acts as %s", got)
	}
	if code := disconnect(); code != "FORBIDDEN" {
		t.Fatalf("key of a MEMBER disconnects: %q", code)
	}
	if got := roleOver(t, botWS, "1"); got != "MEMBER" {
		t.Fatalf("open socket of the key acts as %s after its creator's demotion", got)
	}

	removeMember(t, alice, bob.userID)
	got := send(t, "POST", env.URL+"/graphql", "application/json", `{"query":"{ me { role } }"}`, map[string]string{"Authorization": "Bearer " + botSecret})
	if got.status != 401 || !strings.Contains(got.body, "UNAUTHENTICATED") {
		t.Fatalf("key of a removed creator: %d %s", got.status, got.body)
	}
	if code := botWS.closeCode(); code != 4403 {
		t.Fatalf("socket of a key whose creator left closed with %d, want 4403", code)
	}
	if got := role(dash); got != "VIEWER" {
		t.Fatalf("another creator's READ key acts as %s", got)
	}

	// Suspension follows the creator: back as a VIEWER, the key is a VIEWER.
	// (Bob's session ended with his membership of its organization; he logs
	// in again to accept the invitation.)
	bob.c.MustData(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
		map[string]any{"i": map[string]any{"email": bob.email, "password": bob.pass}}, nil)
	addMember(t, alice, bob, "VIEWER")
	if got := role(bot); got != "VIEWER" {
		t.Fatalf("key of a creator back as VIEWER acts as %s", got)
	}
}
