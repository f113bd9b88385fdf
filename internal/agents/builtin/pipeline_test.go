package builtin

import (
	"slices"
	"testing"
	"time"
)

// staleBefore is when a deal last updated goes stale on today with the
// default 14 days: 1 March at noon.
var staleBefore = today.Add(-14 * 24 * time.Hour)

func pipelineDeals() []Deal {
	return []Deal{
		// Updated exactly 14 days before today: not stale. Closes in the
		// last second of March: this month.
		{ID: "A", Name: "Wholesale", Amount: ptr(1000.0), Stage: "appointmentscheduled", Pipeline: "default",
			CloseDate: ptr(time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC)), UpdatedAt: staleBefore},
		// One second older: stale. Closes on 1 April: next month.
		{ID: "B", Name: "Retail chain", Amount: ptr(2500.0), Stage: "qualifiedtobuy", Pipeline: "default",
			CloseDate: ptr(day(4, 1)), UpdatedAt: staleBefore.Add(-time.Second)},
		{ID: "C", Name: "No amount yet", Stage: "appointmentscheduled", Pipeline: "default", UpdatedAt: day(3, 14)},
		{ID: "D", Name: "Won", Amount: ptr(8000.0), Stage: "closedwon", Pipeline: "default", CloseDate: ptr(day(3, 10)), UpdatedAt: day(1, 1)},
		{ID: "E", Name: "Lost", Amount: ptr(300.0), Stage: "ClosedLost", Pipeline: "default", UpdatedAt: day(1, 1)},
		// Stale, due this month and already past its close date.
		{ID: "F", Name: "Overdue", Amount: ptr(500.0), Stage: "qualifiedtobuy", Pipeline: "default", CloseDate: ptr(day(3, 10)), UpdatedAt: day(2, 1)},
		// Due the last second of February: past, not this month.
		{ID: "G", Name: "February", Amount: ptr(700.0), Stage: "presentationscheduled", Pipeline: "default",
			CloseDate: ptr(time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC)), UpdatedAt: day(3, 14)},
		// Another pipeline with a stage id of the same name.
		{ID: "H", Name: "Partner", Amount: ptr(250.0), Stage: "qualifiedtobuy", Pipeline: "partners", UpdatedAt: day(3, 14)},
	}
}

func TestPipelineScout(t *testing.T) {
	r := PipelineScout(PipelineParams{}, pipelineDeals(), today)
	wantWellFormed(t, r)
	// Open: A, B, C, F, G, H = 1000 + 2500 + 0 + 500 + 700 + 250 = 4950.
	wantMetrics(t, r.Metrics, map[string]any{
		"staleDays": 14, "totalDeals": 8, "openDeals": 6, "openAmount": 4950.0,
		"wonDeals": 1, "wonAmount": 8000.0, "lostDeals": 1, "lostAmount": 300.0,
		"byStage": []map[string]any{
			{"pipeline": "default", "stage": "appointmentscheduled", "count": 2, "amount": 1000.0},
			{"pipeline": "default", "stage": "presentationscheduled", "count": 1, "amount": 700.0},
			{"pipeline": "default", "stage": "qualifiedtobuy", "count": 2, "amount": 3000.0},
			{"pipeline": "partners", "stage": "qualifiedtobuy", "count": 1, "amount": 250.0},
		},
		"staleDeals": []string{"B", "F"}, "staleAmount": 3000.0,
		"closingMonth": "2026-03", "closingThisMonth": []string{"A", "F"}, "closingAmount": 1500.0, "closingAndStale": []string{"F"},
		"pastCloseDate": []string{"F", "G"}, "pastCloseDateAmount": 1200.0,
		"openWithoutAmount": []string{"C"},
	})
	want := []string{
		"warning: Stale deals",
		"warning: Open deals past their close date",
		"info: Open pipeline",
		"info: Closing this month",
		"info: Open deals without an amount",
	}
	if got := titles(r); !slices.Equal(got, want) {
		t.Errorf("findings %q\nwant %q", got, want)
	}
	// 3000 of 4950 is 60.6%.
	wantText(t, "stale", finding(t, r, "Stale deals").Detail, "2 open deals worth $3,000.00 (60.6% of the open pipeline)", `"Retail chain" ($2,500.00`)
	wantText(t, "closing", finding(t, r, "Closing this month").Detail, "2 open deals worth $1,500.00", "March 2026", "1 of them ($500.00)")
	wantText(t, "past", finding(t, r, "Open deals past their close date").Detail, "2 deals worth $1,200.00")
	wantText(t, "summary", r.Summary, "6 open deals worth $4,950.00", "2 ($3,000.00) have had no update in over 14 days", "2 ($1,500.00) are expected to close this month")
	if len(r.Recommendations) != 4 {
		t.Fatalf("recommendations %q", r.Recommendations)
	}
	wantText(t, "recommendation", r.Recommendations[0], "2 stale deals worth $3,000.00", `"Retail chain" ($2,500.00) and "Overdue" ($500.00)`)
	wantText(t, "recommendation", r.Recommendations[1], "2 deals worth $1,500.00 are due to close by 31 March", "1 deal ($500.00)")
	wantText(t, "recommendation", r.Recommendations[2], "2 open deals worth $1,200.00 whose close date has passed")
	wantText(t, "recommendation", r.Recommendations[3], "1 open deal without one")
}

