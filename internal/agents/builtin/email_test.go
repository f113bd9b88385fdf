package builtin

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// emailDays returns one EmailDay for each of the n days ending yesterday.
func emailDays(n, received, opened, clicked int, revenue float64) []EmailDay {
	var out []EmailDay
	for i := n; i >= 1; i-- {
		out = append(out, EmailDay{Date: utcDay(today).AddDate(0, 0, -i), Received: received, Opened: opened, Clicked: clicked, Revenue: revenue})
	}
	return out
}

// sent returns a sent campaign per send time.
func sent(times ...time.Time) []Campaign {
	var out []Campaign
	for i, at := range times {
		out = append(out, Campaign{ID: string(rune('a' + i)), Name: "Campaign", Status: "Sent", SendTime: ptr(at)})
	}
	return out
}

// liveCore are live flows that cover the three core flows.
func liveCore() []Flow {
	return []Flow{
		{ID: "w", Name: "Welcome series", Status: "live", TriggerType: "Added to List"},
		{ID: "c", Name: "Abandoned cart", Status: "live", TriggerType: "Metric"},
		{ID: "p", Name: "Post-purchase thank you", Status: "live", TriggerType: "Metric"},
	}
}

// weekly are sends every 7 days from 16 February: 5 in the 30 days before
// today, the last 2 days ago.
func weekly() []Campaign {
	return sent(day(2, 16), day(2, 23), day(3, 2), day(3, 9), day(3, 13))
}

func TestEmailAuditor(t *testing.T) {
	flows := []Flow{
		{ID: "f1", Name: "Welcome Series", Status: "live", TriggerType: "Added to List"},
		{ID: "f2", Name: "Abandoned Checkout", Status: "draft", TriggerType: "Metric"},
		{ID: "f3", Name: "Browse reminder", Status: "live", TriggerType: "Metric"},
	}
	campaigns := []Campaign{
		{ID: "c1", Name: "First in window", Status: "Sent", SendTime: ptr(day(2, 13))},
		{ID: "c2", Name: "Just before", Status: "Sent", SendTime: ptr(day(2, 13).Add(-time.Minute))},
		{ID: "c3", Name: "March news", Status: "sent", SendTime: ptr(day(3, 5).Add(10 * time.Hour))},
		{ID: "c4", Name: "Draft", Status: "Draft"},
		{ID: "c5", Name: "Spring", Status: "Scheduled", SendTime: ptr(day(3, 20))},
		{ID: "c6", Name: "Today", Status: "Sent", SendTime: ptr(day(3, 15).Add(8 * time.Hour))},
	}
	// 30 days of 1,000 received, 150 opened, 5 clicked, $60; the days
	// around the window do not count.
	days := append(emailDays(30, 1000, 150, 5, 60),
		EmailDay{Date: day(2, 12), Received: 1e6, Opened: 1e6}, EmailDay{Date: day(3, 15), Received: 1e6, Opened: 1e6})
	r := EmailAuditor(EmailParams{}, campaigns, flows, days, today)
	wantWellFormed(t, r)
	// Rates: 4,500 / 30,000 = 15%, 150 / 30,000 = 0.5%. Cadence: 2 sends
	// (13 February, 5 March) in 30 days = 0.467 a week, 20 days apart, the
	// last 10 days ago.
	wantMetrics(t, r.Metrics, map[string]any{
		"days": 30, "from": "2026-02-13", "to": "2026-03-14", "daysWithData": 30,
		"received": 30000, "opened": 4500, "clicked": 150, "emailRevenue": 1800.0,
		"openRate": 0.15, "clickRate": 0.005,
		"cadenceFrom": "2026-02-13", "cadenceTo": "2026-03-14",
		"campaignsSent": 2, "campaignsPerWeek": 2 * 7 / 30.0, "campaignsScheduled": 1,
		"longestGapDays": 20, "daysSinceLastSend": 10, "lastSend": "2026-03-05",
		"flows": 3,
		"coreFlows": map[string]any{
			"welcome":       map[string]any{"status": "live", "flowIds": []string{"f1"}},
			"abandonedCart": map[string]any{"status": "notLive", "flowIds": []string{"f2"}},
			"postPurchase":  map[string]any{"status": "missing", "flowIds": []string{}},
		},
	})
	want := []string{
		"warning: Abandoned cart flow not live",
		"warning: No post-purchase flow",
		"warning: Campaign cadence",
		"warning: Long gap between campaigns",
		"warning: Low open rate",
		"warning: Low click rate",
	}
	if got := titles(r); !slices.Equal(got, want) {
		t.Errorf("findings %q\nwant %q", got, want)
	}
	wantText(t, "draft", finding(t, r, "Abandoned cart flow not live").Detail, `"Abandoned Checkout" (draft)`)
	wantText(t, "gap", finding(t, r, "Long gap between campaigns").Detail, "20 days", "2026-02-13", "2026-03-05")
	wantText(t, "open", finding(t, r, "Low open rate").Detail, "4,500 of 30,000", "15.0%", "below 20.0%")
	wantText(t, "summary", r.Summary, "abandoned cart flow is not live", "no post-purchase flow", "only 2 campaigns went out in 30 days", "3 more issues")
	recs := r.Recommendations
	if len(recs) != 6 {
		t.Fatalf("recommendations %q", recs)
	}
	wantText(t, "recommendation", recs[2], "2 campaigns in the last 30 days (0.5 a week)", "at least 5", "plan 3 more")
	wantText(t, "recommendation", recs[3], "the longest was 20 days")
	wantText(t, "recommendation", recs[4], "from 15.0% to 20.0%", "1,500 more opens")
	// 1% of 30,000 is 300: 150 more clicks at $1,800 / 150 = $12 each.
	wantText(t, "recommendation", recs[5], "from 0.50% to 1.0%", "150 more clicks", "about $1,800.00 more revenue", "$12.00 per click")
}

