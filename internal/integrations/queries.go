package integrations

import (
	"context"
	"encoding/base64"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/apperr"
)

// Paging and range limits of the dashboard queries.
const (
	// DefaultPageSize is the page size when first is 0.
	DefaultPageSize = 20
	// MaxPageSize is the largest page.
	MaxPageSize = 100
	// MaxSummaryDays is the longest range MarketingSummary accepts.
	MaxSummaryDays = 366
	// dailyPlatforms is how many platforms store daily figures.
	dailyPlatforms = 2
	// DefaultCurrency is the currency of the figures: the platforms report
	// in the shop's currency, which they do not name, so USD is assumed.
	DefaultCurrency = "USD"
)

// Stages whose deals are no longer open.
const (
	StageClosedWon  = "closedwon"
	StageClosedLost = "closedlost"
)

// Totals are a period's headline figures.
type Totals struct {
	// Revenue is the shop's sales (Triple Whale).
	Revenue float64
	// AdSpend is blended ad spend across channels (Triple Whale).
	AdSpend float64
	// ROAS is Revenue / AdSpend, 0 without spend.
	ROAS float64
	// Orders counts orders (Triple Whale).
	Orders int
	// AverageOrderValue is Revenue / Orders, 0 without orders.
	AverageOrderValue float64
	// NetProfit is the shop's net profit (Triple Whale).
	NetProfit float64
	// EmailRevenue is the value of Klaviyo's "Placed Order" events.
	EmailRevenue float64
	// EmailsOpened and EmailsClicked count Klaviyo's "Opened Email" and
	// "Clicked Email" events.
	EmailsOpened  int
	EmailsClicked int // Clicked Email events
}

// Day is one UTC calendar day's figures.
type Day struct {
	// Date is the day's midnight, UTC.
	Date          time.Time
	Revenue       float64 // sales
	AdSpend       float64 // blended ad spend
	ROAS          float64 // Revenue / AdSpend
	Orders        int     // orders
	NetProfit     float64 // net profit
	EmailRevenue  float64 // Placed Order value
	EmailsOpened  int     // Opened Email events
	EmailsClicked int     // Clicked Email events
}

// Summary is the marketing dashboard's headline: a period's totals, the
// previous period of equal length for comparison, and every day.
type Summary struct {
	// Currency of the money figures.
	Currency string
	// From and To are the first and last day of the period (UTC midnights).
	From, To time.Time
	// Totals add up the period.
	Totals Totals
	// Previous adds up the period of equal length that ends the day before From.
	Previous Totals
	// Daily has one entry per day from From to To, zeros where no data was synced.
	Daily []Day
}

// Deal is a HubSpot deal.
type Deal struct {
	// ID is HubSpot's deal id.
	ID   string
	Name string // the deal's name
	// Amount is nil when the deal has no amount.
	Amount *float64
	// Stage is the stage's internal id, such as "closedwon".
	Stage    string
	Pipeline string // the pipeline's id
	// CloseDate is nil when the deal has none.
	CloseDate *time.Time
	CreatedAt time.Time // created in HubSpot
	UpdatedAt time.Time // last modified in HubSpot
}

// DealPage is one page of deals, most recently updated first.
type DealPage struct {
	Deals       []Deal // the page
	HasNextPage bool   // more follow
	// EndCursor is passed as after to get the next page; empty for an empty page.
	EndCursor string
}

// Contact is a HubSpot contact.
type Contact struct {
	// ID is HubSpot's contact id.
	ID        string
	Email     string    // email address; may be empty
	FirstName string    // may be empty
	LastName  string    // may be empty
	CreatedAt time.Time // created in HubSpot
}

// ContactPage is one page of contacts, newest first.
type ContactPage struct {
	Contacts    []Contact // the page
	HasNextPage bool      // more follow
	EndCursor   string    // pass as after for the next page
}

// StageTotal sums the deals in one stage.
type StageTotal struct {
	Stage string // the stage id
	Count int    // deals in the stage
	// Amount adds the deals' amounts; deals without an amount add 0.
	Amount float64
}

