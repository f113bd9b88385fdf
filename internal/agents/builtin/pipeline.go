package builtin

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/omnify/bff/internal/text"
)

// Pipeline Scout's settings.
const (
	// DefaultStaleDays is how long an open deal may go without an update
	// before Pipeline Scout calls it stale, by default.
	DefaultStaleDays = 14
	// MinStaleDays and MaxStaleDays bound PipelineParams.StaleDays.
	MinStaleDays, MaxStaleDays = 1, 365
	// StageClosedWon and StageClosedLost are HubSpot's ids of the stages
	// whose deals are closed; every other stage is open.
	StageClosedWon, StageClosedLost = "closedwon", "closedlost"
	// topDeals is how many deals a detail or a recommendation names.
	topDeals = 3
	// nameBytes is how much of a deal's name a message quotes.
	nameBytes = 80
)

// PipelineParams are Pipeline Scout's settings. A zero field takes its
// default; a value outside its range is brought to the nearest bound.
type PipelineParams struct {
	// StaleDays is how many days an open deal may go without an update
	// before it is stale: 1 to 365, default 14.
	StaleDays int `json:"staleDays"`
}

// DefaultPipelineParams returns Pipeline Scout's default settings: deals
// are stale after 14 days without an update.
func DefaultPipelineParams() PipelineParams {
	return PipelineParams{StaleDays: DefaultStaleDays}
}

// PipelineParamsSchema is the JSON Schema of PipelineParams. It is shared:
// treat it as read-only.
var PipelineParamsSchema = map[string]any{
	"$schema":     "https://json-schema.org/draft/2020-12/schema",
	"title":       "Pipeline Scout settings",
	"description": "When Pipeline Scout calls an open deal stale.",
	"type":        "object",
	"properties": map[string]any{
		"staleDays": map[string]any{
			"type":        "integer",
			"minimum":     MinStaleDays,
			"maximum":     MaxStaleDays,
			"default":     DefaultStaleDays,
			"description": "How many days an open deal may go without an update before it counts as stale.",
		},
	},
	"additionalProperties": false,
}

// normalized returns p with defaults for zero fields and values brought
// into range.
func (p PipelineParams) normalized() PipelineParams {
	return PipelineParams{StaleDays: clampInt(p.StaleDays, DefaultStaleDays, MinStaleDays, MaxStaleDays)}
}

// Deal is a CRM deal (HubSpot).
type Deal struct {
	// ID is the CRM's id of the deal, which findings list.
	ID string
	// Name is the deal's name, for the owner to recognize it.
	Name string
	// Stage is the stage's id; StageClosedWon and StageClosedLost
	// (compared without case) are closed, every other stage is open.
	Stage string
	// Pipeline is the id of the pipeline the deal is in.
	Pipeline string
	// Amount is the deal's value in the store's currency; nil when the
	// deal has none.
	Amount *float64
	// CloseDate is when the deal is expected to close; nil when it has none.
	CloseDate *time.Time
	// UpdatedAt is when the deal last changed in the CRM.
	UpdatedAt time.Time
}

// open reports whether the deal is neither won nor lost.
func (d Deal) open() bool {
	return !strings.EqualFold(d.Stage, StageClosedWon) && !strings.EqualFold(d.Stage, StageClosedLost)
}

// amount is the deal's amount, 0 without one.
func (d Deal) amount() float64 {
	if d.Amount == nil {
		return 0
	}
	return *d.Amount
}

// stageTotal adds up the open deals of one stage.
type stageTotal struct {
	pipeline, stage string
	count           int
	amount          float64
}

