package app

import (
	"context"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents"
)

// testFindings is how many findings the tests' email auditor reports,
// each with a detail of testFindingBytes.
const (
	testFindings     = 1
	testFindingBytes = 10
)

// The tests' analyzers stand in for the built-in ones: they read through
// the same Source and report what they read.
func init() {
	testAnalyzers = func() map[string]agents.Analyzer {
		return map[string]agents.Analyzer{
			agents.KeyROASGuardian: agents.AnalyzerFunc(func(ctx context.Context, org bson.ObjectID, params map[string]any, data agents.Source) (agents.Report, error) {
				today := time.Now().UTC()
				days, err := data.AdDays(ctx, org, today.AddDate(0, 0, -int(params["days"].(int64))), today)
				if err != nil {
					return agents.Report{}, err
				}
				return agents.Report{Summary: "Read the ad days.", Metrics: map[string]any{"days": len(days)},
					Findings: []agents.Finding{{Severity: "info", Title: "Days read"}}}, nil
			}),
			agents.KeyPipelineScout: agents.AnalyzerFunc(func(ctx context.Context, org bson.ObjectID, _ map[string]any, data agents.Source) (agents.Report, error) {
				deals, err := data.Deals(ctx, org)
				if err != nil {
					return agents.Report{}, err
				}
				return agents.Report{Summary: "Read the deals.", Metrics: map[string]any{"deals": len(deals)}}, nil
			}),
			agents.KeyEmailAuditor: agents.AnalyzerFunc(func(ctx context.Context, org bson.ObjectID, _ map[string]any, data agents.Source) (agents.Report, error) {
				flows, err := data.Flows(ctx, org)
				if err != nil {
					return agents.Report{}, err
				}
				r := agents.Report{Summary: "Read the flows.", Metrics: map[string]any{"flows": len(flows)}}
				for range testFindings {
					r.Findings = append(r.Findings, agents.Finding{Severity: "info", Title: "Flow", Detail: strings.Repeat("x", testFindingBytes)})
				}
				return r, nil
			}),
		}
	}
}
