package integrations

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

// The Reporting API's paths as the fake counts them.
const (
	campaignValuesCall = "POST /api/campaign-values-reports"
	flowSeriesCall     = "POST /api/flow-series-reports"
	flowValuesCall     = "POST /api/flow-values-reports"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// checkLimits fails the test when the fake answered a reporting call with
// 429, or saw more calls of the account in a window than the limits allow.
func checkLimits(t *testing.T, acct *platformtest.Account, l ReportLimits) []platformtest.ReportCall {
	t.Helper()
	calls := acct.ReportCalls()
	for _, c := range calls {
		if c.Status == 429 {
			t.Errorf("the fake throttled %s at %v: the budget let a call through over a limit", c.Path, c.At)
		}
	}
	if n := platformtest.MaxInWindow(calls, l.Burst.Window); n > l.Burst.Calls {
		t.Errorf("%d reporting calls within %v, limit %d", n, l.Burst.Window, l.Burst.Calls)
	}
	if n := platformtest.MaxInWindow(calls, l.Steady.Window); n > l.Steady.Calls {
		t.Errorf("%d reporting calls within %v, limit %d", n, l.Steady.Window, l.Steady.Calls)
	}
	if n := platformtest.MaxInWindow(calls, l.Daily.Window); n > l.Daily.Calls {
		t.Errorf("%d reporting calls within %v, limit %d", n, l.Daily.Window, l.Daily.Calls)
	}
	return calls
}

// A store whose Shopify sends every order to Klaviyo has "Placed Order" =
// all its revenue; email revenue is what Klaviyo attributes to email, for
// any range the dashboard asks, without calling Klaviyo.
func TestEmailRevenueIsWhatKlaviyoAttributes(t *testing.T) {
	t.Parallel()
	e := syncedEnv(t, TripleWhale, Klaviyo)
	viewer := e.actor(authz.RoleViewer)
	before := e.fake.Total()
	today := utcDay(epoch())

	for _, tt := range []struct {
		name         string
		from, to     time.Time
		withPrevious bool // the previous period lies in the synced window
	}{
		{"7 days", today.AddDate(0, 0, -6), today, true},
		{"30 days", today.AddDate(0, 0, -29), today, true},
		{"90 days", today.AddDate(0, 0, -89), today, false},
		{"inside the window, not ending today", date(2026, 1, 5), date(2026, 2, 20), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.MarketingSummary(t.Context(), viewer, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			want := e.acct.Attributed(tt.from, tt.to)
			placed := e.acct.Totals(tt.from, tt.to)
			if !near(got.Totals.EmailRevenue, want.Revenue) || want.Revenue == 0 {
				t.Errorf("emailRevenue = %v, want Klaviyo's attributed %v", got.Totals.EmailRevenue, want.Revenue)
			}
			if !near(got.Totals.KlaviyoOrderRevenue, placed.EmailRevenue) || got.Totals.KlaviyoOrders != int(placed.EmailOrders) {
				t.Errorf("Placed Order = %d orders, %v; want %v, %v", got.Totals.KlaviyoOrders, got.Totals.KlaviyoOrderRevenue, placed.EmailOrders, placed.EmailRevenue)
			}
			if got.Totals.EmailRevenue >= got.Totals.KlaviyoOrderRevenue {
				t.Errorf("emailRevenue %v is not below all orders %v: Placed Order counted as email's", got.Totals.EmailRevenue, got.Totals.KlaviyoOrderRevenue)
			}
			days := int(tt.to.Sub(tt.from).Hours()/24) + 1
			if tt.withPrevious {
				prev := e.acct.Attributed(tt.from.AddDate(0, 0, -days), tt.from.AddDate(0, 0, -1))
				if !near(got.Previous.EmailRevenue, prev.Revenue) {
					t.Errorf("previous emailRevenue = %v, want %v", got.Previous.EmailRevenue, prev.Revenue)
				}
			}
			var daily float64
			for _, d := range got.Daily {
				daily += d.EmailRevenue
				if w := e.acct.Attributed(d.Date, d.Date).Revenue; !near(d.EmailRevenue, w) {
					t.Errorf("%s: emailRevenue %v, want %v", d.Date.Format(time.DateOnly), d.EmailRevenue, w)
				}
			}
			if !near(daily, got.Totals.EmailRevenue) {
				t.Errorf("days add up to %v, the total is %v", daily, got.Totals.EmailRevenue)
			}

			// The sources: every campaign and flow, with shares adding up to 1.
			campaigns, flows := e.acct.CampaignAttribution(tt.from, tt.to), e.acct.FlowAttribution(tt.from, tt.to)
			if len(got.EmailByCampaign) != len(campaigns) || len(got.EmailByFlow) != len(flows) {
				t.Fatalf("sources: %+v %+v; want %v %v", got.EmailByCampaign, got.EmailByFlow, campaigns, flows)
			}
			share := 0.0
			for _, list := range [][]EmailRevenueSource{got.EmailByCampaign, got.EmailByFlow} {
				for i, src := range list {
					w := campaigns[src.KlaviyoID]
					if src.Kind == EmailSourceFlow {
						w = flows[src.KlaviyoID]
					}
					if !near(src.Revenue, w.Revenue) || !near(src.Conversions, w.Conversions) || !near(src.Share, w.Revenue/want.Revenue) ||
						src.Key != recordKey(e.org, src.KlaviyoID) {
						t.Errorf("source %+v, want %+v of %v", src, w, want.Revenue)
					}
					if i > 0 && list[i-1].Revenue < src.Revenue {
						t.Errorf("sources not by revenue: %+v", list)
					}
					share += src.Share
				}
			}
			if !near(share, 1) {
				t.Errorf("shares add up to %v", share)
			}
		})
	}
	t.Run("names from the synced campaigns and flows", func(t *testing.T) {
		got, err := e.svc.MarketingSummary(t.Context(), viewer, today.AddDate(0, 0, -89), today)
		if err != nil {
			t.Fatal(err)
		}
		if c := got.EmailByCampaign; len(c) != 2 || c[0].Name != "January sale" || c[0].Revenue != 250.5 || c[1].Name != "February news" {
			t.Errorf("campaigns = %+v", c)
		}
		names := map[string]string{}
		for _, f := range got.EmailByFlow {
			names[f.KlaviyoID] = f.Name
		}
		if names["f1"] != "Welcome" || names["f2"] != "Abandoned cart" {
			t.Errorf("flows = %+v", got.EmailByFlow)
		}
	})
	if e.fake.Total() != before {
		t.Errorf("the summaries called the platforms %d times", e.fake.Total()-before)
	}
}

func TestTopEmailSources(t *testing.T) {
	list := make([]EmailRevenueSource, 60)
	for i := range list {
		list[i] = EmailRevenueSource{KlaviyoID: fmt.Sprint(i)}
	}
	for _, tt := range []struct {
		first *int
		want  int
	}{{nil, DefaultEmailSources}, {ptr(1), 1}, {ptr(MaxEmailSources), MaxEmailSources}} {
		got, err := TopEmailSources(list, tt.first, "emailRevenueByFlow")
		if err != nil || len(got) != tt.want {
			t.Errorf("first %v: %d sources, %v; want %d", tt.first, len(got), err, tt.want)
		}
	}
	if got, err := TopEmailSources(list[:2], ptr(10), "emailRevenueByFlow"); err != nil || len(got) != 2 {
		t.Errorf("first 10 of 2: %d, %v", len(got), err)
	}
	for _, n := range []int{0, -1, MaxEmailSources + 1} {
		_, err := TopEmailSources(list, ptr(n), "emailRevenueByCampaign")
		wantAppErr(t, err, apperr.BadUserInput, "first", "emailRevenueByCampaign", fmt.Sprint(MaxEmailSources))
	}
}

// orgSync connects org to the env's Klaviyo account and queues a sync.
func (e *testEnv) orgSync(t *testing.T, org bson.ObjectID) *authz.Principal {
	t.Helper()
	p := &authz.Principal{OrganizationID: org, UserID: bson.NewObjectID(), Role: authz.RoleOwner}
	if _, err := e.svc.Connect(t.Context(), p, Klaviyo, klKey, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RequestSync(t.Context(), p, Klaviyo); err != nil {
		t.Fatal(err)
	}
	return p
}

// Several organizations on one Klaviyo account, synced at once by several
// workers, share the account's budget: the fake never sees a call over a
// limit, and every organization gets its figures.
func TestReportBudgetIsSharedByOrganizationsAndWorkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const orgs = 4
	principals := []*authz.Principal{e.orgSync(t, e.org)}
	for range orgs - 1 {
		principals = append(principals, e.orgSync(t, bson.NewObjectID()))
	}
	var wg sync.WaitGroup
	for i := range orgs {
		wg.Go(func() {
			if ran, err := e.worker(fmt.Sprint("w", i)).RunOnce(t.Context()); err != nil || !ran {
				t.Errorf("RunOnce = %v, %v", ran, err)
			}
		})
	}
	wg.Wait()
	calls := checkLimits(t, e.acct, testLimits())
	if len(calls) != 2*orgs || e.fake.Count(campaignValuesCall) != orgs || e.fake.Count(flowSeriesCall) != orgs {
		t.Errorf("%d reporting calls (%v); want one campaign and one flow report per organization", len(calls), e.fake.Counts())
	}
	today := utcDay(epoch())
	want := e.acct.Attributed(today.AddDate(0, 0, -29), today).Revenue
	for _, p := range principals {
		got, err := e.svc.MarketingSummary(t.Context(), p, today.AddDate(0, 0, -29), today)
		if err != nil || !near(got.Totals.EmailRevenue, want) {
			t.Errorf("organization %s: emailRevenue %v, %v; want %v", p.OrganizationID.Hex(), got.Totals.EmailRevenue, err, want)
		}
	}
}

// A burst of callers taking calls from one account's budget at once: each
// records its call first and counts after, so no two get a call within the
// burst window and no three within the steady window.
func TestReportBudgetBurstCannotBeatTheCounter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.worker("w1")
	const callers = 6
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			b := w.newReportBudget(t.Context(), "burst-account")
			_, err := b.take(t.Context(), "/api/campaign-values-reports")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("take: %v", err)
		}
	}
	times, err := e.store.reportCallTimes(t.Context(), "klaviyo/burst-account", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	calls := make([]platformtest.ReportCall, len(times))
	for i, at := range times {
		calls[i] = platformtest.ReportCall{At: at}
	}
	l := testLimits()
	if len(calls) != callers || platformtest.MaxInWindow(calls, l.Burst.Window) > 1 || platformtest.MaxInWindow(calls, l.Steady.Window) > 2 {
		t.Errorf("recorded calls %v; want %d, at most 1 per %v and 2 per %v", times, callers, l.Burst.Window, l.Steady.Window)
	}
}

