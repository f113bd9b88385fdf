package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/omnify/bff/graph"
	"github.com/omnify/bff/graph/generated"
	"github.com/omnify/bff/internal/app/apptest"
)

// The callers of the authorization matrix, in the order of each row's
// expectations: anonymous, the four roles signed in, and the two key scopes
// (created by the OWNER, so a READ_WRITE key acts as ADMIN).
var matrixCallers = []string{"anonymous", "VIEWER", "MEMBER", "ADMIN", "OWNER", "READ key", "READ_WRITE key"}

// A matrixRow is one root field of the schema: an operation that uses it
// and what each caller must get. want has one letter per caller: o (the
// operation is allowed: no authorization error, whatever else it answers),
// u (UNAUTHENTICATED) or f (FORBIDDEN). An authorization error never names
// an input field; one that does (a wrong current password) is an input error.
type matrixRow struct {
	op   string
	vars func(f *matrixFixture, caller int) map[string]any
	want string
	// fresh runs the operation on a new client holding the caller's
	// credential, because it changes the session it runs on.
	fresh bool
	// trigger causes an event a subscription row waits for (the i-th
	// try); nil disconnects an integration.
	trigger func(t *testing.T, f *matrixFixture, i int)
}

// matrix has a row for every root field; TestAuthorizationMatrix fails for
// a field without one, so a new operation cannot ship without deciding who
// may call it.
var matrix = map[string]matrixRow{
	"Query.serverInfo": {op: `{ serverInfo { version } }`, want: "ooooooo"},
	"Query.node": {op: `query($id: ID!) { node(id: $id) { id } }`, want: "ooooooo",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.legalDocumentID} }},
	"Query.me":               {op: `{ me { id role } }`, want: "ooooooo"},
	"Query.apiKeys":          {op: `{ apiKeys { totalCount } }`, want: "uffooff"},
	"Query.invitations":      {op: `{ invitations { totalCount } }`, want: "uffooff"},
	"Query.integrations":     {op: `{ integrations { id status } }`, want: "uoooooo"},
	"Query.marketingSummary": {op: `{ marketingSummary(from: "2026-11-01", to: "2026-11-07") { revenue } }`, want: "uoooooo"},
	"Query.deals":            {op: `{ deals(first: 1) { totalCount } }`, want: "uoooooo"},
	"Query.contacts":         {op: `{ contacts(first: 1) { totalCount } }`, want: "uoooooo"},
	"Query.pipelineSummary":  {op: `{ pipelineSummary { openAmount } }`, want: "uoooooo"},
	"Query.emailCampaigns":   {op: `{ emailCampaigns(first: 1) { totalCount } }`, want: "uoooooo"},
	"Query.emailFlows":       {op: `{ emailFlows(first: 1) { totalCount } }`, want: "uoooooo"},
	"Query.legalDocuments":   {op: `{ legalDocuments { id } }`, want: "ooooooo"},
	"Query.legalDocument":    {op: `{ legalDocument(kind: TERMS_OF_SERVICE, version: 1) { id } }`, want: "ooooooo"},
	"Query.legalAcceptances": {op: `{ legalAcceptances(first: 1) { totalCount } }`, want: "ufffoff"},

	"Mutation.signUp": {op: `mutation($input: SignUpInput!) { signUp(input: $input) { viewer { id } } }`, want: "ooooofo", fresh: true,
		vars: func(f *matrixFixture, caller int) map[string]any {
			return map[string]any{"input": map[string]any{"email": fmt.Sprintf("new-%d-%d@example.com", caller, time.Now().UnixNano()),
				"password": matrixPassword, "name": "New", "organizationName": "New Co"}}
		}},
	"Mutation.logIn": {op: `mutation($input: LogInInput!) { logIn(input: $input) { viewer { id } } }`, want: "ooooofo", fresh: true,
		vars: func(f *matrixFixture, _ int) map[string]any {
			return map[string]any{"input": map[string]any{"email": f.emails[0], "password": matrixPassword}}
		}},
	"Mutation.logOut": {op: `mutation { logOut { loggedOut } }`, want: "ooooofo", fresh: true},
	"Mutation.switchOrganization": {op: `mutation($id: ID!) { switchOrganization(input: {organizationId: $id}) { viewer { id } } }`, want: "uooooff",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.orgID} }},
	"Mutation.changePassword": {op: `mutation { changePassword(input: {currentPassword: "not the password", newPassword: "x"}) { viewer { id } } }`, want: "uooooff"},
	"Mutation.inviteMember": {op: `mutation($email: String!) { inviteMember(input: {email: $email, role: VIEWER}) { invitation { id } } }`, want: "uffooff",
		vars: func(f *matrixFixture, caller int) map[string]any {
			return map[string]any{"email": fmt.Sprintf("invitee-%d@example.com", caller)}
		}},
	"Mutation.acceptInvitation": {op: `mutation($id: ID!) { acceptInvitation(input: {invitationId: $id}) { membership { id } } }`, want: "uooooff",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.unknownInvitationID} }},
	"Mutation.revokeInvitation": {op: `mutation($id: ID!) { revokeInvitation(input: {invitationId: $id}) { invitation { id } } }`, want: "uffooff",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.unknownInvitationID} }},
	"Mutation.updateMemberRole": {op: `mutation($id: ID!) { updateMemberRole(input: {userId: $id, role: VIEWER}) { member { id } } }`, want: "uffooff",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.userIDs[0]} }},
	"Mutation.removeMember": {op: `mutation($id: ID!) { removeMember(input: {userId: $id}) { removedMemberId } }`, want: "uffooff",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.unknownUserID} }},
	"Mutation.createApiKey": {op: `mutation { createApiKey(input: {name: "matrix", scope: READ}) { apiKey { id } } }`, want: "uffooff"},
	"Mutation.revokeApiKey": {op: `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } } }`, want: "uffooff",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.unknownAPIKeyID} }},
	"Mutation.connectIntegration":    {op: `mutation { connectIntegration(input: {platform: HUBSPOT, apiKey: "wrong-key"}) { integration { id } } }`, want: "uffoofo"},
	"Mutation.disconnectIntegration": {op: `mutation { disconnectIntegration(input: {platform: KLAVIYO}) { integration { id } } }`, want: "uffoofo"},
	"Mutation.syncIntegration":       {op: `mutation { syncIntegration(input: {platform: KLAVIYO}) { sync { id } } }`, want: "ufooofo"},
	// Every member accepts the documents of its own; only an OWNER signs the
	// DPA for the organization (TestLegalDPAIsSignedByAnOwnerForTheOrganization
	// has the others' FORBIDDEN).
	"Mutation.acceptLegalDocuments": {op: `mutation($ids: [ID!]!) { acceptLegalDocuments(input: {documentIds: $ids}) { viewer { id } } }`, want: "uooooff",
		vars: func(f *matrixFixture, caller int) map[string]any {
			if matrixCallers[caller] == "OWNER" {
				return map[string]any{"ids": f.currentLegalIDs}
			}
			return map[string]any{"ids": f.personalLegalIDs}
		}},

	"Subscription.integrationEvents": {op: `subscription { integrationEvents { id platform status } }`, want: "uoooooo"},

	"Query.agents": {op: `{ agents { id status } }`, want: "uoooooo"},
	"Query.agent": {op: `query($id: ID!) { agent(id: $id) { id status } }`, want: "uoooooo",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.agentID} }},
	"Query.agentExecution": {op: `query($id: ID!) { agentExecution(id: $id) { id status } }`, want: "uoooooo",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.executionID} }},
	"Mutation.runAgent": {op: `mutation($id: ID!) { runAgent(input: {agentId: $id}) { execution { id } } }`, want: "ufooofo",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.runAgentID} }},
	"Mutation.cancelAgentExecution": {op: `mutation($id: ID!) { cancelAgentExecution(input: {id: $id}) { execution { id } } }`, want: "ufooofo",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.executionID} }},
	"Mutation.setAgentEnabled": {op: `mutation($id: ID!) { setAgentEnabled(input: {agentId: $id, enabled: true}) { agent { id } } }`, want: "uffoofo",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.agentID} }},
	"Subscription.agentExecutionEvents": {op: `subscription($id: ID!) { agentExecutionEvents(executionId: $id) { sequence type } }`, want: "uoooooo",
		vars: func(f *matrixFixture, _ int) map[string]any { return map[string]any{"id": f.executionID} }},
	"Subscription.agentActivity": {op: `subscription { agentActivity { status execution { id } } }`, want: "uoooooo",
		trigger: func(t *testing.T, f *matrixFixture, _ int) {
			// A run of the owner's is a change; it ends at once (no
			// analyzer needs a platform it lacks) or is cancelled.
			r := f.clients[4].Do(t, `mutation($id: ID!) { runAgent(input: {agentId: $id}) { execution { id } } }`, map[string]any{"id": f.activityAgentID})
			var out struct {
				RunAgent struct{ Execution struct{ ID string } }
			}
			if json.Unmarshal(r.Data, &out) == nil && out.RunAgent.Execution.ID != "" {
				f.clients[4].Do(t, `mutation($id: ID!) { cancelAgentExecution(input: {id: $id}) { execution { id } } }`, map[string]any{"id": out.RunAgent.Execution.ID})
			}
		}},
}

