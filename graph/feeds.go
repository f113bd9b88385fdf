package graph

import (
	"context"
	"sync"

	"github.com/omnify/bff/internal/events"
)

// feedBuffer is how many undelivered events one subscription holds before
// newer ones are dropped (the bus is for liveness: what an event reports
// is stored, so a dropped one loses only a nudge to refresh).
const feedBuffer = 16

// liveFeeds shares one bus subscription per subject among every
// subscription of this process that listens to it: a subject's messages
// are decoded once and handed to each subscription's small channel. An
// idle subscription so costs that channel, not a goroutine and a bus
// buffer of its own, and an event reaching N subscribers is decoded once,
// not N times. The zero value is ready to use.
type liveFeeds struct {
	mu    sync.Mutex
	feeds map[string]any // subject -> *feed[T]
}

// feed is one subject's bus subscription and its local subscribers.
type feed[T any] struct {
	sub  *events.Subscription
	outs map[chan T]struct{}
}

// subscribeFeed returns a channel of subject's messages, decoded (those
// decode refuses are skipped), until ctx ends or the bus closes the
// subject; then the channel is closed. A subscription that does not keep
// up misses events rather than slowing the others.
func subscribeFeed[T any](ctx context.Context, lf *liveFeeds, bus events.Bus, subject string, decode func([]byte) (T, bool)) (<-chan T, error) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	f, _ := lf.feeds[subject].(*feed[T])
	if f == nil {
		// The bus subscription lives until the last local subscriber leaves,
		// not with the context of the first.
		sub, err := bus.Subscribe(context.WithoutCancel(ctx), subject)
		if err != nil {
			return nil, err
		}
		f = &feed[T]{sub: sub, outs: map[chan T]struct{}{}}
		if lf.feeds == nil {
			lf.feeds = map[string]any{}
		}
		lf.feeds[subject] = f
		go pumpFeed(lf, subject, f, decode)
	}
	out := make(chan T, feedBuffer)
	f.outs[out] = struct{}{}
	context.AfterFunc(ctx, func() {
		lf.mu.Lock()
		defer lf.mu.Unlock()
		if _, ok := f.outs[out]; !ok {
			return // the feed already ended
		}
		delete(f.outs, out)
		close(out)
		if len(f.outs) == 0 {
			delete(lf.feeds, subject)
			f.sub.Close()
		}
	})
	return out, nil
}

// pumpFeed hands each message of f's bus subscription to every local
// subscriber, without blocking on any; when the bus subscription ends, so
// do theirs.
func pumpFeed[T any](lf *liveFeeds, subject string, f *feed[T], decode func([]byte) (T, bool)) {
	for data := range f.sub.C {
		v, ok := decode(data)
		if !ok {
			continue
		}
		lf.mu.Lock()
		for out := range f.outs {
			select {
			case out <- v:
			default:
			}
		}
		lf.mu.Unlock()
	}
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if cur, _ := lf.feeds[subject].(*feed[T]); cur == f {
		delete(lf.feeds, subject)
	}
	for out := range f.outs {
		delete(f.outs, out)
		close(out)
	}
}
