package integrations

import (
	"encoding/base64"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/omnify/bff/internal/apperr"
)

// syncedEnv returns an env whose organization synced every platform once,
// on 15 March 2026.
func syncedEnv(t *testing.T, platforms ...Platform) *testEnv {
	t.Helper()
	e := newEnv(t)
	owner := e.actor(RoleOwner)
	for _, p := range platforms {
		e.connect(t, owner, p)
		if r := e.sync(t, owner, p); r.Status != SyncSucceeded {
			t.Fatalf("%s sync = %+v", p, r)
		}
	}
	return e
}

// expectedTotals adds up the fake platforms' figures over the days from
// first to last.
func expectedTotals(first, last time.Time) Totals {
	var rev, spend, orders, profit, email, opened, clicked float64
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		f := fig(d)
		rev += f.Revenue
		spend += f.AdSpend
		orders += f.Orders
		profit += f.NetProfit
		email += f.EmailRevenue
		opened += f.EmailsOpened
		clicked += f.EmailsClicked
	}
	return Totals{
		Revenue: rev, AdSpend: spend, ROAS: rev / spend, Orders: int(orders), AverageOrderValue: rev / orders,
		NetProfit: profit, EmailRevenue: email, EmailsOpened: int(opened), EmailsClicked: int(clicked),
	}
}

func totalsClose(a, b Totals) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
	return near(a.Revenue, b.Revenue) && near(a.AdSpend, b.AdSpend) && near(a.ROAS, b.ROAS) && a.Orders == b.Orders &&
		near(a.AverageOrderValue, b.AverageOrderValue) && near(a.NetProfit, b.NetProfit) && near(a.EmailRevenue, b.EmailRevenue) &&
		a.EmailsOpened == b.EmailsOpened && a.EmailsClicked == b.EmailsClicked
}

func TestMarketingSummary(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, TripleWhale, Klaviyo)
	viewer := e.actor(RoleViewer)

	t.Run("totals, previous period and every day", func(t *testing.T) {
		// Times inside the days, in another zone: only the UTC days count.
		cet := time.FixedZone("CET", 3600)
		got, err := e.svc.MarketingSummary(t.Context(), viewer,
			time.Date(2026, 3, 1, 9, 30, 0, 0, cet), time.Date(2026, 3, 10, 23, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("MarketingSummary: %v", err)
		}
		if got.Currency != "USD" || !got.From.Equal(date(2026, 3, 1)) || !got.To.Equal(date(2026, 3, 10)) {
			t.Errorf("summary = %s %v..%v", got.Currency, got.From, got.To)
		}
		if want := expectedTotals(date(2026, 3, 1), date(2026, 3, 10)); !totalsClose(got.Totals, want) {
			t.Errorf("totals = %+v\nwant %+v", got.Totals, want)
		}
		if want := expectedTotals(date(2026, 2, 19), date(2026, 2, 28)); !totalsClose(got.Previous, want) {
			t.Errorf("previous = %+v\nwant %+v", got.Previous, want)
		}
		if len(got.Daily) != 10 {
			t.Fatalf("%d days, want 10", len(got.Daily))
		}
		for i, d := range got.Daily {
			day := date(2026, 3, 1+i)
			f := fig(day)
			want := Day{Date: day, Revenue: f.Revenue, AdSpend: f.AdSpend, ROAS: f.ROAS(),
				Orders: int(f.Orders), NetProfit: f.NetProfit, EmailRevenue: f.EmailRevenue,
				EmailsOpened: int(f.EmailsOpened), EmailsClicked: int(f.EmailsClicked)}
			if d != want {
				t.Errorf("day %d = %+v\nwant %+v", i, d, want)
			}
		}
	})
	t.Run("days without data are zero", func(t *testing.T) {
		got, err := e.svc.MarketingSummary(t.Context(), viewer, date(2026, 3, 14), date(2026, 3, 18))
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range got.Daily {
			hasData := i < 2 // 14 and 15 March were synced
			if !d.Date.Equal(date(2026, 3, 14+i)) || (d.Revenue > 0) != hasData || (!hasData && d != (Day{Date: d.Date})) {
				t.Errorf("day %d = %+v, want data %v", i, d, hasData)
			}
		}
	})
	t.Run("a period before any data has a zero previous period", func(t *testing.T) {
		got, err := e.svc.MarketingSummary(t.Context(), viewer, date(2025, 12, 16), date(2025, 12, 20))
		if err != nil {
			t.Fatal(err)
		}
		if got.Previous != (Totals{}) || got.Totals.Revenue == 0 {
			t.Errorf("totals = %+v, previous = %+v; want data and an empty previous period", got.Totals, got.Previous)
		}
	})
	t.Run("one day", func(t *testing.T) {
		got, err := e.svc.MarketingSummary(t.Context(), viewer, date(2026, 3, 5), date(2026, 3, 5))
		if err != nil || len(got.Daily) != 1 || !totalsClose(got.Previous, expectedTotals(date(2026, 3, 4), date(2026, 3, 4))) {
			t.Errorf("summary = %+v, %v", got, err)
		}
	})
	t.Run("one find for both periods and both platforms", func(t *testing.T) {
		e.counter.Reset()
		if _, err := e.svc.MarketingSummary(t.Context(), viewer, date(2026, 1, 1), date(2026, 3, 15)); err != nil {
			t.Fatal(err)
		}
		if n := e.counter.Count(); n != 1 {
			t.Errorf("MarketingSummary sent %d commands, want 1", n)
		}
	})

	tests := []struct {
		name     string
		from, to time.Time
		field    string
	}{
		{"from after to", date(2026, 3, 2), date(2026, 3, 1), "from"},
		{"367 days", date(2025, 1, 1), date(2026, 1, 2), "to"},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			_, err := e.svc.MarketingSummary(t.Context(), viewer, tt.from, tt.to)
			wantAppErr(t, err, apperr.BadUserInput, tt.field)
		})
	}
	t.Run("accepts 366 days", func(t *testing.T) {
		got, err := e.svc.MarketingSummary(t.Context(), viewer, date(2025, 3, 16), date(2026, 3, 16))
		if err != nil || len(got.Daily) != MaxSummaryDays {
			t.Errorf("summary of %d days, %v; want %d", len(got.Daily), err, MaxSummaryDays)
		}
	})
}

