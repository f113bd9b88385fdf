package integrations

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
	"github.com/omnify/bff/internal/page"
)

// days returns the dates from first to last, both included, as YYYY-MM-DD.
func days(first, last time.Time) []string {
	var out []string
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// dailyOf returns the stored daily figures of p, oldest first.
func (e *testEnv) dailyOf(t *testing.T, p Platform) []dailyDoc {
	t.Helper()
	docs, err := findAll[dailyDoc](t.Context(), e.store.daily,
		bson.D{{Key: "organizationId", Value: e.org}, {Key: "platform", Value: p}},
		options.Find().SetSort(bson.D{{Key: "date", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// allDeals returns every deal through the service, in its order.
func (e *testEnv) allDeals(t *testing.T, a *authz.Principal) []Deal {
	t.Helper()
	p, err := e.svc.Deals(t.Context(), a, ptr(page.MaxFirst), nil, "")
	if err != nil {
		t.Fatalf("Deals: %v", err)
	}
	return p.Items
}

func TestFullSyncPerPlatform(t *testing.T) {
	t.Parallel()
	today := utcDay(epoch())
	first := today.AddDate(0, 0, -(InitialSyncDays - 1))
	tests := []struct {
		platform    Platform
		wantRecords int
		check       func(t *testing.T, e *testEnv)
	}{
		{TripleWhale, InitialSyncDays, func(t *testing.T, e *testEnv) {
			if got, want := e.acct.SummaryDays(), days(first, today); !slices.Equal(got, want) {
				t.Errorf("days asked = %d (%v … ), want %d from %s", len(got), got[:min(3, len(got))], len(want), want[0])
			}
			docs := e.dailyOf(t, TripleWhale)
			if len(docs) != InitialSyncDays {
				t.Fatalf("%d days stored, want %d", len(docs), InitialSyncDays)
			}
			for i, d := range docs {
				day := first.AddDate(0, 0, i)
				f := fig(day)
				rev, spend, orders := f.Revenue, f.AdSpend, f.Orders
				if !d.Date.Equal(day) || d.Revenue != rev || d.AdSpend != spend || d.Orders != orders ||
					d.ROAS != f.ROAS() || d.AverageOrderValue != f.AverageOrderValue() || d.NetProfit != f.NetProfit {
					t.Errorf("day %s = %+v, want revenue %v spend %v orders %v", day.Format(time.DateOnly), d, rev, spend, orders)
				}
			}
		}},
		{HubSpot, 5 + 3, func(t *testing.T, e *testEnv) {
			deals := e.allDeals(t, e.actor(authz.RoleViewer))
			if len(deals) != len(e.acct.Deals()) {
				t.Fatalf("%d deals, want %d", len(deals), len(e.acct.Deals()))
			}
			for _, want := range e.acct.Deals() {
				i := slices.IndexFunc(deals, func(d Deal) bool { return d.HubSpotID == want.ID })
				if i < 0 {
					t.Errorf("deal %s missing", want.ID)
					continue
				}
				got := deals[i]
				if got.Name != want.Name || got.Stage != want.Stage || got.Pipeline != "default" ||
					!equalPtr(got.Amount, want.Amount) || !equalTimePtr(got.CloseDate, want.CloseDate) || !got.UpdatedAt.Equal(want.UpdatedAt) {
					t.Errorf("deal %s = %+v, want %+v", want.ID, got, want)
				}
			}
			contacts, err := e.svc.Contacts(t.Context(), e.actor(authz.RoleViewer), ptr(10), nil)
			if err != nil || len(contacts.Items) != 3 {
				t.Fatalf("Contacts = %+v, %v", contacts, err)
			}
			if c := contacts.Items[2]; c != (Contact{Key: recordKey(e.org, "201"), HubSpotID: "201", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", CreatedAt: date(2026, 1, 5)}) {
				t.Errorf("oldest contact = %+v", c)
			}
		}},
		// Campaigns, flows, days of metrics, the attributed values of the
		// two sent campaigns, and the days of flow figures.
		{Klaviyo, 3 + 2 + InitialSyncDays + 2 + InitialSyncDays, func(t *testing.T, e *testEnv) {
			campaigns, err := e.svc.EmailCampaigns(t.Context(), e.actor(authz.RoleViewer), ptr(10), nil)
			if err != nil || len(campaigns.Items) != 3 {
				t.Fatalf("EmailCampaigns = %+v, %v", campaigns, err)
			}
			flows, err := e.svc.EmailFlows(t.Context(), e.actor(authz.RoleViewer), nil, nil)
			if err != nil || len(flows.Items) != 2 {
				t.Fatalf("EmailFlows = %+v, %v", flows, err)
			}
			docs := e.dailyOf(t, Klaviyo)
			if len(docs) != InitialSyncDays {
				t.Fatalf("%d days stored, want %d", len(docs), InitialSyncDays)
			}
			for i, d := range docs {
				day := first.AddDate(0, 0, i)
				f := fig(day)
				if !d.Date.Equal(day) || d.EmailsReceived != f.EmailsReceived || d.EmailsOpened != f.EmailsOpened || d.EmailsClicked != f.EmailsClicked ||
					d.PlacedOrders != f.EmailOrders || d.PlacedOrderRevenue != f.EmailRevenue || d.Revenue != 0 {
					t.Errorf("day %s = %+v", day.Format(time.DateOnly), d)
				}
			}
			if n := e.fake.Count("POST /api/metric-aggregates"); n != 4 {
				t.Errorf("%d aggregate requests, want 4 (one per metric)", n)
			}
			// One report for the campaigns and one for the flows.
			if c, f, v := e.fake.Count("POST /api/campaign-values-reports"), e.fake.Count("POST /api/flow-series-reports"),
				e.fake.Count("POST /api/flow-values-reports"); c != 1 || f != 1 || v != 0 {
				t.Errorf("reports: %d campaign values, %d flow series, %d flow values; want 1, 1, 0", c, f, v)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.platform), func(t *testing.T) {
			e := newEnv(t)
			owner := e.actor(authz.RoleOwner)
			e.connect(t, owner, tt.platform)
			run := e.sync(t, owner, tt.platform)
			if run.Status != SyncSucceeded || run.RecordsWritten != tt.wantRecords || run.Error != "" ||
				run.StartedAt == nil || run.FinishedAt == nil {
				t.Errorf("run = %+v, want SUCCEEDED with %d records", run, tt.wantRecords)
			}
			i := e.integration(t, owner, tt.platform)
			if i.Status != StatusConnected || i.LastSyncedAt == nil || !i.LastSyncedAt.Equal(epoch()) || i.LastError != "" ||
				i.NextSyncAt == nil || !i.NextSyncAt.Equal(epoch().Add(DefaultInterval)) {
				t.Errorf("integration = %+v, want CONNECTED, synced now, next sync in an hour", i)
			}
			tt.check(t, e)
		})
	}
}

func equalPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func equalTimePtr(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

func TestSyncReportsProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	e.events.take()
	run := e.sync(t, owner, HubSpot)

	type step struct {
		status  Status
		sync    SyncStatus
		records int
	}
	var got []step
	for _, ev := range e.events.take() {
		if ev.Sync == nil || ev.Sync.ID != run.ID || ev.Platform != HubSpot || ev.OrganizationID != e.org || ev.At.IsZero() {
			t.Fatalf("event = %+v, want one about run %s", ev, run.ID.Hex())
		}
		got = append(got, step{ev.Status, ev.Sync.Status, ev.Sync.RecordsWritten})
	}
	// Deals come in pages of 2, 2, 1 and contacts in pages of 2, 1.
	want := []step{
		{StatusConnected, SyncQueued, 0},
		{StatusSyncing, SyncRunning, 0},
		{StatusSyncing, SyncRunning, 2}, {StatusSyncing, SyncRunning, 4}, {StatusSyncing, SyncRunning, 5},
		{StatusSyncing, SyncRunning, 7}, {StatusSyncing, SyncRunning, 8},
		{StatusConnected, SyncSucceeded, 8},
	}
	if !slices.Equal(got, want) {
		t.Errorf("events =\n%v\nwant\n%v", got, want)
	}
}

func TestRepeatedSyncWritesNoDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	collections := []string{dailyCollection, dealsCollection, contactsCollection, campaignsCollection, flowsCollection}
	for _, p := range []Platform{HubSpot, Klaviyo} {
		e.connect(t, owner, p)
		e.sync(t, owner, p)
	}
	before := map[string]int64{}
	for _, c := range collections {
		before[c] = e.count(t, c, nil)
	}
	for _, p := range []Platform{HubSpot, Klaviyo} {
		if r := e.sync(t, owner, p); r.Status != SyncSucceeded {
			t.Fatalf("second %s sync = %+v", p, r)
		}
	}
	for _, c := range collections {
		if n := e.count(t, c, nil); n != before[c] {
			t.Errorf("%s holds %d documents after a second sync, want %d", c, n, before[c])
		}
	}
}

func TestSecondSyncReadsSinceLastSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, TripleWhale)
	e.sync(t, owner, TripleWhale)
	asked := len(e.acct.SummaryDays())
	e.clock.Advance(2 * 24 * time.Hour) // 17 March, 12:00

	run := e.sync(t, owner, TripleWhale)
	// The last success was on 15 March; Triple Whale re-reads 3 days before it.
	if got, want := e.acct.SummaryDays()[asked:], days(date(2026, 3, 12), date(2026, 3, 17)); !slices.Equal(got, want) {
		t.Errorf("Triple Whale days asked = %v, want %v", got, want)
	}
	if run.RecordsWritten != 6 {
		t.Errorf("records = %d, want 6", run.RecordsWritten)
	}
	if n := len(e.dailyOf(t, TripleWhale)); n != InitialSyncDays+2 {
		t.Errorf("%d Triple Whale days stored, want %d", n, InitialSyncDays+2)
	}
}

func TestSyncWindow(t *testing.T) {
	t.Parallel()
	today := date(2026, 3, 17)
	at := func(d time.Time) *time.Time { d = d.Add(13 * time.Hour); return &d }
	tests := []struct {
		name     string
		last     *time.Time
		overlap  int
		from, to time.Time
	}{
		{"the first sync reads 90 days", nil, TripleWhaleOverlapDays, date(2025, 12, 18), today},
		{"Triple Whale re-reads 3 days before the last success", at(date(2026, 3, 15)), TripleWhaleOverlapDays, date(2026, 3, 12), today},
		{"Klaviyo re-reads the day before the last success", at(date(2026, 3, 15)), klaviyoOverlapDays, date(2026, 3, 14), today},
		{"a success today still re-reads the overlap", at(today), klaviyoOverlapDays, date(2026, 3, 16), today},
		{"a success long ago reads at most 90 days", at(date(2025, 1, 1)), TripleWhaleOverlapDays, date(2025, 12, 18), today},
		{"a success in the future reads today", at(date(2026, 4, 1)), 0, today, today},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &syncJob{doc: &integrationDoc{LastSyncedAt: tt.last}, today: today}
			from, to := j.window(tt.overlap)
			if !from.Equal(tt.from) || !to.Equal(tt.to) {
				t.Errorf("window = %s..%s, want %s..%s", from.Format(time.DateOnly), to.Format(time.DateOnly),
					tt.from.Format(time.DateOnly), tt.to.Format(time.DateOnly))
			}
		})
	}
}

func TestSyncDeletesRecordsGoneFromThePlatform(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	e.sync(t, owner, HubSpot)
	if !e.acct.DeleteDeal("104") {
		t.Fatal("the fake has no deal 104")
	}
	e.sync(t, owner, HubSpot)
	for _, d := range e.allDeals(t, owner) {
		if d.HubSpotID == "104" {
			t.Error("deal 104, deleted in HubSpot, is still listed")
		}
	}
	if n := e.count(t, dealsCollection, nil); n != int64(len(e.acct.Deals())) {
		t.Errorf("%d deals stored, want %d", n, len(e.acct.Deals()))
	}
}

func TestSyncFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		platform Platform
		tune     func(*platform.Options)
		// fail answers the requests that should fail.
		fail         func(w http.ResponseWriter, r *http.Request) bool
		wantError    []string
		wantRejected bool
		// recover runs a sync after the platform recovers.
		recover bool
	}{
		{
			name:     "a 401 in the middle of a sync asks for a reconnect",
			platform: HubSpot,
			fail: func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/crm/v3/objects/deals" && r.URL.Query().Get("after") == "2" {
					platformtest.WriteError(w, platformtest.HubSpot, http.StatusUnauthorized, "INVALID_AUTHENTICATION", "The OAuth token used to make this call expired; key "+hsKey)
					return true
				}
				return false
			},
			wantError:    []string{"HubSpot rejected the API key (401): The OAuth token used to make this call expired", "Reconnect the integration with a valid key."},
			wantRejected: true,
			recover:      true,
		},
		{
			name:     "a 403 on the metrics asks for a reconnect",
			platform: Klaviyo,
			fail: func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/api/metrics" {
					platformtest.WriteError(w, platformtest.Klaviyo, http.StatusForbidden, "permission_denied", "You do not have permission to perform this action.")
					return true
				}
				return false
			},
			wantError:    []string{"Klaviyo rejected the API key (403): You do not have permission to perform this action.", "Reconnect"},
			wantRejected: true,
		},
		{
			name:     "500 forever",
			platform: TripleWhale,
			fail: func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/summary-page/get-data" {
					platformtest.WriteError(w, platformtest.TripleWhale, http.StatusInternalServerError, "", "Internal server error")
					return true
				}
				return false
			},
			wantError: []string{"The Triple Whale sync failed", "HTTP 500", "Internal server error", "gave up after 4 attempts"},
		},
		{
			name:     "invalid JSON",
			platform: Klaviyo,
			fail: func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/api/flows" {
					io.WriteString(w, `{"data":[{"type":"flow","id":"f1"`)
					return true
				}
				return false
			},
			wantError: []string{"The Klaviyo sync failed", "GET /api/flows", "invalid JSON"},
		},
		{
			name:     "a pagination loop",
			platform: HubSpot,
			fail: func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/crm/v3/objects/contacts" {
					io.WriteString(w, `{"results":[{"id":"201","properties":{}}],"paging":{"next":{"after":"same"}}}`)
					return true
				}
				return false
			},
			wantError: []string{"The HubSpot sync failed", "pagination loop"},
			recover:   true,
		},
		{
			name:     "a timeout",
			platform: Klaviyo,
			tune:     func(o *platform.Options) { o.Timeout, o.MaxAttempts = 50*time.Millisecond, 2 },
			fail: func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/api/campaigns" {
					<-r.Context().Done()
					return true
				}
				return false
			},
			wantError: []string{"The Klaviyo sync failed", "no response within 50ms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tune []func(*platform.Options)
			if tt.tune != nil {
				tune = append(tune, tt.tune)
			}
			e := newEnv(t, tune...)
			owner := e.actor(authz.RoleOwner)
			e.connect(t, owner, tt.platform)
			e.fake.SetIntercept(tt.fail)
			run := e.sync(t, owner, tt.platform)
			if run.Status != SyncFailed || run.FinishedAt == nil {
				t.Fatalf("run = %+v, want FAILED", run)
			}
			for _, part := range tt.wantError {
				if !strings.Contains(run.Error, part) {
					t.Errorf("run error %q does not contain %q", run.Error, part)
				}
			}
			i := e.integration(t, owner, tt.platform)
			if i.Status != StatusError || i.LastError != run.Error || i.LastSyncedAt != nil {
				t.Errorf("integration = %+v, want ERROR with the run's error", i)
			}
			if strings.Contains(run.Error, keyOf(tt.platform)) {
				t.Errorf("the error leaks the key: %q", run.Error)
			}

			// Make the integration due: a refused key is not scheduled again,
			// a temporary failure is.
			e.clock.Advance(2 * DefaultInterval)
			n, err := e.worker("w2").Schedule(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 0, false: 1}[tt.wantRejected]; n != want {
				t.Errorf("Schedule queued %d runs, want %d", n, want)
			}

			if !tt.recover {
				return
			}
			t.Run("and the next sync after the platform recovers succeeds", func(t *testing.T) {
				e.fake.SetIntercept(nil)
				run := e.sync(t, owner, tt.platform)
				if run.Status != SyncSucceeded {
					t.Fatalf("run = %+v", run)
				}
				if i := e.integration(t, owner, tt.platform); i.Status != StatusConnected || i.LastError != "" {
					t.Errorf("integration = %+v, want CONNECTED without error", i)
				}
				e.clock.Advance(2 * DefaultInterval)
				if n, err := e.worker("w2").Schedule(t.Context()); n != 1 || err != nil {
					t.Errorf("Schedule = %d, %v; want the schedule to resume", n, err)
				}
			})
		})
	}
}

