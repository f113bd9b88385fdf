package events_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/events"
	"github.com/omnify/bff/internal/events/natstest"
)

// connect opens a NATS bus on srv with quick reconnects, closed when the
// test ends.
func connect(t *testing.T, srv *natstest.Server) *events.NATS {
	t.Helper()
	bus, err := events.Connect(context.Background(), srv.URL(), events.NATSOptions{
		ReconnectWait: 20 * time.Millisecond, MaxReconnectWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	return bus
}

func receive(t *testing.T, s *events.Subscription, what string) string {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if !ok {
			t.Fatalf("%s: subscription ended", what)
		}
		return string(m)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing received", what)
	}
	return ""
}

func nothing(t *testing.T, s *events.Subscription, what string) {
	t.Helper()
	select {
	case m := <-s.C:
		t.Fatalf("%s received %q", what, m)
	case <-time.After(200 * time.Millisecond):
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestNATSCarriesMessagesBetweenConnectionsInOrder(t *testing.T) {
	srv := natstest.Start(t)
	api, worker := connect(t, srv), connect(t, srv)
	ctx := context.Background()
	org, exec := bson.NewObjectID().Hex(), bson.NewObjectID().Hex()
	subject := "agents." + org + ".executions." + exec

	onAPI, err := api.Subscribe(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	onWorker, _ := worker.Subscribe(ctx, subject)
	parent, _ := api.Subscribe(ctx, "agents."+org+".activity") // a sibling subject hears nothing
	// Sixty: within the buffer, as nobody reads yet.
	for i := range 60 {
		if err := worker.Publish(ctx, subject, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for name, s := range map[string]*events.Subscription{"other connection": onAPI, "same connection": onWorker} {
		for i := range 60 {
			if got := receive(t, s, fmt.Sprint(name, " ", i)); got != fmt.Sprint(i) {
				t.Fatalf("%s: message %d is %q", name, i, got)
			}
		}
		if s.Dropped() != 0 {
			t.Fatalf("%s dropped %d", name, s.Dropped())
		}
	}
	nothing(t, parent, "another subject")

	// Closing a subscription, or ending its context, ends its channel.
	onAPI.Close()
	if _, ok := <-onAPI.C; ok {
		t.Fatal("subscription open after Close")
	}
	sctx, cancel := context.WithCancel(ctx)
	s, _ := api.Subscribe(sctx, subject)
	cancel()
	waitUntil(t, "the subscription to end with its context", func() bool {
		select {
		case _, ok := <-s.C:
			return !ok
		default:
			return false
		}
	})
	onAPI.Close() // twice is fine
}

func TestSubjectsCannotSubscribeToWildcards(t *testing.T) {
	for _, ok := range []string{"integrations.65f0c0ffee0000000000abcd", "auth.changes", "agents.a1.executions.b2", "x", "a-b_c.D9"} {
		if err := events.ValidSubject(ok); err != nil {
			t.Errorf("ValidSubject(%q): %v", ok, err)
		}
	}
	bad := []string{"", "*", ">", "integrations.*", "integrations.>", "agents.*.activity", "a.b*", "a.>b",
		"a b", "a\tb", "a\nb", "a\x00b", ".a", "a.", "a..b", "$SYS.x", "é", strings.Repeat("a", 257)}
	for _, s := range bad {
		if err := events.ValidSubject(s); !errors.Is(err, events.ErrInvalidSubject) {
			t.Errorf("ValidSubject(%q) = %v, want ErrInvalidSubject", s, err)
		}
	}

	srv := natstest.Start(t)
	buses := map[string]events.Bus{"nats": connect(t, srv), "local": events.NewLocal()}
	for name, bus := range buses {
		ctx := context.Background()
		for _, s := range bad {
			if _, err := bus.Subscribe(ctx, s); !errors.Is(err, events.ErrInvalidSubject) {
				t.Errorf("%s: Subscribe(%q) = %v", name, s, err)
			}
			if err := bus.Publish(ctx, s, []byte("x")); !errors.Is(err, events.ErrInvalidSubject) {
				t.Errorf("%s: Publish(%q) = %v", name, s, err)
			}
		}
	}

	// What a wildcard would have matched reaches only its own subscribers.
	nb := buses["nats"]
	a, _ := nb.Subscribe(context.Background(), "integrations.a")
	b, _ := nb.Subscribe(context.Background(), "integrations.b")
	_ = nb.Publish(context.Background(), "integrations.a", []byte("for a"))
	if got := receive(t, a, "a"); got != "for a" {
		t.Fatalf("a got %q", got)
	}
	nothing(t, b, "b")
}

func TestNATSDropsWhatASlowSubscriberCannotHold(t *testing.T) {
	srv := natstest.Start(t)
	bus := connect(t, srv)
	ctx := context.Background()
	slow, _ := bus.Subscribe(ctx, "org.2")
	const buffer = 64 // the default, as Local's
	for i := range buffer + 10 {
		if err := bus.Publish(ctx, "org.2", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "the messages to arrive", func() bool { return slow.Dropped()+int64(len(slow.C)) == buffer+10 })
	if slow.Dropped() != 10 || len(slow.C) != buffer {
		t.Fatalf("dropped %d, buffered %d", slow.Dropped(), len(slow.C))
	}
	// The oldest are kept, in order.
	for i := range buffer {
		if got := receive(t, slow, "slow"); got != fmt.Sprint(i) {
			t.Fatalf("message %d is %q", i, got)
		}
	}
}

func TestNATSReconnectsAfterTheServerRestarts(t *testing.T) {
	srv := natstest.Start(t)
	bus, other := connect(t, srv), connect(t, srv)
	ctx := context.Background()
	sub, _ := bus.Subscribe(ctx, "integrations.x")
	if err := bus.Check(ctx); err != nil {
		t.Fatalf("check while connected: %v", err)
	}

	srv.Stop()
	waitUntil(t, "Check to report the outage", func() bool {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		err := bus.Check(cctx)
		return err != nil && strings.Contains(err.Error(), "reconnecting")
	})
	// Published while the server is away: kept for the reconnect, not an error.
	if err := bus.Publish(ctx, "integrations.x", []byte("while away")); err != nil {
		t.Fatalf("publish while reconnecting: %v", err)
	}

	srv.Restart(t)
	waitUntil(t, "both connections to come back", func() bool {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return bus.Check(cctx) == nil && other.Check(cctx) == nil
	})
	if got := receive(t, sub, "buffered during the outage"); got != "while away" {
		t.Fatalf("got %q", got)
	}
	// The subscription was restored on the new server: another connection reaches it.
	waitUntil(t, "a message from another connection after the restart", func() bool {
		_ = other.Publish(ctx, "integrations.x", []byte("after"))
		select {
		case m := <-sub.C:
			return string(m) == "after"
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})

	_ = bus.Close()
	if err := bus.Check(ctx); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("check after close: %v", err)
	}
	if err := bus.Publish(ctx, "integrations.x", nil); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
	if _, err := bus.Subscribe(ctx, "integrations.x"); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
	if _, ok := <-sub.C; ok {
		t.Fatal("subscription open after the bus closed")
	}
}

func TestConnectGivesUpWithinItsTimeout(t *testing.T) {
	srv := natstest.Start(t)
	url := srv.URL()
	srv.Stop() // nothing listens there now
	before := runtime.NumGoroutine()
	start := time.Now()
	_, err := events.Connect(context.Background(), "nats://user:secret@"+strings.TrimPrefix(url, "nats://"),
		events.NATSOptions{ConnectTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not answer") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("connect to nothing: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("connect took %s", d)
	}
	settles(t, before)
}

// settles waits briefly for the goroutine count to return to before.
func settles(t *testing.T, before int) {
	t.Helper()
	var now int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("%d goroutines before, %d after\n%s", before, now, buf[:runtime.Stack(buf, true)])
}

func TestNATSBusLeavesNoGoroutines(t *testing.T) {
	srv := natstest.Start(t)
	ctx := context.Background()
	before := runtime.NumGoroutine()

	bus, err := events.Connect(ctx, srv.URL(), events.NATSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := bus.Subscribe(ctx, "a.b")
	closed, _ := bus.Subscribe(ctx, "a.c")
	sctx, cancel := context.WithCancel(ctx)
	_, _ = bus.Subscribe(sctx, "a.d")
	_ = bus.Publish(ctx, "a.b", []byte("x"))
	receive(t, kept, "kept")
	closed.Close()
	cancel()
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
	settles(t, before)
}

// TestNATSSharesOneServerSubscriptionPerSubject: many subscribers of one
// subject in a process cost one subscription on the server (and one
// goroutine in the NATS client), each still gets every message in its
// own buffer, and the last to leave unsubscribes.
func TestNATSSharesOneServerSubscriptionPerSubject(t *testing.T) {
	srv := natstest.Start(t)
	bus, publisher := connect(t, srv), connect(t, srv)
	ctx := context.Background()
	base := srv.Subscriptions()
	before := runtime.NumGoroutine()
	const n = 200
	subs := make([]*events.Subscription, n)
	for i := range subs {
		s, err := bus.Subscribe(ctx, "agents.org1.activity")
		if err != nil {
			t.Fatal(err)
		}
		subs[i] = s
	}
	other, _ := bus.Subscribe(ctx, "agents.org2.activity")
	waitUntil(t, "the server to hold the subscriptions", func() bool { return srv.Subscriptions() == base+2 })
	if grown := runtime.NumGoroutine() - before; grown > 4 {
		t.Fatalf("%d subscribers of two subjects started %d goroutines", n+1, grown)
	}
	if err := publisher.Publish(ctx, "agents.org1.activity", []byte("m1")); err != nil {
		t.Fatal(err)
	}
	for i, s := range subs {
		if got := receive(t, s, fmt.Sprint("subscriber ", i)); got != "m1" {
			t.Fatalf("subscriber %d got %q", i, got)
		}
	}
	nothing(t, other, "another subject")

	// One slow subscriber loses its own newest messages, not the others'.
	for round := range 2 {
		for i := range 35 {
			_ = publisher.Publish(ctx, "agents.org1.activity", []byte(fmt.Sprint(round, i)))
		}
		for i, s := range subs[1:] {
			for j := range 35 {
				if got := receive(t, s, fmt.Sprint("subscriber ", i+1)); got != fmt.Sprint(round, j) {
					t.Fatalf("subscriber %d: message %d of round %d is %q", i+1, j, round, got)
				}
			}
		}
	}
	waitUntil(t, "the slow subscriber to drop", func() bool { return subs[0].Dropped() == 6 })

	// Leaving: the subject stays subscribed until its last subscriber goes.
	for _, s := range subs[:n-1] {
		s.Close()
	}
	late, _ := bus.Subscribe(ctx, "agents.org1.activity")
	_ = publisher.Publish(ctx, "agents.org1.activity", []byte("m2"))
	if got := receive(t, subs[n-1], "the last subscriber"); got != "m2" {
		t.Fatalf("last subscriber got %q", got)
	}
	if got := receive(t, late, "a subscriber that joined late"); got != "m2" {
		t.Fatalf("late subscriber got %q", got)
	}
	subs[n-1].Close()
	late.Close()
	other.Close()
	waitUntil(t, "the server to drop the subscriptions", func() bool { return srv.Subscriptions() == base })
}
