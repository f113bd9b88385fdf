package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

const integrationEventsSubscription = `subscription { integrationEvents { platform status } }`

// rawWSMsg keeps the payload raw: an error message's payload is a list.
type rawWSMsg struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// readRaw returns the next message that is not a ping or keep-alive.
func (c *wsClient) readRaw() rawWSMsg {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		var m rawWSMsg
		if err := c.conn.ReadJSON(&m); err != nil {
			c.t.Fatalf("read: %v", err)
		}
		switch m.Type {
		case "ping":
			c.send(wsMsg{Type: "pong"})
		case "ka":
		default:
			return m
		}
	}
}

// metricValue reads one unlabelled series from /metrics.
func metricValue(t *testing.T, env *apptest.Env, name string) string {
	t.Helper()
	for line := range strings.SplitSeq(send(t, "GET", env.URL+"/metrics", "", "", nil).body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return ""
}

func waitForMetric(t *testing.T, env *apptest.Env, name, want string) {
	t.Helper()
	waitFor(t, name+" to be "+want, func() bool { return metricValue(t, env, name) == want })
}

// TestOperationsPerSocketAreCapped is D14: one socket may not run more
// operations at once than OMNIFY_WS_MAX_SUBSCRIPTIONS; one more gets an
// error for its id, and the socket stays usable.
func TestOperationsPerSocketAreCapped(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.WebsocketMaxSubscriptions = 2 })
	user := signUp(t, env, "subs@example.com", "Subs")

	t.Run("graphql-transport-ws", func(t *testing.T) {
		ws := mustDialWSWithCookie(t, env, user.c)
		ws.initAndAck()
		for _, id := range []string{"1", "2"} {
			ws.send(wsMsg{ID: id, Type: "subscribe", Payload: map[string]any{"query": integrationEventsSubscription}})
		}
		waitForMetric(t, env, "omnify_graphql_active_subscriptions", "2")
		ws.send(wsMsg{ID: "3", Type: "subscribe", Payload: map[string]any{"query": integrationEventsSubscription}})
		m := ws.readRaw()
		if m.Type != "error" || m.ID != "3" || !strings.Contains(string(m.Payload), `"code":"SUBSCRIPTION_LIMIT_EXCEEDED"`) {
			t.Fatalf("third subscription: %+v %s", m, m.Payload)
		}
		// Completing one makes room for another.
		ws.send(wsMsg{ID: "1", Type: "complete"})
		waitForMetric(t, env, "omnify_graphql_active_subscriptions", "1")
		ws.send(wsMsg{ID: "4", Type: "subscribe", Payload: map[string]any{"query": "{ __typename }"}})
		m = ws.readRaw()
		if m.Type == "complete" && m.ID == "1" { // the server's own word that 1 ended
			m = ws.readRaw()
		}
		if m.Type != "next" || m.ID != "4" {
			t.Fatalf("after a complete: %+v %s", m, m.Payload)
		}
		if m := ws.readRaw(); m.Type != "complete" || m.ID != "4" {
			t.Fatalf("want 4 complete, got %+v", m)
		}
		// Two run again (2 and 5); a client that keeps asking past the cap,
		// as many times in a row as the cap, is closed.
		for _, id := range []string{"5", "6", "7", "8"} {
			ws.send(wsMsg{ID: id, Type: "subscribe", Payload: map[string]any{"query": integrationEventsSubscription}})
		}
		for _, id := range []string{"6", "7"} {
			if m := ws.readRaw(); m.Type != "error" || m.ID != id {
				t.Fatalf("refusal of %s: %+v", id, m)
			}
		}
		if code := ws.closeCode(); code != 4400 {
			t.Fatalf("close code %d after refusals, want 4400", code)
		}
		waitForMetric(t, env, "omnify_graphql_active_subscriptions", "0")
	})

	t.Run("graphql-ws", func(t *testing.T) {
		u := strings.TrimPrefix(env.URL, "http://")
		h := http.Header{}
		base, _ := url.Parse(env.URL)
		for _, ck := range user.c.HTTP().Jar.Cookies(base) {
			h.Add("Cookie", ck.Name+"="+ck.Value)
		}
		conn, _, err := (&websocket.Dialer{Subprotocols: []string{"graphql-ws"}}).Dial("ws://"+u+"/graphql", h)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		ws := &wsClient{t: t, conn: conn}
		ws.send(wsMsg{Type: "connection_init"})
		if m := ws.readRaw(); m.Type != "connection_ack" {
			t.Fatalf("init: %+v", m)
		}
		for _, id := range []string{"1", "2", "3"} {
			ws.send(wsMsg{ID: id, Type: "start", Payload: map[string]any{"query": integrationEventsSubscription}})
		}
		m := ws.readRaw()
		if m.Type != "error" || m.ID != "3" || !strings.Contains(string(m.Payload), "SUBSCRIPTION_LIMIT_EXCEEDED") {
			t.Fatalf("third subscription: %+v %s", m, m.Payload)
		}
		waitForMetric(t, env, "omnify_graphql_active_subscriptions", "2")
		ws.send(wsMsg{ID: "2", Type: "stop"})
		if m := ws.readRaw(); m.Type != "complete" || m.ID != "2" {
			t.Fatalf("stop: %+v", m)
		}
		ws.send(wsMsg{ID: "5", Type: "start", Payload: map[string]any{"query": "{ __typename }"}})
		if m := ws.readRaw(); m.Type != "data" || m.ID != "5" {
			t.Fatalf("after a stop: %+v %s", m, m.Payload)
		}
	})
}

