package auth

import (
	"context"
	"log/slog"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
)

// attempt is one check of a password against an account (a login, the
// current password of changePassword), throttled per email and per client
// address. Whoever begins one must release it.
type attempt struct {
	s    *Service
	keys []string
	ids  []bson.ObjectID
}

// inFlight counts this process's password checks in progress per throttle
// key. The database is what limits attempts across replicas; this only
// spares it a burst it would refuse anyway: with as many checks of a key in
// progress as its limit, another would be counted past the limit too, so it
// is refused without a round trip. A burst of 150 guesses then costs the
// database a handful of writes, not 150.
type inFlight struct {
	mu sync.Mutex
	n  map[string]int
}

// enter counts a check under every key, or under none if one of them is at
// its limit.
func (f *inFlight) enter(keys []string, limits []int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, k := range keys {
		if f.n[k] >= limits[i] {
			return false
		}
	}
	if f.n == nil {
		f.n = map[string]int{}
	}
	for _, k := range keys {
		f.n[k]++
	}
	return true
}

func (f *inFlight) leave(keys []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		if f.n[k]--; f.n[k] <= 0 {
			delete(f.n, k)
		}
	}
}

// beginAttempt records a password check before it is made, and only then
// counts what is recorded within the window: the failures and the checks in
// progress, this one included. Checking the count first and recording after
// would let a burst of parallel attempts all pass the check before any was
// recorded. Because an insert is atomic, of any number of simultaneous
// attempts the last to count sees all the others, so at most the limit of
// them are ever evaluated.
//
// Returns RATE_LIMITED (with retryAfterSeconds) once the email or the
// client's address has reached its limit; the refused attempt is forgotten
// again, so that it does not extend the lock.
func (s *Service) beginAttempt(ctx context.Context, email string) (*attempt, error) {
	keys := []string{"email:" + email}
	limits := []int{s.opts.MaxFailuresPerEmail}
	if ip := ClientFromContext(ctx).IP; ip != "" {
		keys = append(keys, "ip:"+ip)
		limits = append(limits, s.opts.MaxFailuresPerIP)
	}
	if !s.checks.enter(keys, limits) {
		s.opts.Logger.WarnContext(ctx, "password check refused: too many at once", slog.String("ip", ClientFromContext(ctx).IP))
		return nil, apperr.New(apperr.RateLimited, "Too many attempts at once. Try again in a moment.").With("retryAfterSeconds", 1)
	}
	now := s.now()
	ids, err := s.store.RecordLoginAttempt(ctx, keys, now)
	if err != nil {
		s.checks.leave(keys)
		return nil, err
	}
	a := &attempt{s: s, keys: keys, ids: ids}
	since := now.Add(-s.opts.LoginWindow)
	for i, key := range keys {
		limit := limits[i]
		notes, err := s.store.LoginAttemptsSince(ctx, key, since)
		if err != nil {
			a.forget(ctx)
			a.release()
			return nil, err
		}
		if len(notes) <= limit {
			continue
		}
		a.forget(ctx)
		a.release()
		// Attempts open again when enough of the others' notes have left
		// the window.
		others := make([]LoginAttempt, 0, len(notes))
		for _, n := range notes {
			if n.ID != ids[i] {
				others = append(others, n)
			}
		}
		reopens := others[len(others)-limit].At.Add(s.opts.LoginWindow)
		wait := max(int(reopens.Sub(now).Seconds())+1, 1)
		s.opts.Logger.WarnContext(ctx, "password check refused: too many failures", slog.String("ip", ClientFromContext(ctx).IP))
		return nil, apperr.New(apperr.RateLimited, "Too many failed attempts. Try again in %d minutes.", (wait+59)/60).
			With("retryAfterSeconds", wait)
	}
	return a, nil
}

// release ends the attempt's part in this process's count of checks in
// progress; call it once the password has been checked.
func (a *attempt) release() { a.s.checks.leave(a.keys) }

// succeeded forgets this attempt and the email's failures: the person who
// knows the password is back.
func (a *attempt) succeeded(ctx context.Context) {
	a.forget(ctx)
	if err := a.s.store.ClearLoginFailures(context.WithoutCancel(ctx), a.keys[0]); err != nil {
		a.s.opts.Logger.WarnContext(ctx, "clear login failures", slog.Any("error", err))
	}
}

// forget deletes this attempt's notes: it was refused, succeeded, or could
// not be evaluated (an outage is not a wrong password). A failed attempt
// keeps them.
func (a *attempt) forget(ctx context.Context) {
	if err := a.s.store.ForgetLoginAttempts(context.WithoutCancel(ctx), a.ids); err != nil {
		a.s.opts.Logger.WarnContext(ctx, "forget login attempt", slog.Any("error", err))
	}
}
