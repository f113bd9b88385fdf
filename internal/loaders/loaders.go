// Package loaders holds the per-operation dataloaders: a resolver that needs
// an object by id asks its loader, and the loader batches every id asked for
// in one tick into a single `$in` query, so a list of N items costs one
// query instead of N.
//
// Loaders are made fresh for every GraphQL operation (not per connection),
// so a long-lived WebSocket never serves stale cached objects.
package loaders

import (
	"context"
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
}

// wait is how long a loader collects keys before it queries. Resolvers of
// one list run in the same tick, so a short wait is enough to batch them.
const wait = 2 * time.Millisecond

// New returns fresh loaders over src.
func New(src Sources) *Loaders {
	return &Loaders{
		User:           newLoader(src.Users, func(u *auth.User) bson.ObjectID { return u.ID }, "user"),
		Organization:   newLoader(src.Organizations, func(o *auth.Organization) bson.ObjectID { return o.ID }, "organization"),
		LegalDocument:  newLoader(src.LegalDocuments, func(d *legal.Document) bson.ObjectID { return d.ID }, "legal document"),
		SyncRuns:       newGroupLoader(src.SyncRuns),
		AgentExecution: newLoader(src.AgentExecutions, func(e *agents.Execution) bson.ObjectID { return e.ID }, "agent execution"),
	}
}

func newLoader[V any](fetch func(context.Context, []bson.ObjectID) ([]V, error), id func(*V) bson.ObjectID, what string) *dataloader.Loader[bson.ObjectID, *V] {
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
func newGroupLoader[K comparable, V any](fetch func(context.Context, []K) (map[K][]V, error)) *dataloader.Loader[K, []V] {
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

// For returns the operation's loaders. It panics when none were installed:
// that is a wiring bug, which the recover func reports as an internal error.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(key{}).(*Loaders)
	if !ok {
		panic("loaders: no loaders in context; the GraphQL handler must install them per operation")
	}
	return l
}
