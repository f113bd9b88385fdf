package main

import (
	"context"
	"fmt"
	"slices"
)

// A driver makes the server publish events that the subscribers hear. A
// new kind of live event (an agent's execution) gets a driver of its own
// in the drivers table.
type driver interface {
	// document is the subscription every subscriber holds, unless -document
	// names another.
	document() string
	// prepare runs once, as the owner, before any subscriber connects; it
	// returns the variables of the subscription (an id to follow, say).
	prepare(ctx context.Context, owner *gqlClient) (map[string]any, error)
	// fire causes event i (from 0) and returns once the mutation that
	// causes it has answered. Each fire publishes exactly one event to
	// every subscriber.
	fire(ctx context.Context, owner *gqlClient, i int) error
}

// multiEvent is a driver whose every fire publishes several events to each
// subscriber.
type multiEvent interface {
	eventsPerFire() int
}

// eventsPerFire is how many events one fire of drv publishes to each
// subscriber.
func eventsPerFire(drv driver) int {
	if m, ok := drv.(multiEvent); ok {
		return m.eventsPerFire()
	}
	return 1
}

// workerRole is implemented by a driver whose events come from background
// work, which a server started with -serve must then run (role all).
type workerRole interface {
	needsWorker()
}

// drivers makes a driver from the options, by -driver name.
var drivers = map[string]func(o options) driver{
	"integrations": func(o options) driver {
		return &integrationsDriver{platform: o.platform, key: o.platformKey}
	},
	"agents": func(o options) driver {
		return &agentsDriver{platform: o.platform, key: o.platformKey}
	},
}

func driverNames() []string {
	var names []string
	for n := range drivers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// integrationsDriver connects and disconnects one integration, in turn:
// each change is one integrationEvents event for the organization. The
// server must run no sync of its own (role api), or syncs add events.
type integrationsDriver struct {
	platform, key string
}

func (d *integrationsDriver) document() string {
	return `subscription { integrationEvents { id platform status at } }`
}

func (d *integrationsDriver) prepare(ctx context.Context, owner *gqlClient) (map[string]any, error) {
	if d.key == "" {
		return nil, fmt.Errorf("the integrations driver needs -platform-key (a key the server's %s accepts), or -serve", d.platform)
	}
	return nil, nil
}

func (d *integrationsDriver) fire(ctx context.Context, owner *gqlClient, i int) error {
	if i%2 == 0 {
		input := map[string]any{"platform": d.platform, "apiKey": d.key}
		if d.platform == "TRIPLE_WHALE" {
			input["shopDomain"] = "shop-1.myshopify.com"
		}
		return owner.do(ctx, `mutation($i: ConnectIntegrationInput!) { connectIntegration(input: $i) { integration { status } } }`,
			map[string]any{"i": input}, nil)
	}
	return owner.do(ctx, `mutation($i: DisconnectIntegrationInput!) { disconnectIntegration(input: $i) { integration { status } } }`,
		map[string]any{"i": map[string]any{"platform": d.platform}}, nil)
}

// agentsDriver runs the Email Auditor agent, one execution per fire, and
// every subscriber holds agentActivity: each execution is three activity
// events (queued, running, succeeded). The email auditor reads Klaviyo,
// which prepare connects; the server must run agent workers (role all).
type agentsDriver struct {
	platform, key string
	agentID       string
}

func (d *agentsDriver) document() string {
	return `subscription { agentActivity { status at execution { id } } }`
}

func (d *agentsDriver) eventsPerFire() int { return 3 }

func (d *agentsDriver) needsWorker() {}

func (d *agentsDriver) prepare(ctx context.Context, owner *gqlClient) (map[string]any, error) {
	if d.platform != "KLAVIYO" || d.key == "" {
		return nil, fmt.Errorf("the agents driver needs -platform KLAVIYO and -platform-key, or -serve")
	}
	if err := owner.do(ctx, `mutation($i: ConnectIntegrationInput!) { connectIntegration(input: $i) { integration { status } } }`,
		map[string]any{"i": map[string]any{"platform": d.platform, "apiKey": d.key}}, nil); err != nil {
		return nil, err
	}
	var out struct {
		Agents []struct{ ID, Key string }
	}
	if err := owner.do(ctx, `{ agents { id key } }`, nil, &out); err != nil {
		return nil, err
	}
	for _, a := range out.Agents {
		if a.Key == "email-auditor" {
			d.agentID = a.ID
		}
	}
	if d.agentID == "" {
		return nil, fmt.Errorf("the server offers no email-auditor agent")
	}
	return nil, nil
}

func (d *agentsDriver) fire(ctx context.Context, owner *gqlClient, _ int) error {
	return owner.do(ctx, `mutation($id: ID!) { runAgent(input: {agentId: $id}) { execution { id } } }`,
		map[string]any{"id": d.agentID}, nil)
}
