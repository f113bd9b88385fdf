package platform

import (
	"context"
	"net/http"
	"time"
)

// Defaults applied by Options.WithDefaults to fields left at zero.
const (
	DefaultTimeout         = 15 * time.Second
	DefaultMaxAttempts     = 4
	DefaultMaxElapsed      = 60 * time.Second
	DefaultBackoffBase     = 500 * time.Millisecond
	DefaultBackoffMax      = 10 * time.Second
	DefaultRateLimitWindow = 10 * time.Second
	DefaultMaxBodyBytes    = 10 << 20
	DefaultMaxPages        = 10_000
	DefaultUserAgent       = "omnify-bff"
)

// Options tunes how a Caller talks to a platform. The zero value is ready for
// production; tests shrink the durations and replace Sleep so that retries
// cost no wall-clock time.
type Options struct {
	// HTTPClient sends the requests; nil uses a client over
	// http.DefaultTransport. The Caller works on a copy whose redirect policy
	// refuses to follow a redirect to another origin, because the credential
	// travels in a header the standard library would forward.
	HTTPClient *http.Client
	// Timeout bounds one attempt, from sending the request to reading the
	// whole body.
	Timeout time.Duration
	// MaxAttempts bounds the attempts of one call, the first included; 1
	// disables retries.
	MaxAttempts int
	// MaxElapsed bounds one call across all its attempts and waits. A wait
	// that would end past it is not started: the call fails at once, so a
	// sync learns about a long Retry-After instead of blocking on it.
	MaxElapsed time.Duration
	// BackoffBase is the wait after the first failed attempt; each later wait
	// doubles, up to BackoffMax, and is jittered down by up to half so that
	// parallel syncs do not retry in lockstep.
	BackoffBase time.Duration
	// BackoffMax caps one backoff wait.
	BackoffMax time.Duration
	// RateLimitWindow is the wait unit for a rate limit that names a rolling
	// window but carries no Retry-After (HubSpot's TEN_SECONDLY_ROLLING): the
	// wait after attempt n is n windows.
	RateLimitWindow time.Duration
	// MaxBodyBytes caps how much of a response body is read; a larger body
	// fails the call rather than exhausting memory.
	MaxBodyBytes int64
	// MaxPages caps the pages one listing fetches, as a last guard against a
	// pagination cursor that never ends.
	MaxPages int
	// UserAgent is sent with every request.
	UserAgent string
	// Sleep waits between attempts and must return ctx.Err() as soon as ctx
	// is done; nil uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now reads the clock for Retry-After dates and the MaxElapsed budget;
	// nil uses time.Now.
	Now func() time.Time
}

// WithDefaults returns o with every zero or negative field replaced by its
// default, so a client can read the effective values.
func (o Options) WithDefaults() Options {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = DefaultMaxElapsed
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.BackoffMax < o.BackoffBase {
		o.BackoffMax = o.BackoffBase
	}
	if o.RateLimitWindow <= 0 {
		o.RateLimitWindow = DefaultRateLimitWindow
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Sleep waits for d or until ctx is done, whichever comes first, and
// returns ctx.Err() in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
