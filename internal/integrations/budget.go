package integrations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/omnify/bff/internal/integrations/platform"
)

// RateLimit allows at most Calls calls in any Window.
type RateLimit struct {
	Calls  int           // calls allowed in a window
	Window time.Duration // the window's length
}

// ReportLimits are the limits of Klaviyo's reporting endpoints, which hold
// per Klaviyo account across every key, organization and process: the
// budget a sync spends its reporting calls from. Zero fields take the
// defaults of DefaultReportLimits.
type ReportLimits struct {
	// Burst, Steady and Daily are Klaviyo's limits: 1 call a second, 2 a
	// minute, 225 a day. They are counted over sliding windows, which is
	// stricter than Klaviyo's fixed ones, so a day is the last 24 hours.
	Burst, Steady, Daily RateLimit
	// Margin widens the burst and steady windows, for the time between
	// recording a call and its arrival at Klaviyo; zero is
	// DefaultReportMargin or a quarter of the burst window, the smaller.
	Margin time.Duration
	// Reserve is how many of the daily calls syncs leave unspent, for the
	// one retry a 429 may take and for a member's manual sync.
	Reserve int
	// MaxTime bounds the time one sync spends on reporting, waits for the
	// steady window included; what is left is read by a later sync.
	MaxTime time.Duration
	// FallbackCalls bounds the one-day flow values reports one sync makes
	// when the account has no flow series report.
	FallbackCalls int
	// Now and Sleep are the clock and the wait of the budget; they are
	// real time even under a test's fake sync clock, since Klaviyo's
	// windows are.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults of ReportLimits.
const (
	DefaultReportMargin        = 250 * time.Millisecond
	DefaultReportReserve       = 10
	DefaultReportMaxTime       = 5 * time.Minute
	DefaultReportFallbackCalls = 8
)

// DefaultReportLimits returns Klaviyo's documented limits of the reporting
// endpoints with the defaults above.
func DefaultReportLimits() ReportLimits {
	return ReportLimits{
		Burst:         RateLimit{Calls: 1, Window: time.Second},
		Steady:        RateLimit{Calls: 2, Window: time.Minute},
		Daily:         RateLimit{Calls: 225, Window: 24 * time.Hour},
		Margin:        DefaultReportMargin,
		Reserve:       DefaultReportReserve,
		MaxTime:       DefaultReportMaxTime,
		FallbackCalls: DefaultReportFallbackCalls,
	}
}

// withDefaults fills l's zero fields from DefaultReportLimits.
func (l ReportLimits) withDefaults() ReportLimits {
	def := DefaultReportLimits()
	for _, p := range []struct{ v, d *RateLimit }{{&l.Burst, &def.Burst}, {&l.Steady, &def.Steady}, {&l.Daily, &def.Daily}} {
		if p.v.Calls <= 0 || p.v.Window <= 0 {
			*p.v = *p.d
		}
	}
	if l.Margin <= 0 {
		l.Margin = min(DefaultReportMargin, l.Burst.Window/4)
	}
	if l.Reserve < 0 || l.Reserve >= l.Daily.Calls {
		l.Reserve = min(def.Reserve, l.Daily.Calls/10)
	}
	if l.MaxTime <= 0 {
		l.MaxTime = def.MaxTime
	}
	if l.FallbackCalls <= 0 {
		l.FallbackCalls = def.FallbackCalls
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.Sleep == nil {
		l.Sleep = platform.Sleep
	}
	return l
}

// Why a sync stops reporting without failing.
const (
	// errReportDayBudget: the account's daily reporting calls, less the
	// reserve, are spent.
	errReportDayBudget = constError("the account's daily Klaviyo reporting budget is spent")
	// errReportNoTime: the steady window would free only after the sync's
	// reporting time is over.
	errReportNoTime = constError("no Klaviyo reporting call fits in this sync's time")
)

// isBudgetStop reports whether err stops a sync's reporting without
// failing the sync: the budget is spent, or Klaviyo still throttles after
// the one retry.
func isBudgetStop(err error) bool {
	var pe *platform.Error
	return errors.Is(err, errReportDayBudget) || errors.Is(err, errReportNoTime) ||
		errors.As(err, &pe) && pe.Status == 429
}

// reportBudget hands out one sync's reporting calls from an account's
// budget. Each call is recorded first, with a unique insert, and the
// account's recorded calls are counted after: of two processes racing for
// the last call, both see both records and at most the one recorded first
// proceeds... or neither, and both wait and try again; never both.
type reportBudget struct {
	store    *Store
	log      *slog.Logger
	account  string
	limits   ReportLimits
	deadline time.Time
	// calls counts the calls this sync made.
	calls int
}

// newReportBudget returns the budget of one sync on account, whose
// reporting ends at the latest limits.MaxTime from now.
func (w *Worker) newReportBudget(ctx context.Context, account string) *reportBudget {
	l := w.opts.ReportLimits
	b := &reportBudget{store: w.store, log: w.opts.Logger, account: "klaviyo/" + account, limits: l, deadline: l.Now().Add(l.MaxTime)}
	if err := w.store.pruneReportCalls(ctx, b.account, l.Now()); err != nil {
		w.opts.Logger.Warn("integrations: prune Klaviyo report calls", "err", err)
	}
	return b
}

// gate is take as a klaviyo.Gate: once the call is answered, its record
// is dated by the answer, the latest time Klaviyo can have seen it, so
// that the windows of later calls count from there whatever the latency
// (only a call still in flight counts from its start, plus the margin).
func (b *reportBudget) gate(ctx context.Context, path string) (func(), error) {
	id, err := b.take(ctx, path)
	if err != nil {
		return nil, err
	}
	return func() {
		if err := b.store.redateReportCall(context.WithoutCancel(ctx), id, b.limits.Now()); err != nil {
			b.log.Warn("integrations: date a Klaviyo report call by its answer", "err", err)
		}
	}, nil
}

// take reserves one reporting call to path and returns its record's id:
// it records the call, counts the account's calls in the windows, and
// keeps the record when every limit holds. Over the daily limit (less the
// reserve) it returns errReportDayBudget; over the burst or steady limit
// it deletes the record and waits for the window to free, or returns
// errReportNoTime when that would pass the deadline.
func (b *reportBudget) take(ctx context.Context, path string) (string, error) {
	l := b.limits
	burst, steady := l.Burst.Window+l.Margin, l.Steady.Window+l.Margin
	for {
		now := l.Now()
		id, err := b.store.recordReportCall(ctx, b.account, path, now)
		if err != nil {
			return "", storeError{err}
		}
		times, err := b.store.reportCallTimes(ctx, b.account, now.Add(-l.Daily.Window))
		if err != nil {
			return "", storeError{errors.Join(err, b.store.deleteReportCall(context.WithoutCancel(ctx), id))}
		}
		// The counts include this call's own record.
		var inBurst, inSteady []time.Time
		for _, t := range times {
			if now.Sub(t) < burst {
				inBurst = append(inBurst, t)
			}
			if now.Sub(t) < steady {
				inSteady = append(inSteady, t)
			}
		}
		if len(times) <= l.Daily.Calls-l.Reserve && len(inBurst) <= l.Burst.Calls && len(inSteady) <= l.Steady.Calls {
			b.calls++
			return id, nil
		}
		if err := b.store.deleteReportCall(context.WithoutCancel(ctx), id); err != nil {
			return "", storeError{err}
		}
		if len(times) > l.Daily.Calls-l.Reserve {
			return "", errReportDayBudget
		}
		// Wait until all but Calls-1 of the other calls left each window
		// (a racing caller's record may be among them, and may be deleted
		// sooner: the wait is then longer than it needs to be, never
		// shorter).
		wait := time.Duration(0)
		for _, win := range []struct {
			in     []time.Time
			calls  int
			length time.Duration
		}{{inBurst, l.Burst.Calls, burst}, {inSteady, l.Steady.Calls, steady}} {
			if len(win.in) > win.calls {
				others := len(win.in) - 1
				wait = max(wait, win.in[others-win.calls].Add(win.length).Sub(now))
			}
		}
		// Jitter, so that two callers that backed off together do not
		// collide again.
		wait += time.Duration(rand.Int64N(int64(max(l.Burst.Window/4, time.Millisecond))))
		if now.Add(wait).After(b.deadline) {
			return "", errReportNoTime
		}
		if err := l.Sleep(ctx, wait); err != nil {
			return "", fmt.Errorf("integrations: waiting for the Klaviyo reporting window: %w", err)
		}
	}
}
