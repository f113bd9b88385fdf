package builtin

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// steady returns n days ending the day before last, each with revenue
// and spend: trailing history for the day last.
func steady(last time.Time, n int, revenue, spend float64) []AdDay {
	var out []AdDay
	for i := n; i >= 1; i-- {
		out = append(out, AdDay{Date: last.AddDate(0, 0, -i), Revenue: revenue, AdSpend: spend, Orders: 1})
	}
	return out
}

func TestROASGuardian(t *testing.T) {
	// A week analyzed (8 to 14 March) after a steady week at 3.0, with a
	// target of 2.5. Hand-computed:
	//   8 March  300/100 = 3.00, trailing 3.00
	//   9 March  150/100 = 1.50, trailing 3.00: below target, 50% drop
	//  10 March  no data
	//  11 March  no spend (revenue 50): no ROAS
	//  12 March  440/200 = 2.20, trailing (5..9 March) 1350/500 = 2.70;
	//            2.20 >= 0.75 × 2.70 = 2.025: below target, no drop
	//  13 March   90/100 = 0.90, trailing (6..12 March) 1490/600 = 2.4833;
	//            drop 1 - 0.9/2.4833 = 63.76%; the worst day, below 1
	//  14 March  250/100 = 2.50: exactly at target, not below; trailing
	//            (7..13 March) 1280/600 = 2.1333
	// Totals: revenue 1280, spend 600, ROAS 2.1333; to reach 2.5 spend
	// 1280/2.5 = 512, 88 less (14.7%). Days below target: spend 400 for
	// revenue 680, which justified 680/2.5 = 272: 128 over.
	week := append(steady(day(3, 8), 7, 300, 100),
		AdDay{Date: day(3, 8), Revenue: 300, AdSpend: 100, Orders: 1},
		AdDay{Date: day(3, 9), Revenue: 150, AdSpend: 100, Orders: 1},
		AdDay{Date: day(3, 11), Revenue: 50, AdSpend: 0, Orders: 1},
		AdDay{Date: day(3, 12).Add(13 * time.Hour), Revenue: 240, AdSpend: 120, Orders: 1}, // two entries of one day add up
		AdDay{Date: day(3, 12), Revenue: 200, AdSpend: 80, Orders: 1},
		AdDay{Date: day(3, 13), Revenue: 90, AdSpend: 100, Orders: 1},
		AdDay{Date: day(3, 14), Revenue: 250, AdSpend: 100, Orders: 1},
		// Outside the history: ignored.
		AdDay{Date: day(2, 28), Revenue: 1e6, AdSpend: 1},
		AdDay{Date: day(3, 15), Revenue: 1e6, AdSpend: 1},
	)
	r := ROASGuardian(ROASParams{Days: 7, TargetROAS: 2.5}, week, today)
	wantWellFormed(t, r)
	wantMetrics(t, r.Metrics, map[string]any{
		"from": "2026-03-08", "to": "2026-03-14", "days": 7, "targetRoas": 2.5,
		"totalRevenue": 1280.0, "totalAdSpend": 600.0, "totalOrders": 7, "averageRoas": 1280.0 / 600,
		"daysWithData": 6, "daysWithSpend": 5, "daysCompared": 5,
		"daysMissing": []string{"2026-03-10"}, "daysWithoutAds": []string{"2026-03-11"},
		"daysBelowTarget": []string{"2026-03-09", "2026-03-12", "2026-03-13"},
		"drops":           []string{"2026-03-09", "2026-03-13"},
		"worstDay":        map[string]any{"date": "2026-03-13", "roas": 0.9, "revenue": 90.0, "adSpend": 100.0},
	})
	wantTitles := []string{
		"critical: Worst day: 2026-03-13",
		"warning: ROAS below target",
		"warning: Days below target",
		"warning: Sudden ROAS drop on 2026-03-09",
		"warning: Sudden ROAS drop on 2026-03-13",
		"info: Days without data",
		"info: Days without ad spend",
	}
	if got := titles(r); !slices.Equal(got, wantTitles) {
		t.Errorf("findings %q\nwant %q", got, wantTitles)
	}
	drop := finding(t, r, "Sudden ROAS drop on 2026-03-13")
	if !near(drop.Data["trailingRoas"].(float64), 1490.0/600) || !near(drop.Data["drop"].(float64), 1-0.9*600/1490) {
		t.Errorf("drop data %v", drop.Data)
	}
	wantText(t, "drop", drop.Detail, "0.90", "63.8% below", "2.48")
	wantText(t, "average", finding(t, r, "ROAS below target").Detail, "2.13", "$1,280.00 in revenue ÷ $600.00 in ad spend", "14.7% below the target of 2.50")
	wantText(t, "below target", finding(t, r, "Days below target").Detail, "3 of 5 days", "2026-03-12 (2.20)", "$400.00 in ads for $680.00")
	wantText(t, "recommendations", r.Recommendations[0], "averaged 2.13 against a target of 2.50", "at most $512.00", "$88.00 (14.7%) less")
	wantText(t, "recommendations", r.Recommendations[1], "3 days below 2.50", "spending $272.00", "saved $128.00")
	wantText(t, "recommendations", r.Recommendations[2], "2 days", "63.8% on 2026-03-13")
	wantText(t, "summary", r.Summary, "$2.13 for every $1", "below your target of 2.50", "3 of 5 days")
	daily := r.Metrics["daily"].([]map[string]any)
	if len(daily) != 6 || daily[2]["roas"] != nil || daily[3]["adSpend"] != 200.0 || !near(daily[5]["trailingRoas"].(float64), 1280.0/600) {
		t.Errorf("daily = %v", daily)
	}
}

