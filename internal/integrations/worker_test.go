package integrations

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

// storedRun reads a run with its lease fields.
func (e *testEnv) storedRun(t *testing.T, id bson.ObjectID) runDoc {
	t.Helper()
	r, err := e.store.run(t.Context(), e.org, id)
	if err != nil || r == nil {
		t.Fatalf("run %s: %v, %v", id.Hex(), r, err)
	}
	return *r
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline; it asserts an outcome, never a duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTwoWorkersRaceForOneRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	run, err := e.svc.RequestSync(t.Context(), owner, HubSpot)
	if err != nil {
		t.Fatal(err)
	}
	workers := []*Worker{e.worker("replica-a"), e.worker("replica-b")}
	ran := make([]bool, len(workers))
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() { ran[i], errs[i] = w.RunOnce(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	if ran[0] == ran[1] {
		t.Fatalf("RunOnce results = %v, want exactly one worker to execute the run", ran)
	}
	got := e.storedRun(t, run.ID)
	if got.Status != SyncSucceeded || got.Attempts != 1 {
		t.Errorf("run = %+v, want SUCCEEDED on the first attempt", got)
	}
	if n := e.fake.Count("GET /crm/v3/objects/deals"); n != 3 {
		t.Errorf("HubSpot got %d deal requests, want 3 (one sync of 3 pages)", n)
	}
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	run, _ := e.svc.RequestSync(t.Context(), owner, HubSpot)

	// Replica A claims the run and takes the integration's lease, then dies.
	a := e.worker("replica-a")
	claimed, err := a.claim(t.Context())
	if err != nil || claimed == nil {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	if doc, err := a.acquire(t.Context(), claimed); err != nil || doc == nil || doc.Status != StatusSyncing {
		t.Fatalf("acquire = %+v, %v", doc, err)
	}

	b := e.worker("replica-b")
	t.Run("a live lease is not taken", func(t *testing.T) {
		if ran, err := b.RunOnce(t.Context()); ran || err != nil {
			t.Fatalf("RunOnce = %v, %v; want nothing to run", ran, err)
		}
	})
	t.Run("an expired lease is taken over", func(t *testing.T) {
		e.clock.Advance(DefaultLeaseTTL + time.Second)
		if ran, err := b.RunOnce(t.Context()); !ran || err != nil {
			t.Fatalf("RunOnce = %v, %v; want the run executed", ran, err)
		}
		got := e.storedRun(t, run.ID)
		if got.Status != SyncSucceeded || got.LeaseOwner != "replica-b" || got.Attempts != 2 || got.RecordsWritten != 8 {
			t.Errorf("run = %+v, want SUCCEEDED by replica-b on attempt 2", got)
		}
		if i := e.integration(t, owner, HubSpot); i.Status != StatusConnected {
			t.Errorf("integration status = %s, want CONNECTED", i.Status)
		}
	})
	t.Run("the replica that lost the lease can change nothing", func(t *testing.T) {
		if err := a.renew(t.Context(), claimed, 0); !errors.Is(err, errLeaseLost) {
			t.Errorf("renew = %v, want errLeaseLost", err)
		}
		if err := a.end(t.Context(), claimed, outcome{message: "late failure"}); err != nil {
			t.Fatal(err)
		}
		if got := e.storedRun(t, run.ID); got.Status != SyncSucceeded || got.Error != "" {
			t.Errorf("run = %+v after the old owner ended it, want it unchanged", got)
		}
	})
}

func TestRenewalStopsAWorkerWhoseRunWasTakenOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	run, _ := e.svc.RequestSync(t.Context(), owner, HubSpot)

	started := make(chan struct{})
	var once sync.Once
	e.fake.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/crm/v3/objects/deals" {
			return false
		}
		once.Do(func() { close(started) })
		<-r.Context().Done() // a platform that hangs until the caller gives up
		return true
	})
	// Replica A's clock stands still, so its renewals never outlast B's view
	// of time; its short lease is renewed every 10ms.
	aClock := &fakeClock{t: epoch()}
	a := NewWorker(e.svc, WorkerOptions{Clients: e.clients, Owner: "replica-a", Now: aClock.Now, LeaseTTL: 30 * time.Millisecond, ReportLimits: testLimits()})
	type result struct {
		ran bool
		err error
	}
	doneA := make(chan result, 1)
	go func() {
		ran, err := a.RunOnce(context.Background())
		doneA <- result{ran, err}
	}()
	<-started

	e.clock.Advance(time.Minute)
	e.fake.SetIntercept(nil)
	b := e.worker("replica-b")
	if ran, err := b.RunOnce(t.Context()); !ran || err != nil {
		t.Fatalf("replica-b RunOnce = %v, %v", ran, err)
	}
	resA := <-doneA
	if !resA.ran || resA.err != nil {
		t.Errorf("replica-a RunOnce = %v, %v; want it to stop quietly", resA.ran, resA.err)
	}
	got := e.storedRun(t, run.ID)
	if got.Status != SyncSucceeded || got.LeaseOwner != "replica-b" || got.Attempts != 2 {
		t.Errorf("run = %+v, want SUCCEEDED by replica-b", got)
	}
}

