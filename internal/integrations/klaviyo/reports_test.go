package klaviyo_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnify/bff/internal/integrations/klaviyo"
)

func day(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

// query is the report query of the tests: 1 to 3 March.
func query() klaviyo.ReportQuery {
	return klaviyo.ReportQuery{ConversionMetricID: "MetOrdered", Start: day(1), End: day(3).Add(12 * time.Hour)}
}

// gateCounter is a Gate that counts its calls and records their paths.
type gateCounter struct {
	n, done atomic.Int64
	paths   []string
}

func (g *gateCounter) gate(_ context.Context, path string) (func(), error) {
	g.n.Add(1)
	g.paths = append(g.paths, path)
	return func() { g.done.Add(1) }, nil
}

func TestReportRequestBodies(t *testing.T) {
	for _, tt := range []struct {
		name, path, typ, interval string
		call                      func(c *klaviyo.Client, g klaviyo.Gate) error
	}{
		{"campaign values", "/api/campaign-values-reports", "campaign-values-report", "", func(c *klaviyo.Client, g klaviyo.Gate) error {
			_, err := c.CampaignValues(t.Context(), g, query())
			return err
		}},
		{"flow values", "/api/flow-values-reports", "flow-values-report", "", func(c *klaviyo.Client, g klaviyo.Gate) error {
			_, err := c.FlowValues(t.Context(), g, query())
			return err
		}},
		{"flow series", "/api/flow-series-reports", "flow-series-report", "daily", func(c *klaviyo.Client, g klaviyo.Gate) error {
			_, err := c.FlowSeries(t.Context(), g, query())
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body map[string]any
			c, _, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, http.MethodPost, tt.path)
				if ct := r.Header.Get("Content-Type"); ct != "application/vnd.api+json" {
					t.Errorf("Content-Type = %q", ct)
				}
				b, _ := io.ReadAll(r.Body)
				if err := json.Unmarshal(b, &body); err != nil {
					t.Errorf("body %s: %v", b, err)
				}
				w.Header().Set("Content-Type", "application/vnd.api+json")
				io.WriteString(w, `{"data":{"type":"`+tt.typ+`","attributes":{"results":[],"date_times":[]}}}`)
			})
			var g gateCounter
			if err := tt.call(c, g.gate); err != nil {
				t.Fatal(err)
			}
			data := body["data"].(map[string]any)
			attrs := data["attributes"].(map[string]any)
			tf := attrs["timeframe"].(map[string]any)
			if data["type"] != tt.typ || attrs["conversion_metric_id"] != "MetOrdered" ||
				tf["start"] != "2026-03-01T00:00:00Z" || tf["end"] != "2026-03-03T12:00:00Z" {
				t.Errorf("body = %v", body)
			}
			if stats, _ := json.Marshal(attrs["statistics"]); string(stats) != `["conversion_value","conversions"]` {
				t.Errorf("statistics = %s", stats)
			}
			if got, _ := attrs["interval"].(string); got != tt.interval {
				t.Errorf("interval = %q, want %q", got, tt.interval)
			}
			if g.n.Load() != 1 || g.done.Load() != 1 || g.paths[0] != tt.path || counter.Count() != 1 {
				t.Errorf("gate %d %v, requests %d; want one each", g.n.Load(), g.paths, counter.Count())
			}
		})
	}
}

func TestReportQueryValidation(t *testing.T) {
	c, _, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	for _, q := range []klaviyo.ReportQuery{
		{Start: day(1), End: day(2)},
		{ConversionMetricID: "m", Start: day(2), End: day(1)},
		{ConversionMetricID: "m", Start: day(2), End: day(2)},
		{ConversionMetricID: "m", Start: day(1).AddDate(-1, 0, -1), End: day(1)},
	} {
		if _, err := c.CampaignValues(t.Context(), nil, q); err == nil {
			t.Errorf("%+v accepted", q)
		}
	}
	if counter.Count() != 0 {
		t.Errorf("%d requests", counter.Count())
	}
}