// dealIDs returns the ids of deals.
func dealIDs(deals []Deal) []string {
	var out []string
	for _, d := range deals {
		out = append(out, d.ID)
	}
	return out
}

func TestDealsPaging(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, HubSpot)
	viewer := e.actor(RoleViewer)
	// Most recently updated first; 101 and 103 share a time and go by id.
	all := []string{"105", "102", "101", "103", "104"}

	pages := func(t *testing.T, first int, stage string) ([][]string, []bool) {
		t.Helper()
		var ids [][]string
		var more []bool
		after := ""
		for range 10 {
			page, err := e.svc.Deals(t.Context(), viewer, first, after, stage)
			if err != nil {
				t.Fatalf("Deals: %v", err)
			}
			ids, more = append(ids, dealIDs(page.Deals)), append(more, page.HasNextPage)
			if !page.HasNextPage {
				return ids, more
			}
			after = page.EndCursor
		}
		t.Fatal("paging did not end")
		return nil, nil
	}
	tests := []struct {
		name      string
		first     int
		stage     string
		wantPages [][]string
	}{
		{"pages of two", 2, "", [][]string{{"105", "102"}, {"101", "103"}, {"104"}}},
		{"pages of one through a tie", 1, "", [][]string{{"105"}, {"102"}, {"101"}, {"103"}, {"104"}}},
		{"the default page size", 0, "", [][]string{all}},
		{"one stage", 1, "appointmentscheduled", [][]string{{"101"}, {"103"}}},
		{"a stage without deals", 5, "nosuchstage", [][]string{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more := pages(t, tt.first, tt.stage)
			if !slices.EqualFunc(got, tt.wantPages, slices.Equal) {
				t.Errorf("pages = %v, want %v", got, tt.wantPages)
			}
			for i, m := range more {
				if m != (i < len(more)-1) {
					t.Errorf("page %d HasNextPage = %v", i, m)
				}
			}
		})
	}
	t.Run("a deal's fields", func(t *testing.T) {
		page, _ := e.svc.Deals(t.Context(), viewer, 2, "", "")
		d := page.Deals[1]
		if d.ID != "102" || d.Name != "Retail chain" || d.Amount == nil || *d.Amount != 8000 || d.Stage != "closedwon" ||
			d.Pipeline != "default" || d.CloseDate == nil || !d.CloseDate.Equal(date(2026, 3, 1)) || !d.UpdatedAt.Equal(date(2026, 3, 12)) {
			t.Errorf("deal = %+v", d)
		}
		if page.EndCursor == "" {
			t.Error("no end cursor")
		}
	})
	t.Run("an empty page has no cursor", func(t *testing.T) {
		page, err := e.svc.Deals(t.Context(), viewer, 5, "", "nosuchstage")
		if err != nil || page.EndCursor != "" || page.HasNextPage || len(page.Deals) != 0 {
			t.Errorf("page = %+v, %v", page, err)
		}
	})

	bad := []struct {
		name  string
		first int
		after string
		field string
	}{
		{"first over 100", 101, "", "first"},
		{"negative first", -1, "", "first"},
		{"a cursor that is not base64", 10, "%%%", "after"},
		{"a cursor without an id", 10, base64.RawURLEncoding.EncodeToString([]byte("1700000000000")), "after"},
		{"a cursor with a bad time", 10, base64.RawURLEncoding.EncodeToString([]byte("soon:101")), "after"},
		{"a cursor with an empty id", 10, base64.RawURLEncoding.EncodeToString([]byte("1700000000000:")), "after"},
	}
	for _, tt := range bad {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			_, err := e.svc.Deals(t.Context(), viewer, tt.first, tt.after, "")
			wantAppErr(t, err, apperr.BadUserInput, tt.field)
		})
	}
}