func TestClaimFailsWhileAnotherRunHoldsTheIntegration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	first, _ := e.svc.RequestSync(t.Context(), owner, HubSpot)
	a := e.worker("replica-a")
	claimed, _ := a.claim(t.Context())
	doc, err := a.acquire(t.Context(), claimed)
	if err != nil || doc == nil {
		t.Fatalf("acquire = %v, %v", doc, err)
	}
	// A second active run of the same integration, as a lost race or an
	// operator's hand could leave behind.
	second := runDoc{
		SyncRun:      SyncRun{ID: bson.NewObjectID(), OrganizationID: e.org, Platform: HubSpot, Status: SyncQueued, Trigger: TriggerManual, QueuedAt: epoch()},
		ConnectionID: doc.ConnectionID,
	}
	if err := e.store.insertRun(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	before := e.fake.Total()
	if ran, err := e.worker("replica-b").RunOnce(t.Context()); !ran || err != nil {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	if got := e.run(t, second.ID); got.Status != SyncFailed || !strings.Contains(got.Error, "Another sync of this integration") {
		t.Errorf("second run = %+v, want FAILED", got)
	}
	if e.fake.Total() != before {
		t.Error("the second run called the platform")
	}
	if got := e.storedRun(t, first.ID); got.Status != SyncRunning || got.LeaseOwner != "replica-a" {
		t.Errorf("first run = %+v, want it still RUNNING under replica-a", got)
	}
	if i := e.integration(t, owner, HubSpot); i.Status != StatusSyncing {
		t.Errorf("integration = %s, want SYNCING", i.Status)
	}
}

func TestSchedulingByTwoWorkersEnqueuesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	for _, p := range []Platform{HubSpot, Klaviyo} {
		e.connect(t, owner, p)
	}
	workers := []*Worker{e.worker("replica-a"), e.worker("replica-b")}
	schedule := func(t *testing.T) int {
		t.Helper()
		counts := make([]int, len(workers))
		errs := make([]error, len(workers))
		var wg sync.WaitGroup
		for i, w := range workers {
			wg.Go(func() { counts[i], errs[i] = w.Schedule(t.Context()) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("Schedule: %v", err)
			}
		}
		return counts[0] + counts[1]
	}

	t.Run("newly connected integrations are queued once", func(t *testing.T) {
		if n := schedule(t); n != 2 {
			t.Errorf("queued %d runs, want 2", n)
		}
		runs, _ := e.svc.SyncRuns(t.Context(), owner, nil)
		for _, p := range []Platform{HubSpot, Klaviyo} {
			if len(runs[p]) != 1 || runs[p][0].Trigger != TriggerSchedule || runs[p][0].Status != SyncQueued {
				t.Errorf("%s runs = %+v, want one scheduled QUEUED run", p, runs[p])
			}
		}
	})
	t.Run("nothing more while they are queued", func(t *testing.T) {
		if n := schedule(t); n != 0 {
			t.Errorf("queued %d runs, want 0", n)
		}
	})
	t.Run("nothing within the interval after a success", func(t *testing.T) {
		for range 2 {
			if ran, err := workers[0].RunOnce(t.Context()); !ran || err != nil {
				t.Fatalf("RunOnce = %v, %v", ran, err)
			}
		}
		e.clock.Advance(DefaultInterval - time.Minute)
		if n := schedule(t); n != 0 {
			t.Errorf("queued %d runs, want 0", n)
		}
	})
	t.Run("both again once the interval has passed", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		if n := schedule(t); n != 2 {
			t.Errorf("queued %d runs, want 2", n)
		}
		if n := e.count(t, runsCollection, nil); n != 4 {
			t.Errorf("%d runs stored, want 4", n)
		}
	})
}

