package app_test

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/events/natstest"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

// dashboardQuery is the dashboard's query: the marketing summary with its
// previous period and days, the pipeline, the latest campaigns and the
// integrations with their last syncs.
const dashboardQuery = `query Dashboard($from: Date!, $to: Date!) {
  marketingSummary(from: $from, to: $to) { revenue adSpend roas orders emailRevenue
    previousPeriod { revenue adSpend roas } daily { date revenue adSpend } }
  pipelineSummary { stages { stage count amount } }
  emailCampaigns(first: 10) { nodes { id name status sendTime } }
  integrations { platform status lastSyncedAt syncs(first: 3) { nodes { id status recordsWritten } } }
}`

// dashboardVars is the last 30 days, today included.
func dashboardVars() map[string]any {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	return map[string]any{"from": today.AddDate(0, 0, -29).Format(time.DateOnly), "to": today.Format(time.DateOnly)}
}

// syncEverything connects the three platforms and syncs them.
func syncEverything(t testing.TB, c *apptest.Client) {
	t.Helper()
	for _, in := range []struct{ platform, key, shop string }{{"TRIPLE_WHALE", twGoodKey, shop}, {"HUBSPOT", hsGoodKey, ""}, {"KLAVIYO", klGoodKey, ""}} {
		if r := connect(t, c, in.platform, in.key, in.shop); len(r.Errors) != 0 {
			t.Fatalf("connect %s: %+v", in.platform, r.Errors)
		}
		c.MustData(t, `mutation($p: Platform!) { syncIntegration(input: {platform: $p}) { sync { id } } }`, map[string]any{"p": in.platform}, nil)
	}
	waitFor(t, "every integration to finish syncing", func() bool {
		for _, in := range listIntegrations(t, c) {
			if in.Status != "CONNECTED" || in.LastSyncedAt == nil {
				return false
			}
		}
		return true
	})
}

// dashboardCommands is what the dashboard query costs on env beyond what
// any signed-in operation costs (the session, the legal gate), after a
// warm-up request.
func dashboardCommands(t *testing.T, env *apptest.Env, c *apptest.Client) (int, map[string]int) {
	t.Helper()
	c.MustData(t, dashboardQuery, dashboardVars(), nil)
	return extraCommands(t, env, c, dashboardQuery, dashboardVars())
}

// extraCommands is what query costs on env beyond what any signed-in
// operation costs, and the commands it sent by name.
func extraCommands(t *testing.T, env *apptest.Env, c *apptest.Client, query string, vars map[string]any) (int, map[string]int) {
	t.Helper()
	const baseline = `{ serverInfo { version } }`
	c.MustData(t, baseline, nil, nil)
	env.Commands.Reset()
	c.MustData(t, baseline, nil, nil)
	base := env.Commands.Count()
	env.Commands.Reset()
	c.MustData(t, query, vars, nil)
	return env.Commands.Count() - base, map[string]int{"find": env.Commands.Count("find"), "count": env.Commands.Count("count")}
}

// The dashboard costs at most 3 database commands without the cache (the
// integrations, their runs, the rollup) and none with it.
func TestDashboardCommands(t *testing.T) {
	p := newPlatforms(t)
	deployment := replicas(t, natstest.Start(t))
	cached := apptest.Start(t, dbs, p.configure, deployment, role(config.RoleAPI))
	uncached := apptest.Start(t, dbs, p.configure, deployment, role(config.RoleAPI), func(c *config.Config) { c.CacheMaxBytes = 0 })
	apptest.Start(t, dbs, p.configure, deployment, role(config.RoleWorker))
	alice := signUp(t, cached, "alice@example.com", "Acme")
	syncEverything(t, alice.c)

	var out struct {
		MarketingSummary struct{ Revenue float64 }
		PipelineSummary  struct{ Stages []struct{ Stage string } }
		EmailCampaigns   struct{ Nodes []struct{ Name string } }
		Integrations     []struct {
			Syncs struct{ Nodes []struct{ Status string } }
		}
	}
	alice.c.MustData(t, dashboardQuery, dashboardVars(), &out)
	if out.MarketingSummary.Revenue == 0 || len(out.PipelineSummary.Stages) != 3 || len(out.EmailCampaigns.Nodes) != 2 ||
		len(out.Integrations) != 3 || len(out.Integrations[0].Syncs.Nodes) == 0 {
		t.Fatalf("dashboard %+v", out)
	}

	if n, by := dashboardCommands(t, cached, alice.c); n != 0 {
		t.Errorf("with the cache the dashboard sent %d commands beyond the session's (%v), want 0", n, by)
	}
	held := regexp.MustCompile(`(?m)^omnify_read_model_cache_bytes (\S+)$`).FindStringSubmatch(send(t, "GET", cached.URL+"/metrics", "", "", nil).body)
	if held == nil || held[1] == "0" {
		t.Errorf("omnify_read_model_cache_bytes: %v, want what the cache holds", held)
	}
	onUncached := logInClient(t, uncached, alice)
	if n, by := dashboardCommands(t, uncached, onUncached); n > 3 {
		t.Errorf("without the cache the dashboard sent %d commands beyond the session's (%v), want at most 3", n, by)
	}
	// Both answer the same.
	var a, b map[string]any
	alice.c.MustData(t, dashboardQuery, dashboardVars(), &a)
	onUncached.MustData(t, dashboardQuery, dashboardVars(), &b)
	if toJSON(a) != toJSON(b) {
		t.Errorf("with the cache %s\nwithout %s", toJSON(a), toJSON(b))
	}
}

