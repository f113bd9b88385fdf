// Package events is the bus that carries live events from where they
// happen (a worker finishing a sync, an agent writing a step) to the
// subscribers connected to any API replica.
//
// The bus is for liveness only: whatever an event reports is stored in
// MongoDB before it is published, so a subscriber that misses an event
// (a full buffer, a reconnect) loses no data, only a nudge to refresh.
//
// Two buses implement Bus: Local, in-process, for a single process that
// serves every role; and NATS, which carries messages between the processes
// of a deployment through a NATS server. Both deliver the same way: each
// subscription has a bounded buffer, publishing never waits for a
// subscriber, and a subscriber that falls behind loses the newest messages
// (counted by Dropped).
//
// Subjects are chosen by the callers, as dot-separated tokens
// ("integrations.<org>", "agents.<org>.executions.<exec>"); see
// ValidSubject. Wildcards are not part of the API: a subscriber hears one
// subject exactly.
package events

import (
	"context"
	"errors"
	"fmt"
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

// Checker is implemented by a bus that depends on something outside the
// process (NATS): Check reports an error while messages cannot reach other
// processes, for readiness probes.
type Checker interface {
	Check(ctx context.Context) error
}

// maxSubjectLength bounds a subject, far above any the callers build.
const maxSubjectLength = 256

// ErrInvalidSubject is returned (wrapped) for a subject ValidSubject refuses.
var ErrInvalidSubject = errors.New("events: invalid subject")

// ValidSubject checks that subject is one or more tokens separated by
// single dots, each made of ASCII letters, digits, '-' and '_', at most 256
// bytes in all. Everything NATS treats specially is refused: the wildcards
// '*' and '>', whitespace and control characters, empty tokens, and the
// '$' of system subjects. So a subject built from an id always names
// exactly one subject, on every bus.
func ValidSubject(subject string) error {
	if subject == "" || len(subject) > maxSubjectLength {
		return fmt.Errorf("%w: must be 1 to %d bytes", ErrInvalidSubject, maxSubjectLength)
	}
	tokenStart := true
	for i := 0; i < len(subject); i++ {
		c := subject[i]
		switch {
		case c == '.':
			if tokenStart {
				return fmt.Errorf("%w: %q has an empty token", ErrInvalidSubject, subject)
			}
			tokenStart = true
			continue
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return fmt.Errorf("%w: %q contains %q (tokens are letters, digits, '-' and '_')", ErrInvalidSubject, subject, c)
		}
		tokenStart = false
	}
	if tokenStart {
		return fmt.Errorf("%w: %q ends with a dot", ErrInvalidSubject, subject)
	}
	return nil
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
	if err := ValidSubject(subject); err != nil {
		return err
	}
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
	if err := ValidSubject(subject); err != nil {
		return nil, err
	}
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
