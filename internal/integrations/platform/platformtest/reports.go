package platformtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Klaviyo Reporting API paths the Fake serves.
const (
	PathCampaignValues = "/api/campaign-values-reports"
	PathFlowValues     = "/api/flow-values-reports"
	PathFlowSeries     = "/api/flow-series-reports"
)

// Limit is at most Calls calls in any Window.
type Limit struct {
	Calls  int           `json:"calls"`
	Window time.Duration `json:"window"`
}

// ReportLimits are the limits of Klaviyo's reporting endpoints, per
// account, over all three endpoints together.
type ReportLimits struct {
	Burst  Limit `json:"burst"`
	Steady Limit `json:"steady"`
	Daily  Limit `json:"daily"`
}

// KlaviyoReportLimits returns Klaviyo's documented limits: 1 call a
// second, 2 a minute, 225 a day.
func KlaviyoReportLimits() ReportLimits {
	return ReportLimits{
		Burst:  Limit{Calls: 1, Window: time.Second},
		Steady: Limit{Calls: 2, Window: time.Minute},
		Daily:  Limit{Calls: 225, Window: 24 * time.Hour},
	}
}

// ParseReportLimits reads the limits as "burst,steady,daily", each
// calls/window: "1/1s,2/1m,225/24h" is Klaviyo's.
func ParseReportLimits(v string) (ReportLimits, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 3 {
		return ReportLimits{}, fmt.Errorf("report limits %q: want burst,steady,daily as calls/window", v)
	}
	var out [3]Limit
	for i, part := range parts {
		calls, window, ok := strings.Cut(strings.TrimSpace(part), "/")
		n, err1 := strconv.Atoi(calls)
		d, err2 := time.ParseDuration(window)
		if !ok || err1 != nil || err2 != nil || n < 1 || d <= 0 {
			return ReportLimits{}, fmt.Errorf("report limit %q is not calls/window, such as 2/1m", part)
		}
		out[i] = Limit{Calls: n, Window: d}
	}
	return ReportLimits{Burst: out[0], Steady: out[1], Daily: out[2]}, nil
}

// orDefault fills the zero limits of l with Klaviyo's.
func (l ReportLimits) orDefault() ReportLimits {
	def := KlaviyoReportLimits()
	if l.Burst.Calls <= 0 || l.Burst.Window <= 0 {
		l.Burst = def.Burst
	}
	if l.Steady.Calls <= 0 || l.Steady.Window <= 0 {
		l.Steady = def.Steady
	}
	if l.Daily.Calls <= 0 || l.Daily.Window <= 0 {
		l.Daily = def.Daily
	}
	return l
}

// SetKlaviyoReportLimits replaces the limits of the reporting endpoints
// (Config.KlaviyoReportLimits) from now on.
func (f *Fake) SetKlaviyoReportLimits(l ReportLimits) {
	f.mu.Lock()
	f.opts.KlaviyoReportLimits = l
	f.mu.Unlock()
}

// ReportCall is one call to a Klaviyo reporting endpoint.
type ReportCall struct {
	Path   string    `json:"path"`
	At     time.Time `json:"at"`
	Status int       `json:"status"`
}

// MaxInWindow returns the most calls of calls that fall within any one
// window (a sliding window, stricter than Klaviyo's fixed ones).
func MaxInWindow(calls []ReportCall, window time.Duration) int {
	best := 0
	for i := range calls {
		n := 0
		for j := i; j < len(calls) && calls[j].At.Sub(calls[i].At) < window; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

// ReportCalls returns the account's calls to the reporting endpoints, in
// order, with the status answered (429 for a call over a limit).
func (a *Account) ReportCalls() []ReportCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.reports)
}

// SetFlowSeries offers (true) or withdraws (false: 404) the flow series
// endpoint.
func (a *Account) SetFlowSeries(on bool) {
	a.mu.Lock()
	a.noSeries = !on
	a.mu.Unlock()
}

// campaignAttributions returns the sent campaigns whose send time is in
// [start, end), with what they earned; a.mu is held.
func (a *Account) campaignAttributions(start, end time.Time) []Campaign {
	var out []Campaign
	for _, c := range a.campaigns {
		if c.SendTime != nil && !c.SendTime.Before(start) && c.SendTime.Before(end) {
			out = append(out, c)
		}
	}
	return out
}

