package app_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

// platforms are the fake platforms (package platformtest) with the one
// account the tests connect, whose records the tests name.
type platforms struct {
	fake *platformtest.Fake
	acct *platformtest.Account
}

const (
	twGoodKey = "tw-key-0123456789"
	hsGoodKey = "pat-na1-0123456789"
	klGoodKey = "pk_0123456789abcdef"
	shop      = "acme.myshopify.com"
)

// twDay is the account's daily Triple Whale figures, a function of the day,
// so any period's totals can be computed; Klaviyo's "Placed Order" is every
// order, as on a Shopify-connected account.
func twDay(d time.Time) platformtest.Figures {
	rev := float64(100 + d.Day())
	orders := float64(1 + d.Day()%3)
	return platformtest.Figures{Revenue: rev, AdSpend: 20, Orders: orders, NetProfit: rev / 4,
		EmailsReceived: 100, EmailsOpened: 3, EmailsClicked: 3, EmailOrders: orders, EmailRevenue: rev}
}

func newPlatforms(t *testing.T) *platforms {
	t.Helper()
	fake := platformtest.Start(t, platformtest.Config{HubSpotPageSize: 2, KlaviyoReportLimits: testReportLimits()})
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var deals []platformtest.Deal
	for i, d := range []struct {
		name, stage string
		amount      float64
	}{
		{"Big retainer", "appointmentscheduled", 1200.50}, {"Spring launch", "closedwon", 800},
		{"Lost lead", "closedlost", 300}, {"Second retainer", "appointmentscheduled", 99.5},
	} {
		updated := at(fmt.Sprintf("2026-02-0%dT00:00:00Z", i+1))
		deals = append(deals, platformtest.Deal{ID: fmt.Sprint(1000 + i), Name: d.name, Stage: d.stage, Amount: &d.amount,
			CloseDate: ptrTo(at("2026-03-01T00:00:00Z")), CreatedAt: at("2026-01-01T00:00:00Z"), UpdatedAt: updated})
	}
	acct := fake.AddAccount(platformtest.AccountConfig{
		Name:             "acme",
		Keys:             platformtest.Keys{TripleWhale: twGoodKey, HubSpot: hsGoodKey, Klaviyo: klGoodKey},
		ShopDomain:       shop,
		OrganizationName: "Acme Store",
		Daily:            twDay,
		Deals:            deals,
		Contacts: []platformtest.Contact{{ID: "501", Email: "ann@example.com", FirstName: "Ann", LastName: "Lee",
			CreatedAt: at("2026-01-02T00:00:00Z")}},
		Campaigns: []platformtest.Campaign{
			{ID: "CA1", Name: "Black Friday", Status: "Sent", SendTime: ptrTo(at("2026-11-20T10:00:00Z")), CreatedAt: at("2026-11-01T00:00:00Z"),
				Revenue: 450.5, Conversions: 4},
			{ID: "CA2", Name: "Winter teaser", Status: "Draft", CreatedAt: at("2026-11-02T00:00:00Z")},
		},
		Flows: []platformtest.Flow{{ID: "FL1", Name: "Welcome series", Status: "live", TriggerType: "Added to List"}},
	})
	return &platforms{fake: fake, acct: acct}
}

func ptrTo[T any](v T) *T { return &v }

