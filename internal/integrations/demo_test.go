package integrations

import (
	"testing"
	"time"

	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations/demodata"
)

// TestSeedDemo seeds the demo data, syncs each demo connection, and
// reconnects one with a real key: the data reads like a sync's, demo syncs
// call no platform and write the same records, and a real connection
// stops being a demo.
func TestSeedDemo(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	owner := e.actor(authz.RoleOwner)
	ins, err := e.svc.SeedDemo(ctx, e.org, time.Hour)
	if err != nil || len(ins) != 3 {
		t.Fatalf("SeedDemo: %v, %+v", err, ins)
	}
	for _, in := range e.allIntegrations(t, owner) {
		if !in.Demo || in.Status != StatusConnected || in.LastSyncedAt == nil || in.AccountLabel != DemoAccountLabel {
			t.Fatalf("%s: %+v", in.Platform, in)
		}
	}
	d := demodata.Generate(demodata.Seed, e.clock.Now())
	sum, err := e.svc.MarketingSummary(ctx, owner, d.From, d.To)
	if err != nil {
		t.Fatal(err)
	}
	var revenue float64
	for _, a := range d.AdDays {
		revenue += a.Revenue
	}
	if diff := sum.Totals.Revenue - revenue; diff > 0.01 || diff < -0.01 || sum.Totals.EmailRevenue <= 0 ||
		len(sum.EmailByCampaign) == 0 || len(sum.EmailByFlow) == 0 {
		t.Fatalf("summary %+v, want revenue %.2f and email revenue", sum.Totals, revenue)
	}
	records := e.count(t, dailyCollection, nil) + e.count(t, dealsCollection, nil) + e.count(t, campaignsCollection, nil)

	before := e.fake.Total()
	for _, p := range Platforms() {
		run := e.sync(t, owner, p)
		if run.Status != SyncSucceeded || run.RecordsWritten == 0 {
			t.Fatalf("demo sync of %s: %+v", p, run)
		}
	}
	if n := e.fake.Total() - before; n != 0 {
		t.Fatalf("demo syncs sent %d requests to the platforms", n)
	}
	if again := e.count(t, dailyCollection, nil) + e.count(t, dealsCollection, nil) + e.count(t, campaignsCollection, nil); again != records {
		t.Fatalf("%d records after the demo syncs, %d before", again, records)
	}

	// A real key replaces the demo connection; seeding again leaves it.
	if in := e.connect(t, owner, HubSpot); in.Demo {
		t.Fatalf("connected with a key: %+v", in)
	}
	if ins, err = e.svc.SeedDemo(ctx, e.org, time.Hour); err != nil || len(ins) != 2 {
		t.Fatalf("SeedDemo again: %v, %+v", err, ins)
	}
	if in := e.integration(t, owner, HubSpot); in.Demo {
		t.Fatalf("reseeded a real connection: %+v", in)
	}
	if in, err := e.svc.Disconnect(ctx, owner, Klaviyo, true); err != nil || in.Demo || in.Status != StatusDisconnected {
		t.Fatalf("disconnect: %+v, %v", in, err)
	}
}

// allIntegrations returns p's integrations or fails the test.
func (e *testEnv) allIntegrations(t *testing.T, p *authz.Principal) []Integration {
	t.Helper()
	ins, err := e.svc.Integrations(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	return ins
}
