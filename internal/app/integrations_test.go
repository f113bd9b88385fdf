package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// platforms are small servers that speak each platform's documented API,
// with figures the test can compare the dashboard against.
type platforms struct {
	tw, hs, kl *httptest.Server
	rejectTW   atomic.Bool // answer Triple Whale with 401 from now on
}

const (
	twGoodKey = "tw-key-0123456789"
	hsGoodKey = "pat-na1-0123456789"
	klGoodKey = "pk_0123456789abcdef"
	shop      = "acme.myshopify.com"
)

// Daily Triple Whale figures are a function of the day, so any period's
// totals can be computed here too.
func twDay(d time.Time) (revenue, spend, orders float64) {
	return float64(100 + d.Day()), 20, float64(1 + d.Day()%3)
}

func newPlatforms(t *testing.T) *platforms {
	t.Helper()
	p := &platforms{}
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	p.tw = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != twGoodKey || p.rejectTW.Load() {
			writeJSON(w, 401, map[string]any{"success": false, "message": "Invalid API key"})
			return
		}
		switch r.URL.Path {
		case "/users/api-keys/me":
			writeJSON(w, 200, map[string]any{"id": "key-1"})
		case "/summary-page/get-data":
			var body struct {
				ShopDomain string
				Period     struct{ Start, End string }
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			day, err := time.Parse("2006-01-02", body.Period.Start)
			if err != nil || body.ShopDomain != shop {
				writeJSON(w, 400, map[string]any{"success": false, "message": "bad request"})
				return
			}
			rev, spend, orders := twDay(day)
			writeJSON(w, 200, map[string]any{"metrics": []any{
				map[string]any{"id": "sales", "values": map[string]any{"current": rev, "previous": 0}},
				map[string]any{"id": "blendedAds", "values": map[string]any{"current": fmt.Sprint(spend)}},
				map[string]any{"id": "roas", "values": map[string]any{"current": rev / spend}},
				map[string]any{"id": "orders", "values": map[string]any{"current": orders}},
				map[string]any{"id": "shopifyAov", "values": map[string]any{"current": rev / orders}},
				map[string]any{"id": "totalNetProfit", "values": map[string]any{"current": rev / 4}},
				map[string]any{"id": "someMetricWeIgnore", "values": map[string]any{"current": "n/a"}},
			}})
		default:
			writeJSON(w, 404, map[string]any{"success": false, "message": "not found"})
		}
	}))
	p.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+hsGoodKey {
			writeJSON(w, 401, map[string]any{"status": "error", "message": "Authentication credentials not found.", "correlationId": "c1", "category": "INVALID_AUTHENTICATION"})
			return
		}
		var results []any
		switch r.URL.Path {
		case "/crm/v3/objects/deals":
			for i, d := range []struct{ name, stage, amount string }{
				{"Big retainer", "appointmentscheduled", "1200.50"}, {"Spring launch", "closedwon", "800"},
				{"Lost lead", "closedlost", "300"}, {"Second retainer", "appointmentscheduled", "99.5"},
			} {
				results = append(results, map[string]any{"id": fmt.Sprint(1000 + i), "archived": false,
					"createdAt": "2026-01-01T00:00:00Z", "updatedAt": fmt.Sprintf("2026-02-0%dT00:00:00Z", i+1),
					"properties": map[string]any{"dealname": d.name, "dealstage": d.stage, "amount": d.amount, "pipeline": "default",
						"closedate": "2026-03-01T00:00:00Z", "hs_lastmodifieddate": fmt.Sprintf("2026-02-0%dT00:00:00Z", i+1)}})
			}
		case "/crm/v3/objects/contacts":
			results = append(results, map[string]any{"id": "501", "archived": false, "createdAt": "2026-01-02T00:00:00Z", "updatedAt": "2026-01-02T00:00:00Z",
				"properties": map[string]any{"email": "ann@example.com", "firstname": "Ann", "lastname": "Lee", "createdate": "2026-01-02T00:00:00Z"}})
		default:
			writeJSON(w, 404, map[string]any{"status": "error", "message": "not found"})
			return
		}
		// Two per page, following paging.next.after.
		start := 0
		fmt.Sscan(r.URL.Query().Get("after"), &start)
		end := min(start+2, len(results))
		page := map[string]any{"results": results[min(start, len(results)):end]}
		if end < len(results) {
			page["paging"] = map[string]any{"next": map[string]any{"after": fmt.Sprint(end)}}
		}
		writeJSON(w, 200, page)
	}))
	p.kl = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Klaviyo-API-Key "+klGoodKey || r.Header.Get("revision") != "2024-10-15" {
			writeJSON(w, 401, map[string]any{"errors": []any{map[string]any{"status": "401", "code": "not_authenticated", "title": "Authentication credentials were not provided.", "detail": "Missing or invalid private key."}}})
			return
		}
		w.Header().Set("Content-Type", "application/vnd.api+json")
		list := func(data ...any) map[string]any {
			return map[string]any{"data": data, "links": map[string]any{"self": p.kl.URL + r.URL.RequestURI(), "next": nil}}
		}
		switch r.URL.Path {
		case "/api/accounts":
			writeJSON(w, 200, list(map[string]any{"type": "account", "id": "AC1", "attributes": map[string]any{"contact_information": map[string]any{"organization_name": "Acme Store"}}}))
		case "/api/campaigns":
			if !strings.Contains(r.URL.RawQuery, "filter=") {
				writeJSON(w, 400, map[string]any{"errors": []any{map[string]any{"status": "400", "code": "invalid", "title": "filter is required"}}})
				return
			}
			writeJSON(w, 200, list(
				map[string]any{"type": "campaign", "id": "CA1", "attributes": map[string]any{"name": "Black Friday", "status": "Sent", "send_time": "2026-11-20T10:00:00+00:00", "created_at": "2026-11-01T00:00:00+00:00", "updated_at": "2026-11-20T10:00:00+00:00"}},
				map[string]any{"type": "campaign", "id": "CA2", "attributes": map[string]any{"name": "Winter teaser", "status": "Draft", "send_time": nil, "created_at": "2026-11-02T00:00:00+00:00", "updated_at": "2026-11-02T00:00:00+00:00"}}))
		case "/api/flows":
			writeJSON(w, 200, list(map[string]any{"type": "flow", "id": "FL1", "attributes": map[string]any{"name": "Welcome series", "status": "live", "trigger_type": "Added to List"}}))
		case "/api/metrics":
			writeJSON(w, 200, list(
				map[string]any{"type": "metric", "id": "M1", "attributes": map[string]any{"name": "Opened Email"}},
				map[string]any{"type": "metric", "id": "M2", "attributes": map[string]any{"name": "Clicked Email"}},
				map[string]any{"type": "metric", "id": "M3", "attributes": map[string]any{"name": "Placed Order"}}))
		case "/api/metric-aggregates":
			var body struct {
				Data struct {
					Attributes struct {
						MetricID string   `json:"metric_id"`
						Filter   []string `json:"filter"`
					}
				}
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			from, to := filterDays(body.Data.Attributes.Filter)
			var dates []string
			var counts, sums []float64
			for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
				dates = append(dates, d.Format("2006-01-02T15:04:05+00:00"))
				counts = append(counts, 3)
				sums = append(sums, 10) // 10 of email revenue every day
			}
			writeJSON(w, 200, map[string]any{"data": map[string]any{"type": "metric-aggregate", "id": "x", "attributes": map[string]any{
				"dates": dates, "data": []any{map[string]any{"dimensions": []any{}, "measurements": map[string]any{"count": counts, "sum_value": sums}}}}}})
		default:
			writeJSON(w, 404, map[string]any{"errors": []any{map[string]any{"status": "404", "code": "not_found", "title": "Not found"}}})
		}
	}))
	t.Cleanup(func() { p.tw.Close(); p.hs.Close(); p.kl.Close() })
	return p
}

