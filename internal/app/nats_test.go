package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/events"
	"github.com/omnify/bff/internal/events/natstest"
	"github.com/omnify/bff/internal/globalid"
	"github.com/omnify/bff/internal/integrations"
)

// The tests here run several processes of one deployment (apptest servers
// on one database) that share live events through a NATS server embedded
// in the test.

// replicas returns the options of a deployment's processes: one database,
// one secret key, one NATS server.
func replicas(t *testing.T, nats *natstest.Server) func(*config.Config) {
	name := dbs.DatabaseName(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	return func(c *config.Config) { c.MongoDatabase, c.SecretKey, c.NATSURL = name, key, nats.URL() }
}

func role(r config.Role) func(*config.Config) { return func(c *config.Config) { c.Role = r } }

// gqlEvent is an integrationEvents result as the tests read it.
type gqlEvent struct {
	ID, Platform, Status string
	Sync                 *struct {
		ID, Status     string
		RecordsWritten int
	}
}

func TestIntegrationEventsReachSubscribersOnAnotherReplicaOnceAndInOrder(t *testing.T) {
	nats := natstest.Start(t)
	p := newPlatforms(t)
	deployment := replicas(t, nats)
	first := apptest.Start(t, dbs, p.configure, deployment, role(config.RoleAPI))
	second := apptest.Start(t, dbs, p.configure, deployment, role(config.RoleAPI))
	apptest.Start(t, dbs, p.configure, deployment, role(config.RoleWorker))

	alice := signUp(t, first, "alice@example.com", "Acme")
	org, err := globalid.DecodeObjectID(alice.orgID, "Organization", "id")
	if err != nil {
		t.Fatal(err)
	}
	// The reference: everything published for the organization, as the NATS
	// server delivers it.
	ref, err := events.Connect(context.Background(), nats.URL(), events.NATSOptions{BufferSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ref.Close() })
	refSub, err := ref.Subscribe(context.Background(), "integrations."+org.Hex())
	if err != nil {
		t.Fatal(err)
	}

	ws := mustDialWSWithCookie(t, first, alice.c)
	ws.initAndAck()
	ws.send(wsMsg{ID: "ev", Type: "subscribe", Payload: map[string]any{"query": `subscription { integrationEvents { id platform status sync { id status recordsWritten } } }`}})
	waitFor(t, "the subscription to be live", func() bool {
		return strings.Contains(send(t, "GET", first.URL+"/metrics", "", "", nil).body, "omnify_graphql_active_subscriptions 1")
	})

	// Connect and sync through the second replica; the worker runs the sync.
	onSecond := logInClient(t, second, alice)
	if r := connect(t, onSecond, "HUBSPOT", hsGoodKey, ""); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	onSecond.MustData(t, `mutation { syncIntegration(input: {platform: HUBSPOT}) { sync { id } } }`, nil, nil)
	waitFor(t, "the worker to finish the sync", func() bool {
		run := listIntegrations(t, onSecond)["HUBSPOT"].Syncs.Nodes[0]
		if run.Status == "FAILED" {
			t.Fatalf("sync failed: %v", *run.Error)
		}
		return run.Status == "SUCCEEDED"
	})

	var want []string // event ids, in the order the NATS server delivered them
	readRef := func() {
		for {
			select {
			case data := <-refSub.C:
				var e integrations.Event
				if err := json.Unmarshal(data, &e); err != nil {
					t.Fatalf("reference event %s: %v", data, err)
				}
				want = append(want, globalid.Encode("IntegrationEvent", e.ID.Hex()))
			case <-time.After(500 * time.Millisecond):
				return
			}
		}
	}
	readRef()
	if refSub.Dropped() != 0 {
		t.Fatalf("the reference dropped %d events", refSub.Dropped())
	}

	// What the subscriber on the first replica got: everything before a
	// pong sent after the last event arrived.
	ws.send(wsMsg{Type: "ping"})
	var got []gqlEvent
	for {
		m := ws.read(false)
		if m.Type == "pong" {
			break
		}
		if m.Type != "next" || m.ID != "ev" {
			t.Fatalf("unexpected message %+v", m)
		}
		var r struct {
			Data struct{ IntegrationEvents gqlEvent }
		}
		if err := json.Unmarshal([]byte(toJSON(m.Payload)), &r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Data.IntegrationEvents)
	}
	readRef() // nothing new may have come since
	var gotIDs []string
	for _, e := range got {
		gotIDs = append(gotIDs, e.ID)
	}
	if !slices.Equal(gotIDs, want) {
		t.Fatalf("the subscriber on the first replica got\n%v\nthe NATS server delivered\n%v", gotIDs, want)
	}

	// The sequence is the whole story, each event once: connected, queued
	// (both through the second replica), then the worker's progress to the end.
	seen := map[string]bool{}
	for _, id := range gotIDs {
		if seen[id] {
			t.Fatalf("event %s arrived twice", id)
		}
		seen[id] = true
	}
	if len(got) < 4 || got[0].Status != "CONNECTED" || got[0].Sync != nil {
		t.Fatalf("events %+v: the first should be the connection", got)
	}
	order := map[string]int{"QUEUED": 0, "RUNNING": 1, "SUCCEEDED": 2}
	last, records := -1, 0
	for _, e := range got[1:] {
		if e.Sync == nil {
			t.Fatalf("event without its sync after the connection: %+v", e)
		}
		o, ok := order[e.Sync.Status]
		if !ok || o < last || e.Sync.RecordsWritten < records {
			t.Fatalf("events out of order: %+v", got)
		}
		last, records = o, e.Sync.RecordsWritten
	}
	if got[1].Sync.Status != "QUEUED" || got[len(got)-1].Sync.Status != "SUCCEEDED" || last != 2 {
		t.Fatalf("the sync's events do not run from QUEUED to SUCCEEDED: %+v", got)
	}
	t.Logf("%d events, each once and in the order the NATS server delivered them", len(got))
}

func TestRevokedKeyClosesWebsocketOnAnotherReplicaAtOnce(t *testing.T) {
	nats := natstest.Start(t)
	deployment := replicas(t, nats)
	a := apptest.Start(t, dbs, deployment, role(config.RoleAPI), noPeriodicRecheck)
	b := apptest.Start(t, dbs, deployment, role(config.RoleAPI), noPeriodicRecheck)
	alice := signUp(t, a, "alice@example.com", "Acme")
	bob := signUp(t, a, "bob@example.com", "Bob Co")
	joinAs(t, alice, bob, "ADMIN")

	// A key's socket on replica a; the key is revoked through replica b.
	id, secret := createKey(t, alice.c, "dashboard", "READ")
	ws := dialWithKey(t, a, secret)
	if got := roleOver(t, ws, "before"); got != "VIEWER" {
		t.Fatalf("role before: %s", got)
	}
	onB := logInClient(t, b, alice)
	onB.MustData(t, `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { id revokedAt } } }`, map[string]any{"k": id}, nil)
	if code := ws.closeCode(); code != 4403 {
		t.Fatalf("close code on replica a %d, want 4403", code)
	}

	// A demotion through b reaches bob's socket on a before his next operation.
	bobWS := mustDialWSWithCookie(t, a, bob.c)
	bobWS.initAndAck()
	if got := roleOver(t, bobWS, "0"); got != "ADMIN" {
		t.Fatalf("role on replica a: %s", got)
	}
	setRole(t, account{c: onB}, bob.userID, "MEMBER")
	n := 0
	waitFor(t, "the demotion to reach replica a", func() bool {
		n++
		return bobWS.op(fmt.Sprintf("poll-%d", n), createKeyOp).Code() == "FORBIDDEN"
	})
	// And a removal closes it.
	removeMember(t, account{c: onB}, bob.userID)
	if code := bobWS.closeCode(); code != 4403 {
		t.Fatalf("close code after removal %d, want 4403", code)
	}
}

type readyz struct {
	status int
	Status string
	Checks map[string]string
}

func getReadyz(t *testing.T, env *apptest.Env) readyz {
	t.Helper()
	r := send(t, "GET", env.URL+"/readyz", "", "", nil)
	var out readyz
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("readyz body %q: %v", r.body, err)
	}
	out.status = r.status
	return out
}

