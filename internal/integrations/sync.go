package integrations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/omnify/bff/internal/integrations/hubspot"
	"github.com/omnify/bff/internal/integrations/klaviyo"
	"github.com/omnify/bff/internal/integrations/platform"
)

// What a sync reads.
const (
	// InitialSyncDays is how many days, today included, the first sync of
	// an integration reads; later syncs read from the last success on.
	InitialSyncDays = 90
	// TripleWhaleOverlapDays are read again before the last success,
	// because Triple Whale's attribution settles days later.
	TripleWhaleOverlapDays = 3
	// klaviyoOverlapDays covers the events of the last success's day that
	// arrived after it, and a success that finished just after midnight.
	klaviyoOverlapDays = 1
	// dayBatch is how many days of figures are written at once.
	dayBatch = 10
)

// storeError marks a failure to write synced data: Omnify's fault, not the
// platform's, so the shop owner gets a generic message and the log the cause.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

// sync reads the platform's data and writes it; a demo connection's
// regenerates the sample data instead (demo.go).
func (j *syncJob) sync(ctx context.Context) error {
	if j.doc.Demo {
		return j.demo(ctx)
	}
	switch j.run.Platform {
	case TripleWhale:
		return j.tripleWhale(ctx)
	case HubSpot:
		return j.hubSpot(ctx)
	case Klaviyo:
		return j.klaviyo(ctx)
	}
	return fmt.Errorf("integrations: no sync for platform %q", j.run.Platform)
}

// window returns the first and last UTC day to read: InitialSyncDays up to
// today for a first sync, else from overlap days before the last success's
// day, never more than InitialSyncDays.
func (j *syncJob) window(overlap int) (from, to time.Time) {
	to = j.today
	from = to.AddDate(0, 0, -(InitialSyncDays - 1))
	if last := j.doc.LastSyncedAt; last != nil {
		since := utcDay(*last).AddDate(0, 0, -overlap)
		if since.After(from) {
			from = since
		}
	}
	if from.After(to) {
		from = to
	}
	return from, to
}

// checkpoint renews the lease and records progress; it runs before every
// write, so that a worker whose run was taken over or ended by a
// disconnect writes nothing more.
func (j *syncJob) checkpoint(ctx context.Context) error {
	err := j.w.renew(ctx, j.run, int(j.records.Load()))
	if err != nil && !errors.Is(err, errLeaseLost) {
		return storeError{err}
	}
	return err
}

// write stores one batch of records after a checkpoint and reports the
// progress.
func (j *syncJob) write(ctx context.Context, set recordSet, models []record) error {
	if len(models) == 0 {
		return nil
	}
	if err := j.checkpoint(ctx); err != nil {
		return err
	}
	n, err := j.w.store.upsertRecords(ctx, set, models)
	if err != nil {
		return storeError{err}
	}
	total := j.records.Add(int64(n))
	snapshot := j.run.SyncRun
	snapshot.Status = SyncRunning
	snapshot.RecordsWritten = int(total)
	doc := *j.doc
	doc.Status = StatusSyncing
	j.w.svc.notify(ctx, &doc, &snapshot, j.w.now())
	return nil
}

// deleteUnseen removes the records of set the platform no longer lists; only
// called after a complete listing.
func (j *syncJob) deleteUnseen(ctx context.Context, set recordSet) error {
	if err := j.checkpoint(ctx); err != nil {
		return err
	}
	if err := j.w.store.deleteUnseen(ctx, set, j.run.OrganizationID, j.run.ID); err != nil {
		return storeError{err}
	}
	return nil
}

