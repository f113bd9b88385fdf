package agents

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

func TestParametersAtTheirEdges(t *testing.T) {
	schemas := map[string]map[string]any{}
	for _, d := range BuiltInDefinitions() {
		schemas[d.Key] = d.ParametersSchema
	}
	tests := []struct {
		agent  string
		params map[string]any
		field  string // "" when valid
		want   map[string]any
	}{
		{KeyROASGuardian, map[string]any{}, "", map[string]any{"days": int64(14), "targetRoas": 2.0}},
		{KeyROASGuardian, map[string]any{"days": 1}, "", map[string]any{"days": int64(1), "targetRoas": 2.0}},
		{KeyROASGuardian, map[string]any{"days": 90}, "", nil},
		{KeyROASGuardian, map[string]any{"days": 0}, "parameters.days", nil},
		{KeyROASGuardian, map[string]any{"days": 91}, "parameters.days", nil},
		{KeyROASGuardian, map[string]any{"days": 14.5}, "parameters.days", nil},
		{KeyROASGuardian, map[string]any{"days": "14"}, "parameters.days", nil},
		{KeyROASGuardian, map[string]any{"targetRoas": 0.01}, "", nil},
		{KeyROASGuardian, map[string]any{"targetRoas": 0}, "parameters.targetRoas", nil},
		{KeyROASGuardian, map[string]any{"targetRoas": -1}, "parameters.targetRoas", nil},
		{KeyROASGuardian, map[string]any{"target": 2}, "parameters.target", nil},
		{KeyPipelineScout, map[string]any{}, "", map[string]any{"staleDays": int64(14)}},
		{KeyPipelineScout, map[string]any{"staleDays": 1}, "", nil},
		{KeyPipelineScout, map[string]any{"staleDays": 365}, "", nil},
		{KeyPipelineScout, map[string]any{"staleDays": 0}, "parameters.staleDays", nil},
		{KeyPipelineScout, map[string]any{"staleDays": 366}, "parameters.staleDays", nil},
		{KeyEmailAuditor, map[string]any{}, "", map[string]any{"days": int64(30)}},
		{KeyEmailAuditor, map[string]any{"days": 365}, "", nil},
		{KeyEmailAuditor, map[string]any{"days": 366}, "parameters.days", nil},
		{KeyEmailAuditor, map[string]any{"days": 0}, "parameters.days", nil},
	}
	for _, tt := range tests {
		got, err := ValidateParameters(schemas[tt.agent], tt.params)
		if f := field(err); f != tt.field || (tt.field != "" && code(err) != "BAD_USER_INPUT") {
			t.Errorf("%s %v: error %v (field %q), want field %q", tt.agent, tt.params, err, f, tt.field)
			continue
		}
		if tt.want != nil {
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s %v: %s = %#v, want %#v", tt.agent, tt.params, k, got[k], v)
				}
			}
		}
	}
}

