// Package demodata generates the sample data of Omnify's demo organization:
// what syncs of Triple Whale, HubSpot and Klaviyo would have written for a
// plausible online store over the 90 days that end yesterday.
//
// Generate is a pure function of a seed and a day: the same seed and day
// give the same data, so the demo can be regenerated (a demo sync, `omnify
// demo`) and tested exactly. The data is built to show what each built-in
// agent looks for:
//
//   - Triple Whale: a weekly rhythm (weekends sell more), one promotion (a
//     few days of high revenue and spend), and one bad week near the end
//     whose ROAS falls well below the default target of 2.0 and below its
//     trailing 7-day average, so ROAS Guardian finds days below target and
//     drops;
//   - HubSpot: deals in every stage of the default pipeline, some not
//     updated for more than 14 days and some expected to close in the
//     current month, one past its close date, so Pipeline Scout finds stale
//     deals and open pipeline;
//   - Klaviyo: a campaign about twice a week with open and click rates of
//     which some are below Email Auditor's thresholds, a welcome and an
//     abandoned cart flow but no post-purchase flow, the daily email
//     metrics, and what the Reporting API attributes to each campaign and
//     each flow by day.
package demodata

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Days is how many days of figures Generate makes, ending yesterday.
const Days = 90

// Seed is the seed of the demo organization's data.
const Seed = 14

// The shape of the data, which the tests check.
const (
	// PromotionStart is how many days before today the promotion starts;
	// it lasts PromotionDays.
	PromotionStart, PromotionDays = 41, 4
	// BadWeekStart is how many days before today the bad week starts; it
	// lasts BadWeekDays and ends BadWeekStart-BadWeekDays+1 days before
	// today, inside ROAS Guardian's default 14 days.
	BadWeekStart, BadWeekDays = 11, 7
	// StaleAfterDays is how long an open deal goes without an update
	// before Pipeline Scout calls it stale (its default).
	StaleAfterDays = 14
)

// MissingFlow names the core flow the demo store lacks.
const MissingFlow = "post-purchase"

// Data is everything a demo organization's three integrations hold.
type Data struct {
	// From and To are the first and last day of the figures (UTC
	// midnights): Days days ending the day before the day generated for.
	From, To time.Time
	// AdDays are Triple Whale's daily figures, From to To.
	AdDays []AdDay
	// Deals and Contacts are HubSpot's CRM records.
	Deals    []Deal
	Contacts []Contact
	// Campaigns and Flows are Klaviyo's lists.
	Campaigns []Campaign
	Flows     []Flow
	// EmailDays are Klaviyo's daily email metrics, From to To.
	EmailDays []EmailDay
	// FlowDays are what Klaviyo attributes to each flow's emails of a day,
	// From to To.
	FlowDays []FlowDay
}

// AdDay is one day of Triple Whale's summary.
type AdDay struct {
	Date              time.Time // the day's UTC midnight
	Revenue           float64   // sales
	AdSpend           float64   // blended ad spend
	Orders            int       // orders
	AverageOrderValue float64   // Revenue / Orders
	NetProfit         float64   // after cost of goods and ads
}

// ROAS is the day's revenue divided by its ad spend.
func (d AdDay) ROAS() float64 {
	if d.AdSpend <= 0 {
		return 0
	}
	return d.Revenue / d.AdSpend
}

// Deal is a HubSpot deal.
type Deal struct {
	ID        string     // HubSpot's id
	Name      string     // the deal's name
	Amount    *float64   // nil for a deal without an amount
	Stage     string     // the stage's internal id
	Pipeline  string     // the pipeline's id
	CloseDate *time.Time // expected close date
	CreatedAt time.Time  // created in HubSpot
	UpdatedAt time.Time  // last modified in HubSpot
}

// Contact is a HubSpot contact.
type Contact struct {
	ID        string    // HubSpot's id
	Email     string    // at a reserved example domain
	FirstName string    // given name
	LastName  string    // family name
	CreatedAt time.Time // created in HubSpot
	UpdatedAt time.Time // last modified in HubSpot
}

