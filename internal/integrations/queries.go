package integrations

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// Range limits of the dashboard queries.
const (
	// MaxSummaryDays is the longest range MarketingSummary accepts.
	MaxSummaryDays = 366
	// dailyPlatforms is how many platforms store daily figures.
	dailyPlatforms = 2
	// DefaultCurrency is the currency of the figures: the platforms report
	// in the shop's currency, which they do not name, so USD is assumed.
	DefaultCurrency = "USD"
)

// utcDay returns the UTC midnight of t's UTC calendar day.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// MarketingSummary returns the organization's figures for the UTC days of
// from to to, both included, with the previous period of equal length and
// one entry per day. The times are reduced to their UTC calendar days.
// Email revenue is what Klaviyo attributes to the campaigns and flows sent
// in the period, with every campaign and flow that earned some; Klaviyo's
// "Placed Order" total is apart (KlaviyoOrderRevenue). It reads stored
// data only, from the organization's rollup: one find by _id whatever the range
// (none when the process holds it), and never a scan of the records.
//
// Returns FORBIDDEN without a role in an organization, and
// BAD_USER_INPUT on field from when from is after to, and on field to when
// the range exceeds MaxSummaryDays.
func (s *Service) MarketingSummary(ctx context.Context, p *authz.Principal, from, to time.Time) (Summary, error) {
	if err := require(p, readRole); err != nil {
		return Summary{}, err
	}
	from, to, days, err := dayRange(from, to)
	if err != nil {
		return Summary{}, err
	}
	r, err := s.rollup(ctx, p.OrganizationID)
	if err != nil {
		return Summary{}, err
	}
	prevFrom := from.AddDate(0, 0, -days)
	return summarize(p.OrganizationID, from, to, days, r.dailyRows(prevFrom, to), r.campaignsSent(prevFrom, to), r.flowDaysIn(prevFrom, to), r.flowNames()), nil
}

// summarize computes the summary of the days from to to (days of them)
// and of the period of equal length before, from the daily rows, the
// attributed campaign values and the flow days of both periods, and the
// flow names by Klaviyo id. It reads nothing: the read models and the
// records give it the same figures.
func summarize(org bson.ObjectID, from, to time.Time, days int, rows []dailyDoc, campaigns []campaignValueDoc, flowDays []flowDayDoc, names map[string]string) Summary {
	sum := Summary{Currency: DefaultCurrency, From: from, To: to, Daily: make([]Day, days)}
	for i := range sum.Daily {
		sum.Daily[i].Date = from.AddDate(0, 0, i)
	}
	var cur, prev sums
	dayOrders := make([]float64, days)
	// day returns the index of date in Daily, or -1 for the previous period.
	day := func(date time.Time) int {
		date = utcDay(date)
		if date.Before(from) {
			return -1
		}
		return min(int(date.Sub(from).Hours()/24), days-1)
	}
	for _, r := range rows {
		i := day(r.Date)
		if i < 0 {
			prev.add(r)
			continue
		}
		cur.add(r)
		d := &sum.Daily[i]
		d.Revenue += r.Revenue
		d.AdSpend += r.AdSpend
		d.KlaviyoOrderRevenue += r.PlacedOrderRevenue
		dayOrders[i] += r.Orders
	}
	for i := range sum.Daily {
		d := &sum.Daily[i]
		d.Orders = int(math.Round(dayOrders[i]))
		d.ROAS = ratio(d.Revenue, d.AdSpend)
	}

	byCampaign, byFlow := map[string]*EmailRevenueSource{}, map[string]*EmailRevenueSource{}
	attribute := func(set map[string]*EmailRevenueSource, kind EmailSourceKind, date time.Time, id, name string, revenue, conversions float64) {
		i := day(date)
		if i < 0 {
			prev.emailRevenue += revenue
			return
		}
		cur.emailRevenue += revenue
		sum.Daily[i].EmailRevenue += revenue
		src := set[id]
		if src == nil {
			src = &EmailRevenueSource{Kind: kind, Key: recordKey(org, id), KlaviyoID: id, Name: name}
			set[id] = src
		}
		src.Revenue += revenue
		src.Conversions += conversions
	}
	for _, c := range campaigns {
		if c.SendDate != nil {
			attribute(byCampaign, EmailSourceCampaign, *c.SendDate, c.ExternalID, c.Name, c.Revenue, c.Conversions)
		}
	}
	for _, fd := range flowDays {
		for _, f := range fd.Flows {
			attribute(byFlow, EmailSourceFlow, fd.Date, f.FlowID, f.FlowID, f.Revenue, f.Conversions)
		}
	}
	for id, src := range byFlow {
		if n, ok := names[id]; ok && n != "" {
			src.Name = n
		}
	}
	sum.Totals, sum.Previous = cur.totals(), prev.totals()
	sum.EmailByCampaign = ranked(byCampaign, sum.Totals.EmailRevenue)
	sum.EmailByFlow = ranked(byFlow, sum.Totals.EmailRevenue)
	return sum
}