func TestReadinessFollowsTheBus(t *testing.T) {
	nats := natstest.Start(t)
	p := newPlatforms(t)
	deployment := replicas(t, nats)
	api := apptest.Start(t, dbs, p.configure, deployment, role(config.RoleAPI))
	worker := apptest.Start(t, dbs, deployment, role(config.RoleWorker))
	for name, env := range map[string]*apptest.Env{"api": api, "worker": worker} {
		if r := getReadyz(t, env); r.status != 200 || r.Checks["bus"] != "ok" || r.Checks["database"] != "ok" {
			t.Fatalf("%s with NATS up: %+v", name, r)
		}
	}

	nats.Stop()
	for name, env := range map[string]*apptest.Env{"api": api, "worker": worker} {
		waitFor(t, name+" to report the bus down", func() bool {
			r := getReadyz(t, env)
			return r.status == 503 && r.Checks["bus"] == "down" && r.Checks["database"] == "ok"
		})
	}
	// The API still answers meanwhile: live events wait, requests do not.
	alice := signUp(t, api, "alice@example.com", "Acme")

	nats.Restart(t)
	for name, env := range map[string]*apptest.Env{"api": api, "worker": worker} {
		waitFor(t, name+" to report the bus back", func() bool {
			r := getReadyz(t, env)
			return r.status == 200 && r.Checks["bus"] == "ok"
		})
	}
	// And live events flow again.
	ws := mustDialWSWithCookie(t, api, alice.c)
	ws.initAndAck()
	ws.send(wsMsg{ID: "ev", Type: "subscribe", Payload: map[string]any{"query": `subscription { integrationEvents { platform status } }`}})
	waitFor(t, "the subscription to be live", func() bool {
		return strings.Contains(send(t, "GET", api.URL+"/metrics", "", "", nil).body, "omnify_graphql_active_subscriptions 1")
	})
	if r := connect(t, alice.c, "HUBSPOT", hsGoodKey, ""); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	if m := ws.read(false); m.Type != "next" || !strings.Contains(toJSON(m.Payload), `"platform":"HUBSPOT"`) {
		t.Fatalf("event after the reconnect: %+v", m)
	}
}

