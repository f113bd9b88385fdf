package agents

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Definition describes an agent of the catalog, before it is stored for an
// organization.
type Definition struct {
	// Key names the agent, unique within an organization ("roas-guardian").
	Key string
	// Name is the display name.
	Name string
	// Description says what the agent does.
	Description string
	// Kind says where the agent comes from.
	Kind Kind
	// ParametersSchema is the JSON Schema of its parameters (see
	// ValidateParameters for the subset understood).
	ParametersSchema map[string]any
	// Requires lists the integrations the agent reads; an execution fails,
	// naming the one to connect, while any is not connected.
	Requires []Requirement
}

// Requirement is an integration an agent needs.
type Requirement struct {
	// Platform is the integration's platform as the integrations module
	// names it ("TRIPLE_WHALE", "HUBSPOT", "KLAVIYO").
	Platform string
	// Label is its name for the shop owner ("Triple Whale").
	Label string
}

// CatalogSource lists the agents an organization should have. The
// built-in catalog is one; an agent service's catalog (EXTERNAL agents)
// will be another.
type CatalogSource interface {
	// Definitions returns the organization's agents from this source.
	Definitions(ctx context.Context, org bson.ObjectID) ([]Definition, error)
}

// The keys of the built-in agents.
const (
	KeyROASGuardian  = "roas-guardian"
	KeyPipelineScout = "pipeline-scout"
	KeyEmailAuditor  = "email-auditor"
)

// BuiltIn is the catalog of the agents that ship with Omnify, the same for
// every organization.
type BuiltIn struct{}

// Definitions returns the built-in agents.
func (BuiltIn) Definitions(context.Context, bson.ObjectID) ([]Definition, error) {
	return BuiltInDefinitions(), nil
}

// BuiltInDefinitions returns the built-in agents, by key.
func BuiltInDefinitions() []Definition {
	object := func(props map[string]any) map[string]any {
		return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	}
	return []Definition{
		{
			Key:         KeyEmailAuditor,
			Name:        "Email Auditor",
			Description: "Reviews Klaviyo campaigns, flows and email revenue and points out what underperforms or is missing.",
			Kind:        KindBuiltIn,
			ParametersSchema: object(map[string]any{
				"days": map[string]any{"type": "integer", "minimum": 1, "maximum": 365, "default": 30,
					"description": "How many days of email figures to review."},
			}),
			Requires: []Requirement{{Platform: "KLAVIYO", Label: "Klaviyo"}},
		},
		{
			Key:         KeyPipelineScout,
			Name:        "Pipeline Scout",
			Description: "Finds HubSpot deals that have not moved for a while and summarizes the open pipeline.",
			Kind:        KindBuiltIn,
			ParametersSchema: object(map[string]any{
				"staleDays": map[string]any{"type": "integer", "minimum": 1, "maximum": 365, "default": 14,
					"description": "A deal not updated for this many days counts as stale."},
			}),
			Requires: []Requirement{{Platform: "HUBSPOT", Label: "HubSpot"}},
		},
		{
			Key:         KeyROASGuardian,
			Name:        "ROAS Guardian",
			Description: "Watches return on ad spend from Triple Whale and flags the days and trends below target.",
			Kind:        KindBuiltIn,
			ParametersSchema: object(map[string]any{
				"days": map[string]any{"type": "integer", "minimum": 1, "maximum": 90, "default": 14,
					"description": "How many days of ad figures to review."},
				"targetRoas": map[string]any{"type": "number", "exclusiveMinimum": 0, "default": 2.0,
					"description": "The return on ad spend to hold (revenue / ad spend)."},
			}),
			Requires: []Requirement{{Platform: "TRIPLE_WHALE", Label: "Triple Whale"}},
		},
	}
}