func TestContactsPaging(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, HubSpot)
	viewer := e.actor(RoleViewer)
	first, err := e.svc.Contacts(t.Context(), viewer, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.svc.Contacts(t.Context(), viewer, 2, first.EndCursor)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range append(first.Contacts, second.Contacts...) {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, []string{"203", "202", "201"}) || !first.HasNextPage || second.HasNextPage {
		t.Errorf("contacts = %v (more %v, %v), want newest first in pages of 2", got, first.HasNextPage, second.HasNextPage)
	}
	_, err = e.svc.Contacts(t.Context(), viewer, 0, "garbage!")
	wantAppErr(t, err, apperr.BadUserInput, "after")
}

func TestPipelineSummary(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, HubSpot)
	got, err := e.svc.PipelineSummary(t.Context(), e.actor(RoleViewer))
	if err != nil {
		t.Fatal(err)
	}
	want := Pipeline{
		Stages: []StageTotal{
			{Stage: "appointmentscheduled", Count: 2, Amount: 1500.5},
			{Stage: "closedlost", Count: 1, Amount: 300},
			{Stage: "closedwon", Count: 1, Amount: 8000},
			{Stage: "presentationscheduled", Count: 1, Amount: 250.25},
		},
		OpenAmount: 1500.5 + 250.25,
	}
	if !slices.Equal(got.Stages, want.Stages) || got.OpenAmount != want.OpenAmount {
		t.Errorf("pipeline = %+v\nwant %+v", got, want)
	}
}

func TestEmailCampaignsAndFlows(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, Klaviyo)
	viewer := e.actor(RoleViewer)
	page, err := e.svc.EmailCampaigns(t.Context(), viewer, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	rest, err := e.svc.EmailCampaigns(t.Context(), viewer, 2, page.EndCursor)
	if err != nil {
		t.Fatal(err)
	}
	got := append(page.Campaigns, rest.Campaigns...)
	// The unsent draft counts its creation (1 March), then sends, latest first.
	want := []Campaign{
		{ID: "c2", Name: "Spring draft", Status: "Draft"},
		{ID: "c3", Name: "February news", Status: "Sent", SendTime: ptr(date(2026, 2, 14))},
		{ID: "c1", Name: "January sale", Status: "Sent", SendTime: ptr(date(2026, 1, 10).Add(15 * time.Hour))},
	}
	if !slices.EqualFunc(got, want, func(a, b Campaign) bool {
		return a.ID == b.ID && a.Name == b.Name && a.Status == b.Status && equalTimePtr(a.SendTime, b.SendTime)
	}) || !page.HasNextPage || rest.HasNextPage {
		t.Errorf("campaigns = %+v, want %+v", got, want)
	}

	flows, err := e.svc.EmailFlows(t.Context(), viewer)
	if err != nil {
		t.Fatal(err)
	}
	wantFlows := []Flow{
		{ID: "f2", Name: "Abandoned cart", Status: "draft", TriggerType: "Metric"},
		{ID: "f1", Name: "Welcome", Status: "live", TriggerType: "Added to List"},
	}
	if !slices.Equal(flows, wantFlows) {
		t.Errorf("flows = %+v, want %+v", flows, wantFlows)
	}
}