// Campaign is a Klaviyo email campaign with what it did.
type Campaign struct {
	ID        string     // Klaviyo's id
	Name      string     // the campaign's name
	Status    string     // "Sent", "Scheduled" or "Draft"
	SendTime  *time.Time // nil for a draft
	CreatedAt time.Time  // created in Klaviyo
	UpdatedAt time.Time  // last modified in Klaviyo
	// Recipients, Opens and Clicks are its emails' figures (0 unless sent).
	Recipients, Opens, Clicks int
	// Revenue and Conversions are what the Reporting API attributes to it.
	Revenue     float64
	Conversions float64
}

// OpenRate is opens ÷ recipients, 0 without recipients.
func (c Campaign) OpenRate() float64 { return ratio(float64(c.Opens), float64(c.Recipients)) }

// ClickRate is clicks ÷ recipients, 0 without recipients.
func (c Campaign) ClickRate() float64 { return ratio(float64(c.Clicks), float64(c.Recipients)) }

// Flow is a Klaviyo flow.
type Flow struct {
	ID          string // Klaviyo's id
	Name        string // the flow's name
	Status      string // "live", "manual" or "draft"
	TriggerType string // what starts it
}

// EmailDay is one day of Klaviyo's email metrics.
type EmailDay struct {
	Date     time.Time // the day's UTC midnight
	Received int       // "Received Email"
	Opened   int       // "Opened Email"
	Clicked  int       // "Clicked Email"
	// PlacedOrders and PlacedOrderRevenue are "Placed Order": every order
	// the shop sent Klaviyo (all of them, on a Shopify-connected account).
	PlacedOrders       int
	PlacedOrderRevenue float64
}

// FlowDay is what Klaviyo attributes to the emails each flow sent on Date.
type FlowDay struct {
	Date  time.Time   // the day's UTC midnight
	Flows []FlowValue // one entry per flow that earned something
}

// FlowValue is one flow's share of a FlowDay.
type FlowValue struct {
	FlowID      string  // Klaviyo's id of the flow
	Revenue     float64 // attributed revenue
	Conversions float64 // attributed orders
}

// utcDay returns the UTC midnight of t's UTC day.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// cents rounds x to cents.
func cents(x float64) float64 { return math.Round(x*100) / 100 }

// Generate returns the demo data for the day today (its UTC day counts):
// Days days of figures ending the day before, the same for the same seed
// and day.
func Generate(seed uint64, today time.Time) Data {
	today = utcDay(today)
	r := rand.New(rand.NewPCG(seed, uint64(today.Unix()/86400)))
	d := Data{From: today.AddDate(0, 0, -Days), To: today.AddDate(0, 0, -1)}
	d.AdDays = adDays(r, today)
	d.Deals, d.Contacts = crm(r, today)
	d.Flows = flows()
	d.Campaigns = campaigns(r, today)
	d.EmailDays, d.FlowDays = email(r, today, d.AdDays, d.Campaigns, d.Flows)
	return d
}

// InPromotion reports whether day is one of the promotion's days for
// data generated on today.
func InPromotion(day, today time.Time) bool {
	n := daysBefore(day, today)
	return n <= PromotionStart && n > PromotionStart-PromotionDays
}

// InBadWeek reports whether day is one of the bad week's days for data
// generated on today.
func InBadWeek(day, today time.Time) bool {
	n := daysBefore(day, today)
	return n <= BadWeekStart && n > BadWeekStart-BadWeekDays
}

// daysBefore is how many days day's UTC day is before today's.
func daysBefore(day, today time.Time) int {
	return int(math.Round(utcDay(today).Sub(utcDay(day)).Hours() / 24))
}

// weekend reports Saturday and Sunday.
func weekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

// jitter is a factor around 1 of at most ±spread.
func jitter(r *rand.Rand, spread float64) float64 { return 1 + (r.Float64()*2-1)*spread }