// ranked lists set by revenue, highest first (ties by Klaviyo id), with
// each one's share of total.
func ranked(set map[string]*EmailRevenueSource, total float64) []EmailRevenueSource {
	out := make([]EmailRevenueSource, 0, len(set))
	for _, src := range set {
		src.Share = ratio(src.Revenue, total)
		out = append(out, *src)
	}
	slices.SortFunc(out, func(a, b EmailRevenueSource) int {
		if c := cmp.Compare(b.Revenue, a.Revenue); c != 0 {
			return c
		}
		return strings.Compare(a.KlaviyoID, b.KlaviyoID)
	})
	return out
}

// Limits of TopEmailSources.
const (
	// DefaultEmailSources is how many campaigns or flows a top list shows
	// when the caller does not say.
	DefaultEmailSources = 5
	// MaxEmailSources is the most a top list shows.
	MaxEmailSources = 50
)

// TopEmailSources returns the first first sources of a Summary's ranked
// list (DefaultEmailSources when first is nil). field names the list in
// the error: BAD_USER_INPUT on field first when first is below 1 or above
// MaxEmailSources.
func TopEmailSources(list []EmailRevenueSource, first *int, field string) ([]EmailRevenueSource, error) {
	n := DefaultEmailSources
	if first != nil {
		n = *first
	}
	if n < 1 || n > MaxEmailSources {
		return nil, apperr.Invalid("first", "%s: first must be between 1 and %d; got %d.", field, MaxEmailSources, n)
	}
	return list[:min(n, len(list))], nil
}

