package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/demo"
)

// demoPassword is the OMNIFY_DEMO_PASSWORD of these tests.
const demoPassword = "sample data for everyone"

// withDemo turns the demo organization on, with demoPassword.
func withDemo(c *config.Config) { c.Demo, c.DemoPassword = true, demoPassword }

// requestRecorder stands in for every platform and counts what reaches it.
type requestRecorder struct {
	srv   *httptest.Server
	count atomic.Int64
	mu    sync.Mutex
	paths []string
}

func newRequestRecorder(t *testing.T) *requestRecorder {
	r := &requestRecorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.count.Add(1)
		r.mu.Lock()
		r.paths = append(r.paths, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		http.Error(w, "no platform here", http.StatusTeapot)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// configure points every platform's base URL at the recorder.
func (r *requestRecorder) configure(c *config.Config) {
	c.TripleWhaleBaseURL, c.HubSpotBaseURL, c.KlaviyoBaseURL = r.srv.URL+"/tw", r.srv.URL+"/hs", r.srv.URL+"/kl"
}

// demoLogIn logs the demo user in with password on a new client.
func demoLogIn(t *testing.T, env *apptest.Env, password string) (*apptest.Client, apptest.Response) {
	t.Helper()
	c := env.Client()
	r := c.Do(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
		map[string]any{"i": map[string]any{"email": demo.Email, "password": password}})
	return c, r
}

type demoIntegration struct {
	Platform, Status, AccountLabel string
	Demo                           bool
	LastSyncedAt                   *string
	Syncs                          struct {
		Nodes []struct{ ID, Status string }
	}
}

func demoIntegrations(t *testing.T, c *apptest.Client) map[string]demoIntegration {
	t.Helper()
	var out struct{ Integrations []demoIntegration }
	c.MustData(t, `{ integrations { platform status accountLabel demo lastSyncedAt syncs(first: 10) { nodes { id status } } } }`, nil, &out)
	m := map[string]demoIntegration{}
	for _, in := range out.Integrations {
		m[in.Platform] = in
	}
	return m
}

// TestDemoOrganization starts on an empty database with the demo on: the
// demo user logs in, the dashboard shows figures, every built-in agent
// finds what the data was built to show, and no platform is ever called,
// neither by syncs asked for nor by scheduled ones.
func TestDemoOrganization(t *testing.T) {
	app.UseBuiltInAnalyzers(t)
	rec := newRequestRecorder(t)
	env := apptest.Start(t, dbs, withDemo, rec.configure, func(c *config.Config) { c.SyncInterval = 2 * time.Second })

	c, r := demoLogIn(t, env, demoPassword)
	if len(r.Errors) > 0 {
		t.Fatalf("demo log in: %+v", r.Errors)
	}
	var me struct {
		Me struct {
			Role         string
			Organization struct {
				Name string
				Demo bool
			}
			Legal struct{ Pending []struct{ Kind string } }
		}
	}
	c.MustData(t, `{ me { role organization { name demo } legal { pending { kind } } } }`, nil, &me)
	if m := me.Me; m.Role != "OWNER" || !m.Organization.Demo || m.Organization.Name != demo.OrganizationName || len(m.Legal.Pending) != 0 {
		t.Fatalf("me: %+v", m)
	}

	ins := demoIntegrations(t, c)
	if len(ins) != 3 {
		t.Fatalf("integrations: %+v", ins)
	}
	for p, in := range ins {
		// The schedule (every 2s here) may already be running a demo sync.
		if in.Status != "CONNECTED" && in.Status != "SYNCING" || !in.Demo || in.LastSyncedAt == nil || in.AccountLabel == "" {
			t.Fatalf("%s: %+v", p, in)
		}
	}

	// The dashboard: the last 30 days and the 30 before.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -30), today.AddDate(0, 0, -1)
	var dash struct {
		MarketingSummary struct {
			Revenue, AdSpend, Roas, EmailRevenue float64
			Orders                               int
			PreviousPeriod                       struct {
				Revenue, AdSpend, EmailRevenue float64
			}
			Daily                                      []struct{ Revenue float64 }
			EmailRevenueByCampaign, EmailRevenueByFlow []struct {
				Name    string
				Revenue float64
			}
		}
		PipelineSummary struct {
			OpenAmount float64
			Stages     []struct {
				Stage string
				Count int
			}
		}
		EmailCampaigns struct {
			TotalCount int
			Nodes      []struct{ Name, Status string }
		}
	}
	c.MustData(t, `query($f: Date!, $t: Date!) {
		marketingSummary(from: $f, to: $t) {
			revenue adSpend roas orders emailRevenue
			previousPeriod { revenue adSpend emailRevenue }
			daily { revenue }
			emailRevenueByCampaign(first: 3) { name revenue }
			emailRevenueByFlow(first: 3) { name revenue }
		}
		pipelineSummary { openAmount stages { stage count } }
		emailCampaigns(first: 5) { totalCount nodes { name status } }
	}`, map[string]any{"f": from.Format(time.DateOnly), "t": to.Format(time.DateOnly)}, &dash)
	ms := dash.MarketingSummary
	if ms.Revenue <= 0 || ms.AdSpend <= 0 || ms.Roas <= 0 || ms.Orders <= 0 || ms.EmailRevenue <= 0 ||
		ms.PreviousPeriod.Revenue <= 0 || ms.PreviousPeriod.EmailRevenue <= 0 || len(ms.Daily) != 30 ||
		len(ms.EmailRevenueByCampaign) == 0 || ms.EmailRevenueByCampaign[0].Revenue <= 0 ||
		len(ms.EmailRevenueByFlow) == 0 || ms.EmailRevenueByFlow[0].Revenue <= 0 {
		t.Fatalf("marketing summary: %+v", ms)
	}
	for _, d := range ms.Daily {
		if d.Revenue <= 0 {
			t.Fatalf("a day without revenue: %+v", ms.Daily)
		}
	}
	if p := dash.PipelineSummary; p.OpenAmount <= 0 || len(p.Stages) < 5 {
		t.Fatalf("pipeline: %+v", p)
	}
	if e := dash.EmailCampaigns; e.TotalCount < 20 || len(e.Nodes) != 5 {
		t.Fatalf("campaigns: %+v", e)
	}

	// Every built-in agent succeeds and finds what the data shows.
	ids := agentIDs(t, c)
	for key, want := range map[string]string{
		agents.KeyROASGuardian:  "Days below target",
		agents.KeyPipelineScout: "Stale deals",
		agents.KeyEmailAuditor:  "No post-purchase flow",
	} {
		e := finished(t, c, runAgent(t, c, ids[key], nil))
		if e.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s %v", key, e.Status, e.Error)
		}
		var titles []string
		for _, f := range e.Result.Findings {
			titles = append(titles, f.Title)
		}
		if !strings.Contains(strings.Join(titles, "; "), want) {
			t.Fatalf("%s found %q, not %q; summary %q", key, titles, want, e.Result.Summary)
		}
		if key == agents.KeyROASGuardian && !strings.Contains(strings.Join(titles, "; "), "Sudden ROAS drop") {
			t.Fatalf("ROAS Guardian found no drop: %q", titles)
		}
	}

	// A sync asked for on each demo integration succeeds, and the schedule
	// (due every 2s here) runs demo syncs too; none calls a platform.
	before, asked := map[string]int{}, map[string]string{}
	for p, in := range ins {
		before[p] = len(in.Syncs.Nodes)
		var out struct {
			SyncIntegration struct{ Sync struct{ ID, Status string } }
		}
		c.MustData(t, `mutation($i: SyncIntegrationInput!) { syncIntegration(input: $i) { sync { id status } } }`,
			map[string]any{"i": map[string]any{"platform": p}}, &out)
		asked[p] = out.SyncIntegration.Sync.ID
	}
	waitFor(t, "the requested sync and another demo sync of each platform to succeed", func() bool {
		for p, in := range demoIntegrations(t, c) {
			ok, done := 0, false
			for _, s := range in.Syncs.Nodes {
				switch s.Status {
				case "SUCCEEDED":
					ok++
					done = done || s.ID == asked[p]
				case "FAILED":
					t.Fatalf("%s demo sync failed: %+v", p, in)
				}
			}
			if !done || ok < before[p]+2 || !in.Demo {
				return false
			}
		}
		return true
	})
	if n := rec.count.Load(); n != 0 {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		t.Fatalf("the platforms received %d requests: %v", n, rec.paths)
	}
	// The regenerated data still shows the same figures.
	var again struct {
		MarketingSummary struct{ Revenue, EmailRevenue float64 }
	}
	c.MustData(t, `query($f: Date!, $t: Date!) { marketingSummary(from: $f, to: $t) { revenue emailRevenue } }`,
		map[string]any{"f": from.Format(time.DateOnly), "t": to.Format(time.DateOnly)}, &again)
	sameDay := time.Now().UTC().Truncate(24 * time.Hour).Equal(today) // else the data moved on a day
	if sameDay && (again.MarketingSummary.Revenue != ms.Revenue || again.MarketingSummary.EmailRevenue != ms.EmailRevenue) {
		t.Fatalf("after the demo syncs: %+v, before %v and %v", again.MarketingSummary, ms.Revenue, ms.EmailRevenue)
	}

	// Disconnecting works as for any integration.
	var disc struct {
		DisconnectIntegration struct{ Integration demoIntegration }
	}
	c.MustData(t, `mutation($i: DisconnectIntegrationInput!) { disconnectIntegration(input: $i) { integration { platform status demo } } }`,
		map[string]any{"i": map[string]any{"platform": "HUBSPOT"}}, &disc)
	if in := disc.DisconnectIntegration.Integration; in.Status != "DISCONNECTED" || in.Demo {
		t.Fatalf("disconnected: %+v", in)
	}

	// Nobody else's organization is the demo.
	other := signUp(t, env, "owner@example.com", "Real Store")
	var o struct {
		Me struct{ Organization struct{ Demo bool } }
	}
	other.c.MustData(t, `{ me { organization { demo } } }`, nil, &o)
	if o.Me.Organization.Demo {
		t.Fatal("a new sign-up's organization is the demo")
	}
}

// countDocs returns how many documents of collection the env's database holds.
func countDocs(t *testing.T, env *apptest.Env, collection string) int64 {
	t.Helper()
	n, err := env.Database(t).Collection(collection).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDemoOrganizationOnce starts twice on one database: the second start
// creates nothing, and the password stays.
func TestDemoOrganizationOnce(t *testing.T) {
	name := dbs.DatabaseName(t)
	sameDB := func(c *config.Config) { c.MongoDatabase = name }
	first := apptest.Start(t, dbs, withDemo, sameDB)
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	second := apptest.Start(t, dbs, sameDB, func(c *config.Config) { c.Demo, c.DemoPassword = true, "another password, unused" })
	if o, u := countDocs(t, second, "organizations"), countDocs(t, second, "users"); o != 1 || u != 1 {
		t.Fatalf("%d organizations and %d users after two starts", o, u)
	}
	if _, r := demoLogIn(t, second, demoPassword); len(r.Errors) > 0 {
		t.Fatalf("the first password no longer works: %+v", r.Errors)
	}
}

// TestDemoOrganizationConcurrentStarts starts two apps at once on one
// empty database: exactly one creates the demo organization.
func TestDemoOrganizationConcurrentStarts(t *testing.T) {
	name := dbs.DatabaseName(t)
	results := make([]demo.Result, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			cfg, _ := config.Load(func(string) string { return "" })
			cfg.HTTPAddr, cfg.MongoURI, cfg.MongoDatabase, cfg.DataDir = "127.0.0.1:0", dbs.URI(), name, t.TempDir()
			cfg.Demo, cfg.DemoPassword = true, demoPassword
			a, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				errs[i] = err
				return
			}
			results[i] = a.Demo()
			errs[i] = a.Close()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	created := 0
	for _, r := range results {
		switch r.Outcome {
		case demo.Created:
			created++
		case demo.Exists, demo.InProgress:
		default:
			t.Fatalf("outcome %q", r.Outcome)
		}
	}
	if created != 1 {
		t.Fatalf("outcomes %+v: want one creation", results)
	}
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MongoDatabase = name })
	if o, u := countDocs(t, env, "organizations"), countDocs(t, env, "users"); o != 1 || u != 1 {
		t.Fatalf("%d organizations and %d users after two concurrent starts", o, u)
	}
	if _, r := demoLogIn(t, env, demoPassword); len(r.Errors) > 0 {
		t.Fatalf("demo log in: %+v", r.Errors)
	}
}

