package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/globalid"
	"github.com/omnify/bff/internal/legal"
)

type legalDoc struct {
	ID, Kind, Title, Body, BodySha256 string
	Version                           int
	Required                          bool
}

func signUpWithoutAccepting(t *testing.T, env *apptest.Env, email string) account {
	t.Helper()
	c := env.Client()
	var out struct{ SignUp struct{ Viewer viewerData } }
	c.MustData(t, signUpMutation, map[string]any{"input": map[string]any{
		"email": email, "password": "correct horse battery", "name": "N", "organizationName": "Org of " + email}}, &out)
	return account{c: c, userID: out.SignUp.Viewer.User.ID, orgID: out.SignUp.Viewer.Organization.ID, email: email, pass: "correct horse battery"}
}

func legalStatus(t *testing.T, c *apptest.Client) (upToDate bool, pending []legalDoc, accepted int) {
	t.Helper()
	var out struct {
		Me struct {
			Legal struct {
				UpToDate    bool
				Pending     []legalDoc
				Acceptances struct {
					Nodes []struct {
						Document   struct{ Kind string }
						AcceptedAt string
					}
					TotalCount int
				}
			}
		}
	}
	c.MustData(t, `{ me { legal { upToDate pending { id kind version title body required } acceptances { nodes { document { kind version title } acceptedAt } totalCount } } } }`, nil, &out)
	l := out.Me.Legal
	if len(l.Acceptances.Nodes) != l.Acceptances.TotalCount {
		t.Fatalf("me.legal.acceptances: %d nodes, totalCount %d", len(l.Acceptances.Nodes), l.Acceptances.TotalCount)
	}
	return l.UpToDate, l.Pending, len(l.Acceptances.Nodes)
}