func TestEmailAuditorEdges(t *testing.T) {
	tests := []struct {
		name      string
		params    EmailParams
		campaigns []Campaign
		flows     []Flow
		days      []EmailDay
		want      map[string]any
		findings  []string
		summary   string
	}{
		{
			name: "a healthy program",
			// 20% and 1% exactly: at the thresholds, not below.
			campaigns: weekly(), flows: liveCore(), days: emailDays(30, 1000, 200, 10, 50),
			want:     map[string]any{"openRate": 0.2, "clickRate": 0.01, "campaignsSent": 5, "longestGapDays": 7, "daysSinceLastSend": 2},
			findings: []string{"info: Campaign cadence", "info: Open rate", "info: Click rate"},
			summary:  "Your email looks healthy",
		},
		{
			name:      "one open and one click under the thresholds",
			campaigns: weekly(), flows: liveCore(), days: emailDays(1, 1000, 199, 9, 90),
			params:   EmailParams{Days: 1},
			want:     map[string]any{"openRate": 0.199, "clickRate": 0.009, "received": 1000},
			findings: []string{"warning: Low open rate", "warning: Low click rate", "info: Campaign cadence"},
			summary:  "the open rate is 19.9% and the click rate is 0.90%",
		},
		{
			name:      "no data: the rates cannot be computed",
			campaigns: weekly(), flows: liveCore(),
			want:     map[string]any{"openRate": nil, "clickRate": nil, "daysWithData": 0},
			findings: []string{"info: Campaign cadence", "info: Rates unavailable"},
			summary:  "could not be computed",
		},
		{
			name:      "days with nothing received: the rates cannot be computed",
			campaigns: weekly(), flows: liveCore(), days: emailDays(30, 0, 0, 0, 0),
			want:     map[string]any{"openRate": nil, "clickRate": nil, "daysWithData": 30, "received": 0},
			findings: []string{"info: Campaign cadence", "info: Rates unavailable"},
		},
		{
			name:      "days with opens but nothing received are left out of the rates",
			params:    EmailParams{Days: 3},
			campaigns: weekly(), flows: liveCore(),
			days: []EmailDay{{Date: day(3, 12), Received: 0, Opened: 40, Clicked: 4}, {Date: day(3, 13), Received: 100, Opened: 30, Clicked: 2},
				{Date: day(3, 14), Received: 60, Opened: 10}, {Date: day(3, 14), Received: 40, Opened: 10, Clicked: 2}},
			want: map[string]any{"received": 200, "opened": 50, "clicked": 4, "openRate": 0.25, "clickRate": 0.02,
				"daysWithData": 3, "daysWithoutReceived": []string{"2026-03-12"}},
			findings: []string{"info: Campaign cadence", "info: Days without emails received", "info: Open rate", "info: Click rate"},
			summary:  "with a 25.0% open rate and a 2.0% click rate",
		},
		{
			name:      "a gap of exactly 14 days is fine",
			campaigns: sent(day(2, 14), day(2, 20), day(2, 27), day(3, 13), day(3, 14)),
			flows:     liveCore(), days: emailDays(30, 100, 50, 5, 0),
			want:     map[string]any{"longestGapDays": 14},
			findings: []string{"info: Campaign cadence", "info: Open rate", "info: Click rate"},
		},
		{
			name:      "15 days is too long",
			campaigns: sent(day(2, 14), day(2, 20), day(2, 26), day(3, 13), day(3, 14)),
			flows:     liveCore(), days: emailDays(30, 100, 50, 5, 0),
			want:     map[string]any{"longestGapDays": 15},
			findings: []string{"warning: Long gap between campaigns", "info: Campaign cadence", "info: Open rate", "info: Click rate"},
			summary:  "campaigns paused for 15 days",
		},
		{
			name:      "4 sends in 30 days are under one a week, and 15 days since the last is too long",
			campaigns: sent(day(2, 14), day(2, 20), day(2, 24), day(2, 28)),
			flows:     liveCore(), days: emailDays(30, 100, 50, 5, 0),
			want:     map[string]any{"campaignsSent": 4, "campaignsPerWeek": 4 * 7 / 30.0, "daysSinceLastSend": 15, "longestGapDays": 6},
			findings: []string{"warning: Campaign cadence", "warning: No recent campaign", "info: Open rate", "info: Click rate"},
			summary:  "only 4 campaigns went out in 30 days and the last campaign was 15 days ago",
		},
		{
			name: "no campaigns and no flows",
			days: emailDays(30, 100, 50, 5, 0),
			want: map[string]any{"campaignsSent": 0, "longestGapDays": nil, "daysSinceLastSend": nil},
			findings: []string{"warning: No welcome flow", "warning: No abandoned cart flow", "warning: No post-purchase flow",
				"warning: No campaigns sent", "info: Open rate", "info: Click rate"},
			summary: "there is no welcome flow, there is no abandoned cart flow and there is no post-purchase flow. The findings list 1 more issue.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := EmailAuditor(tt.params, tt.campaigns, tt.flows, tt.days, today)
			wantWellFormed(t, r)
			wantMetrics(t, r.Metrics, tt.want)
			if got := titles(r); !slices.Equal(got, tt.findings) {
				t.Errorf("findings %q\nwant %q", got, tt.findings)
			}
			wantText(t, "summary", r.Summary, tt.summary)
		})
	}
}