func TestSingleProcessKeepsTheInProcessBus(t *testing.T) {
	env := apptest.Start(t, dbs)
	if r := getReadyz(t, env); r.status != 200 || len(r.Checks) != 1 || r.Checks["database"] != "ok" {
		t.Fatalf("readyz without NATS: %+v", r)
	}
}

func TestStoppingAProcessOnNATSLeavesNoGoroutines(t *testing.T) {
	nats := natstest.Start(t)
	before := runtime.NumGoroutine()
	env := apptest.Start(t, dbs, replicas(t, nats), role(config.RoleAPI))
	alice := signUp(t, env, "alice@example.com", "Acme")
	ws := mustDialWSWithCookie(t, env, alice.c)
	ws.initAndAck()
	ws.send(wsMsg{ID: "ev", Type: "subscribe", Payload: map[string]any{"query": `subscription { integrationEvents { platform status } }`}})
	waitFor(t, "the subscription to be live", func() bool {
		return strings.Contains(send(t, "GET", env.URL+"/metrics", "", "", nil).body, "omnify_graphql_active_subscriptions 1")
	})
	if err := env.Stop(); err != nil {
		t.Fatalf("shutdown returned %v", err)
	}
	if strings.Contains(env.Logs.String(), "lost the NATS connection") {
		t.Errorf("closing the bus was logged as a lost connection:\n%s", env.Logs.String())
	}
	// As TestShutdownClosesWebsocketsWithGoingAway: the client's connections
	// to the test server may take a moment longer.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before start, %d after shutdown:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// TestAgentExecutionAcrossThreeReplicas subscribes to an execution's
// events on the first process, runs the agent through the second, and
// lets the worker in the third run it: every event arrives once and in
// order, then the stream completes; the activity stream on the first
// hears the execution start and end.
func TestAgentExecutionAcrossThreeReplicas(t *testing.T) {
	nats := natstest.Start(t)
	p := newPlatforms(t)
	deployment := replicas(t, nats)
	first := apptest.Start(t, dbs, p.configure, deployment, role(config.RoleAPI))
	second := apptest.Start(t, dbs, p.configure, deployment, role(config.RoleAPI))
	apptest.Start(t, dbs, p.configure, deployment, role(config.RoleWorker))

	alice := signUp(t, first, "alice@example.com", "Acme")
	onSecond := logInClient(t, second, alice)
	if r := connect(t, onSecond, "TRIPLE_WHALE", twGoodKey, shop); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	roas := agentIDs(t, alice.c)["roas-guardian"]

	ws := mustDialWSWithCookie(t, first, alice.c)
	ws.initAndAck()
	ws.send(wsMsg{ID: "activity", Type: "subscribe", Payload: map[string]any{"query": `subscription { agentActivity { status execution { id } } }`}})
	waitFor(t, "the activity subscription to be live", func() bool {
		return strings.Contains(send(t, "GET", first.URL+"/metrics", "", "", nil).body, "omnify_graphql_active_subscriptions 1")
	})
	id := runAgent(t, onSecond, roas, nil)
	eventsSub(ws, "events", id, nil)

	var seqs []int
	var statuses []string
	completed := false
	for !completed {
		m := ws.read(false)
		switch {
		case m.ID == "events" && m.Type == "next":
			data, _ := m.Payload["data"].(map[string]any)
			ev, _ := data["agentExecutionEvents"].(map[string]any)
			if ev == nil {
				t.Fatalf("event stream: %s", toJSON(m.Payload))
			}
			seqs = append(seqs, int(ev["sequence"].(float64)))
		case m.ID == "events" && m.Type == "complete":
			completed = true
		case m.ID == "activity" && m.Type == "next":
			a := m.Payload["data"].(map[string]any)["agentActivity"].(map[string]any)
			statuses = append(statuses, a["status"].(string))
		default:
			t.Fatalf("unexpected message %+v", m)
		}
	}
	checkRun(t, seqs, 1)
	if got := waitEnded(t, onSecond, id); got != "SUCCEEDED" {
		t.Fatalf("execution %s", got)
	}
	// The activity stream hears the end too (it may come after the
	// events' completion).
	for !slices.Contains(statuses, "SUCCEEDED") {
		m := ws.read(false)
		if m.ID == "activity" && m.Type == "next" {
			statuses = append(statuses, m.Payload["data"].(map[string]any)["agentActivity"].(map[string]any)["status"].(string))
		}
	}
	if !slices.Contains(statuses, "RUNNING") {
		t.Fatalf("activity %v, want RUNNING then SUCCEEDED", statuses)
	}
}
