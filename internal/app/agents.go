package app

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/page"
)

// agentAnalyzers is the analyzer of each built-in agent, by key. The
// built-in analyzers (package internal/agents/builtin: ROASGuardian,
// PipelineScout, EmailAuditor, pure functions over the data a Source
// reads) plug in here, each as an agents.AnalyzerFunc that reads its
// parameters and data and converts the report:
//
//	agents.KeyROASGuardian: agents.AnalyzerFunc(func(ctx context.Context, org bson.ObjectID, params map[string]any, data agents.Source) (agents.Report, error) {
//		days, target := intParam(params, "days"), floatParam(params, "targetRoas")
//		today := time.Now().UTC()
//		ad, err := data.AdDays(ctx, org, today.AddDate(0, 0, -days), today)
//		...
//		return report(builtin.ROASGuardian(builtin.ROASParams{...}, adDays(ad), today)), nil
//	}),
//
// Until they are merged an agent without an analyzer fails its executions
// with a message saying it cannot run on this server yet. Tests install
// their own table (testAnalyzers).
func agentAnalyzers() map[string]agents.Analyzer {
	if testAnalyzers != nil {
		return testAnalyzers()
	}
	return map[string]agents.Analyzer{}
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

// EmailDays returns the daily email figures from from to to.
func (s integrationSource) EmailDays(ctx context.Context, org bson.ObjectID, from, to time.Time) ([]agents.EmailDay, error) {
	sum, err := s.summary(ctx, org, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]agents.EmailDay, len(sum))
	for i, d := range sum {
		out[i] = agents.EmailDay{Date: d.Date, EmailRevenue: d.EmailRevenue}
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
