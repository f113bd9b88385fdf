package builtin

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/omnify/bff/internal/text"
)

// Email Auditor's settings and thresholds.
const (
	// DefaultEmailDays is how many days of email figures Email Auditor
	// reads by default.
	DefaultEmailDays = 30
	// MinEmailDays and MaxEmailDays bound EmailParams.Days.
	MinEmailDays, MaxEmailDays = 1, 90
	// CadenceDays is the period, ending yesterday, over which campaign
	// sends are counted.
	CadenceDays = 30
	// MinCampaignsPerWeek is the send rate below which the cadence is too
	// thin to keep a list engaged.
	MinCampaignsPerWeek = 1.0
	// MaxCampaignGapDays is the longest a list may go without a campaign:
	// a longer gap between two sends, or since the last one, is flagged.
	MaxCampaignGapDays = 14
	// MinOpenRate is the open rate (opens ÷ emails received) below which
	// subject lines or deliverability need work.
	MinOpenRate = 0.20
	// MinClickRate is the click rate (clicks ÷ emails received) below which
	// the content or offers need work.
	MinClickRate = 0.01
)

// EmailParams are Email Auditor's settings. A zero field takes its
// default; a value outside its range is brought to the nearest bound.
type EmailParams struct {
	// Days is how many days of email figures, ending yesterday (UTC), the
	// open and click rates are computed over: 1 to 90, default 30. The
	// campaign cadence is always measured over CadenceDays.
	Days int `json:"days"`
}

// DefaultEmailParams returns Email Auditor's default settings: rates over
// 30 days.
func DefaultEmailParams() EmailParams { return EmailParams{Days: DefaultEmailDays} }

// EmailParamsSchema is the JSON Schema of EmailParams. It is shared: treat
// it as read-only.
var EmailParamsSchema = map[string]any{
	"$schema":     "https://json-schema.org/draft/2020-12/schema",
	"title":       "Email Auditor settings",
	"description": "The period Email Auditor computes open and click rates over.",
	"type":        "object",
	"properties": map[string]any{
		"days": map[string]any{
			"type":        "integer",
			"minimum":     MinEmailDays,
			"maximum":     MaxEmailDays,
			"default":     DefaultEmailDays,
			"description": "How many days, ending yesterday (UTC), the open and click rates are computed over.",
		},
	},
	"additionalProperties": false,
}

// normalized returns p with defaults for zero fields and values brought
// into range.
func (p EmailParams) normalized() EmailParams {
	return EmailParams{Days: clampInt(p.Days, DefaultEmailDays, MinEmailDays, MaxEmailDays)}
}

// Campaign is an email campaign (Klaviyo).
type Campaign struct {
	// ID is the email platform's id of the campaign.
	ID string
	// Name is the campaign's name.
	Name string
	// Status is the platform's label, such as "Draft", "Scheduled" or
	// "Sent"; only "Sent" (in any case) counts as a send.
	Status string
	// SendTime is when the campaign was (or will be) sent; nil for one
	// neither sent nor scheduled.
	SendTime *time.Time
}

// Flow is an automated email flow (Klaviyo).
type Flow struct {
	// ID is the email platform's id of the flow.
	ID string
	// Name is the flow's name, which is matched to tell what it does.
	Name string
	// Status is "live", "manual" or "draft"; only a live flow sends on
	// its own.
	Status string
	// TriggerType is what starts the flow, such as "Added to List" or
	// "Metric".
	TriggerType string
}

// EmailDay is one day of a store's email figures (Klaviyo's daily
// metrics). A day the caller has no data for is left out.
type EmailDay struct {
	// Date is the day; only its UTC calendar day counts. Entries of the
	// same day are added together.
	Date time.Time
	// Received is how many emails were delivered ("Received Email").
	Received int
	// Opened is how many opens were recorded ("Opened Email").
	Opened int
	// Clicked is how many clicks were recorded ("Clicked Email").
	Clicked int
	// Revenue is the value of the orders attributed to email, in the
	// store's currency.
	Revenue float64
}

// coreFlow is one of the flows every store should run.
type coreFlow struct {
	// key names the flow in Metrics and Data; label in prose, after
	// article ("a" or "an").
	key, label, article string
	// why says what the flow does, for the recommendation.
	why   string
	match func(f Flow, name, trigger string) bool
}