// tripleWhale reads one summary per day of the window, because the API
// answers a period with its totals only.
func (j *syncJob) tripleWhale(ctx context.Context) error {
	c, err := j.w.opts.Clients.TripleWhale(j.key)
	if err != nil {
		return fmt.Errorf("triple whale client: %w", err)
	}
	org, runID, now := j.run.OrganizationID, j.run.ID, j.w.now()
	from, to := j.window(TripleWhaleOverlapDays)
	var batch []record
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		s, err := c.Summary(ctx, j.doc.ShopDomain, day, day)
		if err != nil {
			return err
		}
		id := recordKey(org, string(TripleWhale), day.Format(time.DateOnly))
		batch = append(batch, dailyDoc{
			ID: id, OrganizationID: org, Platform: TripleWhale, Date: day,
			Revenue: s.Revenue, AdSpend: s.AdSpend, ROAS: s.ROAS, Orders: s.Orders,
			AverageOrderValue: s.AverageOrderValue, NetProfit: s.NetProfit,
			SyncRunID: runID, SyncedAt: now,
		})
		if len(batch) == dayBatch {
			if err := j.write(ctx, dailySet, batch); err != nil {
				return err
			}
			batch = nil
		}
	}
	return j.write(ctx, dailySet, batch)
}

// hubSpot re-reads every deal and contact: the CRM lists are not filtered
// by change date, and a full listing also tells which records were deleted.
func (j *syncJob) hubSpot(ctx context.Context) error {
	c, err := j.w.opts.Clients.HubSpot(j.key)
	if err != nil {
		return fmt.Errorf("hubspot client: %w", err)
	}
	org, runID, now := j.run.OrganizationID, j.run.ID, j.w.now()
	err = c.Deals(ctx, func(page []hubspot.Deal) error {
		models := make([]record, 0, len(page))
		for _, d := range page {
			if d.ID == "" {
				continue
			}
			id := recordKey(org, d.ID)
			models = append(models, dealDoc{
				ID: id, OrganizationID: org, ExternalID: d.ID, Name: d.Name, Amount: d.Amount,
				Stage: d.Stage, Pipeline: d.Pipeline, CloseDate: d.CloseDate,
				CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, SyncRunID: runID, SyncedAt: now,
			})
		}
		return j.write(ctx, dealSet, models)
	})
	if err != nil {
		return err
	}
	if err := j.deleteUnseen(ctx, dealSet); err != nil {
		return err
	}
	err = c.Contacts(ctx, func(page []hubspot.Contact) error {
		models := make([]record, 0, len(page))
		for _, ct := range page {
			if ct.ID == "" {
				continue
			}
			id := recordKey(org, ct.ID)
			models = append(models, contactDoc{
				ID: id, OrganizationID: org, ExternalID: ct.ID, Email: ct.Email,
				FirstName: ct.FirstName, LastName: ct.LastName,
				CreatedAt: ct.CreatedAt, UpdatedAt: ct.UpdatedAt, SyncRunID: runID, SyncedAt: now,
			})
		}
		return j.write(ctx, contactSet, models)
	})
	if err != nil {
		return err
	}
	return j.deleteUnseen(ctx, contactSet)
}

