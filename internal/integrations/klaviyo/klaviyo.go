// Package klaviyo is a client for Klaviyo's JSON:API, authenticated with a
// private API key: it checks the key, lists email campaigns, flows and
// metrics, reads a metric's daily count and value (the email performance
// reports), and reads the Reporting API's campaign and flow reports (the
// revenue Klaviyo attributes to email, by send date, as its UI shows it).
//
// The reporting endpoints have strict per-account limits (1/s, 2/min,
// 225/day), so their calls are never retried by the shared caller: each
// goes through a Gate the caller supplies, and a 429 is retried once after
// its Retry-After, through the Gate again.
//
// List pages are followed through links.next only while the link stays on
// the configured base URL's origin, because every request carries the key.
package klaviyo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/omnify/bff/internal/integrations/platform"
)

// DefaultBaseURL is Klaviyo's production API root.
const DefaultBaseURL = "https://a.klaviyo.com"

// Revision is the API version this client is written against, sent with
// every request so that Klaviyo's newer revisions cannot change the shapes
// under us.
const Revision = "2024-10-15"

// Names of the Klaviyo metrics the reports read.
const (
	MetricReceivedEmail = "Received Email"
	MetricOpenedEmail   = "Opened Email"
	MetricClickedEmail  = "Clicked Email"
	MetricPlacedOrder   = "Placed Order"
)

// name prefixes this package's errors.
const name = "klaviyo"

// mediaType is JSON:API's media type, which Klaviyo requires in both
// directions.
const mediaType = "application/vnd.api+json"

// Client calls Klaviyo with one account's private API key. It is safe for
// concurrent use.
type Client struct {
	caller *platform.Caller
	// reports makes one attempt per call: the reporting endpoints' retries
	// are report's, each through the Gate.
	reports *platform.Caller
	sleep   func(ctx context.Context, d time.Duration) error
}

// New returns a Client for baseURL (DefaultBaseURL in production) that
// authenticates with apiKey.
func New(baseURL, apiKey string, opts platform.Options) (*Client, error) {
	cfg := platform.Config{
		Platform: name,
		BaseURL:  baseURL,
		Secret:   apiKey,
		Header: http.Header{
			"Authorization": {"Klaviyo-API-Key " + apiKey},
			"Revision":      {Revision},
			"Accept":        {mediaType},
		},
		ContentType: mediaType,
		Diagnose:    diagnose,
	}
	c, err := platform.NewCaller(cfg, opts)
	if err != nil {
		return nil, err
	}
	once := opts
	once.MaxAttempts = 1
	reports, err := platform.NewCaller(cfg, once)
	if err != nil {
		return nil, err
	}
	return &Client{caller: c, reports: reports, sleep: opts.WithDefaults().Sleep}, nil
}

