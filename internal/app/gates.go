package app

import (
	"context"
	"fmt"
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
// the signed-in user has a required current legal document pending in the
// active organization: the terms or privacy policy not accepted personally,
// and for an OWNER the data processing agreement the organization has not
// signed. Other members are not blocked by an unsigned DPA (they see it on
// `me.organization.legal`), partner API keys are not gated, and neither is
// background work (syncs, agent runs), which never passes through here.
// Pending documents are looked up only when the operation asks for
// something gated, so `me` costs nothing extra; a gated operation costs at
// most three queries more, none reading a document's body (see
// legal.Service.Pending).
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
		pending, err := svc.Pending(ctx, p)
		if err != nil || len(pending) == 0 {
			return err
		}
		list := make([]map[string]any, len(pending))
		var personal, signed []string
		for i, d := range pending {
			list[i] = map[string]any{"id": graph.LegalDocumentID(d.ID), "kind": string(d.Kind), "version": d.Version, "title": d.Title,
				"scope": string(d.Kind.Scope())}
			if d.Kind.Scope() == legal.ScopeOrganization {
				signed = append(signed, d.Title)
			} else {
				personal = append(personal, d.Title)
			}
		}
		var msg string
		switch {
		case len(signed) == 0:
			msg = fmt.Sprintf("Accept the current %s to continue.", strings.Join(personal, ", "))
		case len(personal) == 0:
			msg = fmt.Sprintf("As an owner, accept the current %s on behalf of the organization to continue.", strings.Join(signed, ", "))
		default:
			msg = fmt.Sprintf("Accept the current %s and, as an owner, the %s on behalf of the organization to continue.",
				strings.Join(personal, ", "), strings.Join(signed, ", "))
		}
		return apperr.New(apperr.LegalAcceptanceRequired, "%s", msg).With("pending", list)
	}
}
