// Package hubspot is a client for HubSpot's CRM v3 API, authenticated with a
// private app token: it checks the token and lists deals and contacts page by
// page, so a sync can store each page before asking for the next.
package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/omnify/bff/internal/integrations/platform"
)

// DefaultBaseURL is HubSpot's production API root.
const DefaultBaseURL = "https://api.hubapi.com"

// PageSize is the largest page the CRM list endpoints return.
const PageSize = 100

// name prefixes this package's errors.
const name = "hubspot"

// Rate-limit policies named in the body of a HubSpot 429.
const (
	policyRolling = "TEN_SECONDLY_ROLLING"
	policyDaily   = "DAILY"
)

// Properties requested for each object type; HubSpot returns only these.
const (
	dealProperties    = "dealname,amount,dealstage,pipeline,closedate,hs_lastmodifieddate"
	contactProperties = "email,firstname,lastname,createdate"
)

// Client calls HubSpot with one portal's private app token. It is safe for
// concurrent use.
type Client struct {
	caller *platform.Caller
}

// New returns a Client for baseURL (DefaultBaseURL in production) that
// authenticates with token. opts.RateLimitWindow is the unit of the wait
// after a TEN_SECONDLY_ROLLING 429 that carries no Retry-After.
func New(baseURL, token string, opts platform.Options) (*Client, error) {
	window := opts.WithDefaults().RateLimitWindow
	c, err := platform.NewCaller(platform.Config{
		Platform: name,
		BaseURL:  baseURL,
		Secret:   token,
		Header:   http.Header{"Authorization": {"Bearer " + token}, "Accept": {"application/json"}},
		Diagnose: func(f platform.FailedResponse) platform.Diagnosis { return diagnose(f, window) },
	}, opts)
	if err != nil {
		return nil, err
	}
	return &Client{caller: c}, nil
}

// diagnose reads HubSpot's error body and applies its rate-limit policies:
// the rolling ten-second limit clears after a short wait (n windows after
// attempt n, unless Retry-After says otherwise); the daily limit does not
// clear until midnight UTC, so it is not retried.
func diagnose(f platform.FailedResponse, window time.Duration) platform.Diagnosis {
	var body struct {
		Message       platform.LooseString `json:"message"`
		CorrelationID platform.LooseString `json:"correlationId"`
		Category      platform.LooseString `json:"category"`
		PolicyName    platform.LooseString `json:"policyName"`
	}
	_ = json.Unmarshal(f.Body, &body) // a non-JSON body leaves the status to speak
	d := platform.Diagnosis{Code: string(body.Category), Message: string(body.Message)}
	if body.CorrelationID != "" {
		// Quoted in HubSpot support tickets.
		d.Message += " (correlation id " + string(body.CorrelationID) + ")"
	}
	if f.Status != http.StatusTooManyRequests {
		return d
	}
	switch string(body.PolicyName) {
	case policyDaily:
		now := f.Now.UTC()
		midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
		d.Final = true
		d.RetryAfter = midnight.Sub(now)
		d.Message = "daily API limit exhausted until the next day (resets 00:00 UTC): " + d.Message
	case policyRolling:
		if f.RetryAfter <= 0 {
			d.RetryAfter = time.Duration(f.Attempt) * window
		}
	}
	return d
}

// CheckKey confirms the token is valid and may read contacts; a refused
// token returns an error for which platform.IsRejected is true.
func (c *Client) CheckKey(ctx context.Context) error {
	req := platform.Request{Path: "/crm/v3/objects/contacts", Query: url.Values{"limit": {"1"}}}
	if err := c.caller.Do(ctx, req, nil); err != nil {
		return fmt.Errorf("check key: %w", err)
	}
	return nil
}

// Deal is a CRM deal. Fields HubSpot leaves empty, or fills with a value that
// does not parse, are nil or zero rather than failing the listing.
type Deal struct {
	// ID is HubSpot's object id, stable for the life of the deal.
	ID string
	// Name is the dealname property.
	Name string
	// Amount is nil when the deal has no amount, so it is not mistaken for
	// a deal worth zero.
	Amount *float64
	// Stage is the dealstage property: the stage's internal id (such as
	// "closedwon"), not its label, which portals rename.
	Stage string
	// Pipeline is the pipeline's internal id.
	Pipeline string
	// CloseDate is nil when the deal has no close date.
	CloseDate *time.Time
	// CreatedAt and UpdatedAt are zero when HubSpot sent no usable time;
	// UpdatedAt falls back to hs_lastmodifieddate.
	CreatedAt time.Time
	UpdatedAt time.Time // last modified
}