// Pipeline sums the deals by stage.
type Pipeline struct {
	// Stages are ordered by stage id.
	Stages []StageTotal
	// OpenAmount adds the amounts of deals neither won nor lost.
	OpenAmount float64
}

// Campaign is a Klaviyo email campaign.
type Campaign struct {
	// ID is Klaviyo's campaign id.
	ID   string
	Name string // the campaign's name
	// Status is Klaviyo's label, such as "Draft", "Scheduled" or "Sent".
	Status string
	// SendTime is nil for a campaign neither sent nor scheduled.
	SendTime *time.Time
}

// CampaignPage is one page of campaigns, latest send (or creation) first.
type CampaignPage struct {
	Campaigns   []Campaign // the page
	HasNextPage bool       // more follow
	EndCursor   string     // pass as after for the next page
}

// Flow is a Klaviyo automated flow.
type Flow struct {
	// ID is Klaviyo's flow id.
	ID   string
	Name string // the flow's name
	// Status is "draft", "manual" or "live".
	Status      string
	TriggerType string // what starts the flow
}

// dailyDoc is one platform's figures for one UTC day.
type dailyDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	Platform       Platform      `bson:"platform"`
	Date           time.Time     `bson:"date"`
	// Triple Whale.
	Revenue           float64 `bson:"revenue"`
	AdSpend           float64 `bson:"adSpend"`
	ROAS              float64 `bson:"roas"`
	Orders            float64 `bson:"orders"`
	AverageOrderValue float64 `bson:"averageOrderValue"`
	NetProfit         float64 `bson:"netProfit"`
	// Klaviyo.
	EmailsOpened  float64 `bson:"emailsOpened"`
	EmailsClicked float64 `bson:"emailsClicked"`
	EmailOrders   float64 `bson:"emailOrders"`
	EmailRevenue  float64 `bson:"emailRevenue"`

	SyncRunID bson.ObjectID `bson:"syncRunId"`
	SyncedAt  time.Time     `bson:"syncedAt"`
}

type dealDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	Name           string        `bson:"name"`
	Amount         *float64      `bson:"amount"`
	Stage          string        `bson:"stage"`
	Pipeline       string        `bson:"pipeline"`
	CloseDate      *time.Time    `bson:"closeDate"`
	CreatedAt      time.Time     `bson:"createdAt"`
	UpdatedAt      time.Time     `bson:"updatedAt"`
	SyncRunID      bson.ObjectID `bson:"syncRunId"`
	SyncedAt       time.Time     `bson:"syncedAt"`
}

type contactDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	Email          string        `bson:"email"`
	FirstName      string        `bson:"firstName"`
	LastName       string        `bson:"lastName"`
	CreatedAt      time.Time     `bson:"createdAt"`
	UpdatedAt      time.Time     `bson:"updatedAt"`
	SyncRunID      bson.ObjectID `bson:"syncRunId"`
	SyncedAt       time.Time     `bson:"syncedAt"`
}

type campaignDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	Name           string        `bson:"name"`
	Status         string        `bson:"status"`
	SendTime       *time.Time    `bson:"sendTime"`
	// SortAt is the send time, or the creation time of an unsent campaign:
	// the order of the campaign list.
	SortAt    time.Time     `bson:"sortAt"`
	CreatedAt time.Time     `bson:"createdAt"`
	UpdatedAt time.Time     `bson:"updatedAt"`
	SyncRunID bson.ObjectID `bson:"syncRunId"`
	SyncedAt  time.Time     `bson:"syncedAt"`
}

type flowDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	Name           string        `bson:"name"`
	Status         string        `bson:"status"`
	TriggerType    string        `bson:"triggerType"`
	SyncRunID      bson.ObjectID `bson:"syncRunId"`
	SyncedAt       time.Time     `bson:"syncedAt"`
}