func TestLegalGateAndAcceptance(t *testing.T) {
	// The app runs on its own embedded database under its data directory,
	// so that the operator's publish command can use the same directory.
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MongoURI = "" })

	var docs struct{ LegalDocuments []legalDoc }
	env.Client().MustData(t, `{ legalDocuments { id kind version title body bodySha256 required } }`, nil, &docs)
	if len(docs.LegalDocuments) != 3 {
		t.Fatalf("legalDocuments: %+v", docs)
	}
	for i, kind := range []string{"TERMS_OF_SERVICE", "PRIVACY_POLICY", "DATA_PROCESSING_AGREEMENT"} {
		d := docs.LegalDocuments[i]
		if d.Kind != kind || d.Version != 1 || len(d.Body) < 500 || len(d.BodySha256) != 64 || !d.Required {
			t.Fatalf("document %d: %+v", i, d)
		}
	}

	alice := signUpWithoutAccepting(t, env, "alice@example.com")
	upToDate, pending, _ := legalStatus(t, alice.c)
	if upToDate || len(pending) != 3 || pending[0].Body == "" {
		t.Fatalf("a new OWNER has all three pending with their text: %v %+v", upToDate, pending)
	}

	createKey := `mutation { createApiKey(input: {name: "k", scope: READ_WRITE}) { secret } }`
	r := alice.c.Do(t, createKey, nil)
	if r.Code() != "LEGAL_ACCEPTANCE_REQUIRED" {
		t.Fatalf("gated mutation: %+v", r.Errors)
	}
	if p, _ := r.Errors[0].Extensions["pending"].([]any); len(p) != 3 || !strings.Contains(fmt.Sprint(p), "TERMS_OF_SERVICE") {
		t.Fatalf("extensions.pending = %v", r.Errors[0].Extensions["pending"])
	}
	if r := alice.c.Do(t, `{ serverInfo { version } }`, nil); r.Code() != "LEGAL_ACCEPTANCE_REQUIRED" {
		t.Fatalf("gated query: %+v", r.Errors)
	}
	// Of me, only the user and the documents to accept: the organization's
	// data waits, however it is asked for.
	for _, q := range []string{
		`{ me { organization { name } } }`,
		`{ me { user { email } role } }`,
		`{ me { ...V } } fragment V on Viewer { organizations { nodes { organization { name } } } }`,
		`{ me { ... on Viewer { apiKey { id } } } }`,
	} {
		if r := alice.c.Do(t, q, nil); r.Code() != "LEGAL_ACCEPTANCE_REQUIRED" || len(r.Data) > 0 && string(r.Data) != "null" {
			t.Fatalf("%s with documents pending: %s %+v", q, r.Data, r.Errors)
		}
	}
	var mine struct {
		Me struct{ User struct{ Email string } }
	}
	alice.c.MustData(t, `{ me { __typename user { email } legal { upToDate } } }`, nil, &mine)
	if mine.Me.User.Email != "alice@example.com" {
		t.Fatalf("me.user with documents pending: %+v", mine)
	}
	// Gated over WebSocket too.
	ws := mustDialWSWithCookie(t, env, alice.c)
	ws.initAndAck()
	ws.send(wsMsg{ID: "1", Type: "subscribe", Payload: map[string]any{"query": "{ serverInfo { version } }"}})
	if m := ws.read(false); !strings.Contains(toJSON(m.Payload), "LEGAL_ACCEPTANCE_REQUIRED") {
		t.Fatalf("websocket operation not gated: %+v", m)
	}

	accept := func(ids ...string) apptest.Response {
		return alice.c.Do(t, `mutation($ids: [ID!]!) { acceptLegalDocuments(input: {documentIds: $ids}) { acceptances { document { kind version } ip userAgent } legal { upToDate } } }`,
			map[string]any{"ids": ids})
	}
	ids := []string{docs.LegalDocuments[0].ID, docs.LegalDocuments[1].ID, docs.LegalDocuments[2].ID}
	unknown := globalid.EncodeObjectID("LegalDocument", bson.NewObjectID())
	for name, bad := range map[string][]string{
		"empty list":        {},
		"malformed id":      {"not-an-id"},
		"another type's id": {globalid.EncodeObjectID("User", bson.NewObjectID())},
		"unknown id":        {ids[0], unknown},
		"duplicate id":      {ids[0], ids[0]},
	} {
		t.Run("accept refuses "+name, func(t *testing.T) {
			r := accept(bad...)
			if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "documentIds" {
				t.Fatalf("%+v", r.Errors)
			}
			if name == "unknown id" && !strings.Contains(r.Errors[0].Message, "documentIds[1]") {
				t.Fatalf("message does not name the id: %s", r.Errors[0].Message)
			}
		})
	}
	if _, _, n := legalStatus(t, alice.c); n != 0 {
		t.Fatalf("refused acceptances wrote %d records", n)
	}

	var accepted struct {
		AcceptLegalDocuments struct {
			Acceptances []struct {
				Document      struct{ Kind string }
				IP, UserAgent string
			}
			Legal struct{ UpToDate bool }
		}
	}
	alice.c.MustData(t, `mutation($ids: [ID!]!) { acceptLegalDocuments(input: {documentIds: $ids}) { acceptances { document { kind } ip userAgent } legal { upToDate } } }`,
		map[string]any{"ids": ids}, &accepted)
	if a := accepted.AcceptLegalDocuments; !a.Legal.UpToDate || len(a.Acceptances) != 3 || a.Acceptances[0].IP != "127.0.0.1" || a.Acceptances[0].UserAgent == "" {
		t.Fatalf("accepted: %+v", a)
	}
	// Accepting again is a no-op that keeps the first records.
	if r := accept(ids...); len(r.Errors) != 0 {
		t.Fatalf("accept again: %+v", r.Errors)
	}
	if _, _, n := legalStatus(t, alice.c); n != 3 {
		t.Fatalf("%d records after accepting twice, want 3", n)
	}
	var key struct{ CreateApiKey struct{ Secret string } }
	alice.c.MustData(t, createKey, nil, &key)

	// An operator publishes terms version 2 against the same data directory.
	file := []byte("# Omnify Terms of Service\n\nVersion 2 of the terms: we changed the notice period.\n")
	doc, err := app.PublishLegalDocument(context.Background(), env.Config, slog.New(slog.DiscardHandler),
		app.PublishInput{Kind: legal.TermsOfService, Title: "Omnify Terms of Service", File: file})
	if err != nil || doc.Version != 2 {
		t.Fatalf("publish: %+v %v", doc, err)
	}

	r = alice.c.Do(t, createKey, nil)
	if r.Code() != "LEGAL_ACCEPTANCE_REQUIRED" || !strings.Contains(fmt.Sprint(r.Errors[0].Extensions["pending"]), "version:2") {
		t.Fatalf("after a new version: %+v", r.Errors)
	}
	// A partner key is not gated.
	partner := env.Client()
	partner.Header.Set("Authorization", "Bearer "+key.CreateApiKey.Secret)
	if r := partner.Do(t, `{ serverInfo { version } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("API key gated: %+v", r.Errors)
	}
	if r := accept(ids[0]); r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "current version is 2") {
		t.Fatalf("accepting the old version: %+v", r.Errors)
	}
	_, pending, _ = legalStatus(t, alice.c)
	if len(pending) != 1 || pending[0].Version != 2 {
		t.Fatalf("pending after publish: %+v", pending)
	}
	if r := accept(pending[0].ID); len(r.Errors) != 0 {
		t.Fatalf("accept v2: %+v", r.Errors)
	}
	if r := alice.c.Do(t, createKey, nil); len(r.Errors) != 0 {
		t.Fatalf("after accepting v2: %+v", r.Errors)
	}

	// The audit list shows both terms acceptances, newest first, in pages.
	type page struct {
		LegalAcceptances struct {
			Edges []struct {
				Cursor string
				Node   struct {
					Document struct {
						Kind    string
						Version int
					}
					User struct{ Email string }
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	var p1, p2 page
	alice.c.MustData(t, `query($after: String) { legalAcceptances(first: 3, after: $after) { edges { cursor node { document { kind version } user { email } } } pageInfo { hasNextPage endCursor } } }`, nil, &p1)
	first := p1.LegalAcceptances
	if len(first.Edges) != 3 || !first.PageInfo.HasNextPage || first.Edges[0].Node.Document.Version != 2 || first.Edges[0].Node.User.Email != alice.email {
		t.Fatalf("first page: %+v", first)
	}
	alice.c.MustData(t, `query($after: String) { legalAcceptances(first: 3, after: $after) { edges { cursor node { document { kind version } user { email } } } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"after": *first.PageInfo.EndCursor}, &p2)
	if second := p2.LegalAcceptances; len(second.Edges) != 1 || second.PageInfo.HasNextPage || second.Edges[0].Node.Document.Version != 1 {
		t.Fatalf("second page: %+v", second)
	}
	if r := alice.c.Do(t, `{ legalAcceptances(after: "!!") { pageInfo { hasNextPage } } }`, nil); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("bad cursor: %+v", r.Errors)
	}
	if r := alice.c.Do(t, `{ legalDocument(kind: TERMS_OF_SERVICE, version: 9) { id } }`, nil); r.Code() != "NOT_FOUND" {
		t.Fatalf("missing version: %+v", r.Errors)
	}
	var v1 struct{ LegalDocument legalDoc }
	alice.c.MustData(t, `{ legalDocument(kind: TERMS_OF_SERVICE, version: 1) { version body } }`, nil, &v1)
	if v1.LegalDocument.Version != 1 || v1.LegalDocument.Body != docs.LegalDocuments[0].Body {
		t.Fatalf("history: %+v", v1)
	}
}