// adDays makes Triple Whale's days: weekdays around $4,300 of sales on
// $1,450 of ads, weekends a third more sales on a little more spend, a
// slow upward trend, the promotion (sales ×2.3, spend ×1.9) and the bad
// week (spend ×1.7 while sales fall to 70%: a ROAS around 1.2 to 1.4).
func adDays(r *rand.Rand, today time.Time) []AdDay {
	out := make([]AdDay, 0, Days)
	for i := Days; i >= 1; i-- {
		day := today.AddDate(0, 0, -i)
		trend := 1 + 0.12*float64(Days-i)/Days
		revenue, spend := 4300.0*trend, 1450.0*trend
		if weekend(day) {
			revenue *= 1.35
			spend *= 1.15
		}
		revenue *= jitter(r, 0.08)
		spend *= jitter(r, 0.06)
		switch {
		case InPromotion(day, today):
			revenue *= 2.3
			spend *= 1.9
		case InBadWeek(day, today):
			revenue *= 0.70
			spend *= 1.70
		}
		aov := 68 * jitter(r, 0.05)
		if InPromotion(day, today) {
			aov *= 0.9 // discounts
		}
		orders := max(1, int(math.Round(revenue/aov)))
		revenue, spend = cents(revenue), cents(spend)
		out = append(out, AdDay{
			Date: day, Revenue: revenue, AdSpend: spend, Orders: orders,
			AverageOrderValue: cents(revenue / float64(orders)),
			NetProfit:         cents(revenue*0.42 - spend),
		})
	}
	return out
}

// The stages of HubSpot's default sales pipeline.
const (
	stageAppointment  = "appointmentscheduled"
	stageQualified    = "qualifiedtobuy"
	stagePresentation = "presentationscheduled"
	stageDecision     = "decisionmakerboughtin"
	stageContract     = "contractsent"
	stageWon          = "closedwon"
	stageLost         = "closedlost"
	pipelineDefault   = "default"
)