// utcDay returns the UTC midnight of t's UTC calendar day.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// MarketingSummary returns the organization's figures for the UTC days of
// from to to, both included, with the previous period of equal length and
// one entry per day. The times are reduced to their UTC calendar days.
//
// Returns FORBIDDEN when the actor has no role in an organization, and
// BAD_USER_INPUT on field from when from is after to, and on field to when
// the range exceeds MaxSummaryDays.
func (s *Service) MarketingSummary(ctx context.Context, a Actor, from, to time.Time) (Summary, error) {
	if err := require(a, RoleViewer); err != nil {
		return Summary{}, err
	}
	from, to = utcDay(from), utcDay(to)
	if from.After(to) {
		return Summary{}, apperr.Invalid("from", "The start date %s is after the end date %s.", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	days := int(to.Sub(from).Hours()/24) + 1
	if days > MaxSummaryDays {
		return Summary{}, apperr.Invalid("to", "Choose at most %d days; %s to %s is %d days.", MaxSummaryDays, from.Format(time.DateOnly), to.Format(time.DateOnly), days)
	}
	prevFrom := from.AddDate(0, 0, -days)
	rows, err := findAll[dailyDoc](ctx, s.store.daily, bson.D{
		{Key: "organizationId", Value: a.OrganizationID},
		{Key: "date", Value: bson.D{{Key: "$gte", Value: prevFrom}, {Key: "$lte", Value: to}}},
	}, options.Find().
		SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: "syncRunId", Value: 0}, {Key: "syncedAt", Value: 0}}).
		// One row per day and daily platform in both periods: one reply
		// carries them all, with no getMore.
		SetBatchSize(int32(2*days*dailyPlatforms)))
	if err != nil {
		return Summary{}, err
	}

	sum := Summary{Currency: DefaultCurrency, From: from, To: to, Daily: make([]Day, days)}
	for i := range sum.Daily {
		sum.Daily[i].Date = from.AddDate(0, 0, i)
	}
	var cur, prev sums
	dayOrders := make([]float64, days)
	for _, r := range rows {
		date := utcDay(r.Date)
		if date.Before(from) {
			prev.add(r)
			continue
		}
		cur.add(r)
		i := int(date.Sub(from).Hours() / 24)
		if i < 0 || i >= days {
			continue
		}
		d := &sum.Daily[i]
		d.Revenue += r.Revenue
		d.AdSpend += r.AdSpend
		d.NetProfit += r.NetProfit
		d.EmailRevenue += r.EmailRevenue
		d.EmailsOpened += int(math.Round(r.EmailsOpened))
		d.EmailsClicked += int(math.Round(r.EmailsClicked))
		dayOrders[i] += r.Orders
	}
	for i := range sum.Daily {
		d := &sum.Daily[i]
		d.Orders = int(math.Round(dayOrders[i]))
		d.ROAS = ratio(d.Revenue, d.AdSpend)
	}
	sum.Totals, sum.Previous = cur.totals(), prev.totals()
	return sum, nil
}

// sums accumulates daily rows of both platforms.
type sums struct {
	revenue, adSpend, orders, netProfit, emailRevenue, opened, clicked float64
}

func (s *sums) add(r dailyDoc) {
	s.revenue += r.Revenue
	s.adSpend += r.AdSpend
	s.orders += r.Orders
	s.netProfit += r.NetProfit
	s.emailRevenue += r.EmailRevenue
	s.opened += r.EmailsOpened
	s.clicked += r.EmailsClicked
}

func (s sums) totals() Totals {
	return Totals{
		Revenue:           s.revenue,
		AdSpend:           s.adSpend,
		ROAS:              ratio(s.revenue, s.adSpend),
		Orders:            int(math.Round(s.orders)),
		AverageOrderValue: ratio(s.revenue, s.orders),
		NetProfit:         s.netProfit,
		EmailRevenue:      s.emailRevenue,
		EmailsOpened:      int(math.Round(s.opened)),
		EmailsClicked:     int(math.Round(s.clicked)),
	}
}

