package integrations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/omnify/bff/internal/integrations/klaviyo"
	"github.com/omnify/bff/internal/integrations/platform"
)

// reportSettleDays are the latest days whose attributed figures a sync
// reads again: Klaviyo keeps attributing orders to an email for its
// attribution window (5 days by default), and reports them on the email's
// send date, so a day's figure settles that many days after it.
const reportSettleDays = 5

// reportRereadAfter is how old the last read of a settling flow day must
// be before the one-day fallback reads it again, so that hourly syncs do
// not spend their calls reading the same days every hour.
const reportRereadAfter = 6 * time.Hour

// Sources of a flowDayDoc.
const (
	flowSourceSeries = "series"
	flowSourceValues = "values"
)

// klaviyoAttribution reads what Klaviyo's Reporting API attributes to
// email, with metricID ("Placed Order") as the conversion metric, and
// stores it: campaigns by send date, flows by day. Reporting calls are
// few and rationed per Klaviyo account (reportBudget), so:
//
//   - campaigns: one campaign values report over the last InitialSyncDays
//     days, whatever the sync window (one call either way, and campaigns
//     sent before the window still collect conversions);
//   - flows: one daily flow series report over the sync window, widened to
//     the settling days; when the account has no series report (404 or
//     405, or a 400 refusing the series query), one flow values report per
//     UTC day, newest first, for the days of the last InitialSyncDays never
//     read, or read before they settled and over reportRereadAfter ago, at
//     most ReportLimits.FallbackCalls per sync: later syncs read the rest.
//
// A spent budget, or a 429 after the one retry, ends the reporting of this
// sync without failing it (the other data is written already); it is
// logged. Other failures fail the sync.
func (j *syncJob) klaviyoAttribution(ctx context.Context, c KlaviyoAPI, metricID string, campaigns map[string]klaviyo.Campaign) error {
	org := j.run.OrganizationID
	log := j.w.opts.Logger.With("run", j.run.ID.Hex(), "organization", org.Hex(), "platform", Klaviyo)
	b := j.w.newReportBudget(ctx, j.reportAccount())
	gate := b.gate
	now := j.w.now()
	skipped := func(what string, err error) error {
		if !isBudgetStop(err) {
			return err
		}
		log.Warn("integrations: Klaviyo reporting stopped for this sync; a later sync reads the rest",
			"skipped", what, "reason", err.Error(), "reportCalls", b.calls)
		return nil
	}

	first := j.today.AddDate(0, 0, -(InitialSyncDays - 1))
	values, err := c.CampaignValues(ctx, gate, klaviyo.ReportQuery{ConversionMetricID: metricID, Start: first, End: now})
	if err != nil {
		return skipped("campaign and flow attribution", err)
	}
	if err := j.writeCampaignValues(ctx, values, campaigns, log); err != nil {
		return err
	}

	from, _ := j.window(klaviyoOverlapDays)
	if settle := j.today.AddDate(0, 0, -(reportSettleDays - 1)); settle.Before(from) {
		from = settle
	}
	series, err := c.FlowSeries(ctx, gate, klaviyo.ReportQuery{ConversionMetricID: metricID, Start: from, End: now})
	switch {
	case err == nil:
		return j.writeFlowSeries(ctx, from, series)
	case errors.Is(err, klaviyo.ErrReportNotOffered):
		return j.flowValuesByDay(ctx, c, gate, b, metricID, log, skipped)
	case isStatus(err, http.StatusBadRequest):
		// The account refuses this series query (a revision or a
		// timeframe it does not take): the one-day values reports still
		// answer.
		log.Warn("integrations: Klaviyo refused the flow series report; reading flow days one per call", "reason", err.Error())
		return j.flowValuesByDay(ctx, c, gate, b, metricID, log, skipped)
	default:
		return skipped("flow attribution", err)
	}
}

// isStatus reports whether err is a platform's answer with status.
func isStatus(err error, status int) bool {
	var pe *platform.Error
	return errors.As(err, &pe) && pe.Status == status
}

// reportAccount names the Klaviyo account whose reporting budget the sync
// spends: its Klaviyo id, or for an integration connected before the id
// was stored, a digest of the key (keys of one account then do not share
// the budget until they are reconnected).
func (j *syncJob) reportAccount() string {
	if j.doc.AccountKey != "" {
		return j.doc.AccountKey
	}
	sum := sha256.Sum256([]byte(j.key))
	return "key-" + hex.EncodeToString(sum[:8])
}