// filterDays reads Klaviyo's greater-or-equal / less-than datetime filters.
func filterDays(filters []string) (from, to time.Time) {
	for _, f := range filters {
		open, close := strings.Index(f, ","), strings.LastIndex(f, ")")
		if open < 0 || close < open {
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(f[open+1:close]))
		if err != nil {
			continue
		}
		if strings.HasPrefix(f, "greater-or-equal") {
			from = t
		} else {
			to = t
		}
	}
	return from.UTC(), to.UTC()
}

func (p *platforms) configure(c *config.Config) {
	c.TripleWhaleBaseURL, c.HubSpotBaseURL, c.KlaviyoBaseURL = p.tw.URL, p.hs.URL, p.kl.URL
}

const connectMutation = `mutation($i: ConnectIntegrationInput!) { connectIntegration(input: $i) { platform status accountLabel connectedAt } }`

func connect(t *testing.T, c *apptest.Client, platform, key, shopDomain string) apptest.Response {
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
	Syncs            []struct {
		ID, Status     string
		RecordsWritten int
		Error          *string
	}
}

func listIntegrations(t *testing.T, c *apptest.Client) map[string]integrationView {
	t.Helper()
	var out struct{ Integrations []integrationView }
	c.MustData(t, `{ integrations { platform status accountLabel lastSyncedAt lastError syncs(first: 3) { id status recordsWritten error } } }`, nil, &out)
	m := map[string]integrationView{}
	for _, in := range out.Integrations {
		m[in.Platform] = in
	}
	return m
}

