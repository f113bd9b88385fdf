package klaviyo_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnify/bff/internal/integrations/klaviyo"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

const apiKey = "pk_0123456789abcdef0123456789abcdef01"

// server returns a Client for a test server running h, the server's URL,
// the request counter and the sleeper.
func server(t *testing.T, h http.HandlerFunc) (*klaviyo.Client, string, *platformtest.Counter, *platformtest.Sleeper) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts, sleeper, counter := platformtest.Options(t)
	c, err := klaviyo.New(srv.URL, apiKey, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, srv.URL, counter, sleeper
}

// checkRequest reports a request without the documented headers or not to
// method and path.
func checkRequest(t *testing.T, r *http.Request, method, path string) {
	t.Helper()
	for header, want := range map[string]string{
		"Authorization": "Klaviyo-API-Key " + apiKey,
		"Revision":      "2024-10-15",
		"Accept":        "application/vnd.api+json",
	} {
		if got := r.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if r.Method != method || r.URL.Path != path {
		t.Errorf("request = %s %s, want %s %s", r.Method, r.URL.Path, method, path)
	}
}

func kError(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/vnd.api+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{
		"id": "e1", "status": fmt.Sprint(status), "code": code, "title": "Error", "detail": detail,
	}}})
}

func TestCheckKey(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		want         klaviyo.Account
		wantErr      bool
		wantRejected bool
	}{
		{
			name:   "organization name",
			status: 200,
			body:   `{"data":[{"type":"account","id":"AbC123","attributes":{"contact_information":{"default_sender_name":"Acme","organization_name":"Acme Inc."}}}],"links":{"self":"x"}}`,
			want:   klaviyo.Account{ID: "AbC123", Name: "Acme Inc."},
		},
		{
			name:   "no organization name falls back to the id",
			status: 200,
			body:   `{"data":[{"type":"account","id":"AbC123","attributes":{"contact_information":null}}]}`,
			want:   klaviyo.Account{ID: "AbC123", Name: "AbC123"},
		},
		{
			name:   "unexpected attributes still identify the account",
			status: 200,
			body:   `{"data":[{"type":"account","id":"AbC123","attributes":[1,2]}]}`,
			want:   klaviyo.Account{ID: "AbC123", Name: "AbC123"},
		},
		{name: "empty account list", status: 200, body: `{"data":[]}`, wantErr: true},
		{name: "malformed key answered with 400 is rejected", status: 400, wantErr: true, wantRejected: true},
		{name: "unknown key is rejected", status: 401, wantErr: true, wantRejected: true},
		{name: "key without accounts:read is rejected", status: 403, wantErr: true, wantRejected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, http.MethodGet, "/api/accounts")
				if tt.status != 200 {
					kError(w, tt.status, "not_authenticated", "Incorrect authentication credentials: "+apiKey)
					return
				}
				io.WriteString(w, tt.body)
			})
			got, err := c.CheckKey(t.Context())
			if (err != nil) != tt.wantErr || platform.IsRejected(err) != tt.wantRejected {
				t.Fatalf("error = %v, want error %v rejected %v", err, tt.wantErr, tt.wantRejected)
			}
			if got != tt.want {
				t.Errorf("account = %+v, want %+v", got, tt.want)
			}
			if counter.Count() != 1 {
				t.Errorf("requests = %d, want 1", counter.Count())
			}
			if err != nil && strings.Contains(err.Error(), apiKey) {
				t.Errorf("error leaks the key: %q", err)
			}
		})
	}
}