// checkEmailRevenue reads the attributed email revenue of a synced
// Klaviyo account through marketingSummary: the total and its previous
// period, where it came from, and Placed Order apart, which on this
// Shopify-connected account is every order.
func checkEmailRevenue(t *testing.T, c *apptest.Client, acct *platformtest.Account) {
	t.Helper()
	type source struct {
		ID, Kind, KlaviyoID, Name   string
		Revenue, Conversions, Share float64
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -29)
	var out struct {
		MarketingSummary struct {
			EmailRevenue                               float64
			PreviousPeriod                             struct{ EmailRevenue, KlaviyoOrderRevenue float64 }
			EmailRevenueByCampaign, EmailRevenueByFlow []source
			KlaviyoOrders                              int
			KlaviyoOrderRevenue                        float64
			Daily                                      []struct{ EmailRevenue, KlaviyoOrderRevenue float64 }
		}
	}
	const q = `query($f: Date!, $t: Date!, $n: Int) { marketingSummary(from: $f, to: $t) {
		emailRevenue previousPeriod { emailRevenue klaviyoOrderRevenue }
		emailRevenueByCampaign { id kind klaviyoId name revenue conversions share }
		emailRevenueByFlow(first: $n) { id kind klaviyoId name revenue conversions share }
		klaviyoOrders klaviyoOrderRevenue daily { emailRevenue klaviyoOrderRevenue } } }`
	vars := map[string]any{"f": from.Format(time.DateOnly), "t": today.Format(time.DateOnly), "n": 50}
	c.MustData(t, q, vars, &out)
	ms := out.MarketingSummary
	want := acct.Attributed(from, today)
	placed := acct.Totals(from, today)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
	if !near(ms.EmailRevenue, want.Revenue) || want.Revenue == 0 || !near(ms.KlaviyoOrderRevenue, placed.EmailRevenue) ||
		ms.KlaviyoOrders != int(placed.EmailOrders) || ms.EmailRevenue >= ms.KlaviyoOrderRevenue {
		t.Errorf("emailRevenue %v, Placed Order %d / %v; want %v attributed, %v / %v", ms.EmailRevenue, ms.KlaviyoOrders, ms.KlaviyoOrderRevenue,
			want.Revenue, placed.EmailOrders, placed.EmailRevenue)
	}
	if prev := acct.Attributed(from.AddDate(0, 0, -30), from.AddDate(0, 0, -1)); !near(ms.PreviousPeriod.EmailRevenue, prev.Revenue) {
		t.Errorf("previous emailRevenue %v, want %v", ms.PreviousPeriod.EmailRevenue, prev.Revenue)
	}
	campaigns, flows := acct.CampaignAttribution(from, today), acct.FlowAttribution(from, today)
	if c := ms.EmailRevenueByCampaign; len(c) != 1 || c[0].Name != "Black Friday" || c[0].Kind != "CAMPAIGN" || c[0].KlaviyoID != "CA1" ||
		!near(c[0].Revenue, campaigns["CA1"].Revenue) || !near(c[0].Share, campaigns["CA1"].Revenue/want.Revenue) || c[0].ID == "" {
		t.Errorf("emailRevenueByCampaign %+v, want Black Friday's %v of %v", c, campaigns["CA1"], want.Revenue)
	}
	if f := ms.EmailRevenueByFlow; len(f) != 1 || f[0].Name != "Welcome series" || f[0].Kind != "FLOW" ||
		!near(f[0].Revenue, flows["FL1"].Revenue) || !near(f[0].Share+ms.EmailRevenueByCampaign[0].Share, 1) {
		t.Errorf("emailRevenueByFlow %+v, want the Welcome series' %v", f, flows["FL1"])
	}
	var daily float64
	for _, d := range ms.Daily {
		daily += d.EmailRevenue
	}
	if !near(daily, ms.EmailRevenue) {
		t.Errorf("daily emailRevenue adds up to %v, not %v", daily, ms.EmailRevenue)
	}

	// The top lists take 1 to 50; past that, BAD_USER_INPUT naming the list.
	for _, n := range []int{1, 50} {
		vars["n"] = n
		c.MustData(t, q, vars, &out)
	}
	for _, n := range []int{0, 51} {
		vars["n"] = n
		r := c.Do(t, q, vars)
		if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "first" || !strings.Contains(r.Errors[0].Message, "emailRevenueByFlow") {
			t.Errorf("first %d: %+v, want BAD_USER_INPUT on first naming emailRevenueByFlow", n, r.Errors)
		}
	}
	// A figure's id names the period: another period, another id.
	var other struct {
		MarketingSummary struct{ EmailRevenueByCampaign []source }
	}
	c.MustData(t, q, map[string]any{"f": from.AddDate(0, 0, -1).Format(time.DateOnly), "t": today.Format(time.DateOnly), "n": 5}, &other)
	if o := other.MarketingSummary.EmailRevenueByCampaign; len(o) != 1 || o[0].ID == ms.EmailRevenueByCampaign[0].ID {
		t.Errorf("ids %+v and %+v: want one per period", o, ms.EmailRevenueByCampaign)
	}
}

// configure points the platform clients at the fake.
func (p *platforms) configure(c *config.Config) { configurePlatforms(p.fake)(c) }

// configurePlatforms returns a configuration option that points the
// platform clients at fake, with Klaviyo's reporting limits of
// testReportLimits (for a fake started with them).
func configurePlatforms(fake *platformtest.Fake) func(*config.Config) {
	urls := fake.URLs()
	return func(c *config.Config) {
		c.TripleWhaleBaseURL, c.HubSpotBaseURL, c.KlaviyoBaseURL = urls.TripleWhale, urls.HubSpot, urls.Klaviyo
		limits, err := config.ParseCallLimits(testReportLimitsEnv)
		if err != nil {
			panic(err)
		}
		c.KlaviyoReportLimits = limits
	}
}

// testReportLimitsEnv are Klaviyo's reporting limits with windows short
// enough that the tests' syncs need not wait a minute for each other.
const testReportLimitsEnv = "1/20ms,2/200ms,225/24h"

// testReportLimits is testReportLimitsEnv for the fake.
func testReportLimits() platformtest.ReportLimits {
	l, err := config.ParseCallLimits(testReportLimitsEnv)
	if err != nil {
		panic(err)
	}
	limit := func(c config.CallLimit) platformtest.Limit {
		return platformtest.Limit{Calls: c.Calls, Window: c.Window}
	}
	return platformtest.ReportLimits{Burst: limit(l[0]), Steady: limit(l[1]), Daily: limit(l[2])}
}

const connectMutation = `mutation($i: ConnectIntegrationInput!) { connectIntegration(input: $i) { integration { platform status accountLabel connectedAt } } }`

func connect(t testing.TB, c *apptest.Client, platform, key, shopDomain string) apptest.Response {
	t.Helper()
	in := map[string]any{"platform": platform, "apiKey": key}
	if shopDomain != "" {
		in["shopDomain"] = shopDomain
	}
	return c.Do(t, connectMutation, map[string]any{"i": in})
}

type integrationView struct {
	Platform, Status string
	AccountLabel     *string
	LastSyncedAt     *string
	LastError        *string
	Syncs            struct {
		Nodes []struct {
			ID, Status     string
			RecordsWritten int
			Error          *string
		}
	}
}

