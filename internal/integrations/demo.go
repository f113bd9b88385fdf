package integrations

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/integrations/demodata"
)

// Demo connections. The demo organization's integrations are connected
// without a credential and marked demo (integrationDoc.Demo): their data
// comes from demodata.Generate, written as the records a sync writes, and
// their syncs (scheduled or asked for) regenerate it to end yesterday
// instead of calling the platform, so no request ever leaves for a
// platform on their behalf. They are otherwise ordinary integrations:
// their runs, events, read models and disconnect work as for any other.

// DemoAccountLabel is the account label of every demo connection.
const DemoAccountLabel = "Demo Store (sample data)"

// demoShopDomain is the Triple Whale shop of a demo connection: a reserved
// domain, never a real shop.
const demoShopDomain = "demo-store.example"

// demoAccountKey is the account key of every demo connection.
const demoAccountKey = "demo"

// demoBatch is how many records a demo sync writes at a time, each batch
// reported as progress.
const demoBatch = 50

// demoWrite is one record set of what a sync of a platform would write.
type demoWrite struct {
	set     recordSet
	records []record
	// listed says the platform lists the set whole: the records that the
	// data no longer has are deleted after it is written, as a sync does.
	listed bool
}

// demoRecords returns the records a sync of p writes for the demo data d,
// in the shapes the platform's sync writes, in write order.
func demoRecords(org, runID bson.ObjectID, p Platform, now time.Time, d demodata.Data) []demoWrite {
	switch p {
	case TripleWhale:
		var days []record
		for _, a := range d.AdDays {
			days = append(days, dailyDoc{
				ID: recordKey(org, string(TripleWhale), a.Date.Format(time.DateOnly)), OrganizationID: org, Platform: TripleWhale, Date: a.Date,
				Revenue: a.Revenue, AdSpend: a.AdSpend, ROAS: a.ROAS(), Orders: float64(a.Orders),
				AverageOrderValue: a.AverageOrderValue, NetProfit: a.NetProfit, SyncRunID: runID, SyncedAt: now,
			})
		}
		return []demoWrite{{set: dailySet, records: days}}
	case HubSpot:
		var deals, contacts []record
		for _, dl := range d.Deals {
			deals = append(deals, dealDoc{
				ID: recordKey(org, dl.ID), OrganizationID: org, ExternalID: dl.ID, Name: dl.Name, Amount: dl.Amount,
				Stage: dl.Stage, Pipeline: dl.Pipeline, CloseDate: dl.CloseDate,
				CreatedAt: dl.CreatedAt, UpdatedAt: dl.UpdatedAt, SyncRunID: runID, SyncedAt: now,
			})
		}
		for _, c := range d.Contacts {
			contacts = append(contacts, contactDoc{
				ID: recordKey(org, c.ID), OrganizationID: org, ExternalID: c.ID, Email: c.Email,
				FirstName: c.FirstName, LastName: c.LastName, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
				SyncRunID: runID, SyncedAt: now,
			})
		}
		return []demoWrite{{set: dealSet, records: deals, listed: true}, {set: contactSet, records: contacts, listed: true}}
	case Klaviyo:
		var campaigns, values, flows, days, flowDays []record
		for _, c := range d.Campaigns {
			sortAt := c.CreatedAt
			if c.SendTime != nil {
				sortAt = *c.SendTime
			}
			campaigns = append(campaigns, campaignDoc{
				ID: recordKey(org, c.ID), OrganizationID: org, ExternalID: c.ID, Name: c.Name, Status: c.Status,
				SendTime: c.SendTime, SortAt: sortAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
				SyncRunID: runID, SyncedAt: now,
			})
			if c.Status == "Sent" && c.SendTime != nil {
				day := utcDay(*c.SendTime)
				values = append(values, campaignValueDoc{
					ID: recordKey(org, c.ID), OrganizationID: org, ExternalID: c.ID, Name: c.Name, SendDate: &day,
					Revenue: c.Revenue, Conversions: c.Conversions, SyncRunID: runID, SyncedAt: now,
				})
			}
		}
		for _, f := range d.Flows {
			flows = append(flows, flowDoc{
				ID: recordKey(org, f.ID), OrganizationID: org, ExternalID: f.ID, Name: f.Name, Status: f.Status,
				TriggerType: f.TriggerType, SyncRunID: runID, SyncedAt: now,
			})
		}
		for _, e := range d.EmailDays {
			days = append(days, dailyDoc{
				ID: recordKey(org, string(Klaviyo), e.Date.Format(time.DateOnly)), OrganizationID: org, Platform: Klaviyo, Date: e.Date,
				EmailsReceived: float64(e.Received), EmailsOpened: float64(e.Opened), EmailsClicked: float64(e.Clicked),
				PlacedOrders: float64(e.PlacedOrders), PlacedOrderRevenue: e.PlacedOrderRevenue, SyncRunID: runID, SyncedAt: now,
			})
		}
		for _, fd := range d.FlowDays {
			vs := make([]flowValue, 0, len(fd.Flows))
			for _, v := range fd.Flows {
				vs = append(vs, flowValue{FlowID: v.FlowID, Revenue: v.Revenue, Conversions: v.Conversions})
			}
			flowDays = append(flowDays, flowDayDoc{
				ID: recordKey(org, fd.Date.Format(time.DateOnly)), OrganizationID: org, Date: fd.Date, Flows: vs,
				Source: flowSourceSeries, SyncRunID: runID, SyncedAt: now,
			})
		}
		return []demoWrite{
			{set: campaignSet, records: campaigns, listed: true},
			{set: flowSet, records: flows, listed: true},
			{set: dailySet, records: days},
			{set: campaignValueSet, records: values, listed: true},
			{set: flowDaySet, records: flowDays},
		}
	}
	return nil
}

