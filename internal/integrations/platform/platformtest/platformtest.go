// Package platformtest provides fast Options and request counting for tests
// of the platform clients, so retries are exercised without waiting.
package platformtest

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnify/bff/internal/integrations/platform"
)

// Sleeper records the waits a Caller asks for and returns at once, so tests
// can assert which waits were chosen without spending them.
type Sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

// Sleep records d and returns ctx.Err().
func (s *Sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

// Waits returns the recorded waits in order.
func (s *Sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// Counter is an http.RoundTripper that counts the requests it forwards, on
// the client side, so a test counts attempts even when the server never saw
// one (a timeout before the handler ran).
type Counter struct {
	n    atomic.Int64
	next http.RoundTripper
}

// RoundTrip counts req and forwards it.
func (c *Counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(req)
}

// Count returns the requests sent so far.
func (c *Counter) Count() int { return int(c.n.Load()) }

// Options returns Options with a 2 s per-attempt timeout, millisecond
// backoff and rate-limit window, a recording Sleeper and a counting client.
// Idle connections are closed when the test ends.
func Options(t testing.TB) (platform.Options, *Sleeper, *Counter) {
	t.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	counter := &Counter{next: transport}
	sleeper := &Sleeper{}
	return platform.Options{
		HTTPClient:      &http.Client{Transport: counter},
		Timeout:         2 * time.Second,
		MaxAttempts:     4,
		MaxElapsed:      time.Minute,
		BackoffBase:     time.Millisecond,
		BackoffMax:      4 * time.Millisecond,
		RateLimitWindow: time.Millisecond,
		Sleep:           sleeper.Sleep,
	}, sleeper, counter
}
