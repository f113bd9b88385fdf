package app

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/agents/builtin"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/page"
)

// agentAnalyzers is the analyzer of each built-in agent, by key: the pure
// functions of internal/agents/builtin over the data a Source reads. Tests
// may install their own table (testAnalyzers).
func agentAnalyzers() map[string]agents.Analyzer {
	if testAnalyzers != nil {
		return testAnalyzers()
	}
	return map[string]agents.Analyzer{
		agents.KeyROASGuardian:  agents.AnalyzerFunc(roasGuardian),
		agents.KeyPipelineScout: agents.AnalyzerFunc(pipelineScout),
		agents.KeyEmailAuditor:  agents.AnalyzerFunc(emailAuditor),
	}
}

// analysisClock is the clock of the built-in analyzers; tests move it.
var analysisClock = time.Now

// roasGuardian reads the ad figures of the analyzed days and the trailing
// days before them, and runs builtin.ROASGuardian.
func roasGuardian(ctx context.Context, org bson.ObjectID, params map[string]any, data agents.Source) (agents.Report, error) {
	p := builtin.DefaultROASParams()
	p.Days = intParam(params, "days", p.Days)
	p.TargetROAS = floatParam(params, "targetRoas", p.TargetROAS)
	today := analysisClock().UTC()
	yesterday := today.Truncate(24*time.Hour).AddDate(0, 0, -1)
	days, err := data.AdDays(ctx, org, yesterday.AddDate(0, 0, -(p.Days+builtin.TrailingDays-1)), yesterday)
	if err != nil {
		return agents.Report{}, err
	}
	in := make([]builtin.AdDay, len(days))
	for i, d := range days {
		in[i] = builtin.AdDay{Date: d.Date, Revenue: d.Revenue, AdSpend: d.AdSpend, Orders: d.Orders}
	}
	return builtin.ROASGuardian(p, in, today), nil
}

// pipelineScout reads every deal and runs builtin.PipelineScout.
func pipelineScout(ctx context.Context, org bson.ObjectID, params map[string]any, data agents.Source) (agents.Report, error) {
	p := builtin.DefaultPipelineParams()
	p.StaleDays = intParam(params, "staleDays", p.StaleDays)
	deals, err := data.Deals(ctx, org)
	if err != nil {
		return agents.Report{}, err
	}
	in := make([]builtin.Deal, len(deals))
	for i, d := range deals {
		in[i] = builtin.Deal{ID: d.ID, Name: d.Name, Stage: d.Stage, Pipeline: d.Pipeline, Amount: d.Amount,
			CloseDate: d.CloseDate, UpdatedAt: d.UpdatedAt}
	}
	return builtin.PipelineScout(p, in, analysisClock().UTC()), nil
}

// emailAuditor reads campaigns, flows and the daily email figures of the
// analyzed days (and of the cadence window, if longer) and runs
// builtin.EmailAuditor.
func emailAuditor(ctx context.Context, org bson.ObjectID, params map[string]any, data agents.Source) (agents.Report, error) {
	p := builtin.DefaultEmailParams()
	p.Days = intParam(params, "days", p.Days)
	today := analysisClock().UTC()
	campaigns, err := data.Campaigns(ctx, org)
	if err != nil {
		return agents.Report{}, err
	}
	flows, err := data.Flows(ctx, org)
	if err != nil {
		return agents.Report{}, err
	}
	yesterday := today.Truncate(24*time.Hour).AddDate(0, 0, -1)
	days, err := data.EmailDays(ctx, org, yesterday.AddDate(0, 0, -(max(p.Days, builtin.CadenceDays)-1)), yesterday)
	if err != nil {
		return agents.Report{}, err
	}
	cs := make([]builtin.Campaign, len(campaigns))
	for i, c := range campaigns {
		cs[i] = builtin.Campaign{ID: c.ID, Name: c.Name, Status: c.Status, SendTime: c.SendTime}
	}
	fs := make([]builtin.Flow, len(flows))
	for i, f := range flows {
		fs[i] = builtin.Flow{ID: f.ID, Name: f.Name, Status: f.Status, TriggerType: f.TriggerType}
	}
	ds := make([]builtin.EmailDay, len(days))
	for i, d := range days {
		ds[i] = builtin.EmailDay{Date: d.Date, Received: d.Received, Opened: d.Opened, Clicked: d.Clicked, Revenue: d.EmailRevenue}
	}
	return builtin.EmailAuditor(p, cs, fs, ds, today), nil
}

// intParam reads a validated integer parameter (JSON numbers arrive as
// float64), or def.
func intParam(params map[string]any, name string, def int) int {
	switch v := params[name].(type) {
	case float64:
		return int(v)
	case int:
		return v
	case int64:
		return int(v)
	}
	return def
}

// floatParam reads a validated number parameter, or def.
func floatParam(params map[string]any, name string, def float64) float64 {
	switch v := params[name].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	}
	return def
}

// testAnalyzers, when set by a test of this package, replaces the analyzer
// table.
var testAnalyzers func() map[string]agents.Analyzer

