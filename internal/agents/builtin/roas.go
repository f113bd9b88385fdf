package builtin

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// ROAS Guardian's settings and thresholds.
const (
	// DefaultROASDays is how many days ROAS Guardian analyzes by default.
	DefaultROASDays = 14
	// MinROASDays and MaxROASDays bound ROASParams.Days.
	MinROASDays, MaxROASDays = 1, 90
	// DefaultTargetROAS is the default target: $2 of revenue per $1 of ads.
	DefaultTargetROAS = 2.0
	// MinTargetROAS and MaxTargetROAS bound ROASParams.TargetROAS.
	MinTargetROAS, MaxTargetROAS = 0.1, 100.0
	// TrailingDays is how many days before a day make its trailing
	// average, which a sudden drop is measured against.
	TrailingDays = 7
	// MinTrailingDays is how many of the TrailingDays must have ad spend
	// for a day to be compared with its trailing average at all.
	MinTrailingDays = 4
	// DropThreshold is the fall below the trailing average that flags a
	// day: more than 25% below it.
	DropThreshold = 0.25
	// BreakEvenROAS is the ROAS below which ads brought in less revenue
	// than they cost: an average below it is critical.
	BreakEvenROAS = 1.0
)

// ROASParams are ROAS Guardian's settings. A zero field takes its default;
// a value outside its range is brought to the nearest bound.
type ROASParams struct {
	// Days is how many days to analyze, ending yesterday (UTC): 1 to 90,
	// default 14.
	Days int `json:"days"`
	// TargetROAS is the return on ad spend (revenue ÷ ad spend) the store
	// aims for: 0.1 to 100, default 2.0.
	TargetROAS float64 `json:"targetRoas"`
}

// DefaultROASParams returns ROAS Guardian's default settings: 14 days, a
// target of 2.0.
func DefaultROASParams() ROASParams {
	return ROASParams{Days: DefaultROASDays, TargetROAS: DefaultTargetROAS}
}

// ROASParamsSchema is the JSON Schema of ROASParams. It is shared: treat
// it as read-only.
var ROASParamsSchema = map[string]any{
	"$schema":     "https://json-schema.org/draft/2020-12/schema",
	"title":       "ROAS Guardian settings",
	"description": "Which days ROAS Guardian analyzes and the ROAS it holds them to.",
	"type":        "object",
	"properties": map[string]any{
		"days": map[string]any{
			"type":        "integer",
			"minimum":     MinROASDays,
			"maximum":     MaxROASDays,
			"default":     DefaultROASDays,
			"description": "How many days to analyze, ending yesterday (UTC).",
		},
		"targetRoas": map[string]any{
			"type":        "number",
			"minimum":     MinTargetROAS,
			"maximum":     MaxTargetROAS,
			"default":     DefaultTargetROAS,
			"description": "The return on ad spend to aim for: revenue divided by ad spend (2.0 means $2 of revenue for every $1 of ads).",
		},
	},
	"additionalProperties": false,
}

// normalized returns p with defaults for zero fields and values brought
// into range.
func (p ROASParams) normalized() ROASParams {
	return ROASParams{
		Days:       clampInt(p.Days, DefaultROASDays, MinROASDays, MaxROASDays),
		TargetROAS: clampFloat(p.TargetROAS, DefaultTargetROAS, MinTargetROAS, MaxTargetROAS),
	}
}

// AdDay is one day of a store's sales and ad spend (Triple Whale's daily
// summary). A day the caller has no data for is left out, not passed with
// zeros: a missing day is no data, a day with zero spend had no ads.
type AdDay struct {
	// Date is the day; only its UTC calendar day counts. Entries of the
	// same day are added together.
	Date time.Time
	// Revenue is the day's sales, in the store's currency.
	Revenue float64
	// AdSpend is the day's ad spend across channels; 0 (or less) means no
	// ads ran, which leaves the day's ROAS undefined.
	AdSpend float64
	// Orders is the day's number of orders.
	Orders int
}

// adStat is one day of the window with its ROAS and trailing average.
type adStat struct {
	date             time.Time
	revenue, spend   float64
	orders           int
	roas             float64 // revenue / spend; valid when spend > 0
	trailing         float64 // the trailing average; valid when compared
	compared, belowT bool
	drop             float64 // how far below the trailing average, 0.3 for 30%
}

