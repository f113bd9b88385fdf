package integrations

import (
	"context"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// summariesClose compares two summaries figure by figure; sums in another
// order may differ in the last bits.
func summariesClose(a, b Summary) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
	if !a.From.Equal(b.From) || !a.To.Equal(b.To) || !totalsClose(a.Totals, b.Totals) || !totalsClose(a.Previous, b.Previous) ||
		len(a.Daily) != len(b.Daily) || len(a.EmailByCampaign) != len(b.EmailByCampaign) || len(a.EmailByFlow) != len(b.EmailByFlow) {
		return false
	}
	for i := range a.Daily {
		x, y := a.Daily[i], b.Daily[i]
		if !x.Date.Equal(y.Date) || !near(x.Revenue, y.Revenue) || !near(x.AdSpend, y.AdSpend) || !near(x.ROAS, y.ROAS) ||
			x.Orders != y.Orders || !near(x.EmailRevenue, y.EmailRevenue) || !near(x.KlaviyoOrderRevenue, y.KlaviyoOrderRevenue) {
			return false
		}
	}
	for _, l := range [][2][]EmailRevenueSource{{a.EmailByCampaign, b.EmailByCampaign}, {a.EmailByFlow, b.EmailByFlow}} {
		for i := range l[0] {
			x, y := l[0][i], l[1][i]
			if x.Key != y.Key || x.Name != y.Name || x.Kind != y.Kind || !near(x.Revenue, y.Revenue) || !near(x.Share, y.Share) ||
				!near(x.Conversions, y.Conversions) {
				return false
			}
		}
	}
	return true
}