const matrixPassword = "correct horse battery staple"

// matrixFixture is one organization with a member of every role and a key of
// every scope, and ids the rows use.
type matrixFixture struct {
	env     *apptest.Env
	clients []*apptest.Client // per caller
	emails  []string          // per signed-in caller, VIEWER to OWNER (index 0 is the VIEWER)
	userIDs []string          // likewise
	secrets map[int]string    // per key caller

	orgID, legalDocumentID                              string
	currentLegalIDs                                     []string
	personalLegalIDs                                    []string // the current terms and privacy policy
	unknownInvitationID, unknownUserID, unknownAPIKeyID string
	// agentID is an agent of the organization, runAgentID the one the
	// runAgent row runs, activityAgentID the one the activity row runs,
	// executionID an execution of the organization's.
	agentID, runAgentID, activityAgentID, executionID string
}

// TestAuthorizationMatrix runs every operation of the schema as every kind
// of caller and compares the outcome with the table above.
func TestAuthorizationMatrix(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{}, Directives: graph.Directives()}).Schema()
	var fields []string
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		for _, f := range root.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				fields = append(fields, root.Name+"."+f.Name)
			}
		}
	}
	sort.Strings(fields)
	for _, f := range fields {
		if _, ok := matrix[f]; !ok {
			t.Errorf("%s has no row in the authorization matrix: decide who may call it and add one", f)
		}
	}
	for f := range matrix {
		if !slices.Contains(fields, f) {
			t.Errorf("the matrix has a row for %s, which the schema does not have", f)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	p := newPlatforms(t)
	fx := newMatrixFixture(t, apptest.Start(t, dbs, p.configure))
	for _, f := range fields {
		row := matrix[f]
		t.Run(f, func(t *testing.T) {
			got := make([]byte, len(matrixCallers))
			for caller := range matrixCallers {
				if strings.HasPrefix(f, "Subscription.") {
					var vars map[string]any
					if row.vars != nil {
						vars = row.vars(fx, caller)
					}
					got[caller] = fx.subscribe(t, caller, row.op, vars, row.trigger)
					continue
				}
				c := fx.clients[caller]
				if row.fresh {
					c = fx.freshClient(t, caller)
				}
				var vars map[string]any
				if row.vars != nil {
					vars = row.vars(fx, caller)
				}
				got[caller] = outcome(c.Do(t, row.op, vars))
			}
			if string(got) != row.want {
				for i := range got {
					if got[i] != row.want[i] {
						t.Errorf("%s as %s: got %c, want %c", f, matrixCallers[i], got[i], row.want[i])
					}
				}
			}
		})
	}
}

// outcome classifies a response: u or f for an authorization error, o for
// anything else.
func outcome(r apptest.Response) byte {
	for _, e := range r.Errors {
		if field, _ := e.Extensions["field"].(string); field != "" {
			continue
		}
		switch e.Extensions["code"] {
		case "UNAUTHENTICATED":
			return 'u'
		case "FORBIDDEN":
			return 'f'
		}
	}
	return 'o'
}

func newMatrixFixture(t *testing.T, env *apptest.Env) *matrixFixture {
	t.Helper()
	fx := &matrixFixture{env: env, clients: make([]*apptest.Client, len(matrixCallers)), secrets: map[int]string{}}
	fx.clients[0] = env.Client()

	var docs struct{ LegalDocuments []struct{ ID, Kind string } }
	fx.clients[0].MustData(t, `{ legalDocuments { id kind } }`, nil, &docs)
	for _, d := range docs.LegalDocuments {
		fx.currentLegalIDs = append(fx.currentLegalIDs, d.ID)
		if d.Kind != "DATA_PROCESSING_AGREEMENT" {
			fx.personalLegalIDs = append(fx.personalLegalIDs, d.ID)
		}
	}
	fx.legalDocumentID = fx.currentLegalIDs[0]

	// Every user signs up (accepting the documents), which makes them the
	// OWNER of an organization of their own; the four roles are held in
	// the OWNER's organization, joined by invitation.
	signUp := func(email string) (*apptest.Client, string) {
		c := env.Client()
		var out struct {
			SignUp struct {
				Viewer struct {
					User         struct{ ID string }
					Organization struct{ ID string }
				}
			}
		}
		c.MustData(t, `mutation($input: SignUpInput!) { signUp(input: $input) { viewer { user { id } organization { id } } } }`,
			map[string]any{"input": map[string]any{"email": email, "password": matrixPassword, "name": "M", "organizationName": email,
				"acceptedLegalDocumentIds": fx.currentLegalIDs}}, &out)
		fx.orgID = out.SignUp.Viewer.Organization.ID
		return c, out.SignUp.Viewer.User.ID
	}
	owner, ownerID := signUp("owner@example.com")
	ownerOrg := fx.orgID
	for i, role := range []string{"VIEWER", "MEMBER", "ADMIN"} {
		email := strings.ToLower(role) + "@example.com"
		c, id := signUp(email)
		var inv struct {
			InviteMember struct{ Invitation struct{ ID string } }
		}
		owner.MustData(t, `mutation($e: String!, $r: Role!) { inviteMember(input: {email: $e, role: $r}) { invitation { id } } }`,
			map[string]any{"e": email, "r": role}, &inv)
		c.MustData(t, `mutation($id: ID!) { acceptInvitation(input: {invitationId: $id}) { membership { id } } }`,
			map[string]any{"id": inv.InviteMember.Invitation.ID}, nil)
		c.MustData(t, `mutation($id: ID!) { switchOrganization(input: {organizationId: $id}) { viewer { id } } }`,
			map[string]any{"id": ownerOrg}, nil)
		fx.clients[1+i] = c
		fx.emails = append(fx.emails, email)
		fx.userIDs = append(fx.userIDs, id)
	}
	fx.clients[4] = owner
	fx.emails = append(fx.emails, "owner@example.com")
	fx.userIDs = append(fx.userIDs, ownerID)
	fx.orgID = ownerOrg

	for caller, scope := range map[int]string{5: "READ", 6: "READ_WRITE"} {
		var key struct {
			CreateApiKey struct{ Secret string }
		}
		owner.MustData(t, `mutation($s: ApiKeyScope!) { createApiKey(input: {name: "matrix key", scope: $s}) { secret } }`,
			map[string]any{"s": scope}, &key)
		fx.secrets[caller] = key.CreateApiKey.Secret
		fx.clients[caller] = fx.freshClient(t, caller)
	}
	for caller, c := range fx.clients {
		var me struct{ Me *struct{ Role string } }
		c.MustData(t, `{ me { role } }`, nil, &me)
		want := map[int]string{1: "VIEWER", 2: "MEMBER", 3: "ADMIN", 4: "OWNER", 5: "VIEWER", 6: "ADMIN"}[caller]
		if (me.Me == nil) != (caller == 0) || (me.Me != nil && me.Me.Role != want) {
			t.Fatalf("%s is %+v, want role %q", matrixCallers[caller], me.Me, want)
		}
	}

	// Ids of the right type that name nothing, so that an allowed caller
	// gets NOT_FOUND rather than changing the fixture.
	var ids struct {
		Invitations struct{ Nodes []struct{ ID string } }
		APIKeys     struct{ Nodes []struct{ ID string } }
	}
	owner.MustData(t, `mutation { inviteMember(input: {email: "gone@example.com", role: VIEWER}) { invitation { id } } }`, nil, nil)
	owner.MustData(t, `mutation { createApiKey(input: {name: "gone", scope: READ}) { apiKey { id } } }`, nil, nil)
	owner.MustData(t, `{ invitations { nodes { id } } apiKeys { nodes { id name } } }`, nil, &ids)
	fx.unknownInvitationID = ids.Invitations.Nodes[0].ID
	owner.MustData(t, `mutation($id: ID!) { revokeInvitation(input: {invitationId: $id}) { invitation { id } } }`,
		map[string]any{"id": fx.unknownInvitationID}, nil)
	fx.unknownAPIKeyID = ids.APIKeys.Nodes[0].ID // the newest: "gone"
	owner.MustData(t, `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } } }`,
		map[string]any{"id": fx.unknownAPIKeyID}, nil)
	// Connected once, a platform's disconnect is an event the
	// subscription rows wait for.
	for platform, key := range map[string]string{"HUBSPOT": hsGoodKey, "KLAVIYO": klGoodKey} {
		owner.MustData(t, `mutation($p: Platform!, $k: String!) { connectIntegration(input: {platform: $p, apiKey: $k}) { integration { id } } }`,
			map[string]any{"p": platform, "k": key}, nil)
	}
	var agents struct{ Agents []struct{ ID, Key string } }
	owner.MustData(t, `{ agents { id key } }`, nil, &agents)
	for _, a := range agents.Agents {
		switch a.Key {
		case "roas-guardian":
			fx.agentID = a.ID
		case "pipeline-scout":
			fx.runAgentID = a.ID
		case "email-auditor":
			fx.activityAgentID = a.ID
		}
	}
	var run struct {
		RunAgent struct{ Execution struct{ ID string } }
	}
	owner.MustData(t, `mutation($id: ID!) { runAgent(input: {agentId: $id}) { execution { id } } }`, map[string]any{"id": fx.agentID}, &run)
	fx.executionID = run.RunAgent.Execution.ID
	_, outsider := signUp("outsider@example.com")
	fx.orgID = ownerOrg
	fx.unknownUserID = outsider
	return fx
}

// freshClient is a new client holding caller's credential: a new session
// for a user, the key for a key, nothing for anonymous.
func (fx *matrixFixture) freshClient(t *testing.T, caller int) *apptest.Client {
	t.Helper()
	c := fx.env.Client()
	switch {
	case caller >= 1 && caller <= 4:
		c.MustData(t, `mutation($input: LogInInput!) { logIn(input: $input) { viewer { id } } }`,
			map[string]any{"input": map[string]any{"email": fx.emails[caller-1], "password": matrixPassword}}, nil)
		if caller != 4 {
			c.MustData(t, `mutation($id: ID!) { switchOrganization(input: {organizationId: $id}) { viewer { id } } }`,
				map[string]any{"id": fx.orgID}, nil)
		}
	case caller >= 5:
		c.Header.Set("Authorization", "Bearer "+fx.secrets[caller])
	}
	return c
}

// subscribe runs a subscription as caller over server-sent events: a
// refused one ends with an error event; an allowed one stays open, and
// hears the event the OWNER then causes (a platform connected).
func (fx *matrixFixture) subscribe(t *testing.T, caller int, op string, vars map[string]any, trigger func(*testing.T, *matrixFixture, int)) byte {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": op, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, fx.env.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	c := fx.clients[caller]
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := c.HTTP().Do(req)
	if err != nil {
		t.Fatalf("open event stream: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		var r apptest.Response
		_ = json.NewDecoder(resp.Body).Decode(&r)
		return outcome(r)
	}
	events := make(chan string, 8)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- data
			}
		}
	}()
	// Cause events until one arrives: the first may be published before the
	// subscription is registered.
	platforms := []string{"HUBSPOT", "KLAVIYO"}
	for i := 0; ; i++ {
		select {
		case data, ok := <-events:
			if !ok {
				t.Fatalf("%s: the event stream ended without an event", matrixCallers[caller])
			}
			var r apptest.Response
			if err := json.Unmarshal([]byte(data), &r); err != nil {
				t.Fatalf("event %q: %v", data, err)
			}
			return outcome(r)
		case <-time.After(200 * time.Millisecond):
			if i > 50 {
				t.Fatalf("%s: no event on the stream", matrixCallers[caller])
			}
			if trigger != nil {
				trigger(t, fx, i)
				continue
			}
			fx.clients[4].Do(t, `mutation($p: Platform!) { disconnectIntegration(input: {platform: $p}) { integration { id } } }`,
				map[string]any{"p": platforms[i%2]})
		}
	}
}
