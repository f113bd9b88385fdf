package auth

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/omnify/bff/internal/authz"
)

// principalCache keeps, for a short time, the principals that session
// cookies and API keys resolved to, so that a request with a credential seen
// moments ago costs no database round trip. It is per process.
//
// The rules:
//
//   - An entry is keyed by the credential's SHA-256 (the session's id, or
//     the hash stored for a key's secret), never by the secret itself, and
//     is served only until its TTL runs out; a session also only until its
//     idle or absolute expiry as last known.
//   - Only successes are cached. A refused credential is looked up again
//     every time: unknown credentials are the attacker's to choose, and
//     caching them would only push real ones out of the bounded cache.
//   - Every change of authority (Change) drops the entries it affects
//     before the call that made it returns, and on other processes when the
//     change reaches them (Forget). A session's change names its key; every
//     other change (a key, a user, a user in an organization) is matched
//     against the cached principals with Change.Affects. That scan is bounded
//     by the cache's size and runs only on changes, which are rare next to
//     requests; an index by user and key would have to follow every eviction
//     to stay right, for no gain at this size.
//   - A generation counter fences out answers read before a change: a
//     lookup notes the generation before it reads the database, and its
//     answer is stored only if no change happened meanwhile. Otherwise a
//     lookup that read a key just before its revocation could store it just
//     after the revocation dropped it.
//
// The cache does no expiry of its own (which would need a goroutine per
// cache): an entry past its TTL is ignored and replaced at the next lookup,
// and the size bound evicts what is no longer used.
type principalCache struct {
	ttl   time.Duration
	items *otter.Cache[string, *cachedPrincipal]
	// mu orders insertions against changes (see gen).
	mu sync.Mutex
	// gen counts the changes applied; it moves only under mu.
	gen atomic.Uint64
}

// cachedPrincipal is one cached answer.
type cachedPrincipal struct {
	p     authz.Principal
	until time.Time // served until then (the TTL)
	// session is set for a session's entry, which also ends at the
	// session's own expiry.
	session           bool
	absoluteExpiresAt time.Time
	// expiresAt is the session's idle expiry as last known, in Unix
	// milliseconds; a recorded use moves it on.
	expiresAt atomic.Int64
	// usedAt is the last use recorded in the database, in Unix
	// milliseconds, so that use is recorded at most once per TouchInterval.
	usedAt atomic.Int64
}

// principal returns a copy of the cached principal, which callers may keep.
func (e *cachedPrincipal) principal() *authz.Principal {
	p := e.p
	return &p
}

// newPrincipalCache returns a cache of at most entries principals kept for
// ttl, or nil (no cache) when ttl is not positive.
func newPrincipalCache(ttl time.Duration, entries int) *principalCache {
	if ttl <= 0 {
		return nil
	}
	return &principalCache{
		ttl:   ttl,
		items: otter.Must(&otter.Options[string, *cachedPrincipal]{MaximumSize: entries}),
	}
}

// The cache's keys: a prefix for the kind of credential and its hash.
func sessionCacheKey(hash string) string { return "s" + hash }
func keyCacheKey(hash string) string     { return "k" + hash }

// get returns the entry for key if it may still be served at now.
func (c *principalCache) get(key string, now time.Time) (*cachedPrincipal, bool) {
	if c == nil {
		return nil, false
	}
	e, ok := c.items.GetIfPresent(key)
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	if e.session && (now.UnixMilli() >= e.expiresAt.Load() || !now.Before(e.absoluteExpiresAt)) {
		return nil, false
	}
	return e, true
}

// generation is noted before a lookup reads the database; see put.
func (c *principalCache) generation() uint64 {
	if c == nil {
		return 0
	}
	return c.gen.Load()
}

// put stores e under key unless a change was applied since seen was noted:
// the answer may then predate the change.
func (c *principalCache) put(key string, seen uint64, e *cachedPrincipal, now time.Time) {
	if c == nil {
		return
	}
	e.until = now.Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != seen {
		return
	}
	c.items.Set(key, e)
}

// forget drops the entries ch affects and fences out lookups under way.
func (c *principalCache) forget(ch Change) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	if ch.SessionID != "" {
		c.items.Invalidate(sessionCacheKey(ch.SessionID))
		return
	}
	var drop []string
	for k, e := range c.items.All() {
		if ch.Affects(&e.p) {
			drop = append(drop, k)
		}
	}
	for _, k := range drop {
		c.items.Invalidate(k)
	}
}

// Forget drops the principals cached in this process that c affects. The
// process that makes a change does so itself before the call that made it
// returns; other processes call it when the change reaches them (see
// OnChange), before ApplyChange re-checks their connections.
func (s *Service) Forget(c Change) {
	s.cache.forget(c)
	s.objects.forget(c)
}

// due reports whether a use at now should be recorded, the last recorded
// one being at usedAt (Unix milliseconds), and claims the recording: of
// requests racing for it, one wins.
func (s *Service) due(e *cachedPrincipal, now time.Time) bool {
	used := e.usedAt.Load()
	if now.UnixMilli()-used < s.opts.TouchInterval.Milliseconds() {
		return false
	}
	return e.usedAt.CompareAndSwap(used, now.UnixMilli())
}
