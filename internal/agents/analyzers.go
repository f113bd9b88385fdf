package agents

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents/builtin"
)

// Analyzer is what a built-in agent does: it reads the organization's data
// through data and reports. It must not write anything; the worker turns
// the report into events and the execution's result. params are the
// validated parameters with their defaults.
type Analyzer interface {
	Run(ctx context.Context, org bson.ObjectID, params map[string]any, data Source) (Report, error)
}

// AnalyzerFunc adapts a function to Analyzer.
type AnalyzerFunc func(ctx context.Context, org bson.ObjectID, params map[string]any, data Source) (Report, error)

// Run calls f.
func (f AnalyzerFunc) Run(ctx context.Context, org bson.ObjectID, params map[string]any, data Source) (Report, error) {
	return f(ctx, org, params, data)
}

// Report is an analyzer's outcome: a summary, the findings most severe
// first, recommendations and the figures computed. It is the built-in
// analyzers' own type, so their reports need no conversion.
type Report = builtin.Report

// Finding is one observation of a report.
type Finding = builtin.Finding

// Source is the integrations data analyzers read, for one organization at
// a time. The composition root implements it over the integrations
// module; the agents module never reads another module's collections.
type Source interface {
	// Connected reports whether the organization's integration with
	// platform ("TRIPLE_WHALE", "HUBSPOT", "KLAVIYO") is connected.
	Connected(ctx context.Context, org bson.ObjectID, platform string) (bool, error)
	// AdDays returns the daily Triple Whale figures of the UTC days from
	// from to to, both included, one per day.
	AdDays(ctx context.Context, org bson.ObjectID, from, to time.Time) ([]AdDay, error)
	// Deals returns every HubSpot deal.
	Deals(ctx context.Context, org bson.ObjectID) ([]Deal, error)
	// Campaigns returns every Klaviyo campaign.
	Campaigns(ctx context.Context, org bson.ObjectID) ([]Campaign, error)
	// Flows returns every Klaviyo flow.
	Flows(ctx context.Context, org bson.ObjectID) ([]Flow, error)
	// EmailDays returns the daily email figures of the UTC days from from
	// to to, both included, one per day.
	EmailDays(ctx context.Context, org bson.ObjectID, from, to time.Time) ([]EmailDay, error)
}

// AdDay is one day of Triple Whale figures.
type AdDay struct {
	Date    time.Time // the day's midnight, UTC
	Revenue float64   // sales
	AdSpend float64   // blended ad spend
	ROAS    float64   // Revenue / AdSpend, 0 without spend
	Orders  int       // orders
}

// Deal is a HubSpot deal.
type Deal struct {
	ID        string     // HubSpot's id
	Name      string     // the deal's name
	Amount    *float64   // nil without an amount
	Stage     string     // stage id, such as "closedwon"
	Pipeline  string     // pipeline id
	CloseDate *time.Time // nil without one
	CreatedAt time.Time  // created in HubSpot
	UpdatedAt time.Time  // last modified in HubSpot
}

// Campaign is a Klaviyo campaign.
type Campaign struct {
	ID       string     // Klaviyo's id
	Name     string     // the campaign's name
	Status   string     // "Draft", "Scheduled", "Sent", …
	SendTime *time.Time // nil when neither sent nor scheduled
}

// Flow is a Klaviyo flow.
type Flow struct {
	ID          string // Klaviyo's id
	Name        string // the flow's name
	Status      string // "draft", "manual" or "live"
	TriggerType string // what starts the flow
}

// EmailDay is one day of email figures. Days without synced figures are
// left out.
type EmailDay struct {
	Date         time.Time // the day's midnight, UTC
	Received     int       // emails delivered ("Received Email")
	Opened       int       // opens ("Opened Email", every open)
	Clicked      int       // clicks ("Clicked Email")
	EmailRevenue float64   // what Klaviyo attributes to the emails sent that day
}