func TestCampaignsFollowsNextLinks(t *testing.T) {
	c, _, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, http.MethodGet, "/api/campaigns")
		base := "http://" + r.Host
		if got := r.URL.Query().Get("filter"); got != "equals(messages.channel,'email')" {
			t.Errorf("filter = %q", got)
		}
		if strings.Contains(r.URL.RawQuery, "'") || strings.Contains(r.URL.RawQuery, ",") {
			t.Errorf("query %q is not URL-encoded", r.URL.RawQuery)
		}
		switch r.URL.Query().Get("page[cursor]") {
		case "":
			fmt.Fprintf(w, `{"data":[
				{"type":"campaign","id":"c1","attributes":{"name":"January sale","status":"Sent",
					"send_time":"2026-01-10T15:00:00+00:00","created_at":"2026-01-01T00:00:00+00:00","updated_at":"2026-01-10T15:05:00.5+00:00"}},
				{"type":"campaign","id":"c2","attributes":{"name":"Draft","status":"Draft","send_time":null,
					"created_at":"2026-01-02T00:00:00+00:00","updated_at":"2026-01-02T00:00:00+00:00"}}
			],"links":{"self":"%[1]s/api/campaigns","next":"%[1]s/api/campaigns?filter=equals%%28messages.channel%%2C%%27email%%27%%29&page%%5Bcursor%%5D=bmV4dA"}}`, base)
		case "bmV4dA":
			io.WriteString(w, `{"data":[{"type":"campaign","id":"c3","attributes":{"name":"Feb","status":"Scheduled","send_time":"garbage"}}],"links":{"self":"x","next":null}}`)
		default:
			t.Errorf("unexpected cursor %q", r.URL.Query().Get("page[cursor]"))
		}
	})
	var got []klaviyo.Campaign
	err := c.Campaigns(t.Context(), func(page []klaviyo.Campaign) error {
		got = append(got, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("Campaigns: %v", err)
	}
	sent := time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC)
	want := []klaviyo.Campaign{
		{ID: "c1", Name: "January sale", Status: "Sent", SendTime: &sent,
			CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 10, 15, 5, 0, 5e8, time.UTC)},
		{ID: "c2", Name: "Draft", Status: "Draft",
			CreatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{ID: "c3", Name: "Feb", Status: "Scheduled"},
	}
	if !slices.EqualFunc(got, want, campaignEqual) {
		t.Errorf("campaigns = %+v\nwant %+v", got, want)
	}
	if counter.Count() != 2 {
		t.Errorf("requests = %d, want 2", counter.Count())
	}
}

func TestFlowsAndMetrics(t *testing.T) {
	c, _, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/flows":
			checkRequest(t, r, http.MethodGet, "/api/flows")
			io.WriteString(w, `{"data":[{"type":"flow","id":"f1","attributes":{"name":"Welcome","status":"live","archived":false,"trigger_type":"Added to List"}},
				{"type":"flow","id":"f2","attributes":{"name":"Abandoned cart","status":"draft","trigger_type":"Metric"}}],"links":{"next":null}}`)
		case "/api/metrics":
			checkRequest(t, r, http.MethodGet, "/api/metrics")
			io.WriteString(w, `{"data":[
				{"type":"metric","id":"m1","attributes":{"name":"Opened Email","integration":{"name":"Klaviyo"}}},
				{"type":"metric","id":"m2","attributes":{"name":"Placed Order"}},
				{"type":"metric","id":"m3","attributes":{"name":"Placed Order"}},
				{"type":"metric","id":"m4","attributes":{"name":"Viewed Product"}}]}`)
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	})
	t.Run("flows", func(t *testing.T) {
		var got []klaviyo.Flow
		if err := c.Flows(t.Context(), func(p []klaviyo.Flow) error { got = append(got, p...); return nil }); err != nil {
			t.Fatalf("Flows: %v", err)
		}
		want := []klaviyo.Flow{
			{ID: "f1", Name: "Welcome", Status: "live", TriggerType: "Added to List"},
			{ID: "f2", Name: "Abandoned cart", Status: "draft", TriggerType: "Metric"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("flows = %+v, want %+v", got, want)
		}
	})
	t.Run("find metrics by name, first match wins, absent names omitted", func(t *testing.T) {
		got, err := c.FindMetrics(t.Context(), klaviyo.MetricOpenedEmail, klaviyo.MetricClickedEmail, klaviyo.MetricPlacedOrder)
		if err != nil {
			t.Fatalf("FindMetrics: %v", err)
		}
		want := map[string]klaviyo.Metric{
			"Opened Email": {ID: "m1", Name: "Opened Email"},
			"Placed Order": {ID: "m2", Name: "Placed Order"},
		}
		if len(got) != len(want) || got["Opened Email"] != want["Opened Email"] || got["Placed Order"] != want["Placed Order"] {
			t.Errorf("metrics = %+v, want %+v", got, want)
		}
	})
}

