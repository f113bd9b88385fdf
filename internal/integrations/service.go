package integrations

import (
	"context"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/text"
)

// Limits and defaults.
const (
	// MaxAPIKeyBytes is the longest API key accepted; real keys are well
	// under 100 bytes, so anything longer is a paste gone wrong.
	MaxAPIKeyBytes = 4096
	// KeptRunsPerPlatform is how many runs of each integration are kept;
	// older finished ones are deleted when a run finishes. It is also the
	// largest page of an integration's runs.
	KeptRunsPerPlatform = 50
	// DefaultRunsPerPage is the page size of an integration's runs when the
	// caller does not choose one.
	DefaultRunsPerPage = 3
	// pointerGrace is how long a run pointer may point at a run that does
	// not exist yet: the pointer is set before the run is inserted, and a
	// pointer older than this lost its run to a crash.
	pointerGrace = time.Minute
)

// Options are what a Service needs besides its store; zero values take the
// defaults in brackets.
type Options struct {
	// Sealer seals credentials when they are connected and opens them for
	// the Worker. Required.
	Sealer *Sealer
	// Clients check a key with its platform when it is connected (the
	// Worker has its own, tuned for syncing) [the real clients].
	Clients Clients
	// Notify receives every status change and sync progress [no-op].
	Notify Notify
	// Changed receives the organization and its new data version each
	// time its read models were rebuilt, after they were stored and before
	// the change that caused it (a sync's end, a purge) is notified; and
	// the organization with version 0 each time its integrations' state
	// changed, after it was stored, with each event sent to Notify. The
	// composition root passes both on to every process's Cache, in order
	// [no-op].
	Changed func(ctx context.Context, org bson.ObjectID, version int64)
	// Cache keeps organizations' read models and integration states in
	// this process; Changed must reach the Cache of every other process
	// [nil: none kept].
	Cache *Cache
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives failures that are not the caller's [discarded]. It
	// never receives a credential.
	Logger *slog.Logger
}

// Service connects platforms, queues syncs and serves the synced data.
// Every method checks the caller's role itself and reads only the caller's
// organization.
type Service struct {
	store *Store
	opts  Options
}

// New returns a Service over store.
func New(store *Store, opts Options) *Service {
	if opts.Clients.TripleWhale == nil || opts.Clients.HubSpot == nil || opts.Clients.Klaviyo == nil {
		opts.Clients = NewClients(BaseURLs{}, platform.Options{})
	}
	if opts.Notify == nil {
		opts.Notify = func(context.Context, Event) {}
	}
	if opts.Changed == nil {
		opts.Changed = func(context.Context, bson.ObjectID, int64) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, opts: opts}
}

// now returns the current time in UTC at the precision BSON stores.
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// require checks that p may act with at least role min in an
// organization; requireWrite also refuses a READ API key.
var (
	require      = authz.RequireIn
	requireWrite = authz.RequireWriteIn
)

// checkPlatform returns BAD_USER_INPUT on field platform for an unknown platform.
func checkPlatform(p Platform) error {
	if !p.Valid() {
		return apperr.Invalid("platform", "Unknown platform %q; choose TRIPLE_WHALE, HUBSPOT or KLAVIYO.", text.Shorten(string(p), 40))
	}
	return nil
}

// sealContext binds a sealed credential to its integration.
func sealContext(org bson.ObjectID, p Platform) []byte {
	return []byte("integration:" + integrationKey(org, p))
}
