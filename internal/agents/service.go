package agents

import (
	"context"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/events"
)

// Defaults of Options and WorkerOptions.
const (
	// DefaultLeaseTTL is how long a worker's claim on an execution lasts
	// without a renewal.
	DefaultLeaseTTL = time.Minute
	// DefaultSubscriptionBuffer is how many events a subscription holds for
	// a client that reads slower than they come before it is ended with
	// SLOW_CONSUMER.
	DefaultSubscriptionBuffer = 32
	// DefaultResyncInterval is how often a subscription to an execution
	// reads the log again, in case the bus lost a message.
	DefaultResyncInterval = 5 * time.Second
	// DefaultEventsPerPage is the page size of an execution's events when
	// the caller does not choose one; MaxEventsPerPage the largest.
	DefaultEventsPerPage = 100
	MaxEventsPerPage     = 500
)

// Options are what a Service needs besides its store; zero values take the
// defaults in brackets.
type Options struct {
	// Bus carries live events to subscribers, on every replica [an
	// in-process bus].
	Bus events.Bus
	// Catalog lists the sources of each organization's agents [the
	// built-in catalog].
	Catalog []CatalogSource
	// Analyzers run the agents, by key; an agent without one fails its
	// executions [none].
	Analyzers map[string]Analyzer
	// Source is the integrations data analyzers read. Required for
	// executions to get past their first step.
	Source Source
	// LeaseTTL is how long a worker's claim lasts without a renewal
	// [DefaultLeaseTTL].
	LeaseTTL time.Duration
	// SubscriptionBuffer bounds each subscription's queue
	// [DefaultSubscriptionBuffer].
	SubscriptionBuffer int
	// ResyncInterval is how often an execution's subscription reads the
	// log again in case the bus lost a message [DefaultResyncInterval].
	ResyncInterval time.Duration
	// External is the agent service that runs EXTERNAL agents [none: their
	// executions fail saying so].
	External AgentService
	// CallbackURL is where the agent service reports progress
	// (OMNIFY_PUBLIC_URL and the hook's path).
	CallbackURL string
	// ExternalTimeout is how long an external run may take
	// [DefaultExternalTimeout].
	ExternalTimeout time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives failures that are not the caller's [discarded].
	Logger *slog.Logger
}

// Service lists and runs agents. Every method checks the caller's role
// itself and reads only the caller's organization.
type Service struct {
	store    *Store
	opts     Options
	activity activityFeeds
}

// New returns a Service over store.
func New(store *Store, opts Options) *Service {
	if opts.Bus == nil {
		opts.Bus = events.NewLocal()
	}
	if opts.Catalog == nil {
		opts.Catalog = []CatalogSource{BuiltIn{}}
	}
	if opts.ExternalTimeout <= 0 {
		opts.ExternalTimeout = DefaultExternalTimeout
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.SubscriptionBuffer <= 0 {
		opts.SubscriptionBuffer = DefaultSubscriptionBuffer
	}
	if opts.ResyncInterval <= 0 {
		opts.ResyncInterval = DefaultResyncInterval
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

// definitions returns the organization's agents from every catalog
// source.
func (s *Service) definitions(ctx context.Context, org bson.ObjectID) ([]Definition, error) {
	var out []Definition
	for _, src := range s.opts.Catalog {
		defs, err := src.Definitions(ctx, org)
		if err != nil {
			return nil, err
		}
		out = append(out, defs...)
	}
	return out, nil
}

// definition returns the catalog's definition of the organization's agent
// key, or nil when no source lists it.
func (s *Service) definition(ctx context.Context, org bson.ObjectID, key string) (*Definition, error) {
	defs, err := s.definitions(ctx, org)
	if err != nil {
		return nil, err
	}
	for i := range defs {
		if defs[i].Key == key {
			return &defs[i], nil
		}
	}
	return nil, nil
}

// EnsureCatalog stores the catalog's agents the organization does not have
// yet; those it has are left as they are (enabled or not). It is
// idempotent and safe to run from several processes at once: each agent's
// _id is derived from the organization and its key.
func (s *Service) EnsureCatalog(ctx context.Context, org bson.ObjectID) error {
	docs, err := s.store.agentsOf(ctx, org)
	if err != nil {
		return err
	}
	_, err = s.ensure(ctx, org, docs)
	return err
}

// ensure inserts the catalog's agents missing from docs, the
// organization's stored agents, and returns docs with them, by key.
func (s *Service) ensure(ctx context.Context, org bson.ObjectID, docs []agentDoc) ([]agentDoc, error) {
	defs, err := s.definitions(ctx, org)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(docs))
	for _, d := range docs {
		have[d.Key] = true
	}
	added := false
	for _, def := range defs {
		if have[def.Key] {
			continue
		}
		doc := agentDoc{ID: agentID(org, def.Key), OrganizationID: org, Key: def.Key, Name: def.Name, Description: def.Description,
			Kind: def.Kind, Enabled: true, ParametersSchema: def.ParametersSchema, CreatedAt: s.now()}
		if err := s.store.insertAgent(ctx, doc); err != nil {
			return nil, err
		}
		added = true
	}
	if !added {
		return docs, nil
	}
	// Read them back: another process may have inserted some first.
	return s.store.agentsOf(ctx, org)
}

// EnsureAllCatalogs runs EnsureCatalog for every organization that ids
// pages through (ids returns up to limit ids after the given one, in
// order), for the start-up pass; it returns how many organizations it
// went through.
func (s *Service) EnsureAllCatalogs(ctx context.Context, ids func(ctx context.Context, after bson.ObjectID, limit int) ([]bson.ObjectID, error)) (int, error) {
	const batch = 100
	var after bson.ObjectID
	n := 0
	for {
		page, err := ids(ctx, after, batch)
		if err != nil {
			return n, err
		}
		for _, org := range page {
			if err := s.EnsureCatalog(ctx, org); err != nil {
				return n, err
			}
			n++
		}
		if len(page) < batch {
			return n, nil
		}
		after = page[len(page)-1]
	}
}
