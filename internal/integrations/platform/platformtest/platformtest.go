// Package platformtest is the one fake of Triple Whale, HubSpot and Klaviyo
// that every test of the integrations uses, and the helpers that make the
// platform clients fast under test.
//
// A Fake runs three loopback httptest servers that speak each platform's
// documented API as our clients use it: Triple Whale's key check and summary
// endpoint (under /api/v2, like the production base URL), HubSpot's CRM v3
// deal and contact lists paged with limit and after, and Klaviyo's JSON:API
// accounts, campaigns, flows and metrics lists paged through links.next,
// POST /api/metric-aggregates (whose "Placed Order" is every order of the
// shop, as on a Shopify-connected account) and the Reporting API's
// campaign-values, flow-values and flow-series reports (what Klaviyo
// attributes to email, by send date, with its validation and its per-account
// limits of 1/s, 2/min and 225/day answered with 429 and Retry-After), each
// with its platform's error bodies and Retry-After on a 429.
//
// The data belongs to accounts, each opened by its own key on each platform.
// AddAccount generates whatever an AccountConfig leaves out from the
// account's number, deterministically: daily figures (DefaultFigures),
// deals, contacts, campaigns and flows. A test computes what it expects from
// the account (Account.Figures, Account.Totals, Account.Deals, ...) rather
// than hard-coding it; Account.Attributed, CampaignAttribution and
// FlowAttribution are what the reports attribute to email, and ReportCalls
// the reporting calls with their times, to check the limits. Accounts
// change while being served (AddDeal, DeleteDeal, Evolve, SetFlowSeries), lose their keys (Revoke: 401 or 403) and fail
// (InjectFault: a status every n-th call, 429 with Retry-After, dropped
// connections); SetIntercept lets a test answer any request itself. Requests
// are counted by "METHOD path", in all and per account, and logged.
//
// A Go test starts one with Start and points the clients at it:
//
//	fake := platformtest.Start(t, platformtest.Config{})
//	acct := fake.AddAccount(platformtest.AccountConfig{})
//	urls := fake.URLs() // cfg.TripleWhaleBaseURL = urls.TripleWhale, ...
//	// connect with acct.Key(platformtest.HubSpot), sync, then compare with
//	// acct.Deals() and acct.Totals(from, to).
//
// Tests in other languages run cmd/platformfake, which serves a Fake and its
// ControlHandler and prints their URLs.
//
// Options, Sleeper and Counter serve the clients' own tests: retries without
// waiting, and attempts counted on the client side.
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