// waitFor polls until cond holds, failing the test after a bounded wait.
func waitFor(t *testing.T, what string, cond func() bool) {
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
		var out struct{ SyncIntegration struct{ ID, Status string } }
		alice.c.MustData(t, `mutation($p: Platform!) { syncIntegration(platform: $p) { id status } }`, map[string]any{"p": platform}, &out)
		if s := out.SyncIntegration.Status; s != "QUEUED" && s != "RUNNING" {
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
		if len(in.Syncs) == 0 || in.Syncs[0].Status != "SUCCEEDED" || in.Syncs[0].RecordsWritten == 0 {
			t.Fatalf("%s syncs: %+v", name, in.Syncs)
		}
	}

	// The dashboard shows the platforms' figures.
	to := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	from := to.AddDate(0, 0, -6)
	var want struct{ revenue, spend, orders float64 }
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		r, s, o := twDay(d)
		want.revenue, want.spend, want.orders = want.revenue+r, want.spend+s, want.orders+o
	}
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
		math.Abs(ms.Roas-want.revenue/want.spend) > 1e-9 || ms.EmailRevenue != 70 || len(ms.Daily) != 7 ||
		ms.Daily[0].Date != from.Format("2006-01-02") || ms.PreviousPeriod.Revenue == 0 || ms.Currency == "" {
		t.Fatalf("marketing summary %+v, want revenue %v spend %v orders %v email 70", ms, want.revenue, want.spend, want.orders)
	}

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
		EmailFlows []struct{ Name, TriggerType string }
		Contacts   struct {
			Nodes []struct{ Email, FirstName string }
		}
	}
	alice.c.MustData(t, `{ emailCampaigns { nodes { name status sendTime } } emailFlows { name triggerType } contacts { nodes { email firstName } } }`, nil, &email)
	if len(email.EmailCampaigns.Nodes) != 2 || len(email.EmailFlows) != 1 || email.EmailFlows[0].TriggerType != "Added to List" ||
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
	alice.c.MustData(t, `{ integrations { platform syncs { id status } } }`, nil, nil)
	if extra := env.Commands.Count("find") - base; extra != 1 {
		t.Fatalf("syncs of 3 integrations cost %d extra finds, want 1", extra)
	}

	// A key rejected mid-life marks the integration ERROR with a message to reconnect.
	p.rejectTW.Store(true)
	alice.c.MustData(t, `mutation { syncIntegration(platform: TRIPLE_WHALE) { id } }`, nil, nil)
	waitFor(t, "the rejected sync to fail", func() bool { return listIntegrations(t, alice.c)["TRIPLE_WHALE"].Status == "ERROR" })
	tw := listIntegrations(t, alice.c)["TRIPLE_WHALE"]
	if tw.LastError == nil || !strings.Contains(strings.ToLower(*tw.LastError), "reconnect") || tw.Syncs[0].Status != "FAILED" {
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
	alice.c.MustData(t, `mutation { disconnectIntegration(input: {platform: HUBSPOT}) { status } }`, nil, nil)
	var after struct {
		Deals struct{ Nodes []struct{ ID string } }
	}
	alice.c.MustData(t, `{ deals { nodes { id } } }`, nil, &after)
	if len(after.Deals.Nodes) != 4 {
		t.Fatalf("disconnect dropped data: %+v", after)
	}
	alice.c.MustData(t, `mutation { disconnectIntegration(input: {platform: HUBSPOT, purgeData: true}) { status } }`, nil, nil)
	alice.c.MustData(t, `{ deals { nodes { id } } }`, nil, &after)
	if len(after.Deals.Nodes) != 0 {
		t.Fatalf("purge kept data: %+v", after)
	}
}

func TestAPIRoleQueuesAndWorkerRoleSyncs(t *testing.T) {
	p := newPlatforms(t)
	name := dbs.DatabaseName(t)
	key := []byte("0123456789abcdef0123456789abcdef") // replicas share OMNIFY_SECRET_KEY
	api := apptest.Start(t, dbs, p.configure, func(c *config.Config) { c.Role, c.MongoDatabase, c.SecretKey = config.RoleAPI, name, key })
	alice := signUp(t, api, "alice@example.com", "Acme")
	if r := connect(t, alice.c, "HUBSPOT", hsGoodKey, ""); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	alice.c.MustData(t, `mutation { syncIntegration(platform: HUBSPOT) { id } }`, nil, nil)
	time.Sleep(500 * time.Millisecond) // an API-only process must not run it
	if s := listIntegrations(t, alice.c)["HUBSPOT"].Syncs[0].Status; s != "QUEUED" {
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
		run := listIntegrations(t, alice.c)["HUBSPOT"].Syncs[0]
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
