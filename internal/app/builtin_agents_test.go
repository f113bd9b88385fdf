package app_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
)

// execution is what TestBuiltInAgentsReadTheSyncedData reads of a finished
// execution.
type execution struct {
	Status string
	Error  *string
	Result struct {
		Summary  string
		Findings []struct {
			Severity, Title, Detail string
		}
		Recommendations []string
		Metrics         map[string]any
	}
	Events []struct {
		Type, Message string
	}
}

func finished(t *testing.T, c *apptest.Client, id string) execution {
	t.Helper()
	waitEnded(t, c, id)
	var out struct{ AgentExecution execution }
	c.MustData(t, `query($id: ID!) { agentExecution(id: $id) { status error result events { type message } } }`, map[string]any{"id": id}, &out)
	return out.AgentExecution
}

// TestBuiltInAgentsReadTheSyncedData runs each built-in agent on the data
// the platform fake serves and compares its findings with figures computed
// here from the same data.
func TestBuiltInAgentsReadTheSyncedData(t *testing.T) {
	app.UseBuiltInAnalyzers(t)
	p := newPlatforms(t)
	env := apptest.Start(t, dbs, p.configure)
	owner := signUp(t, env, "owner@example.com", "Acme")
	ids := agentIDs(t, owner.c)

	// Before anything is connected, each agent says what to connect.
	for key, platform := range map[string]string{agents.KeyROASGuardian: "Triple Whale", agents.KeyPipelineScout: "HubSpot", agents.KeyEmailAuditor: "Klaviyo"} {
		e := finished(t, owner.c, runAgent(t, owner.c, ids[key], nil))
		if e.Status != "FAILED" || e.Error == nil || !strings.Contains(*e.Error, platform) {
			t.Fatalf("%s without %s: %s %v", key, platform, e.Status, e.Error)
		}
	}

	for _, c := range []struct{ platform, key, shop string }{{"TRIPLE_WHALE", twGoodKey, shop}, {"HUBSPOT", hsGoodKey, ""}, {"KLAVIYO", klGoodKey, ""}} {
		if r := connect(t, owner.c, c.platform, c.key, c.shop); len(r.Errors) != 0 {
			t.Fatalf("connect %s: %+v", c.platform, r.Errors)
		}
	}
	waitFor(t, "the first syncs", func() bool {
		for _, i := range listIntegrations(t, owner.c) {
			if i.LastSyncedAt == nil {
				return false
			}
		}
		return true
	})

	t.Run("ROAS Guardian", func(t *testing.T) {
		e := finished(t, owner.c, runAgent(t, owner.c, ids[agents.KeyROASGuardian], map[string]any{"days": 14, "targetRoas": 6}))
		if e.Status != "SUCCEEDED" {
			t.Fatalf("%s %v", e.Status, e.Error)
		}
		yesterday := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
		var revenue, spend float64
		for d := yesterday.AddDate(0, 0, -13); !d.After(yesterday); d = d.AddDate(0, 0, 1) {
			f := twDay(d)
			revenue, spend = revenue+f.Revenue, spend+f.AdSpend
		}
		got, _ := e.Result.Metrics["averageRoas"].(float64)
		if math.Abs(got-revenue/spend) > 1e-9 {
			t.Errorf("average ROAS %v, want %v (%v / %v)", got, revenue/spend, revenue, spend)
		}
		// Every day's ROAS is (100 + day of month) / 20, under 6.6: with a
		// target of 6 some days fall below it.
		if !hasFinding(e, "below") {
			t.Errorf("no finding about days below target: %+v", e.Result.Findings)
		}
		if len(e.Result.Recommendations) == 0 || e.Result.Summary == "" {
			t.Errorf("no summary or recommendation: %+v", e.Result)
		}
	})

	t.Run("Pipeline Scout", func(t *testing.T) {
		e := finished(t, owner.c, runAgent(t, owner.c, ids[agents.KeyPipelineScout], nil))
		if e.Status != "SUCCEEDED" {
			t.Fatalf("%s %v", e.Status, e.Error)
		}
		var open int
		var openAmount float64
		for _, d := range p.acct.Deals() {
			if d.Stage != "closedwon" && d.Stage != "closedlost" {
				open++
				openAmount += *d.Amount
			}
		}
		m := e.Result.Metrics
		if m["openDeals"] != float64(open) || m["openAmount"] != openAmount || m["totalDeals"] != float64(len(p.acct.Deals())) {
			t.Errorf("metrics %v, want %d open deals worth %v of %d", m, open, openAmount, len(p.acct.Deals()))
		}
		// The deals last changed in February: every open one is stale.
		if !hasFinding(e, "stale") {
			t.Errorf("no finding about stale deals: %+v", e.Result.Findings)
		}
	})

	t.Run("Email Auditor", func(t *testing.T) {
		e := finished(t, owner.c, runAgent(t, owner.c, ids[agents.KeyEmailAuditor], nil))
		if e.Status != "SUCCEEDED" {
			t.Fatalf("%s %v", e.Status, e.Error)
		}
		// The account's only flow is a live welcome series: abandoned cart
		// and post-purchase are missing.
		flows, _ := json.Marshal(e.Result.Metrics["coreFlows"])
		for _, missing := range []string{"abandoned", "post"} {
			if !hasFinding(e, missing) {
				t.Errorf("no finding about the %s flow: %+v (core flows %s)", missing, e.Result.Findings, flows)
			}
		}
		// Its email revenue is what Klaviyo attributes to the period's
		// emails, not "Placed Order" (every order of this shop).
		from, _ := time.Parse(time.DateOnly, fmt.Sprint(e.Result.Metrics["from"]))
		to, _ := time.Parse(time.DateOnly, fmt.Sprint(e.Result.Metrics["to"]))
		revenue, _ := e.Result.Metrics["emailRevenue"].(float64)
		if want := p.acct.Attributed(from, to).Revenue; want == 0 || math.Abs(revenue-want) > 1e-6 ||
			math.Abs(revenue-p.acct.Totals(from, to).EmailRevenue) < 1e-6 {
			t.Errorf("emailRevenue %v from %v to %v, want the attributed %v (Placed Order %v)", revenue, from, to, want, p.acct.Totals(from, to).EmailRevenue)
		}
		// 3 opens of 100 received each day: a 3% open rate, under the threshold.
		if rate, _ := e.Result.Metrics["openRate"].(float64); math.Abs(rate-0.03) > 1e-9 {
			t.Errorf("open rate %v, want 0.03", rate)
		}
		findings := 0
		for _, ev := range e.Events {
			if ev.Type == "FINDING" {
				findings++
			}
		}
		if findings != len(e.Result.Findings) {
			t.Errorf("%d FINDING events for %d findings", findings, len(e.Result.Findings))
		}
	})
}

// hasFinding reports whether a finding's title or detail mentions word.
func hasFinding(e execution, word string) bool {
	for _, f := range e.Result.Findings {
		if strings.Contains(strings.ToLower(f.Title+" "+f.Detail), word) {
			return true
		}
	}
	return false
}
