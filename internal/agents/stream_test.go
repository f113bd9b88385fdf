package agents

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// writeLog appends n LOG events and then SUCCEEDED to the execution, as a
// worker would, publishing each.
func (e *testEnv) writeLog(t *testing.T, id bson.ObjectID, n int) {
	t.Helper()
	doc, err := e.store.execution(context.Background(), id)
	if err != nil {
		t.Error(err)
		return
	}
	anyHead := func(eventDoc) bool { return true }
	for i := range n {
		if _, _, err := e.svc.append(context.Background(), doc, eventDoc{Type: EventLog, Message: "step", Data: map[string]any{"i": i}}, anyHead); err != nil {
			t.Error(err)
			return
		}
	}
	if _, _, err := e.svc.append(context.Background(), doc, eventDoc{Type: EventSucceeded, Message: "done"}, anyHead); err != nil {
		t.Error(err)
	}
}

// drain reads a stream to its end.
func drain(t *testing.T, s *Stream[Event]) []Event {
	t.Helper()
	var out []Event
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-s.C:
			if !ok {
				return out
			}
			out = append(out, *e)
		case <-timeout:
			t.Fatalf("stream did not end; %d events", len(out))
		}
	}
}

func checkSequences(t *testing.T, evs []Event, from, to int) {
	t.Helper()
	if len(evs) != to-from+1 {
		t.Fatalf("%d events, want %d (%d..%d)", len(evs), to-from+1, from, to)
	}
	for i, e := range evs {
		if e.Sequence != from+i {
			t.Fatalf("event %d has sequence %d, want %d", i, e.Sequence, from+i)
		}
	}
	if !evs[len(evs)-1].Type.Terminal() {
		t.Fatalf("the last event is %s", evs[len(evs)-1].Type)
	}
}

func TestExecutionEventsReplayThenLiveWithoutGapOrDuplicate(t *testing.T) {
	before := runtime.NumGoroutine()
	e := newEnv(t, func(o *Options) { o.SubscriptionBuffer = 10_000 })
	p := member()
	exec, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
	if err != nil {
		t.Fatal(err)
	}
	const logs = 120
	// Subscribers join while the log is being written: each must see
	// every event once, in order, and end after the last.
	var wg sync.WaitGroup
	wg.Go(func() { e.writeLog(t, exec.ID, logs) })
	results := make([][]Event, 6)
	for i := range results {
		time.Sleep(time.Duration(i) * 15 * time.Millisecond)
		s, err := e.svc.ExecutionEvents(t.Context(), p, exec.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { results[i] = drain(t, s) })
	}
	wg.Wait()
	for _, evs := range results {
		checkSequences(t, evs, 1, logs+2)
	}
	// Resuming after a sequence sends the rest, then ends.
	after := 50
	s, err := e.svc.ExecutionEvents(t.Context(), p, exec.ID, &after)
	if err != nil {
		t.Fatal(err)
	}
	checkSequences(t, drain(t, s), 51, logs+2)
	if s.Err() != nil {
		t.Fatal(s.Err())
	}

	// No goroutine outlives its stream.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Fatalf("%d goroutines after the streams ended, %d before", n, before)
	}
}

