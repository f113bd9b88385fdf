package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/globalid"
	"github.com/omnify/bff/internal/legal"
)

// orgLegalPending is one item of me.organization.legal.pending.
type orgLegalPending struct {
	Document struct {
		ID, Kind string
		Version  int
		Body     string
	}
	SignableBy   string
	PendingSince string
}

// organizationLegal returns the active organization's legal standing as c sees it.
func organizationLegal(t *testing.T, c *apptest.Client) (upToDate bool, pending []orgLegalPending) {
	t.Helper()
	var out struct {
		Me struct {
			Organization struct {
				Legal struct {
					UpToDate bool
					Pending  []orgLegalPending
				}
			}
		}
	}
	c.MustData(t, `{ me { organization { legal { upToDate pending { document { id kind version body } signableBy pendingSince } } } } }`, nil, &out)
	l := out.Me.Organization.Legal
	return l.UpToDate, l.Pending
}

// switchTo makes orgID the active organization of a's session.
func switchTo(t *testing.T, a account, orgID string) {
	t.Helper()
	a.c.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": orgID}, nil)
}

// auditRecord is one record of the legalAcceptances audit list.
type auditRecord struct {
	ID       string
	Scope    string
	Role     string
	Document struct {
		Kind    string
		Version int
	}
	User         struct{ Email string }
	Organization struct{ ID string }
	IP           string
	UserAgent    string
}

// auditList returns the active organization's acceptance records as its OWNER a sees them.
func auditList(t *testing.T, a account) []auditRecord {
	t.Helper()
	var out struct {
		LegalAcceptances struct {
			Nodes      []auditRecord
			TotalCount int
		}
	}
	a.c.MustData(t, `{ legalAcceptances(first: 50) { nodes { id scope role document { kind version } user { email } organization { id } ip userAgent } totalCount } }`, nil, &out)
	if len(out.LegalAcceptances.Nodes) != out.LegalAcceptances.TotalCount {
		t.Fatalf("audit list: %d nodes, totalCount %d", len(out.LegalAcceptances.Nodes), out.LegalAcceptances.TotalCount)
	}
	return out.LegalAcceptances.Nodes
}

const acceptDocuments = `mutation($ids: [ID!]!) { acceptLegalDocuments(input: {documentIds: $ids}) { acceptances { id scope role document { kind version } user { email } organization { id } } legal { upToDate pending { id } } } }`

