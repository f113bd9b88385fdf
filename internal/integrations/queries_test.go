package integrations

import (
	"math"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// syncedEnv returns an env whose organization synced every platform once,
// on 15 March 2026.
func syncedEnv(t *testing.T, platforms ...Platform) *testEnv {
	t.Helper()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	for _, p := range platforms {
		e.connect(t, owner, p)
		if r := e.sync(t, owner, p); r.Status != SyncSucceeded {
			t.Fatalf("%s sync = %+v", p, r)
		}
	}
	return e
}

// expectedTotals adds up the fake platforms' figures over the days from
// first to last: email revenue is what Klaviyo attributes to the emails
// sent on those days, "Placed Order" apart.
func (e *testEnv) expectedTotals(first, last time.Time) Totals {
	var rev, spend, orders, placed, placedRevenue float64
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		f := fig(d)
		rev += f.Revenue
		spend += f.AdSpend
		orders += f.Orders
		placed += f.EmailOrders
		placedRevenue += f.EmailRevenue
	}
	return Totals{Revenue: rev, AdSpend: spend, ROAS: rev / spend, Orders: int(orders), AverageOrderValue: rev / orders,
		EmailRevenue: e.acct.Attributed(first, last).Revenue, KlaviyoOrders: int(placed), KlaviyoOrderRevenue: placedRevenue}
}

func totalsClose(a, b Totals) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
	return near(a.Revenue, b.Revenue) && near(a.AdSpend, b.AdSpend) && near(a.ROAS, b.ROAS) && a.Orders == b.Orders &&
		near(a.AverageOrderValue, b.AverageOrderValue) && near(a.EmailRevenue, b.EmailRevenue) &&
		a.KlaviyoOrders == b.KlaviyoOrders && near(a.KlaviyoOrderRevenue, b.KlaviyoOrderRevenue)
}

