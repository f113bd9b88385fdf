package graph

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/globalid"
)

// The GraphQL type names that global ids carry. node(id:) dispatches on them.
const (
	typeUser                   = "User"
	typeOrganization           = "Organization"
	typeMember                 = "Member"
	typeOrganizationMembership = "OrganizationMembership"
	typeAPIKey                 = "ApiKey"
	typeInvitation             = "Invitation"
	typeViewer                 = "Viewer"
	typeLegalDocument          = "LegalDocument"
	typeLegalAcceptance        = "LegalAcceptance"
	typeIntegration            = "Integration"
	typeIntegrationSync        = "IntegrationSync"
	typeIntegrationEvent       = "IntegrationEvent"
	typeDeal                   = "Deal"
	typeContact                = "Contact"
	typeEmailCampaign          = "EmailCampaign"
	typeEmailFlow              = "EmailFlow"
	typeEmailRevenueSource     = "EmailRevenueSource"
	typeAgent                  = "Agent"
	typeAgentExecution         = "AgentExecution"
)

// oid is the global id of an object keyed by an ObjectID.
func oid(typ string, id bson.ObjectID) string { return globalid.EncodeObjectID(typ, id) }

// keyOf joins the parts of a compound key; no part contains a colon except
// possibly the last.
func keyOf(parts ...string) string {
	k := parts[0]
	for _, p := range parts[1:] {
		k += ":" + p
	}
	return k
}

// decodeOID decodes a global id given in the input field field, which must
// name an object of type typ keyed by an ObjectID.
func decodeOID(id, typ, field string) (bson.ObjectID, error) {
	return globalid.DecodeObjectID(id, typ, field)
}

// LegalDocumentID is the global id of a legal document version, for the
// legal gate's extensions.pending, which lists documents outside the schema.
func LegalDocumentID(id bson.ObjectID) string { return oid(typeLegalDocument, id) }
