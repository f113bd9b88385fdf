package app_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/globalid"
)

const runAgentMutation = `mutation($id: ID!, $p: JSON) { runAgent(input: {agentId: $id, parameters: $p}) { execution { id status } } }`

// agentIDs returns the organization's agents' global ids by key.
func agentIDs(t *testing.T, c *apptest.Client) map[string]string {
	t.Helper()
	var out struct {
		Agents []struct{ ID, Key, Status string }
	}
	c.MustData(t, `{ agents { id key status } }`, nil, &out)
	ids := map[string]string{}
	for _, a := range out.Agents {
		ids[a.Key] = a.ID
	}
	return ids
}

// runAgent runs an agent and returns the execution's id.
func runAgent(t *testing.T, c *apptest.Client, agentID string, params map[string]any) string {
	t.Helper()
	var out struct {
		RunAgent struct{ Execution struct{ ID, Status string } }
	}
	c.MustData(t, runAgentMutation, map[string]any{"id": agentID, "p": params}, &out)
	if out.RunAgent.Execution.Status != "QUEUED" {
		t.Fatalf("runAgent: %+v", out)
	}
	return out.RunAgent.Execution.ID
}

// waitEnded waits until the execution ended and returns its status.
func waitEnded(t *testing.T, c *apptest.Client, id string) string {
	t.Helper()
	for range 600 {
		var out struct{ AgentExecution struct{ Status string } }
		c.MustData(t, `query($id: ID!) { agentExecution(id: $id) { status } }`, map[string]any{"id": id}, &out)
		switch out.AgentExecution.Status {
		case "SUCCEEDED", "FAILED", "CANCELLED":
			return out.AgentExecution.Status
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("execution %s did not end", id)
	return ""
}

// eventsSub subscribes to an execution's events on ws.
func eventsSub(ws *wsClient, opID, execID string, after *int) {
	vars := map[string]any{"id": execID}
	if after != nil {
		vars["after"] = *after
	}
	ws.send(wsMsg{ID: opID, Type: "subscribe", Payload: map[string]any{
		"query":     `subscription($id: ID!, $after: Int) { agentExecutionEvents(executionId: $id, afterSequence: $after) { executionId sequence type message data at } }`,
		"variables": vars,
	}})
}

// collect reads an operation's messages until it completes and returns
// the sequences received and the error codes of its last message.
func collect(t *testing.T, ws *wsClient, opID string) (seqs []int, codes []string) {
	t.Helper()
	for {
		m := ws.read(false)
		if m.ID != opID {
			continue
		}
		switch m.Type {
		case "complete":
			return seqs, codes
		case "error":
			return seqs, []string{"error"}
		case "next":
			if errs, ok := m.Payload["errors"].([]any); ok && len(errs) > 0 {
				for _, e := range errs {
					ext, _ := e.(map[string]any)["extensions"].(map[string]any)
					c, _ := ext["code"].(string)
					codes = append(codes, c)
				}
				continue
			}
			data, _ := m.Payload["data"].(map[string]any)
			ev, _ := data["agentExecutionEvents"].(map[string]any)
			seq, _ := ev["sequence"].(float64)
			seqs = append(seqs, int(seq))
		}
	}
}

func checkRun(t *testing.T, seqs []int, from int) {
	t.Helper()
	if len(seqs) == 0 {
		t.Fatalf("no events from %d", from)
	}
	for i, s := range seqs {
		if s != from+i {
			t.Fatalf("sequences %v: want %d at %d (no gap, no duplicate)", seqs, from+i, i)
		}
	}
}

func TestAgentExecutionsOverGraphQLAndWebSockets(t *testing.T) {
	p := newPlatforms(t)
	env := apptest.Start(t, dbs, p.configure, func(c *config.Config) { c.WebsocketPingInterval = time.Hour })
	alice := signUp(t, env, "alice@example.com", "Acme")
	bob := signUp(t, env, "bob@example.com", "Other")
	if r := connect(t, alice.c, "TRIPLE_WHALE", twGoodKey, shop); len(r.Errors) != 0 {
		t.Fatalf("connect: %+v", r.Errors)
	}

	ids := agentIDs(t, alice.c)
	if len(ids) != 3 {
		t.Fatalf("agents %v", ids)
	}
	roas := ids["roas-guardian"]

	// Parameters at their edges and one past.
	for _, tt := range []struct {
		params map[string]any
		field  string
	}{
		{map[string]any{"days": 0}, "parameters.days"},
		{map[string]any{"days": 91}, "parameters.days"},
		{map[string]any{"targetRoas": 0}, "parameters.targetRoas"},
		{map[string]any{"colour": "red"}, "parameters.colour"},
	} {
		r := alice.c.Do(t, runAgentMutation, map[string]any{"id": roas, "p": tt.params})
		if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tt.field {
			t.Fatalf("%v: %+v", tt.params, r.Errors)
		}
	}
	execID := runAgent(t, alice.c, roas, map[string]any{"days": 90, "targetRoas": 0.5})
	if r := alice.c.Do(t, runAgentMutation, map[string]any{"id": roas}); r.Code() != "CONFLICT" {
		t.Fatalf("second run: %+v", r.Errors)
	}

	// Live: every event once, in order, then complete after the last.
	bob.c.MustData(t, `{ agents { id } }`, nil, nil) // bob's connection is open before goroutines are counted
	before := runtime.NumGoroutine()
	ws := mustDialWSWithCookie(t, env, alice.c)
	ws.initAndAck()
	eventsSub(ws, "live", execID, nil)
	seqs, codes := collect(t, ws, "live")
	checkRun(t, seqs, 1)
	if len(codes) != 0 {
		t.Fatalf("errors %v", codes)
	}
	var stored struct {
		AgentExecution struct {
			Status      string
			Parameters  map[string]any
			RequestedBy struct{ Name string }
			Result      map[string]any
			Events      []struct{ Sequence int }
		}
	}
	alice.c.MustData(t, `query($id: ID!) { agentExecution(id: $id) { status parameters requestedBy { name } result events { sequence } } }`,
		map[string]any{"id": execID}, &stored)
	if stored.AgentExecution.Status != "SUCCEEDED" || len(stored.AgentExecution.Events) != len(seqs) ||
		stored.AgentExecution.Parameters["days"] != float64(90) || stored.AgentExecution.RequestedBy.Name == "" ||
		stored.AgentExecution.Result["summary"] != "Read the ad days." {
		t.Fatalf("stored %+v, streamed %v", stored, seqs)
	}

	// Resumed after a sequence: the rest, then complete.
	after := 2
	eventsSub(ws, "resume", execID, &after)
	rest, _ := collect(t, ws, "resume")
	checkRun(t, rest, 3)
	if len(rest) != len(seqs)-2 {
		t.Fatalf("resumed %v of %v", rest, seqs)
	}

	// A subscription open before the run hears it all, live.
	emailID := ids["email-auditor"]
	var agent struct {
		Agent struct {
			Status     string
			Executions struct{ TotalCount int }
		}
	}
	alice.c.MustData(t, `query($id: ID!) { agent(id: $id) { status executions { totalCount } } }`, map[string]any{"id": roas}, &agent)
	if agent.Agent.Status != "IDLE" || agent.Agent.Executions.TotalCount != 1 {
		t.Fatalf("agent %+v", agent)
	}
	second := runAgent(t, alice.c, emailID, nil) // Klaviyo is not connected: it fails, naming it
	eventsSub(ws, "failed", second, nil)
	seqs, _ = collect(t, ws, "failed")
	checkRun(t, seqs, 1)
	var failed struct {
		AgentExecution struct {
			Status, Error string
			Agent         struct{ Status string }
		}
	}
	alice.c.MustData(t, `query($id: ID!) { agentExecution(id: $id) { status error agent { status } } }`, map[string]any{"id": second}, &failed)
	if failed.AgentExecution.Status != "FAILED" || !strings.Contains(failed.AgentExecution.Error, "Connect Klaviyo") || failed.AgentExecution.Agent.Status != "ERROR" {
		t.Fatalf("unconnected: %+v", failed)
	}

	// Another organization's execution is NOT_FOUND everywhere.
	notFound := func(what string, r apptest.Response) {
		t.Helper()
		if r.Code() != "NOT_FOUND" {
			t.Errorf("%s: %+v", what, r.Errors)
		}
	}
	notFound("agentExecution", bob.c.Do(t, `query($id: ID!) { agentExecution(id: $id) { id } }`, map[string]any{"id": execID}))
	notFound("node", bob.c.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": execID}))
	notFound("node agent", bob.c.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": roas}))
	notFound("agent", bob.c.Do(t, `query($id: ID!) { agent(id: $id) { id } }`, map[string]any{"id": roas}))
	notFound("cancel", bob.c.Do(t, `mutation($id: ID!) { cancelAgentExecution(input: {id: $id}) { execution { id } } }`, map[string]any{"id": execID}))
	notFound("run", bob.c.Do(t, runAgentMutation, map[string]any{"id": roas}))
	bobWS := mustDialWSWithCookie(t, env, bob.c)
	bobWS.initAndAck()
	eventsSub(bobWS, "theirs", execID, nil)
	for {
		m := bobWS.read(false)
		if m.Type == "error" || m.Type == "next" {
			if !strings.Contains(toJSON(m.Payload), "NOT_FOUND") {
				t.Fatalf("subscription to another organization's execution: %+v", m)
			}
			break
		}
	}
	var node struct{ Node struct{ ID, Status string } }
	alice.c.MustData(t, `query($id: ID!) { node(id: $id) { id ... on AgentExecution { status } } }`, map[string]any{"id": execID}, &node)
	if node.Node.ID != execID || node.Node.Status != "SUCCEEDED" {
		t.Fatalf("node %+v", node)
	}

	// Nothing is left running once the subscriptions ended and the
	// sockets closed.
	ws.conn.Close()
	bobWS.conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Fatalf("%d goroutines after the subscriptions, %d before", n, before)
	}
}

func TestAgentCancelAndActivity(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.Role = config.RoleAPI }) // no worker: executions stay queued
	alice := signUp(t, env, "alice@example.com", "Acme")
	ids := agentIDs(t, alice.c)
	ws := mustDialWSWithCookie(t, env, alice.c)
	ws.initAndAck()
	ws.send(wsMsg{ID: "a", Type: "subscribe", Payload: map[string]any{"query": `subscription { agentActivity { execution { id status } agent { id key name } status at } }`}})
	time.Sleep(200 * time.Millisecond) // the subscription is registered
	exec := runAgent(t, alice.c, ids["pipeline-scout"], nil)
	var out struct {
		CancelAgentExecution struct{ Execution struct{ ID, Status string } }
	}
	alice.c.MustData(t, `mutation($id: ID!) { cancelAgentExecution(input: {id: $id}) { execution { id status } } }`, map[string]any{"id": exec}, &out)
	if out.CancelAgentExecution.Execution.Status != "CANCELLED" {
		t.Fatalf("cancel queued: %+v", out)
	}
	var statuses []string
	for len(statuses) < 2 {
		m := ws.read(false)
		if m.Type != "next" {
			t.Fatalf("activity: %+v", m)
		}
		s := toJSON(m.Payload)
		if !strings.Contains(s, exec) || !strings.Contains(s, `"key":"pipeline-scout"`) {
			t.Fatalf("activity %s", s)
		}
		statuses = append(statuses, m.Payload["data"].(map[string]any)["agentActivity"].(map[string]any)["status"].(string))
	}
	if statuses[0] != "QUEUED" || statuses[1] != "CANCELLED" {
		t.Fatalf("statuses %v", statuses)
	}
}

// TestAgentsListCostsFewCommands: the agents with their last execution
// and who requested it cost a bounded number of database commands, however
// many agents there are and however late their resolvers start: the
// loaders wait only a nanosecond for keys here, so a list that relied on
// its items' loads falling into one batch would cost a query per item.
func TestAgentsListCostsFewCommands(t *testing.T) {
	env := apptest.StartWith(t, dbs, app.Options{LoaderWait: time.Nanosecond}, func(c *config.Config) { c.Role = config.RoleAPI })
	alice := signUp(t, env, "alice@example.com", "Acme")
	ids := agentIDs(t, alice.c)
	org, err := globalid.DecodeObjectID(alice.orgID, "Organization", "id")
	if err != nil {
		t.Fatal(err)
	}
	// 47 external agents besides the built-in three, as an agent service
	// would list them.
	db := env.Database(t)
	for i := range 47 {
		key := fmt.Sprintf("external-%02d", i)
		_, err := db.Collection("agents").InsertOne(t.Context(), bson.D{
			{Key: "_id", Value: org.Hex() + ":" + key}, {Key: "organizationId", Value: org}, {Key: "key", Value: key},
			{Key: "name", Value: "External " + key}, {Key: "description", Value: "An external agent."}, {Key: "kind", Value: "EXTERNAL"},
			{Key: "enabled", Value: true}, {Key: "parametersSchema", Value: bson.D{{Key: "type", Value: "object"}}},
			{Key: "createdAt", Value: time.Now()},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ids = agentIDs(t, alice.c)
	if len(ids) != 50 {
		t.Fatalf("%d agents", len(ids))
	}
	for _, id := range ids {
		runAgent(t, alice.c, id, nil)
	}
	// A partner's READ key: the count is the agents' own, with no legal
	// gate (keys are not gated) around it.
	var key struct {
		CreateApiKey struct{ Secret string }
	}
	alice.c.MustData(t, `mutation { createApiKey(input: {name: "dashboard", scope: READ}) { secret } }`, nil, &key)
	partner := env.Client()
	partner.Header.Set("Authorization", "Bearer "+key.CreateApiKey.Secret)
	query := `{ agents { id status lastExecution { id status requestedBy { name } } } }`
	partner.MustData(t, query, nil, nil)
	env.Commands.Reset()
	partner.MustData(t, `{ __typename }`, nil, nil)
	base := env.Commands.Count()
	env.Commands.Reset()
	var out struct {
		Agents []struct {
			Status        string
			LastExecution struct{ RequestedBy struct{ Name string } }
		}
	}
	partner.MustData(t, query, nil, &out)
	if n := env.Commands.Count() - base; n > 4 {
		t.Fatalf("%d database commands for 50 agents with their last execution and its requester, want at most 4", n)
	}
	for _, a := range out.Agents {
		if a.Status != "RUNNING" || a.LastExecution.RequestedBy.Name != "Test Acme" {
			t.Fatalf("agent %+v", a)
		}
	}
}