// flowDay returns what flow i earned on day; a.mu is held.
func (a *Account) flowDay(i int, day time.Time) Attribution {
	if a.flowDays != nil {
		return a.flowDays[day.UTC().Format(time.DateOnly)][a.flows[i].ID]
	}
	return a.flowDaily(i, day)
}

// CampaignAttribution returns what the campaigns sent on the UTC days from
// from to to, both included, earned, by campaign id.
func (a *Account) CampaignAttribution(from, to time.Time) map[string]Attribution {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]Attribution{}
	for _, c := range a.campaignAttributions(utcDay(from), utcDay(to).AddDate(0, 0, 1)) {
		out[c.ID] = out[c.ID].Add(Attribution{Revenue: c.Revenue, Conversions: c.Conversions})
	}
	return out
}

// FlowAttribution returns what the flows' emails sent on the UTC days from
// from to to, both included, earned, by flow id (flows that earned nothing
// left out).
func (a *Account) FlowAttribution(from, to time.Time) map[string]Attribution {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]Attribution{}
	for d := utcDay(from); !d.After(to); d = d.AddDate(0, 0, 1) {
		for i, f := range a.flows {
			if v := a.flowDay(i, d); v != (Attribution{}) {
				out[f.ID] = out[f.ID].Add(v)
			}
		}
	}
	return out
}

// Attributed returns what Klaviyo attributes to the emails (campaigns and
// flows) sent on the UTC days from from to to, both included: what its
// UI shows as email revenue for the period.
func (a *Account) Attributed(from, to time.Time) Attribution {
	var sum Attribution
	for _, v := range a.CampaignAttribution(from, to) {
		sum = sum.Add(v)
	}
	for _, v := range a.FlowAttribution(from, to) {
		sum = sum.Add(v)
	}
	return sum
}

// reportStatistics are the statistics the reporting endpoints know.
var reportStatistics = []string{
	"average_order_value", "bounce_rate", "bounced", "click_rate", "click_to_open_rate", "clicks", "clicks_unique",
	"conversion_rate", "conversion_uniques", "conversion_value", "conversions", "delivered", "delivery_rate",
	"open_rate", "opens", "opens_unique", "recipients", "revenue_per_recipient", "unsubscribe_rate", "unsubscribes",
}

// reportError answers 400 with a Klaviyo error pointing at an attribute.
func reportError(w http.ResponseWriter, pointer, detail string) {
	writeJSON(w, http.StatusBadRequest, "application/vnd.api+json", map[string]any{"errors": []map[string]any{{
		"id": "fake-report", "status": 400, "code": "invalid", "title": "Invalid input.", "detail": detail,
		"source": map[string]any{"pointer": "/data/attributes/" + pointer},
	}}})
}

// admitReport applies the reporting limits to a call arriving now and
// records it; it returns the seconds to wait when the call is over a
// limit (answered 429), else 0.
func (f *Fake) admitReport(a *Account, path string, now time.Time) int {
	f.mu.Lock()
	limits := f.opts.KlaviyoReportLimits.orDefault()
	f.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	wait := time.Duration(0)
	for _, l := range []Limit{limits.Burst, limits.Steady, limits.Daily} {
		var in []time.Time
		for _, c := range a.reports {
			if c.Status != http.StatusTooManyRequests && now.Sub(c.At) < l.Window {
				in = append(in, c.At)
			}
		}
		if len(in) >= l.Calls {
			// Free once all but Calls-1 of them left the window.
			wait = max(wait, in[len(in)-l.Calls].Add(l.Window).Sub(now))
		}
	}
	call := ReportCall{Path: path, At: now, Status: http.StatusOK}
	if wait > 0 {
		call.Status = http.StatusTooManyRequests
	}
	a.reports = append(a.reports, call)
	if wait <= 0 {
		return 0
	}
	return max(1, int(math.Ceil(wait.Seconds())))
}

// setReportStatus corrects the status recorded for the account's last
// call to path (a validation failure, an endpoint withdrawn).
func (a *Account) setReportStatus(path string, status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.reports) - 1; i >= 0; i-- {
		if a.reports[i].Path == path {
			a.reports[i].Status = status
			return
		}
	}
}