// PipelineScout analyzes the open deals on today: the open pipeline by
// stage (open is every stage but StageClosedWon and StageClosedLost); the
// open deals not updated for more than p.StaleDays days (UpdatedAt more
// than p.StaleDays × 24 hours before today); the open deals expected to
// close in today's calendar month (UTC); and the open deals whose close
// date is before today's day. Deals without an amount count as $0 and are
// reported.
func PipelineScout(p PipelineParams, deals []Deal, today time.Time) Report {
	p = p.normalized()
	today = today.UTC()
	monthStart := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	nextMonth := monthStart.AddDate(0, 1, 0)
	staleBefore := today.Add(-time.Duration(p.StaleDays) * 24 * time.Hour)
	monthName := monthStart.Format("January 2006")

	var (
		open, stale, closing, overdue, noAmount []Deal
		openAmount, wonAmount, lostAmount       float64
		won, lost                               int
	)
	stages := map[[2]string]*stageTotal{}
	for _, d := range deals {
		if !d.open() {
			if strings.EqualFold(d.Stage, StageClosedWon) {
				won++
				wonAmount += d.amount()
			} else {
				lost++
				lostAmount += d.amount()
			}
			continue
		}
		open = append(open, d)
		openAmount += d.amount()
		key := [2]string{d.Pipeline, d.Stage}
		st := stages[key]
		if st == nil {
			st = &stageTotal{pipeline: d.Pipeline, stage: d.Stage}
			stages[key] = st
		}
		st.count++
		st.amount += d.amount()
		if d.Amount == nil {
			noAmount = append(noAmount, d)
		}
		if d.UpdatedAt.Before(staleBefore) {
			stale = append(stale, d)
		}
		if d.CloseDate != nil {
			c := d.CloseDate.UTC()
			if !c.Before(monthStart) && c.Before(nextMonth) {
				closing = append(closing, d)
			}
			if c.Before(utcDay(today)) {
				overdue = append(overdue, d)
			}
		}
	}
	byStage := make([]stageTotal, 0, len(stages))
	for _, st := range stages {
		byStage = append(byStage, *st)
	}
	slices.SortFunc(byStage, func(a, b stageTotal) int {
		return cmp.Or(cmp.Compare(a.pipeline, b.pipeline), cmp.Compare(a.stage, b.stage))
	})
	stageMetrics := make([]map[string]any, 0, len(byStage))
	for _, st := range byStage {
		stageMetrics = append(stageMetrics, map[string]any{"pipeline": st.pipeline, "stage": st.stage, "count": st.count, "amount": st.amount})
	}
	staleAmount, closingAmount, overdueAmount := sumAmounts(stale), sumAmounts(closing), sumAmounts(overdue)
	closingStale := intersect(closing, stale)

	r := Report{Metrics: map[string]any{
		"staleDays":           p.StaleDays,
		"totalDeals":          len(deals),
		"openDeals":           len(open),
		"openAmount":          openAmount,
		"wonDeals":            won,
		"wonAmount":           wonAmount,
		"lostDeals":           lost,
		"lostAmount":          lostAmount,
		"byStage":             stageMetrics,
		"staleDeals":          ids(stale),
		"staleAmount":         staleAmount,
		"closingMonth":        monthStart.Format("2006-01"),
		"closingThisMonth":    ids(closing),
		"closingAmount":       closingAmount,
		"closingAndStale":     ids(closingStale),
		"pastCloseDate":       ids(overdue),
		"pastCloseDateAmount": overdueAmount,
		"openWithoutAmount":   ids(noAmount),
	}}

	if len(open) == 0 {
		if len(deals) == 0 {
			r.Summary = "There are no deals to look at: no deals have been synced from HubSpot."
			r.Recommendations = []string{"Connect HubSpot and run a sync: Pipeline Scout reads its deals."}
		} else {
			r.Summary = fmt.Sprintf("%s (%d won for %s, %d lost), so nothing is in the pipeline.",
				plural(len(deals), "The only deal is closed", fmt.Sprintf("All %d deals are closed", len(deals))), won, money(wonAmount), lost)
			r.Recommendations = []string{"Add the deals you are working on to HubSpot, with an amount and a close date, so that Pipeline Scout can follow them."}
		}
		detail := "No deals have been synced."
		if len(deals) > 0 {
			detail = fmt.Sprintf("Of %s, none is open.", count(len(deals), "deal", "deals"))
		}
		r.Findings = []Finding{{Severity: SeverityInfo, Title: "No open deals", Detail: detail,
			Data: map[string]any{"totalDeals": len(deals), "wonDeals": won, "lostDeals": lost}}}
		return r
	}

	var stageList []string
	for _, st := range slices.SortedStableFunc(slices.Values(byStage), func(a, b stageTotal) int { return cmp.Compare(b.amount, a.amount) }) {
		stageList = append(stageList, fmt.Sprintf("%s: %s, %s", st.stage, count(st.count, "deal", "deals"), money(st.amount)))
	}
	r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Open pipeline",
		Detail: fmt.Sprintf("%s open, worth %s, in %s (largest first): %s.", capitalize(count(len(open), "deal is", "deals are")), money(openAmount), count(len(byStage), "stage", "stages"), strings.Join(stageList, "; ")),
		Data:   map[string]any{"openDeals": len(open), "openAmount": openAmount, "byStage": stageMetrics}})
	if len(stale) > 0 {
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "Stale deals",
			Detail: fmt.Sprintf("%s worth %s (%s of the open pipeline) %s not been updated for more than %s; the largest: %s.",
				capitalize(count(len(stale), "open deal", "open deals")), money(staleAmount), share(staleAmount, openAmount), plural(len(stale), "has", "have"),
				count(p.StaleDays, "day", "days"), describeDeals(stale, today)),
			Data: map[string]any{"dealIds": ids(stale), "amount": staleAmount, "staleDays": p.StaleDays}})
	}
	if len(overdue) > 0 {
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "Open deals past their close date",
			Detail: fmt.Sprintf("%s worth %s %s still open after %s close date; the largest: %s.",
				capitalize(count(len(overdue), "deal", "deals")), money(overdueAmount), plural(len(overdue), "is", "are"), plural(len(overdue), "its", "their"), describeDeals(overdue, today)),
			Data: map[string]any{"dealIds": ids(overdue), "amount": overdueAmount}})
	}
	if len(closing) > 0 {
		detail := fmt.Sprintf("%s worth %s %s expected to close in %s; the largest: %s.",
			capitalize(count(len(closing), "open deal", "open deals")), money(closingAmount), plural(len(closing), "is", "are"), monthName, describeDeals(closing, today))
		if len(closingStale) > 0 {
			detail += fmt.Sprintf(" %d of them (%s) %s not been updated for more than %s.", len(closingStale), money(sumAmounts(closingStale)), plural(len(closingStale), "has", "have"), count(p.StaleDays, "day", "days"))
		}
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Closing this month",
			Detail: detail,
			Data:   map[string]any{"dealIds": ids(closing), "amount": closingAmount, "month": monthStart.Format("2006-01")}})
	}
	if len(noAmount) > 0 {
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Open deals without an amount",
			Detail: fmt.Sprintf("%s no amount, so the pipeline total leaves %s out: %s.", capitalize(count(len(noAmount), "open deal has", "open deals have")), plural(len(noAmount), "it", "them"), names(noAmount)),
			Data:   map[string]any{"dealIds": ids(noAmount)}})
	}
	sortFindings(r.Findings)

	if len(stale) > 0 {
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"Follow up on the %s worth %s (%s of the open pipeline) with no update for more than %s, largest first: %s.",
			count(len(stale), "stale deal", "stale deals"), money(staleAmount), share(staleAmount, openAmount), count(p.StaleDays, "day", "days"), names(stale)))
	}
	if len(closing) > 0 {
		rec := fmt.Sprintf("%s worth %s %s due to close by %s", capitalize(count(len(closing), "deal", "deals")), money(closingAmount), plural(len(closing), "is", "are"), nextMonth.AddDate(0, 0, -1).Format("2 January"))
		if len(closingStale) > 0 {
			rec += fmt.Sprintf("; confirm that the %s (%s) not updated for more than %s %s still on track: %s.",
				count(len(closingStale), "deal", "deals"), money(sumAmounts(closingStale)), count(p.StaleDays, "day", "days"), plural(len(closingStale), "is", "are"), names(closingStale))
		} else {
			rec += "; make sure each has its next step booked."
		}
		r.Recommendations = append(r.Recommendations, rec)
	}
	if len(overdue) > 0 {
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"Move the close date of, or close, the %s worth %s whose close date has passed: %s. Until then %s the forecast.",
			count(len(overdue), "open deal", "open deals"), money(overdueAmount), names(overdue), plural(len(overdue), "it inflates", "they inflate")))
	}
	if len(noAmount) > 0 {
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"Add an amount to the %s without one, so that the %s open pipeline counts %s.",
			count(len(noAmount), "open deal", "open deals"), money(openAmount), plural(len(noAmount), "it", "them")))
	}
	if len(r.Recommendations) == 0 {
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"Every open deal was updated within %s and none is past its close date: keep the %s open pipeline moving.",
			count(p.StaleDays, "day", "days"), money(openAmount)))
	}

	r.Summary = fmt.Sprintf("You have %s worth %s", count(len(open), "open deal", "open deals"), money(openAmount))
	var notes []string
	if len(stale) > 0 {
		notes = append(notes, fmt.Sprintf("%d (%s) %s had no update in over %s", len(stale), money(staleAmount), plural(len(stale), "has", "have"), count(p.StaleDays, "day", "days")))
	}
	if len(closing) > 0 {
		notes = append(notes, fmt.Sprintf("%d (%s) %s expected to close this month", len(closing), money(closingAmount), plural(len(closing), "is", "are")))
	}
	if len(notes) > 0 {
		r.Summary += "; " + join(notes)
	}
	r.Summary += "."
	return r
}