// demo is the sync of a demo connection: it regenerates the demo data to
// end yesterday and writes the platform's part of it, as the platform's
// sync would, with the same checkpoints and progress. It calls nothing.
func (j *syncJob) demo(ctx context.Context) error {
	d := demodata.Generate(demodata.Seed, j.today)
	for _, w := range demoRecords(j.run.OrganizationID, j.run.ID, j.run.Platform, j.w.now(), d) {
		for start := 0; start < len(w.records); start += demoBatch {
			if err := j.write(ctx, w.set, w.records[start:min(start+demoBatch, len(w.records))]); err != nil {
				return err
			}
		}
		if w.listed {
			if err := j.deleteUnseen(ctx, w.set); err != nil {
				return err
			}
		}
	}
	return nil
}

// SeedDemo makes the organization's integrations demo connections and
// writes the demo data (demodata.Generate for today, so that it ends
// yesterday) as the records their syncs would write, each platform's
// with a SUCCEEDED run; then it rebuilds the organization's read models,
// as a sync's end does, and reports every change (Options.Notify and
// Changed). Their next scheduled sync is due after next. Running it
// again regenerates the data; it never calls a platform. A platform the
// organization connected with a real key is left alone.
//
// It is for setting up the demo organization (the composition root and
// `omnify demo`), not for callers: it checks no principal.
func (s *Service) SeedDemo(ctx context.Context, org bson.ObjectID, next time.Duration) ([]Integration, error) {
	now := s.now()
	d := demodata.Generate(demodata.Seed, now)
	type seeded struct {
		doc *integrationDoc
		run SyncRun
	}
	var done []seeded
	var out []Integration
	for _, p := range Platforms() {
		existing, err := s.store.integration(ctx, org, p)
		if err != nil {
			return nil, err
		}
		if existing.connected() && !existing.Demo {
			continue
		}
		c := connection{org: org, platform: p, label: DemoAccountLabel, accountKey: demoAccountKey,
			id: bson.NewObjectID(), at: now, demo: true, due: now.Add(next)}
		if p == TripleWhale {
			c.shopDomain = demoShopDomain
		}
		doc, err := s.store.connect(ctx, c)
		if err != nil {
			return nil, err
		}
		if existing.connected() {
			if err := s.store.failActiveRuns(ctx, org, p, "The demo data was regenerated.", now, c.id); err != nil {
				return nil, err
			}
		}
		runID, written := bson.NewObjectID(), 0
		for _, w := range demoRecords(org, runID, p, now, d) {
			n, err := s.store.upsertRecords(ctx, w.set, w.records)
			if err != nil {
				return nil, err
			}
			written += n
			if w.listed {
				if err := s.store.deleteUnseen(ctx, w.set, org, runID); err != nil {
					return nil, err
				}
			}
		}
		run := runDoc{
			SyncRun: SyncRun{ID: runID, OrganizationID: org, Platform: p, Status: SyncSucceeded, Trigger: TriggerManual,
				QueuedAt: now, StartedAt: &now, FinishedAt: &now, RecordsWritten: written},
			ConnectionID: c.id,
		}
		if err := s.store.insertRun(ctx, run); err != nil {
			return nil, err
		}
		if doc, err = s.store.markDemoSynced(ctx, org, p, c.id, now); err != nil {
			return nil, err
		}
		if doc == nil { // disconnected or reconnected meanwhile
			continue
		}
		done = append(done, seeded{doc: doc, run: run.SyncRun})
		out = append(out, doc.public())
	}
	// The read models follow the records before anything is told.
	if err := s.refreshRollup(ctx, org); err != nil {
		return nil, err
	}
	for _, sd := range done {
		if err := s.store.pruneRuns(ctx, org, sd.doc.Platform, KeptRunsPerPlatform); err != nil {
			return nil, err
		}
		s.notify(ctx, sd.doc, &sd.run, now)
	}
	return out, nil
}