// ratio is a / b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Deals returns a page of the organization's HubSpot deals, most recently
// updated first (ties by id), optionally only those in stage (an exact
// stage id such as "closedwon"). first is the page size, 1 to MaxPageSize,
// or 0 for DefaultPageSize; after is the EndCursor of the previous page.
//
// Returns FORBIDDEN when the actor has no role in an organization, and
// BAD_USER_INPUT on field first when it is out of range and on field after
// when the cursor is malformed.
func (s *Service) Deals(ctx context.Context, a Actor, first int, after string, stage string) (DealPage, error) {
	var filter bson.D
	if stage = strings.TrimSpace(stage); stage != "" {
		filter = bson.D{{Key: "stage", Value: stage}}
	}
	docs, more, end, err := page(ctx, s, a, s.store.deals, filter, "updatedAt", first, after,
		func(d dealDoc) (time.Time, string) { return d.UpdatedAt, d.ExternalID })
	if err != nil {
		return DealPage{}, err
	}
	out := DealPage{Deals: make([]Deal, len(docs)), HasNextPage: more, EndCursor: end}
	for i, d := range docs {
		out.Deals[i] = Deal{
			ID: d.ExternalID, Name: d.Name, Amount: d.Amount, Stage: d.Stage, Pipeline: d.Pipeline,
			CloseDate: d.CloseDate, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		}
	}
	return out, nil
}

// Contacts returns a page of the organization's HubSpot contacts, newest
// first (ties by id), with first and after as for Deals.
//
// Returns FORBIDDEN when the actor has no role in an organization, and
// BAD_USER_INPUT on field first when it is out of range and on field after
// when the cursor is malformed.
func (s *Service) Contacts(ctx context.Context, a Actor, first int, after string) (ContactPage, error) {
	docs, more, end, err := page(ctx, s, a, s.store.contacts, nil, "createdAt", first, after,
		func(d contactDoc) (time.Time, string) { return d.CreatedAt, d.ExternalID })
	if err != nil {
		return ContactPage{}, err
	}
	out := ContactPage{Contacts: make([]Contact, len(docs)), HasNextPage: more, EndCursor: end}
	for i, d := range docs {
		out.Contacts[i] = Contact{ID: d.ExternalID, Email: d.Email, FirstName: d.FirstName, LastName: d.LastName, CreatedAt: d.CreatedAt}
	}
	return out, nil
}

// EmailCampaigns returns a page of the organization's Klaviyo campaigns,
// latest send time first (an unsent campaign counts its creation time),
// with first and after as for Deals.
//
// Returns FORBIDDEN when the actor has no role in an organization, and
// BAD_USER_INPUT on field first when it is out of range and on field after
// when the cursor is malformed.
func (s *Service) EmailCampaigns(ctx context.Context, a Actor, first int, after string) (CampaignPage, error) {
	docs, more, end, err := page(ctx, s, a, s.store.campaigns, nil, "sortAt", first, after,
		func(d campaignDoc) (time.Time, string) { return d.SortAt, d.ExternalID })
	if err != nil {
		return CampaignPage{}, err
	}
	out := CampaignPage{Campaigns: make([]Campaign, len(docs)), HasNextPage: more, EndCursor: end}
	for i, d := range docs {
		out.Campaigns[i] = Campaign{ID: d.ExternalID, Name: d.Name, Status: d.Status, SendTime: d.SendTime}
	}
	return out, nil
}