// dayRange reduces from and to to their UTC days and counts the days from
// one to the other, both included. Returns BAD_USER_INPUT on field from
// when from is after to, and on field to when the range exceeds
// MaxSummaryDays.
func dayRange(from, to time.Time) (time.Time, time.Time, int, error) {
	from, to = utcDay(from), utcDay(to)
	if from.After(to) {
		return from, to, 0, apperr.Invalid("from", "The start date %s is after the end date %s.", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	days := int(to.Sub(from).Hours()/24) + 1
	if days > MaxSummaryDays {
		return from, to, 0, apperr.Invalid("to", "Choose at most %d days; %s to %s is %d days.", MaxSummaryDays, from.Format(time.DateOnly), to.Format(time.DateOnly), days)
	}
	return from, to, days, nil
}

// sums accumulates daily rows of both platforms and the attributed email
// revenue.
type sums struct {
	revenue, adSpend, orders, emailRevenue, placedOrders, placedOrderRevenue float64
}

func (s *sums) add(r dailyDoc) {
	s.revenue += r.Revenue
	s.adSpend += r.AdSpend
	s.orders += r.Orders
	s.placedOrders += r.PlacedOrders
	s.placedOrderRevenue += r.PlacedOrderRevenue
}

func (s sums) totals() Totals {
	return Totals{
		Revenue:             s.revenue,
		AdSpend:             s.adSpend,
		ROAS:                ratio(s.revenue, s.adSpend),
		Orders:              int(math.Round(s.orders)),
		AverageOrderValue:   ratio(s.revenue, s.orders),
		EmailRevenue:        s.emailRevenue,
		KlaviyoOrders:       int(math.Round(s.placedOrders)),
		KlaviyoOrderRevenue: s.placedOrderRevenue,
	}
}

// ratio is a / b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// EmailDaily returns the organization's Klaviyo email figures for the UTC
// days of from to to, both included, one entry per day that a sync stored,
// by date. A day missing from the answer has no data (Klaviyo not yet
// synced that far, or not connected then), which is not the same as a day
// with no email: the caller tells the two apart. The times are reduced to
// their UTC calendar days. A day's Revenue is what Klaviyo attributes to
// the campaigns and flows sent that day (read from the rollup, as
// MarketingSummary).
//
// Returns what MarketingSummary returns.
func (s *Service) EmailDaily(ctx context.Context, p *authz.Principal, from, to time.Time) ([]EmailDay, error) {
	if err := require(p, readRole); err != nil {
		return nil, err
	}
	from, to, _, err := dayRange(from, to)
	if err != nil {
		return nil, err
	}
	r, err := s.rollup(ctx, p.OrganizationID)
	if err != nil {
		return nil, err
	}
	var rows []dailyDoc
	for _, d := range r.dailyRows(from, to) {
		if d.Platform == Klaviyo {
			rows = append(rows, d)
		}
	}
	campaigns, flowDays := r.campaignsSent(from, to), r.flowDaysIn(from, to)
	attributed := map[time.Time]float64{}
	for _, c := range campaigns {
		if c.SendDate != nil {
			attributed[utcDay(*c.SendDate)] += c.Revenue
		}
	}
	for _, fd := range flowDays {
		for _, f := range fd.Flows {
			attributed[utcDay(fd.Date)] += f.Revenue
		}
	}
	out := make([]EmailDay, 0, len(rows))
	for _, r := range rows {
		date := utcDay(r.Date)
		out = append(out, EmailDay{
			Date:     date,
			Received: int(math.Round(r.EmailsReceived)),
			Opened:   int(math.Round(r.EmailsOpened)),
			Clicked:  int(math.Round(r.EmailsClicked)),
			Revenue:  attributed[date],
		})
	}
	return out, nil
}

// Deals returns a page of the organization's HubSpot deals, most recently
// updated first (ties by HubSpot id), optionally only those in stage (an
// exact stage id such as "closedwon"). first is 1 to 100 (nil for 20);
// after is the cursor of the last deal of the previous page.
//
// Returns FORBIDDEN without a role in an organization, and BAD_USER_INPUT
// on field first when it is out of range and on field after when the
// cursor is malformed.
func (s *Service) Deals(ctx context.Context, p *authz.Principal, first *int, after *string, stage string) (page.Page[Deal], error) {
	filter := recordFilter{stage: strings.TrimSpace(stage)}
	return listRecords(ctx, s, p, dealSet, filter, dealOrder, first, after, func(d dealDoc) string { return d.ExternalID }, dealDoc.public, nil)
}

// Contacts returns a page of the organization's HubSpot contacts, newest
// first (ties by HubSpot id), with first and after as for Deals.
//
// Returns what Deals returns.
func (s *Service) Contacts(ctx context.Context, p *authz.Principal, first *int, after *string) (page.Page[Contact], error) {
	return listRecords(ctx, s, p, contactSet, recordFilter{}, contactOrder, first, after, func(d contactDoc) string { return d.ExternalID }, contactDoc.public, nil)
}

// EmailCampaigns returns a page of the organization's Klaviyo campaigns,
// latest send time first (an unsent campaign counts its creation time),
// with first and after as for Deals.
//
// Returns what Deals returns.
func (s *Service) EmailCampaigns(ctx context.Context, p *authz.Principal, first *int, after *string) (page.Page[Campaign], error) {
	return listRecords(ctx, s, p, campaignSet, recordFilter{}, campaignOrder, first, after, func(d campaignDoc) string { return d.ExternalID }, campaignDoc.public,
		(*rollupDoc).campaignPage)
}

// EmailFlows returns a page of the organization's Klaviyo flows, by name
// (ties by Klaviyo id), with first and after as for Deals.
//
// Returns what Deals returns.
func (s *Service) EmailFlows(ctx context.Context, p *authz.Principal, first *int, after *string) (page.Page[Flow], error) {
	return listRecords(ctx, s, p, flowSet, recordFilter{}, flowOrder, first, after, func(d flowDoc) string { return d.ExternalID }, flowDoc.public,
		(*rollupDoc).flowPage)
}

// listRecords checks the caller and the page request, reads one page of a
// record set and returns it as domain values. fromRollup, when not nil,
// answers the pages the organization's rollup holds; the others are read
// from the records.
func listRecords[D, T any](ctx context.Context, s *Service, p *authz.Principal, set recordSet, filter recordFilter, order recordOrder, first *int, after *string, externalID func(D) string, public func(D) T,
	fromRollup func(*rollupDoc, bson.ObjectID, page.Request) (page.Page[D], bool)) (page.Page[T], error) {
	if err := require(p, readRole); err != nil {
		return page.Page[T]{}, err
	}
	r, err := page.Default(first, after, cursorParts)
	if err != nil {
		return page.Page[T]{}, err
	}
	var docs page.Page[D]
	held := false
	if fromRollup != nil {
		roll, err := s.rollup(ctx, p.OrganizationID)
		if err != nil {
			return page.Page[T]{}, err
		}
		docs, held = fromRollup(roll, p.OrganizationID, r)
	}
	if !held {
		if docs, err = pageRecords(ctx, s.store, set, p.OrganizationID, filter, order, r, externalID); err != nil {
			return page.Page[T]{}, err
		}
	}
	out := page.Page[T]{Items: make([]T, len(docs.Items)), Cursors: docs.Cursors,
		HasNextPage: docs.HasNextPage, HasPreviousPage: docs.HasPreviousPage, TotalCount: docs.TotalCount}
	for i, d := range docs.Items {
		out.Items[i] = public(d)
	}
	return out, nil
}

// Deal returns the organization's deal whose Key is key.
//
// Returns FORBIDDEN without a role in an organization, and NOT_FOUND when
// it does not exist or belongs to another organization.
func (s *Service) Deal(ctx context.Context, p *authz.Principal, key string) (Deal, error) {
	return recordOf(ctx, s, p, dealSet, key, "deal", func(d *dealDoc) bson.ObjectID { return d.OrganizationID }, dealDoc.public)
}

// Contact returns the organization's contact whose Key is key.
//
// Returns what Deal returns.
func (s *Service) Contact(ctx context.Context, p *authz.Principal, key string) (Contact, error) {
	return recordOf(ctx, s, p, contactSet, key, "contact", func(d *contactDoc) bson.ObjectID { return d.OrganizationID }, contactDoc.public)
}

// Campaign returns the organization's email campaign whose Key is key.
//
// Returns what Deal returns.
func (s *Service) Campaign(ctx context.Context, p *authz.Principal, key string) (Campaign, error) {
	return recordOf(ctx, s, p, campaignSet, key, "email campaign", func(d *campaignDoc) bson.ObjectID { return d.OrganizationID }, campaignDoc.public)
}

// Flow returns the organization's email flow whose Key is key.
//
// Returns what Deal returns.
func (s *Service) Flow(ctx context.Context, p *authz.Principal, key string) (Flow, error) {
	return recordOf(ctx, s, p, flowSet, key, "email flow", func(d *flowDoc) bson.ObjectID { return d.OrganizationID }, flowDoc.public)
}

// recordOf checks the caller and reads one record of the caller's
// organization by its key.
func recordOf[D, T any](ctx context.Context, s *Service, p *authz.Principal, set recordSet, key, what string, orgOf func(*D) bson.ObjectID, public func(D) T) (T, error) {
	var zero T
	if err := require(p, readRole); err != nil {
		return zero, err
	}
	d, err := recordByKey(ctx, s.store, set, p.OrganizationID, key, orgOf)
	if err != nil {
		return zero, err
	}
	if d == nil {
		return zero, errNotFound(what)
	}
	return public(*d), nil
}

// PipelineSummary counts and sums the organization's HubSpot deals by
// stage.
//
// Returns FORBIDDEN without a role in an organization.
func (s *Service) PipelineSummary(ctx context.Context, p *authz.Principal) (Pipeline, error) {
	if err := require(p, readRole); err != nil {
		return Pipeline{}, err
	}
	r, err := s.rollup(ctx, p.OrganizationID)
	if err != nil {
		return Pipeline{}, err
	}
	return r.pipeline(), nil
}