// Contact is a CRM contact.
type Contact struct {
	// ID is HubSpot's object id, stable for the life of the contact.
	ID string
	// Email, FirstName and LastName are "" when unset.
	Email     string
	FirstName string // may be empty
	LastName  string // may be empty
	// CreatedAt and UpdatedAt are zero when HubSpot sent no usable time;
	// CreatedAt falls back to the createdate property.
	CreatedAt time.Time
	UpdatedAt time.Time // last modified
}

// Deals calls fn with each page of deals, in HubSpot's order, and stops at
// the first error fn returns. An empty page is not passed to fn.
func (c *Client) Deals(ctx context.Context, fn func(page []Deal) error) error {
	if err := list(ctx, c, "/crm/v3/objects/deals", dealProperties, toDeal, fn); err != nil {
		return fmt.Errorf("list deals: %w", err)
	}
	return nil
}

// Contacts calls fn with each page of contacts, in HubSpot's order, and
// stops at the first error fn returns. An empty page is not passed to fn.
func (c *Client) Contacts(ctx context.Context, fn func(page []Contact) error) error {
	if err := list(ctx, c, "/crm/v3/objects/contacts", contactProperties, toContact, fn); err != nil {
		return fmt.Errorf("list contacts: %w", err)
	}
	return nil
}

// object is one result of a CRM list; every field is decoded leniently.
type object struct {
	ID         platform.LooseString            `json:"id"`
	Properties map[string]platform.LooseString `json:"properties"`
	CreatedAt  platform.LooseString            `json:"createdAt"`
	UpdatedAt  platform.LooseString            `json:"updatedAt"`
}

// listPage is one page of a CRM list; Paging is nil on the last page.
type listPage struct {
	Results []object `json:"results"`
	Paging  *struct {
		Next *struct {
			After platform.LooseString `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// list walks a CRM list endpoint from the first page to the last.
func list[T any](ctx context.Context, c *Client, path, properties string, convert func(object) T, fn func([]T) error) error {
	pager := c.caller.NewPager()
	after := ""
	for {
		if err := pager.Next(after); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		q := url.Values{"limit": {strconv.Itoa(PageSize)}, "properties": {properties}}
		if after != "" {
			q.Set("after", after)
		}
		var page listPage
		if err := c.caller.Do(ctx, platform.Request{Path: path, Query: q}, &page); err != nil {
			return err
		}
		if len(page.Results) > 0 {
			items := make([]T, len(page.Results))
			for i, o := range page.Results {
				items[i] = convert(o)
			}
			if err := fn(items); err != nil {
				return err
			}
		}
		if page.Paging == nil || page.Paging.Next == nil {
			return nil
		}
		// An empty cursor here would restart from the first page; the
		// pager reports it as a loop.
		after = string(page.Paging.Next.After)
	}
}

func toDeal(o object) Deal {
	p := o.Properties
	d := Deal{
		ID:        string(o.ID),
		Name:      string(p["dealname"]),
		Amount:    parseAmount(string(p["amount"])),
		Stage:     string(p["dealstage"]),
		Pipeline:  string(p["pipeline"]),
		CreatedAt: parseTime(string(o.CreatedAt)),
		UpdatedAt: parseTime(string(o.UpdatedAt)),
	}
	if t, ok := platform.ParseTime(string(p["closedate"])); ok {
		d.CloseDate = &t
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = parseTime(string(p["hs_lastmodifieddate"]))
	}
	return d
}

func toContact(o object) Contact {
	p := o.Properties
	c := Contact{
		ID:        string(o.ID),
		Email:     string(p["email"]),
		FirstName: string(p["firstname"]),
		LastName:  string(p["lastname"]),
		CreatedAt: parseTime(string(o.CreatedAt)),
		UpdatedAt: parseTime(string(o.UpdatedAt)),
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = parseTime(string(p["createdate"]))
	}
	return c
}

// parseAmount reads a deal amount, which HubSpot stores as a string; an
// empty or non-numeric one is nil.
func parseAmount(s string) *float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func parseTime(s string) time.Time {
	t, _ := platform.ParseTime(s)
	return t
}