// coreFlows are the flows Email Auditor looks for: name and trigger are
// lower-cased and trimmed.
var coreFlows = []coreFlow{
	{key: "welcome", label: "welcome", article: "a", why: "greets new subscribers while their interest is highest",
		match: func(_ Flow, name, trigger string) bool {
			return trigger == "added to list" || strings.Contains(name, "welcome")
		}},
	{key: "abandonedCart", label: "abandoned cart", article: "an", why: "wins back shoppers who left items in their cart or checkout",
		match: func(_ Flow, name, trigger string) bool {
			return trigger == "metric" && (strings.Contains(name, "cart") || strings.Contains(name, "checkout")) ||
				strings.Contains(name, "abandon")
		}},
	{key: "postPurchase", label: "post-purchase", article: "a", why: "thanks buyers and brings them back for a second order",
		match: func(_ Flow, name, trigger string) bool {
			return trigger == "placed order" || strings.Contains(name, "placed order") ||
				strings.Contains(name, "post-purchase") || strings.Contains(name, "post purchase") ||
				strings.Contains(name, "thank you") || strings.Contains(name, "after purchase")
		}},
}

// EmailAuditor audits a store's email marketing on today: whether the
// core flows (welcome, abandoned cart, post-purchase; matched by trigger
// type and name) are live, the campaign cadence over the CadenceDays days
// ending yesterday (sends per week, the longest gap between two sends, the
// days since the last), and the open and click rates over the p.Days days
// ending yesterday (opens ÷ emails received, clicks ÷ emails received)
// against MinOpenRate and MinClickRate.
func EmailAuditor(p EmailParams, campaigns []Campaign, flows []Flow, days []EmailDay, today time.Time) Report {
	p = p.normalized()
	todayStart := utcDay(today)
	r := Report{Metrics: map[string]any{"days": p.Days}}
	var issues []string // short phrases for the summary, most important first

	// Core flows.
	flowStatus := map[string]any{}
	for _, cf := range coreFlows {
		var live, idle []Flow
		for _, f := range flows {
			if !cf.match(f, strings.ToLower(strings.TrimSpace(f.Name)), strings.ToLower(strings.TrimSpace(f.TriggerType))) {
				continue
			}
			if strings.EqualFold(strings.TrimSpace(f.Status), "live") {
				live = append(live, f)
			} else {
				idle = append(idle, f)
			}
		}
		switch {
		case len(live) > 0:
			flowStatus[cf.key] = map[string]any{"status": "live", "flowIds": flowIDs(live)}
		case len(idle) > 0:
			flowStatus[cf.key] = map[string]any{"status": "notLive", "flowIds": flowIDs(idle)}
			r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: capitalize(cf.label) + " flow not live",
				Detail: fmt.Sprintf("The %s flow exists but sends nothing on its own: %s.", cf.label, flowList(idle)),
				Data:   map[string]any{"flow": cf.key, "flowIds": flowIDs(idle)}})
			r.Recommendations = append(r.Recommendations, fmt.Sprintf("Review and set live the %s flow (%s): it %s.", cf.label, flowList(idle), cf.why))
			issues = append(issues, "the "+cf.label+" flow is not live")
		default:
			flowStatus[cf.key] = map[string]any{"status": "missing", "flowIds": []string{}}
			detail := "There are no flows at all."
			if len(flows) > 0 {
				detail = fmt.Sprintf("None of the %s is %s %s flow.", count(len(flows), "flow", "flows"), cf.article, cf.label)
			}
			r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "No " + cf.label + " flow",
				Detail: detail, Data: map[string]any{"flow": cf.key, "flowIds": []string{}}})
			r.Recommendations = append(r.Recommendations, fmt.Sprintf("Create %s %s flow: it %s.", cf.article, cf.label, cf.why))
			issues = append(issues, "there is no "+cf.label+" flow")
		}
	}
	r.Metrics["coreFlows"] = flowStatus
	r.Metrics["flows"] = len(flows)

	issues = append(issues, cadence(&r, campaigns, todayStart)...)
	issues = append(issues, rates(&r, p, days, todayStart)...)
	sortFindings(r.Findings)
	if openRate, ok := r.Metrics["openRate"].(float64); ok && len(r.Recommendations) == 0 {
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"Keep the cadence of %.1f campaigns a week, and test one change at a time (subject line, offer, send time) against this period's %s open rate and %s click rate.",
			r.Metrics["campaignsPerWeek"].(float64), percent(openRate), percent(r.Metrics["clickRate"].(float64))))
	}

	if len(issues) == 0 {
		r.Summary = fmt.Sprintf("Your email looks healthy: the welcome, abandoned cart and post-purchase flows are live and %s went out in the last %d days",
			count(r.Metrics["campaignsSent"].(int), "campaign", "campaigns"), CadenceDays)
		if openRate, ok := r.Metrics["openRate"].(float64); ok {
			r.Summary += fmt.Sprintf(", with a %s open rate and a %s click rate.", percent(openRate), percent(r.Metrics["clickRate"].(float64)))
		} else {
			r.Summary += "; open and click rates could not be computed, since no emails received were recorded."
		}
		return r
	}
	const shown = 3
	r.Summary = fmt.Sprintf("Your email needs attention: %s.", join(issues[:min(len(issues), shown)]))
	if more := len(issues) - shown; more > 0 {
		r.Summary += fmt.Sprintf(" The findings list %s.", count(more, "more issue", "more issues"))
	}
	return r
}