func TestROASGuardianEdges(t *testing.T) {
	yesterday := day(3, 14)
	tests := []struct {
		name     string
		params   ROASParams
		days     []AdDay
		want     map[string]any
		findings []string
		summary  string
		at       time.Time // today when zero
	}{
		{
			name:     "no data",
			params:   ROASParams{Days: 3},
			want:     map[string]any{"averageRoas": nil, "daysWithData": 0, "daysMissing": []string{"2026-03-12", "2026-03-13", "2026-03-14"}, "worstDay": nil},
			findings: []string{"info: No ad data"},
			summary:  "no ad data for the last 3 days",
		},
		{
			name:   "zero spend throughout: no ROAS, no division by zero",
			params: ROASParams{Days: 2},
			days:   []AdDay{{Date: day(3, 13), Revenue: 80}, {Date: yesterday, Revenue: 20}},
			want: map[string]any{"averageRoas": nil, "totalRevenue": 100.0, "totalAdSpend": 0.0, "daysWithSpend": 0,
				"daysWithoutAds": []string{"2026-03-13", "2026-03-14"}, "daysBelowTarget": []string{}, "worstDay": nil},
			findings: []string{"info: Days without ad spend"},
			summary:  "No ad spend was recorded",
		},
		{
			name:     "exactly at target is not below",
			params:   ROASParams{Days: 1, TargetROAS: 2},
			days:     []AdDay{{Date: yesterday, Revenue: 200, AdSpend: 100}},
			want:     map[string]any{"averageRoas": 2.0, "daysBelowTarget": []string{}, "daysCompared": 0},
			findings: []string{"info: ROAS on target", "info: Worst day: 2026-03-14"},
			summary:  "on or above your target of 2.00",
		},
		{
			name:     "one cent past target is below",
			params:   ROASParams{Days: 1, TargetROAS: 2},
			days:     []AdDay{{Date: yesterday, Revenue: 199.99, AdSpend: 100}},
			want:     map[string]any{"daysBelowTarget": []string{"2026-03-14"}},
			findings: []string{"warning: ROAS below target", "warning: Days below target", "warning: Worst day: 2026-03-14"},
			summary:  "below your target of 2.00",
		},
		{
			name:     "below break-even is critical",
			params:   ROASParams{Days: 1},
			days:     []AdDay{{Date: yesterday, Revenue: 99, AdSpend: 100}},
			want:     map[string]any{"averageRoas": 0.99},
			findings: []string{"critical: Ads cost more than they brought in", "critical: Worst day: 2026-03-14", "warning: Days below target"},
		},
		{
			name:     "exactly 25% below the trailing average is no drop",
			params:   ROASParams{Days: 1, TargetROAS: 1},
			days:     append(steady(yesterday, 7, 200, 100), AdDay{Date: yesterday, Revenue: 150, AdSpend: 100}),
			want:     map[string]any{"drops": []string{}, "daysCompared": 1},
			findings: []string{"info: ROAS on target", "info: Worst day: 2026-03-14"},
		},
		{
			name:     "one cent more is a drop",
			params:   ROASParams{Days: 1, TargetROAS: 1},
			days:     append(steady(yesterday, 7, 200, 100), AdDay{Date: yesterday, Revenue: 149.99, AdSpend: 100}),
			want:     map[string]any{"drops": []string{"2026-03-14"}},
			findings: []string{"warning: Sudden ROAS drop on 2026-03-14", "info: ROAS on target", "info: Worst day: 2026-03-14"},
			summary:  "1 day dropped sharply",
		},
		{
			name:     "four days of history with spend are enough to compare",
			params:   ROASParams{Days: 1, TargetROAS: 1},
			days:     append(steady(yesterday, 4, 200, 100), AdDay{Date: yesterday, Revenue: 100, AdSpend: 100}),
			want:     map[string]any{"drops": []string{"2026-03-14"}, "daysCompared": 1},
			findings: []string{"warning: Sudden ROAS drop on 2026-03-14", "info: ROAS on target", "info: Worst day: 2026-03-14"},
		},
		{
			name:   "three are not: days without spend do not count",
			params: ROASParams{Days: 1, TargetROAS: 1},
			days: append(append(steady(day(3, 11), 4, 0, 0), steady(yesterday, 3, 200, 100)...),
				AdDay{Date: yesterday, Revenue: 100, AdSpend: 100}),
			want:     map[string]any{"drops": []string{}, "daysCompared": 0},
			findings: []string{"info: ROAS on target", "info: Worst day: 2026-03-14"},
		},
		{
			name:     "the worst day of equals is the first",
			params:   ROASParams{Days: 2},
			days:     []AdDay{{Date: day(3, 13), Revenue: 300, AdSpend: 100}, {Date: yesterday, Revenue: 300, AdSpend: 100}},
			want:     map[string]any{"worstDay": map[string]any{"date": "2026-03-13", "roas": 3.0, "revenue": 300.0, "adSpend": 100.0}},
			findings: []string{"info: ROAS on target", "info: Worst day: 2026-03-13"},
		},
		{
			name:   "a window across a month's end",
			params: ROASParams{Days: 3},
			days: []AdDay{{Date: time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), Revenue: 100, AdSpend: 100},
				{Date: day(3, 1), Revenue: 300, AdSpend: 100}, {Date: day(3, 2), Revenue: 1e6, AdSpend: 1}},
			want: map[string]any{"from": "2026-02-27", "to": "2026-03-01", "totalRevenue": 400.0, "daysMissing": []string{"2026-02-27"}},
			at:   time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
			// 28 February: 100/100 = 1.00, not below break-even but below 2.00.
			findings: []string{"warning: Days below target", "warning: Worst day: 2026-02-28", "info: Days without data", "info: ROAS on target"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := today
			if !tt.at.IsZero() {
				at = tt.at
			}
			r := ROASGuardian(tt.params, tt.days, at)
			wantWellFormed(t, r)
			wantMetrics(t, r.Metrics, tt.want)
			if got := titles(r); !slices.Equal(got, tt.findings) {
				t.Errorf("findings %q\nwant %q", got, tt.findings)
			}
			wantText(t, "summary", r.Summary, tt.summary)
		})
	}
}