func TestCampaignValuesSumsEmailMessages(t *testing.T) {
	c, _, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":{"type":"campaign-values-report","id":"x","attributes":{"results":[
			{"groupings":{"send_channel":"email","campaign_id":"C1","campaign_message_id":"M1"},"statistics":{"conversion_value":100.5,"conversions":3}},
			{"groupings":{"send_channel":"email","campaign_id":"C1","campaign_message_id":"M2"},"statistics":{"conversion_value":20,"conversions":1}},
			{"groupings":{"send_channel":"sms","campaign_id":"C2","campaign_message_id":"M3"},"statistics":{"conversion_value":999,"conversions":9}},
			{"groupings":{"send_channel":"email","campaign_id":"C3","campaign_message_id":"M4"},"statistics":{"conversion_value":null,"conversions":0}},
			{"groupings":{"send_channel":"push","campaign_id":"C1","campaign_message_id":"M5"},"statistics":{"conversion_value":5,"conversions":1}}
		]}}}`)
	})
	got, err := c.CampaignValues(t.Context(), nil, query())
	want := []klaviyo.CampaignValue{{CampaignID: "C1", Revenue: 120.5, Conversions: 4}, {CampaignID: "C3"}}
	if err != nil || len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("CampaignValues = %+v, %v; want %+v", got, err, want)
	}
}

func TestFlowSeriesByDay(t *testing.T) {
	c, _, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":{"type":"flow-series-report","id":"x","attributes":{
			"date_times":["2026-03-01T00:00:00+00:00","2026-03-02T00:00:00+00:00","2026-03-03T00:00:00+00:00"],
			"results":[
			{"groupings":{"send_channel":"email","flow_id":"F1","flow_message_id":"A"},"statistics":{"conversion_value":[10,0,2.5],"conversions":[1,0,1]}},
			{"groupings":{"send_channel":"email","flow_id":"F1","flow_message_id":"B"},"statistics":{"conversion_value":[5,null,0],"conversions":[1,0,0]}},
			{"groupings":{"send_channel":"sms","flow_id":"F1","flow_message_id":"S"},"statistics":{"conversion_value":[7,7,7],"conversions":[7,7,7]}},
			{"groupings":{"send_channel":"email","flow_id":"F2","flow_message_id":"C"},"statistics":{"conversion_value":[0,40,0],"conversions":[0,2,0]}}
		]}}}`)
	})
	got, err := c.FlowSeries(t.Context(), nil, query())
	want := map[string]klaviyo.FlowDayValue{
		"F1 1": {FlowID: "F1", Date: day(1), Revenue: 15, Conversions: 2},
		"F1 3": {FlowID: "F1", Date: day(3), Revenue: 2.5, Conversions: 1},
		"F2 2": {FlowID: "F2", Date: day(2), Revenue: 40, Conversions: 2},
	}
	if err != nil || len(got) != len(want) {
		t.Fatalf("FlowSeries = %+v, %v; want %v", got, err, want)
	}
	for _, v := range got {
		if w := want[v.FlowID+" "+string(rune('0'+v.Date.Day()))]; v != w {
			t.Errorf("value %+v, want %+v", v, w)
		}
	}
}

func TestFlowSeriesNotOffered(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusMethodNotAllowed} {
		c, _, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) { kError(w, status, "not_found", "no route") })
		_, err := c.FlowSeries(t.Context(), nil, query())
		if !errors.Is(err, klaviyo.ErrReportNotOffered) || counter.Count() != 1 {
			t.Errorf("%d: err = %v after %d requests; want ErrReportNotOffered after one", status, err, counter.Count())
		}
	}
	c, _, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) { kError(w, 400, "invalid", "bad timeframe") })
	if _, err := c.FlowSeries(t.Context(), nil, query()); err == nil || errors.Is(err, klaviyo.ErrReportNotOffered) || !strings.Contains(err.Error(), "bad timeframe") {
		t.Errorf("400: err = %v", err)
	}
}

// A 429 is retried once after its Retry-After, through the gate again;
// never more, and never after a Retry-After too long to wait for; other
// failures are not retried at all (each attempt costs the daily budget).
func TestReportRetriesA429Once(t *testing.T) {
	ok := `{"data":{"type":"campaign-values-report","attributes":{"results":[]}}}`
	for _, tt := range []struct {
		name        string
		statuses    []int
		retryAfter  string
		wantErr     bool
		wantCalls   int
		wantWaits   []time.Duration
		wantGateHit int
	}{
		{"429 then success", []int{429, 200}, "7", false, 2, []time.Duration{7 * time.Second}, 2},
		{"429 without Retry-After waits a second", []int{429, 200}, "", false, 2, []time.Duration{time.Second}, 2},
		{"two 429s", []int{429, 429, 200}, "1", true, 2, []time.Duration{time.Second}, 2},
		{"a Retry-After of hours is not waited for", []int{429, 200}, "36000", true, 1, nil, 1},
		{"503 is not retried", []int{503, 200}, "", true, 1, nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			c, _, counter, sleeper := server(t, func(w http.ResponseWriter, r *http.Request) {
				status := tt.statuses[n.Add(1)-1]
				if status != 200 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					kError(w, status, "throttled", "Request was throttled.")
					return
				}
				io.WriteString(w, ok)
			})
			var g gateCounter
			_, err := c.CampaignValues(t.Context(), g.gate, query())
			if (err != nil) != tt.wantErr || counter.Count() != tt.wantCalls || int(g.n.Load()) != tt.wantGateHit || g.done.Load() != g.n.Load() {
				t.Errorf("err %v after %d requests, %d gate calls; want error %v, %d, %d", err, counter.Count(), g.n.Load(), tt.wantErr, tt.wantCalls, tt.wantGateHit)
			}
			if waits := sleeper.Waits(); len(waits) != len(tt.wantWaits) || len(waits) > 0 && waits[0] != tt.wantWaits[0] {
				t.Errorf("waits %v, want %v", waits, tt.wantWaits)
			}
		})
	}
}

// A gate that refuses stops the call before anything is sent.
func TestReportGateRefuses(t *testing.T) {
	c, _, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent") })
	stop := errors.New("budget spent")
	_, err := c.FlowValues(t.Context(), func(context.Context, string) (func(), error) { return nil, stop }, query())
	if !errors.Is(err, stop) || counter.Count() != 0 {
		t.Errorf("err = %v after %d requests", err, counter.Count())
	}
}
