package agents

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/events"
)

// Stream is a live sequence of values for one subscriber. C is closed when
// the stream ends; Err then says why (nil for a normal end, such as an
// execution's terminal event, or the subscriber leaving). C carries
// pointers, as GraphQL subscriptions take them; a value may be shared with
// other subscribers and must not be changed.
type Stream[T any] struct {
	// C delivers the values, at most the service's SubscriptionBuffer
	// ahead of the subscriber.
	C <-chan *T

	mu  sync.Mutex
	err error
}

// Err is the reason the stream ended; read it after C is closed.
func (s *Stream[T]) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Stream[T]) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// errSlowConsumer ends a stream whose subscriber fell behind by a whole
// buffer. Nothing is lost: the events are stored.
func errSlowConsumer(resume string) error {
	return apperr.New(apperr.SlowConsumer, "You fell too far behind the events; subscribe again%s.", resume)
}

// sender feeds a stream's bounded queue without ever waiting for the
// subscriber: a full queue ends the stream.
type sender[T any] struct {
	ch     chan *T
	stream *Stream[T]
}

func newSender[T any](buffer int) *sender[T] {
	ch := make(chan *T, buffer)
	return &sender[T]{ch: ch, stream: &Stream[T]{C: ch}}
}

// send queues v, or reports false when the queue is full.
func (s *sender[T]) send(v *T) bool {
	select {
	case s.ch <- v:
		return true
	default:
		return false
	}
}

// wait queues v when the subscriber makes room, for values read from the
// store at the stream's own pace; it reports false when ctx ended first.
func (s *sender[T]) wait(ctx context.Context, v *T) bool {
	select {
	case s.ch <- v:
		return true
	case <-ctx.Done():
		return false
	}
}

// ExecutionEvents streams the events of the organization's execution with
// a sequence above afterSequence (nil: all of them): first those stored,
// then the live ones, without a gap or a duplicate, and ends after the
// terminal event (SUCCEEDED, FAILED or CANCELLED). It subscribes to the
// bus before it reads the log, so an event written meanwhile is either
// read or heard; a live event that skips sequences (the bus dropped some)
// makes it read the log for the missing ones, and it reads the log every
// ResyncInterval anyway, in case the bus lost the last one.
//
// A subscriber that falls SubscriptionBuffer events behind is dropped:
// the stream ends with SLOW_CONSUMER, and the client subscribes again
// after the last sequence it received.
//
// Returns FORBIDDEN without a role in an organization, NOT_FOUND for an
// execution of another organization, and BAD_USER_INPUT on field
// afterSequence when it is negative.
func (s *Service) ExecutionEvents(ctx context.Context, p *authz.Principal, id bson.ObjectID, afterSequence *int) (*Stream[Event], error) {
	if err := require(p, readRole); err != nil {
		return nil, err
	}
	after := 0
	if afterSequence != nil {
		after = *afterSequence
	}
	if after < 0 {
		return nil, apperr.Invalid("afterSequence", "afterSequence must be 0 or more, got %d.", after)
	}
	doc, err := s.executionOf(ctx, p.OrganizationID, id)
	if err != nil {
		return nil, err
	}
	sub, err := s.opts.Bus.Subscribe(ctx, executionSubject(doc.OrganizationID, id))
	if err != nil {
		return nil, err
	}
	out := newSender[Event](s.opts.SubscriptionBuffer)
	go func() {
		defer close(out.ch)
		defer sub.Close()
		f := follower{s: s, exec: id, last: after, out: out}
		if f.catchUp(ctx) {
			return
		}
		resync := time.NewTicker(s.opts.ResyncInterval)
		defer resync.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-resync.C:
				if f.catchUp(ctx) {
					return
				}
			case data, ok := <-sub.C:
				if !ok {
					return
				}
				var e Event
				if json.Unmarshal(data, &e) != nil || e.ExecutionID != id || e.OrganizationID != p.OrganizationID {
					continue
				}
				if e.Sequence <= f.last {
					continue // already sent, from the log
				}
				if e.Sequence > f.last+1 {
					// Sequences between were missed: the log has them.
					if f.catchUp(ctx) {
						return
					}
					if e.Sequence != f.last+1 {
						continue // sent from the log, or to be read at the next resync
					}
				}
				if f.emit(e) {
					return
				}
			}
		}
	}()
	return out.stream, nil
}

// follower is one subscriber's position in an execution's log.
type follower struct {
	s    *Service
	exec bson.ObjectID
	last int // the sequence of the last event sent
	out  *sender[Event]
}