func TestWorkerKeepsGoingAfterAFailedRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	for _, p := range []Platform{TripleWhale, HubSpot} {
		e.connect(t, owner, p)
	}
	e.fake.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/summary-page/get-data" {
			platformtest.WriteError(w, platformtest.TripleWhale, http.StatusBadGateway, "", "upstream down")
			return true
		}
		return false
	})
	tw, _ := e.svc.RequestSync(t.Context(), owner, TripleWhale)
	hs, _ := e.svc.RequestSync(t.Context(), owner, HubSpot)
	w := e.worker("w1")
	for range 2 {
		if ran, err := w.RunOnce(t.Context()); !ran || err != nil {
			t.Fatalf("RunOnce = %v, %v", ran, err)
		}
	}
	if r := e.run(t, tw.ID); r.Status != SyncFailed {
		t.Errorf("Triple Whale run = %+v, want FAILED", r)
	}
	if r := e.run(t, hs.ID); r.Status != SyncSucceeded {
		t.Errorf("HubSpot run = %+v, want SUCCEEDED", r)
	}
	if ran, err := w.RunOnce(t.Context()); ran || err != nil {
		t.Errorf("RunOnce = %v, %v; want nothing left", ran, err)
	}
}

func TestSyncReseals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot) // sealed with testKey(1)

	rotated, err := NewSealer("", testKey(2), map[string][]byte{KeyID(testKey(1)): testKey(1)})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = New(e.store, Options{Sealer: rotated, Clients: e.clients, Now: e.clock.Now})
	if r := e.sync(t, owner, HubSpot); r.Status != SyncSucceeded {
		t.Fatalf("sync with the rotated sealer = %+v", r)
	}
	doc, _ := e.store.integration(context.Background(), e.org, HubSpot)
	if !rotated.IsCurrent(doc.Credential) {
		t.Errorf("credential %q is not sealed with the current key after a sync", doc.Credential[:12])
	}
	if key, err := rotated.Open(doc.Credential, sealContext(e.org, HubSpot)); err != nil || string(key) != hsKey {
		t.Errorf("resealed credential opens to %q, %v", key, err)
	}
}
