package graph

import (
	"context"
	"encoding/json"
	"github.com/omnify/bff/internal/globalid"
	"log/slog"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/events"
	"github.com/omnify/bff/internal/integrations"
)

// maxSyncsPerPlatform bounds Integration.syncs(first:); the loader reads
// this many per platform in its one query.
const maxSyncsPerPlatform = 50

// actor is the caller as the integrations module sees it. The field
// directives have already refused anonymous callers.
func actor(ctx context.Context) integrations.Actor {
	p := authz.FromContext(ctx)
	if p == nil {
		return integrations.Actor{}
	}
	return integrations.Actor{OrganizationID: p.OrganizationID, UserID: p.UserID, Role: string(p.Role)}
}

// SyncRunsSource is the batch lookup behind the Integration.syncs loader:
// the newest runs of every platform asked for, in one query.
func SyncRunsSource(svc *integrations.Service) func(context.Context, []integrations.Platform) (map[integrations.Platform][]integrations.SyncRun, error) {
	return func(ctx context.Context, ps []integrations.Platform) (map[integrations.Platform][]integrations.SyncRun, error) {
		return svc.SyncRuns(ctx, actor(ctx), ps, maxSyncsPerPlatform)
	}
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
		PreviousPeriod: &model.MarketingTotals{
			Revenue: s.Previous.Revenue, AdSpend: s.Previous.AdSpend, Roas: s.Previous.ROAS, Orders: s.Previous.Orders,
			AverageOrderValue: s.Previous.AverageOrderValue, EmailRevenue: s.Previous.EmailRevenue,
		},
		Daily: make([]*model.MarketingDay, len(s.Daily)),
	}
	for i, d := range s.Daily {
		out.Daily[i] = &model.MarketingDay{Date: d.Date, Revenue: d.Revenue, AdSpend: d.AdSpend, Roas: d.ROAS, Orders: d.Orders, EmailRevenue: d.EmailRevenue}
	}
	return out
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
// until the subscription ends.
func subscribeIntegrationEvents(ctx context.Context, bus events.Bus, p *authz.Principal) (<-chan *model.IntegrationEvent, error) {
	sub, err := bus.Subscribe(ctx, integrationSubject(p.OrganizationID))
	if err != nil {
		return nil, err
	}
	out := make(chan *model.IntegrationEvent)
	go func() {
		defer close(out)
		defer sub.Close()
		for data := range sub.C {
			var e integrations.Event
			if json.Unmarshal(data, &e) != nil || e.OrganizationID != p.OrganizationID {
				continue
			}
			ev := &model.IntegrationEvent{ID: globalid.Encode(typeIntegrationEvent, keyOf(e.OrganizationID.Hex(), string(e.Platform), strconv.FormatInt(e.At.UnixNano(), 10))), Platform: e.Platform, Status: e.Status, Sync: e.Sync, At: e.At}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
