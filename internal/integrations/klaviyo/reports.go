package klaviyo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/omnify/bff/internal/integrations/platform"
)

// The Reporting API's endpoints. Klaviyo limits each of them to 1 call a
// second, 2 a minute and 225 a day per account, shared by every key and
// integration of the account.
const (
	PathCampaignValues = "/api/campaign-values-reports"
	PathFlowValues     = "/api/flow-values-reports"
	PathFlowSeries     = "/api/flow-series-reports"
)

// ChannelEmail is the send_channel of email messages in reports; SMS and
// push messages are left out of every figure this package returns.
const ChannelEmail = "email"

// MaxReportSpan is the longest timeframe one report may cover.
const MaxReportSpan = 365 * 24 * time.Hour

// maxRetryAfter bounds the Retry-After a report call waits for before its
// one retry; a longer one (a spent daily limit) fails the call at once.
const maxRetryAfter = 2 * time.Minute

// ErrReportNotOffered is returned (wrapped) by FlowSeries when the account
// does not offer the series endpoint (404 or 405): the caller falls back to
// FlowValues, one day per call.
var ErrReportNotOffered = errors.New("klaviyo: report endpoint not offered")

// Gate is called before every request to a reporting endpoint, the retry
// after a 429 included, with the path it is about to call. It reserves one
// call of the account's reporting budget, waiting for it if need be; an
// error stops the call before anything is sent and is returned as it is.
// Otherwise done, when not nil, is called once the request is answered (or
// failed), so that the budget can date the call by its end: Klaviyo saw it
// at the latest then. A nil Gate lets every call through.
type Gate func(ctx context.Context, path string) (done func(), err error)

// ReportQuery is what one report covers: the "Placed Order" metric whose
// value counts as conversion value, and the timeframe of sends (Klaviyo
// reports by the send date of the messages), start included, end
// excluded.
type ReportQuery struct {
	// ConversionMetricID is the id of the account's "Placed Order" metric.
	ConversionMetricID string
	// Start and End bound the send times; at most MaxReportSpan apart.
	Start, End time.Time
}

// CampaignValue is what one email campaign earned, summed over its email
// messages: the value and the number of the conversions Klaviyo attributes
// to it.
type CampaignValue struct {
	CampaignID  string  // Klaviyo's id of the campaign
	Revenue     float64 // the attributed conversion value
	Conversions float64 // the attributed conversions
}

// FlowValue is what one flow's email messages earned over a report's
// timeframe.
type FlowValue struct {
	FlowID      string  // Klaviyo's id of the flow
	Revenue     float64 // the attributed conversion value
	Conversions float64 // the attributed conversions
}

// FlowDayValue is what one flow's email messages sent on one UTC day
// earned.
type FlowDayValue struct {
	FlowID string // Klaviyo's id of the flow
	// Date is the day's midnight, UTC.
	Date        time.Time
	Revenue     float64 // the attributed conversion value
	Conversions float64 // the attributed conversions
}

// reportStatistics are the statistics every report asks for.
func reportStatistics() []string { return []string{"conversion_value", "conversions"} }

// reportRequest is the JSON:API body of a values or series report.
type reportRequest struct {
	Data struct {
		Type       string           `json:"type"`
		Attributes reportAttributes `json:"attributes"`
	} `json:"data"`
}

type reportAttributes struct {
	Statistics         []string        `json:"statistics"`
	Timeframe          reportTimeframe `json:"timeframe"`
	ConversionMetricID string          `json:"conversion_metric_id"`
	Interval           string          `json:"interval,omitempty"`
}

type reportTimeframe struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// groupings are a report result's grouping fields.
type groupings struct {
	SendChannel platform.LooseString `json:"send_channel"`
	CampaignID  platform.LooseString `json:"campaign_id"`
	FlowID      platform.LooseString `json:"flow_id"`
}

// valuesResponse is the answer to a values report.
type valuesResponse struct {
	Data struct {
		Attributes struct {
			Results []struct {
				Groupings  groupings           `json:"groupings"`
				Statistics map[string]*float64 `json:"statistics"`
			} `json:"results"`
		} `json:"attributes"`
	} `json:"data"`
}

