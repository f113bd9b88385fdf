// Package events is the bus that carries live events from where they
// happen (a worker finishing a sync, an agent writing a step) to the
// subscribers connected to any API replica.
//
// The bus is for liveness only: whatever an event reports is stored in
// MongoDB before it is published, so a subscriber that misses an event
// (a full buffer, a reconnect) loses no data, only a nudge to refresh.
package events

import (
	"context"
	"sync"
	"sync/atomic"
)

// Bus publishes messages on subjects and delivers them to subscribers.
type Bus interface {
	// Publish sends data to every current subscriber of subject.
	Publish(ctx context.Context, subject string, data []byte) error
	// Subscribe delivers the messages published on subject until ctx ends
	// or the subscription is closed.
	Subscribe(ctx context.Context, subject string) (*Subscription, error)
	// Close stops the bus; subscriptions end.
	Close() error
}

// Subscription is a stream of messages on one subject.
type Subscription struct {
	// C delivers the messages; it is closed when the subscription ends.
	C <-chan []byte

	close   func()
	dropped atomic.Int64
}

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() { s.close() }

// Dropped is how many messages were dropped because the subscriber did not
// keep up.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// bufferSize is how many undelivered messages a subscription holds before
// newer ones are dropped.
const bufferSize = 64

// Local is the in-process bus: enough for one replica, or for all roles in
// one process.
type Local struct {
	mu     sync.Mutex
	closed bool
	subs   map[string]map[*localSub]struct{}
}

type localSub struct {
	ch   chan []byte
	sub  *Subscription
	once sync.Once
}

// NewLocal returns an in-process bus.
func NewLocal() *Local {
	return &Local{subs: map[string]map[*localSub]struct{}{}}
}

// Publish delivers data to the subject's subscribers without blocking: a
// subscriber whose buffer is full misses this message.
func (b *Local) Publish(_ context.Context, subject string, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[subject] {
		select {
		case s.ch <- data:
		default:
			s.sub.dropped.Add(1)
		}
	}
	return nil
}

// Subscribe registers a subscriber on subject.
func (b *Local) Subscribe(ctx context.Context, subject string) (*Subscription, error) {
	ls := &localSub{ch: make(chan []byte, bufferSize)}
	ls.sub = &Subscription{C: ls.ch}
	ls.sub.close = func() {
		ls.once.Do(func() {
			b.mu.Lock()
			if m := b.subs[subject]; m != nil {
				delete(m, ls)
				if len(m) == 0 {
					delete(b.subs, subject)
				}
			}
			b.mu.Unlock()
			close(ls.ch)
		})
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	if b.subs[subject] == nil {
		b.subs[subject] = map[*localSub]struct{}{}
	}
	b.subs[subject][ls] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, ls.sub.close)
	return ls.sub, nil
}

// Close ends every subscription.
func (b *Local) Close() error {
	b.mu.Lock()
	b.closed = true
	var all []*localSub
	for _, m := range b.subs {
		for s := range m {
			all = append(all, s)
		}
	}
	b.mu.Unlock()
	for _, s := range all {
		s.sub.close()
	}
	return nil
}

// ErrClosed is returned by Subscribe on a closed bus.
var ErrClosed = errClosed{}

type errClosed struct{}

func (errClosed) Error() string { return "events: bus is closed" }