func TestBuildRollup(t *testing.T) {
	t.Parallel()
	org := bson.NewObjectID()
	at := func(d int) time.Time { return date(2026, 3, d) }
	amount := func(v float64) *float64 { return &v }
	src := rollupSources{
		daily: []dailyDoc{
			{Platform: Klaviyo, Date: at(2), EmailsReceived: 10, PlacedOrders: 2, PlacedOrderRevenue: 30},
			{Platform: TripleWhale, Date: at(2).Add(5 * time.Hour), Revenue: 100, AdSpend: 20, Orders: 3},
			{Platform: TripleWhale, Date: at(1), Revenue: 50, AdSpend: 10, Orders: 1},
		},
		campaigns: []campaignValueDoc{
			{ExternalID: "C2", Name: "Later", SendDate: ptr(at(3)), Revenue: 7, Conversions: 1},
			{ExternalID: "C0", Name: "Unknown send time", Revenue: 99},
			{ExternalID: "C1", Name: "Earlier", SendDate: ptr(at(1)), Revenue: 5, Conversions: 1},
		},
		flowDays: []flowDayDoc{
			{Date: at(2), Flows: []flowValue{{FlowID: "F1", Revenue: 4, Conversions: 1}}},
			{Date: at(1)},
		},
		flows: []flowDoc{
			{ID: recordKey(org, "F2"), ExternalID: "F2", Name: "Abandoned cart", Status: "live"},
			{ID: recordKey(org, "F1"), ExternalID: "F1", Name: "Welcome", Status: "live"},
		},
		deals: []dealDoc{
			{Stage: "closedwon", Amount: amount(800)}, {Stage: "appointmentscheduled", Amount: amount(100)},
			{Stage: "appointmentscheduled"}, {Stage: "closedlost", Amount: amount(5)},
		},
		latest:        []campaignDoc{{ExternalID: "C2", Name: "Later", SortAt: at(3)}, {ExternalID: "C1", Name: "Earlier", SortAt: at(1)}},
		campaignCount: 2,
	}
	d := buildRollup(org, src, epoch())

	if d.ID != org.Hex() || d.Format != RollupFormat || d.Version != 0 {
		t.Errorf("rollup %s format %d version %d", d.ID, d.Format, d.Version)
	}
	if len(d.Daily) != 3 || !d.Daily[0].Date.Equal(at(1)) || d.Daily[1].Platform != TripleWhale || !d.Daily[1].Date.Equal(at(2)) ||
		d.Daily[2].Platform != Klaviyo {
		t.Errorf("daily not by date then platform, at UTC midnights: %+v", d.Daily)
	}
	if len(d.Campaigns) != 2 || d.Campaigns[0].ID != "C1" || d.Campaigns[1].ID != "C2" {
		t.Errorf("campaigns: %+v; want those with a send date, by date", d.Campaigns)
	}
	if len(d.FlowDays) != 2 || !d.FlowDays[0].Date.Equal(at(1)) || d.FlowDays[0].Flows == nil {
		t.Errorf("flow days: %+v; want by date, an empty day kept", d.FlowDays)
	}
	if len(d.FirstFlows) != 2 || d.FirstFlows[0].Name != "Abandoned cart" || d.FlowCount != 2 || len(d.FlowNames) != 2 {
		t.Errorf("flows: %+v (%d)", d.FirstFlows, d.FlowCount)
	}
	wantStages := []rollupStage{{"appointmentscheduled", 2, 100}, {"closedlost", 1, 5}, {"closedwon", 1, 800}}
	if !reflect.DeepEqual(d.Stages, wantStages) || d.OpenAmount != 100 {
		t.Errorf("stages %+v open %v, want %+v open 100", d.Stages, d.OpenAmount, wantStages)
	}
	if len(d.LatestCampaigns) != 2 || d.LatestCampaigns[0].ExternalID != "C2" || d.CampaignCount != 2 {
		t.Errorf("latest campaigns: %+v (%d)", d.LatestCampaigns, d.CampaignCount)
	}

	// The summary from the rollup is the summary from the records.
	got := summarize(org, at(2), at(3), 2, d.dailyRows(at(1), at(3)), d.campaignsSent(at(1), at(3)), d.flowDaysIn(at(1), at(3)), d.flowNames())
	want := summarize(org, at(2), at(3), 2, src.daily, src.campaigns, src.flowDays, map[string]string{"F1": "Welcome", "F2": "Abandoned cart"})
	if !summariesClose(got, want) || got.Totals.Revenue != 100 || got.Previous.Revenue != 50 || got.Totals.EmailRevenue != 11 {
		t.Errorf("from the rollup %+v\nfrom the records %+v", got, want)
	}

	// Empty records make an empty rollup that reads as no data.
	empty := buildRollup(org, rollupSources{}, epoch())
	if s := summarize(org, at(1), at(7), 7, empty.dailyRows(at(1), at(7)), nil, nil, nil); s.Totals != (Totals{}) || len(s.Daily) != 7 {
		t.Errorf("empty rollup summary %+v", s)
	}
}

