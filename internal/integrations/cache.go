package integrations

import (
	"context"
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The process's cache. In front of the database, each process keeps what
// the dashboard reads most, per organization: its rollup (with the data
// version it was built at) and its integrations' state (the integrations
// and their kept runs). A Cache is bounded in bytes (entries weighed by an
// estimate of their size) and each entry lives at most its TTL, the
// backstop for a change whose message a process missed.
//
// Every change drops what it makes stale, in every process:
//
//   - a rebuilt rollup (a sync's end, a purge, a rebuild) reports its
//     organization and new data version (Options.Changed) after it is
//     stored and before the change that caused it is notified;
//   - every integration event (a status change, a run queued, started,
//     progressing or ended) reports its organization with version 0 after
//     the state it describes is stored.
//
// The composition root publishes both on one bus subject, in order, and
// every process applies them to its Cache (Invalidate); a process also
// applies its own at once, before publishing. A rollup entry is dropped
// only when it is older than the version reported, so a process that
// already read the new rollup keeps it. Loading an entry while it is
// invalidated discards what was loaded, so a read that starts after a
// process applied a change never returns what was stored before it.

// cacheKind says what a cache entry holds.
type cacheKind uint8

const (
	kindRollup cacheKind = iota + 1
	kindState
)

// cacheKey names one entry: an organization's rollup or its state.
type cacheKey struct {
	org  bson.ObjectID
	kind cacheKind
}

// cacheEntry is one cached value and its estimated size.
type cacheEntry struct {
	rollup *rollupDoc
	state  *stateView
	bytes  uint32
}

// stateView is an organization's integrations and their kept runs (of
// every platform, newest first), as stored.
type stateView struct {
	integrations []integrationDoc
	runs         []SyncRun
}

// Cache keeps organizations' rollups and integration states in memory for
// one process. Its zero value is not usable; call NewCache. A nil *Cache
// keeps nothing.
type Cache struct {
	c *otter.Cache[cacheKey, cacheEntry]
	// generations count the changes applied, by organization, in
	// generationStripes stripes (organizations share a stripe by hash):
	// see Generation.
	generations [generationStripes]atomic.Uint64
}

// generationStripes is how many generation counters a Cache keeps. More
// stripes make a change to one organization less likely to age another's
// answers; each costs 8 bytes.
const generationStripes = 1024

// Generation returns the organization's data generation in this process:
// it changes whenever a change of the organization's read models or
// integration state is applied here (Invalidate, Apply, an event), after
// what the change made stale was dropped. Something computed from the
// Cache's answers while the generation did not change is therefore as
// fresh as the Cache itself: a caller that reads the generation before
// and after computing may keep the result for as long as the generation
// stays the same (whole GraphQL answers are kept this way).
func (c *Cache) Generation(org bson.ObjectID) uint64 {
	if c == nil {
		return 0
	}
	return c.generations[stripeOf(org)].Load()
}

// changed moves the organization's generation on; called after the
// entries a change made stale are dropped.
func (c *Cache) changed(org bson.ObjectID) {
	c.generations[stripeOf(org)].Add(1)
}

// stripeOf is the generation stripe of an organization: the low bits of
// its id's counter and random parts, which differ between organizations.
func stripeOf(org bson.ObjectID) int {
	return int(binary.BigEndian.Uint16(org[10:12])^binary.BigEndian.Uint16(org[6:8])) % generationStripes
}

// NewCache returns a Cache that holds at most maxBytes (estimated) and
// keeps each entry at most ttl; nil when maxBytes is not positive.
func NewCache(maxBytes int64, ttl time.Duration) *Cache {
	if maxBytes <= 0 {
		return nil
	}
	if ttl <= 0 {
		ttl = time.Minute
	}
	c := otter.Must(&otter.Options[cacheKey, cacheEntry]{
		MaximumWeight:    uint64(maxBytes),
		Weigher:          func(_ cacheKey, e cacheEntry) uint32 { return e.bytes },
		ExpiryCalculator: otter.ExpiryWriting[cacheKey, cacheEntry](ttl),
	})
	return &Cache{c: c}
}

// Close stops the cache's background expiry.
func (c *Cache) Close() {
	if c != nil {
		c.c.StopAllGoroutines()
	}
}

// Invalidate applies a change of the organization as Options.Changed
// reports it: its integration state is dropped, and its rollup when it is
// older than version (version > 0), or whatever its version (version 0,
// as Observe does). Apply is the way to apply what Changed reported.
func (c *Cache) Invalidate(org bson.ObjectID, version int64) {
	if c == nil {
		return
	}
	c.c.Invalidate(cacheKey{org, kindState})
	c.c.ComputeIfPresent(cacheKey{org, kindRollup}, func(old cacheEntry) (cacheEntry, otter.ComputeOp) {
		if version > 0 && old.rollup != nil && old.rollup.Version >= version {
			return old, otter.CancelOp
		}
		return old, otter.InvalidateOp
	})
	c.changed(org)
}

// Apply applies a change reported by Options.Changed, from this process
// or another: version > 0 is a rebuilt rollup (Invalidate), version 0 a
// change of the integrations' state, which drops that state only.
func (c *Cache) Apply(org bson.ObjectID, version int64) {
	if version > 0 {
		c.Invalidate(org, version)
		return
	}
	c.invalidateState(org)
}

// invalidateState drops the organization's integration state only.
func (c *Cache) invalidateState(org bson.ObjectID) {
	if c != nil {
		c.c.Invalidate(cacheKey{org, kindState})
		c.changed(org)
	}
}

// Bytes is the estimated size of what the cache holds.
func (c *Cache) Bytes() uint64 {
	if c == nil {
		return 0
	}
	return c.c.WeightedSize()
}

// rollup returns the organization's rollup from the cache, or loads it.
func (c *Cache) rollup(ctx context.Context, org bson.ObjectID, load func(context.Context, bson.ObjectID) (*rollupDoc, error)) (*rollupDoc, error) {
	e, err := c.c.Get(ctx, cacheKey{org, kindRollup}, otter.LoaderFunc[cacheKey, cacheEntry](func(ctx context.Context, _ cacheKey) (cacheEntry, error) {
		d, err := load(ctx, org)
		if err != nil {
			return cacheEntry{}, err
		}
		return cacheEntry{rollup: d, bytes: rollupBytes(d)}, nil
	}))
	return e.rollup, err
}

// state returns the organization's integration state from the cache, or
// loads it.
func (c *Cache) state(ctx context.Context, org bson.ObjectID, load func(context.Context, bson.ObjectID) (*stateView, error)) (*stateView, error) {
	e, err := c.c.Get(ctx, cacheKey{org, kindState}, otter.LoaderFunc[cacheKey, cacheEntry](func(ctx context.Context, _ cacheKey) (cacheEntry, error) {
		v, err := load(ctx, org)
		if err != nil {
			return cacheEntry{}, err
		}
		return cacheEntry{state: v, bytes: stateBytes(v)}, nil
	}))
	return e.state, err
}

// rollupBytes estimates the memory a rollup takes.
func rollupBytes(d *rollupDoc) uint32 {
	n := 512 + 96*len(d.Daily) + 96*len(d.Campaigns) + 48*len(d.FlowNames) + 48*len(d.Stages) +
		160*len(d.LatestCampaigns) + 128*len(d.FirstFlows)
	for _, fd := range d.FlowDays {
		n += 48 + 48*len(fd.Flows)
	}
	for _, c := range d.Campaigns {
		n += len(c.ID) + len(c.Name)
	}
	for _, f := range d.FlowNames {
		n += len(f.ID) + len(f.Name)
	}
	return uint32(min(n, 1<<31))
}

// stateBytes estimates the memory an integration state takes.
func stateBytes(v *stateView) uint32 {
	n := 256 + 512*len(v.integrations) + 256*len(v.runs)
	for _, r := range v.runs {
		n += len(r.Error)
	}
	return uint32(min(n, 1<<31))
}