// TestCoreFlows matches flows to the core flows by trigger and name.
func TestCoreFlows(t *testing.T) {
	tests := []struct {
		flow Flow
		want []string // the core flows it counts as
	}{
		{Flow{Name: "Newsletter signup", TriggerType: "Added to List"}, []string{"welcome"}},
		{Flow{Name: "WELCOME back", TriggerType: "Metric"}, []string{"welcome"}},
		{Flow{Name: "Cart reminder", TriggerType: "Metric"}, []string{"abandonedCart"}},
		{Flow{Name: "Checkout nudge", TriggerType: "metric"}, []string{"abandonedCart"}},
		{Flow{Name: "Cart reminder", TriggerType: "Added to List"}, []string{"welcome"}},
		{Flow{Name: "Abandoned browse", TriggerType: "Date Based"}, []string{"abandonedCart"}},
		{Flow{Name: "Post purchase follow-up", TriggerType: "Metric"}, []string{"postPurchase"}},
		{Flow{Name: "Thank you", TriggerType: "Metric"}, []string{"postPurchase"}},
		{Flow{Name: "Review request", TriggerType: "Placed Order"}, []string{"postPurchase"}},
		{Flow{Name: "Placed Order - cross-sell", TriggerType: "Metric"}, []string{"postPurchase"}},
		{Flow{Name: "Birthday", TriggerType: "Date Based"}, nil},
		{Flow{Name: "Browse abandonment welcome", TriggerType: "Metric"}, []string{"welcome", "abandonedCart"}},
	}
	for _, tt := range tests {
		t.Run(tt.flow.Name+" / "+tt.flow.TriggerType, func(t *testing.T) {
			for _, status := range []string{"live", "draft"} {
				f := tt.flow
				f.ID, f.Status = "x", status
				core := EmailAuditor(EmailParams{}, nil, []Flow{f}, nil, today).Metrics["coreFlows"].(map[string]any)
				for _, cf := range coreFlows {
					want := "missing"
					if slices.Contains(tt.want, cf.key) {
						want = map[string]string{"live": "live", "draft": "notLive"}[status]
					}
					if got := core[cf.key].(map[string]any)["status"]; got != want {
						t.Errorf("%s flow: %s is %v, want %s", status, cf.key, got, want)
					}
				}
			}
		})
	}
}

// TestEmailAuditorStaysInItsWindow feeds random campaigns and days, inside
// and around the windows, and checks that no finding mentions a day outside
// them and that the rates add up the rate window only.
func TestEmailAuditorStaysInItsWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	statuses := []string{"Sent", "Draft", "Scheduled", "sent"}
	for i := range 500 {
		p := EmailParams{Days: 1 + rng.IntN(60)}
		now := day(1, 1).AddDate(0, 0, rng.IntN(365)).Add(time.Duration(rng.IntN(24)) * time.Hour)
		first := utcDay(now).AddDate(0, 0, -max(p.Days, CadenceDays))
		last := utcDay(now).AddDate(0, 0, -1)
		var campaigns []Campaign
		for range rng.IntN(15) {
			at := now.Add(time.Duration(rng.IntN(100*24)-80*24) * time.Hour)
			campaigns = append(campaigns, Campaign{ID: "c", Status: statuses[rng.IntN(len(statuses))], SendTime: &at})
		}
		var days []EmailDay
		received := 0
		for d := first.AddDate(0, 0, -10); d.Before(now.AddDate(0, 0, 5)); d = d.AddDate(0, 0, 1) {
			if rng.IntN(4) == 0 {
				continue
			}
			e := EmailDay{Date: d, Received: rng.IntN(1000)}
			e.Opened = rng.IntN(e.Received + 1)
			e.Clicked = rng.IntN(e.Opened + 1)
			if !d.Before(utcDay(now).AddDate(0, 0, -p.Days)) && !d.After(last) {
				received += e.Received
			}
			days = append(days, e)
		}
		r := EmailAuditor(p, campaigns, nil, days, now)
		if r.Metrics["received"] != received {
			t.Fatalf("case %d: received %v, want %d", i, r.Metrics["received"], received)
		}
		wantDatesWithin(t, r, first, last)
	}
}