// The rollups give the figures the records gave, for every range.
func TestRollupsMatchTheRecords(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, TripleWhale, HubSpot, Klaviyo)
	viewer := e.actor(authz.RoleViewer)
	check := func(t *testing.T) {
		t.Helper()
		for _, r := range [][2]time.Time{
			{date(2026, 3, 15), date(2026, 3, 15)}, {date(2026, 3, 9), date(2026, 3, 15)}, {date(2026, 2, 14), date(2026, 3, 15)},
			{date(2025, 12, 16), date(2026, 3, 15)}, {date(2025, 3, 15), date(2026, 3, 15)}, {date(2026, 1, 10), date(2026, 2, 10)},
		} {
			got, err := e.svc.MarketingSummary(t.Context(), viewer, r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			if want := legacySummary(t, e.store, e.org, r[0], r[1]); !summariesClose(got, want) {
				t.Errorf("%v..%v: from the rollup %+v\nfrom the records %+v", r[0], r[1], got.Totals, want.Totals)
			}
			days, err := e.svc.EmailDaily(t.Context(), viewer, r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			if want := legacyEmailDaily(t, e.store, e.org, r[0], r[1]); len(days) != len(want) {
				t.Errorf("%v..%v: %d email days, want %d", r[0], r[1], len(days), len(want))
			} else {
				for i := range days {
					if days[i].Date != want[i].Date || days[i].Received != want[i].Received || math.Abs(days[i].Revenue-want[i].Revenue) > 1e-6 {
						t.Errorf("email day %+v, want %+v", days[i], want[i])
					}
				}
			}
		}
		pipe, err := e.svc.PipelineSummary(t.Context(), viewer)
		if err != nil {
			t.Fatal(err)
		}
		deals, err := e.store.stageAmounts(t.Context(), e.org)
		if err != nil {
			t.Fatal(err)
		}
		if want := pipelineOf(deals); !reflect.DeepEqual(pipe, want) {
			t.Errorf("pipeline %+v, want %+v", pipe, want)
		}
		// Every page of the lists, from the rollup or the records, is the
		// records' page.
		for _, first := range []int{1, 2, 3, 100} {
			r := page.Request{First: first}
			for {
				fromRecords, err := pageRecords(t.Context(), e.store, campaignSet, e.org, recordFilter{}, campaignOrder, r, func(d campaignDoc) string { return d.ExternalID })
				if err != nil {
					t.Fatal(err)
				}
				cursor := (*string)(nil)
				if r.After != nil {
					c := page.EncodeCursor(r.After...)
					cursor = &c
				}
				got, err := e.svc.EmailCampaigns(t.Context(), viewer, &first, cursor)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Cursors, fromRecords.Cursors) || got.TotalCount != fromRecords.TotalCount || got.HasNextPage != fromRecords.HasNextPage {
					t.Fatalf("campaigns page %+v: %+v, want %+v", r, got, fromRecords)
				}
				if !got.HasNextPage {
					break
				}
				after, _ := page.DecodeCursor(got.EndCursor(), cursorParts)
				r.After = after
			}
		}
		flows, err := e.svc.EmailFlows(t.Context(), viewer, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pageRecords(t.Context(), e.store, flowSet, e.org, recordFilter{}, flowOrder, page.Request{First: 20}, func(d flowDoc) string { return d.ExternalID })
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(flows.Cursors, want.Cursors) || flows.TotalCount != want.TotalCount {
			t.Errorf("flows %+v, want %+v", flows, want)
		}
	}
	check(t)

	// After the platforms change and sync again, the rollups follow.
	owner := e.actor(authz.RoleOwner)
	e.acct.Evolve()
	e.clock.Advance(2 * time.Hour)
	before, _ := e.store.rollupVersion(t.Context(), e.org)
	for _, p := range []Platform{HubSpot, Klaviyo, TripleWhale} {
		if r := e.sync(t, owner, p); r.Status != SyncSucceeded {
			t.Fatalf("%s sync = %+v", p, r)
		}
	}
	if after, _ := e.store.rollupVersion(t.Context(), e.org); after != before+3 {
		t.Errorf("data version %d after three syncs from %d", after, before)
	}
	check(t)

	// A purge empties them.
	if _, err := e.svc.Disconnect(t.Context(), owner, HubSpot, true); err != nil {
		t.Fatal(err)
	}
	if pipe, err := e.svc.PipelineSummary(t.Context(), viewer); err != nil || len(pipe.Stages) != 0 {
		t.Errorf("pipeline after a purge: %+v, %v", pipe, err)
	}
	if _, err := e.svc.Disconnect(t.Context(), owner, Klaviyo, true); err != nil {
		t.Fatal(err)
	}
	check(t)
	if s, err := e.svc.MarketingSummary(t.Context(), viewer, date(2026, 3, 1), date(2026, 3, 15)); err != nil || s.Totals.EmailRevenue != 0 || s.Totals.Revenue == 0 {
		t.Errorf("after purging Klaviyo: %+v, %v", s.Totals, err)
	}
}

// Rebuilds racing one another converge on the records, and a rollup of
// another format is never read: an older one is rebuilt, a newer one (a
// later release's) left alone.
func TestRollupRebuildsConverge(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, TripleWhale, Klaviyo)
	ctx := t.Context()
	before, err := e.store.rollupVersion(ctx, e.org)
	if err != nil || before == 0 {
		t.Fatalf("version %d, %v; want a rollup written by the syncs", before, err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := e.svc.rebuildRollup(ctx, e.org); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	stored, err := e.store.rollup(ctx, e.org)
	if err != nil || stored.Version != before+4 {
		t.Fatalf("version %d, %v; want %d: every rebuild one version", stored.Version, err, before+4)
	}
	src, err := e.store.rollupSources(ctx, e.org)
	if err != nil {
		t.Fatal(err)
	}
	want := buildRollup(e.org, src, stored.BuiltAt)
	want.Version = stored.Version
	if !reflect.DeepEqual(normalizeRollup(*stored), normalizeRollup(want)) {
		t.Errorf("stored rollup differs from one built from the records")
	}

	// A rollup of a newer format is read from the records and left alone.
	if _, err := e.db.Collection(rollupsCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: rollupKey(e.org)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "format", Value: RollupFormat + 1}, {Key: "daily", Value: bson.A{}}}}}); err != nil {
		t.Fatal(err)
	}
	s, err := e.svc.MarketingSummary(ctx, e.actor(authz.RoleViewer), date(2026, 3, 1), date(2026, 3, 15))
	if err != nil || s.Totals.Revenue == 0 {
		t.Errorf("summary over a rollup of a newer format: %+v, %v", s.Totals, err)
	}
	if d, _ := e.store.rollup(ctx, e.org); d.Format != RollupFormat+1 {
		t.Errorf("a rollup of a newer format was overwritten with format %d", d.Format)
	}

	// A rollup of an older format is rebuilt when read.
	if _, err := e.db.Collection(rollupsCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: rollupKey(e.org)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "format", Value: RollupFormat - 1}, {Key: "daily", Value: bson.A{}}}}}); err != nil {
		t.Fatal(err)
	}
	s, err = e.svc.MarketingSummary(ctx, e.actor(authz.RoleViewer), date(2026, 3, 1), date(2026, 3, 15))
	if err != nil || s.Totals.Revenue == 0 {
		t.Errorf("summary over a rollup of an older format: %+v, %v", s.Totals, err)
	}
	if d, _ := e.store.rollup(ctx, e.org); d.Format != RollupFormat {
		t.Errorf("a rollup of an older format was not rebuilt: format %d", d.Format)
	}
}

