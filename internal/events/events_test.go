package events

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestLocalBus(t *testing.T) {
	bus := NewLocal()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	a, _ := bus.Subscribe(ctx, "org.1")
	b, _ := bus.Subscribe(ctx, "org.1")
	other, _ := bus.Subscribe(ctx, "org.2")
	_ = bus.Publish(ctx, "org.1", []byte("hello"))

	for name, s := range map[string]*Subscription{"a": a, "b": b} {
		select {
		case m := <-s.C:
			if string(m) != "hello" {
				t.Fatalf("%s got %q", name, m)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s got nothing", name)
		}
	}
	select {
	case m := <-other.C:
		t.Fatalf("another subject received %q", m)
	default:
	}

	// A slow subscriber loses messages beyond its buffer, and never blocks the publisher.
	for i := range bufferSize + 10 {
		_ = bus.Publish(ctx, "org.2", []byte(fmt.Sprint(i)))
	}
	if other.Dropped() != 10 || len(other.C) != bufferSize {
		t.Fatalf("dropped %d, buffered %d", other.Dropped(), len(other.C))
	}

	// Ending the context ends every subscription made with it.
	cancel()
	for name, sub := range map[string]*Subscription{"a": a, "b": b, "other": other} {
		deadline := time.After(5 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-sub.C:
				if !ok {
					break drain
				}
			case <-deadline:
				t.Fatalf("subscription %s did not end with its context", name)
			}
		}
	}
	bus.mu.Lock()
	n := len(bus.subs)
	bus.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d subjects still registered", n)
	}
}

func TestClosedBus(t *testing.T) {
	bus := NewLocal()
	s, _ := bus.Subscribe(context.Background(), "x")
	_ = bus.Close()
	if _, ok := <-s.C; ok {
		t.Fatal("subscription open after Close")
	}
	if _, err := bus.Subscribe(context.Background(), "x"); err != ErrClosed {
		t.Fatalf("subscribe after close: %v", err)
	}
	s.Close() // twice is fine
}