func TestCatalogIsCreatedOnceAndLazily(t *testing.T) {
	e := newEnv(t)
	p := member()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := e.svc.Agents(t.Context(), p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	list, err := e.svc.Agents(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, a := range list {
		keys = append(keys, a.Key)
		if !a.Enabled || a.Kind != KindBuiltIn || a.ParametersSchema["type"] != "object" {
			t.Errorf("agent %+v", a)
		}
	}
	if !slices.Equal(keys, []string{KeyEmailAuditor, KeyPipelineScout, KeyROASGuardian}) {
		t.Fatalf("keys %v", keys)
	}
	n, err := e.svc.EnsureAllCatalogs(t.Context(), func(context.Context, bson.ObjectID, int) ([]bson.ObjectID, error) {
		return []bson.ObjectID{p.OrganizationID, bson.NewObjectID()}, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("start-up pass: %d, %v", n, err)
	}
}

func TestOneActiveExecutionPerAgent(t *testing.T) {
	e := newEnv(t)
	p := member()
	first, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != ExecutionQueued || first.Parameters["days"] != int64(14) {
		t.Fatalf("execution %+v", first)
	}
	if _, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil); code(err) != "CONFLICT" {
		t.Fatalf("second run: %v", err)
	}
	// Another agent of the organization runs meanwhile.
	if _, err := e.svc.Run(t.Context(), p, KeyPipelineScout, nil); err != nil {
		t.Fatal(err)
	}
	// Many at once: exactly one wins once the first ended.
	cancelled, err := e.svc.Cancel(t.Context(), p, first.ID)
	if err != nil || cancelled.Status != ExecutionCancelled {
		t.Fatalf("cancel queued: %+v, %v", cancelled, err)
	}
	if _, err := e.svc.Cancel(t.Context(), p, first.ID); code(err) != "CONFLICT" {
		t.Fatalf("cancel again: %v", err)
	}
	var mu sync.Mutex
	won := 0
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
			mu.Lock()
			defer mu.Unlock()
			switch code(err) {
			case "":
				won++
			case "CONFLICT":
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of 5 concurrent runs queued, want 1", won)
	}
	if got := types(e.logOf(t, first.ID)); !slices.Equal(got, []EventType{EventQueued, EventCancelled}) {
		t.Fatalf("log %v", got)
	}

	viewer := &authz.Principal{OrganizationID: p.OrganizationID, Role: authz.RoleViewer}
	if _, err := e.svc.Run(t.Context(), viewer, KeyEmailAuditor, nil); code(err) != "FORBIDDEN" {
		t.Fatalf("viewer runs: %v", err)
	}
	readKey := &authz.Principal{OrganizationID: p.OrganizationID, Role: authz.RoleViewer, APIKeyID: bson.NewObjectID(), Scope: authz.ScopeRead}
	if _, err := e.svc.Run(t.Context(), readKey, KeyEmailAuditor, nil); code(err) != "FORBIDDEN" {
		t.Fatalf("READ key runs: %v", err)
	}
	admin := &authz.Principal{OrganizationID: p.OrganizationID, Role: authz.RoleAdmin, UserID: bson.NewObjectID()}
	if _, err := e.svc.SetEnabled(t.Context(), p, KeyEmailAuditor, false); code(err) != "FORBIDDEN" {
		t.Fatalf("member disables: %v", err)
	}
	a, err := e.svc.SetEnabled(t.Context(), admin, KeyEmailAuditor, false)
	if err != nil || a.StatusWith(nil) != StatusDisabled {
		t.Fatalf("disable: %+v %v", a, err)
	}
	if _, err := e.svc.Run(t.Context(), p, KeyEmailAuditor, nil); code(err) != "CONFLICT" {
		t.Fatalf("run disabled: %v", err)
	}
}

func TestWorkerRunsAnExecutionToItsEnd(t *testing.T) {
	e := newEnv(t)
	p := member()
	exec, err := e.svc.Run(t.Context(), p, KeyROASGuardian, map[string]any{"days": 7})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(e.svc, WorkerOptions{Owner: "w1"})
	if ran, err := w.RunOnce(t.Context()); !ran || err != nil {
		t.Fatalf("RunOnce: %v %v", ran, err)
	}
	got, err := e.svc.Execution(t.Context(), p, exec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ExecutionSucceeded || got.Result["summary"] != "Checked the days." || got.StartedAt == nil || got.FinishedAt == nil {
		t.Fatalf("execution %+v", got)
	}
	log := e.logOf(t, exec.ID)
	checkLog(t, log)
	want := []EventType{EventQueued, EventStarted, EventStepStarted, EventStepCompleted, EventStepStarted, EventFinding, EventStepCompleted, EventSucceeded}
	if !slices.Equal(types(log), want) {
		t.Fatalf("log %v, want %v", types(log), want)
	}
	// The lock went with the end: the agent runs again.
	if _, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil); err != nil {
		t.Fatal(err)
	}
}

func TestUnconnectedPlatformFailsNamingIt(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Source = connected{off: map[string]bool{"HUBSPOT": true}} })
	p := member()
	exec, err := e.svc.Run(t.Context(), p, KeyPipelineScout, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewWorker(e.svc, WorkerOptions{}).RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Execution(t.Context(), p, exec.ID)
	log := e.logOf(t, exec.ID)
	last := log[len(log)-1]
	if got.Status != ExecutionFailed || last.Type != EventFailed || last.Data["integration"] != "HUBSPOT" || got.Error == "" ||
		!strings.Contains(got.Error, "Connect HubSpot") {
		t.Fatalf("execution %+v, last event %+v", got, last)
	}
	agent, _ := e.svc.Agent(t.Context(), p, KeyPipelineScout)
	if agent.StatusWith(&got) != StatusError {
		t.Fatalf("agent status %s", agent.StatusWith(&got))
	}
}

func TestCancelRunningStopsAtTheNextStep(t *testing.T) {
	started := make(chan struct{})
	e := newEnv(t, func(o *Options) {
		o.Now = time.Now
		o.LeaseTTL = 300 * time.Millisecond
		o.Analyzers[KeyROASGuardian] = AnalyzerFunc(func(ctx context.Context, _ bson.ObjectID, _ map[string]any, _ Source) (Report, error) {
			close(started)
			<-ctx.Done()
			return Report{}, ctx.Err()
		})
	})
	p := member()
	exec, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := NewWorker(e.svc, WorkerOptions{}).RunOnce(t.Context())
		done <- err
	}()
	<-started
	got, err := e.svc.Cancel(t.Context(), p, exec.ID)
	if err != nil || got.Status != ExecutionRunning || !got.CancelRequested {
		t.Fatalf("cancel running: %+v %v", got, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, _ = e.svc.Execution(t.Context(), p, exec.ID)
	log := e.logOf(t, exec.ID)
	checkLog(t, log)
	if got.Status != ExecutionCancelled || log[len(log)-1].Type != EventCancelled {
		t.Fatalf("execution %+v, log %v", got, types(log))
	}
}

func TestTwoWorkersRacingMoveEachExecutionOnce(t *testing.T) {
	e := newEnv(t)
	p := member()
	for round := range 3 {
		var ids []bson.ObjectID
		for _, key := range []string{KeyROASGuardian, KeyPipelineScout, KeyEmailAuditor} {
			exec, err := e.svc.Run(t.Context(), p, key, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, exec.ID)
		}
		var wg sync.WaitGroup
		for i := range 4 {
			w := NewWorker(e.svc, WorkerOptions{Owner: "w" + string(rune('a'+i))})
			wg.Go(func() {
				for {
					ran, err := w.RunOnce(t.Context())
					if err != nil {
						t.Error(err)
						return
					}
					if !ran {
						return
					}
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			log := e.logOf(t, id)
			checkLog(t, log)
			if log[len(log)-1].Type != EventSucceeded {
				t.Fatalf("round %d: log %v", round, types(log))
			}
			n := 0
			for _, d := range log {
				if d.Type == EventStarted {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("round %d: started %d times", round, n)
			}
		}
	}
}

func TestExpiredLeaseRequeuesOnceThenFails(t *testing.T) {
	e := newEnv(t)
	p := member()
	exec, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A worker claims it and dies: it never renews nor ends it.
	dead := NewWorker(e.svc, WorkerOptions{Owner: "dead"})
	if doc, _, err := dead.claim(t.Context()); err != nil || doc == nil {
		t.Fatalf("claim: %v %v", doc, err)
	}
	sweeper := NewWorker(e.svc, WorkerOptions{Owner: "sweeper"})
	if n, err := sweeper.Sweep(t.Context()); n != 0 || err != nil {
		t.Fatalf("sweep before expiry: %d %v", n, err)
	}
	e.clock.Advance(e.opts.LeaseTTL + time.Second)
	// Two sweepers at once: one move.
	var wg sync.WaitGroup
	var mu sync.Mutex
	moved := 0
	for range 2 {
		wg.Go(func() {
			n, err := NewWorker(e.svc, WorkerOptions{}).Sweep(t.Context())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			moved += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if moved != 1 {
		t.Fatalf("%d moves by two sweepers, want 1", moved)
	}
	if got, _ := e.svc.Execution(t.Context(), p, exec.ID); got.Status != ExecutionQueued {
		t.Fatalf("after the first expiry: %+v", got)
	}
	// The dead worker wakes up: it may not write any more.
	r := &run{w: dead, doc: &executionDoc{ID: exec.ID, OrganizationID: p.OrganizationID}, head: eventDoc{ExecutionID: exec.ID, Sequence: 2, Attempt: 1, Type: EventStarted}, attempt: 1}
	if err := r.emit(t.Context(), eventDoc{Type: EventLog, Message: "late"}); !errors.Is(err, errLeaseLost) {
		t.Fatalf("late write: %v", err)
	}
	// Started again, and that worker dies too.
	if doc, _, err := NewWorker(e.svc, WorkerOptions{Owner: "dead2"}).claim(t.Context()); err != nil || doc == nil {
		t.Fatalf("second claim: %v %v", doc, err)
	}
	e.clock.Advance(e.opts.LeaseTTL + time.Second)
	if n, err := sweeper.Sweep(t.Context()); n != 1 || err != nil {
		t.Fatalf("second sweep: %d %v", n, err)
	}
	got, _ := e.svc.Execution(t.Context(), p, exec.ID)
	log := e.logOf(t, exec.ID)
	checkLog(t, log)
	want := []EventType{EventQueued, EventStarted, EventQueued, EventStarted, EventFailed}
	if got.Status != ExecutionFailed || !slices.Equal(types(log), want) || !strings.Contains(got.Error, "interrupted") {
		t.Fatalf("execution %+v, log %v", got, types(log))
	}
	if _, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil); err != nil {
		t.Fatalf("run after the failure: %v", err)
	}
}

func TestAnotherOrganizationsExecutionIsNotFound(t *testing.T) {
	e := newEnv(t)
	p := member()
	exec, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := member()
	other.Role = authz.RoleOwner
	if _, err := e.svc.Execution(t.Context(), other, exec.ID); code(err) != "NOT_FOUND" {
		t.Errorf("Execution: %v", err)
	}
	if _, err := e.svc.Events(t.Context(), other, exec.ID, nil, nil); code(err) != "NOT_FOUND" {
		t.Errorf("Events: %v", err)
	}
	if _, err := e.svc.ExecutionEvents(t.Context(), other, exec.ID, nil); code(err) != "NOT_FOUND" {
		t.Errorf("ExecutionEvents: %v", err)
	}
	if _, err := e.svc.Cancel(t.Context(), other, exec.ID); code(err) != "NOT_FOUND" {
		t.Errorf("Cancel: %v", err)
	}
	if list, err := e.svc.ExecutionsByIDs(t.Context(), other, []bson.ObjectID{exec.ID}); err != nil || len(list) != 0 {
		t.Errorf("ExecutionsByIDs: %v %v", list, err)
	}
	if got, _ := e.svc.Execution(t.Context(), p, exec.ID); got.Status != ExecutionQueued {
		t.Errorf("the other organization's cancel changed it: %+v", got)
	}
}
