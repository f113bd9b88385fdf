package app

import (
	"context"
	"strings"

	"github.com/omnify/bff/graph"
	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/httpserver"
	"github.com/omnify/bff/internal/legal"
)

// ungated reports the root fields a signed-in user may use while a required
// legal document is pending: enough to see, read and accept it, or leave.
// Of `me`, only the user and where they stand with the documents: the
// organization's data waits for the acceptance (see ungatedUnderMe).
func ungated(field string, subfields []string) bool {
	switch field {
	case "me":
		for _, f := range subfields {
			if !ungatedUnderMe(f) {
				return false
			}
		}
		return true
	case "legalDocuments", "legalDocument", "acceptLegalDocuments", "logOut", "logIn":
		return true
	}
	return strings.HasPrefix(field, "__") // introspection and __typename
}

// ungatedUnderMe reports the fields of the viewer a user with a pending
// legal document may read.
func ungatedUnderMe(field string) bool {
	return field == "user" || field == "legal" || field == "__typename"
}

// legalGate refuses every other operation, subscriptions included, while
// the signed-in user has a required current legal document pending.
// Partner API keys are not gated. Pending documents are looked up only when
// the operation asks for something gated, so `me` costs nothing extra.
func legalGate(svc *legal.Service) httpserver.Gate {
	return func(ctx context.Context, op httpserver.Operation) error {
		p := authz.FromContext(ctx)
		if p == nil || p.IsAPIKey() {
			return nil
		}
		gated := false
		for _, f := range op.Fields {
			if !ungated(f, op.Subfields[f]) {
				gated = true
				break
			}
		}
		if !gated {
			return nil
		}
		pending, err := svc.Pending(ctx, p.UserID, p.Role)
		if err != nil || len(pending) == 0 {
			return err
		}
		list := make([]map[string]any, len(pending))
		names := make([]string, len(pending))
		for i, d := range pending {
			list[i] = map[string]any{"id": graph.LegalDocumentID(d.ID), "kind": string(d.Kind), "version": d.Version, "title": d.Title}
			names[i] = d.Title
		}
		return apperr.New(apperr.LegalAcceptanceRequired,
			"Accept the current %s to continue.", strings.Join(names, ", ")).With("pending", list)
	}
}