func TestExecutionEventsFillAGapTheBusLeft(t *testing.T) {
	e := newEnv(t)
	p := member()
	exec, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.svc.ExecutionEvents(t.Context(), p, exec.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Events written without a publish (a bus that lost them), then one
	// that is published: the stream reads the missing ones from the log.
	doc, _ := e.store.execution(t.Context(), exec.ID)
	for i := range 3 {
		if _, err := e.store.insertEvent(t.Context(), eventDoc{ExecutionID: exec.ID, OrganizationID: p.OrganizationID, Sequence: 2 + i, Type: EventLog, At: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.svc.append(t.Context(), doc, eventDoc{Type: EventFailed, Message: "stop"}, func(eventDoc) bool { return true }); err != nil {
		t.Fatal(err)
	}
	checkSequences(t, drain(t, s), 1, 5)
}

func TestSlowConsumerIsDroppedAndResumes(t *testing.T) {
	// No resync while the events are written: a resync reads the log at
	// the reader's pace, which would deliver every event to this reader
	// (no slow consumer), and on a busy machine writing the first events
	// can take longer than the tests' usual 50 ms interval.
	e := newEnv(t, func(o *Options) { o.SubscriptionBuffer = 4; o.ResyncInterval = time.Hour })
	p := member()
	exec, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.svc.ExecutionEvents(t.Context(), p, exec.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Once the stored QUEUED event is queued, the stream has read the log
	// and follows the bus: what is written from now on arrives live.
	// (Written before that, it would be replayed at the reader's pace,
	// which is no slow consumer.)
	for deadline := time.Now().Add(30 * time.Second); len(s.C) < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stream did not catch up")
		}
	}
	e.writeLog(t, exec.ID, 20) // nobody reads meanwhile
	got := drain(t, s)
	if code(s.Err()) != "SLOW_CONSUMER" {
		t.Fatalf("stream ended with %v after %d events", s.Err(), len(got))
	}
	if len(got) != 4 || got[0].Sequence != 1 || got[3].Sequence != 4 {
		t.Fatalf("received %d events before the end", len(got))
	}
	last := got[len(got)-1].Sequence
	s2, err := e.svc.ExecutionEvents(t.Context(), p, exec.ID, &last)
	if err != nil {
		t.Fatal(err)
	}
	// The rest is stored: it is replayed at the reader's pace.
	var rest []Event
	for ev := range s2.C {
		rest = append(rest, *ev)
	}
	if s2.Err() != nil {
		t.Fatal(s2.Err())
	}
	checkSequences(t, rest, last+1, 22)
}

func TestActivityStreamsStatusChanges(t *testing.T) {
	e := newEnv(t)
	p := member()
	ctx, cancel := context.WithCancel(t.Context())
	s, err := e.svc.Activity(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	other := member()
	if _, err := e.svc.Run(t.Context(), other, KeyROASGuardian, nil); err != nil {
		t.Fatal(err)
	}
	exec, err := e.svc.Run(t.Context(), p, KeyROASGuardian, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewWorker(e.svc, WorkerOptions{}).RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWorker(e.svc, WorkerOptions{}).RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	var statuses []ExecutionStatus
	for len(statuses) < 3 {
		a := <-s.C
		if a.Execution.ID != exec.ID || a.Agent.Key != KeyROASGuardian || a.Agent.LastExecution == nil {
			t.Fatalf("activity %+v", a)
		}
		statuses = append(statuses, a.Status)
	}
	if statuses[0] != ExecutionQueued || statuses[1] != ExecutionRunning || statuses[2] != ExecutionSucceeded {
		t.Fatalf("statuses %v", statuses)
	}
	cancel()
	for range s.C {
	}
}

// TestActivitySubscribersShareOneFeed: an organization's activity
// subscribers in one process share one bus subscription and one decoder,
// so an idle subscriber costs no goroutine; a subscriber that falls a
// whole buffer behind is dropped with SLOW_CONSUMER while the others go
// on; the feed ends with its last subscriber.
func TestActivitySubscribersShareOneFeed(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.SubscriptionBuffer = 4 })
	p := member()
	publish := func(i int) {
		a := Activity{Execution: Execution{ID: bson.NewObjectID(), OrganizationID: p.OrganizationID, Status: ExecutionQueued}, Status: ExecutionQueued}
		a.Execution.LastSequence = i
		data, _ := json.Marshal(a)
		if err := e.bus.Publish(t.Context(), activitySubject(p.OrganizationID), data); err != nil {
			t.Fatal(err)
		}
	}
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	const n = 100
	streams := make([]*Stream[Activity], n)
	for i := range streams {
		s, err := e.svc.Activity(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		streams[i] = s
	}
	if grown := runtime.NumGoroutine() - before; grown > 2 {
		t.Fatalf("%d subscribers started %d goroutines", n, grown)
	}
	slow := streams[0]
	for i := range 6 {
		publish(i)
		for j, s := range streams[1:] {
			select {
			case a, ok := <-s.C:
				if !ok || a.Execution.LastSequence != i {
					t.Fatalf("subscriber %d: change %d is %+v (open %v)", j+1, i, a, ok)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("subscriber %d: change %d did not arrive", j+1, i)
			}
		}
	}
	var got []int
	for a := range slow.C {
		got = append(got, a.Execution.LastSequence)
	}
	if code(slow.Err()) != "SLOW_CONSUMER" || len(got) != 4 {
		t.Fatalf("slow subscriber: %v after %v", slow.Err(), got)
	}
	cancel()
	for _, s := range streams[1:] {
		for range s.C {
		}
		if s.Err() != nil {
			t.Fatalf("a subscriber that left ended with %v", s.Err())
		}
	}
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines %d, before %d", runtime.NumGoroutine(), before)
		}
	}
}