func TestPipelineScoutEdges(t *testing.T) {
	tests := []struct {
		name     string
		params   PipelineParams
		deals    []Deal
		at       time.Time
		want     map[string]any
		findings []string
		summary  string
	}{
		{
			name:     "no deals",
			want:     map[string]any{"openDeals": 0, "openAmount": 0.0, "staleDeals": []string{}, "byStage": []map[string]any{}},
			findings: []string{"info: No open deals"},
			summary:  "no deals have been synced",
		},
		{
			name:     "only closed deals",
			deals:    []Deal{{ID: "1", Stage: "closedwon", Amount: ptr(10.0)}, {ID: "2", Stage: "closedlost"}},
			want:     map[string]any{"openDeals": 0, "wonDeals": 1, "lostDeals": 1, "wonAmount": 10.0},
			findings: []string{"info: No open deals"},
			summary:  "All 2 deals are closed (1 won for $10.00, 1 lost)",
		},
		{
			name:   "stale exactly at StaleDays is not stale, one second more is",
			params: PipelineParams{StaleDays: 7},
			deals: []Deal{
				{ID: "at", Stage: "s", Amount: ptr(1.0), UpdatedAt: today.AddDate(0, 0, -7)},
				{ID: "past", Stage: "s", Amount: ptr(2.0), UpdatedAt: today.AddDate(0, 0, -7).Add(-time.Second)},
				{ID: "day past", Stage: "s", Amount: ptr(4.0), UpdatedAt: today.AddDate(0, 0, -8)},
			},
			want:     map[string]any{"staleDeals": []string{"past", "day past"}, "staleAmount": 6.0},
			findings: []string{"warning: Stale deals", "info: Open pipeline"},
			summary:  "2 ($6.00) have had no update in over 7 days",
		},
		{
			name: "on the first of the month, last month's close dates are past, not this month's",
			at:   time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
			deals: []Deal{
				{ID: "march", Stage: "s", Amount: ptr(1.0), CloseDate: ptr(time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC)), UpdatedAt: day(3, 31)},
				{ID: "april", Stage: "s", Amount: ptr(2.0), CloseDate: ptr(day(4, 1)), UpdatedAt: day(3, 31)},
				{ID: "april30", Stage: "s", Amount: ptr(4.0), CloseDate: ptr(time.Date(2026, 4, 30, 23, 0, 0, 0, time.UTC)), UpdatedAt: day(3, 31)},
				{ID: "may", Stage: "s", Amount: ptr(8.0), CloseDate: ptr(day(5, 1)), UpdatedAt: day(3, 31)},
			},
			want: map[string]any{"closingMonth": "2026-04", "closingThisMonth": []string{"april", "april30"}, "closingAmount": 6.0,
				"pastCloseDate": []string{"march"}},
			findings: []string{"warning: Open deals past their close date", "info: Open pipeline", "info: Closing this month"},
			summary:  "2 ($6.00) are expected to close this month",
		},
		{
			name:     "a healthy pipeline",
			deals:    []Deal{{ID: "1", Name: "Fresh", Stage: "s", Amount: ptr(100.0), UpdatedAt: day(3, 14)}},
			want:     map[string]any{"openDeals": 1, "staleDeals": []string{}},
			findings: []string{"info: Open pipeline"},
			summary:  "You have 1 open deal worth $100.00.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := today
			if !tt.at.IsZero() {
				at = tt.at
			}
			r := PipelineScout(tt.params, tt.deals, at)
			wantWellFormed(t, r)
			wantMetrics(t, r.Metrics, tt.want)
			if got := titles(r); !slices.Equal(got, tt.findings) {
				t.Errorf("findings %q\nwant %q", got, tt.findings)
			}
			wantText(t, "summary", r.Summary, tt.summary)
		})
	}
}