// catchUp sends the stored events after the last one sent and reports
// whether the stream is over (a terminal event was sent, the subscriber
// left, or the log could not be read). It waits for the subscriber: what
// is stored is read at the subscriber's pace, so a long replay is not a
// slow consumer.
func (f *follower) catchUp(ctx context.Context) bool {
	const batch = 200
	for {
		docs, err := f.s.store.eventsAfter(ctx, f.exec, f.last, batch)
		if err != nil {
			if ctx.Err() == nil {
				f.s.opts.Logger.Error("agents: read execution events", "execution", f.exec.Hex(), "err", err)
				f.out.stream.fail(err)
			}
			return true
		}
		for _, d := range docs {
			if d.Sequence != f.last+1 {
				return false // never: sequences are stored in order
			}
			e := d.public()
			if !f.out.wait(ctx, &e) {
				return true
			}
			f.last = d.Sequence
			if d.Type.Terminal() {
				return true
			}
		}
		if len(docs) < batch {
			return false
		}
	}
}

// emit sends e, the next live event, without waiting; it reports whether
// the stream is over (e was terminal, or the subscriber fell a whole
// buffer behind).
func (f *follower) emit(e Event) bool {
	if !f.out.send(&e) {
		f.out.stream.fail(errSlowConsumer(" with afterSequence set to the last sequence you received"))
		return true
	}
	f.last = e.Sequence
	return e.Type.Terminal()
}

// Activity streams every status change of the organization's executions
// (queued, started, ended) as it happens, until ctx ends. A subscriber
// that falls SubscriptionBuffer changes behind is dropped with
// SLOW_CONSUMER; the executions themselves hold the current state.
//
// The subscribers of one organization in this process share one bus
// subscription, and each change is decoded once for all of them; an idle
// subscriber costs its queue, not a goroutine.
//
// Returns FORBIDDEN without a role in an organization.
func (s *Service) Activity(ctx context.Context, p *authz.Principal) (*Stream[Activity], error) {
	if err := require(p, readRole); err != nil {
		return nil, err
	}
	return s.activity.join(ctx, s.opts.Bus, p.OrganizationID, s.opts.SubscriptionBuffer)
}

// activityFeeds are this process's activity subscriptions, one shared bus
// subscription per organization. The zero value is ready to use.
type activityFeeds struct {
	mu    sync.Mutex
	feeds map[bson.ObjectID]*activityFeed
}

// activityFeed is one organization's bus subscription and its subscribers.
type activityFeed struct {
	sub  *events.Subscription
	outs map[*sender[Activity]]struct{}
}

// join adds a subscriber to org's feed, subscribing on the bus first when
// it is the first. It leaves when ctx ends.
func (fs *activityFeeds) join(ctx context.Context, bus events.Bus, org bson.ObjectID, buffer int) (*Stream[Activity], error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.feeds[org]
	if f == nil {
		// The bus subscription lives until the last subscriber leaves,
		// not with the context of the first.
		sub, err := bus.Subscribe(context.WithoutCancel(ctx), activitySubject(org))
		if err != nil {
			return nil, err
		}
		f = &activityFeed{sub: sub, outs: map[*sender[Activity]]struct{}{}}
		if fs.feeds == nil {
			fs.feeds = map[bson.ObjectID]*activityFeed{}
		}
		fs.feeds[org] = f
		go fs.pump(org, f)
	}
	out := newSender[Activity](buffer)
	f.outs[out] = struct{}{}
	context.AfterFunc(ctx, func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if _, ok := f.outs[out]; !ok {
			return // dropped as slow, or the feed ended
		}
		fs.leave(org, f, out)
	})
	return out.stream, nil
}

// leave ends one subscriber's stream, and the feed with its last one.
// fs.mu is held.
func (fs *activityFeeds) leave(org bson.ObjectID, f *activityFeed, out *sender[Activity]) {
	delete(f.outs, out)
	close(out.ch)
	if len(f.outs) == 0 && fs.feeds[org] == f {
		delete(fs.feeds, org)
		f.sub.Close()
	}
}

// pump decodes each change once and queues it for every subscriber,
// dropping those whose queue is full; when the bus subscription ends, the
// subscribers' streams end too.
func (fs *activityFeeds) pump(org bson.ObjectID, f *activityFeed) {
	for data := range f.sub.C {
		a := new(Activity)
		if json.Unmarshal(data, a) != nil || a.Execution.OrganizationID != org {
			continue
		}
		fs.mu.Lock()
		for out := range f.outs {
			if !out.send(a) {
				out.stream.fail(errSlowConsumer(""))
				fs.leave(org, f, out)
			}
		}
		fs.mu.Unlock()
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.feeds[org] == f {
		delete(fs.feeds, org)
	}
	for out := range f.outs {
		delete(f.outs, out)
		close(out.ch)
	}
}
