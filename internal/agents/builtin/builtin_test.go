package builtin

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// today is the day the tests run the agents on: noon, so that a time of day
// that is not midnight is part of every test.
var today = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// day returns midnight UTC of a day of 2026.
func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func ptr[T any](v T) *T { return &v }

// near reports whether two figures agree to a billionth.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// wantMetrics fails the test unless each of want's metrics is in got, equal
// (floats to a billionth).
func wantMetrics(t *testing.T, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("metric %s missing", k)
			continue
		}
		if gf, ok := g.(float64); ok {
			if wf, ok := w.(float64); ok && near(gf, wf) {
				continue
			}
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("metric %s = %#v, want %#v", k, g, w)
		}
	}
}

// titles returns the severity and title of each finding, in order.
func titles(r Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Severity+": "+f.Title)
	}
	return out
}

// finding returns the finding titled title, or fails the test.
func finding(t *testing.T, r Report, title string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Title == title {
			return f
		}
	}
	t.Fatalf("no finding %q in %q", title, titles(r))
	return Finding{}
}

// wantText fails the test unless s contains every part.
func wantText(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s %q does not contain %q", what, s, p)
		}
	}
}

// wantWellFormed fails the test unless the report has every part, its
// findings go from most to least severe, each with a known severity, a
// title and a detail, and it marshals to JSON.
func wantWellFormed(t *testing.T, r Report) {
	t.Helper()
	if r.Summary == "" || len(r.Findings) == 0 || len(r.Recommendations) == 0 || r.Metrics == nil {
		t.Errorf("report missing a part: %+v", r)
	}
	for i, f := range r.Findings {
		if f.Severity != SeverityInfo && f.Severity != SeverityWarning && f.Severity != SeverityCritical {
			t.Errorf("finding %q has severity %q", f.Title, f.Severity)
		}
		if f.Title == "" || f.Detail == "" {
			t.Errorf("finding %d without a title or detail: %+v", i, f)
		}
		if i > 0 && severityRank(r.Findings[i-1].Severity) > severityRank(f.Severity) {
			t.Errorf("findings out of order: %q", titles(r))
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("report does not marshal to JSON: %v", err)
	}
}

// datePattern finds the YYYY-MM-DD dates a text mentions.
var datePattern = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

// findingDates returns every date a finding mentions: in its title, its
// detail and its data.
func findingDates(f Finding) []time.Time {
	var out []time.Time
	for _, s := range datePattern.FindAllString(f.Title+" "+f.Detail+" "+fmt.Sprint(f.Data), -1) {
		d, err := time.Parse(time.DateOnly, s)
		if err == nil {
			out = append(out, d)
		}
	}
	return out
}

// wantDatesWithin fails the test unless every date the findings mention
// is from first to last.
func wantDatesWithin(t *testing.T, r Report, first, last time.Time) {
	t.Helper()
	for _, f := range r.Findings {
		for _, d := range findingDates(f) {
			if d.Before(first) || d.After(last) {
				t.Fatalf("finding %q mentions %s, outside %s to %s: %s", f.Title, dateOf(d), dateOf(first), dateOf(last), f.Detail)
			}
		}
	}
}

func TestFormatting(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{money(0), "$0.00"},
		{money(1234.5), "$1,234.50"},
		{money(999.995), "$1,000.00"},
		{money(-1234567.891), "-$1,234,567.89"},
		{percent(0.153), "15.3%"},
		{percent(0.0045), "0.45%"},
		{percent(0.01), "1.0%"},
		{ratio2(1.625), "1.62"},
		{count(1, "day", "days"), "1 day"},
		{count(1200, "day", "days"), "1,200 days"},
		{join([]string{"a", "b", "c"}), "a, b and c"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestSchemas checks each schema against its parameters: one property per
// JSON field, with the default of the Default function, and nothing else
// allowed.
func TestSchemas(t *testing.T) {
	for _, tt := range []struct {
		name     string
		schema   map[string]any
		defaults any
	}{
		{"ROAS Guardian", ROASParamsSchema, DefaultROASParams()},
		{"Pipeline Scout", PipelineParamsSchema, DefaultPipelineParams()},
		{"Email Auditor", EmailParamsSchema, DefaultEmailParams()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			var schema struct {
				Type                 string `json:"type"`
				AdditionalProperties *bool  `json:"additionalProperties"`
				Properties           map[string]struct {
					Type        string   `json:"type"`
					Minimum     *float64 `json:"minimum"`
					Maximum     *float64 `json:"maximum"`
					Default     any      `json:"default"`
					Description string   `json:"description"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(b, &schema); err != nil {
				t.Fatal(err)
			}
			if schema.Type != "object" || schema.AdditionalProperties == nil || *schema.AdditionalProperties {
				t.Errorf("schema %s: want an object without additional properties", b)
			}
			var defaults map[string]any
			db, _ := json.Marshal(tt.defaults)
			_ = json.Unmarshal(db, &defaults)
			if len(defaults) != len(schema.Properties) {
				t.Errorf("parameters %v, schema properties %v", defaults, schema.Properties)
			}
			for name, def := range defaults {
				p, ok := schema.Properties[name]
				if !ok {
					t.Errorf("no property %s", name)
					continue
				}
				if p.Type != "integer" && p.Type != "number" || p.Minimum == nil || p.Maximum == nil || p.Description == "" {
					t.Errorf("property %s = %+v", name, p)
					continue
				}
				if p.Default != def || def.(float64) < *p.Minimum || def.(float64) > *p.Maximum {
					t.Errorf("property %s: default %v, want %v within %v..%v", name, p.Default, def, *p.Minimum, *p.Maximum)
				}
			}
		})
	}
}

// TestParamsDefaultsAndBounds runs each agent with zero and out-of-range
// parameters: zeros take the defaults, other values the nearest bound.
func TestParamsDefaultsAndBounds(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  map[string]any
		want map[string]any
	}{
		{"ROAS zero", ROASGuardian(ROASParams{}, nil, today).Metrics, map[string]any{"days": 14, "targetRoas": 2.0, "from": "2026-03-01"}},
		{"ROAS too far", ROASGuardian(ROASParams{Days: 1000, TargetROAS: -3}, nil, today).Metrics, map[string]any{"days": 90, "targetRoas": 0.1}},
		{"ROAS NaN", ROASGuardian(ROASParams{Days: -5, TargetROAS: math.NaN()}, nil, today).Metrics, map[string]any{"days": 1, "targetRoas": 2.0}},
		{"pipeline zero", PipelineScout(PipelineParams{}, nil, today).Metrics, map[string]any{"staleDays": 14}},
		{"pipeline too far", PipelineScout(PipelineParams{StaleDays: 9999}, nil, today).Metrics, map[string]any{"staleDays": 365}},
		{"email zero", EmailAuditor(EmailParams{}, nil, nil, nil, today).Metrics, map[string]any{"days": 30, "from": "2026-02-13"}},
		{"email too far", EmailAuditor(EmailParams{Days: -1}, nil, nil, nil, today).Metrics, map[string]any{"days": 1, "from": "2026-03-14"}},
	} {
		t.Run(tt.name, func(t *testing.T) { wantMetrics(t, tt.got, tt.want) })
	}
}
