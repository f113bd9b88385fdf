// Package loaders holds the per-operation dataloaders: a resolver that needs
// an object by id asks its loader, and the loader batches every id asked for
// in one tick into a single `$in` query, so a list of N items costs one
// query instead of N.
//
// Loaders are made fresh for every response of a GraphQL operation (every
// event of a subscription), and only when a resolver first asks for them:
// a long-lived subscription never serves an event from what an earlier one
// cached, and an idle one holds none.
package loaders

import (
	"context"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/legal"
)

// Sources are the batch lookups the loaders call: each returns whatever
// exists of the ids asked for, in any order, in one query.
type Sources struct {
	// Users finds users by id.
	Users func(ctx context.Context, ids []bson.ObjectID) ([]auth.User, error)
	// Organizations finds organizations by id.
	Organizations func(ctx context.Context, ids []bson.ObjectID) ([]auth.Organization, error)
	// KeptUser and KeptOrganization return the copy of a user or an
	// organization the process keeps, if any (optional): UserByID and
	// OrganizationByID answer from it without a query or a wait for keys.
	KeptUser         func(bson.ObjectID) (*auth.User, bool)
	KeptOrganization func(bson.ObjectID) (*auth.Organization, bool)
	// LegalDocuments finds legal document versions by id.
	LegalDocuments func(ctx context.Context, ids []bson.ObjectID) ([]legal.Document, error)
	// SyncRuns finds the newest runs of the caller's integrations, per platform.
	SyncRuns func(ctx context.Context, ps []integrations.Platform) (map[integrations.Platform][]integrations.SyncRun, error)
	// AgentExecutions finds the caller's organization's agent executions by id.
	AgentExecutions func(ctx context.Context, ids []bson.ObjectID) ([]agents.Execution, error)
}

// Loaders are one operation's dataloaders.
type Loaders struct {
	// User loads users by id.
	User *dataloader.Loader[bson.ObjectID, *auth.User]
	// Organization loads organizations by id.
	Organization *dataloader.Loader[bson.ObjectID, *auth.Organization]
	// LegalDocument loads legal document versions by id.
	LegalDocument *dataloader.Loader[bson.ObjectID, *legal.Document]
	// SyncRuns loads the newest sync runs of the caller's integrations by platform.
	SyncRuns *dataloader.Loader[integrations.Platform, []integrations.SyncRun]
	// AgentExecution loads agent executions by id (an agent's last one).
	AgentExecution *dataloader.Loader[bson.ObjectID, *agents.Execution]

	src Sources
}

// DefaultWait is how long a loader collects keys before it queries.
// Resolvers of one list usually start within it; lists whose cost must not
// depend on that preload instead (see PreloadUsers).
const DefaultWait = 2 * time.Millisecond

// New returns fresh loaders over src that collect keys for wait (0 means
// DefaultWait) before they query.
func New(src Sources, wait time.Duration) *Loaders {
	if wait <= 0 {
		wait = DefaultWait
	}
	return &Loaders{
		User:           newLoader(src.Users, userID, "user", wait),
		Organization:   newLoader(src.Organizations, func(o *auth.Organization) bson.ObjectID { return o.ID }, "organization", wait),
		LegalDocument:  newLoader(src.LegalDocuments, documentID, "legal document", wait),
		SyncRuns:       newGroupLoader(src.SyncRuns, wait),
		AgentExecution: newLoader(src.AgentExecutions, executionID, "agent execution", wait),
		src:            src,
	}
}

// UserByID returns the user with id: the process's kept copy when it has
// one, otherwise through the User loader.
func (l *Loaders) UserByID(ctx context.Context, id bson.ObjectID) (*auth.User, error) {
	return byID(ctx, l.src.KeptUser, l.User, id)
}

// OrganizationByID returns the organization with id, like UserByID.
func (l *Loaders) OrganizationByID(ctx context.Context, id bson.ObjectID) (*auth.Organization, error) {
	return byID(ctx, l.src.KeptOrganization, l.Organization, id)
}

// byID answers from kept when it has id, so a value the process keeps costs
// neither a query nor the loader's wait for more keys, and otherwise loads.
func byID[V any](ctx context.Context, kept func(bson.ObjectID) (*V, bool), loader *dataloader.Loader[bson.ObjectID, *V], id bson.ObjectID) (*V, error) {
	if kept != nil {
		if v, ok := kept(id); ok {
			return v, nil
		}
	}
	return loader.Load(ctx, id)()
}

func userID(u *auth.User) bson.ObjectID                 { return u.ID }
func organizationID(o *auth.Organization) bson.ObjectID { return o.ID }
func documentID(d *legal.Document) bson.ObjectID        { return d.ID }
func executionID(e *agents.Execution) bson.ObjectID     { return e.ID }

// The loaders batch what their callers ask for within one short wait. The
// executor starts the resolvers of a list's items concurrently, and on a
// loaded machine the last of them can start after that wait, opening a
// second batch, so the cost of a list would depend on timing. A list
// resolver that knows what its items will ask for preloads it instead: one
// query now, its results primed into the loader, and every item's Load is
// then answered from the loader's cache.

// PreloadUsers fetches the users in one query and primes the User loader.
func (l *Loaders) PreloadUsers(ctx context.Context, ids []bson.ObjectID) error {
	_, err := preload(ctx, l.User, l.src.Users, userID, ids)
	return err
}