// A read on one replica after it delivered a sync's SUCCEEDED event shows
// that sync's figures, though the replica held the earlier ones and the
// sync ran on another process.
func TestDashboardReadAfterSyncOnAnotherReplica(t *testing.T) {
	nats := natstest.Start(t)
	var factor atomic.Int64
	factor.Store(1)
	fake := platformtest.Start(t, platformtest.Config{HubSpotPageSize: 2, KlaviyoReportLimits: testReportLimits()})
	acct := fake.AddAccount(platformtest.AccountConfig{
		Name: "acme", Keys: platformtest.Keys{TripleWhale: twGoodKey}, ShopDomain: shop,
		Daily: func(d time.Time) platformtest.Figures {
			f := twDay(d)
			f.Revenue *= float64(factor.Load())
			return f
		},
	})
	deployment := replicas(t, nats)
	reader := apptest.Start(t, dbs, configurePlatforms(fake), deployment, role(config.RoleAPI))
	writer := apptest.Start(t, dbs, configurePlatforms(fake), deployment, role(config.RoleAPI))
	apptest.Start(t, dbs, configurePlatforms(fake), deployment, role(config.RoleWorker))

	alice := signUp(t, writer, "alice@example.com", "Acme")
	onReader := logInClient(t, reader, alice)
	if r := connect(t, alice.c, "TRIPLE_WHALE", twGoodKey, shop); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	syncTW := func() {
		alice.c.MustData(t, `mutation { syncIntegration(input: {platform: TRIPLE_WHALE}) { sync { id } } }`, nil, nil)
	}
	syncTW()
	waitFor(t, "the first sync", func() bool { return listIntegrations(t, alice.c)["TRIPLE_WHALE"].LastSyncedAt != nil })

	// The last three days: every sync reads them again.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -2)
	vars := map[string]any{"f": from.Format(time.DateOnly), "t": today.Format(time.DateOnly)}
	const summary = `query($f: Date!, $t: Date!) { marketingSummary(from: $f, to: $t) { revenue } }`
	revenue := func() float64 {
		var out struct{ MarketingSummary struct{ Revenue float64 } }
		onReader.MustData(t, summary, vars, &out)
		return out.MarketingSummary.Revenue
	}
	first := acct.Totals(from, today).Revenue
	if got := revenue(); math.Abs(got-first) > 1e-9 {
		t.Fatalf("revenue %v, want %v", got, first)
	}
	// The reader holds it now: reading again costs nothing.
	before, _ := extraCommands(t, reader, onReader, summary, vars)

	ws := mustDialWSWithCookie(t, reader, onReader)
	ws.initAndAck()
	ws.send(wsMsg{ID: "ev", Type: "subscribe", Payload: map[string]any{"query": `subscription { integrationEvents { status sync { id status } } }`}})
	waitFor(t, "the subscription to be live", func() bool {
		return strings.Contains(send(t, "GET", reader.URL+"/metrics", "", "", nil).body, "omnify_graphql_active_subscriptions 1")
	})

	factor.Store(3)
	syncTW()
	for {
		m := ws.read(false)
		if m.Type != "next" {
			t.Fatalf("subscription: %+v", m)
		}
		if strings.Contains(toJSON(m.Payload), `"status":"SUCCEEDED"`) {
			break
		}
	}
	second := acct.Totals(from, today).Revenue
	if got := revenue(); math.Abs(got-second) > 1e-9 || second == first {
		t.Fatalf("after the SUCCEEDED event the reader shows revenue %v, want %v (it was %v)", got, second, first)
	}
	if before != 0 {
		t.Errorf("a cached read cost %d commands beyond the session's", before)
	}
}