// crm makes the wholesale and partnership deals of the store and the
// contacts behind them.
func crm(r *rand.Rand, today time.Time) ([]Deal, []Contact) {
	monthEnd := time.Date(today.Year(), today.Month()+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	thisMonth := func(days int) *time.Time {
		t := today.AddDate(0, 0, days)
		if t.After(monthEnd) {
			t = monthEnd
		}
		return &t
	}
	at := func(days int) *time.Time { t := today.AddDate(0, 0, days); return &t }
	type spec struct {
		name     string
		amount   float64 // 0: no amount
		stage    string
		closeAt  *time.Time
		updated  int // days ago
		created  int // days ago
		noAmount bool
	}
	specs := []spec{
		// Stale (no update for more than StaleAfterDays).
		{name: "Wholesale: Summit Outfitters (spring order)", amount: 18500, stage: stageContract, closeAt: thisMonth(6), updated: 23, created: 61},
		{name: "Corporate gifts: Brightline Studios", amount: 7200, stage: stagePresentation, closeAt: at(35), updated: 31, created: 70},
		{name: "Retail partner: Coastal Goods Co.", amount: 12400, stage: stageQualified, closeAt: at(48), updated: 44, created: 80},
		{name: "Team uniforms: Riverside Running Club", amount: 3900, stage: stageDecision, closeAt: at(-3), updated: 19, created: 52},
		// Active.
		{name: "Wholesale: Northwind Trading (reorder)", amount: 26800, stage: stageContract, closeAt: thisMonth(3), updated: 2, created: 40},
		{name: "Pop-up shop: Harbor Market", amount: 5600, stage: stageDecision, closeAt: thisMonth(9), updated: 5, created: 33},
		{name: "Influencer bundle: Trail & Table", amount: 4100, stage: stagePresentation, closeAt: at(21), updated: 4, created: 18},
		{name: "Retail partner: Maple & Pine", amount: 9800, stage: stageQualified, closeAt: at(40), updated: 8, created: 25},
		{name: "Corporate gifts: Lumen Analytics", amount: 6300, stage: stageAppointment, closeAt: at(55), updated: 1, created: 6},
		{name: "Subscription boxes: Wildflower Co-op", stage: stageAppointment, closeAt: at(60), updated: 3, created: 9, noAmount: true},
		// Closed.
		{name: "Wholesale: Alpine Supply (winter)", amount: 21300, stage: stageWon, closeAt: at(-38), updated: 38, created: 85},
		{name: "Corporate gifts: Fieldnote Labs", amount: 5400, stage: stageWon, closeAt: at(-12), updated: 12, created: 47},
		{name: "Retail partner: Urban Nest", amount: 8700, stage: stageLost, closeAt: at(-20), updated: 20, created: 66},
	}
	var deals []Deal
	for i, s := range specs {
		d := Deal{
			ID:   fmt.Sprintf("%d", 9100001+i),
			Name: s.name, Stage: s.stage, Pipeline: pipelineDefault, CloseDate: s.closeAt,
			CreatedAt: today.AddDate(0, 0, -s.created).Add(time.Duration(9+r.IntN(8)) * time.Hour),
			UpdatedAt: today.AddDate(0, 0, -s.updated).Add(-time.Duration(1+r.IntN(6)) * time.Hour),
		}
		if !s.noAmount {
			a := s.amount
			d.Amount = &a
		}
		deals = append(deals, d)
	}
	people := [][2]string{
		{"Maya", "Okafor"}, {"Liam", "Schneider"}, {"Sofia", "Marino"}, {"Noah", "Lindqvist"},
		{"Ava", "Nakamura"}, {"Ethan", "Moreau"}, {"Zoe", "Kowalski"}, {"Lucas", "Haddad"},
		{"Chloe", "Brennan"}, {"Omar", "Silva"}, {"Isla", "Fischer"}, {"Mateo", "Varga"},
	}
	var contacts []Contact
	for i, p := range people {
		created := today.AddDate(0, 0, -(5 + 7*i)).Add(time.Duration(8+r.IntN(9)) * time.Hour)
		contacts = append(contacts, Contact{
			ID:    fmt.Sprintf("%d", 5200001+i),
			Email: fmt.Sprintf("%s.%s@example.com", lower(p[0]), lower(p[1])), FirstName: p[0], LastName: p[1],
			CreatedAt: created, UpdatedAt: created.AddDate(0, 0, r.IntN(4)),
		})
	}
	return deals, contacts
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// The flows: a welcome and an abandoned cart flow among others, but no
// post-purchase flow (MissingFlow).
const (
	flowWelcome = "DemoWelcome"
	flowCart    = "DemoCart"
	flowBrowse  = "DemoBrowse"
	flowWinback = "DemoWinback"
)

func flows() []Flow {
	return []Flow{
		{ID: flowWelcome, Name: "Welcome Series", Status: "live", TriggerType: "Added to List"},
		{ID: flowCart, Name: "Abandoned Cart Reminder", Status: "live", TriggerType: "Metric"},
		{ID: flowBrowse, Name: "Browse Abandonment", Status: "live", TriggerType: "Metric"},
		{ID: flowWinback, Name: "Customer Winback", Status: "draft", TriggerType: "Segment"},
	}
}

// campaignNames are the campaigns' names, oldest first, cycled.
var campaignNames = []string{
	"New Arrivals: Trail Collection", "Weekend Picks", "Customer Favourites", "Care Guide: Waxed Canvas",
	"Back in Stock", "Staff Picks", "Gift Guide", "Behind the Seams", "Last Chance: Seasonal Styles",
	"Members' Early Access", "Field Notes: Packing Light", "Bestsellers Restocked",
}

// campaigns makes a campaign every Tuesday and Friday morning (US time) of
// the Days days, with the promotion's own sends, one scheduled for the
// days ahead and one draft. Opens run 17% to 31% and clicks 0.5% to 2.2%
// of recipients; the last month's are weaker (clicks under 0.7%), which
// takes the month's click rate under Email Auditor's 1%.
func campaigns(r *rand.Rand, today time.Time) []Campaign {
	var out []Campaign
	n := 0
	for i := Days; i >= 1; i-- {
		day := today.AddDate(0, 0, -i)
		promo := InPromotion(day, today) && daysBefore(day, today) == PromotionStart
		if day.Weekday() != time.Tuesday && day.Weekday() != time.Friday && !promo {
			continue
		}
		name := campaignNames[n%len(campaignNames)]
		if promo {
			name = "Summer Sale: 25% Off Everything"
		}
		n++
		send := day.Add(15*time.Hour + time.Duration(r.IntN(4))*15*time.Minute)
		recipients := 9000 + r.IntN(3500)
		openRate := 0.17 + r.Float64()*0.14
		clickRate := 0.009 + r.Float64()*0.013
		if daysBefore(day, today) <= 30 {
			clickRate = 0.004 + r.Float64()*0.003
		}
		if promo {
			recipients, openRate, clickRate = 14200, 0.34, 0.041
		}
		opens := int(math.Round(float64(recipients) * openRate))
		clicks := int(math.Round(float64(recipients) * clickRate))
		conversions := math.Round(float64(clicks) * (0.09 + r.Float64()*0.05))
		out = append(out, Campaign{
			ID: fmt.Sprintf("DemoCampaign%03d", n), Name: name, Status: "Sent", SendTime: &send,
			CreatedAt: send.AddDate(0, 0, -3), UpdatedAt: send,
			Recipients: recipients, Opens: opens, Clicks: clicks,
			Conversions: conversions, Revenue: cents(conversions * 71 * jitter(r, 0.1)),
		})
	}
	next := today.AddDate(0, 0, 2).Add(15 * time.Hour)
	out = append(out,
		Campaign{ID: fmt.Sprintf("DemoCampaign%03d", n+1), Name: "Holiday Preview", Status: "Scheduled", SendTime: &next,
			CreatedAt: today.AddDate(0, 0, -1).Add(10 * time.Hour), UpdatedAt: today.AddDate(0, 0, -1).Add(11 * time.Hour)},
		Campaign{ID: fmt.Sprintf("DemoCampaign%03d", n+2), Name: "Loyalty Program Launch (draft)", Status: "Draft",
			CreatedAt: today.AddDate(0, 0, -4).Add(14 * time.Hour), UpdatedAt: today.AddDate(0, 0, -2).Add(9 * time.Hour)},
	)
	return out
}

// email makes the daily email metrics (every campaign's and flow's emails
// of the day) and the flows' attributed revenue by day; "Placed Order" is
// every order of Triple Whale's day.
func email(r *rand.Rand, today time.Time, ads []AdDay, cs []Campaign, fs []Flow) ([]EmailDay, []FlowDay) {
	byDay := map[time.Time]*EmailDay{}
	var days []EmailDay
	var flowDays []FlowDay
	for _, a := range ads {
		days = append(days, EmailDay{Date: a.Date, PlacedOrders: a.Orders, PlacedOrderRevenue: a.Revenue})
	}
	for i := range days {
		byDay[days[i].Date] = &days[i]
	}
	for _, c := range cs {
		if c.Status != "Sent" || c.SendTime == nil {
			continue
		}
		if d := byDay[utcDay(*c.SendTime)]; d != nil {
			d.Received += c.Recipients
			d.Opened += c.Opens
			d.Clicked += c.Clicks
		}
	}
	// Each live flow's daily volume, open and click rates, conversions
	// per click and order value.
	type flowShape struct {
		sends             int
		open, click, conv float64
	}
	shapes := map[string]flowShape{
		flowWelcome: {sends: 140, open: 0.48, click: 0.04, conv: 0.2},
		flowCart:    {sends: 95, open: 0.42, click: 0.05, conv: 0.3},
		flowBrowse:  {sends: 120, open: 0.33, click: 0.02, conv: 0.12},
	}
	for i := range days {
		d := &days[i]
		boost := 1.0
		if weekend(d.Date) {
			boost = 1.2
		}
		if InPromotion(d.Date, today) {
			boost = 1.8
		}
		fd := FlowDay{Date: d.Date, Flows: []FlowValue{}}
		for _, f := range fs {
			s, live := shapes[f.ID]
			if !live || f.Status != "live" {
				continue
			}
			sends := int(math.Round(float64(s.sends) * boost * jitter(r, 0.2)))
			opens := int(math.Round(float64(sends) * s.open * jitter(r, 0.08)))
			clicks := int(math.Round(float64(sends) * s.click * jitter(r, 0.15)))
			conv := math.Round(float64(clicks) * s.conv * jitter(r, 0.3))
			d.Received += sends
			d.Opened += opens
			d.Clicked += clicks
			if conv > 0 {
				fd.Flows = append(fd.Flows, FlowValue{FlowID: f.ID, Conversions: conv, Revenue: cents(conv * 66 * jitter(r, 0.12))})
			}
		}
		flowDays = append(flowDays, fd)
	}
	return days, flowDays
}