// TestROASGuardianStaysInItsWindow feeds random histories, with days
// before, inside and after the window, and checks that no finding mentions
// a day outside the window, and that the totals are those of the window.
func TestROASGuardianStaysInItsWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		p := ROASParams{Days: 1 + rng.IntN(30), TargetROAS: 0.5 + 3*rng.Float64()}
		now := day(1, 1).AddDate(0, 0, rng.IntN(365)).Add(time.Duration(rng.IntN(24)) * time.Hour)
		first, last := utcDay(now).AddDate(0, 0, -p.Days), utcDay(now).AddDate(0, 0, -1)
		var days []AdDay
		var revenue float64
		for d := first.AddDate(0, 0, -20); d.Before(now.AddDate(0, 0, 10)); d = d.AddDate(0, 0, 1) {
			if rng.IntN(5) == 0 {
				continue // no data
			}
			ad := AdDay{Date: d.Add(time.Duration(rng.IntN(86400)) * time.Second), Revenue: float64(rng.IntN(1000))}
			if rng.IntN(6) > 0 {
				ad.AdSpend = float64(1 + rng.IntN(400))
			}
			if !d.Before(first) && !d.After(last) {
				revenue += ad.Revenue
			}
			days = append(days, ad)
		}
		r := ROASGuardian(p, days, now)
		if !near(r.Metrics["totalRevenue"].(float64), revenue) {
			t.Fatalf("case %d: revenue %v, want %v", i, r.Metrics["totalRevenue"], revenue)
		}
		wantDatesWithin(t, r, first, last)
	}
}