// The daily limit, less the reserve, ends reporting for the day; the syncs
// still succeed with everything else.
func TestReportBudgetStopsAtTheDailyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fakeLimits := testFakeLimits()
	fakeLimits.Daily.Calls = 8
	e.fake.SetKlaviyoReportLimits(fakeLimits)
	limits := testLimits()
	limits.Daily.Calls, limits.Reserve = 8, 2
	w := NewWorker(e.svc, WorkerOptions{Clients: e.clients, Owner: "w1", Now: e.clock.Now, ReportLimits: limits})
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, Klaviyo)
	for i := range 5 {
		if _, err := e.svc.RequestSync(t.Context(), owner, Klaviyo); err != nil {
			t.Fatal(err)
		}
		if ran, err := w.RunOnce(t.Context()); err != nil || !ran {
			t.Fatalf("RunOnce = %v, %v", ran, err)
		}
		if in := e.integration(t, owner, Klaviyo); in.Status != StatusConnected || in.LastError != "" {
			t.Errorf("sync %d: integration %+v, want CONNECTED", i, in)
		}
		e.clock.Advance(time.Hour)
	}
	calls := checkLimits(t, e.acct, limits)
	if len(calls) != 6 || e.fake.Count(campaignValuesCall) != 3 {
		t.Errorf("%d reporting calls (%v), want 6: three syncs' worth, 2 of 8 kept in reserve", len(calls), e.fake.Counts())
	}
	if n := e.fake.Count("POST /api/metric-aggregates"); n != 5*4 {
		t.Errorf("%d aggregate calls, want every sync's", n)
	}
}

