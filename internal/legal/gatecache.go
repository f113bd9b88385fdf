package legal

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

// CurrentTTL is how long a process answers from the list of current versions
// it read before it reads the list again. A version published by another
// process (`omnify legal publish`, another replica's start-up) is therefore
// in force everywhere at most CurrentTTL after it was written; Publish in
// the app package waits that long before it returns, so that once the
// command has returned every server gates on the new version.
//
// The list is read at most once per CurrentTTL per process, however many
// requests ask: at 250 ms that is four small reads a second, against one
// per gated request without it.
const CurrentTTL = 250 * time.Millisecond

// currentCache keeps the metadata of the current versions (without bodies)
// for CurrentTTL. One caller reads the database while the others wait for
// its answer, each until its own context ends. An answer is served only
// until CurrentTTL after its read began, so an answer read before a publish
// is never served once CurrentTTL has passed since the publish.
type currentCache struct {
	ttl  time.Duration
	load func(context.Context) ([]Document, error)

	mu          sync.Mutex
	current     []Document
	fingerprint string
	until       time.Time
	// loading is closed when the read in progress ends; nil when none is.
	loading chan struct{}
	// gen counts invalidations, so that a read that began before one is
	// not kept after it.
	gen uint64
}

func newCurrentCache(ttl time.Duration, load func(context.Context) ([]Document, error)) *currentCache {
	return &currentCache{ttl: ttl, load: load}
}

// get returns the current versions, ordered by kind, and their fingerprint
// (which changes whenever any of them does). Callers must not modify the
// returned slice.
func (c *currentCache) get(ctx context.Context) ([]Document, string, error) {
	for {
		c.mu.Lock()
		if c.until.After(time.Now()) {
			cur, fp := c.current, c.fingerprint
			c.mu.Unlock()
			return cur, fp, nil
		}
		if wait := c.loading; wait != nil {
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, "", ctx.Err()
			}
		}
		done := make(chan struct{})
		c.loading, c.until = done, time.Time{}
		gen := c.gen
		c.mu.Unlock()

		began := time.Now()
		meta, err := c.load(ctx)
		var cur []Document
		var fp string
		if err == nil {
			cur = currentVersions(meta)
			fp = fingerprint(cur)
		}
		c.mu.Lock()
		c.loading = nil
		close(done)
		if err == nil && gen == c.gen {
			c.current, c.fingerprint, c.until = cur, fp, began.Add(c.ttl)
		}
		c.mu.Unlock()
		return cur, fp, err
	}
}

// invalidate makes the next get read the database: this process published.
func (c *currentCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.until = time.Time{}
	c.mu.Unlock()
}

// fingerprint identifies a list of current versions.
func fingerprint(cur []Document) string {
	var b strings.Builder
	for _, d := range cur {
		b.WriteString(d.ID.Hex())
	}
	return b.String()
}

// gateKey is whose legal state a satisfied entry records: a user acting in
// an organization with a role (the role decides whether the DPA is asked).
type gateKey struct {
	user, org bson.ObjectID
	role      authz.Role
}

// satisfiedCache remembers which users, in which organization and role,
// had nothing pending under which current versions (their fingerprint).
//
// Acceptance records are never updated or deleted, so once nothing is
// pending for a key, only a new current version can make something pending
// again, and that changes the fingerprint: an entry can become useless but
// never wrong, and no change needs to drop one. A pending state is not
// kept, so an acceptance is in force at the very next request. The size
// bound evicts entries of users who went away and of replaced versions.
type satisfiedCache struct {
	items *otter.Cache[gateKey, string]
}

// newSatisfiedCache returns a cache of at most entries keys, or nil (every
// gated request reads the acceptances) when entries is not positive.
func newSatisfiedCache(entries int) *satisfiedCache {
	if entries <= 0 {
		return nil
	}
	return &satisfiedCache{items: otter.Must(&otter.Options[gateKey, string]{MaximumSize: entries})}
}

// satisfied reports whether nothing was pending for k under fingerprint fp.
func (c *satisfiedCache) satisfied(k gateKey, fp string) bool {
	if c == nil {
		return false
	}
	got, ok := c.items.GetIfPresent(k)
	return ok && got == fp
}

// remember records that nothing is pending for k under fingerprint fp.
func (c *satisfiedCache) remember(k gateKey, fp string) {
	if c != nil {
		c.items.Set(k, fp)
	}
}