func TestMarketingSummary(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, TripleWhale, Klaviyo)
	viewer := e.actor(authz.RoleViewer)

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
		if want := e.expectedTotals(date(2026, 3, 1), date(2026, 3, 10)); !totalsClose(got.Totals, want) {
			t.Errorf("totals = %+v\nwant %+v", got.Totals, want)
		}
		if want := e.expectedTotals(date(2026, 2, 19), date(2026, 2, 28)); !totalsClose(got.Previous, want) {
			t.Errorf("previous = %+v\nwant %+v", got.Previous, want)
		}
		if len(got.Daily) != 10 {
			t.Fatalf("%d days, want 10", len(got.Daily))
		}
		for i, d := range got.Daily {
			day := date(2026, 3, 1+i)
			f := fig(day)
			want := Day{Date: day, Revenue: f.Revenue, AdSpend: f.AdSpend, ROAS: f.ROAS(),
				Orders: int(f.Orders), EmailRevenue: e.acct.Attributed(day, day).Revenue, KlaviyoOrderRevenue: f.EmailRevenue}
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
		if err != nil || len(got.Daily) != 1 || !totalsClose(got.Previous, e.expectedTotals(date(2026, 3, 4), date(2026, 3, 4))) {
			t.Errorf("summary = %+v, %v", got, err)
		}
	})
	t.Run("one find by _id for both periods, both platforms and the attribution, whatever the range", func(t *testing.T) {
		for _, from := range []time.Time{date(2026, 3, 14), date(2026, 1, 1)} {
			e.counter.Reset()
			if _, err := e.svc.MarketingSummary(t.Context(), viewer, from, date(2026, 3, 15)); err != nil {
				t.Fatal(err)
			}
			// The organization's rollup.
			if n, finds := e.counter.Count(), e.counter.Count("find"); n != 1 || finds != 1 {
				t.Errorf("MarketingSummary from %v sent %d commands (%d finds), want 1 find", from, n, finds)
			}
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

func TestEmailDaily(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, TripleWhale, Klaviyo)
	viewer := e.actor(authz.RoleViewer)

	// wantDays is what the fake reports for the days from first to last.
	wantDays := func(first, last time.Time) []EmailDay {
		var out []EmailDay
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			f := fig(d)
			out = append(out, EmailDay{Date: d, Received: int(f.EmailsReceived), Opened: int(f.EmailsOpened),
				Clicked: int(f.EmailsClicked), Revenue: e.acct.Attributed(d, d).Revenue})
		}
		return out
	}
	t.Run("every synced day, by date, from the Klaviyo rows only", func(t *testing.T) {
		cet := time.FixedZone("CET", 3600)
		got, err := e.svc.EmailDaily(t.Context(), viewer, time.Date(2026, 3, 1, 0, 30, 0, 0, cet), time.Date(2026, 3, 10, 23, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("EmailDaily: %v", err)
		}
		// 00:30 CET on 1 March is 28 February in UTC.
		if want := wantDays(date(2026, 2, 28), date(2026, 3, 10)); !slices.Equal(got, want) {
			t.Errorf("days = %+v\nwant %+v", got, want)
		}
		// 10 March: 200 received, 30 opened, 10 clicked.
		if d := got[len(got)-1]; d.Received != 200 || d.Opened != 30 || d.Clicked != 10 {
			t.Errorf("10 March = %+v", d)
		}
	})
	t.Run("days without data are left out, not zero", func(t *testing.T) {
		got, err := e.svc.EmailDaily(t.Context(), viewer, date(2026, 3, 14), date(2026, 3, 18))
		if want := wantDays(date(2026, 3, 14), date(2026, 3, 15)); err != nil || !slices.Equal(got, want) {
			t.Errorf("days = %+v, %v\nwant %+v", got, err, want)
		}
	})
	t.Run("an organization without Klaviyo gets no days", func(t *testing.T) {
		other := syncedEnv(t, TripleWhale)
		got, err := other.svc.EmailDaily(t.Context(), other.actor(authz.RoleViewer), date(2026, 3, 1), date(2026, 3, 15))
		if err != nil || len(got) != 0 {
			t.Errorf("days = %+v, %v; want none", got, err)
		}
	})
	t.Run("another organization sees none of them", func(t *testing.T) {
		stranger := &authz.Principal{OrganizationID: bson.NewObjectID(), UserID: bson.NewObjectID(), Role: authz.RoleOwner}
		got, err := e.svc.EmailDaily(t.Context(), stranger, date(2026, 3, 1), date(2026, 3, 15))
		if err != nil || len(got) != 0 {
			t.Errorf("days = %+v, %v; want none", got, err)
		}
	})
	t.Run("one find whatever the range", func(t *testing.T) {
		for _, from := range []time.Time{date(2026, 3, 14), date(2025, 12, 16)} {
			e.counter.Reset()
			if _, err := e.svc.EmailDaily(t.Context(), viewer, from, date(2026, 3, 15)); err != nil {
				t.Fatal(err)
			}
			// The organization's rollup.
			if n, finds := e.counter.Count(), e.counter.Count("find"); n != 1 || finds != 1 {
				t.Errorf("EmailDaily from %v sent %d commands (%d finds), want 1 find", from, n, finds)
			}
		}
	})
	for _, tt := range []struct {
		name     string
		from, to time.Time
		field    string
	}{
		{"from after to", date(2026, 3, 2), date(2026, 3, 1), "from"},
		{"367 days", date(2025, 1, 1), date(2026, 1, 2), "to"},
	} {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			_, err := e.svc.EmailDaily(t.Context(), viewer, tt.from, tt.to)
			wantAppErr(t, err, apperr.BadUserInput, tt.field)
		})
	}
}

// walk pages through a list with pages of first, checks every page
// against the total count and the page info, and returns the items.
func walk[T any](t *testing.T, first int, list func(first *int, after *string) (page.Page[T], error)) []T {
	t.Helper()
	var all []T
	var after *string
	for i := 0; ; i++ {
		p, err := list(&first, after)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if len(p.Items) > first || len(p.Cursors) != len(p.Items) || p.HasPreviousPage != (after != nil) {
			t.Fatalf("page %d: %d items, %d cursors, previous %v", i, len(p.Items), len(p.Cursors), p.HasPreviousPage)
		}
		all = append(all, p.Items...)
		if !p.HasNextPage {
			if len(all) != p.TotalCount {
				t.Fatalf("walked %d items, total count %d", len(all), p.TotalCount)
			}
			return all
		}
		if i > p.TotalCount {
			t.Fatal("paging did not end")
		}
		end := p.EndCursor()
		after = &end
	}
}

// dealIDs returns the HubSpot ids of deals.
func dealIDs(deals []Deal) []string {
	var out []string
	for _, d := range deals {
		out = append(out, d.HubSpotID)
	}
	return out
}