// TestDemoOff: with OMNIFY_DEMO=false nothing is created; on a database
// that already has organizations, nothing either.
func TestDemoOff(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.Demo = false })
	if n := countDocs(t, env, "organizations"); n != 0 {
		t.Fatalf("%d organizations with the demo off", n)
	}
	signUp(t, env, "first@example.com", "First Store")
	name := env.Config.MongoDatabase
	again := apptest.Start(t, dbs, withDemo, func(c *config.Config) { c.MongoDatabase = name })
	if n := countDocs(t, again, "organizations"); n != 1 {
		t.Fatalf("%d organizations: a demo was added to a database in use", n)
	}
}

// TestDemoPasswordTooShort: start-up fails, naming the variable.
func TestDemoPasswordTooShort(t *testing.T) {
	cfg, _ := config.Load(func(string) string { return "" })
	cfg.HTTPAddr, cfg.MongoURI, cfg.MongoDatabase, cfg.DataDir = "127.0.0.1:0", dbs.URI(), dbs.DatabaseName(t), t.TempDir()
	cfg.Demo, cfg.DemoPassword = true, "short"
	a, err := app.New(context.Background(), cfg, app.Options{})
	if err == nil {
		_ = a.Close()
		t.Fatal("started with a demo password that is too short")
	}
	if !strings.Contains(err.Error(), "OMNIFY_DEMO_PASSWORD") {
		t.Fatalf("error %q does not name OMNIFY_DEMO_PASSWORD", err)
	}
}
