package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnify/bff/internal/agents/agentkit"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/globalid"
)

const agentKitSecret = "a-secret-of-at-least-32-characters!!"

// agentService is an agent service written from the protocol: it offers one
// agent, verifies every request Omnify signs, and answers a run by
// reporting three steps to the callback, signed.
type agentService struct {
	t        *testing.T
	omnify   string // where the callback really is: the test server's URL
	mu       sync.Mutex
	runs     []agentkit.Run
	refused  int
	reported chan struct{}
}

func (s *agentService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if agentkit.Verify([]byte(agentKitSecret), time.Now(), r.Header.Get(agentkit.HeaderTimestamp), r.Header.Get(agentkit.HeaderSignature), body) != nil {
		s.mu.Lock()
		s.refused++
		s.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /agents":
		_, _ = io.WriteString(w, `[{"key":"churn-radar","name":"Churn Radar","description":"Finds customers about to leave.",
			"parametersSchema":{"type":"object","additionalProperties":false,
			"properties":{"days":{"type":"integer","minimum":1,"maximum":90,"default":30,"description":"Days to look back."}}}}]`)
	case "POST /runs":
		var run agentkit.Run
		_ = json.Unmarshal(body, &run)
		s.mu.Lock()
		s.runs = append(s.runs, run)
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		go func() {
			defer close(s.reported)
			for i, rep := range []agentkit.Report{
				{Type: "STEP_STARTED", Message: "Scoring customers."},
				{Type: "FINDING", Message: "12 customers are at risk.", Data: json.RawMessage(`{"severity":"warning","customers":12}`)},
				{Type: "SUCCEEDED", Message: "12 customers are at risk of churning.", Data: json.RawMessage(`{"summary":"12 customers are at risk of churning.","atRisk":12}`)},
			} {
				rep.ExecutionID, rep.Sequence, rep.At = run.ExecutionID, i+1, time.Now()
				if code := s.report(rep, time.Now(), agentKitSecret); code != http.StatusNoContent {
					s.t.Errorf("report %d: HTTP %d", i+1, code)
				}
			}
		}()
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// report posts a signed report to Omnify's hook and returns the status.
func (s *agentService) report(rep agentkit.Report, at time.Time, secret string) int {
	body, _ := json.Marshal(rep)
	req, _ := http.NewRequest(http.MethodPost, s.omnify+agentkit.HookPath, bytes.NewReader(body))
	req.Header.Set(agentkit.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(agentkit.HeaderSignature, agentkit.Sign([]byte(secret), at, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Errorf("report: %v", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestExternalAgentsRunInTheAgentService offers the agent service's agent
// beside the built-in ones, runs it there, records its signed reports as
// the execution's events, and refuses reports that are unsigned, stale,
// about unknown executions, or replayed.
func TestExternalAgentsRunInTheAgentService(t *testing.T) {
	svc := &agentService{t: t, reported: make(chan struct{})}
	kit := httptest.NewServer(svc)
	defer kit.Close()
	env := apptest.Start(t, dbs, func(c *config.Config) {
		c.AgentKitURL, c.AgentKitSecret, c.PublicURL = kit.URL, agentKitSecret, "https://omnify.example.com"
	})
	svc.omnify = env.URL
	owner := signUp(t, env, "owner@example.com", "Acme")

	var list struct {
		Agents []struct {
			ID, Key, Kind    string
			ParametersSchema map[string]any
		}
	}
	owner.c.MustData(t, `{ agents { id key kind parametersSchema } }`, nil, &list)
	var churn string
	for _, a := range list.Agents {
		if a.Key == "churn-radar" && a.Kind == "EXTERNAL" && a.ParametersSchema["type"] == "object" {
			churn = a.ID
		}
	}
	if churn == "" || len(list.Agents) != 4 {
		t.Fatalf("agents %+v, want the three built-in ones and churn-radar", list.Agents)
	}
	if r := owner.c.Do(t, runAgentMutation, map[string]any{"id": churn, "p": map[string]any{"days": 91}}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("days 91: %+v", r.Errors)
	}

	id := runAgent(t, owner.c, churn, map[string]any{"days": 7})
	select {
	case <-svc.reported:
	case <-time.After(60 * time.Second):
		t.Fatal("the agent service was not asked to run the agent")
	}
	e := finished(t, owner.c, id)
	if e.Status != "SUCCEEDED" || e.Result.Summary != "12 customers are at risk of churning." {
		t.Fatalf("execution %+v", e)
	}
	var types []string
	for _, ev := range e.Events {
		types = append(types, ev.Type)
	}
	if got := strings.Join(types, " "); !strings.HasSuffix(got, "STEP_STARTED FINDING SUCCEEDED") || !strings.HasPrefix(got, "QUEUED STARTED") {
		t.Fatalf("events %s", got)
	}
	svc.mu.Lock()
	run, refused := svc.runs[0], svc.refused
	svc.mu.Unlock()
	if run.AgentKey != "churn-radar" || run.Parameters["days"] != float64(7) || run.CallbackURL != "https://omnify.example.com"+agentkit.HookPath || refused != 0 {
		t.Fatalf("the service was asked %+v (refused %d)", run, refused)
	}

	// The hook refuses what is not a fresh, signed report of a running
	// execution of an external agent, and a replay changes nothing.
	report := func(seq int, typ string) agentkit.Report {
		return agentkit.Report{ExecutionID: run.ExecutionID, Sequence: seq, Type: typ, Message: "late", At: time.Now()}
	}
	for _, tt := range []struct {
		name   string
		rep    agentkit.Report
		at     time.Time
		secret string
		want   int
	}{
		{"a wrong secret", report(9, "LOG"), time.Now(), "not the secret of the agent service!!!", 401},
		{"a stale timestamp", report(9, "LOG"), time.Now().Add(-6 * time.Minute), agentKitSecret, 401},
		{"an unknown execution", agentkit.Report{ExecutionID: "6745aa0c8a5b3c0001a1b2c3", Sequence: 1, Type: "LOG", At: time.Now()}, time.Now(), agentKitSecret, 404},
		{"a replayed report", report(2, "FINDING"), time.Now(), agentKitSecret, 204},
		{"a new report after the end", report(4, "LOG"), time.Now(), agentKitSecret, 409},
	} {
		if got := svc.report(tt.rep, tt.at, tt.secret); got != tt.want {
			t.Errorf("%s: HTTP %d, want %d", tt.name, got, tt.want)
		}
	}
	if after := finished(t, owner.c, id); len(after.Events) != len(e.Events) {
		t.Fatalf("the refused reports changed the log: %d events, then %d", len(e.Events), len(after.Events))
	}

	// A built-in agent's execution is not the agent service's to report on.
	builtIn := runAgent(t, owner.c, agentIDs(t, owner.c)["pipeline-scout"], nil)
	raw, err := globalid.DecodeObjectID(builtIn, "AgentExecution", "id")
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.report(agentkit.Report{ExecutionID: raw.Hex(), Sequence: 1, Type: "LOG", At: time.Now()}, time.Now(), agentKitSecret); got != 404 {
		t.Fatalf("a report about a built-in agent's execution: HTTP %d", got)
	}
}
