package integrations

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

// startRun queues a manual HubSpot sync and has worker "w1" claim it and,
// when lease, lease the integration, as RunOnce does before it calls the
// platform.
func (e *testEnv) startRun(t *testing.T, owner *authz.Principal, lease bool) (*Worker, *runDoc) {
	t.Helper()
	if _, err := e.svc.RequestSync(t.Context(), owner, HubSpot); err != nil {
		t.Fatal(err)
	}
	w := e.worker("w1")
	run, err := w.claim(t.Context())
	if err != nil || run == nil {
		t.Fatalf("claim = %v, %v", run, err)
	}
	if lease {
		e.lease(t, w, run)
	}
	return w, run
}

// lease has w lease the integration for run.
func (e *testEnv) lease(t *testing.T, w *Worker, run *runDoc) {
	t.Helper()
	if doc, err := w.acquire(t.Context(), run); err != nil || doc == nil {
		t.Fatalf("acquire = %v, %v", doc, err)
	}
}

// finishOnly writes the first of the two writes that end a run, as the
// worker does (the run's outcome), and not yet the second (the
// integration's).
func (e *testEnv) finishOnly(t *testing.T, run *runDoc, o outcome) *runDoc {
	t.Helper()
	status := SyncSucceeded
	if o.message != "" {
		status = SyncFailed
	}
	ended, err := e.store.finishRun(t.Context(), run, "w1", status, e.clock.Now(), o)
	if err != nil || ended == nil {
		t.Fatalf("finishRun = %v, %v", ended, err)
	}
	return ended
}

// readState reads the HubSpot integration and its newest run as one answer
// shows them.
func readState(t *testing.T, svc *Service, p *authz.Principal) (Integration, SyncRun) {
	t.Helper()
	list, runs, err := svc.IntegrationState(t.Context(), p, true)
	if err != nil {
		t.Fatal(err)
	}
	var in Integration
	for _, i := range list {
		if i.Platform == HubSpot {
			in = i
		}
	}
	if len(runs[HubSpot]) == 0 {
		t.Fatal("no HubSpot run")
	}
	return in, runs[HubSpot][0]
}

// A reader that falls between a worker's two writes (the run's, then the
// integration's) sees the integration as the second write will leave it,
// never a run that ended beside an integration still SYNCING; with the
// cache and without.
func TestStateBetweenARunsTwoWritesIsTheStateAfterThem(t *testing.T) {
	t.Parallel()
	refused := outcome{message: "HubSpot refused the key. Reconnect the integration with a valid key.", rejected: true}
	for _, tc := range []struct {
		name   string
		cached bool
		o      outcome
	}{
		{"failed", false, refused},
		{"failed, cached", true, refused},
		{"succeeded", false, outcome{records: 3}},
		{"succeeded, cached", true, outcome{records: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			svc := e.svc
			if tc.cached {
				cache := NewCache(1<<20, time.Minute)
				t.Cleanup(cache.Close)
				svc = New(e.store, Options{Sealer: e.sealer, Clients: e.clients, Notify: e.events.notify, Now: e.clock.Now, Cache: cache})
			}
			owner, viewer := e.actor(authz.RoleOwner), e.actor(authz.RoleViewer)
			e.connect(t, owner, HubSpot)

			// Claimed, not yet leased: the run is RUNNING, so is the
			// integration.
			w, run := e.startRun(t, owner, false)
			if in, r := readState(t, svc, viewer); r.Status != SyncRunning || in.Status != StatusSyncing {
				t.Errorf("claimed, not leased: integration %s beside a run %s, want SYNCING beside RUNNING", in.Status, r.Status)
			}
			e.lease(t, w, run)
			svc.opts.Cache.invalidateState(e.org) // as the start's event does

			e.clock.Advance(time.Second)
			ended := e.finishOnly(t, run, tc.o)
			svc.opts.Cache.invalidateState(e.org) // a reader that started now
			between, r := readState(t, svc, viewer)
			if r.ID != run.ID || r.Status != ended.Status {
				t.Fatalf("newest run = %+v, want %s", r, ended.Status)
			}

			// The second write, as the worker makes it.
			next := e.clock.Now().Add(time.Hour)
			doc, err := e.store.endRun(t.Context(), run, runEnd{at: *ended.FinishedAt, lastError: tc.o.message, rejected: tc.o.rejected, next: next})
			if err != nil || doc == nil {
				t.Fatalf("endRun = %v, %v", doc, err)
			}
			svc.opts.Cache.invalidateState(e.org) // as the end's event does
			after, _ := readState(t, svc, viewer)
			after.NextSyncAt = between.NextSyncAt                         // the one field only the worker knows
			if fmt.Sprintf("%+v", between) != fmt.Sprintf("%+v", after) { // the times are pointers
				t.Errorf("between the writes:\n  %+v\nafter them:\n  %+v", between, after)
			}
			want := StatusConnected
			if tc.o.message != "" {
				want = StatusError
			}
			if after.Status != want || after.LastError != tc.o.message {
				t.Errorf("after the end: %s %q, want %s %q", after.Status, after.LastError, want, tc.o.message)
			}
		})
	}
}