// PreloadOrganizations fetches the organizations in one query and primes the
// Organization loader.
func (l *Loaders) PreloadOrganizations(ctx context.Context, ids []bson.ObjectID) error {
	_, err := preload(ctx, l.Organization, l.src.Organizations, organizationID, ids)
	return err
}

// PreloadLegalDocuments fetches the document versions in one query and
// primes the LegalDocument loader.
func (l *Loaders) PreloadLegalDocuments(ctx context.Context, ids []bson.ObjectID) error {
	_, err := preload(ctx, l.LegalDocument, l.src.LegalDocuments, documentID, ids)
	return err
}

// PreloadAgentExecutions fetches the executions in one query and primes the
// AgentExecution loader.
// It returns what it found, for the caller to preload what those ask for.
func (l *Loaders) PreloadAgentExecutions(ctx context.Context, ids []bson.ObjectID) ([]agents.Execution, error) {
	return preload(ctx, l.AgentExecution, l.src.AgentExecutions, executionID, ids)
}

// PrimeSyncRuns primes the SyncRuns loader with runs by platform, read in
// one snapshot with the integrations they belong to, so that an
// integration's syncs are never newer or older than its status.
func (l *Loaders) PrimeSyncRuns(ctx context.Context, runs map[integrations.Platform][]integrations.SyncRun) {
	for p, list := range runs {
		l.SyncRuns.Prime(ctx, p, list)
	}
}

// preload fetches ids in one query and primes loader with what was found;
// an id that was not found is left to the loader, which reports it.
func preload[V any](ctx context.Context, loader *dataloader.Loader[bson.ObjectID, *V], fetch func(context.Context, []bson.ObjectID) ([]V, error), id func(*V) bson.ObjectID, ids []bson.ObjectID) ([]V, error) {
	ids = distinct(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := fetch(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range found {
		loader.Prime(ctx, id(&found[i]), &found[i])
	}
	return found, nil
}

// distinct returns the non-zero ids once each, in their first order.
func distinct(ids []bson.ObjectID) []bson.ObjectID {
	seen := make(map[bson.ObjectID]bool, len(ids))
	out := make([]bson.ObjectID, 0, len(ids))
	for _, id := range ids {
		if !id.IsZero() && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func newLoader[V any](fetch func(context.Context, []bson.ObjectID) ([]V, error), id func(*V) bson.ObjectID, what string, wait time.Duration) *dataloader.Loader[bson.ObjectID, *V] {
	batch := func(ctx context.Context, ids []bson.ObjectID) []*dataloader.Result[*V] {
		out := make([]*dataloader.Result[*V], len(ids))
		found, err := fetch(ctx, ids)
		vals := ordered(ids, found, id)
		for i := range ids {
			switch {
			case err != nil:
				out[i] = &dataloader.Result[*V]{Error: err}
			case vals[i] == nil:
				out[i] = &dataloader.Result[*V]{Error: apperr.New(apperr.NotFound, "No such %s.", what)}
			default:
				out[i] = &dataloader.Result[*V]{Data: vals[i]}
			}
		}
		return out
	}
	return dataloader.NewBatchedLoader(batch, dataloader.WithWait[bson.ObjectID, *V](wait), dataloader.WithBatchCapacity[bson.ObjectID, *V](100))
}

// newGroupLoader batches lookups whose answer per key is a list (possibly
// empty), such as the runs of each platform.
func newGroupLoader[K comparable, V any](fetch func(context.Context, []K) (map[K][]V, error), wait time.Duration) *dataloader.Loader[K, []V] {
	batch := func(ctx context.Context, keys []K) []*dataloader.Result[[]V] {
		out := make([]*dataloader.Result[[]V], len(keys))
		groups, err := fetch(ctx, keys)
		for i, k := range keys {
			out[i] = &dataloader.Result[[]V]{Data: groups[k], Error: err}
		}
		return out
	}
	return dataloader.NewBatchedLoader(batch, dataloader.WithWait[K, []V](wait))
}

// ordered arranges vals (in any order, some perhaps missing) in the order
// of ids, nil where an id has no value, as dataloader results must be.
func ordered[V any](ids []bson.ObjectID, vals []V, id func(*V) bson.ObjectID) []*V {
	byID := make(map[bson.ObjectID]*V, len(vals))
	for i := range vals {
		byID[id(&vals[i])] = &vals[i]
	}
	out := make([]*V, len(ids))
	for i, k := range ids {
		out[i] = byID[k]
	}
	return out
}

type key struct{}

// With returns a context carrying l.
func With(ctx context.Context, l *Loaders) context.Context { return context.WithValue(ctx, key{}, l) }

// lazy makes its loaders when first asked for them.
type lazy struct {
	once sync.Once
	src  Sources
	wait time.Duration
	l    *Loaders
}

// WithNew returns a context carrying fresh loaders over src, made when
// first asked for: a response that loads nothing (the idle wait of a
// subscription, most queries of a single object) does not pay for them.
func WithNew(ctx context.Context, src Sources, wait time.Duration) context.Context {
	return context.WithValue(ctx, key{}, &lazy{src: src, wait: wait})
}

// For returns the operation's loaders. It panics when none were installed:
// that is a wiring bug, which the recover func reports as an internal error.
func For(ctx context.Context) *Loaders {
	switch l := ctx.Value(key{}).(type) {
	case *Loaders:
		return l
	case *lazy:
		l.once.Do(func() { l.l = New(l.src, l.wait) })
		return l.l
	}
	panic("loaders: no loaders in context; the GraphQL handler must install them per operation")
}
