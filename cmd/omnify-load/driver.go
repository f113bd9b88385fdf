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

// drivers makes a driver from the options, by -driver name.
var drivers = map[string]func(o options) driver{
	"integrations": func(o options) driver {
		return &integrationsDriver{platform: o.platform, key: o.platformKey}
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