func TestNextLinkSafety(t *testing.T) {
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		io.WriteString(w, `{"data":[]}`)
	}))
	t.Cleanup(foreign.Close)
	tests := []struct {
		name         string
		next         func(base string, n int64) string
		wantErr      error
		wantRequests int
	}{
		{"next on another host is refused", func(string, int64) string { return foreign.URL + "/api/flows?page%5Bcursor%5D=x" }, platform.ErrForeignURL, 1},
		{"next over another scheme is refused", func(base string, _ int64) string {
			return strings.Replace(base, "http://", "https://", 1) + "/api/flows"
		}, platform.ErrForeignURL, 1},
		{"the same next twice is a loop", func(base string, _ int64) string { return base + "/api/flows?page%5Bcursor%5D=same" }, platform.ErrPageLoop, 2},
		{"next back to a page already fetched is a loop", func(base string, n int64) string {
			return fmt.Sprintf("%s/api/flows?page%%5Bcursor%%5D=%d", base, n%2)
		}, platform.ErrPageLoop, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			c, _, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				base := "http://" + r.Host
				fmt.Fprintf(w, `{"data":[{"type":"flow","id":"f","attributes":{"name":"x"}}],"links":{"next":%q}}`, tt.next(base, n.Add(1)))
			})
			err := c.Flows(t.Context(), func([]klaviyo.Flow) error { return nil })
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if counter.Count() != tt.wantRequests {
				t.Errorf("requests = %d, want %d", counter.Count(), tt.wantRequests)
			}
		})
	}
	if foreignHits.Load() != 0 {
		t.Errorf("the foreign host received %d requests", foreignHits.Load())
	}
}

func TestDailyValues(t *testing.T) {
	c, _, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, http.MethodPost, "/api/metric-aggregates")
		if ct := r.Header.Get("Content-Type"); ct != "application/vnd.api+json" {
			t.Errorf("content-type = %q", ct)
		}
		body, _ := io.ReadAll(r.Body)
		const want = `{"data":{"type":"metric-aggregate","attributes":{"metric_id":"m2","measurements":["count","sum_value"],"interval":"day",` +
			`"filter":["greater-or-equal(datetime,2026-01-01T00:00:00Z)","less-than(datetime,2026-01-04T00:00:00Z)"],"timezone":"UTC"}}}`
		if string(body) != want {
			t.Errorf("body = %s\nwant %s", body, want)
		}
		io.WriteString(w, `{"data":{"type":"metric-aggregate","id":"agg","attributes":{
			"dates":["2026-01-01T00:00:00+00:00","2026-01-02T00:00:00+00:00","2026-01-03T00:00:00+00:00"],
			"data":[{"dimensions":[],"measurements":{"count":[3,0,1],"sum_value":[120.5,0,null]}}]}}}`)
	})
	start := time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)) // the same instant as midnight UTC
	got, err := c.DailyValues(t.Context(), "m2", start, time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("DailyValues: %v", err)
	}
	want := []klaviyo.DailyValue{
		{Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Count: 3, Sum: 120.5},
		{Date: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{Date: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), Count: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("values = %+v, want %+v", got, want)
	}
}