func TestDealsPaging(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, HubSpot)
	viewer := e.actor(authz.RoleViewer)
	// Most recently updated first; 101 and 103 share a time and go by id.
	all := []string{"105", "102", "101", "103", "104"}

	pages := func(t *testing.T, first int, stage string) [][]string {
		t.Helper()
		var ids [][]string
		var after *string
		for range 10 {
			p, err := e.svc.Deals(t.Context(), viewer, &first, after, stage)
			if err != nil {
				t.Fatalf("Deals: %v", err)
			}
			ids = append(ids, dealIDs(p.Items))
			if !p.HasNextPage {
				return ids
			}
			end := p.EndCursor()
			after = &end
		}
		t.Fatal("paging did not end")
		return nil
	}
	tests := []struct {
		name      string
		first     int
		stage     string
		wantPages [][]string
	}{
		{"pages of two", 2, "", [][]string{{"105", "102"}, {"101", "103"}, {"104"}}},
		{"pages of one through a tie", 1, "", [][]string{{"105"}, {"102"}, {"101"}, {"103"}, {"104"}}},
		{"one page of the most", page.MaxFirst, "", [][]string{all}},
		{"one stage", 1, "appointmentscheduled", [][]string{{"101"}, {"103"}}},
		{"a stage without deals", 5, "nosuchstage", [][]string{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pages(t, tt.first, tt.stage); !slices.EqualFunc(got, tt.wantPages, slices.Equal) {
				t.Errorf("pages = %v, want %v", got, tt.wantPages)
			}
		})
	}
	t.Run("the default page holds all five", func(t *testing.T) {
		p, err := e.svc.Deals(t.Context(), viewer, nil, nil, "")
		if err != nil || !slices.Equal(dealIDs(p.Items), all) || p.TotalCount != 5 || p.HasNextPage {
			t.Errorf("page = %+v, %v", p, err)
		}
	})
	t.Run("a stage counts only its deals", func(t *testing.T) {
		p, err := e.svc.Deals(t.Context(), viewer, ptr(1), nil, "appointmentscheduled")
		if err != nil || p.TotalCount != 2 || !p.HasNextPage {
			t.Errorf("page = %+v, %v", p, err)
		}
	})
	t.Run("a deal's fields", func(t *testing.T) {
		p, _ := e.svc.Deals(t.Context(), viewer, ptr(2), nil, "")
		d := p.Items[1]
		if d.HubSpotID != "102" || d.Key != recordKey(e.org, "102") || d.Name != "Retail chain" || d.Amount == nil || *d.Amount != 8000 || d.Stage != "closedwon" ||
			d.Pipeline != "default" || d.CloseDate == nil || !d.CloseDate.Equal(date(2026, 3, 1)) || !d.UpdatedAt.Equal(date(2026, 3, 12)) {
			t.Errorf("deal = %+v", d)
		}
	})
	t.Run("an empty page has no cursor", func(t *testing.T) {
		p, err := e.svc.Deals(t.Context(), viewer, ptr(5), nil, "nosuchstage")
		if err != nil || p.EndCursor() != "" || p.HasNextPage || len(p.Items) != 0 || p.TotalCount != 0 {
			t.Errorf("page = %+v, %v", p, err)
		}
	})
	t.Run("a deal by its key", func(t *testing.T) {
		d, err := e.svc.Deal(t.Context(), viewer, recordKey(e.org, "105"))
		if err != nil || d.HubSpotID != "105" || d.Name != "Proposal" {
			t.Errorf("Deal = %+v, %v", d, err)
		}
		_, err = e.svc.Deal(t.Context(), viewer, recordKey(e.org, "999"))
		wantAppErr(t, err, apperr.NotFound, "")
	})

	bad := []struct {
		name  string
		first int
		after string
		field string
	}{
		{"first over 100", page.MaxFirst + 1, "", "first"},
		{"first 0", 0, "", "first"},
		{"negative first", -1, "", "first"},
		{"a cursor that is not base64", 10, "%%%", "after"},
		{"a cursor of one part", 10, page.EncodeCursor("1700000000000"), "after"},
		{"a cursor with a bad time", 10, page.EncodeCursor("soon", "101"), "after"},
		{"a cursor with an empty id", 10, page.EncodeCursor("1700000000000", ""), "after"},
	}
	for _, tt := range bad {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			var after *string
			if tt.after != "" {
				after = &tt.after
			}
			_, err := e.svc.Deals(t.Context(), viewer, &tt.first, after, "")
			wantAppErr(t, err, apperr.BadUserInput, tt.field)
		})
	}
}

