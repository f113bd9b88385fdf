// Package triplewhale is a client for the Triple Whale API: it checks an API
// key and reads a shop's summary metrics (revenue, ad spend, ROAS, orders,
// average order value, net profit) for a period, from which a sync builds a
// daily series by asking one day at a time.
package triplewhale

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/omnify/bff/internal/integrations/platform"
)

// DefaultBaseURL is Triple Whale's production API root.
const DefaultBaseURL = "https://api.triplewhale.com/api/v2"

// name prefixes this package's errors.
const name = "triplewhale"

// Metric ids in the summary-page response that Summary reads.
const (
	MetricRevenue           = "sales"
	MetricAdSpend           = "blendedAds"
	MetricROAS              = "roas"
	MetricOrders            = "orders"
	MetricShopifyOrders     = "shopifyOrders"
	MetricAverageOrderValue = "shopifyAov"
	MetricNetProfit         = "totalNetProfit"
)

// Client calls Triple Whale with one shop's API key. It is safe for
// concurrent use.
type Client struct {
	caller *platform.Caller
}

// New returns a Client for baseURL (DefaultBaseURL in production) that
// authenticates with apiKey.
func New(baseURL, apiKey string, opts platform.Options) (*Client, error) {
	c, err := platform.NewCaller(platform.Config{
		Platform: name,
		BaseURL:  baseURL,
		Secret:   apiKey,
		Header:   http.Header{"X-Api-Key": {apiKey}, "Accept": {"application/json"}},
		Diagnose: diagnose,
	}, opts)
	if err != nil {
		return nil, err
	}
	return &Client{caller: c}, nil
}

// diagnose reads Triple Whale's {"success":false,"message":...} error body.
func diagnose(f platform.FailedResponse) platform.Diagnosis {
	var body struct {
		Message platform.LooseString `json:"message"`
		Error   platform.LooseString `json:"error"`
		Code    platform.LooseString `json:"code"`
	}
	if json.Unmarshal(f.Body, &body) != nil {
		return platform.Diagnosis{}
	}
	msg := body.Message
	if msg == "" {
		msg = body.Error
	}
	return platform.Diagnosis{Code: string(body.Code), Message: string(msg)}
}

// CheckKey confirms the API key is valid; a refused key returns an error for
// which platform.IsRejected is true.
func (c *Client) CheckKey(ctx context.Context) error {
	if err := c.caller.Do(ctx, platform.Request{Path: "/users/api-keys/me"}, nil); err != nil {
		return fmt.Errorf("check key: %w", err)
	}
	return nil
}

// Summary holds a shop's headline metrics for one period. A metric the
// response lacks, or reports as null or as a non-numeric string, is 0 and
// listed in Missing, so a sync can tell "no data" from a real zero.
type Summary struct {
	// Revenue is total sales (metric "sales").
	Revenue float64
	// AdSpend is blended ad spend across channels ("blendedAds").
	AdSpend float64
	// ROAS is return on ad spend ("roas").
	ROAS float64
	// Orders counts orders ("orders", else "shopifyOrders").
	Orders float64
	// AverageOrderValue is Shopify's average order value ("shopifyAov").
	AverageOrderValue float64
	// NetProfit is total net profit ("totalNetProfit").
	NetProfit float64
	// Missing lists the metric ids above that had no usable value.
	Missing []string
}

// summaryRequest is the body of POST /summary-page/get-data.
type summaryRequest struct {
	ShopDomain string `json:"shopDomain"`
	Period     struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"period"`
	// TodayHour 25 asks for whole days rather than a cut-off at the
	// current hour.
	TodayHour int `json:"todayHour"`
}

// summaryResponse keeps each metric's values raw: there can be hundreds of
// metrics and only the few Summary reads must be well formed.
type summaryResponse struct {
	Metrics []struct {
		ID     platform.LooseString `json:"id"`
		Values json.RawMessage      `json:"values"`
	} `json:"metrics"`
}

// Summary returns the shop's metrics from start's calendar date to end's,
// both inclusive and read in the times' own locations.
func (c *Client) Summary(ctx context.Context, shopDomain string, start, end time.Time) (Summary, error) {
	if strings.TrimSpace(shopDomain) == "" {
		return Summary{}, errors.New("summary: triplewhale: missing shop domain")
	}
	req := summaryRequest{ShopDomain: shopDomain, TodayHour: 25}
	req.Period.Start = start.Format(time.DateOnly)
	req.Period.End = end.Format(time.DateOnly)
	if req.Period.End < req.Period.Start {
		return Summary{}, fmt.Errorf("summary: triplewhale: period ends (%s) before it starts (%s)", req.Period.End, req.Period.Start)
	}
	var resp summaryResponse
	err := c.caller.Do(ctx, platform.Request{Method: http.MethodPost, Path: "/summary-page/get-data", Body: req}, &resp)
	if err != nil {
		return Summary{}, fmt.Errorf("summary: %w", err)
	}
	s, err := resp.summary()
	if err != nil {
		return Summary{}, fmt.Errorf("summary: triplewhale: %w", err)
	}
	return s, nil
}

// summary picks the wanted metrics out of the response.
func (r summaryResponse) summary() (Summary, error) {
	values := make(map[string]json.RawMessage, len(r.Metrics))
	for _, m := range r.Metrics {
		if _, dup := values[string(m.ID)]; !dup {
			values[string(m.ID)] = m.Values
		}
	}
	var s Summary
	var errs []error
	read := func(dst *float64, ids ...string) {
		for _, id := range ids {
			v, ok, err := current(values[id])
			if err != nil {
				errs = append(errs, fmt.Errorf("metric %s: %w", id, err))
				return
			}
			if ok {
				*dst = v
				return
			}
		}
		s.Missing = append(s.Missing, ids[0])
	}
	read(&s.Revenue, MetricRevenue)
	read(&s.AdSpend, MetricAdSpend)
	read(&s.ROAS, MetricROAS)
	read(&s.Orders, MetricOrders, MetricShopifyOrders)
	read(&s.AverageOrderValue, MetricAverageOrderValue)
	read(&s.NetProfit, MetricNetProfit)
	if err := errors.Join(errs...); err != nil {
		return Summary{}, err
	}
	return s, nil
}

// current reads values.current, which Triple Whale sends as a number or as a
// numeric string. ok is false when the metric, its values or the current
// value is missing or null, or the string is not a finite number (a
// placeholder such as "N/A"); a value of another JSON type is an error,
// because it means the response format changed.
func current(values json.RawMessage) (v float64, ok bool, err error) {
	if isNull(values) {
		return 0, false, nil
	}
	var vals struct {
		Current json.RawMessage `json:"current"`
	}
	if err := json.Unmarshal(values, &vals); err != nil {
		return 0, false, errors.New("values is not an object")
	}
	raw := bytes.TrimSpace(vals.Current)
	if isNull(raw) {
		return 0, false, nil
	}
	var text string
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, false, err
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		text = string(raw)
	default:
		// The value itself stays out of the error: it is platform data.
		return 0, false, errors.New("values.current is neither a number nor a string")
	}
	v, err = strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, nil
	}
	return v, true, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}