func listIntegrations(t testing.TB, c *apptest.Client) map[string]integrationView {
	t.Helper()
	var out struct{ Integrations []integrationView }
	c.MustData(t, `{ integrations { platform status accountLabel lastSyncedAt lastError syncs(first: 3) { nodes { id status recordsWritten error } } } }`, nil, &out)
	m := map[string]integrationView{}
	for _, in := range out.Integrations {
		m[in.Platform] = in
	}
	return m
}

// waitFor polls until cond holds, failing the test after a bounded wait.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestIntegrationsEndToEnd(t *testing.T) {
	p := newPlatforms(t)
	env := apptest.Start(t, dbs, p.configure)
	alice := signUp(t, env, "alice@example.com", "Acme")

	// Every platform is listed, disconnected, before anything is connected.
	if got := listIntegrations(t, alice.c); len(got) != 3 || got["HUBSPOT"].Status != "DISCONNECTED" {
		t.Fatalf("initial integrations: %+v", got)
	}

	// Live events, subscribed before anything happens.
	ws := mustDialWSWithCookie(t, env, alice.c)
	ws.initAndAck()
	ws.send(wsMsg{ID: "ev", Type: "subscribe", Payload: map[string]any{"query": `subscription { integrationEvents { platform status sync { id status recordsWritten } at } }`}})

	bad := []struct {
		name, platform, key, shop, wantCode, wantField string
	}{
		{"rejected Triple Whale key", "TRIPLE_WHALE", "wrong-key", shop, "INTEGRATION_ERROR", ""},
		{"rejected HubSpot token", "HUBSPOT", "wrong-token", "", "INTEGRATION_ERROR", ""},
		{"rejected Klaviyo key", "KLAVIYO", "pk_wrong", "", "INTEGRATION_ERROR", ""},
		{"missing shop domain", "TRIPLE_WHALE", twGoodKey, "", "BAD_USER_INPUT", "shopDomain"},
		{"empty key", "HUBSPOT", "   ", "", "BAD_USER_INPUT", "apiKey"},
		{"10 KB key", "HUBSPOT", strings.Repeat("k", 10_000), "", "BAD_USER_INPUT", "apiKey"},
	}
	for _, tt := range bad {
		t.Run("connect refuses "+tt.name, func(t *testing.T) {
			r := connect(t, alice.c, tt.platform, tt.key, tt.shop)
			if r.Code() != tt.wantCode || (tt.wantField != "" && r.Errors[0].Extensions["field"] != tt.wantField) {
				t.Fatalf("got %+v, want %s %s", r.Errors, tt.wantCode, tt.wantField)
			}
			if strings.Contains(r.Errors[0].Message, tt.key) && strings.TrimSpace(tt.key) != "" {
				t.Fatalf("error echoes the key: %s", r.Errors[0].Message)
			}
		})
	}
	if got := listIntegrations(t, alice.c); got["HUBSPOT"].Status != "DISCONNECTED" || got["TRIPLE_WHALE"].Status != "DISCONNECTED" {
		t.Fatalf("a refused connection was stored: %+v", got)
	}

	for _, c := range []struct{ platform, key, shop string }{{"TRIPLE_WHALE", twGoodKey, "https://ACME.myshopify.com/"}, {"HUBSPOT", hsGoodKey, ""}, {"KLAVIYO", klGoodKey, ""}} {
		if r := connect(t, alice.c, c.platform, c.key, c.shop); len(r.Errors) != 0 {
			t.Fatalf("connect %s: %+v", c.platform, r.Errors)
		}
	}
	if got := listIntegrations(t, alice.c); got["KLAVIYO"].AccountLabel == nil || *got["KLAVIYO"].AccountLabel != "Acme Store" {
		t.Fatalf("klaviyo account label: %+v", got["KLAVIYO"])
	}

	// Credentials are sealed in the database.
	raw, err := env.Database(t).Collection("integrations").Find(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.Raw
	_ = raw.All(context.Background(), &docs)
	for _, d := range docs {
		for _, key := range []string{twGoodKey, hsGoodKey, klGoodKey} {
			if strings.Contains(d.String(), key) {
				t.Fatalf("a credential is readable in the database: %s", d)
			}
		}
	}

	for _, platform := range []string{"TRIPLE_WHALE", "HUBSPOT", "KLAVIYO"} {
		var out struct {
			SyncIntegration struct {
				Sync        struct{ ID, Status string }
				Integration struct{ ID, Status string }
			}
		}
		alice.c.MustData(t, `mutation($p: Platform!) { syncIntegration(input: {platform: $p}) { sync { id status } integration { id status } } }`, map[string]any{"p": platform}, &out)
		if s := out.SyncIntegration.Sync.Status; s != "QUEUED" && s != "RUNNING" || out.SyncIntegration.Integration.ID == "" {
			t.Fatalf("sync %s: %+v", platform, out)
		}
	}
	waitFor(t, "every integration to finish syncing", func() bool {
		for _, in := range listIntegrations(t, alice.c) {
			if in.Status != "CONNECTED" || in.LastSyncedAt == nil {
				return false
			}
		}
		return true
	})
	for name, in := range listIntegrations(t, alice.c) {
		if len(in.Syncs.Nodes) == 0 || in.Syncs.Nodes[0].Status != "SUCCEEDED" || in.Syncs.Nodes[0].RecordsWritten == 0 {
			t.Fatalf("%s syncs: %+v", name, in.Syncs)
		}
	}

	// The dashboard shows the platforms' figures.
	to := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	from := to.AddDate(0, 0, -6)
	var want struct{ revenue, spend, orders float64 }
	totals := p.acct.Totals(from, to)
	want.revenue, want.spend, want.orders = totals.Revenue, totals.AdSpend, totals.Orders
	var sum struct {
		MarketingSummary struct {
			Currency                                                string
			Revenue, AdSpend, Roas, AverageOrderValue, EmailRevenue float64
			Orders                                                  int
			PreviousPeriod                                          struct{ Revenue float64 }
			Daily                                                   []struct {
				Date    string
				Revenue float64
			}
		}
	}
	alice.c.MustData(t, `query($f: Date!, $t: Date!) { marketingSummary(from: $f, to: $t) { currency revenue adSpend roas orders averageOrderValue emailRevenue previousPeriod { revenue } daily { date revenue } } }`,
		map[string]any{"f": from.Format("2006-01-02"), "t": to.Format("2006-01-02")}, &sum)
	ms := sum.MarketingSummary
	if ms.Revenue != want.revenue || ms.AdSpend != want.spend || float64(ms.Orders) != want.orders ||
		math.Abs(ms.Roas-want.revenue/want.spend) > 1e-9 || math.Abs(ms.EmailRevenue-p.acct.Attributed(from, to).Revenue) > 1e-9 || len(ms.Daily) != 7 ||
		ms.Daily[0].Date != from.Format("2006-01-02") || ms.PreviousPeriod.Revenue == 0 || ms.Currency == "" {
		t.Fatalf("marketing summary %+v, want revenue %v spend %v orders %v email %v", ms, want.revenue, want.spend, want.orders, p.acct.Attributed(from, to).Revenue)
	}
	checkEmailRevenue(t, alice.c, p.acct)

	var deals struct {
		Deals struct {
			Nodes []struct {
				ID, Name, Stage string
				Amount          *float64
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	alice.c.MustData(t, `{ deals(first: 3) { nodes { id name stage amount } pageInfo { hasNextPage endCursor } } }`, nil, &deals)
	if n := deals.Deals.Nodes; len(n) != 3 || !deals.Deals.PageInfo.HasNextPage || n[0].Name != "Second retainer" {
		t.Fatalf("deals page 1: %+v", deals)
	}
	var rest struct {
		Deals struct{ Nodes []struct{ Name string } }
	}
	alice.c.MustData(t, `query($a: String) { deals(first: 3, after: $a) { nodes { name } } }`, map[string]any{"a": *deals.Deals.PageInfo.EndCursor}, &rest)
	if len(rest.Deals.Nodes) != 1 || rest.Deals.Nodes[0].Name != "Big retainer" {
		t.Fatalf("deals page 2: %+v", rest)
	}
	var won struct {
		Deals struct{ Nodes []struct{ Name string } }
	}
	alice.c.MustData(t, `{ deals(stage: "closedwon") { nodes { name } } }`, nil, &won)
	if len(won.Deals.Nodes) != 1 || won.Deals.Nodes[0].Name != "Spring launch" {
		t.Fatalf("won deals: %+v", won)
	}
	var pipe struct {
		PipelineSummary struct {
			Stages []struct {
				Stage  string
				Count  int
				Amount float64
			}
			OpenAmount float64
		}
	}
	alice.c.MustData(t, `{ pipelineSummary { stages { stage count amount } openAmount } }`, nil, &pipe)
	if pipe.PipelineSummary.OpenAmount != 1300 || len(pipe.PipelineSummary.Stages) != 3 {
		t.Fatalf("pipeline: %+v", pipe)
	}
	var email struct {
		EmailCampaigns struct {
			Nodes []struct {
				Name, Status string
				SendTime     *string
			}
		}
		EmailFlows struct {
			Nodes []struct{ Name, TriggerType string }
		}
		Contacts struct {
			Nodes []struct{ Email, FirstName string }
		}
	}
	alice.c.MustData(t, `{ emailCampaigns { nodes { name status sendTime } } emailFlows { nodes { name triggerType } } contacts { nodes { email firstName } } }`, nil, &email)
	if len(email.EmailCampaigns.Nodes) != 2 || len(email.EmailFlows.Nodes) != 1 || email.EmailFlows.Nodes[0].TriggerType != "Added to List" ||
		len(email.Contacts.Nodes) != 1 || email.Contacts.Nodes[0].Email != "ann@example.com" {
		t.Fatalf("email and contacts: %+v", email)
	}

	// The subscription saw the syncs happen.
	sawSucceeded := false
	for !sawSucceeded {
		m := ws.read(false)
		if m.Type != "next" {
			t.Fatalf("subscription: %+v", m)
		}
		sawSucceeded = strings.Contains(toJSON(m.Payload), `"status":"SUCCEEDED"`)
	}

	// Syncs of all integrations load in one query, however many platforms.
	alice.c.MustData(t, `{ integrations { platform } }`, nil, nil)
	env.Commands.Reset()
	alice.c.MustData(t, `{ integrations { platform } }`, nil, nil)
	base := env.Commands.Count("find")
	env.Commands.Reset()
	alice.c.MustData(t, `{ integrations { platform syncs(first: 3) { nodes { id status } totalCount } } }`, nil, nil)
	if extra := env.Commands.Count("find") - base; extra > 1 {
		t.Fatalf("syncs of 3 integrations cost %d extra finds, want at most 1 (none while the process holds the state)", extra)
	}

	// A key rejected mid-life marks the integration ERROR with a message to reconnect.
	p.acct.Revoke(platformtest.TripleWhale, http.StatusUnauthorized)
	alice.c.MustData(t, `mutation { syncIntegration(input: {platform: TRIPLE_WHALE}) { sync { id } } }`, nil, nil)
	waitFor(t, "the rejected sync to fail", func() bool { return listIntegrations(t, alice.c)["TRIPLE_WHALE"].Status == "ERROR" })
	tw := listIntegrations(t, alice.c)["TRIPLE_WHALE"]
	if tw.LastError == nil || !strings.Contains(strings.ToLower(*tw.LastError), "reconnect") || tw.Syncs.Nodes[0].Status != "FAILED" {
		t.Fatalf("after a rejected key: %+v", tw)
	}

	// Another organization sees none of it.
	bob := signUp(t, env, "bob@example.com", "Other")
	var other struct {
		Deals        struct{ Nodes []struct{ ID string } }
		Integrations []struct{ Status string }
	}
	bob.c.MustData(t, `{ deals { nodes { id } } integrations { status } }`, nil, &other)
	if len(other.Deals.Nodes) != 0 || other.Integrations[0].Status != "DISCONNECTED" {
		t.Fatalf("another organization sees: %+v", other)
	}
	// A VIEWER cannot connect; bad date ranges are refused.
	if r := alice.c.Do(t, `{ marketingSummary(from: "2026-02-10", to: "2026-02-01") { revenue } }`, nil); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("from after to: %+v", r.Errors)
	}
	if r := alice.c.Do(t, `{ marketingSummary(from: "2024-01-01", to: "2026-01-01") { revenue } }`, nil); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("range over 366 days: %+v", r.Errors)
	}
	if r := alice.c.Do(t, `{ marketingSummary(from: "2026-02-30", to: "2026-03-01") { revenue } }`, nil); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("impossible date: %+v", r.Errors)
	}

	// Disconnecting keeps the data unless purged.
	alice.c.MustData(t, `mutation { disconnectIntegration(input: {platform: HUBSPOT}) { integration { status } } }`, nil, nil)
	var after struct {
		Deals struct{ Nodes []struct{ ID string } }
	}
	alice.c.MustData(t, `{ deals { nodes { id } } }`, nil, &after)
	if len(after.Deals.Nodes) != len(p.acct.Deals()) {
		t.Fatalf("disconnect dropped data: %+v", after)
	}
	alice.c.MustData(t, `mutation { disconnectIntegration(input: {platform: HUBSPOT, purgeData: true}) { integration { status } } }`, nil, nil)
	alice.c.MustData(t, `{ deals { nodes { id } } }`, nil, &after)
	if len(after.Deals.Nodes) != 0 {
		t.Fatalf("purge kept data: %+v", after)
	}
}