func TestSignUpAcceptsLegalDocumentsInTheSameStep(t *testing.T) {
	env := apptest.Start(t, dbs)
	r := env.Client().Do(t, signUpMutation, map[string]any{"input": map[string]any{
		"email": "x@example.com", "password": "correct horse battery", "name": "X", "organizationName": "X",
		"acceptedLegalDocumentIds": []string{"nope"}}})
	if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "acceptedLegalDocumentIds" {
		t.Fatalf("bad ids at sign-up: %+v", r.Errors)
	}
	if n, _ := env.Database(t).Collection("users").CountDocuments(context.Background(), bson.M{}); n != 0 {
		t.Fatal("a sign-up with bad document ids created the user")
	}
	bob := signUp(t, env, "bob@example.com", "Bob Co") // accepts everything current
	if upToDate, _, n := legalStatus(t, bob.c); !upToDate || n != 3 {
		t.Fatalf("after sign-up with acceptance: %v %d", upToDate, n)
	}
}

func TestLegalAuditListIsForOwners(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@example.com", "A")
	bob := signUp(t, env, "bob@example.com", "B")
	addMember(t, alice, bob, "ADMIN")
	bob.c.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": alice.orgID}, nil)
	if r := bob.c.Do(t, `{ legalAcceptances { pageInfo { hasNextPage } } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("ADMIN reads the audit list: %+v", r.Errors)
	}
	var out struct {
		LegalAcceptances struct {
			Edges []struct {
				Node struct{ User struct{ Email string } }
			}
		}
	}
	alice.c.MustData(t, `{ legalAcceptances(first: 100) { edges { node { user { email } } } } }`, nil, &out)
	for _, e := range out.LegalAcceptances.Edges {
		if e.Node.User.Email != alice.email {
			t.Fatalf("audit list of A shows a record made in another organization: %+v", e)
		}
	}
}

func TestConcurrentStartsPublishShippedDocumentsOnce(t *testing.T) {
	name := dbs.DatabaseName(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, _ := config.Load(func(string) string { return "" })
			cfg.Demo = false
			cfg.HTTPAddr, cfg.MongoURI, cfg.MongoDatabase, cfg.DataDir = "127.0.0.1:0", dbs.URI(), name, t.TempDir()
			a, err := app.New(context.Background(), cfg, app.Options{})
			if err == nil {
				err = a.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MongoDatabase = name })
	n, err := env.Database(t).Collection("legal_documents").CountDocuments(context.Background(), bson.M{})
	if err != nil || n != 3 {
		t.Fatalf("%d documents after three concurrent starts, want 3 (%v)", n, err)
	}
}

func TestAPIKeysCannotAcceptLegalDocuments(t *testing.T) {
	env := apptest.Start(t, dbs)
	owner := signUp(t, env, "owner@example.com", "Acme")
	var key struct{ CreateApiKey struct{ Secret string } }
	owner.c.MustData(t, `mutation { createApiKey(input: {name: "rw", scope: READ_WRITE}) { secret } }`, nil, &key)
	partner := env.Client()
	partner.Header.Set("Authorization", "Bearer "+key.CreateApiKey.Secret)
	r := partner.Do(t, `mutation($ids: [ID!]!) { acceptLegalDocuments(input: {documentIds: $ids}) { legal { upToDate } } }`,
		map[string]any{"ids": currentLegalIDs(t, env)})
	if r.Code() != "FORBIDDEN" {
		t.Fatalf("API key accepting legal documents: %+v", r.Errors)
	}
}