func TestDailyValuesFailures(t *testing.T) {
	tests := []struct {
		name         string
		handler      func(n int64, w http.ResponseWriter)
		wantErr      bool
		wantStatus   int // 0: not a platform error
		wantRequests int
		wantWaits    []time.Duration
	}{
		{
			name: "429 with Retry-After then success",
			handler: func(n int64, w http.ResponseWriter) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					kError(w, 429, "throttled", "Request was throttled.")
					return
				}
				io.WriteString(w, `{"data":{"attributes":{"dates":[],"data":[]}}}`)
			},
			wantRequests: 2,
			wantWaits:    []time.Duration{time.Second},
		},
		{
			name:         "500 forever gives up after four attempts",
			handler:      func(_ int64, w http.ResponseWriter) { kError(w, 500, "error", "A server error occurred.") },
			wantErr:      true,
			wantStatus:   500,
			wantRequests: 4,
		},
		{
			name: "truncated JSON",
			handler: func(_ int64, w http.ResponseWriter) {
				io.WriteString(w, `{"data":{"attributes":{"dates":["2026-01-01T00`)
			},
			wantErr:      true,
			wantStatus:   200,
			wantRequests: 1,
		},
		{
			name: "fewer values than dates",
			handler: func(_ int64, w http.ResponseWriter) {
				io.WriteString(w, `{"data":{"attributes":{"dates":["2026-01-01T00:00:00+00:00","2026-01-02T00:00:00+00:00"],"data":[{"measurements":{"count":[1]}}]}}}`)
			},
			wantErr:      true,
			wantRequests: 1,
		},
		{
			name: "a date that is not a timestamp",
			handler: func(_ int64, w http.ResponseWriter) {
				io.WriteString(w, `{"data":{"attributes":{"dates":["yesterday"],"data":[]}}}`)
			},
			wantErr:      true,
			wantRequests: 1,
		},
		{
			name: "key echoed in a 403 is redacted",
			handler: func(_ int64, w http.ResponseWriter) {
				kError(w, 403, "permission_denied", "Key "+apiKey+" lacks metrics:read")
			},
			wantErr:      true,
			wantStatus:   403,
			wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			c, _, counter, sleeper := server(t, func(w http.ResponseWriter, r *http.Request) { tt.handler(n.Add(1), w) })
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			_, err := c.DailyValues(t.Context(), "m1", start, start.AddDate(0, 0, 2))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if counter.Count() != tt.wantRequests {
				t.Errorf("requests = %d, want %d", counter.Count(), tt.wantRequests)
			}
			if tt.wantWaits != nil && !slices.Equal(sleeper.Waits(), tt.wantWaits) {
				t.Errorf("waits = %v, want %v", sleeper.Waits(), tt.wantWaits)
			}
			if err == nil {
				return
			}
			var e *platform.Error
			if errors.As(err, &e) != (tt.wantStatus != 0) || (e != nil && e.Status != tt.wantStatus) {
				t.Errorf("error = %v, want status %d", err, tt.wantStatus)
			}
			if strings.Contains(err.Error(), apiKey) {
				t.Errorf("error leaks the key: %q", err)
			}
		})
	}
}

func TestDailyValuesValidatesInput(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		metricID   string
		start, end time.Time
	}{
		{"missing metric id", "", day, day.AddDate(0, 0, 1)},
		{"empty range", "m1", day, day},
		{"end before start", "m1", day, day.AddDate(0, 0, -1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, counter, _ := server(t, func(http.ResponseWriter, *http.Request) {})
			if _, err := c.DailyValues(t.Context(), tt.metricID, tt.start, tt.end); err == nil {
				t.Error("DailyValues succeeded, want an error")
			}
			if counter.Count() != 0 {
				t.Errorf("requests = %d, want none", counter.Count())
			}
		})
	}
}

func campaignEqual(a, b klaviyo.Campaign) bool {
	sendEqual := a.SendTime == nil && b.SendTime == nil ||
		a.SendTime != nil && b.SendTime != nil && a.SendTime.Equal(*b.SendTime)
	return a.ID == b.ID && a.Name == b.Name && a.Status == b.Status && sendEqual &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}
