package demodata_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/agents/builtin"
	"github.com/omnify/bff/internal/integrations/demodata"
)

var today = time.Date(2026, 3, 17, 9, 30, 0, 0, time.UTC)

func TestGenerateIsDeterministic(t *testing.T) {
	a := demodata.Generate(demodata.Seed, today)
	b := demodata.Generate(demodata.Seed, today.Add(10*time.Hour)) // the same UTC day
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two generations for one seed and day differ")
	}
	if c := demodata.Generate(demodata.Seed+1, today); reflect.DeepEqual(a.AdDays, c.AdDays) {
		t.Fatal("another seed gave the same figures")
	}
	if c := demodata.Generate(demodata.Seed, today.AddDate(0, 0, 1)); c.To != a.To.AddDate(0, 0, 1) {
		t.Fatalf("a day later, the data ends %s, want %s", c.To, a.To.AddDate(0, 0, 1))
	}
}

func TestGenerateShape(t *testing.T) {
	d := demodata.Generate(demodata.Seed, today)
	yesterday := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	if d.To != yesterday || len(d.AdDays) != demodata.Days || d.AdDays[len(d.AdDays)-1].Date != yesterday ||
		d.AdDays[0].Date != d.From || len(d.EmailDays) != demodata.Days || len(d.FlowDays) != demodata.Days {
		t.Fatalf("days: from %s to %s, %d ad days, %d email days, %d flow days", d.From, d.To, len(d.AdDays), len(d.EmailDays), len(d.FlowDays))
	}

	// A weekly rhythm: weekends sell more than weekdays (outside the
	// promotion and the bad week).
	var wkRev, weRev float64
	var wk, we int
	var promo, bad, normal []demodata.AdDay
	for _, a := range d.AdDays {
		switch {
		case demodata.InPromotion(a.Date, today):
			promo = append(promo, a)
		case demodata.InBadWeek(a.Date, today):
			bad = append(bad, a)
		default:
			normal = append(normal, a)
			if a.Date.Weekday() == time.Saturday || a.Date.Weekday() == time.Sunday {
				weRev += a.Revenue
				we++
			} else {
				wkRev += a.Revenue
				wk++
			}
		}
		if a.Revenue <= 0 || a.AdSpend <= 0 || a.Orders <= 0 {
			t.Fatalf("day %s has no figures: %+v", a.Date, a)
		}
	}
	if weRev/float64(we) < 1.15*wkRev/float64(wk) {
		t.Fatalf("weekends average %.0f, weekdays %.0f: no weekly rhythm", weRev/float64(we), wkRev/float64(wk))
	}
	avg := func(days []demodata.AdDay) (rev, spend float64) {
		for _, a := range days {
			rev += a.Revenue
			spend += a.AdSpend
		}
		return rev / float64(len(days)), spend / float64(len(days))
	}
	nRev, nSpend := avg(normal)
	pRev, pSpend := avg(promo)
	if len(promo) != demodata.PromotionDays || pRev < 1.8*nRev || pSpend < 1.5*nSpend {
		t.Fatalf("promotion: %d days, revenue %.0f spend %.0f against %.0f and %.0f", len(promo), pRev, pSpend, nRev, nSpend)
	}
	if len(bad) != demodata.BadWeekDays {
		t.Fatalf("bad week has %d days", len(bad))
	}
	for _, a := range bad {
		if a.ROAS() >= 1.6 {
			t.Fatalf("bad week day %s has ROAS %.2f", a.Date.Format(time.DateOnly), a.ROAS())
		}
	}
	for _, a := range normal {
		if a.ROAS() < 2.3 {
			t.Fatalf("ordinary day %s has ROAS %.2f, under the target", a.Date.Format(time.DateOnly), a.ROAS())
		}
	}

	// Stale deals, open pipeline, deals closing this month.
	var stale, open, closing int
	for _, dl := range d.Deals {
		if dl.Stage == "closedwon" || dl.Stage == "closedlost" {
			continue
		}
		open++
		if today.Sub(dl.UpdatedAt) > demodata.StaleAfterDays*24*time.Hour {
			stale++
		}
		if dl.CloseDate != nil && dl.CloseDate.Month() == today.Month() && dl.CloseDate.Year() == today.Year() {
			closing++
		}
	}
	if stale < 2 || open < 6 || closing < 2 {
		t.Fatalf("deals: %d open, %d stale, %d closing this month", open, stale, closing)
	}

	// Flows: welcome and abandoned cart, no post-purchase.
	var names []string
	for _, f := range d.Flows {
		names = append(names, strings.ToLower(f.Name))
		if strings.Contains(strings.ToLower(f.Name), "purchase") || strings.EqualFold(f.TriggerType, "placed order") {
			t.Fatalf("flow %q is a post-purchase flow", f.Name)
		}
	}
	if j := strings.Join(names, ","); !strings.Contains(j, "welcome") || !strings.Contains(j, "cart") {
		t.Fatalf("flows %s lack a welcome or an abandoned cart flow", j)
	}

	// Campaigns about twice a week, some below the rate thresholds, with
	// attributed revenue; flows earn every day.
	var sent, lowOpen, lowClick int
	var campaignRevenue float64
	for _, c := range d.Campaigns {
		if c.Status != "Sent" {
			continue
		}
		sent++
		campaignRevenue += c.Revenue
		if c.OpenRate() < builtin.MinOpenRate {
			lowOpen++
		}
		if c.ClickRate() < builtin.MinClickRate {
			lowClick++
		}
	}
	if sent < 20 || lowOpen == 0 || lowClick == 0 || campaignRevenue <= 0 {
		t.Fatalf("campaigns: %d sent, %d under the open rate, %d under the click rate, revenue %.2f", sent, lowOpen, lowClick, campaignRevenue)
	}
	var flowRevenue float64
	for _, fd := range d.FlowDays {
		for _, v := range fd.Flows {
			flowRevenue += v.Revenue
		}
	}
	if flowRevenue <= 0 {
		t.Fatal("flows earned nothing")
	}
}