func TestAPIRoleQueuesAndWorkerRoleSyncs(t *testing.T) {
	p := newPlatforms(t)
	name := dbs.DatabaseName(t)
	key := []byte("0123456789abcdef0123456789abcdef") // replicas share OMNIFY_SECRET_KEY
	// Without a bus between them (which a deployment must have), the API
	// process would not hear of the worker's changes: it keeps no cache.
	api := apptest.Start(t, dbs, p.configure, func(c *config.Config) {
		c.Role, c.MongoDatabase, c.SecretKey, c.CacheMaxBytes = config.RoleAPI, name, key, 0
	})
	alice := signUp(t, api, "alice@example.com", "Acme")
	if r := connect(t, alice.c, "HUBSPOT", hsGoodKey, ""); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	alice.c.MustData(t, `mutation { syncIntegration(input: {platform: HUBSPOT}) { sync { id } } }`, nil, nil)
	time.Sleep(500 * time.Millisecond) // an API-only process must not run it
	if s := listIntegrations(t, alice.c)["HUBSPOT"].Syncs.Nodes[0].Status; s != "QUEUED" {
		t.Fatalf("the API role ran the sync itself: %s", s)
	}

	worker := apptest.Start(t, dbs, p.configure, func(c *config.Config) { c.Role, c.MongoDatabase, c.SecretKey = config.RoleWorker, name, key })
	if got := send(t, "POST", worker.URL+"/graphql", "application/json", `{"query":"{__typename}"}`, nil); got.status != 404 {
		t.Fatalf("worker serves GraphQL: %d", got.status)
	}
	if got := send(t, "GET", worker.URL+"/readyz", "", "", nil); got.status != 200 {
		t.Fatalf("worker readyz: %d", got.status)
	}
	waitFor(t, "the worker to run the queued sync", func() bool {
		run := listIntegrations(t, alice.c)["HUBSPOT"].Syncs.Nodes[0]
		if run.Status == "FAILED" {
			t.Fatalf("the worker's sync failed: %v", *run.Error)
		}
		return run.Status == "SUCCEEDED"
	})
}