// klaviyoReport serves the campaign values, flow values and flow series
// reports: validation, the per-account limits (429 with Retry-After), and
// results grouped by send channel, campaign or flow and message, by the
// send date of the messages.
func (f *Fake) klaviyoReport(w http.ResponseWriter, r *http.Request, a *Account) {
	path := r.URL.Path
	if wait := f.admitReport(a, path, time.Now()); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		WriteError(w, Klaviyo, http.StatusTooManyRequests, "throttled", fmt.Sprintf("Request was throttled. Expected available in %d second%s.", wait, map[bool]string{true: "", false: "s"}[wait == 1]))
		return
	}
	a.mu.Lock()
	noSeries := a.noSeries
	a.mu.Unlock()
	if path == PathFlowSeries && noSeries {
		a.setReportStatus(path, http.StatusNotFound)
		WriteError(w, Klaviyo, http.StatusNotFound, "not_found", "no route "+r.Method+" "+path)
		return
	}
	typ := map[string]string{PathCampaignValues: "campaign-values-report", PathFlowValues: "flow-values-report", PathFlowSeries: "flow-series-report"}[path]
	var body struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				Statistics []string `json:"statistics"`
				Timeframe  *struct {
					Start string `json:"start"`
					End   string `json:"end"`
					Key   string `json:"key"`
				} `json:"timeframe"`
				ConversionMetricID string `json:"conversion_metric_id"`
				Interval           string `json:"interval"`
			} `json:"attributes"`
		} `json:"data"`
	}
	invalid := func(pointer, detail string) {
		a.setReportStatus(path, http.StatusBadRequest)
		reportError(w, pointer, detail)
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Data.Type != typ {
		invalid("", fmt.Sprintf("The body must be a %q JSON:API resource.", typ))
		return
	}
	attrs := body.Data.Attributes
	if len(attrs.Statistics) == 0 {
		invalid("statistics", "At least one statistic is required.")
		return
	}
	for _, s := range attrs.Statistics {
		if !slices.Contains(reportStatistics, s) {
			invalid("statistics", fmt.Sprintf("%q is not a valid statistic.", s))
			return
		}
	}
	if attrs.ConversionMetricID == "" {
		invalid("conversion_metric_id", "conversion_metric_id is required.")
		return
	}
	if !slices.ContainsFunc(klaviyoMetrics(), func(m [2]string) bool { return m[0] == attrs.ConversionMetricID }) {
		invalid("conversion_metric_id", "The conversion metric does not exist.")
		return
	}
	if attrs.Timeframe == nil || attrs.Timeframe.Key != "" {
		invalid("timeframe", "A custom timeframe {start, end} is required.")
		return
	}
	start, err1 := time.Parse(time.RFC3339, attrs.Timeframe.Start)
	end, err2 := time.Parse(time.RFC3339, attrs.Timeframe.End)
	switch {
	case err1 != nil || err2 != nil:
		invalid("timeframe", "start and end must be ISO 8601 date-times.")
		return
	case !end.After(start):
		invalid("timeframe", "The timeframe's start must be before its end.")
		return
	case end.Sub(start) > 365*24*time.Hour:
		invalid("timeframe", "The timeframe must not exceed 1 year.")
		return
	}
	start, end = start.UTC(), end.UTC()
	if path == PathFlowSeries && attrs.Interval != "daily" {
		invalid("interval", `This fake serves the "daily" interval only.`)
		return
	}
	if path != PathFlowSeries && attrs.Interval != "" {
		invalid("interval", "A values report takes no interval.")
		return
	}
	// Only what was asked for is answered.
	pick := func(v Attribution) map[string]any {
		out := map[string]any{}
		for _, s := range attrs.Statistics {
			switch s {
			case "conversion_value":
				out[s] = v.Revenue
			case "conversions":
				out[s] = v.Conversions
			default:
				out[s] = 0
			}
		}
		return out
	}
	var results []map[string]any
	a.mu.Lock()
	switch path {
	case PathCampaignValues:
		for _, c := range a.campaignAttributions(start, end) {
			for _, m := range split(c.ID, Attribution{Revenue: c.Revenue, Conversions: c.Conversions}) {
				results = append(results, map[string]any{"groupings": map[string]any{
					"send_channel": "email", "campaign_id": c.ID, "campaign_message_id": m.id}, "statistics": pick(m.v)})
			}
			// An SMS campaign sent at the same time, which email figures
			// must leave out.
			results = append(results, map[string]any{"groupings": map[string]any{
				"send_channel": "sms", "campaign_id": c.ID + "-sms", "campaign_message_id": c.ID + "-sms-m1"},
				"statistics": pick(Attribution{Revenue: 1000, Conversions: 9})})
		}
	case PathFlowValues:
		for i, fl := range a.flows {
			var sum Attribution
			for d := utcDay(start); d.Before(end); d = d.AddDate(0, 0, 1) {
				if !d.Before(start) {
					sum = sum.Add(a.flowDay(i, d))
				}
			}
			for _, m := range split(fl.ID, sum) {
				results = append(results, map[string]any{"groupings": map[string]any{
					"send_channel": "email", "flow_id": fl.ID, "flow_message_id": m.id}, "statistics": pick(m.v)})
			}
			results = append(results, map[string]any{"groupings": map[string]any{
				"send_channel": "sms", "flow_id": fl.ID, "flow_message_id": fl.ID + "-sms"},
				"statistics": pick(Attribution{Revenue: 500, Conversions: 5})})
		}
	case PathFlowSeries:
		var days []time.Time
		for d := utcDay(start); d.Before(end); d = d.AddDate(0, 0, 1) {
			days = append(days, d)
		}
		for i, fl := range a.flows {
			series := map[string][2][]float64{}
			var order []string
			for _, d := range days {
				v := Attribution{}
				if !d.Before(start) {
					v = a.flowDay(i, d)
				}
				for _, m := range split(fl.ID, v) {
					s, ok := series[m.id]
					if !ok {
						order = append(order, m.id)
					}
					s[0], s[1] = append(s[0], m.v.Revenue), append(s[1], m.v.Conversions)
					series[m.id] = s
				}
			}
			for _, id := range order {
				stats := map[string]any{}
				for _, st := range attrs.Statistics {
					switch st {
					case "conversion_value":
						stats[st] = series[id][0]
					case "conversions":
						stats[st] = series[id][1]
					default:
						stats[st] = make([]float64, len(days))
					}
				}
				results = append(results, map[string]any{"groupings": map[string]any{
					"send_channel": "email", "flow_id": fl.ID, "flow_message_id": id}, "statistics": stats})
			}
			sms := make([]float64, len(days))
			for j := range sms {
				sms[j] = 7
			}
			results = append(results, map[string]any{"groupings": map[string]any{
				"send_channel": "sms", "flow_id": fl.ID, "flow_message_id": fl.ID + "-sms"},
				"statistics": map[string]any{"conversion_value": sms, "conversions": sms}})
		}
		dates := make([]string, len(days))
		for i, d := range days {
			dates[i] = d.Format("2006-01-02T15:04:05+00:00")
		}
		a.mu.Unlock()
		writeJSON(w, http.StatusOK, "application/vnd.api+json", map[string]any{
			"data": map[string]any{"type": typ, "id": "fake-" + strings.TrimPrefix(typ, "flow-"), "attributes": map[string]any{
				"results": nonNil(results), "date_times": dates}},
			"links": map[string]any{"self": "http://" + r.Host + path},
		})
		return
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, "application/vnd.api+json", map[string]any{
		"data":  map[string]any{"type": typ, "id": "fake-" + typ, "attributes": map[string]any{"results": nonNil(results)}},
		"links": map[string]any{"self": "http://" + r.Host + path},
	})
}

// message is one message's share of what a campaign or flow earned.
type message struct {
	id string
	v  Attribution
}

// split divides v over a campaign's or flow's two email messages (the
// send and a resend), as reports list one result per message.
func split(id string, v Attribution) []message {
	half := Attribution{Revenue: math.Floor(v.Revenue / 2), Conversions: math.Floor(v.Conversions / 2)}
	rest := Attribution{Revenue: v.Revenue - half.Revenue, Conversions: v.Conversions - half.Conversions}
	return []message{{id + "-m1", rest}, {id + "-m2", half}}
}

func nonNil(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}