// diagnose reads Klaviyo's {"errors":[{"code","title","detail"}]} body.
func diagnose(f platform.FailedResponse) platform.Diagnosis {
	var body struct {
		Errors []struct {
			Code   platform.LooseString `json:"code"`
			Title  platform.LooseString `json:"title"`
			Detail platform.LooseString `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(f.Body, &body) != nil || len(body.Errors) == 0 {
		return platform.Diagnosis{}
	}
	var msgs []string
	for _, e := range body.Errors[:min(len(body.Errors), 3)] {
		msg := e.Detail
		if msg == "" {
			msg = e.Title
		}
		if msg != "" {
			msgs = append(msgs, string(msg))
		}
	}
	return platform.Diagnosis{Code: string(body.Errors[0].Code), Message: strings.Join(msgs, "; ")}
}

// Account identifies the Klaviyo account a key belongs to.
type Account struct {
	// ID is Klaviyo's public account id.
	ID string
	// Name is the organization name, or the ID when the account has none,
	// so there is always something to show the shop owner.
	Name string
}

// CheckKey confirms the API key is valid and returns its account. A refused
// key returns an error for which platform.IsRejected is true; that includes
// a 400, which is how Klaviyo answers a malformed key.
func (c *Client) CheckKey(ctx context.Context) (Account, error) {
	var page struct {
		Data []struct {
			ID         platform.LooseString `json:"id"`
			Attributes json.RawMessage      `json:"attributes"`
		} `json:"data"`
	}
	if err := c.caller.Do(ctx, platform.Request{Path: "/api/accounts"}, &page); err != nil {
		var e *platform.Error
		if errors.As(err, &e) && e.Status == http.StatusBadRequest {
			e.KeyRejected = true
		}
		return Account{}, fmt.Errorf("check key: %w", err)
	}
	if len(page.Data) == 0 || page.Data[0].ID == "" {
		return Account{}, errors.New("check key: klaviyo: the key's account list is empty")
	}
	a := Account{ID: string(page.Data[0].ID)}
	// The name is a nicety: an unexpected attributes shape must not fail a
	// check whose key is fine.
	var attrs struct {
		ContactInformation struct {
			OrganizationName platform.LooseString `json:"organization_name"`
		} `json:"contact_information"`
	}
	_ = json.Unmarshal(page.Data[0].Attributes, &attrs)
	a.Name = strings.TrimSpace(string(attrs.ContactInformation.OrganizationName))
	if a.Name == "" {
		a.Name = a.ID
	}
	return a, nil
}

// Campaign is an email campaign.
type Campaign struct {
	ID   string // Klaviyo's id
	Name string // the campaign's name
	// Status is Klaviyo's label, such as "Draft", "Scheduled" or "Sent".
	Status string
	// SendTime is nil for a campaign that has not been sent or scheduled.
	SendTime *time.Time
	// CreatedAt and UpdatedAt are zero when Klaviyo sent no usable time.
	CreatedAt time.Time
	UpdatedAt time.Time // last change
}

// Flow is an automated message flow.
type Flow struct {
	ID   string // Klaviyo's id
	Name string // the flow's name
	// Status is "draft", "manual" or "live".
	Status string
	// TriggerType is what starts the flow, such as "Added to List" or
	// "Metric".
	TriggerType string
}

// Metric is an event type Klaviyo records, such as "Opened Email".
type Metric struct {
	// ID is what DailyValues and ReportQuery take.
	ID   string
	Name string // the metric's name, e.g. Placed Order
}

// DailyValue is one day of a metric: how many events and the sum of their
// values (revenue, for "Placed Order").
type DailyValue struct {
	// Date is the start of the day, in UTC.
	Date time.Time
	// Count is the number of events that day.
	Count float64
	// Sum adds the events' values; 0 for a metric without values.
	Sum float64
}

// resource is one JSON:API resource object.
type resource[A any] struct {
	ID         platform.LooseString `json:"id"`
	Attributes A                    `json:"attributes"`
}

// listPage is one JSON:API list page; Links.Next is "" on the last page.
type listPage[A any] struct {
	Data  []resource[A] `json:"data"`
	Links struct {
		Next platform.LooseString `json:"next"`
	} `json:"links"`
}

type campaignAttributes struct {
	Name      platform.LooseString `json:"name"`
	Status    platform.LooseString `json:"status"`
	SendTime  platform.LooseString `json:"send_time"`
	CreatedAt platform.LooseString `json:"created_at"`
	UpdatedAt platform.LooseString `json:"updated_at"`
}

type flowAttributes struct {
	Name        platform.LooseString `json:"name"`
	Status      platform.LooseString `json:"status"`
	TriggerType platform.LooseString `json:"trigger_type"`
}

type metricAttributes struct {
	Name platform.LooseString `json:"name"`
}

// Campaigns calls fn with each page of email campaigns and stops at the
// first error fn returns. An empty page is not passed to fn.
func (c *Client) Campaigns(ctx context.Context, fn func(page []Campaign) error) error {
	// Klaviyo requires a channel filter on this endpoint.
	q := url.Values{"filter": {"equals(messages.channel,'email')"}}
	if err := list(ctx, c, "/api/campaigns", q, toCampaign, fn); err != nil {
		return fmt.Errorf("list campaigns: %w", err)
	}
	return nil
}

// Flows calls fn with each page of flows and stops at the first error fn
// returns. An empty page is not passed to fn.
func (c *Client) Flows(ctx context.Context, fn func(page []Flow) error) error {
	if err := list(ctx, c, "/api/flows", nil, toFlow, fn); err != nil {
		return fmt.Errorf("list flows: %w", err)
	}
	return nil
}

// Metrics returns every metric of the account; an account has tens, not
// thousands, so they are gathered rather than streamed.
func (c *Client) Metrics(ctx context.Context) ([]Metric, error) {
	var all []Metric
	err := list(ctx, c, "/api/metrics", nil, toMetric, func(page []Metric) error {
		all = append(all, page...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list metrics: %w", err)
	}
	return all, nil
}

// FindMetrics returns the metrics with the given names, keyed by name. A name
// the account lacks (a shop with no order integration has no "Placed Order")
// is simply absent from the map. When several metrics share a name, as
// happens with more than one integration, the first Klaviyo lists wins.
func (c *Client) FindMetrics(ctx context.Context, names ...string) (map[string]Metric, error) {
	metrics, err := c.Metrics(ctx)
	if err != nil {
		return nil, err
	}
	found := make(map[string]Metric, len(names))
	for _, m := range metrics {
		for _, n := range names {
			if _, ok := found[n]; !ok && m.Name == n {
				found[n] = m
			}
		}
	}
	return found, nil
}

// list walks a JSON:API list from path through links.next to the last page.
func list[A, T any](ctx context.Context, c *Client, path string, q url.Values, convert func(resource[A]) T, fn func([]T) error) error {
	pager := c.caller.NewPager()
	req := platform.Request{Path: path, Query: q}
	for {
		if err := pager.Next(req.URL); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		var page listPage[A]
		if err := c.caller.Do(ctx, req, &page); err != nil {
			return err
		}
		if len(page.Data) > 0 {
			items := make([]T, len(page.Data))
			for i, r := range page.Data {
				items[i] = convert(r)
			}
			if err := fn(items); err != nil {
				return err
			}
		}
		next := strings.TrimSpace(string(page.Links.Next))
		if next == "" {
			return nil
		}
		// The Caller refuses a next link to another origin with
		// platform.ErrForeignURL before anything is sent.
		req = platform.Request{URL: next}
	}
}

func toCampaign(r resource[campaignAttributes]) Campaign {
	a := r.Attributes
	c := Campaign{
		ID:        string(r.ID),
		Name:      string(a.Name),
		Status:    string(a.Status),
		CreatedAt: parseTime(string(a.CreatedAt)),
		UpdatedAt: parseTime(string(a.UpdatedAt)),
	}
	if t, ok := platform.ParseTime(string(a.SendTime)); ok {
		c.SendTime = &t
	}
	return c
}

func toFlow(r resource[flowAttributes]) Flow {
	a := r.Attributes
	return Flow{ID: string(r.ID), Name: string(a.Name), Status: string(a.Status), TriggerType: string(a.TriggerType)}
}

func toMetric(r resource[metricAttributes]) Metric {
	return Metric{ID: string(r.ID), Name: string(r.Attributes.Name)}
}

func parseTime(s string) time.Time {
	t, _ := platform.ParseTime(s)
	return t
}

// aggregateRequest is the body of POST /api/metric-aggregates.
type aggregateRequest struct {
	Data struct {
		Type       string `json:"type"`
		Attributes struct {
			MetricID     string   `json:"metric_id"`
			Measurements []string `json:"measurements"`
			Interval     string   `json:"interval"`
			Filter       []string `json:"filter"`
			Timezone     string   `json:"timezone"`
		} `json:"attributes"`
	} `json:"data"`
}

// aggregateResponse is the answer to an aggregateRequest: one date per
// interval and, per dimension group, one value per date for each
// measurement.
type aggregateResponse struct {
	Data struct {
		Attributes struct {
			Dates []string `json:"dates"`
			Data  []struct {
				Measurements map[string][]*float64 `json:"measurements"`
			} `json:"data"`
		} `json:"attributes"`
	} `json:"data"`
}

// DailyValues returns one DailyValue per UTC day of metricID's events with
// start <= time < end. Klaviyo limits one request to a year.
func (c *Client) DailyValues(ctx context.Context, metricID string, start, end time.Time) ([]DailyValue, error) {
	if strings.TrimSpace(metricID) == "" {
		return nil, errors.New("metric aggregates: klaviyo: missing metric id")
	}
	if !end.After(start) {
		return nil, errors.New("metric aggregates: klaviyo: end must be after start")
	}
	const layout = "2006-01-02T15:04:05Z"
	var req aggregateRequest
	req.Data.Type = "metric-aggregate"
	a := &req.Data.Attributes
	a.MetricID = metricID
	a.Measurements = []string{"count", "sum_value"}
	a.Interval = "day"
	a.Filter = []string{
		"greater-or-equal(datetime," + start.UTC().Format(layout) + ")",
		"less-than(datetime," + end.UTC().Format(layout) + ")",
	}
	a.Timezone = "UTC"
	var resp aggregateResponse
	err := c.caller.Do(ctx, platform.Request{Method: http.MethodPost, Path: "/api/metric-aggregates", Body: req}, &resp)
	if err != nil {
		return nil, fmt.Errorf("metric aggregates: %w", err)
	}
	values, err := resp.daily()
	if err != nil {
		return nil, fmt.Errorf("metric aggregates: klaviyo: %w", err)
	}
	return values, nil
}

// daily pairs each date with its measurements, summing dimension groups; a
// null or absent measurement counts as 0.
func (r aggregateResponse) daily() ([]DailyValue, error) {
	attrs := r.Data.Attributes
	out := make([]DailyValue, len(attrs.Dates))
	for i, d := range attrs.Dates {
		t, ok := platform.ParseTime(d)
		if !ok {
			return nil, fmt.Errorf("date %d is not a timestamp", i)
		}
		out[i].Date = t.UTC()
	}
	for _, group := range attrs.Data {
		for _, m := range []struct {
			key string
			add func(*DailyValue, float64)
		}{
			{"count", func(v *DailyValue, x float64) { v.Count += x }},
			{"sum_value", func(v *DailyValue, x float64) { v.Sum += x }},
		} {
			series := group.Measurements[m.key]
			if series == nil {
				continue
			}
			if len(series) != len(out) {
				return nil, fmt.Errorf("%s has %d values for %d dates", m.key, len(series), len(out))
			}
			for i, x := range series {
				if x != nil {
					m.add(&out[i], *x)
				}
			}
		}
	}
	return out, nil
}