// writeCampaignValues stores what each campaign earned on its send date,
// from the campaigns this run listed; a campaign not listed, or without a
// send time, is stored without a send date (counted in no day) and logged.
func (j *syncJob) writeCampaignValues(ctx context.Context, values []klaviyo.CampaignValue, campaigns map[string]klaviyo.Campaign, log *slog.Logger) error {
	org, runID, now := j.run.OrganizationID, j.run.ID, j.w.now()
	var unknown []string
	models := make([]record, 0, len(values))
	for _, v := range values {
		doc := campaignValueDoc{ID: recordKey(org, v.CampaignID), OrganizationID: org, ExternalID: v.CampaignID,
			Name: v.CampaignID, Revenue: v.Revenue, Conversions: v.Conversions, SyncRunID: runID, SyncedAt: now}
		if cp, ok := campaigns[v.CampaignID]; ok {
			doc.Name = cp.Name
			if cp.SendTime != nil {
				day := utcDay(*cp.SendTime)
				doc.SendDate = &day
			}
		}
		if doc.SendDate == nil {
			unknown = append(unknown, v.CampaignID)
		}
		models = append(models, doc)
	}
	if len(unknown) > 0 {
		log.Warn("integrations: Klaviyo campaigns with attributed revenue but no known send time; counted in no day",
			"campaigns", unknown)
	}
	return j.write(ctx, campaignValueSet, models)
}

// writeFlowSeries stores one flow day per UTC day from from to today, the
// days without a value included (they were read: nothing was earned).
func (j *syncJob) writeFlowSeries(ctx context.Context, from time.Time, series []klaviyo.FlowDayValue) error {
	byDay := map[time.Time][]flowValue{}
	for _, v := range series {
		d := utcDay(v.Date)
		byDay[d] = append(byDay[d], flowValue{FlowID: v.FlowID, Revenue: v.Revenue, Conversions: v.Conversions})
	}
	var batch []record
	for day := from; !day.After(j.today); day = day.AddDate(0, 0, 1) {
		batch = append(batch, j.flowDay(day, byDay[day], flowSourceSeries))
		if len(batch) == dayBatch {
			if err := j.write(ctx, flowDaySet, batch); err != nil {
				return err
			}
			batch = nil
		}
	}
	return j.write(ctx, flowDaySet, batch)
}

// flowDay is the flow day document of day for the run.
func (j *syncJob) flowDay(day time.Time, flows []flowValue, source string) flowDayDoc {
	org := j.run.OrganizationID
	if flows == nil {
		flows = []flowValue{}
	}
	return flowDayDoc{ID: recordKey(org, day.Format(time.DateOnly)), OrganizationID: org, Date: day, Flows: flows,
		Source: source, SyncRunID: j.run.ID, SyncedAt: j.w.now()}
}

// flowValuesByDay is the fallback for an account without the flow series
// report: one flow values report per UTC day, newest first, for the days
// of the last InitialSyncDays never read, or read before they settled and
// over reportRereadAfter ago, at most ReportLimits.FallbackCalls of them
// per sync. Each day is written as soon as it is read.
func (j *syncJob) flowValuesByDay(ctx context.Context, c KlaviyoAPI, gate klaviyo.Gate, b *reportBudget, metricID string, log *slog.Logger, skipped func(string, error) error) error {
	first := j.today.AddDate(0, 0, -(InitialSyncDays - 1))
	read, err := j.w.store.flowDaysRead(ctx, j.run.OrganizationID, first, j.today)
	if err != nil {
		return storeError{err}
	}
	now := j.w.now()
	var need []time.Time
	for day := j.today; !day.Before(first); day = day.AddDate(0, 0, -1) {
		at, ok := read[day]
		if !ok || at.Before(day.AddDate(0, 0, reportSettleDays)) && now.Sub(at) >= reportRereadAfter {
			need = append(need, day)
		}
	}
	done := 0
	for _, day := range need {
		if done == b.limits.FallbackCalls {
			break
		}
		end := day.AddDate(0, 0, 1)
		if now.Before(end) {
			end = now
		}
		if !end.After(day) {
			continue
		}
		values, err := c.FlowValues(ctx, gate, klaviyo.ReportQuery{ConversionMetricID: metricID, Start: day, End: end})
		if err != nil {
			return skipped("flow attribution of "+day.Format(time.DateOnly)+" and older", err)
		}
		flows := make([]flowValue, 0, len(values))
		for _, v := range values {
			flows = append(flows, flowValue{FlowID: v.FlowID, Revenue: v.Revenue, Conversions: v.Conversions})
		}
		if err := j.write(ctx, flowDaySet, []record{j.flowDay(day, flows, flowSourceValues)}); err != nil {
			return err
		}
		done++
	}
	if left := len(need) - done; left > 0 {
		log.Info("integrations: Klaviyo has no flow series report; flow days read one per call",
			"read", done, "left", left, "oldestLeft", need[len(need)-1].Format(time.DateOnly))
	}
	return nil
}