// sumAmounts adds the deals' amounts.
func sumAmounts(deals []Deal) float64 {
	var sum float64
	for _, d := range deals {
		sum += d.amount()
	}
	return sum
}

// ids returns the deals' ids; never nil.
func ids(deals []Deal) []string {
	out := make([]string, 0, len(deals))
	for _, d := range deals {
		out = append(out, d.ID)
	}
	return out
}

// intersect returns the deals of a that are also in b, by id, in a's order.
func intersect(a, b []Deal) []Deal {
	in := map[string]bool{}
	for _, d := range b {
		in[d.ID] = true
	}
	var out []Deal
	for _, d := range a {
		if in[d.ID] {
			out = append(out, d)
		}
	}
	return out
}

// largest returns the topDeals deals with the largest amounts (ties by
// name, then id).
func largest(deals []Deal) []Deal {
	sorted := slices.Clone(deals)
	slices.SortFunc(sorted, func(a, b Deal) int {
		return cmp.Or(cmp.Compare(b.amount(), a.amount()), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return sorted[:min(len(sorted), topDeals)]
}

// names lists the deals as "Name ($amount)", "Name (no amount)", adding
// how many more there are beyond topDeals.
func names(deals []Deal) string {
	var parts []string
	for _, d := range largest(deals) {
		parts = append(parts, dealLabel(d)+" ("+amountLabel(d)+")")
	}
	if more := len(deals) - topDeals; more > 0 {
		parts = append(parts, count(more, "other", "others"))
	}
	return join(parts)
}

// describeDeals is names with how long ago each deal was last updated.
func describeDeals(deals []Deal, today time.Time) string {
	var parts []string
	for _, d := range largest(deals) {
		parts = append(parts, fmt.Sprintf("%s (%s, last updated %s ago)", dealLabel(d), amountLabel(d), count(max(0, int(today.Sub(d.UpdatedAt).Hours()/24)), "day", "days")))
	}
	if more := len(deals) - topDeals; more > 0 {
		parts = append(parts, count(more, "other", "others"))
	}
	return join(parts)
}

// dealLabel names a deal, quoted and shortened, or gives its id when it
// has no name.
func dealLabel(d Deal) string {
	if n := strings.TrimSpace(d.Name); n != "" {
		return fmt.Sprintf("%q", text.Shorten(n, nameBytes))
	}
	return "deal " + text.Shorten(d.ID, nameBytes)
}

// amountLabel is a deal's amount, or "no amount".
func amountLabel(d Deal) string {
	if d.Amount == nil {
		return "no amount"
	}
	return money(*d.Amount)
}

// share formats part as a percentage of whole; "0%" when whole is 0.
func share(part, whole float64) string {
	if whole == 0 {
		return "0%"
	}
	return percent(part / whole)
}
