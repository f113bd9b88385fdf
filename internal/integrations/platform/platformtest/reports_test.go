package platformtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/integrations/klaviyo"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

// reportBody is a report request with its attributes replaced by attrs.
func reportBody(typ string, attrs map[string]any) []byte {
	base := map[string]any{"statistics": []string{"conversion_value", "conversions"}, "conversion_metric_id": "MetOrdered",
		"timeframe": map[string]any{"start": "2026-03-01T00:00:00Z", "end": "2026-03-08T00:00:00Z"}}
	if typ == "flow-series-report" {
		base["interval"] = "daily"
	}
	for k, v := range attrs {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"type": typ, "attributes": base}})
	return b
}

func postReport(t *testing.T, url, key, path string, body []byte) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Klaviyo-API-Key "+key)
	req.Header.Set("Revision", klaviyo.Revision)
	req.Header.Set("Content-Type", "application/vnd.api+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res, out
}

func TestReportValidation(t *testing.T) {
	fake := platformtest.Start(t, platformtest.Config{KlaviyoReportLimits: platformtest.ReportLimits{
		Burst: platformtest.Limit{Calls: 100, Window: time.Millisecond}, Steady: platformtest.Limit{Calls: 100, Window: time.Millisecond}}})
	acct := fake.AddAccount(platformtest.AccountConfig{})
	for _, tt := range []struct {
		name    string
		attrs   map[string]any
		pointer string
	}{
		{"no conversion metric", map[string]any{"conversion_metric_id": nil}, "conversion_metric_id"},
		{"unknown conversion metric", map[string]any{"conversion_metric_id": "nope"}, "conversion_metric_id"},
		{"unknown statistic", map[string]any{"statistics": []string{"conversion_value", "revenue"}}, "statistics"},
		{"over a year", map[string]any{"timeframe": map[string]any{"start": "2025-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}}, "timeframe"},
		{"start after end", map[string]any{"timeframe": map[string]any{"start": "2026-03-08T00:00:00Z", "end": "2026-03-01T00:00:00Z"}}, "timeframe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, out := postReport(t, fake.URLs().Klaviyo, acct.Key(platformtest.Klaviyo), platformtest.PathCampaignValues, reportBody("campaign-values-report", tt.attrs))
			errs, _ := out["errors"].([]any)
			if res.StatusCode != 400 || len(errs) != 1 || !strings.HasSuffix(fmt.Sprint(errs[0].(map[string]any)["source"]), tt.pointer+"]") {
				t.Errorf("%d %v, want 400 pointing at %s", res.StatusCode, out, tt.pointer)
			}
		})
	}
}

func TestReportLimitsAndSeriesSwitch(t *testing.T) {
	fake := platformtest.Start(t, platformtest.Config{KlaviyoReportLimits: platformtest.ReportLimits{
		Burst:  platformtest.Limit{Calls: 1, Window: time.Hour},
		Steady: platformtest.Limit{Calls: 2, Window: time.Hour},
		Daily:  platformtest.Limit{Calls: 3, Window: time.Hour}}})
	acct := fake.AddAccount(platformtest.AccountConfig{})
	other := fake.AddAccount(platformtest.AccountConfig{})
	url, key := fake.URLs().Klaviyo, acct.Key(platformtest.Klaviyo)
	if res, _ := postReport(t, url, key, platformtest.PathFlowSeries, reportBody("flow-series-report", nil)); res.StatusCode != 200 {
		t.Fatalf("first call: %d", res.StatusCode)
	}
	res, out := postReport(t, url, key, platformtest.PathFlowValues, reportBody("flow-values-report", nil))
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" || out["errors"] == nil {
		t.Errorf("second call within the burst window: %d Retry-After %q %v", res.StatusCode, res.Header.Get("Retry-After"), out)
	}
	// The limits are per account.
	if res, _ := postReport(t, url, other.Key(platformtest.Klaviyo), platformtest.PathFlowValues, reportBody("flow-values-report", nil)); res.StatusCode != 200 {
		t.Errorf("another account: %d", res.StatusCode)
	}
	other.SetFlowSeries(false)
	fake.SetKlaviyoReportLimits(platformtest.ReportLimits{})
	time.Sleep(1100 * time.Millisecond)
	if res, _ := postReport(t, url, other.Key(platformtest.Klaviyo), platformtest.PathFlowSeries, reportBody("flow-series-report", nil)); res.StatusCode != 404 {
		t.Errorf("series withdrawn: %d", res.StatusCode)
	}
	calls := acct.ReportCalls()
	if len(calls) != 2 || calls[0].Status != 200 || calls[1].Status != 429 || fake.Count("POST "+platformtest.PathFlowValues) != 2 {
		t.Errorf("calls %+v, counts %v", calls, fake.Counts())
	}
}

// The reports attribute to email what Account.Attributed says, less than
// "Placed Order", which is every order.
func TestReportsMatchTheAccount(t *testing.T) {
	fake := platformtest.Start(t, platformtest.Config{KlaviyoReportLimits: platformtest.ReportLimits{
		Burst: platformtest.Limit{Calls: 100, Window: time.Millisecond}, Steady: platformtest.Limit{Calls: 100, Window: time.Millisecond}}})
	sent := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	acct := fake.AddAccount(platformtest.AccountConfig{FlowCount: 2,
		Campaigns: []platformtest.Campaign{{ID: "C1", Name: "Spring", Status: "Sent", SendTime: &sent, Revenue: 301.5, Conversions: 5}}})
	opts, _, _ := platformtest.Options(t)
	c, err := klaviyo.New(fake.URLs().Klaviyo, acct.Key(platformtest.Klaviyo), opts)
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
	q := klaviyo.ReportQuery{ConversionMetricID: "MetOrdered", Start: from, End: to.AddDate(0, 0, 1)}
	campaigns, err := c.CampaignValues(t.Context(), nil, q)
	if err != nil || len(campaigns) != 1 || campaigns[0] != (klaviyo.CampaignValue{CampaignID: "C1", Revenue: 301.5, Conversions: 5}) {
		t.Errorf("campaigns %+v, %v", campaigns, err)
	}
	series, err := c.FlowSeries(t.Context(), nil, q)
	if err != nil {
		t.Fatal(err)
	}
	values, err := c.FlowValues(t.Context(), nil, q)
	if err != nil {
		t.Fatal(err)
	}
	want := acct.FlowAttribution(from, to)
	bySeries, byValues := map[string]float64{}, map[string]float64{}
	for _, v := range series {
		bySeries[v.FlowID] += v.Revenue
	}
	for _, v := range values {
		byValues[v.FlowID] += v.Revenue
	}
	for id, w := range want {
		if bySeries[id] != w.Revenue || byValues[id] != w.Revenue {
			t.Errorf("flow %s: series %v, values %v; want %v", id, bySeries[id], byValues[id], w.Revenue)
		}
	}
	total := acct.Attributed(from, to).Revenue
	if placed := acct.Totals(from, to).EmailRevenue; total <= 0 || total >= placed {
		t.Errorf("attributed %v, Placed Order %v: want some, below every order", total, placed)
	}
}
