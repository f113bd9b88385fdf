// Package graph holds the GraphQL resolvers. They are thin: each reads the
// caller from the context, calls one service method and returns its result.
// The executable schema itself is generated into graph/generated.
package graph

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/events"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/legal"
)

// Resolver is the root resolver and the list of everything resolvers depend on.
// It is built once by the composition root and shared by all requests.
type Resolver struct {
	// Version is the version of the running binary.
	Version string
	// StartedAt is when this process started.
	StartedAt time.Time
	// Auth is the auth module.
	Auth *auth.Service
	// Legal is the legal module.
	Legal *legal.Service
	// IntegrationService is the integrations module (named apart from the
	// `integrations` query resolver method).
	IntegrationService *integrations.Service
	// AgentService is the agents module (named apart from the `agents`
	// query resolver method).
	AgentService *agents.Service
	// Bus carries live events to subscriptions.
	Bus events.Bus
	// Demo tells the demo organization apart; nil: there is none.
	Demo DemoOrganizations

	// feeds shares the bus's subscriptions among this process's GraphQL
	// subscriptions (feeds.go).
	feeds liveFeeds
}

// DemoOrganizations tells whether an organization is the demo organization
// (internal/demo).
type DemoOrganizations interface {
	IsDemo(ctx context.Context, org bson.ObjectID) (bool, error)
}