// normalizeRollup drops what a BSON round trip changes (time zones, nil
// against empty) so that two rollups compare by their figures.
func normalizeRollup(d rollupDoc) rollupDoc {
	raw, err := bson.Marshal(d)
	if err != nil {
		panic(err)
	}
	var out rollupDoc
	if err := bson.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	out.BuiltAt = time.Time{}
	return out
}

// Rebuilding every organization's rollups, in batches, gives the records'
// figures and changes nothing when run again; at start-up it runs only
// when the stored format differs.
func TestRebuildRollups(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, TripleWhale, Klaviyo)
	ctx := t.Context()
	orgs := []bson.ObjectID{e.org}
	for range 2 {
		org := bson.NewObjectID()
		e.orgSync(t, org)
		if ran, err := e.worker("w1").RunOnce(ctx); err != nil || !ran {
			t.Fatalf("RunOnce = %v, %v", ran, err)
		}
		orgs = append(orgs, org)
	}
	if _, err := e.db.Collection(rollupsCollection).DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	from, to := date(2026, 2, 1), date(2026, 3, 15)
	for round := range 2 {
		if n, err := e.svc.RebuildRollups(ctx, 2); err != nil || n != len(orgs) {
			t.Fatalf("round %d: RebuildRollups = %d, %v; want %d", round, n, err, len(orgs))
		}
		for _, org := range orgs {
			d, err := e.store.rollup(ctx, org)
			if err != nil || d == nil || d.Version != int64(round+1) {
				t.Fatalf("round %d: rollup of %s: %+v, %v", round, org.Hex(), d, err)
			}
			p := &authz.Principal{OrganizationID: org, UserID: bson.NewObjectID(), Role: authz.RoleViewer}
			got, err := e.svc.MarketingSummary(ctx, p, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if want := legacySummary(t, e.store, org, from, to); !summariesClose(got, want) || got.Totals.KlaviyoOrderRevenue == 0 {
				t.Errorf("round %d: %s: %+v, want %+v", round, org.Hex(), got.Totals, want.Totals)
			}
		}
	}

	// No format recorded yet: the start-up rebuild runs once, then not again.
	if n, err := e.svc.RebuildRollupsIfStale(ctx); err != nil || n != len(orgs) {
		t.Fatalf("first RebuildRollupsIfStale = %d, %v; want %d", n, err, len(orgs))
	}
	if n, err := e.svc.RebuildRollupsIfStale(ctx); err != nil || n != 0 {
		t.Fatalf("second RebuildRollupsIfStale = %d, %v; want 0", n, err)
	}
	if err := e.store.setRollupFormat(ctx, RollupFormat-1); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.RebuildRollupsIfStale(ctx); err != nil || n != len(orgs) {
		t.Fatalf("RebuildRollupsIfStale after a format change = %d, %v; want %d", n, err, len(orgs))
	}
}