func TestSubscriptionsAreGatedAndReadKeysMaySubscribe(t *testing.T) {
	p := newPlatforms(t)
	env := apptest.Start(t, dbs, p.configure)
	pending := signUpWithoutAccepting(t, env, "new@example.com")
	sub := wsMsg{ID: "1", Type: "subscribe", Payload: map[string]any{"query": `subscription { integrationEvents { platform status } }`}}

	ws := mustDialWSWithCookie(t, env, pending.c)
	ws.initAndAck()
	ws.send(sub)
	if m := ws.read(false); !strings.Contains(toJSON(m.Payload), "LEGAL_ACCEPTANCE_REQUIRED") {
		t.Fatalf("subscription with legal documents pending: %+v", m)
	}

	// A READ key may subscribe, and hears about its organization's changes.
	owner := signUp(t, env, "owner@example.com", "Acme")
	var key struct{ CreateApiKey struct{ Secret string } }
	owner.c.MustData(t, `mutation { createApiKey(input: {name: "dash", scope: READ}) { secret } }`, nil, &key)
	kws := mustDialWS(t, env, "graphql-transport-ws")
	kws.send(wsMsg{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer " + key.CreateApiKey.Secret}})
	if m := kws.read(false); m.Type != "connection_ack" {
		t.Fatalf("init: %+v", m)
	}
	kws.send(sub)
	waitFor(t, "the subscription to be live", func() bool {
		return strings.Contains(send(t, "GET", env.URL+"/metrics", "", "", nil).body, "omnify_graphql_active_subscriptions 1")
	})
	if r := connect(t, owner.c, "HUBSPOT", hsGoodKey, ""); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	if m := kws.read(false); m.Type != "next" || !strings.Contains(toJSON(m.Payload), `"platform":"HUBSPOT"`) {
		t.Fatalf("READ key subscription: %+v", m)
	}
}

// gqlConnection is any connection's page as the tests read it.
type gqlConnection struct {
	Edges []struct {
		Cursor string
		Node   map[string]any
	}
	Nodes    []map[string]any
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	TotalCount int
}

// walkConnection pages through field (with its selection of node fields)
// in pages of first, checks each page, and returns the node ids in order.
func walkConnection(t *testing.T, c *apptest.Client, field, args, selection string, first int) []string {
	t.Helper()
	var ids []string
	var after any
	for page := 0; ; page++ {
		q := fmt.Sprintf(`query($first: Int, $after: String) { c: %s(first: $first, after: $after%s) { edges { cursor node { %s } } nodes { %s } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }`,
			field, args, selection, selection)
		var out struct{ C gqlConnection }
		c.MustData(t, q, map[string]any{"first": first, "after": after}, &out)
		p := out.C
		if len(p.Nodes) > first || len(p.Edges) != len(p.Nodes) || p.PageInfo.HasPreviousPage != (after != nil) {
			t.Fatalf("%s page %d: %+v", field, page, p)
		}
		for i, e := range p.Edges {
			if e.Node["id"] != p.Nodes[i]["id"] {
				t.Fatalf("%s page %d: edge %d is %v, node %v", field, page, i, e.Node["id"], p.Nodes[i]["id"])
			}
			ids = append(ids, e.Node["id"].(string))
		}
		if n := len(p.Edges); n > 0 && (*p.PageInfo.EndCursor != p.Edges[n-1].Cursor || *p.PageInfo.StartCursor != p.Edges[0].Cursor) {
			t.Fatalf("%s page %d: page info %+v does not match the edges", field, page, p.PageInfo)
		}
		if !p.PageInfo.HasNextPage {
			if len(ids) != p.TotalCount {
				t.Fatalf("%s in pages of %d: walked %d, totalCount %d", field, first, len(ids), p.TotalCount)
			}
			return ids
		}
		if page > p.TotalCount {
			t.Fatalf("%s: paging did not end", field)
		}
		after = *p.PageInfo.EndCursor
	}
}

// TestIntegrationConnectionsAndNodes connects the same HubSpot and Klaviyo
// accounts to two organizations, then walks every connection, fetches
// every object again by node(id:), and checks that nothing of one
// organization is visible to the other.
func TestIntegrationConnectionsAndNodes(t *testing.T) {
	p := newPlatforms(t)
	env := apptest.Start(t, dbs, p.configure)
	alice := signUp(t, env, "alice@example.com", "Acme")
	bob := signUp(t, env, "bob@example.com", "Other")
	for _, u := range []*apptest.Client{alice.c, bob.c} {
		for _, c := range []struct{ platform, key string }{{"HUBSPOT", hsGoodKey}, {"KLAVIYO", klGoodKey}} {
			var out struct {
				ConnectIntegration struct {
					Integration struct{ ID, Platform, Status string }
				}
			}
			u.MustData(t, connectMutation, map[string]any{"i": map[string]any{"platform": c.platform, "apiKey": c.key}}, &out)
			if in := out.ConnectIntegration.Integration; in.Platform != c.platform || in.Status != "CONNECTED" {
				t.Fatalf("connect %s: %+v", c.platform, in)
			}
			u.MustData(t, `mutation($p: Platform!) { syncIntegration(input: {platform: $p}) { sync { id } } }`, map[string]any{"p": c.platform}, nil)
		}
		waitFor(t, "both syncs to succeed", func() bool {
			in := listIntegrations(t, u)
			return in["HUBSPOT"].LastSyncedAt != nil && in["KLAVIYO"].LastSyncedAt != nil
		})
		// A second sync, so that the runs have more than one page.
		u.MustData(t, `mutation { syncIntegration(input: {platform: HUBSPOT}) { sync { id } } }`, nil, nil)
		waitFor(t, "the second sync to succeed", func() bool {
			s := listIntegrations(t, u)["HUBSPOT"].Syncs.Nodes
			return len(s) == 2 && s[0].Status == "SUCCEEDED"
		})
	}

	lists := []struct{ field, args, selection string }{
		{"deals", "", "id hubspotId name"},
		{"deals", `, stage: "appointmentscheduled"`, "id hubspotId name"},
		{"contacts", "", "id hubspotId email"},
		{"emailCampaigns", "", "id klaviyoId name"},
		{"emailFlows", "", "id klaviyoId name"},
	}
	for _, l := range lists {
		t.Run("walk "+l.field+l.args, func(t *testing.T) {
			all := walkConnection(t, alice.c, l.field, l.args, l.selection, 50)
			if len(all) == 0 {
				t.Fatal("nothing synced")
			}
			for first := 1; first <= len(all)+1; first++ {
				if got := walkConnection(t, alice.c, l.field, l.args, l.selection, first); !slices.Equal(got, all) {
					t.Errorf("in pages of %d: %v, want %v", first, got, all)
				}
			}
		})
	}
	t.Run("walk an integration's syncs", func(t *testing.T) {
		walk := func(first int) []string {
			var ids []string
			var after any
			for {
				var out struct {
					Integrations []struct {
						Platform string
						Syncs    gqlConnection
					}
				}
				alice.c.MustData(t, `query($first: Int, $after: String) { integrations { platform syncs(first: $first, after: $after) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } } }`,
					map[string]any{"first": first, "after": after}, &out)
				s := out.Integrations[1].Syncs // HUBSPOT
				for _, e := range s.Edges {
					ids = append(ids, e.Node["id"].(string))
				}
				if !s.PageInfo.HasNextPage {
					if len(ids) != s.TotalCount {
						t.Fatalf("walked %d runs, totalCount %d", len(ids), s.TotalCount)
					}
					return ids
				}
				after = *s.PageInfo.EndCursor
			}
		}
		all := walk(50)
		if len(all) != 2 {
			t.Fatalf("HubSpot runs: %v", all)
		}
		if got := walk(1); !slices.Equal(got, all) {
			t.Errorf("in pages of 1: %v, want %v", got, all)
		}
	})

	t.Run("first at the edges", func(t *testing.T) {
		for _, tt := range []struct {
			first int
			code  string
		}{{0, "BAD_USER_INPUT"}, {1, ""}, {100, ""}, {101, "BAD_USER_INPUT"}} {
			for _, field := range []string{"deals", "contacts", "emailCampaigns", "emailFlows"} {
				r := alice.c.Do(t, fmt.Sprintf(`query($f: Int) { %s(first: $f) { nodes { id } } }`, field), map[string]any{"f": tt.first})
				if r.Code() != tt.code || tt.code != "" && r.Errors[0].Extensions["field"] != "first" {
					t.Errorf("%s(first: %d): %+v, want %q", field, tt.first, r.Errors, tt.code)
				}
			}
		}
		for _, tt := range []struct {
			first int
			code  string
		}{{0, "BAD_USER_INPUT"}, {50, ""}, {51, "BAD_USER_INPUT"}} {
			r := alice.c.Do(t, `query($f: Int) { integrations { syncs(first: $f) { nodes { id } } } }`, map[string]any{"f": tt.first})
			if r.Code() != tt.code {
				t.Errorf("syncs(first: %d): %+v, want %q", tt.first, r.Errors, tt.code)
			}
		}
	})
	t.Run("a bad cursor is BAD_USER_INPUT on after", func(t *testing.T) {
		for _, q := range []string{
			`query($a: String) { deals(after: $a) { nodes { id } } }`,
			`query($a: String) { contacts(after: $a) { nodes { id } } }`,
			`query($a: String) { emailCampaigns(after: $a) { nodes { id } } }`,
			`query($a: String) { emailFlows(after: $a) { nodes { id } } }`,
			`query($a: String) { integrations { syncs(after: $a) { nodes { id } } } }`,
		} {
			r := alice.c.Do(t, q, map[string]any{"a": "not a cursor!"})
			if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "after" {
				t.Errorf("%s: %+v", q, r.Errors)
			}
		}
	})

	// Every object of Alice's, by its global id, is what the typed field
	// returned; the same id is NOT_FOUND for Bob.
	var objs struct {
		Integrations []map[string]any
		Deals        struct{ Nodes []map[string]any }
		Contacts     struct{ Nodes []map[string]any }
		Campaigns    struct{ Nodes []map[string]any }
		Flows        struct{ Nodes []map[string]any }
	}
	const fields = `integrations { __typename id platform status accountLabel } deals { nodes { __typename id hubspotId name stage amount } }
		contacts { nodes { __typename id hubspotId email } } campaigns: emailCampaigns { nodes { __typename id klaviyoId name campaignStatus: status } }
		flows: emailFlows { nodes { __typename id klaviyoId name triggerType } }`
	alice.c.MustData(t, `{ `+fields+` }`, nil, &objs)
	var runs struct {
		Integrations []struct {
			Syncs struct{ Nodes []map[string]any }
		}
	}
	alice.c.MustData(t, `{ integrations { syncs { nodes { __typename id platform syncStatus: status recordsWritten } } } }`, nil, &runs)
	all := append([]map[string]any{}, objs.Integrations...)
	for _, l := range [][]map[string]any{objs.Deals.Nodes, objs.Contacts.Nodes, objs.Campaigns.Nodes, objs.Flows.Nodes, runs.Integrations[1].Syncs.Nodes} {
		if len(l) == 0 {
			t.Fatalf("an empty list: %+v", objs)
		}
		all = append(all, l...)
	}
	const nodeQuery = `query($id: ID!) { node(id: $id) { __typename id
		... on Integration { platform status accountLabel }
		... on IntegrationSync { platform syncStatus: status recordsWritten }
		... on Deal { hubspotId name stage amount }
		... on Contact { hubspotId email }
		... on EmailCampaign { klaviyoId name campaignStatus: status }
		... on EmailFlow { klaviyoId name triggerType } } }`
	for _, want := range all {
		t.Run(fmt.Sprintf("node(id) of a %s", want["__typename"]), func(t *testing.T) {
			var got struct{ Node map[string]any }
			alice.c.MustData(t, nodeQuery, map[string]any{"id": want["id"]}, &got)
			if !reflect.DeepEqual(got.Node, want) {
				t.Errorf("node = %v, want %v", got.Node, want)
			}
			r := bob.c.Do(t, nodeQuery, map[string]any{"id": want["id"]})
			if r.Code() != "NOT_FOUND" || string(r.Data) != `{"node":null}` {
				t.Errorf("Bob's node(id) of Alice's %s: %s %+v, want NOT_FOUND and null", want["__typename"], r.Data, r.Errors)
			}
		})
	}
	t.Run("one account synced by two organizations has distinct ids", func(t *testing.T) {
		var theirs struct {
			Deals struct{ Nodes []map[string]any }
			Flows struct{ Nodes []map[string]any }
		}
		bob.c.MustData(t, `{ deals { nodes { id hubspotId } } flows: emailFlows { nodes { id klaviyoId } } }`, nil, &theirs)
		if len(theirs.Deals.Nodes) != len(objs.Deals.Nodes) {
			t.Fatalf("Bob has %d deals, Alice %d", len(theirs.Deals.Nodes), len(objs.Deals.Nodes))
		}
		for i, d := range theirs.Deals.Nodes {
			if d["hubspotId"] != objs.Deals.Nodes[i]["hubspotId"] || d["id"] == objs.Deals.Nodes[i]["id"] {
				t.Errorf("deal %d: Bob's %v, Alice's %v; want the same HubSpot id under different ids", i, d, objs.Deals.Nodes[i])
			}
		}
		if theirs.Flows.Nodes[0]["id"] == objs.Flows.Nodes[0]["id"] {
			t.Errorf("both organizations' flow has the id %v", theirs.Flows.Nodes[0]["id"])
		}
	})
	t.Run("a malformed id is BAD_USER_INPUT", func(t *testing.T) {
		if r := alice.c.Do(t, nodeQuery, map[string]any{"id": "nope"}); r.Code() != "BAD_USER_INPUT" {
			t.Errorf("node(id: nope): %+v", r.Errors)
		}
	})
}

// An integration's status and its newest run are read as one: while a
// worker runs syncs one after another, some of them on a refused key, no
// answer of readers polling the dashboard's integrations shows a run that
// ended beside an integration still SYNCING, or a status that contradicts
// the run.
func TestIntegrationStatusNeverContradictsItsNewestRun(t *testing.T) {
	p := newPlatforms(t)
	env := apptest.Start(t, dbs, p.configure)
	alice := signUp(t, env, "alice@example.com", "Acme")
	if r := connect(t, alice.c, "HUBSPOT", hsGoodKey, ""); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	const query = `{ integrations { platform status lastError syncs(first: 1) { nodes { id status } } } }`
	want := map[string]string{"QUEUED": "", "RUNNING": "SYNCING", "SUCCEEDED": "CONNECTED", "FAILED": "ERROR"}

	var mu sync.Mutex
	var contradictions []string
	answers := 0
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
				var out struct{ Integrations []integrationView }
				alice.c.MustData(t, query, nil, &out)
				for _, in := range out.Integrations {
					if in.Platform != "HUBSPOT" || len(in.Syncs.Nodes) == 0 {
						continue
					}
					run := in.Syncs.Nodes[0]
					w := want[run.Status]
					mu.Lock()
					answers++
					if w != "" && in.Status != w || w == "" && in.Status == "SYNCING" {
						contradictions = append(contradictions, fmt.Sprintf("integration %s beside run %s %s", in.Status, run.ID, run.Status))
					}
					mu.Unlock()
				}
			}
		})
	}
	const rounds = 6
	for round := range rounds {
		if round == rounds-3 {
			p.acct.Revoke(platformtest.HubSpot, http.StatusUnauthorized)
		}
		var out struct {
			SyncIntegration struct{ Sync struct{ ID string } }
		}
		alice.c.MustData(t, `mutation { syncIntegration(input: {platform: HUBSPOT}) { sync { id } } }`, nil, &out)
		id := out.SyncIntegration.Sync.ID
		waitFor(t, "the sync to end", func() bool {
			for _, r := range listIntegrations(t, alice.c)["HUBSPOT"].Syncs.Nodes {
				if r.ID == id {
					return r.Status == "SUCCEEDED" || r.Status == "FAILED"
				}
			}
			return false
		})
	}
	close(stop)
	readers.Wait()
	if len(contradictions) > 0 {
		t.Errorf("%d of %d answers contradict themselves, the first: %v", len(contradictions), answers, contradictions[:min(5, len(contradictions))])
	}
	if got := listIntegrations(t, alice.c)["HUBSPOT"]; got.Status != "ERROR" || got.Syncs.Nodes[0].Status != "FAILED" {
		t.Errorf("after the refused key: %+v, want ERROR beside a FAILED run", got)
	}
}
