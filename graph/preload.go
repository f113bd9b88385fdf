package graph

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/legal"
	"github.com/omnify/bff/internal/loaders"
)

// The preloads below let a list cost a fixed number of queries whatever
// the timing of its items' resolvers (see loaders.Loaders.PreloadUsers).
// Each runs only when the query selects what it loads. A failed preload is
// not an error of the list: the items' own loads then query and report it.

// connectionItem is the path prefixes under which a connection's items are
// selected: nodes, and edges' node.
var connectionItem = [][]string{{"nodes"}, {"edges", "node"}}

// underItems returns the paths to field inside a connection's items.
func underItems(field ...string) [][]string {
	out := make([][]string, len(connectionItem))
	for i, prefix := range connectionItem {
		out[i] = append(append([]string{}, prefix...), field...)
	}
	return out
}

// preloadAgents loads the last executions of a list of agents, and their
// requesters, in one query each.
func preloadAgents(ctx context.Context, list []*agents.Agent) {
	if !selects(ctx, []string{"status"}, []string{"lastExecution"}) {
		return
	}
	ids := make([]bson.ObjectID, 0, len(list))
	for _, a := range list {
		if a.LastExecution == nil {
			ids = append(ids, a.LastExecutionID)
		}
	}
	found, err := loaders.For(ctx).PreloadAgentExecutions(ctx, ids)
	if err != nil || !selects(ctx, []string{"lastExecution", "requestedBy"}) {
		return
	}
	users := make([]bson.ObjectID, 0, len(found))
	for _, e := range found {
		users = append(users, e.RequestedBy)
	}
	for _, a := range list {
		if a.LastExecution != nil {
			users = append(users, a.LastExecution.RequestedBy)
		}
	}
	_ = loaders.For(ctx).PreloadUsers(ctx, users)
}

// preloadUsers loads, in one query, the users that field of a page's
// items names (userOf picks the id).
func preloadUsers[T any](ctx context.Context, list []T, field string, userOf func(T) bson.ObjectID) {
	if !selects(ctx, underItems(field)...) {
		return
	}
	ids := make([]bson.ObjectID, len(list))
	for i, v := range list {
		ids[i] = userOf(v)
	}
	_ = loaders.For(ctx).PreloadUsers(ctx, ids)
}

func requesterOf(e agents.Execution) bson.ObjectID { return e.RequestedBy }
func memberUserOf(m auth.Membership) bson.ObjectID { return m.UserID }
func keyCreatorOf(k auth.APIKey) bson.ObjectID     { return k.CreatedBy }

// preloadAcceptances loads the documents and people of a page of legal
// acceptances.
func preloadAcceptances(ctx context.Context, list []legal.Acceptance) {
	if selects(ctx, underItems("document")...) {
		ids := make([]bson.ObjectID, len(list))
		for i, a := range list {
			ids[i] = a.DocumentID
		}
		_ = loaders.For(ctx).PreloadLegalDocuments(ctx, ids)
	}
	preloadUsers(ctx, list, "user", func(a legal.Acceptance) bson.ObjectID { return a.UserID })
	if selects(ctx, underItems("organization")...) {
		ids := make([]bson.ObjectID, len(list))
		for i, a := range list {
			ids[i] = a.OrganizationID
		}
		_ = loaders.For(ctx).PreloadOrganizations(ctx, ids)
	}
}