// EmailFlows returns all of the organization's Klaviyo flows, by name. An
// account has tens of flows, so the list is not paged.
//
// Returns FORBIDDEN when the actor has no role in an organization.
func (s *Service) EmailFlows(ctx context.Context, a Actor) ([]Flow, error) {
	if err := require(a, RoleViewer); err != nil {
		return nil, err
	}
	docs, err := findAll[flowDoc](ctx, s.store.flows, bson.D{{Key: "organizationId", Value: a.OrganizationID}},
		options.Find().SetSort(bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	out := make([]Flow, len(docs))
	for i, d := range docs {
		out[i] = Flow{ID: d.ExternalID, Name: d.Name, Status: d.Status, TriggerType: d.TriggerType}
	}
	return out, nil
}

// PipelineSummary counts and sums the organization's HubSpot deals by
// stage.
//
// Returns FORBIDDEN when the actor has no role in an organization.
func (s *Service) PipelineSummary(ctx context.Context, a Actor) (Pipeline, error) {
	if err := require(a, RoleViewer); err != nil {
		return Pipeline{}, err
	}
	// Summed here rather than with $group: only two small fields travel,
	// and the embedded engine's accumulators are not to be relied on.
	docs, err := findAll[dealDoc](ctx, s.store.deals, bson.D{{Key: "organizationId", Value: a.OrganizationID}},
		options.Find().SetProjection(bson.D{{Key: "stage", Value: 1}, {Key: "amount", Value: 1}}))
	if err != nil {
		return Pipeline{}, err
	}
	var out Pipeline
	byStage := map[string]*StageTotal{}
	for _, d := range docs {
		st := byStage[d.Stage]
		if st == nil {
			st = &StageTotal{Stage: d.Stage}
			byStage[d.Stage] = st
		}
		st.Count++
		if d.Amount != nil {
			st.Amount += *d.Amount
			if d.Stage != StageClosedWon && d.Stage != StageClosedLost {
				out.OpenAmount += *d.Amount
			}
		}
	}
	out.Stages = make([]StageTotal, 0, len(byStage))
	for _, st := range byStage {
		out.Stages = append(out.Stages, *st)
	}
	slices.SortFunc(out.Stages, func(a, b StageTotal) int { return strings.Compare(a.Stage, b.Stage) })
	return out, nil
}

// page reads one page of a record collection ordered by sortField
// descending, then _id ascending (which within an organization is the
// platform's id order). key returns a record's sort value and platform id,
// from which its cursor is made.
func page[T any](ctx context.Context, s *Service, a Actor, c *mongo.Collection, filter bson.D, sortField string, first int, after string, key func(T) (time.Time, string)) ([]T, bool, string, error) {
	if err := require(a, RoleViewer); err != nil {
		return nil, false, "", err
	}
	if first == 0 {
		first = DefaultPageSize
	}
	if first < 1 || first > MaxPageSize {
		return nil, false, "", apperr.Invalid("first", "first must be between 1 and %d, got %d.", MaxPageSize, first)
	}
	f := append(bson.D{{Key: "organizationId", Value: a.OrganizationID}}, filter...)
	if after != "" {
		at, id, err := decodeCursor(after)
		if err != nil {
			return nil, false, "", apperr.Invalid("after", "The cursor %q is malformed; pass the endCursor of the previous page.", truncate(after, 40))
		}
		f = append(f, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: sortField, Value: bson.D{{Key: "$lt", Value: at}}}},
			bson.D{{Key: sortField, Value: at}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: recordKey(a.OrganizationID, id)}}}},
		}})
	}
	docs, err := findAll[T](ctx, c, f, options.Find().
		SetSort(bson.D{{Key: sortField, Value: -1}, {Key: "_id", Value: 1}}).
		SetLimit(int64(first+1)))
	if err != nil {
		return nil, false, "", err
	}
	more := len(docs) > first
	if more {
		docs = docs[:first]
	}
	var end string
	if n := len(docs); n > 0 {
		end = encodeCursor(key(docs[n-1]))
	}
	return docs, more, end, nil
}

// encodeCursor makes an opaque cursor of a record's sort time and platform id.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + ":" + id))
}

// decodeCursor reads a cursor made by encodeCursor.
func decodeCursor(cursor string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return time.Time{}, "", err
	}
	ms, id, ok := strings.Cut(string(raw), ":")
	if !ok || id == "" {
		return time.Time{}, "", errors.New("cursor has no id")
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, "", err
	}
	return time.UnixMilli(n).UTC(), id, nil
}