// cadence adds the campaign cadence's metrics, findings and
// recommendations to r and returns the summary's phrases.
func cadence(r *Report, campaigns []Campaign, todayStart time.Time) []string {
	first := todayStart.AddDate(0, 0, -CadenceDays)
	var sends []time.Time
	scheduled := 0
	for _, c := range campaigns {
		if c.SendTime == nil {
			continue
		}
		status := strings.ToLower(strings.TrimSpace(c.Status))
		at := c.SendTime.UTC()
		if status == "scheduled" && !at.Before(todayStart) {
			scheduled++
		}
		if status == "sent" && !at.Before(first) && at.Before(todayStart) {
			sends = append(sends, at)
		}
	}
	slices.SortFunc(sends, func(a, b time.Time) int { return a.Compare(b) })
	perWeek := float64(len(sends)) * 7 / CadenceDays
	m := r.Metrics
	m["cadenceFrom"], m["cadenceTo"] = dateOf(first), dateOf(todayStart.AddDate(0, 0, -1))
	m["campaignsSent"] = len(sends)
	m["campaignsPerWeek"] = perWeek
	m["campaignsScheduled"] = scheduled
	m["longestGapDays"], m["daysSinceLastSend"] = nil, nil

	if len(sends) == 0 {
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "No campaigns sent",
			Detail: fmt.Sprintf("No campaign went out in the last %d days (%s to %s).", CadenceDays, m["cadenceFrom"], m["cadenceTo"]),
			Data:   map[string]any{"campaignsSent": 0}})
		rec := fmt.Sprintf("Send at least one campaign a week, %d over %d days; none went out in the last %d.", minSends(), CadenceDays, CadenceDays)
		if scheduled > 0 {
			rec += fmt.Sprintf(" %s scheduled.", capitalize(count(scheduled, "campaign is", "campaigns are")))
		}
		r.Recommendations = append(r.Recommendations, rec)
		return []string{fmt.Sprintf("no campaign went out in %d days", CadenceDays)}
	}

	var issues []string
	gap, gapFrom, gapTo := 0, time.Time{}, time.Time{}
	for i := 1; i < len(sends); i++ {
		if g := daysBetween(sends[i-1], sends[i]); g > gap {
			gap, gapFrom, gapTo = g, sends[i-1], sends[i]
		}
	}
	since := daysBetween(sends[len(sends)-1], todayStart)
	if len(sends) > 1 {
		m["longestGapDays"] = gap
	}
	m["daysSinceLastSend"] = since
	m["lastSend"] = dateOf(sends[len(sends)-1])

	severity := SeverityInfo
	if perWeek < MinCampaignsPerWeek {
		severity = SeverityWarning
		issues = append(issues, fmt.Sprintf("only %s went out in %d days", count(len(sends), "campaign", "campaigns"), CadenceDays))
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"You sent %s in the last %d days (%.1f a week); one a week means at least %d, so plan %d more for the next %d days.",
			count(len(sends), "campaign", "campaigns"), CadenceDays, perWeek, minSends(), minSends()-len(sends), CadenceDays))
	}
	r.Findings = append(r.Findings, Finding{Severity: severity, Title: "Campaign cadence",
		Detail: fmt.Sprintf("%s went out from %s to %s: %.1f a week, the last on %s.",
			capitalize(count(len(sends), "campaign", "campaigns")), m["cadenceFrom"], m["cadenceTo"], perWeek, dateOf(sends[len(sends)-1])),
		Data: map[string]any{"campaignsSent": len(sends), "campaignsPerWeek": perWeek, "lastSend": dateOf(sends[len(sends)-1])}})
	if gap > MaxCampaignGapDays {
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "Long gap between campaigns",
			Detail: fmt.Sprintf("%d days passed between the campaigns of %s and %s, more than %d.", gap, dateOf(gapFrom), dateOf(gapTo), MaxCampaignGapDays),
			Data:   map[string]any{"gapDays": gap, "from": dateOf(gapFrom), "to": dateOf(gapTo)}})
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"Keep gaps between campaigns to %d days at most: the longest was %d days (%s to %s). Schedule the next ones ahead.",
			MaxCampaignGapDays, gap, dateOf(gapFrom), dateOf(gapTo)))
		issues = append(issues, fmt.Sprintf("campaigns paused for %d days", gap))
	}
	if since > MaxCampaignGapDays {
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "No recent campaign",
			Detail: fmt.Sprintf("The last campaign went out on %s, %d days ago.", dateOf(sends[len(sends)-1]), since),
			Data:   map[string]any{"daysSinceLastSend": since, "lastSend": dateOf(sends[len(sends)-1])}})
		rec := fmt.Sprintf("Send a campaign soon: the last one went out %d days ago, more than %d.", since, MaxCampaignGapDays)
		if scheduled > 0 {
			rec += fmt.Sprintf(" %s scheduled.", capitalize(count(scheduled, "campaign is", "campaigns are")))
		}
		r.Recommendations = append(r.Recommendations, rec)
		issues = append(issues, fmt.Sprintf("the last campaign was %d days ago", since))
	}
	return issues
}