// ROASGuardian analyzes the store's return on ad spend over the p.Days days
// that end the day before today (UTC). days should hold p.Days+TrailingDays
// days of history where there is any, so that the first days of the
// period have a trailing average; days outside that span are ignored.
//
// ROAS is revenue ÷ ad spend: the period's average is its total revenue
// divided by its total ad spend, so a day weighs by what was spent on it,
// and a day's trailing average is the same ratio over the days with spend
// among the TrailingDays before it (at least MinTrailingDays of them). A
// day without spend has no ROAS and is left out of every comparison. It
// reports the average against p.TargetROAS, the days below target, the days
// that fell more than DropThreshold below their trailing average, the worst
// day, and days without data.
func ROASGuardian(p ROASParams, days []AdDay, today time.Time) Report {
	p = p.normalized()
	first := utcDay(today).AddDate(0, 0, -p.Days)
	last := utcDay(today).AddDate(0, 0, -1)
	historyStart := first.AddDate(0, 0, -TrailingDays)

	byDay := map[time.Time]*AdDay{}
	for _, d := range days {
		day := utcDay(d.Date)
		if day.Before(historyStart) || day.After(last) {
			continue
		}
		sum := byDay[day]
		if sum == nil {
			sum = &AdDay{Date: day}
			byDay[day] = sum
		}
		sum.Revenue += d.Revenue
		sum.AdSpend += d.AdSpend
		sum.Orders += d.Orders
	}

	var (
		stats                    []adStat // the days with data, in order
		missing, noSpend         = []string{}, []string{}
		revenue, spend           float64
		orders                   int
		belowDays, dropDays      []adStat
		belowSpend, belowRevenue float64
		worst                    *adStat
		compared, spendDays      int
	)
	for i := range p.Days {
		day := first.AddDate(0, 0, i)
		d := byDay[day]
		if d == nil {
			missing = append(missing, dateOf(day))
			continue
		}
		s := adStat{date: day, revenue: d.Revenue, spend: d.AdSpend, orders: d.Orders}
		revenue += d.Revenue
		orders += d.Orders
		if d.AdSpend <= 0 {
			noSpend = append(noSpend, dateOf(day))
			stats = append(stats, s)
			continue
		}
		spend += d.AdSpend
		spendDays++
		s.roas = d.Revenue / d.AdSpend
		s.belowT = s.roas < p.TargetROAS
		var trailingRevenue, trailingAds float64
		n := 0
		for k := 1; k <= TrailingDays; k++ {
			if t := byDay[day.AddDate(0, 0, -k)]; t != nil && t.AdSpend > 0 {
				trailingRevenue += t.Revenue
				trailingAds += t.AdSpend
				n++
			}
		}
		if n >= MinTrailingDays {
			s.compared = true
			s.trailing = trailingRevenue / trailingAds
			compared++
			if s.trailing > 0 && s.roas < s.trailing*(1-DropThreshold) {
				s.drop = 1 - s.roas/s.trailing
				dropDays = append(dropDays, s)
			}
		}
		if s.belowT {
			belowDays = append(belowDays, s)
			belowSpend += s.spend
			belowRevenue += s.revenue
		}
		stats = append(stats, s)
		if worst == nil || s.roas < worst.roas {
			w := s
			worst = &w
		}
	}

	r := Report{Metrics: map[string]any{
		"days":            p.Days,
		"targetRoas":      p.TargetROAS,
		"from":            dateOf(first),
		"to":              dateOf(last),
		"daysWithData":    len(stats),
		"daysWithSpend":   spendDays,
		"daysMissing":     missing,
		"daysWithoutAds":  noSpend,
		"totalRevenue":    revenue,
		"totalAdSpend":    spend,
		"totalOrders":     orders,
		"averageRoas":     nil,
		"daysBelowTarget": dates(belowDays),
		"drops":           dates(dropDays),
		"daysCompared":    compared,
		"worstDay":        nil,
		"daily":           dailyMetrics(stats),
	}}
	period := fmt.Sprintf("%s to %s", dateOf(first), dateOf(last))

	if len(stats) == 0 {
		r.Summary = fmt.Sprintf("There is no ad data for the last %s (%s), so ROAS cannot be checked.", count(p.Days, "day", "days"), period)
		r.Findings = []Finding{{Severity: SeverityInfo, Title: "No ad data",
			Detail: fmt.Sprintf("None of the %s from %s has synced figures.", count(p.Days, "day", "days"), period),
			Data:   map[string]any{"from": dateOf(first), "to": dateOf(last)}}}
		r.Recommendations = []string{"Connect Triple Whale and run a sync: ROAS Guardian needs each day's revenue and ad spend."}
		return r
	}
	if len(missing) > 0 {
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Days without data",
			Detail: fmt.Sprintf("%d of %s %s no synced figures and %s left out: %s.", len(missing), count(p.Days, "day", "days"), plural(len(missing), "has", "have"), plural(len(missing), "is", "are"), join(missing)),
			Data:   map[string]any{"dates": missing}})
	}
	if len(noSpend) > 0 {
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Days without ad spend",
			Detail: fmt.Sprintf("No ad spend was recorded on %s (%s), so %s no ROAS and %s left out of the comparisons.",
				count(len(noSpend), "day", "days"), join(noSpend), plural(len(noSpend), "it has", "they have"), plural(len(noSpend), "is", "are")),
			Data: map[string]any{"dates": noSpend}})
	}
	if spend == 0 {
		r.Summary = fmt.Sprintf("No ad spend was recorded over the last %s, so there is no ROAS to check.", count(p.Days, "day", "days"))
		r.Recommendations = []string{fmt.Sprintf("If ads ran between %s, check that Triple Whale is connected to the ad accounts: it reported %s in revenue and no spend.", period, money(revenue))}
		sortFindings(r.Findings)
		return r
	}

	avg := revenue / spend
	r.Metrics["averageRoas"] = avg
	r.Metrics["worstDay"] = map[string]any{"date": dateOf(worst.date), "roas": worst.roas, "revenue": worst.revenue, "adSpend": worst.spend}
	avgData := map[string]any{"averageRoas": avg, "targetRoas": p.TargetROAS, "revenue": revenue, "adSpend": spend, "from": dateOf(first), "to": dateOf(last)}
	how := fmt.Sprintf("%s in revenue ÷ %s in ad spend over %s with spend", money(revenue), money(spend), count(spendDays, "day", "days"))
	switch {
	case avg < BreakEvenROAS:
		r.Findings = append(r.Findings, Finding{Severity: SeverityCritical, Title: "Ads cost more than they brought in",
			Detail: fmt.Sprintf("ROAS averaged %s (%s), below break-even (%s) and the target of %s.", ratio2(avg), how, ratio2(BreakEvenROAS), ratio2(p.TargetROAS)),
			Data:   avgData})
	case avg < p.TargetROAS:
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "ROAS below target",
			Detail: fmt.Sprintf("ROAS averaged %s (%s), %s below the target of %s.", ratio2(avg), how, percent(1-avg/p.TargetROAS), ratio2(p.TargetROAS)),
			Data:   avgData})
	default:
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "ROAS on target",
			Detail: fmt.Sprintf("ROAS averaged %s (%s), at or above the target of %s.", ratio2(avg), how, ratio2(p.TargetROAS)),
			Data:   avgData})
	}

	if len(belowDays) > 0 {
		var list []string
		for _, s := range belowDays {
			list = append(list, fmt.Sprintf("%s (%s)", dateOf(s.date), ratio2(s.roas)))
		}
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "Days below target",
			Detail: fmt.Sprintf("%d of %s with ad spend had a ROAS below %s: %s. Together they cost %s in ads for %s in revenue.",
				len(belowDays), count(spendDays, "day", "days"), ratio2(p.TargetROAS), join(list), money(belowSpend), money(belowRevenue)),
			Data: map[string]any{"dates": dates(belowDays), "adSpend": belowSpend, "revenue": belowRevenue}})
	}
	for _, s := range dropDays {
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "Sudden ROAS drop on " + dateOf(s.date),
			Detail: fmt.Sprintf("ROAS was %s on %s (%s in revenue on %s in ads), %s below its average of %s over the %d days before.",
				ratio2(s.roas), dateOf(s.date), money(s.revenue), money(s.spend), percent(s.drop), ratio2(s.trailing), TrailingDays),
			Data: map[string]any{"date": dateOf(s.date), "roas": s.roas, "trailingRoas": s.trailing, "drop": s.drop, "revenue": s.revenue, "adSpend": s.spend}})
	}
	r.Findings = append(r.Findings, Finding{Severity: roasSeverity(worst.roas, p.TargetROAS), Title: "Worst day: " + dateOf(worst.date),
		Detail: fmt.Sprintf("The lowest ROAS of the period was %s on %s: %s in revenue on %s in ads.", ratio2(worst.roas), dateOf(worst.date), money(worst.revenue), money(worst.spend)),
		Data:   map[string]any{"date": dateOf(worst.date), "roas": worst.roas, "revenue": worst.revenue, "adSpend": worst.spend}})
	sortFindings(r.Findings)

	// What to do, in numbers.
	if avg < p.TargetROAS {
		allowed := revenue / p.TargetROAS
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"ROAS averaged %s against a target of %s: at this period's revenue of %s, reaching %s means spending at most %s on ads instead of %s, %s (%s) less.",
			ratio2(avg), ratio2(p.TargetROAS), money(revenue), ratio2(p.TargetROAS), money(allowed), money(spend), money(spend-allowed), percent((spend-allowed)/spend)))
	} else {
		room := revenue/p.TargetROAS - spend
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"ROAS averaged %s, above the target of %s: at this period's revenue of %s, spend could rise by up to %s (%s) before reaching the target. Raise budgets in small steps and watch daily ROAS, since extra spend rarely returns as much as the first.",
			ratio2(avg), ratio2(p.TargetROAS), money(revenue), money(room), percent(room/spend)))
	}
	if len(belowDays) > 0 {
		justified := belowRevenue / p.TargetROAS
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"On the %s below %s, ads cost %s for %s in revenue; had that revenue held, spending %s on those days would have met the target and saved %s. Look for the campaigns that ran on them.",
			count(len(belowDays), "day", "days"), ratio2(p.TargetROAS), money(belowSpend), money(belowRevenue), money(justified), money(belowSpend-justified)))
	}
	if len(dropDays) > 0 {
		biggest := slices.MaxFunc(dropDays, func(a, b adStat) int { return cmp.Compare(a.drop, b.drop) })
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"ROAS fell more than %s below its %d-day average on %s (the biggest fall: %s on %s); check what changed on those days: budgets, creatives, audiences or tracking.",
			percent(DropThreshold), TrailingDays, count(len(dropDays), "day", "days"), percent(biggest.drop), dateOf(biggest.date)))
	}

	switch {
	case avg < p.TargetROAS:
		r.Summary = fmt.Sprintf("Over the last %s your ads brought in %s for every $1 spent, below your target of %s", count(p.Days, "day", "days"), money(avg), ratio2(p.TargetROAS))
	default:
		r.Summary = fmt.Sprintf("Over the last %s your ads brought in %s for every $1 spent, on or above your target of %s", count(p.Days, "day", "days"), money(avg), ratio2(p.TargetROAS))
	}
	var notes []string
	if len(belowDays) > 0 {
		notes = append(notes, fmt.Sprintf("%d of %s with spend fell short", len(belowDays), count(spendDays, "day", "days")))
	}
	if len(dropDays) > 0 {
		notes = append(notes, fmt.Sprintf("%s dropped sharply", count(len(dropDays), "day", "days")))
	}
	if len(notes) > 0 {
		r.Summary += "; " + join(notes)
	}
	r.Summary += "."
	return r
}

// roasSeverity is the severity of a ROAS: critical below break-even,
// warning below target, info otherwise.
func roasSeverity(roas, target float64) string {
	switch {
	case roas < BreakEvenROAS:
		return SeverityCritical
	case roas < target:
		return SeverityWarning
	}
	return SeverityInfo
}

// dates returns the days of stats as YYYY-MM-DD; never nil, so that an
// empty list shows as [] rather than null.
func dates(stats []adStat) []string {
	out := make([]string, 0, len(stats))
	for _, s := range stats {
		out = append(out, dateOf(s.date))
	}
	return out
}

// dailyMetrics returns the figures of each day with data, for a chart:
// date, revenue, adSpend, and roas (nil without spend).
func dailyMetrics(stats []adStat) []map[string]any {
	out := make([]map[string]any, 0, len(stats))
	for _, s := range stats {
		m := map[string]any{"date": dateOf(s.date), "revenue": s.revenue, "adSpend": s.spend, "orders": s.orders, "roas": nil, "trailingRoas": nil}
		if s.spend > 0 {
			m["roas"] = s.roas
		}
		if s.compared {
			m["trailingRoas"] = s.trailing
		}
		out = append(out, m)
	}
	return out
}

// plural returns one or many by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