// A sync requested between a worker's two writes of a run's end (or, for
// the schedule, after a worker stopped between them) records that end on
// the integration before it queues the next run: the status, the last
// error, the last sync time and a refused key are not lost, and the
// worker's own second write then leaves the integration alone.
func TestASyncQueuedBetweenARunsTwoWritesKeepsItsEnd(t *testing.T) {
	t.Parallel()
	refused := outcome{message: "HubSpot refused the key. Reconnect the integration with a valid key.", rejected: true}
	for _, tc := range []struct {
		name  string
		o     outcome
		queue func(t *testing.T, e *testEnv, owner *authz.Principal) bson.ObjectID
	}{
		{"requested, after a success", outcome{records: 3}, requestSync},
		{"requested, after a refused key", refused, requestSync},
		{"scheduled, after a worker stopped", outcome{records: 3}, scheduleSync},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			owner := e.actor(authz.RoleOwner)
			e.connect(t, owner, HubSpot)
			_, run := e.startRun(t, owner, true)
			e.clock.Advance(time.Second)
			ended := e.finishOnly(t, run, tc.o)

			next := tc.queue(t, e, owner)
			if next.IsZero() || next == run.ID {
				t.Fatalf("queued %s, want a new run", next.Hex())
			}
			// The worker's second write comes late and finds the
			// integration moved on, as end handles it.
			if doc, err := e.store.endRun(t.Context(), run, runEnd{at: *ended.FinishedAt, lastError: tc.o.message}); err != nil || doc != nil {
				t.Fatalf("late endRun = %v, %v; want nothing to do", doc, err)
			}
			if err := e.store.releaseRun(t.Context(), run); err != nil {
				t.Fatal(err)
			}

			doc, err := e.store.integration(t.Context(), e.org, HubSpot)
			if err != nil {
				t.Fatal(err)
			}
			if doc.ActiveRunID != next {
				t.Errorf("active run = %s, want the new run %s", doc.ActiveRunID.Hex(), next.Hex())
			}
			if doc.LastError != tc.o.message || doc.KeyRejected != tc.o.rejected {
				t.Errorf("integration: last error %q, key refused %v; want %q, %v", doc.LastError, doc.KeyRejected, tc.o.message, tc.o.rejected)
			}
			if tc.o.message == "" {
				if doc.Status != StatusConnected || doc.LastSyncedAt == nil || !doc.LastSyncedAt.Equal(*ended.FinishedAt) {
					t.Errorf("integration: %s, last synced %v; want CONNECTED at %v", doc.Status, doc.LastSyncedAt, ended.FinishedAt)
				}
			} else if doc.Status != StatusError {
				t.Errorf("integration: %s, want ERROR", doc.Status)
			}
		})
	}
}

// requestSync queues a sync as a member does and returns its run.
func requestSync(t *testing.T, e *testEnv, owner *authz.Principal) bson.ObjectID {
	t.Helper()
	r, err := e.svc.RequestSync(t.Context(), owner, HubSpot)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// scheduleSync lets the schedule find the integration due, with a pointer
// older than pointerGrace, and returns the run it queued.
func scheduleSync(t *testing.T, e *testEnv, _ *authz.Principal) bson.ObjectID {
	t.Helper()
	if _, err := e.store.updateIntegration(t.Context(), e.org, HubSpot, nil, bson.D{{Key: "$set", Value: bson.D{
		{Key: "nextScheduledAt", Value: e.clock.Now()},
	}}}, false); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * pointerGrace)
	w := e.worker("w2")
	w.opts.Interval = time.Hour
	if n, err := w.Schedule(context.WithoutCancel(t.Context())); n != 1 || err != nil {
		t.Fatalf("Schedule = %d, %v; want one run queued", n, err)
	}
	doc, err := e.store.integration(t.Context(), e.org, HubSpot)
	if err != nil {
		t.Fatal(err)
	}
	return doc.ActiveRunID
}