// minSends is how many campaigns CadenceDays needs at MinCampaignsPerWeek.
func minSends() int { return int(math.Ceil(MinCampaignsPerWeek*CadenceDays/7 - 1e-9)) }

// atLeast is the smallest count n with n ÷ total >= rate.
func atLeast(total int, rate float64) int {
	// The tolerance keeps a product such as 1000 × 0.2 from rounding up
	// to 201.
	return int(math.Ceil(float64(total)*rate - 1e-9))
}

// rates adds the open and click rates' metrics, findings and
// recommendations to r and returns the summary's phrases.
func rates(r *Report, p EmailParams, days []EmailDay, todayStart time.Time) []string {
	first := todayStart.AddDate(0, 0, -p.Days)
	byDay := map[time.Time]*EmailDay{}
	for _, d := range days {
		day := utcDay(d.Date)
		if day.Before(first) || !day.Before(todayStart) {
			continue
		}
		sum := byDay[day]
		if sum == nil {
			sum = &EmailDay{Date: day}
			byDay[day] = sum
		}
		sum.Received += d.Received
		sum.Opened += d.Opened
		sum.Clicked += d.Clicked
		sum.Revenue += d.Revenue
	}
	var received, opened, clicked int
	var revenue float64
	unreceived := []string{} // days with opens or clicks but nothing received
	for i := range p.Days {
		d := byDay[first.AddDate(0, 0, i)]
		if d == nil {
			continue
		}
		// Opens without a receipt mean the day's receipts were not
		// synced (figures stored before they were read): counting the
		// opens would inflate the rates, so the day is left out.
		if d.Received <= 0 && (d.Opened > 0 || d.Clicked > 0) {
			unreceived = append(unreceived, dateOf(d.Date))
			continue
		}
		received += d.Received
		opened += d.Opened
		clicked += d.Clicked
		revenue += d.Revenue
	}
	m := r.Metrics
	m["from"], m["to"] = dateOf(first), dateOf(todayStart.AddDate(0, 0, -1))
	m["daysWithData"] = len(byDay)
	m["daysWithoutReceived"] = unreceived
	if len(unreceived) > 0 {
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Days without emails received",
			Detail: fmt.Sprintf("%d of %s %s opens or clicks but no emails received, so %s left out of the rates: %s.",
				len(unreceived), count(p.Days, "day", "days"), plural(len(unreceived), "has", "have"), plural(len(unreceived), "it is", "they are"), join(unreceived)),
			Data: map[string]any{"dates": unreceived}})
	}
	m["received"], m["opened"], m["clicked"], m["emailRevenue"] = received, opened, clicked, revenue
	m["openRate"], m["clickRate"] = nil, nil
	m["minOpenRate"], m["minClickRate"] = MinOpenRate, MinClickRate
	period := fmt.Sprintf("the last %s", count(p.Days, "day", "days"))

	if received <= 0 {
		detail := fmt.Sprintf("No email figures were synced for %s (%s to %s), so open and click rates cannot be computed.", period, m["from"], m["to"])
		if len(byDay) > 0 {
			detail = fmt.Sprintf("No emails were received in %s (%s to %s), so open and click rates cannot be computed.", period, m["from"], m["to"])
		}
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Rates unavailable", Detail: detail,
			Data: map[string]any{"received": received, "daysWithData": len(byDay)}})
		if len(byDay) == 0 {
			r.Recommendations = append(r.Recommendations, "Connect Klaviyo and run a sync so that open and click rates can be checked.")
		} else {
			r.Recommendations = append(r.Recommendations, fmt.Sprintf(
				"Check that Klaviyo records the \"Received Email\" metric: %s of figures show no emails received, so open and click rates cannot be computed.",
				count(len(byDay), "day", "days")))
		}
		return nil
	}

	openRate := float64(opened) / float64(received)
	clickRate := float64(clicked) / float64(received)
	m["openRate"], m["clickRate"] = openRate, clickRate
	var issues []string
	data := map[string]any{"received": received, "opened": opened, "clicked": clicked, "openRate": openRate, "clickRate": clickRate}
	if openRate < MinOpenRate {
		more := atLeast(received, MinOpenRate) - opened
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "Low open rate",
			Detail: fmt.Sprintf("%s of %s emails received were opened in %s: %s, below %s.",
				thousands(int64(opened)), thousands(int64(received)), period, percent(openRate), percent(MinOpenRate)),
			Data: data})
		r.Recommendations = append(r.Recommendations, fmt.Sprintf(
			"Lift the open rate from %s to %s: on the same %s emails that is %s more opens. Test subject lines and send times, and stop mailing subscribers who have not opened in months.",
			percent(openRate), percent(MinOpenRate), thousands(int64(received)), thousands(int64(max(more, 1)))))
		issues = append(issues, fmt.Sprintf("the open rate is %s", percent(openRate)))
	} else {
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Open rate",
			Detail: fmt.Sprintf("%s of %s emails received were opened in %s: %s, at or above %s.",
				thousands(int64(opened)), thousands(int64(received)), period, percent(openRate), percent(MinOpenRate)),
			Data: data})
	}
	if clickRate < MinClickRate {
		more := max(atLeast(received, MinClickRate)-clicked, 1)
		rec := fmt.Sprintf("Lift the click rate from %s to %s: on the same %s emails that is %s more clicks",
			percent(clickRate), percent(MinClickRate), thousands(int64(received)), thousands(int64(more)))
		if clicked > 0 && revenue > 0 {
			perClick := revenue / float64(clicked)
			rec += fmt.Sprintf(", about %s more revenue at this period's %s per click", money(perClick*float64(more)), money(perClick))
		}
		rec += ". Give each email one clear offer and button."
		r.Findings = append(r.Findings, Finding{Severity: SeverityWarning, Title: "Low click rate",
			Detail: fmt.Sprintf("%s of %s emails received were clicked in %s: %s, below %s.",
				thousands(int64(clicked)), thousands(int64(received)), period, percent(clickRate), percent(MinClickRate)),
			Data: data})
		r.Recommendations = append(r.Recommendations, rec)
		issues = append(issues, fmt.Sprintf("the click rate is %s", percent(clickRate)))
	} else {
		r.Findings = append(r.Findings, Finding{Severity: SeverityInfo, Title: "Click rate",
			Detail: fmt.Sprintf("%s of %s emails received were clicked in %s: %s, at or above %s.",
				thousands(int64(clicked)), thousands(int64(received)), period, percent(clickRate), percent(MinClickRate)),
			Data: data})
	}
	return issues
}

// flowIDs returns the flows' ids; never nil.
func flowIDs(flows []Flow) []string {
	out := make([]string, 0, len(flows))
	for _, f := range flows {
		out = append(out, f.ID)
	}
	return out
}

// flowList names the flows with their status: "Welcome" (draft).
func flowList(flows []Flow) string {
	var parts []string
	for _, f := range flows {
		name := strings.TrimSpace(f.Name)
		if name == "" {
			name = "flow " + f.ID
		}
		status := strings.ToLower(strings.TrimSpace(f.Status))
		if status == "" {
			status = "no status"
		}
		parts = append(parts, fmt.Sprintf("%q (%s)", text.Shorten(name, nameBytes), status))
	}
	return join(parts)
}
