// Package builtin holds the three agents Omnify ships, as pure functions
// from a store's synced data to a Report: ROAS Guardian (ads, from Triple
// Whale's daily figures), Pipeline Scout (HubSpot deals) and Email Auditor
// (Klaviyo flows, campaigns and daily email figures).
//
// Every finding is computed from the data passed in; nothing is canned.
// The functions read no clock, database or network: the caller passes the
// data and the day the analysis runs (today), so that a report can be
// recomputed and tested exactly. Days are UTC calendar days, and a period
// of "the last N days" ends yesterday, the last complete day.
//
// Each agent's parameters have defaults (DefaultROASParams, ...) and a JSON
// Schema (ROASParamsSchema, ...) that the runtime validates input against
// and shows to the user. The functions accept any value: a zero field takes
// its default and a value outside the schema's range is brought to the
// nearest bound, and the Report's Metrics say which values were used.
package builtin

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The severities of a Finding, from least to most urgent.
const (
	// SeverityInfo is a fact worth knowing; nothing is wrong.
	SeverityInfo = "info"
	// SeverityWarning is something that costs money or will, and should be
	// looked at.
	SeverityWarning = "warning"
	// SeverityCritical is something losing money now.
	SeverityCritical = "critical"
)

// Report is what an agent run produces.
type Report struct {
	// Summary says in one or two plain sentences what the agent found.
	Summary string
	// Findings are what the agent noticed, most severe first.
	Findings []Finding
	// Recommendations say what to do, each with the numbers behind it.
	Recommendations []string
	// Metrics are the raw figures the findings were computed from, keyed
	// in camelCase, for the UI and for tests. Money is in the store's
	// currency; a ratio that cannot be computed (no ad spend, no email
	// received) is nil.
	Metrics map[string]any
}

// Finding is one thing an agent noticed.
type Finding struct {
	// Severity is SeverityInfo, SeverityWarning or SeverityCritical.
	Severity string
	// Title names the finding in a few words.
	Title string
	// Detail explains it with the figures behind it.
	Detail string
	// Data carries the finding's figures and the ids or dates
	// (YYYY-MM-DD) it is about; nil when it has none.
	Data map[string]any
}

// severityRank orders severities, most severe first.
func severityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// sortFindings orders findings by severity, most severe first, keeping the
// order of equally severe ones.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int { return cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)) })
}

// utcDay returns the UTC midnight of t's UTC calendar day.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dateOf formats a day as YYYY-MM-DD.
func dateOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// daysBetween is the number of calendar days from a's UTC day to b's.
func daysBetween(a, b time.Time) int {
	return int(math.Round(utcDay(b).Sub(utcDay(a)).Hours() / 24))
}

// clampInt returns v, or def when v is 0, brought into [lo, hi].
func clampInt(v, def, lo, hi int) int {
	if v == 0 {
		return def
	}
	return min(max(v, lo), hi)
}

// clampFloat returns v, or def when v is 0 or not a number, brought into
// [lo, hi].
func clampFloat(v, def, lo, hi float64) float64 {
	if v == 0 || math.IsNaN(v) {
		return def
	}
	return min(max(v, lo), hi)
}

// money formats an amount as dollars and cents with thousands separators:
// $1,234.50. The platforms do not name the currency; the dashboard assumes
// USD, and so do the reports.
func money(x float64) string {
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	cents := int64(math.Round(x * 100))
	return sign + "$" + thousands(cents/100) + fmt.Sprintf(".%02d", cents%100)
}

// thousands formats n with a comma every three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// count formats n with the singular or plural noun: "1 day", "3 days".
func count(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return thousands(int64(n)) + " " + plural
}

// ratio2 formats a ratio such as a ROAS with two decimals.
func ratio2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// percent formats a rate (0.153) as a percentage: one decimal ("15.3%"),
// two below 1% ("0.45%").
func percent(rate float64) string {
	p := rate * 100
	if math.Abs(p) < 1 {
		return strconv.FormatFloat(p, 'f', 2, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// join lists items in prose: "a", "a and b", "a, b and c".
func join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