// TestSocketsPerClientAreCapped is D14: a client (a user, an API key, or
// an address when anonymous) may hold OMNIFY_WS_MAX_SOCKETS_PER_CLIENT
// sockets; one more is closed with 4430.
func TestSocketsPerClientAreCapped(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.WebsocketMaxSocketsPerClient = 2 })
	owner := signUp(t, env, "sockets@example.com", "Sockets")
	var key struct{ CreateApiKey struct{ Secret string } }
	owner.c.MustData(t, `mutation { createApiKey(input: {name: "dash", scope: READ}) { secret } }`, nil, &key)
	withKey := func() *wsClient {
		ws := mustDialWS(t, env, "graphql-transport-ws")
		ws.send(wsMsg{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer " + key.CreateApiKey.Secret}})
		return ws
	}

	a1 := mustDialWS(t, env, "graphql-transport-ws")
	a1.initAndAck()
	a2 := mustDialWS(t, env, "graphql-transport-ws")
	a2.initAndAck()
	if code := mustDialWS(t, env, "graphql-transport-ws").closeCode(); code != 4430 {
		t.Fatalf("third anonymous socket: close code %d, want 4430", code)
	}
	a2.conn.Close()
	waitForMetric(t, env, "omnify_websocket_connections", "1")

	// Sockets that sign in with a key count against the key, not the address.
	for i := range 2 {
		if m := withKey().read(false); m.Type != "connection_ack" {
			t.Fatalf("key socket %d: %+v", i, m)
		}
	}
	if code := withKey().closeCode(); code != 4430 {
		t.Fatalf("third key socket: close code %d, want 4430", code)
	}
	// The refused socket counts against the address until the server has
	// closed it, which may be after the client has read the close frame.
	waitForMetric(t, env, "omnify_websocket_connections", "3")
	a3 := mustDialWS(t, env, "graphql-transport-ws")
	a3.initAndAck()

	// A signed-in user's sockets count against the user.
	u1, u2 := mustDialWSWithCookie(t, env, owner.c), mustDialWSWithCookie(t, env, owner.c)
	u1.initAndAck()
	u2.initAndAck()
	if code := mustDialWSWithCookie(t, env, owner.c).closeCode(); code != 4430 {
		t.Fatalf("third user socket: close code %d, want 4430", code)
	}
	if v := metricValue(t, env, "omnify_websocket_refused_total"); v != "3" {
		t.Fatalf("refused sockets counted %s, want 3", v)
	}
}

// TestSubscriptionWorkStopsWhenTheClientLeaves: a client that vanishes
// without closing leaves no goroutine, bus subscription or counted socket.
func TestSubscriptionWorkStopsWhenTheClientLeaves(t *testing.T) {
	env := apptest.Start(t, dbs)
	user := signUp(t, env, "leaver@example.com", "Leaver")
	metricValue(t, env, "omnify_websocket_connections") // settle the keep-alive connection used for polling
	runtime.GC()
	baseline := runtime.NumGoroutine()

	for round := range 2 {
		ws := mustDialWSWithCookie(t, env, user.c)
		ws.initAndAck()
		for i := range 30 {
			ws.send(wsMsg{ID: fmt.Sprint(i), Type: "subscribe", Payload: map[string]any{"query": integrationEventsSubscription}})
		}
		waitForMetric(t, env, "omnify_graphql_active_subscriptions", "30")
		if round == 0 {
			ws.conn.NetConn().Close() // gone, no close frame
		} else {
			_ = ws.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "bye"), time.Now().Add(time.Second))
			ws.conn.Close()
		}
		waitForMetric(t, env, "omnify_graphql_active_subscriptions", "0")
		waitForMetric(t, env, "omnify_websocket_connections", "0")
		var n int
		waitFor(t, "goroutines to return to the baseline", func() bool {
			n = runtime.NumGoroutine()
			return n <= baseline+2
		})
	}
}

// TestWebsocketMessageSizeLimit: a client message of exactly
// OMNIFY_MAX_BODY_BYTES is read; one byte more closes the socket with 1009
// (message too big) before the rest of it is read.
func TestWebsocketMessageSizeLimit(t *testing.T) {
	const limit = 2048
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MaxBodyBytes = limit })
	subscribe := func(size int) string {
		head, tail := `{"id":"1","type":"subscribe","payload":{"query":"{ __typename `, `}"}}`
		return head + strings.Repeat(" ", size-len(head)-len(tail)) + tail
	}
	ws := mustDialWS(t, env, "graphql-transport-ws")
	ws.initAndAck()
	ws.send(subscribe(limit))
	if m := ws.read(false); m.Type != "next" || m.ID != "1" {
		t.Fatalf("a message of exactly the limit: %+v", m)
	}
	ws.read(false) // complete
	ws.send(subscribe(limit + 1))
	if code := ws.closeCode(); code != 1009 {
		t.Fatalf("a message one byte past the limit closed with %d, want 1009", code)
	}
}