// TestLegalDPAIsSignedByAnOwnerForTheOrganization publishes a new DPA
// version against a running server, as `omnify legal publish` does, with
// an organization's OWNERs, ADMIN and MEMBER signed in: only the OWNERs are
// stopped, the others see who must sign and since when, one OWNER signs for
// everyone, and syncs and agent runs go on meanwhile.
func TestLegalDPAIsSignedByAnOwnerForTheOrganization(t *testing.T) {
	p := newPlatforms(t)
	// The app runs on its own embedded database under its data directory,
	// so that the operator's publish command can use the same directory.
	env := apptest.Start(t, dbs, p.configure, func(c *config.Config) { c.MongoURI = "" })
	alice := signUp(t, env, "alice@example.com", "Acme") // OWNER of Acme
	bob := signUp(t, env, "bob@example.com", "Bob Co")
	carol := signUp(t, env, "carol@example.com", "Carol Co")
	dave := signUp(t, env, "dave@example.com", "Dave Co")
	for _, m := range []struct {
		a    account
		role string
	}{{bob, "MEMBER"}, {carol, "ADMIN"}, {dave, "OWNER"}} {
		addMember(t, alice, m.a, m.role)
		switchTo(t, m.a, alice.orgID)
	}

	// Sign-up signed DPA version 1 for the new organization.
	before := auditList(t, alice)
	if len(before) != 3 || before[0].Scope != "ORGANIZATION" || before[0].Document.Kind != "DATA_PROCESSING_AGREEMENT" ||
		before[0].Role != "OWNER" || before[0].User.Email != alice.email || before[0].Organization.ID != alice.orgID {
		t.Fatalf("audit list after sign-up: %+v, want the organization's DPA acceptance first", before)
	}
	for _, r := range before[1:] {
		if r.Scope != "PERSONAL" || r.Document.Kind == "DATA_PROCESSING_AGREEMENT" {
			t.Fatalf("audit list after sign-up: %+v", before)
		}
	}

	// Background work to check it goes on while the OWNERs are stopped.
	if r := connect(t, alice.c, "KLAVIYO", klGoodKey, ""); len(r.Errors) != 0 {
		t.Fatalf("connect: %+v", r.Errors)
	}
	waitFor(t, "the first sync", func() bool { return listIntegrations(t, alice.c)["KLAVIYO"].LastSyncedAt != nil })
	var keyOut struct{ CreateApiKey struct{ Secret string } }
	alice.c.MustData(t, `mutation { createApiKey(input: {name: "partner", scope: READ}) { secret } }`, nil, &keyOut)
	partner := env.Client()
	partner.Header.Set("Authorization", "Bearer "+keyOut.CreateApiKey.Secret)

	// An operator publishes DPA version 2 against the same data directory.
	file := []byte("# Omnify Data Processing Agreement\n\nVersion 2: we added a sub-processor.\n")
	dpa2, err := app.PublishLegalDocument(context.Background(), env.Config, slog.New(slog.DiscardHandler),
		app.PublishInput{Kind: legal.DataProcessingAgreement, Title: "Omnify Data Processing Agreement", File: file})
	if err != nil || dpa2.Version != 2 {
		t.Fatalf("publish: %+v %v", dpa2, err)
	}

	const gated = `{ integrations { platform } }`
	t.Run("the OWNERs are stopped for the DPA alone", func(t *testing.T) {
		for _, owner := range []account{alice, dave} {
			r := owner.c.Do(t, gated, nil)
			if r.Code() != "LEGAL_ACCEPTANCE_REQUIRED" {
				t.Fatalf("%s: %+v", owner.email, r.Errors)
			}
			pending, _ := r.Errors[0].Extensions["pending"].([]any)
			if len(pending) != 1 || !strings.Contains(fmt.Sprint(pending), "kind:DATA_PROCESSING_AGREEMENT") ||
				!strings.Contains(fmt.Sprint(pending), "version:2") || !strings.Contains(fmt.Sprint(pending), "scope:ORGANIZATION") {
				t.Fatalf("%s: extensions.pending = %v, want DPA version 2 only", owner.email, pending)
			}
			if msg := r.Errors[0].Message; !strings.Contains(msg, "on behalf of the organization") {
				t.Errorf("message %q does not say the owner signs for the organization", msg)
			}
			upToDate, list, _ := legalStatus(t, owner.c)
			if upToDate || len(list) != 1 || list[0].Kind != "DATA_PROCESSING_AGREEMENT" || list[0].Version != 2 || list[0].Body == "" {
				t.Fatalf("%s: me.legal = %v %+v", owner.email, upToDate, list)
			}
		}
	})

	t.Run("the MEMBER and the ADMIN go on and see who must sign since when", func(t *testing.T) {
		for _, m := range []account{bob, carol} {
			if r := m.c.Do(t, gated, nil); len(r.Errors) != 0 {
				t.Fatalf("%s stopped by the new DPA: %+v", m.email, r.Errors)
			}
			if upToDate, list, _ := legalStatus(t, m.c); !upToDate || len(list) != 0 {
				t.Errorf("%s: me.legal = %v %+v, want nothing pending", m.email, upToDate, list)
			}
			upToDate, pending := organizationLegal(t, m.c)
			if upToDate || len(pending) != 1 {
				t.Fatalf("%s: me.organization.legal = %v %+v, want the DPA", m.email, upToDate, pending)
			}
			got := pending[0]
			since, err := time.Parse(time.RFC3339, got.PendingSince)
			if got.Document.Kind != "DATA_PROCESSING_AGREEMENT" || got.Document.Version != 2 || got.Document.Body == "" ||
				got.SignableBy != "OWNER" || err != nil || !since.Equal(dpa2.PublishedAt) {
				t.Errorf("%s: pending %+v, want DPA 2 signable by OWNER since %s", m.email, got, dpa2.PublishedAt)
			}
		}
		if r := partner.Do(t, gated, nil); len(r.Errors) != 0 {
			t.Fatalf("API key stopped by the new DPA: %+v", r.Errors)
		}
	})

	t.Run("only an OWNER can sign, and a refused request records nothing", func(t *testing.T) {
		for _, m := range []account{bob, carol} {
			_, _, mine := legalStatus(t, m.c)
			r := m.c.Do(t, acceptDocuments, map[string]any{"ids": currentLegalIDs(t, env)})
			if r.Code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "OWNER signs") {
				t.Fatalf("%s signs the DPA: %+v", m.email, r.Errors)
			}
			if _, _, n := legalStatus(t, m.c); n != mine {
				t.Fatalf("%s's refused acceptance wrote %d records", m.email, n-mine)
			}
			if upToDate, _ := organizationLegal(t, m.c); upToDate {
				t.Fatalf("%s's refused acceptance signed for the organization", m.email)
			}
		}
	})

	t.Run("syncs and agent runs go on", func(t *testing.T) {
		var sync struct {
			SyncIntegration struct{ Sync struct{ ID string } }
		}
		bob.c.MustData(t, `mutation { syncIntegration(input: {platform: KLAVIYO}) { sync { id } } }`, nil, &sync)
		waitFor(t, "the sync", func() bool {
			for _, s := range listIntegrations(t, bob.c)["KLAVIYO"].Syncs.Nodes {
				if s.ID == sync.SyncIntegration.Sync.ID {
					return s.Status == "SUCCEEDED"
				}
			}
			return false
		})
		exec := runAgent(t, bob.c, agentIDs(t, bob.c)["email-auditor"], nil)
		if status := waitEnded(t, bob.c, exec); status != "SUCCEEDED" {
			t.Fatalf("agent run while the OWNERs are stopped: %s", status)
		}
	})

	var signed auditRecord
	t.Run("one OWNER signs for every OWNER and member", func(t *testing.T) {
		var out struct {
			AcceptLegalDocuments struct {
				Acceptances []auditRecord
				Legal       struct{ UpToDate bool }
			}
		}
		alice.c.MustData(t, acceptDocuments, map[string]any{"ids": []string{globalIDOfDocument(dpa2)}}, &out)
		a := out.AcceptLegalDocuments
		if len(a.Acceptances) != 1 || !a.Legal.UpToDate {
			t.Fatalf("accept: %+v", a)
		}
		signed = a.Acceptances[0]
		if signed.Scope != "ORGANIZATION" || signed.Role != "OWNER" || signed.User.Email != alice.email ||
			signed.Organization.ID != alice.orgID || signed.Document.Version != 2 {
			t.Fatalf("the organization's acceptance: %+v", signed)
		}
		for _, owner := range []account{alice, dave} {
			if r := owner.c.Do(t, gated, nil); len(r.Errors) != 0 {
				t.Fatalf("%s after the organization signed: %+v", owner.email, r.Errors)
			}
		}
		if upToDate, pending := organizationLegal(t, bob.c); !upToDate || len(pending) != 0 {
			t.Fatalf("the member's view after the organization signed: %v %+v", upToDate, pending)
		}
		// The other OWNER accepting again gets the same record.
		var again struct {
			AcceptLegalDocuments struct{ Acceptances []auditRecord }
		}
		dave.c.MustData(t, acceptDocuments, map[string]any{"ids": []string{globalIDOfDocument(dpa2)}}, &again)
		if got := again.AcceptLegalDocuments.Acceptances; len(got) != 1 || got[0].ID != signed.ID {
			t.Fatalf("second OWNER's acceptance: %+v, want %s", got, signed.ID)
		}
	})

	t.Run("the same person is stopped in another organization until it signs there", func(t *testing.T) {
		switchTo(t, dave, dave.orgID)
		r := dave.c.Do(t, gated, nil)
		if r.Code() != "LEGAL_ACCEPTANCE_REQUIRED" || !strings.Contains(fmt.Sprint(r.Errors[0].Extensions["pending"]), "version:2") {
			t.Fatalf("dave in his own organization: %+v", r.Errors)
		}
		var out struct {
			AcceptLegalDocuments struct{ Acceptances []auditRecord }
		}
		dave.c.MustData(t, acceptDocuments, map[string]any{"ids": []string{globalIDOfDocument(dpa2)}}, &out)
		if got := out.AcceptLegalDocuments.Acceptances; len(got) != 1 || got[0].ID == signed.ID || got[0].Organization.ID != dave.orgID {
			t.Fatalf("dave signs for his organization: %+v", got)
		}
		if r := dave.c.Do(t, gated, nil); len(r.Errors) != 0 {
			t.Fatalf("dave after signing: %+v", r.Errors)
		}
	})

	t.Run("the audit list shows the organization's acceptances beside personal ones", func(t *testing.T) {
		after := auditList(t, alice)
		if len(after) != len(before)+1 || after[0].ID != signed.ID || after[0].Scope != "ORGANIZATION" {
			t.Fatalf("audit list: %+v, want the new signature first", after)
		}
		scopes := map[string]int{}
		for _, r := range after {
			scopes[r.Scope]++
			if r.Organization.ID != alice.orgID {
				t.Errorf("record of another organization: %+v", r)
			}
		}
		if scopes["ORGANIZATION"] != 2 || scopes["PERSONAL"] != 2 {
			t.Errorf("scopes %v, want 2 organization and 2 personal records", scopes)
		}
		// node(id:) finds it for the OWNERs, and nobody else.
		const node = `query($id: ID!) { node(id: $id) { __typename id ... on LegalAcceptance { scope } } }`
		var got struct{ Node map[string]any }
		dave.c.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": alice.orgID}, nil)
		for _, owner := range []account{alice, dave} {
			owner.c.MustData(t, node, map[string]any{"id": signed.ID}, &got)
			if got.Node["id"] != signed.ID || got.Node["scope"] != "ORGANIZATION" {
				t.Errorf("%s: node = %v", owner.email, got.Node)
			}
		}
		if r := bob.c.Do(t, node, map[string]any{"id": signed.ID}); r.Code() != "NOT_FOUND" {
			t.Errorf("a member reads the signature by id: %s %+v", r.Data, r.Errors)
		}
		// The signer finds it among their own acceptances.
		var mine struct {
			Me struct {
				Legal struct {
					Acceptances struct{ Nodes []auditRecord }
				}
			}
		}
		alice.c.MustData(t, `{ me { legal { acceptances { nodes { id scope } } } } }`, nil, &mine)
		if n := mine.Me.Legal.Acceptances.Nodes; len(n) == 0 || n[0].ID != signed.ID {
			t.Errorf("alice's own acceptances: %+v", n)
		}
	})
}