// integrationSource is the agents' view of the integrations module: the
// module's own read methods, called as a VIEWER of the organization the
// execution runs for (an execution acts for its organization, not for
// the member who queued it).
type integrationSource struct {
	svc *integrations.Service
}

var _ agents.Source = integrationSource{}

// viewer is the system principal an execution reads with.
func viewer(org bson.ObjectID) *authz.Principal {
	return &authz.Principal{OrganizationID: org, Role: authz.RoleViewer}
}

// Connected reports whether the integration with platform is connected.
func (s integrationSource) Connected(ctx context.Context, org bson.ObjectID, platform string) (bool, error) {
	in, err := s.svc.Integration(ctx, viewer(org), integrations.Platform(platform))
	if err != nil {
		return false, err
	}
	return in.Status != integrations.StatusDisconnected, nil
}

// AdDays returns the daily Triple Whale figures from from to to.
func (s integrationSource) AdDays(ctx context.Context, org bson.ObjectID, from, to time.Time) ([]agents.AdDay, error) {
	sum, err := s.summary(ctx, org, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]agents.AdDay, len(sum))
	for i, d := range sum {
		out[i] = agents.AdDay{Date: d.Date, Revenue: d.Revenue, AdSpend: d.AdSpend, ROAS: d.ROAS, Orders: d.Orders}
	}
	return out, nil
}

// EmailDays returns the daily email figures from from to to: the days
// Klaviyo has figures for.
func (s integrationSource) EmailDays(ctx context.Context, org bson.ObjectID, from, to time.Time) ([]agents.EmailDay, error) {
	var out []agents.EmailDay
	for start := from; !start.After(to); start = start.AddDate(0, 0, integrations.MaxSummaryDays) {
		end := start.AddDate(0, 0, integrations.MaxSummaryDays-1)
		if end.After(to) {
			end = to
		}
		days, err := s.svc.EmailDaily(ctx, viewer(org), start, end)
		if err != nil {
			return nil, err
		}
		for _, d := range days {
			out = append(out, agents.EmailDay{Date: d.Date, Received: d.Received, Opened: d.Opened, Clicked: d.Clicked, EmailRevenue: d.Revenue})
		}
	}
	return out, nil
}

// summary reads the daily figures in ranges the module accepts.
func (s integrationSource) summary(ctx context.Context, org bson.ObjectID, from, to time.Time) ([]integrations.Day, error) {
	var out []integrations.Day
	for start := from; !start.After(to); start = start.AddDate(0, 0, integrations.MaxSummaryDays) {
		end := start.AddDate(0, 0, integrations.MaxSummaryDays-1)
		if end.After(to) {
			end = to
		}
		sum, err := s.svc.MarketingSummary(ctx, viewer(org), start, end)
		if err != nil {
			return nil, err
		}
		out = append(out, sum.Daily...)
	}
	return out, nil
}

// Deals returns every HubSpot deal.
func (s integrationSource) Deals(ctx context.Context, org bson.ObjectID) ([]agents.Deal, error) {
	deals, err := all(ctx, org, func(ctx context.Context, p *authz.Principal, first *int, after *string) (page.Page[integrations.Deal], error) {
		return s.svc.Deals(ctx, p, first, after, "")
	})
	if err != nil {
		return nil, err
	}
	out := make([]agents.Deal, len(deals))
	for i, d := range deals {
		out[i] = agents.Deal{ID: d.HubSpotID, Name: d.Name, Amount: d.Amount, Stage: d.Stage, Pipeline: d.Pipeline,
			CloseDate: d.CloseDate, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	}
	return out, nil
}

// Campaigns returns every Klaviyo campaign.
func (s integrationSource) Campaigns(ctx context.Context, org bson.ObjectID) ([]agents.Campaign, error) {
	cs, err := all(ctx, org, s.svc.EmailCampaigns)
	if err != nil {
		return nil, err
	}
	out := make([]agents.Campaign, len(cs))
	for i, c := range cs {
		out[i] = agents.Campaign{ID: c.KlaviyoID, Name: c.Name, Status: c.Status, SendTime: c.SendTime}
	}
	return out, nil
}

// Flows returns every Klaviyo flow.
func (s integrationSource) Flows(ctx context.Context, org bson.ObjectID) ([]agents.Flow, error) {
	fs, err := all(ctx, org, s.svc.EmailFlows)
	if err != nil {
		return nil, err
	}
	out := make([]agents.Flow, len(fs))
	for i, f := range fs {
		out[i] = agents.Flow{ID: f.KlaviyoID, Name: f.Name, Status: f.Status, TriggerType: f.TriggerType}
	}
	return out, nil
}

// all walks a connection of the integrations module to its end, a page
// of page.MaxFirst at a time.
func all[T any](ctx context.Context, org bson.ObjectID, list func(context.Context, *authz.Principal, *int, *string) (page.Page[T], error)) ([]T, error) {
	first := page.MaxFirst
	var after *string
	var out []T
	for {
		p, err := list(ctx, viewer(org), &first, after)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if !p.HasNextPage {
			return out, nil
		}
		end := p.EndCursor()
		after = &end
	}
}