// An account without the flow series report gets its flow days one call
// per day, newest first, over several syncs, within the per-sync cap;
// settled days are not read again, settling ones only after a while.
func TestFlowSeriesFallbackFillsDaysOverSyncs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.acct.SetFlowSeries(false)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, Klaviyo)
	today := utcDay(epoch())
	fallback := DefaultReportFallbackCalls

	stored := func() map[time.Time]time.Time {
		read, err := e.store.flowDaysRead(t.Context(), e.org, today.AddDate(0, 0, -(InitialSyncDays-1)), today)
		if err != nil {
			t.Fatal(err)
		}
		return read
	}
	sync := func(wantValues int) {
		t.Helper()
		before := e.fake.Count(flowValuesCall)
		if r := e.sync(t, owner, Klaviyo); r.Status != SyncSucceeded {
			t.Fatalf("sync = %+v", r)
		}
		if n := e.fake.Count(flowValuesCall) - before; n != wantValues {
			t.Errorf("%d flow values calls, want %d", n, wantValues)
		}
	}

	sync(fallback)
	if read := stored(); len(read) != fallback {
		t.Fatalf("%d flow days after the first sync, want %d", len(read), fallback)
	}
	for i := range fallback {
		if _, ok := stored()[today.AddDate(0, 0, -i)]; !ok {
			t.Errorf("%s not read first", today.AddDate(0, 0, -i).Format(time.DateOnly))
		}
	}
	// An hour later the settling days are fresh: the next older days.
	e.clock.Advance(time.Hour)
	sync(fallback)
	if read := stored(); len(read) != 2*fallback {
		t.Fatalf("%d flow days after the second sync, want %d", len(read), 2*fallback)
	}
	from := today.AddDate(0, 0, -(2*fallback - 1))
	got, err := e.svc.MarketingSummary(t.Context(), owner, from, today)
	if want := e.acct.Attributed(from, today).Revenue; err != nil || !near(got.Totals.EmailRevenue, want) {
		t.Errorf("emailRevenue of the days read: %v, %v; want %v", got.Totals.EmailRevenue, err, want)
	}
	// Seven hours on, the settling days are read again, then older ones.
	e.clock.Advance(7 * time.Hour)
	sync(fallback)
	if read := stored(); len(read) != 3*fallback-reportSettleDays || !read[today].Equal(e.clock.Now().Truncate(time.Millisecond)) {
		t.Errorf("%d flow days after the third sync, want %d with today read again", len(read), 3*fallback-reportSettleDays)
	}
	if n := e.fake.Count(flowSeriesCall); n != 3 {
		t.Errorf("%d flow series calls, want one a sync", n)
	}
	checkLimits(t, e.acct, testLimits())
}