// seriesResponse is the answer to a series report: one value per date_time
// for each statistic.
type seriesResponse struct {
	Data struct {
		Attributes struct {
			Results []struct {
				Groupings  groupings             `json:"groupings"`
				Statistics map[string][]*float64 `json:"statistics"`
			} `json:"results"`
			DateTimes []string `json:"date_times"`
		} `json:"attributes"`
	} `json:"data"`
}

// body builds the request of report typ for q; interval is "" for a values
// report.
func (q ReportQuery) body(typ, interval string) (reportRequest, error) {
	if strings.TrimSpace(q.ConversionMetricID) == "" {
		return reportRequest{}, errors.New("missing conversion metric id")
	}
	if !q.End.After(q.Start) {
		return reportRequest{}, errors.New("the timeframe's end must be after its start")
	}
	if q.End.Sub(q.Start) > MaxReportSpan {
		return reportRequest{}, errors.New("the timeframe exceeds a year")
	}
	const layout = "2006-01-02T15:04:05Z"
	var r reportRequest
	r.Data.Type = typ
	r.Data.Attributes = reportAttributes{
		Statistics:         reportStatistics(),
		Timeframe:          reportTimeframe{Start: q.Start.UTC().Format(layout), End: q.End.UTC().Format(layout)},
		ConversionMetricID: q.ConversionMetricID,
		Interval:           interval,
	}
	return r, nil
}

// valueSum is what one campaign's or flow's email messages earned.
type valueSum struct {
	id                   string
	revenue, conversions float64
}

// emailSums sums the email results' conversion value and conversions per
// id (idOf picks it from the groupings), in the order the ids first
// appear; results of other channels, and without an id, are left out.
func (resp valuesResponse) emailSums(idOf func(groupings) string) []valueSum {
	var out []valueSum
	index := map[string]int{}
	for _, r := range resp.Data.Attributes.Results {
		id := strings.TrimSpace(idOf(r.Groupings))
		if !isEmail(r.Groupings) || id == "" {
			continue
		}
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, valueSum{id: id})
		}
		out[i].revenue += value(r.Statistics["conversion_value"])
		out[i].conversions += value(r.Statistics["conversions"])
	}
	return out
}

// CampaignValues returns what each email campaign sent within q's
// timeframe earned, summed over its email messages; results of other
// channels are left out. It makes one call, and one more after a 429
// (see report).
func (c *Client) CampaignValues(ctx context.Context, gate Gate, q ReportQuery) ([]CampaignValue, error) {
	body, err := q.body("campaign-values-report", "")
	if err != nil {
		return nil, fmt.Errorf("campaign values: klaviyo: %w", err)
	}
	var resp valuesResponse
	if err := c.report(ctx, gate, PathCampaignValues, body, &resp); err != nil {
		return nil, fmt.Errorf("campaign values: %w", err)
	}
	sums := resp.emailSums(func(g groupings) string { return string(g.CampaignID) })
	out := make([]CampaignValue, len(sums))
	for i, v := range sums {
		out[i] = CampaignValue{CampaignID: v.id, Revenue: v.revenue, Conversions: v.conversions}
	}
	return out, nil
}

// FlowValues returns what each flow's email messages sent within q's
// timeframe earned, summed over its messages. It makes one call, and one
// more after a 429 (see report).
func (c *Client) FlowValues(ctx context.Context, gate Gate, q ReportQuery) ([]FlowValue, error) {
	body, err := q.body("flow-values-report", "")
	if err != nil {
		return nil, fmt.Errorf("flow values: klaviyo: %w", err)
	}
	var resp valuesResponse
	if err := c.report(ctx, gate, PathFlowValues, body, &resp); err != nil {
		return nil, fmt.Errorf("flow values: %w", err)
	}
	sums := resp.emailSums(func(g groupings) string { return string(g.FlowID) })
	out := make([]FlowValue, len(sums))
	for i, v := range sums {
		out[i] = FlowValue{FlowID: v.id, Revenue: v.revenue, Conversions: v.conversions}
	}
	return out, nil
}