// globalIDOfDocument is the global id of a published version.
func globalIDOfDocument(d legal.Document) string {
	return globalid.EncodeObjectID("LegalDocument", d.ID)
}

// An ADMIN does not sign the DPA, so a new DPA version does not stop an
// ADMIN; the OWNER, who signs for the organization, is stopped.
func TestLegalNewDPAVersionDoesNotStopAnAdmin(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MongoURI = "" })
	owner := signUp(t, env, "owner@example.com", "Acme")
	admin := signUp(t, env, "admin@example.com", "Admin Co")
	addMember(t, owner, admin, "ADMIN")
	switchTo(t, admin, owner.orgID)

	file := []byte("# Omnify Data Processing Agreement\n\nVersion 2.\n")
	if _, err := app.PublishLegalDocument(context.Background(), env.Config, slog.New(slog.DiscardHandler),
		app.PublishInput{Kind: legal.DataProcessingAgreement, Title: "Omnify Data Processing Agreement", File: file}); err != nil {
		t.Fatal(err)
	}
	if r := admin.c.Do(t, `{ integrations { platform } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("the ADMIN is stopped by a new DPA version: %+v", r.Errors)
	}
	if upToDate, pending, _ := legalStatus(t, admin.c); !upToDate || len(pending) != 0 {
		t.Fatalf("the ADMIN's me.legal: %v %+v", upToDate, pending)
	}
	if r := owner.c.Do(t, `{ integrations { platform } }`, nil); r.Code() != "LEGAL_ACCEPTANCE_REQUIRED" {
		t.Fatalf("the OWNER is not stopped by a new DPA version: %+v", r.Errors)
	}
}