// The cache answers reads without the database, drops a rollup only for a
// newer version, and follows a sync at once in the process that ran it.
func TestCacheFollowsTheDataVersion(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, TripleWhale)
	cache := NewCache(1<<20, time.Minute)
	t.Cleanup(cache.Close)
	var changes []int64
	e.svc = New(e.store, Options{Sealer: e.sealer, Clients: e.clients, Notify: e.events.notify, Now: e.clock.Now, Cache: cache,
		Changed: func(_ context.Context, _ bson.ObjectID, v int64) { changes = append(changes, v) }})
	viewer := e.actor(authz.RoleViewer)
	read := func() (float64, int) {
		t.Helper()
		e.counter.Reset()
		s, err := e.svc.MarketingSummary(t.Context(), viewer, date(2026, 3, 13), date(2026, 3, 15))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Integrations(t.Context(), viewer); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SyncRuns(t.Context(), viewer, nil); err != nil {
			t.Fatal(err)
		}
		return s.Totals.Revenue, e.counter.Count()
	}
	revenue, n := read()
	if n != 3 || revenue == 0 {
		t.Fatalf("first read: %v with %d commands, want the rollup, the integrations and the runs", revenue, n)
	}
	if _, n := read(); n != 0 || cache.Bytes() == 0 {
		t.Fatalf("cached read: %d commands, %d bytes held", n, cache.Bytes())
	}
	version, _ := e.store.rollupVersion(t.Context(), e.org)
	cache.Apply(e.org, version) // a process that already holds this version keeps it
	if _, n := read(); n != 2 {
		t.Errorf("after a change to the version held: %d commands, want the state's 2", n)
	}
	cache.Apply(e.org, version+1)
	if _, n := read(); n != 3 {
		t.Errorf("after a newer version: %d commands, want 3", n)
	}

	e.clock.Advance(2 * time.Hour)
	if r := e.sync(t, e.actor(authz.RoleOwner), TripleWhale); r.Status != SyncSucceeded {
		t.Fatalf("sync = %+v", r)
	}
	if _, n := read(); n != 3 {
		t.Errorf("after a sync in this process: %d commands, want 3", n)
	}
	// Queued and started (state), then the new rollup, then the end.
	if l := len(changes); l < 2 || changes[l-2] != version+1 || changes[l-1] != 0 {
		t.Errorf("changes reported %v, want the new version %d just before the end", changes, version+1)
	}
}