// TestAgentsFindWhatTheDataShows runs the built-in agents' analyses on the
// generated data, as the agents read it.
func TestAgentsFindWhatTheDataShows(t *testing.T) {
	for _, day := range []time.Time{today, time.Date(2026, 1, 31, 8, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 23, 0, 0, 0, time.UTC)} {
		d := demodata.Generate(demodata.Seed, day)

		var ads []builtin.AdDay
		for _, a := range d.AdDays {
			ads = append(ads, builtin.AdDay{Date: a.Date, Revenue: a.Revenue, AdSpend: a.AdSpend, Orders: a.Orders})
		}
		roas := builtin.ROASGuardian(builtin.DefaultROASParams(), ads, day)
		if !hasFinding(roas, "Days below target") || !hasFinding(roas, "Sudden ROAS drop") {
			t.Fatalf("%s: ROAS Guardian found %s", day, titles(roas))
		}

		var deals []builtin.Deal
		for _, dl := range d.Deals {
			deals = append(deals, builtin.Deal{ID: dl.ID, Name: dl.Name, Stage: dl.Stage, Pipeline: dl.Pipeline, Amount: dl.Amount,
				CloseDate: dl.CloseDate, UpdatedAt: dl.UpdatedAt})
		}
		pipe := builtin.PipelineScout(builtin.DefaultPipelineParams(), deals, day)
		if !hasFinding(pipe, "Stale deals") || !hasFinding(pipe, "Open pipeline") || !hasFinding(pipe, "Closing this month") {
			t.Fatalf("%s: Pipeline Scout found %s", day, titles(pipe))
		}

		var cs []builtin.Campaign
		for _, c := range d.Campaigns {
			cs = append(cs, builtin.Campaign{ID: c.ID, Name: c.Name, Status: c.Status, SendTime: c.SendTime})
		}
		var fs []builtin.Flow
		for _, f := range d.Flows {
			fs = append(fs, builtin.Flow{ID: f.ID, Name: f.Name, Status: f.Status, TriggerType: f.TriggerType})
		}
		var ds []builtin.EmailDay
		for _, e := range d.EmailDays {
			ds = append(ds, builtin.EmailDay{Date: e.Date, Received: e.Received, Opened: e.Opened, Clicked: e.Clicked})
		}
		mail := builtin.EmailAuditor(builtin.DefaultEmailParams(), cs, fs, ds, day)
		if !hasFinding(mail, "No post-purchase flow") || hasFinding(mail, "No welcome flow") || hasFinding(mail, "No abandoned cart flow") {
			t.Fatalf("%s: Email Auditor found %s", day, titles(mail))
		}
		if !hasFinding(mail, "Low click rate") {
			t.Fatalf("%s: Email Auditor found %s, not the low click rate", day, titles(mail))
		}
	}
}

func hasFinding(r builtin.Report, title string) bool {
	for _, f := range r.Findings {
		if strings.Contains(strings.ToLower(f.Title), strings.ToLower(title)) {
			return true
		}
	}
	return false
}

func titles(r builtin.Report) string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Title)
	}
	return strings.Join(out, "; ")
}