// The dashboard's whole answer is kept: asked again it is served without
// executing, per organization, role and key scope, never with errors,
// never for operations that read anything else, and never after a sync
// changed what it shows.
func TestDashboardAnswersAreKept(t *testing.T) {
	p := newPlatforms(t)
	env := apptest.Start(t, dbs, p.configure)
	alice := signUp(t, env, "alice@example.com", "Acme")
	syncEverything(t, alice.c)
	answers := func(result string) int {
		t.Helper()
		v, err := strconv.Atoi(metricValue(t, env, `omnify_graphql_answers_total{result="`+result+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	read := func(c *apptest.Client, query string, vars map[string]any) (string, int, int) {
		t.Helper()
		hits, misses := answers("hit"), answers("miss")
		r := c.Do(t, query, vars)
		return toJSON(r.Data) + toJSON(r.Errors), answers("hit") - hits, answers("miss") - misses
	}

	first, hits, misses := read(alice.c, dashboardQuery, dashboardVars())
	if hits != 0 || misses != 1 {
		t.Errorf("first read: %d hits, %d misses; want a miss", hits, misses)
	}
	again, hits, _ := read(alice.c, dashboardQuery, dashboardVars())
	if hits != 1 || again != first {
		t.Errorf("second read: %d hits, answer the same: %v; want the kept answer", hits, again == first)
	}
	// Other variables are another answer.
	if _, hits, misses := read(alice.c, dashboardQuery, map[string]any{"from": "2026-01-01", "to": "2026-01-31"}); hits != 0 || misses != 1 {
		t.Errorf("other dates: %d hits, %d misses; want a miss", hits, misses)
	}

	// Another organization, with the same query and variables: its own
	// answer.
	bob := signUp(t, env, "bob@example.com", "Bobco")
	theirs, hits, _ := read(bob.c, dashboardQuery, dashboardVars())
	if hits != 0 || theirs == first || !strings.Contains(theirs, `"DISCONNECTED"`) {
		t.Errorf("another organization: %d hits, answer %s", hits, theirs)
	}
	// A READ key of alice's organization acts as a VIEWER: its own answer,
	// with the same figures.
	var key struct{ CreateApiKey struct{ Secret string } }
	alice.c.MustData(t, `mutation { createApiKey(input: {name: "wall screen", scope: READ}) { secret } }`, nil, &key)
	partner := env.Client()
	partner.Header.Set("Authorization", "Bearer "+key.CreateApiKey.Secret)
	viaKey, hits, misses := read(partner, dashboardQuery, dashboardVars())
	if hits != 0 || misses != 1 || viaKey != first {
		t.Errorf("a READ key: %d hits, %d misses, same answer %v; want a miss with the same figures", hits, misses, viaKey == first)
	}

	// Errors are never kept; operations reading anything else are not
	// looked up.
	bad := map[string]any{"from": "2026-02-01", "to": "2026-01-01"}
	for range 2 {
		if got, hits, _ := read(alice.c, dashboardQuery, bad); hits != 0 || !strings.Contains(got, "BAD_USER_INPUT") {
			t.Errorf("a refused range: %d hits, %s", hits, got)
		}
	}
	for _, q := range []string{`{ me { role } }`, `{ integrations { platform } me { role } }`} {
		skips := answers("skip")
		alice.c.MustData(t, q, nil, nil)
		if answers("skip") != skips+1 {
			t.Errorf("%s was not skipped: %d, then %d", q, skips, answers("skip"))
		}
	}

	// A sync changes the answer at once.
	before, _, _ := read(alice.c, dashboardQuery, dashboardVars())
	p.acct.Evolve()
	var run struct {
		SyncIntegration struct{ Sync struct{ ID string } }
	}
	alice.c.MustData(t, `mutation { syncIntegration(input: {platform: HUBSPOT}) { sync { id } } }`, nil, &run)
	waitFor(t, "the sync to end", func() bool {
		for _, r := range listIntegrations(t, alice.c)["HUBSPOT"].Syncs.Nodes {
			if r.ID == run.SyncIntegration.Sync.ID {
				return r.Status == "SUCCEEDED"
			}
		}
		return false
	})
	if after, hits, _ := read(alice.c, dashboardQuery, dashboardVars()); hits != 0 || after == before || !strings.Contains(after, run.SyncIntegration.Sync.ID) {
		t.Errorf("after a sync: %d hits, changed %v, shows the new run %v", hits, after != before, strings.Contains(after, run.SyncIntegration.Sync.ID))
	}
}