func TestARunThatKeepsKillingWorkersIsGivenUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	run, _ := e.svc.RequestSync(t.Context(), owner, HubSpot)
	for _, name := range []string{"a", "b", "c"} {
		r, err := e.worker(name).claim(t.Context())
		if err != nil || r == nil || r.ID != run.ID {
			t.Fatalf("claim by %s = %+v, %v", name, r, err)
		}
		e.clock.Advance(DefaultLeaseTTL + time.Second) // the worker dies
	}
	w := e.worker("d")
	if r, err := w.claim(t.Context()); r != nil || err != nil {
		t.Fatalf("claim after %d attempts = %+v, %v; want none", MaxRunAttempts, r, err)
	}
	n, err := w.Schedule(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := e.run(t, run.ID)
	if got.Status != SyncFailed || !strings.Contains(got.Error, "stopped without finishing 3 times") {
		t.Errorf("run = %+v, want FAILED as abandoned", got)
	}
	if i := e.integration(t, owner, HubSpot); i.Status != StatusError || i.LastError != got.Error {
		t.Errorf("integration = %+v, want ERROR", i)
	}
	if n != 1 {
		t.Errorf("Schedule queued %d runs, want a fresh one", n)
	}
}

func TestRunSyncsAndStopsOnCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, Klaviyo)
	w := NewWorker(e.svc, WorkerOptions{Clients: e.clients, Owner: "loop", Now: e.clock.Now, PollInterval: 5 * time.Millisecond, ReportLimits: testLimits()})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	waitFor(t, "the scheduled first sync", func() bool {
		i, err := e.svc.Integration(t.Context(), owner, Klaviyo)
		return err == nil && i.LastSyncedAt != nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	runs, _ := e.svc.SyncRuns(t.Context(), owner, []Platform{Klaviyo})
	if len(runs[Klaviyo]) != 1 || runs[Klaviyo][0].Trigger != TriggerSchedule || runs[Klaviyo][0].Status != SyncSucceeded {
		t.Errorf("runs = %+v, want one scheduled run SUCCEEDED", runs[Klaviyo])
	}
}

func TestShutdownPutsTheRunBackInTheQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	run, _ := e.svc.RequestSync(t.Context(), owner, HubSpot)
	started := make(chan struct{})
	var once sync.Once
	e.fake.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/crm/v3/objects/contacts" {
			return false
		}
		once.Do(func() { close(started) })
		<-r.Context().Done()
		return true
	})
	w := NewWorker(e.svc, WorkerOptions{Clients: e.clients, Owner: "stopping", Now: e.clock.Now, PollInterval: 5 * time.Millisecond, ReportLimits: testLimits()})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	got := e.storedRun(t, run.ID)
	if got.Status != SyncQueued || got.LeaseOwner != "" || got.Attempts != 0 || got.RecordsWritten != 5 {
		t.Errorf("run = %+v, want QUEUED again with its 5 deals counted", got)
	}
	if i := e.integration(t, owner, HubSpot); i.Status != StatusConnected {
		t.Errorf("integration = %s, want CONNECTED", i.Status)
	}
	e.fake.SetIntercept(nil)
	if r := e.sync(t, owner, HubSpot); r.ID != run.ID || r.Status != SyncSucceeded {
		t.Errorf("run = %+v, want the same run SUCCEEDED by the next worker", r)
	}
}

func TestScheduleClearsAPointerLeftByACrash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(t, e.actor(authz.RoleOwner), HubSpot)
	// A replica set the pointer, then died before inserting the run.
	if _, err := e.store.updateIntegration(t.Context(), e.org, HubSpot, nil, bson.D{{Key: "$set", Value: bson.D{
		{Key: "activeRunId", Value: bson.NewObjectID()}, {Key: "activeRunSince", Value: epoch()},
	}}}, false); err != nil {
		t.Fatal(err)
	}
	w := e.worker("w")
	if n, err := w.Schedule(t.Context()); n != 0 || err != nil {
		t.Errorf("Schedule = %d, %v; want nothing while the pointer may still get its run", n, err)
	}
	e.clock.Advance(2 * pointerGrace)
	if n, err := w.Schedule(t.Context()); n != 1 || err != nil {
		t.Errorf("Schedule = %d, %v; want the pointer cleared and a run queued", n, err)
	}
}