// FlowSeries returns what each flow's email messages sent on each UTC day
// of q's timeframe earned, one entry per flow and day with a value, summed
// over the flow's messages. An account without the series endpoint (404
// or 405) returns an error wrapping ErrReportNotOffered. It makes one
// call, and one more after a 429 (see report).
func (c *Client) FlowSeries(ctx context.Context, gate Gate, q ReportQuery) ([]FlowDayValue, error) {
	body, err := q.body("flow-series-report", "daily")
	if err != nil {
		return nil, fmt.Errorf("flow series: klaviyo: %w", err)
	}
	var resp seriesResponse
	if err := c.report(ctx, gate, PathFlowSeries, body, &resp); err != nil {
		var e *platform.Error
		if errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed) {
			return nil, fmt.Errorf("flow series: %w: %w", ErrReportNotOffered, err)
		}
		return nil, fmt.Errorf("flow series: %w", err)
	}
	attrs := resp.Data.Attributes
	dates := make([]time.Time, len(attrs.DateTimes))
	for i, d := range attrs.DateTimes {
		t, ok := platform.ParseTime(d)
		if !ok {
			return nil, fmt.Errorf("flow series: klaviyo: date_time %d is not a timestamp", i)
		}
		// A bucket is the calendar day it names, in the offset it is
		// written with (UTC for the UTC timeframes this client asks for).
		y, m, day := t.Date()
		dates[i] = time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	}
	type key struct {
		flow string
		day  time.Time
	}
	var out []FlowDayValue
	index := map[key]int{}
	for _, r := range attrs.Results {
		id := strings.TrimSpace(string(r.Groupings.FlowID))
		if !isEmail(r.Groupings) || id == "" {
			continue
		}
		revenue, conversions := r.Statistics["conversion_value"], r.Statistics["conversions"]
		for _, s := range [][]*float64{revenue, conversions} {
			if s != nil && len(s) != len(dates) {
				return nil, fmt.Errorf("flow series: klaviyo: %d values for %d date_times", len(s), len(dates))
			}
		}
		for i, day := range dates {
			var rv, cv float64
			if revenue != nil {
				rv = value(revenue[i])
			}
			if conversions != nil {
				cv = value(conversions[i])
			}
			if rv == 0 && cv == 0 {
				continue
			}
			k := key{id, day}
			j, ok := index[k]
			if !ok {
				j = len(out)
				index[k] = j
				out = append(out, FlowDayValue{FlowID: id, Date: day})
			}
			out[j].Revenue += rv
			out[j].Conversions += cv
		}
	}
	return out, nil
}

// report sends one report request through gate and decodes the answer
// into out. The reporting caller makes one attempt per call; after a 429
// whose Retry-After is at most maxRetryAfter (1 s when absent), it waits
// that long and tries once more, through gate again, since every attempt
// counts against the account's limits. It never loops: a second failure,
// or any other, is returned.
func (c *Client) report(ctx context.Context, gate Gate, path string, body reportRequest, out any) error {
	req := platform.Request{Method: http.MethodPost, Path: path, Body: body}
	for attempt := 1; ; attempt++ {
		var done func()
		if gate != nil {
			var err error
			if done, err = gate(ctx, path); err != nil {
				return err
			}
		}
		err := c.reports.Do(ctx, req, out)
		if done != nil {
			done()
		}
		var e *platform.Error
		if err == nil || attempt > 1 || !errors.As(err, &e) || e.Status != http.StatusTooManyRequests {
			return err
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if wait > maxRetryAfter {
			return err
		}
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: waiting to retry %s: %w", name, path, err)
		}
	}
}

// isEmail reports whether a result is of the email channel.
func isEmail(g groupings) bool {
	return strings.EqualFold(strings.TrimSpace(string(g.SendChannel)), ChannelEmail)
}

// value reads a statistic; null or absent is 0.
func value(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}
