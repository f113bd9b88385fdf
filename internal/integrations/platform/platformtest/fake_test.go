package platformtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/omnify/bff/internal/integrations/hubspot"
	"github.com/omnify/bff/internal/integrations/klaviyo"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
	"github.com/omnify/bff/internal/integrations/triplewhale"
)

// TestClientsReadTheAccounts reads two accounts through the real clients:
// each key sees its own account's data, page by page.
func TestClientsReadTheAccounts(t *testing.T) {
	fake := platformtest.Start(t, platformtest.Config{HubSpotPageSize: 3, KlaviyoPageSize: 1})
	opts, _, _ := platformtest.Options(t)
	urls := fake.URLs()
	for _, acct := range []*platformtest.Account{
		fake.AddAccount(platformtest.AccountConfig{DealCount: 7}),
		fake.AddAccount(platformtest.AccountConfig{CampaignCount: 3}),
	} {
		t.Run(acct.Name(), func(t *testing.T) {
			hs, _ := hubspot.New(urls.HubSpot, acct.Key(platformtest.HubSpot), opts)
			var ids []string
			if err := hs.Deals(t.Context(), func(page []hubspot.Deal) error {
				for _, d := range page {
					ids = append(ids, d.ID)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if want := acct.Deals(); len(ids) != len(want) || ids[0] != want[0].ID {
				t.Errorf("deals %v, want %d from %s", ids, len(want), want[0].ID)
			}

			tw, _ := triplewhale.New(urls.TripleWhale, acct.Key(platformtest.TripleWhale), opts)
			day := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
			s, err := tw.Summary(t.Context(), acct.ShopDomain(), day, day)
			if want := acct.Figures(day); err != nil || s.Revenue != want.Revenue || s.AdSpend != want.AdSpend || s.ROAS != want.ROAS() {
				t.Errorf("summary %+v, %v; want %+v", s, err, want)
			}

			kl, _ := klaviyo.New(urls.Klaviyo, acct.Key(platformtest.Klaviyo), opts)
			n := 0
			if err := kl.Campaigns(t.Context(), func(page []klaviyo.Campaign) error { n += len(page); return nil }); err != nil || n != len(acct.Campaigns()) {
				t.Errorf("campaigns %d, %v; want %d", n, err, len(acct.Campaigns()))
			}
			metrics, err := kl.FindMetrics(t.Context(), klaviyo.MetricPlacedOrder)
			if err != nil {
				t.Fatal(err)
			}
			values, err := kl.DailyValues(t.Context(), metrics[klaviyo.MetricPlacedOrder].ID, day, day.AddDate(0, 0, 2))
			if want := acct.Totals(day, day.AddDate(0, 0, 1)); err != nil || len(values) != 2 || values[0].Sum+values[1].Sum != want.EmailRevenue {
				t.Errorf("placed order values %+v, %v; want %v in all", values, err, want.EmailRevenue)
			}
		})
	}
}

// TestEmailFunnel reads the three email metrics of a generated account
// through the client: each day has what Figures says, and received >=
// opened >= clicked, as email works.
func TestEmailFunnel(t *testing.T) {
	fake := platformtest.Start(t, platformtest.Config{})
	acct := fake.AddAccount(platformtest.AccountConfig{})
	opts, _, _ := platformtest.Options(t)
	kl, _ := klaviyo.New(fake.URLs().Klaviyo, acct.Key(platformtest.Klaviyo), opts)
	names := []string{klaviyo.MetricReceivedEmail, klaviyo.MetricOpenedEmail, klaviyo.MetricClickedEmail}
	metrics, err := kl.FindMetrics(t.Context(), names...)
	if err != nil || len(metrics) != len(names) {
		t.Fatalf("FindMetrics = %v, %v", metrics, err)
	}
	from := time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC)
	const days = 14 // across a month's end, where the day of the month restarts
	counts := make(map[string][]float64)
	for _, n := range names {
		values, err := kl.DailyValues(t.Context(), metrics[n].ID, from, from.AddDate(0, 0, days))
		if err != nil || len(values) != days {
			t.Fatalf("%s: %d values, %v", n, len(values), err)
		}
		for _, v := range values {
			counts[n] = append(counts[n], v.Count)
		}
	}
	for i := range days {
		day := from.AddDate(0, 0, i)
		f := acct.Figures(day)
		r, o, c := counts[names[0]][i], counts[names[1]][i], counts[names[2]][i]
		if r != f.EmailsReceived || o != f.EmailsOpened || c != f.EmailsClicked {
			t.Errorf("%s: received %v, opened %v, clicked %v; want %+v", day.Format(time.DateOnly), r, o, c, f)
		}
		if !(r >= o && o >= c && c > 0) {
			t.Errorf("%s: received %v, opened %v, clicked %v; want received >= opened >= clicked > 0", day.Format(time.DateOnly), r, o, c)
		}
	}
}

func TestFaultsAndRevocation(t *testing.T) {
	fake := platformtest.Start(t, platformtest.Config{})
	acct := fake.AddAccount(platformtest.AccountConfig{})
	acct.InjectFault(platformtest.Fault{Platform: platformtest.HubSpot, Status: http.StatusTooManyRequests, Every: 2})
	acct.InjectFault(platformtest.Fault{Platform: platformtest.HubSpot, Path: "/crm/v3/objects/contacts", Drop: true, Times: 1})
	opts, sleeper, _ := platformtest.Options(t)
	hs, _ := hubspot.New(fake.URLs().HubSpot, acct.Key(platformtest.HubSpot), opts)

	// Calls 1 (dropped), 2 (429), 3 (answered).
	if err := hs.CheckKey(t.Context()); err != nil {
		t.Fatalf("CheckKey through a drop and a 429: %v", err)
	}
	if got := acct.FaultsServed(); got["hubspot 429"] != 1 || got["hubspot drop"] != 1 {
		t.Errorf("faults served %v", got)
	}
	if w := sleeper.Waits(); len(w) != 2 || w[1] != time.Second {
		t.Errorf("waits %v, want the 429's Retry-After of 1s second", w)
	}
	if n := acct.Count("GET /crm/v3/objects/contacts"); n != 3 || fake.Count("GET /crm/v3/objects/contacts") != 3 || fake.TotalOf(platformtest.HubSpot) != 3 {
		t.Errorf("counted %d contact requests, want 3", n)
	}

	acct.Revoke(platformtest.HubSpot, http.StatusForbidden)
	if err := hs.CheckKey(t.Context()); !platform.IsRejected(err) {
		t.Errorf("CheckKey with a revoked key = %v, want rejected", err)
	}
	acct.Restore(platformtest.HubSpot)
	acct.ClearFaults()
	if err := hs.CheckKey(t.Context()); err != nil {
		t.Errorf("CheckKey after restore: %v", err)
	}
}

func TestEvolveChangesTheCRM(t *testing.T) {
	fake := platformtest.Start(t, platformtest.Config{})
	acct := fake.AddAccount(platformtest.AccountConfig{DealCount: 20})
	again := platformtest.Start(t, platformtest.Config{}).AddAccount(platformtest.AccountConfig{DealCount: 20})
	before := acct.Deals()
	acct.Evolve()
	acct.Evolve()
	after := acct.Deals()
	if len(after) != len(before)+1 || len(acct.Contacts()) != 3+2 {
		t.Errorf("after two rounds: %d deals (from %d), %d contacts", len(after), len(before), len(acct.Contacts()))
	}
	again.Evolve()
	again.Evolve()
	if got := again.Deals(); !reflect.DeepEqual(got, after) {
		t.Error("the same account evolved twice differs: the data is not deterministic")
	}
}

func TestControlAPI(t *testing.T) {
	fake := platformtest.Start(t, platformtest.Config{})
	ctl := httptest.NewServer(fake.ControlHandler())
	t.Cleanup(ctl.Close)
	post := func(path string, body any) *http.Response {
		t.Helper()
		b, _ := json.Marshal(body)
		res, err := http.Post(ctl.URL+"/_control"+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	res := post("/accounts", map[string]any{"name": "e2e", "keys": map[string]string{"hubSpot": "pat-na1-e2e"},
		"days": map[string]any{"2026-03-01": map[string]any{"revenue": 12.5}}})
	var view platformtest.AccountView
	if err := json.NewDecoder(res.Body).Decode(&view); err != nil || res.StatusCode != http.StatusCreated || view.Keys.HubSpot != "pat-na1-e2e" || len(view.Deals) != 5 {
		t.Fatalf("add account: %d %+v %v", res.StatusCode, view, err)
	}
	acct := fake.Account("e2e")
	if f := acct.Figures(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); f.Revenue != 12.5 || acct.Figures(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)).Revenue != 0 {
		t.Errorf("figures of the given days: %+v", f)
	}
	if res := post("/accounts", map[string]any{"name": "e2e"}); res.StatusCode != http.StatusConflict {
		t.Errorf("a second account e2e: %d", res.StatusCode)
	}
	if res := post("/accounts/e2e/revoke", map[string]any{"platform": "hubspot"}); res.StatusCode != http.StatusOK {
		t.Errorf("revoke: %d", res.StatusCode)
	}
	if res := post("/accounts/e2e/revoke", map[string]any{"platform": "shopify"}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("revoke an unknown platform: %d", res.StatusCode)
	}
	opts, _, _ := platformtest.Options(t)
	hs, _ := hubspot.New(fake.URLs().HubSpot, "pat-na1-e2e", opts)
	if err := hs.CheckKey(t.Context()); !platform.IsRejected(err) {
		t.Errorf("CheckKey after a revoke through the control API = %v", err)
	}
}