// TestWalkingEveryList pages through each list with every page size from
// 1 to past its length: every item comes once, in the list's order, and
// the walk ends at the total count.
func TestWalkingEveryList(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, HubSpot, Klaviyo)
	viewer := e.actor(authz.RoleViewer)
	ctx := t.Context()
	check := func(t *testing.T, name string, want []string, walkIDs func(first int) []string) {
		t.Helper()
		for first := 1; first <= len(want)+1; first++ {
			if got := walkIDs(first); !slices.Equal(got, want) {
				t.Errorf("%s in pages of %d = %v, want %v", name, first, got, want)
			}
		}
	}
	check(t, "deals", []string{"105", "102", "101", "103", "104"}, func(first int) []string {
		return dealIDs(walk(t, first, func(f *int, a *string) (page.Page[Deal], error) { return e.svc.Deals(ctx, viewer, f, a, "") }))
	})
	check(t, "contacts", []string{"203", "202", "201"}, func(first int) []string {
		var ids []string
		for _, c := range walk(t, first, func(f *int, a *string) (page.Page[Contact], error) { return e.svc.Contacts(ctx, viewer, f, a) }) {
			ids = append(ids, c.HubSpotID)
		}
		return ids
	})
	check(t, "campaigns", []string{"c2", "c3", "c1"}, func(first int) []string {
		var ids []string
		for _, c := range walk(t, first, func(f *int, a *string) (page.Page[Campaign], error) { return e.svc.EmailCampaigns(ctx, viewer, f, a) }) {
			ids = append(ids, c.KlaviyoID)
		}
		return ids
	})
	check(t, "flows", []string{"f2", "f1"}, func(first int) []string {
		var ids []string
		for _, f := range walk(t, first, func(fi *int, a *string) (page.Page[Flow], error) { return e.svc.EmailFlows(ctx, viewer, fi, a) }) {
			ids = append(ids, f.KlaviyoID)
		}
		return ids
	})
	t.Run("a malformed cursor is refused on after", func(t *testing.T) {
		bad := "garbage!"
		_, err := e.svc.Contacts(ctx, viewer, nil, &bad)
		wantAppErr(t, err, apperr.BadUserInput, "after")
		_, err = e.svc.EmailFlows(ctx, viewer, nil, &bad)
		wantAppErr(t, err, apperr.BadUserInput, "after")
	})
}

func TestPipelineSummary(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, HubSpot)
	got, err := e.svc.PipelineSummary(t.Context(), e.actor(authz.RoleViewer))
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
	viewer := e.actor(authz.RoleViewer)
	got := walk(t, 2, func(f *int, a *string) (page.Page[Campaign], error) {
		return e.svc.EmailCampaigns(t.Context(), viewer, f, a)
	})
	// The unsent draft counts its creation (1 March), then sends, latest first.
	want := []Campaign{
		{Key: recordKey(e.org, "c2"), KlaviyoID: "c2", Name: "Spring draft", Status: "Draft"},
		{Key: recordKey(e.org, "c3"), KlaviyoID: "c3", Name: "February news", Status: "Sent", SendTime: ptr(date(2026, 2, 14))},
		{Key: recordKey(e.org, "c1"), KlaviyoID: "c1", Name: "January sale", Status: "Sent", SendTime: ptr(date(2026, 1, 10).Add(15 * time.Hour))},
	}
	if !slices.EqualFunc(got, want, func(a, b Campaign) bool {
		return a.Key == b.Key && a.KlaviyoID == b.KlaviyoID && a.Name == b.Name && a.Status == b.Status && equalTimePtr(a.SendTime, b.SendTime)
	}) {
		t.Errorf("campaigns = %+v, want %+v", got, want)
	}

	flows, err := e.svc.EmailFlows(t.Context(), viewer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantFlows := []Flow{
		{Key: recordKey(e.org, "f2"), KlaviyoID: "f2", Name: "Abandoned cart", Status: "draft", TriggerType: "Metric"},
		{Key: recordKey(e.org, "f1"), KlaviyoID: "f1", Name: "Welcome", Status: "live", TriggerType: "Added to List"},
	}
	if !slices.Equal(flows.Items, wantFlows) || flows.TotalCount != 2 {
		t.Errorf("flows = %+v, want %+v", flows, wantFlows)
	}
	for _, f := range wantFlows {
		if got, err := e.svc.Flow(t.Context(), viewer, f.Key); err != nil || got != f {
			t.Errorf("Flow(%s) = %+v, %v", f.Key, got, err)
		}
	}
	if c, err := e.svc.Campaign(t.Context(), viewer, want[0].Key); err != nil || c.KlaviyoID != "c2" {
		t.Errorf("Campaign = %+v, %v", c, err)
	}
}