// klaviyo re-reads every campaign and flow, then the daily values of the
// email metrics over the window, then what the Reporting API attributes
// to email (klaviyoAttribution).
func (j *syncJob) klaviyo(ctx context.Context) error {
	c, err := j.w.opts.Clients.Klaviyo(j.key)
	if err != nil {
		return fmt.Errorf("klaviyo client: %w", err)
	}
	org, runID, now := j.run.OrganizationID, j.run.ID, j.w.now()
	campaigns := map[string]klaviyo.Campaign{}
	err = c.Campaigns(ctx, func(page []klaviyo.Campaign) error {
		models := make([]record, 0, len(page))
		for _, cp := range page {
			if cp.ID == "" {
				continue
			}
			campaigns[cp.ID] = cp
			sortAt := cp.CreatedAt
			if cp.SendTime != nil {
				sortAt = *cp.SendTime
			}
			id := recordKey(org, cp.ID)
			models = append(models, campaignDoc{
				ID: id, OrganizationID: org, ExternalID: cp.ID, Name: cp.Name, Status: cp.Status,
				SendTime: cp.SendTime, SortAt: sortAt, CreatedAt: cp.CreatedAt, UpdatedAt: cp.UpdatedAt,
				SyncRunID: runID, SyncedAt: now,
			})
		}
		return j.write(ctx, campaignSet, models)
	})
	if err != nil {
		return err
	}
	if err := j.deleteUnseen(ctx, campaignSet); err != nil {
		return err
	}
	err = c.Flows(ctx, func(page []klaviyo.Flow) error {
		models := make([]record, 0, len(page))
		for _, f := range page {
			if f.ID == "" {
				continue
			}
			id := recordKey(org, f.ID)
			models = append(models, flowDoc{
				ID: id, OrganizationID: org, ExternalID: f.ID, Name: f.Name, Status: f.Status,
				TriggerType: f.TriggerType, SyncRunID: runID, SyncedAt: now,
			})
		}
		return j.write(ctx, flowSet, models)
	})
	if err != nil {
		return err
	}
	if err := j.deleteUnseen(ctx, flowSet); err != nil {
		return err
	}

	metrics, err := c.FindMetrics(ctx, klaviyo.MetricReceivedEmail, klaviyo.MetricOpenedEmail, klaviyo.MetricClickedEmail, klaviyo.MetricPlacedOrder)
	if err != nil {
		return err
	}
	from, to := j.window(klaviyoOverlapDays)
	days := make([]dailyDoc, int(to.Sub(from).Hours()/24)+1)
	for i := range days {
		day := from.AddDate(0, 0, i)
		id := recordKey(org, string(Klaviyo), day.Format(time.DateOnly))
		days[i] = dailyDoc{ID: id, OrganizationID: org, Platform: Klaviyo, Date: day, SyncRunID: runID, SyncedAt: now}
	}
	// A metric the account lacks (no store integration, no "Placed
	// Order") leaves its figures at zero rather than failing the sync.
	for _, m := range []struct {
		name string
		set  func(d *dailyDoc, v klaviyo.DailyValue)
	}{
		{klaviyo.MetricReceivedEmail, func(d *dailyDoc, v klaviyo.DailyValue) { d.EmailsReceived = v.Count }},
		{klaviyo.MetricOpenedEmail, func(d *dailyDoc, v klaviyo.DailyValue) { d.EmailsOpened = v.Count }},
		{klaviyo.MetricClickedEmail, func(d *dailyDoc, v klaviyo.DailyValue) { d.EmailsClicked = v.Count }},
		{klaviyo.MetricPlacedOrder, func(d *dailyDoc, v klaviyo.DailyValue) { d.PlacedOrders, d.PlacedOrderRevenue = v.Count, v.Sum }},
	} {
		metric, ok := metrics[m.name]
		if !ok {
			continue
		}
		values, err := c.DailyValues(ctx, metric.ID, from, to.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		for _, v := range values {
			i := int(utcDay(v.Date).Sub(from).Hours() / 24)
			if i >= 0 && i < len(days) {
				m.set(&days[i], v)
			}
		}
	}
	for start := 0; start < len(days); start += dayBatch {
		var batch []record
		for _, d := range days[start:min(start+dayBatch, len(days))] {
			batch = append(batch, d)
		}
		if err := j.write(ctx, dailySet, batch); err != nil {
			return err
		}
	}
	placedOrder, ok := metrics[klaviyo.MetricPlacedOrder]
	if !ok {
		j.w.opts.Logger.Info("integrations: Klaviyo account has no Placed Order metric; no attributed revenue to read",
			"run", runID.Hex(), "organization", org.Hex())
		return nil
	}
	return j.klaviyoAttribution(ctx, c, placedOrder.ID, campaigns)
}

// failure turns a sync error into the message for the shop owner. rejected
// says the platform refused the key; internal says the fault is Omnify's
// (the message is then generic and the cause must be logged).
func failure(p Platform, err error) (msg string, rejected, internal bool) {
	var se storeError
	switch {
	case platform.IsRejected(err):
		return rejectedMessage(p, err) + " Reconnect the integration with a valid key.", true, false
	case errors.As(err, &se):
		return "Omnify could not save the synced data. The next sync tries again.", false, true
	}
	return fmt.Sprintf("The %s sync failed: %s.", p.Label(), platformReason(err)), false, false
}

// redactKey removes the key from a message, in case a platform quoted it
// in a form the client did not redact.
func redactKey(msg, key string) string {
	if key == "" {
		return msg
	}
	return strings.ReplaceAll(msg, key, "[REDACTED]")
}
