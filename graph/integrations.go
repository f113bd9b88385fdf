package graph

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/events"
	"github.com/omnify/bff/internal/globalid"
	"github.com/omnify/bff/internal/integrations"
)

// SyncRunsSource is the batch lookup behind the Integration.syncs loader:
// the kept runs of every platform asked for, in one query, which each
// integration then pages on its own.
func SyncRunsSource(svc *integrations.Service) func(context.Context, []integrations.Platform) (map[integrations.Platform][]integrations.SyncRun, error) {
	return func(ctx context.Context, ps []integrations.Platform) (map[integrations.Platform][]integrations.SyncRun, error) {
		return svc.SyncRuns(ctx, authz.FromContext(ctx), ps)
	}
}

// integrationID is the global id of an integration: its organization and
// platform.
func integrationID(in *integrations.Integration) string {
	return globalid.Encode(typeIntegration, keyOf(in.OrganizationID.Hex(), string(in.Platform)))
}

// recordID is the global id of a synced record by its key, which names its
// organization: two organizations connected to one platform account hold
// the same platform ids under different keys.
func recordID(typ, key string) string { return globalid.Encode(typ, key) }

// The edges of the integrations module's connections.
func syncRunEdge(c string, n *integrations.SyncRun) *model.SyncRunEdge {
	return &model.SyncRunEdge{Cursor: c, Node: n}
}
func dealEdge(c string, n *integrations.Deal) *model.DealEdge {
	return &model.DealEdge{Cursor: c, Node: n}
}
func contactEdge(c string, n *integrations.Contact) *model.ContactEdge {
	return &model.ContactEdge{Cursor: c, Node: n}
}
func campaignEdge(c string, n *integrations.Campaign) *model.EmailCampaignEdge {
	return &model.EmailCampaignEdge{Cursor: c, Node: n}
}
func flowEdge(c string, n *integrations.Flow) *model.EmailFlowEdge {
	return &model.EmailFlowEdge{Cursor: c, Node: n}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func marketingSummary(s integrations.Summary) *model.MarketingSummary {
	out := &model.MarketingSummary{
		Currency: s.Currency, Revenue: s.Totals.Revenue, AdSpend: s.Totals.AdSpend, Roas: s.Totals.ROAS,
		Orders: s.Totals.Orders, AverageOrderValue: s.Totals.AverageOrderValue, EmailRevenue: s.Totals.EmailRevenue,
		KlaviyoOrders: s.Totals.KlaviyoOrders, KlaviyoOrderRevenue: s.Totals.KlaviyoOrderRevenue,
		PreviousPeriod: &model.MarketingTotals{
			Revenue: s.Previous.Revenue, AdSpend: s.Previous.AdSpend, Roas: s.Previous.ROAS, Orders: s.Previous.Orders,
			AverageOrderValue: s.Previous.AverageOrderValue, EmailRevenue: s.Previous.EmailRevenue,
			KlaviyoOrders: s.Previous.KlaviyoOrders, KlaviyoOrderRevenue: s.Previous.KlaviyoOrderRevenue,
		},
		Daily:   make([]*model.MarketingDay, len(s.Daily)),
		Summary: s,
	}
	for i, d := range s.Daily {
		out.Daily[i] = &model.MarketingDay{Date: d.Date, Revenue: d.Revenue, AdSpend: d.AdSpend, Roas: d.ROAS, Orders: d.Orders,
			EmailRevenue: d.EmailRevenue, KlaviyoOrderRevenue: d.KlaviyoOrderRevenue}
	}
	return out
}

// emailRevenueSources cuts a summary's ranked list to first and gives
// each figure its global id: the source and the period, since a source's
// figures differ by period and a normalized cache must not merge them.
func emailRevenueSources(s integrations.Summary, list []integrations.EmailRevenueSource, first *int, field string) ([]*model.EmailRevenueSource, error) {
	top, err := integrations.TopEmailSources(list, first, field)
	if err != nil {
		return nil, err
	}
	from, to := s.From.Format(time.DateOnly), s.To.Format(time.DateOnly)
	out := make([]*model.EmailRevenueSource, len(top))
	for i, src := range top {
		out[i] = &model.EmailRevenueSource{EmailRevenueSource: src,
			ID: globalid.Encode(typeEmailRevenueSource, keyOf(from, to, string(src.Kind), src.Key))}
	}
	return out, nil
}

// integrationSubject is the bus subject of one organization's integration
// events: subscribers only ever hear about their own organization.
func integrationSubject(org bson.ObjectID) string { return "integrations." + org.Hex() }

// PublishIntegrationEvents returns the integrations module's Notify: each
// event goes on the bus, to the subscribers of its organization on every
// API replica. Publishing never blocks the sync that reports progress.
func PublishIntegrationEvents(bus events.Bus, logger *slog.Logger) integrations.Notify {
	return func(ctx context.Context, e integrations.Event) {
		data, err := json.Marshal(e)
		if err == nil {
			err = bus.Publish(ctx, integrationSubject(e.OrganizationID), data)
		}
		if err != nil {
			logger.WarnContext(ctx, "publish integration event", slog.Any("error", err))
		}
	}
}

// subscribeIntegrationEvents streams the caller's organization's events
// until the subscription ends; svc's cache applies each before it is
// delivered. The organization's bus subscription is
// shared by every subscriber of this process (liveFeeds).
func subscribeIntegrationEvents(ctx context.Context, feeds *liveFeeds, bus events.Bus, svc *integrations.Service, p *authz.Principal) (<-chan *model.IntegrationEvent, error) {
	if err := authz.Require(p, authz.RoleViewer); err != nil {
		return nil, err
	}
	org := p.OrganizationID
	return subscribeFeed(ctx, feeds, bus, integrationSubject(org), func(data []byte) (*model.IntegrationEvent, bool) {
		var e integrations.Event
		if json.Unmarshal(data, &e) != nil || e.OrganizationID != org {
			return nil, false
		}
		// What the event reports is read afresh by whoever sees it.
		svc.Observe(e)
		return &model.IntegrationEvent{ID: globalid.Encode(typeIntegrationEvent, e.ID.Hex()), Platform: e.Platform, Status: e.Status, Sync: e.Sync, At: e.At}, true
	})
}

// AnswerFields are the Query fields whose answers, down to every leaf,
// come from the integrations module's per-process Cache (the read models
// and the integration state) and depend on the caller only through its
// organization and role: a whole answer that reads nothing else may be
// kept while the organization's Cache generation stays the same (see
// httpserver.AnswerOptions).
var AnswerFields = []string{"integrations", "marketingSummary", "pipelineSummary", "emailCampaigns", "emailFlows"}