// A 429 is retried once, after its Retry-After, each attempt taken from
// the budget; a second 429 ends the sync's reporting, and the sync still
// succeeds.
func TestReportRetryAfterIsHonouredOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name             string
		times            int
		wantCampaignCall int
		wantSeriesCall   int
		wantValues       bool
	}{
		{"one 429", 1, 2, 1, true},
		{"two 429s", 2, 2, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var waits []time.Duration
			e := newEnv(t, func(o *platform.Options) {
				o.Sleep = func(ctx context.Context, d time.Duration) error {
					mu.Lock()
					waits = append(waits, d)
					mu.Unlock()
					return ctx.Err()
				}
			})
			e.acct.InjectFault(platformtest.Fault{Platform: platformtest.Klaviyo, Path: "/api/campaign-values-reports", Status: 429, RetryAfter: 3, Times: tt.times})
			owner := e.actor(authz.RoleOwner)
			e.connect(t, owner, Klaviyo)
			if r := e.sync(t, owner, Klaviyo); r.Status != SyncSucceeded {
				t.Fatalf("sync = %+v", r)
			}
			if c, s := e.fake.Count(campaignValuesCall), e.fake.Count(flowSeriesCall); c != tt.wantCampaignCall || s != tt.wantSeriesCall {
				t.Errorf("%d campaign values and %d flow series calls, want %d and %d", c, s, tt.wantCampaignCall, tt.wantSeriesCall)
			}
			mu.Lock()
			if len(waits) != 1 || waits[0] != 3*time.Second {
				t.Errorf("waits %v, want one of Retry-After's 3s", waits)
			}
			mu.Unlock()
			if n := e.count(t, reportCallsCollection, nil); n != int64(tt.wantCampaignCall+tt.wantSeriesCall) {
				t.Errorf("%d calls taken from the budget, want every attempt's", n)
			}
			if n := e.count(t, campaignValuesCollection, nil); (n > 0) != tt.wantValues {
				t.Errorf("%d campaign values stored", n)
			}
		})
	}
}

// A series report refused with 400 falls back to the one-day values
// reports too, instead of failing the sync.
func TestFlowSeriesRefusedFallsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.acct.InjectFault(platformtest.Fault{Platform: platformtest.Klaviyo, Path: "/api/flow-series-reports", Status: 400})
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, Klaviyo)
	if r := e.sync(t, owner, Klaviyo); r.Status != SyncSucceeded {
		t.Fatalf("sync = %+v", r)
	}
	if s, v := e.fake.Count(flowSeriesCall), e.fake.Count(flowValuesCall); s != 1 || v != DefaultReportFallbackCalls {
		t.Errorf("%d series and %d values calls, want 1 and %d", s, v, DefaultReportFallbackCalls)
	}
}
