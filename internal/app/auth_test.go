package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/config"
)

const signUpMutation = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { viewer { user { id email name } organization { id name } role } }
}`

type viewerData struct {
	User *struct {
		ID, Email, Name string
	}
	Organization  struct{ ID, Name string }
	Role          string
	Organizations struct {
		Nodes []struct {
			Organization struct{ ID, Name string }
			Role         string
		}
		TotalCount int
	}
	APIKey *struct{ ID, Name string }
}

// account is a signed-up user with a browser-like client (cookie jar).
type account struct {
	c      *apptest.Client
	userID string
	orgID  string
	email  string
	pass   string
}

// signUp creates an account that accepted the current legal documents.
func signUp(t testing.TB, env *apptest.Env, email, org string) account {
	t.Helper()
	c := env.Client()
	var out struct{ SignUp struct{ Viewer viewerData } }
	pass := "correct horse battery"
	c.MustData(t, signUpMutation, map[string]any{"input": map[string]any{
		"email": email, "password": pass, "name": "Test " + org, "organizationName": org,
		"acceptedLegalDocumentIds": currentLegalIDs(t, env)}}, &out)
	v := out.SignUp.Viewer
	if v.User == nil || v.Role != "OWNER" || v.Organization.Name != org {
		t.Fatalf("sign-up viewer %+v", v)
	}
	return account{c: c, userID: v.User.ID, orgID: v.Organization.ID, email: strings.ToLower(strings.TrimSpace(email)), pass: pass}
}

// invite asks, as c, the person with email to join c's organization.
func invite(t *testing.T, c *apptest.Client, email, role string) apptest.Response {
	t.Helper()
	return c.Do(t, `mutation($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id email role organization { id } createdAt expiresAt } } }`,
		map[string]any{"i": map[string]any{"email": email, "role": role}})
}

// acceptInvitation accepts, as member, the open invitation from orgID.
func acceptInvitation(t *testing.T, member account, orgID string) {
	t.Helper()
	var out struct {
		Me struct {
			Invitations struct {
				Nodes []struct {
					ID           string
					Organization struct{ ID string }
				}
			}
		}
	}
	member.c.MustData(t, `{ me { invitations { nodes { id organization { id } } } } }`, nil, &out)
	for _, inv := range out.Me.Invitations.Nodes {
		if inv.Organization.ID == orgID {
			member.c.MustData(t, `mutation($i: ID!) { acceptInvitation(input: {invitationId: $i}) { membership { organization { id } role } } }`,
				map[string]any{"i": inv.ID}, nil)
			return
		}
	}
	t.Fatalf("%s has no invitation from %s: %+v", member.email, orgID, out)
}

// addMember invites member to owner's organization with role, and member
// accepts.
func addMember(t *testing.T, owner, member account, role string) {
	t.Helper()
	if r := invite(t, owner.c, member.email, role); len(r.Errors) != 0 {
		t.Fatalf("invite %s: %+v", member.email, r.Errors)
	}
	acceptInvitation(t, member, owner.orgID)
}

// shape is a JSON value with its strings and numbers blanked out: two
// answers of the same shape tell nothing apart but their values.
func shape(raw []byte) string {
	var v any
	_ = json.Unmarshal(raw, &v)
	var blank func(any) any
	blank = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = blank(e)
			}
			return x
		case []any:
			for i, e := range x {
				x[i] = blank(e)
			}
			return x
		case nil:
			return nil
		}
		return ""
	}
	out, _ := json.Marshal(blank(v))
	return string(out)
}

func me(t *testing.T, c *apptest.Client) *viewerData {
	t.Helper()
	var out struct{ Me *viewerData }
	c.MustData(t, `{ me { user { id email name } organization { id name } role organizations { nodes { organization { id name } role } totalCount } apiKey { id name } } }`, nil, &out)
	return out.Me
}

func TestSignUpLogInLogOut(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "  Alice@Example.COM ", "Alice's Store")

	v := me(t, alice.c)
	if v == nil || v.User.Email != "alice@example.com" || v.Role != "OWNER" || len(v.Organizations.Nodes) != 1 {
		t.Fatalf("me after sign-up: %+v", v)
	}

	// The session cookie is HttpOnly, SameSite=Lax, Path=/ and not Secure in development.
	u, _ := url.Parse(env.URL)
	cookies := alice.c.HTTP().Jar.Cookies(u)
	if len(cookies) != 1 || cookies[0].Name != "omnify_session" {
		t.Fatalf("cookies %v", cookies)
	}
	raw := rawLogIn(t, env, alice.email, alice.pass)
	setCookie := raw.header.Get("Set-Cookie")
	for _, want := range []string{"omnify_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", setCookie, want)
		}
	}
	token := strings.TrimPrefix(strings.SplitN(setCookie, ";", 2)[0], "omnify_session=")
	if strings.Contains(raw.body, token) {
		t.Fatal("the session token appears in the response body")
	}

	// A second browser logs in; logging out ends only its own session.
	other := env.Client()
	var login struct{ LogIn struct{ Viewer viewerData } }
	other.MustData(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { user { email } role } } }`,
		map[string]any{"i": map[string]any{"email": "ALICE@example.com", "password": alice.pass}}, &login)
	if login.LogIn.Viewer.Role != "OWNER" {
		t.Fatalf("login viewer %+v", login.LogIn.Viewer)
	}
	var out struct{ LogOut struct{ LoggedOut bool } }
	other.MustData(t, `mutation { logOut { loggedOut } }`, nil, &out)
	if !out.LogOut.LoggedOut || me(t, other) != nil {
		t.Fatal("still signed in after logOut")
	}
	if me(t, alice.c) == nil {
		t.Fatal("logging out one browser ended the other's session")
	}

	// Sessions live in the database: what was stored is a hash, not the token.
	var sess bson.M
	if err := env.Database(t).Collection("sessions").FindOne(context.Background(), bson.M{"_id": token}).Decode(&sess); err == nil {
		t.Fatal("the raw session token is stored in the database")
	}
}

func rawLogIn(t *testing.T, env *apptest.Env, email, pass string) rawResult {
	t.Helper()
	body := `{"query":"mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }","variables":{"i":{"email":"` + email + `","password":"` + pass + `"}}}`
	return send(t, "POST", env.URL+"/graphql", "application/json", body, nil)
}

func TestSignUpRefusesBadInputAndWritesNothing(t *testing.T) {
	env := apptest.Start(t, dbs)
	signUp(t, env, "taken@example.com", "First")
	db := env.Database(t)
	count := func(coll string) int64 {
		n, err := db.Collection(coll).CountDocuments(context.Background(), bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	users, orgs, members := count("users"), count("organizations"), count("memberships")

	good := map[string]any{"email": "new@example.com", "password": "a long enough password", "name": "New", "organizationName": "New Co"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name      string
		input     map[string]any
		wantCode  string
		wantField string
	}{
		{"malformed email", with("email", "not-an-email"), "BAD_USER_INPUT", "email"},
		{"email with a display name", with("email", "Bob <bob@example.com>"), "BAD_USER_INPUT", "email"},
		{"duplicate email, other case", with("email", " TAKEN@example.com"), "CONFLICT", "email"},
		{"short password", with("password", "short"), "BAD_USER_INPUT", "password"},
		{"over-long password", with("password", strings.Repeat("p", 257)), "BAD_USER_INPUT", "password"},
		{"password equal to the email", with("password", "new@example.com"), "BAD_USER_INPUT", "password"},
		{"empty name", with("name", "   "), "BAD_USER_INPUT", "name"},
		{"10,000-character name", with("name", strings.Repeat("n", 10000)), "BAD_USER_INPUT", "name"},
		{"name with control characters", with("name", "Bob\x00"), "BAD_USER_INPUT", "name"},
		{"empty organization name", with("organizationName", ""), "BAD_USER_INPUT", "organizationName"},
		{"password of ten spaces", with("password", "          "), "BAD_USER_INPUT", "password"},
		{"password of nine characters", with("password", "nine char"), "BAD_USER_INPUT", "password"},
		{"common password", with("password", "password123"), "BAD_USER_INPUT", "password"},
		{"common password, other case", with("password", "QWERTYUIOP"), "BAD_USER_INPUT", "password"},
		{"common word with digits appended", with("password", "Sunshine2024!"), "BAD_USER_INPUT", "password"},
		{"one character repeated", with("password", "zzzzzzzzzzzz"), "BAD_USER_INPUT", "password"},
		{"zero-width space in the email", with("email", "ne\u200bw@example.com"), "BAD_USER_INPUT", "email"},
		{"zero-width joiner in the email", with("email", "new@exa\u200dmple.com"), "BAD_USER_INPUT", "email"},
		{"byte order mark in the email", with("email", "\ufeffnew@example.com"), "BAD_USER_INPUT", "email"},
		{"soft hyphen in the email", with("email", "ne\u00adw@example.com"), "BAD_USER_INPUT", "email"},
		{"Hangul filler in the email", with("email", "new\u3164@example.com"), "BAD_USER_INPUT", "email"},
		{"IPv4 domain", with("email", "new@127.0.0.1"), "BAD_USER_INPUT", "email"},
		{"IP-literal domain", with("email", "new@[127.0.0.1]"), "BAD_USER_INPUT", "email"},
		{"IPv6-literal domain", with("email", "new@[IPv6:::1]"), "BAD_USER_INPUT", "email"},
		{"numeric top-level domain", with("email", "new@example.123"), "BAD_USER_INPUT", "email"},
		{"full-width letters of a taken email", with("email", "\uff54\uff41\uff4b\uff45\uff4e@example.com"), "CONFLICT", "email"},
		{"full-width at sign and capitals of a taken email", with("email", "TAKEN\uff20EXAMPLE.COM"), "CONFLICT", "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.Client().Do(t, signUpMutation, map[string]any{"input": tt.input})
			if r.Code() != tt.wantCode || r.Errors[0].Extensions["field"] != tt.wantField {
				t.Fatalf("got %+v, want %s on %s", r.Errors, tt.wantCode, tt.wantField)
			}
			if msg := r.Errors[0].Message; msg == "" || strings.Contains(msg, "mongo") || strings.Contains(msg, "E11000") {
				t.Fatalf("message %q is not for a user", msg)
			}
		})
	}
	if count("users") != users || count("organizations") != orgs || count("memberships") != members {
		t.Fatal("a refused sign-up left documents behind")
	}
}

// logInAs runs logIn from a fresh client.
func logInAs(t *testing.T, env *apptest.Env, email, pass string) apptest.Response {
	return env.Client().Do(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
		map[string]any{"i": map[string]any{"email": email, "password": pass}})
}

func TestLookAlikeEmailsReachOneAccount(t *testing.T) {
	env := apptest.Start(t, dbs)
	frank := signUp(t, env, "frank@example.com", "Frank Co")
	fullWidth := "\uff26\uff32\uff21\uff2e\uff2b@example.com" // ＦＲＡＮＫ

	if r := rawLogIn(t, env, fullWidth, frank.pass); r.status != 200 || strings.Contains(r.body, "errors") {
		t.Fatalf("log in with the full-width form of the email: %s", r.body)
	}
	// Look-alike forms share one throttle: they name one account.
	for i := range 5 {
		email := []string{fullWidth, "FRANK@example.com", frank.email}[i%3]
		if r := logInAs(t, env, email, "wrong password!"); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("failure %d as %q: %+v", i+1, email, r.Errors)
		}
	}
	if r := logInAs(t, env, frank.email, frank.pass); r.Code() != "RATE_LIMITED" {
		t.Fatalf("sixth attempt: %+v", r.Errors)
	}
}

func TestConcurrentSignUpsWithOneEmailCreateOneAccount(t *testing.T) {
	env := apptest.Start(t, dbs)
	var wg sync.WaitGroup
	codes := make([]string, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := env.Client().Do(t, signUpMutation, map[string]any{"input": map[string]any{
				"email": "race@example.com", "password": "a long enough password", "name": "R", "organizationName": "Race"}})
			codes[i] = r.Code()
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case "CONFLICT":
		default:
			t.Fatalf("unexpected code %q", c)
		}
	}
	db := env.Database(t)
	users, _ := db.Collection("users").CountDocuments(context.Background(), bson.M{"email": "race@example.com"})
	orgs, _ := db.Collection("organizations").CountDocuments(context.Background(), bson.M{"name": "Race"})
	if ok != 1 || users != 1 || orgs != 1 {
		t.Fatalf("%d sign-ups succeeded, %d users and %d organizations exist; want 1 each", ok, users, orgs)
	}
}

func TestLoginThrottling(t *testing.T) {
	env := apptest.Start(t, dbs)
	carol := signUp(t, env, "carol@example.com", "Carol Co")
	logIn := func(email, pass string) apptest.Response {
		return env.Client().Do(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
			map[string]any{"i": map[string]any{"email": email, "password": pass}})
	}

	wrong := logIn(carol.email, "wrong password!")
	unknown := logIn("nobody@example.com", "wrong password!")
	if wrong.Code() != "UNAUTHENTICATED" || unknown.Code() != "UNAUTHENTICATED" || wrong.Errors[0].Message != unknown.Errors[0].Message {
		t.Fatalf("wrong password %+v and unknown email %+v must fail alike", wrong.Errors, unknown.Errors)
	}
	for range 4 {
		if r := logIn(carol.email, "wrong password!"); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("failure below the limit: %+v", r.Errors)
		}
	}
	limited := logIn(carol.email, carol.pass) // the sixth attempt, with the right password
	if limited.Code() != "RATE_LIMITED" {
		t.Fatalf("sixth attempt: %+v", limited.Errors)
	}
	if s, _ := limited.Errors[0].Extensions["retryAfterSeconds"].(float64); s <= 0 || s > 15*60 {
		t.Fatalf("retryAfterSeconds = %v", limited.Errors[0].Extensions["retryAfterSeconds"])
	}
	// Another account is not affected.
	dave := signUp(t, env, "dave@example.com", "Dave Co")
	if r := logIn(dave.email, dave.pass); len(r.Errors) != 0 {
		t.Fatalf("other account: %+v", r.Errors)
	}
}

func TestTenantIsolation(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@a.example", "A")
	bob := signUp(t, env, "bob@b.example", "B")
	var key struct {
		CreateApiKey struct{ ApiKey struct{ ID string } }
	}
	bob.c.MustData(t, `mutation { createApiKey(input: {name: "bob's", scope: READ}) { apiKey { id } } }`, nil, &key)

	tests := []struct {
		name     string
		query    string
		vars     map[string]any
		wantCode string
	}{
		{"change the role of another organization's member", `mutation($u: ID!) { updateMemberRole(input: {userId: $u, role: VIEWER}) { member { role } } }`, map[string]any{"u": bob.userID}, "NOT_FOUND"},
		{"remove another organization's member", `mutation($u: ID!) { removeMember(input: {userId: $u}) { removedMemberId organization { id } } }`, map[string]any{"u": bob.userID}, "NOT_FOUND"},
		{"revoke another organization's key", `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { id revokedAt } } }`, map[string]any{"k": key.CreateApiKey.ApiKey.ID}, "NOT_FOUND"},
		{"switch to another organization", `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": bob.orgID}, "NOT_FOUND"},
		{"malformed id", `mutation { removeMember(input: {userId: "zzz"}) { removedMemberId } }`, nil, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := alice.c.Do(t, tt.query, tt.vars); r.Code() != tt.wantCode {
				t.Fatalf("got %+v, want %s", r.Errors, tt.wantCode)
			}
		})
	}
	var keys struct {
		ApiKeys struct{ Nodes []struct{ ID string } }
	}
	alice.c.MustData(t, `{ apiKeys { nodes { id } } }`, nil, &keys)
	if len(keys.ApiKeys.Nodes) != 0 {
		t.Fatalf("alice sees keys of another organization: %+v", keys)
	}
	var members struct {
		Me struct {
			Organization struct {
				Members struct {
					Nodes []struct{ User struct{ Email string } }
				}
			}
		}
	}
	alice.c.MustData(t, `{ me { organization { members { nodes { user { email } } } } } }`, nil, &members)
	if m := members.Me.Organization.Members.Nodes; len(m) != 1 || m[0].User.Email != alice.email {
		t.Fatalf("alice's members: %+v", m)
	}
}

func TestMembersAndRoles(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@example.com", "A")
	bob := signUp(t, env, "bob@example.com", "B")
	carol := signUp(t, env, "carol@example.com", "C")

	add := func(c *apptest.Client, email, role string) apptest.Response { return invite(t, c, email, role) }
	if r := add(alice.c, bob.email, "ADMIN"); len(r.Errors) != 0 {
		t.Fatalf("invite bob: %+v", r.Errors)
	}
	if v := me(t, bob.c); len(v.Organizations.Nodes) != 1 {
		t.Fatalf("bob joined without accepting: %+v", v)
	}
	acceptInvitation(t, bob, alice.orgID)
	if r := add(alice.c, bob.email, "MEMBER"); r.Code() != "CONFLICT" {
		t.Fatalf("invite a member: %+v", r.Errors)
	}
	// An address without an account gets the same answer as one with.
	stranger, known := add(alice.c, "stranger@example.com", "MEMBER"), add(alice.c, carol.email, "MEMBER")
	if len(stranger.Errors) != 0 || len(known.Errors) != 0 || shape(stranger.Data) != shape(known.Data) {
		t.Fatalf("invitations tell who has an account: %s %v / %s %v", stranger.Data, stranger.Errors, known.Data, known.Errors)
	}
	if r := add(alice.c, carol.email, "SUPERUSER"); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("unknown role: %+v", r.Errors)
	}

	// Bob switches to Alice's organization, where he is ADMIN.
	var sw struct{ SwitchOrganization struct{ Viewer viewerData } }
	bob.c.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { organization { id } role } } }`, map[string]any{"o": alice.orgID}, &sw)
	if v := sw.SwitchOrganization.Viewer; v.Organization.ID != alice.orgID || v.Role != "ADMIN" {
		t.Fatalf("switch: %+v", sw)
	}
	if v := me(t, bob.c); v.Organization.ID != alice.orgID || len(v.Organizations.Nodes) != 2 || v.Organizations.TotalCount != 2 {
		t.Fatalf("bob after switch: %+v", v)
	}
	// An ADMIN adds members but cannot make OWNERs or touch OWNERs.
	if r := add(bob.c, carol.email, "OWNER"); r.Code() != "FORBIDDEN" {
		t.Fatalf("admin grants OWNER: %+v", r.Errors)
	}
	if r := add(bob.c, carol.email, "VIEWER"); len(r.Errors) != 0 {
		t.Fatalf("admin invites a viewer: %+v", r.Errors)
	}
	acceptInvitation(t, carol, alice.orgID)
	role := func(c *apptest.Client, userID, role string) apptest.Response {
		return c.Do(t, `mutation($u: ID!, $r: Role!) { updateMemberRole(input: {userId: $u, role: $r}) { member { role } } }`, map[string]any{"u": userID, "r": role})
	}
	if r := role(bob.c, alice.userID, "MEMBER"); r.Code() != "FORBIDDEN" {
		t.Fatalf("admin demotes owner: %+v", r.Errors)
	}
	// The last OWNER can be neither demoted nor removed.
	if r := role(alice.c, alice.userID, "ADMIN"); r.Code() != "CONFLICT" {
		t.Fatalf("demote last owner: %+v", r.Errors)
	}
	if r := alice.c.Do(t, `mutation($u: ID!) { removeMember(input: {userId: $u}) { removedMemberId organization { id } } }`, map[string]any{"u": alice.userID}); r.Code() != "CONFLICT" {
		t.Fatalf("remove last owner: %+v", r.Errors)
	}
	// With a second OWNER, the first may step down.
	if r := role(alice.c, bob.userID, "OWNER"); len(r.Errors) != 0 {
		t.Fatalf("promote bob: %+v", r.Errors)
	}
	if r := role(alice.c, alice.userID, "ADMIN"); len(r.Errors) != 0 {
		t.Fatalf("alice steps down: %+v", r.Errors)
	}
	// A VIEWER cannot manage members.
	var csw struct{ SwitchOrganization struct{ Viewer viewerData } }
	carol.c.MustData(t, `mutation($o: ID!) { switchOrganization(input: {organizationId: $o}) { viewer { role } } }`, map[string]any{"o": alice.orgID}, &csw)
	if r := add(carol.c, "x@example.com", "VIEWER"); r.Code() != "FORBIDDEN" {
		t.Fatalf("viewer adds member: %+v", r.Errors)
	}
	// Removing a member ends their access to the organization at once.
	if r := bob.c.Do(t, `mutation($u: ID!) { removeMember(input: {userId: $u}) { removedMemberId organization { id } } }`, map[string]any{"u": carol.userID}); len(r.Errors) != 0 {
		t.Fatalf("remove carol: %+v", r.Errors)
	}
	if v := me(t, carol.c); v != nil {
		t.Fatalf("removed member still acts in the organization: %+v", v)
	}

	// Members and their users load in one query each, however many there are.
	env.Commands.Reset()
	var members struct {
		Me struct {
			Organization struct {
				Members struct {
					Nodes []struct{ User struct{ Email string } }
				}
			}
		}
	}
	alice.c.MustData(t, `{ me { organization { members { nodes { user { email } } } } } }`, nil, &members)
	if n := len(members.Me.Organization.Members.Nodes); n != 2 {
		t.Fatalf("members: %+v", members)
	}
	// Five as below, and three for an OWNER's legal gate (the current
	// documents, the user's acceptances and the organization's DPA
	// signature), which me.organization passes.
	if n := env.Commands.Count("find"); n > 8 {
		t.Fatalf("%d finds for one members list; users must be batched", n)
	}
}

// TestDataloadersBatchUserLookups: a members list loads its users in one
// query, even when the loaders wait only a nanosecond for keys (the list
// preloads them rather than relying on its items' timing).
func TestDataloadersBatchUserLookups(t *testing.T) {
	name := dbs.DatabaseName(t)
	shared := func(c *config.Config) {
		c.MongoDatabase, c.SecretKey = name, []byte("0123456789abcdef0123456789abcdef")
	}
	setup := apptest.Start(t, dbs, shared)
	owner := signUp(t, setup, "owner@example.com", "Big Co")
	for i := range 6 {
		m := signUp(t, setup, "member"+string(rune('a'+i))+"@example.com", "Own")
		addMember(t, owner, m, "MEMBER")
	}
	// A second process, which has kept no user yet.
	env := apptest.StartWith(t, dbs, app.Options{LoaderWait: time.Nanosecond}, shared)
	c := logInClient(t, env, owner)
	query := `{ me { organization { members { nodes { user { email } } } } } }`
	// Warm up: authenticates the session and passes the legal gate, both
	// then kept by the process, without reading any user.
	c.MustData(t, `{ me { role } }`, nil, nil)
	env.Commands.Reset()
	c.MustData(t, query, nil, nil)
	if got := env.Commands.CountOn("find", "users"); got != 1 {
		t.Fatalf("%d finds of users for 7 members, want 1", got)
	}
	// Besides: the organization and its memberships, and perhaps the list
	// of current legal documents.
	if got := env.Commands.Count("find") - env.Commands.CountOn("find", "legal_documents"); got != 3 {
		t.Fatalf("%d find commands for 7 members, want 3 (the organization, the memberships, one for all users)", got)
	}
}

func TestAPIKeys(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.WebsocketRecheckInterval = 100 * time.Millisecond })
	alice := signUp(t, env, "alice@example.com", "A")
	bob := signUp(t, env, "bob@example.com", "B")

	create := func(c *apptest.Client, name, scope string) (id, secret string) {
		t.Helper()
		var out struct {
			CreateApiKey struct {
				ApiKey struct{ ID, Prefix, Scope string }
				Secret string
			}
		}
		c.MustData(t, `mutation($n: String!, $s: ApiKeyScope!) { createApiKey(input: {name: $n, scope: $s}) { apiKey { id prefix scope } secret } }`,
			map[string]any{"n": name, "s": scope}, &out)
		k := out.CreateApiKey
		if !strings.HasPrefix(k.Secret, "omk_") || !strings.HasPrefix(k.Secret, k.ApiKey.Prefix) || k.ApiKey.Scope != scope {
			t.Fatalf("created %+v", k)
		}
		return k.ApiKey.ID, k.Secret
	}
	readID, readSecret := create(alice.c, "dashboard", "READ")
	_, writeSecret := create(alice.c, "sync bot", "READ_WRITE")
	_, bobSecret := create(bob.c, "bob", "READ")

	withKey := func(secret string) *apptest.Client {
		c := env.Client()
		c.Header.Set("Authorization", "Bearer "+secret)
		return c
	}
	reader := withKey(readSecret)
	v := me(t, reader)
	if v == nil || v.User != nil || v.Organization.ID != alice.orgID || v.Role != "VIEWER" || v.APIKey == nil || v.APIKey.ID != readID {
		t.Fatalf("me with READ key: %+v", v)
	}
	if r := reader.Do(t, `mutation { logOut { loggedOut } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("READ key ran a mutation: %+v", r.Errors)
	}
	writer := withKey(writeSecret)
	if r := writer.Do(t, `mutation { logOut { loggedOut } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("READ_WRITE key mutation: %+v", r.Errors)
	}
	if r := writer.Do(t, `mutation { createApiKey(input: {name: "x", scope: READ}) { secret } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("a key created a key: %+v", r.Errors)
	}
	if v := me(t, withKey(bobSecret)); v.Organization.ID != bob.orgID {
		t.Fatalf("bob's key acts in %+v", v.Organization)
	}

	// Listing shows the key without its secret, with last use recorded.
	var list struct {
		ApiKeys struct {
			Nodes []struct {
				ID, Name, Prefix, Scope string
				LastUsedAt              *string
				Revoked                 bool
				CreatedBy               struct{ Email string }
			}
		}
	}
	alice.c.MustData(t, `{ apiKeys { nodes { id name prefix scope lastUsedAt revoked createdBy { email } } } }`, nil, &list)
	if k := list.ApiKeys.Nodes; len(k) != 2 || k[1].ID != readID || k[1].LastUsedAt == nil || k[1].CreatedBy.Email != alice.email {
		t.Fatalf("keys: %+v", list)
	}

	// A WebSocket authenticated with the key is closed once it is revoked.
	ws := mustDialWS(t, env, "graphql-transport-ws")
	ws.send(wsMsg{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer " + readSecret}})
	if m := ws.read(false); m.Type != "connection_ack" {
		t.Fatalf("ws with key: %+v", m)
	}

	var revoked struct {
		RevokeApiKey struct{ ApiKey struct{ Revoked bool } }
	}
	alice.c.MustData(t, `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { revoked } } }`, map[string]any{"k": readID}, &revoked)
	if !revoked.RevokeApiKey.ApiKey.Revoked {
		t.Fatal("not revoked")
	}
	got := send(t, "POST", env.URL+"/graphql", "application/json", `{"query":"{ me { role } }"}`, map[string]string{"Authorization": "Bearer " + readSecret})
	if got.status != 401 || !strings.Contains(got.body, "UNAUTHENTICATED") {
		t.Fatalf("revoked key: %d %s", got.status, got.body)
	}
	if code := ws.closeCode(); code != 4403 {
		t.Fatalf("websocket of a revoked key closed with %d, want 4403", code)
	}

	for name, header := range map[string]string{
		"garbage bearer":       "Bearer not-a-key",
		"well-formed unknown":  "Bearer omk_" + bson.NewObjectID().Hex() + "_" + strings.Repeat("A", 43),
		"another scheme":       "Basic YWxpY2U6cGFzcw==",
		"bearer without token": "Bearer ",
	} {
		t.Run(name, func(t *testing.T) {
			got := send(t, "POST", env.URL+"/graphql", "application/json", `{"query":"{ me { role } }"}`, map[string]string{"Authorization": header})
			if got.status != 401 || !strings.Contains(got.body, "UNAUTHENTICATED") {
				t.Fatalf("%d %s", got.status, got.body)
			}
		})
	}
}

func TestCSRFAndCookies(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@example.com", "A")
	_, secret := func() (string, string) {
		var out struct{ CreateApiKey struct{ Secret string } }
		alice.c.MustData(t, `mutation { createApiKey(input: {name: "k", scope: READ}) { secret } }`, nil, &out)
		return "", out.CreateApiKey.Secret
	}()
	u, _ := url.Parse(env.URL)
	cookie := alice.c.HTTP().Jar.Cookies(u)[0]
	withCookie := func(method, path, contentType, body string, header map[string]string) rawResult {
		if header == nil {
			header = map[string]string{}
		}
		header["Cookie"] = cookie.Name + "=" + cookie.Value
		return send(t, method, env.URL+path, contentType, body, header)
	}
	q := "/graphql?query=" + url.QueryEscape("{ me { role } }")
	tests := []struct {
		name       string
		got        rawResult
		wantStatus int
	}{
		{"cookie + text/plain POST", withCookie("POST", "/graphql", "text/plain", `{"query":"{ me { role } }"}`, nil), 403},
		{"cookie + form POST", withCookie("POST", "/graphql", "application/x-www-form-urlencoded", `query=x`, nil), 403},
		{"cookie + multipart POST", withCookie("POST", "/graphql", "multipart/form-data; boundary=x", `--x--`, nil), 403},
		{"cookie + GET", withCookie("GET", q, "", "", nil), 403},
		{"cookie + GET with the CSRF header", withCookie("GET", q, "", "", map[string]string{"X-Omnify-Csrf": "1"}), 200},
		{"cookie + GET with Apollo-Require-Preflight", withCookie("GET", q, "", "", map[string]string{"Apollo-Require-Preflight": "true"}), 200},
		{"cookie + JSON POST", withCookie("POST", "/graphql", "application/json", `{"query":"{ me { role } }"}`, nil), 200},
		{"bearer + text/plain is not a CSRF case", send(t, "POST", env.URL+"/graphql", "text/plain", `{}`, map[string]string{"Authorization": "Bearer " + secret}), 415},
		{"anonymous GET", send(t, "GET", env.URL+q, "", "", nil), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", tt.got.status, tt.wantStatus, tt.got.body)
			}
		})
	}

	t.Run("garbage cookie is anonymous and cleared", func(t *testing.T) {
		for _, v := range []string{"garbage", strings.Repeat("A", 43), "%00%ff", strings.Repeat("x", 4000)} {
			got := send(t, "POST", env.URL+"/graphql", "application/json", `{"query":"{ me { role } }"}`, map[string]string{"Cookie": "omnify_session=" + v})
			if got.status != 200 || !strings.Contains(got.body, `"me":null`) || !strings.Contains(got.header.Get("Set-Cookie"), "Max-Age=0") {
				t.Fatalf("cookie %q: %d %s %v", v, got.status, got.body, got.header)
			}
		}
	})
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@example.com", "A")
	laptop := env.Client()
	laptop.MustData(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
		map[string]any{"i": map[string]any{"email": alice.email, "password": alice.pass}}, nil)

	change := func(cur, next string) apptest.Response {
		return alice.c.Do(t, `mutation($i: ChangePasswordInput!) { changePassword(input: $i) { otherSessionsEnded } }`,
			map[string]any{"i": map[string]any{"currentPassword": cur, "newPassword": next}})
	}
	if r := change("wrong password!", "a brand new password"); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("wrong current password: %+v", r.Errors)
	}
	if r := change(alice.pass, "short"); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("short new password: %+v", r.Errors)
	}
	if r := change(alice.pass, "a brand new password"); len(r.Errors) != 0 {
		t.Fatalf("change: %+v", r.Errors)
	}
	if me(t, laptop) != nil {
		t.Fatal("the other session survived a password change")
	}
	if me(t, alice.c) == nil {
		t.Fatal("the session that changed the password was ended")
	}
	if r := rawLogIn(t, env, alice.email, "a brand new password"); r.status != 200 || strings.Contains(r.body, "errors") {
		t.Fatalf("log in with the new password: %s", r.body)
	}
}

func TestWebsocketAuthentication(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) {
		c.WebsocketRecheckInterval = 100 * time.Millisecond
		c.AllowedOrigins = []string{"https://app.omnify.test"}
	})
	alice := signUp(t, env, "alice@example.com", "A")

	t.Run("bad key in connection_init closes with 4403", func(t *testing.T) {
		c := mustDialWS(t, env, "graphql-transport-ws")
		c.send(wsMsg{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer omk_nope"}})
		if code := c.closeCode(); code != 4403 {
			t.Fatalf("close code %d", code)
		}
	})
	t.Run("bad key in the upgrade header closes with 4403", func(t *testing.T) {
		c, _, err := dialWS(t, env, http.Header{"Authorization": {"Bearer omk_nope"}}, "graphql-transport-ws")
		if err != nil {
			t.Fatal(err)
		}
		c.send(wsMsg{Type: "connection_init"})
		if code := c.closeCode(); code != 4403 {
			t.Fatalf("close code %d", code)
		}
	})
	t.Run("session cookie from an allowed origin, closed at logout", func(t *testing.T) {
		u, _ := url.Parse(env.URL)
		ck := alice.c.HTTP().Jar.Cookies(u)[0]
		h := http.Header{"Cookie": {ck.Name + "=" + ck.Value}, "Origin": {"https://app.omnify.test"}}
		c, _, err := dialWS(t, env, h, "graphql-transport-ws")
		if err != nil {
			t.Fatal(err)
		}
		c.initAndAck()
		c.send(wsMsg{ID: "1", Type: "subscribe", Payload: map[string]any{"query": "{ me { user { email } } }"}})
		if m := c.read(false); m.Type != "next" || !strings.Contains(strings.ToLower(toJSON(m.Payload)), alice.email) {
			t.Fatalf("me over websocket: %+v", m)
		}
		alice.c.MustData(t, `mutation { logOut { loggedOut } }`, nil, nil)
		if code := c.closeCode(); code != 4403 {
			t.Fatalf("close code after logout %d", code)
		}
	})
}

func TestIntrospectionInProductionNeedsAuthentication(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) {
		c.Env = config.Production
		c.SecretKey = make([]byte, 32)
	})
	anon := env.Client().Do(t, `{ __schema { queryType { name } } }`, nil)
	if len(anon.Errors) == 0 {
		t.Fatal("anonymous introspection allowed in production")
	}
	// A production session cookie is Secure and __Host- prefixed.
	raw := send(t, "POST", env.URL+"/graphql", "application/json",
		`{"query":"mutation { signUp(input: {email: \"p@example.com\", password: \"a long password\", name: \"P\", organizationName: \"P\"}) { viewer { role } } }"}`, nil)
	sc := raw.header.Get("Set-Cookie")
	if !strings.HasPrefix(sc, "__Host-omnify_session=") || !strings.Contains(sc, "Secure") {
		t.Fatalf("production cookie %q", sc)
	}
	token := strings.TrimPrefix(strings.SplitN(sc, ";", 2)[0], "__Host-omnify_session=")
	authed := send(t, "POST", env.URL+"/graphql", "application/json", `{"query":"{ __schema { queryType { name } } }"}`,
		map[string]string{"Cookie": "__Host-omnify_session=" + token})
	if !strings.Contains(authed.body, `"name":"Query"`) {
		t.Fatalf("authenticated introspection: %s", authed.body)
	}
}

func currentLegalIDs(t testing.TB, env *apptest.Env) []string {
	t.Helper()
	var docs struct{ LegalDocuments []struct{ ID string } }
	env.Client().MustData(t, `{ legalDocuments { id } }`, nil, &docs)
	ids := make([]string, len(docs.LegalDocuments))
	for i, d := range docs.LegalDocuments {
		ids[i] = d.ID
	}
	return ids
}

func TestLoginThrottlingPerIP(t *testing.T) {
	env := apptest.Start(t, dbs)
	erin := signUp(t, env, "erin@example.com", "Erin Co")
	logIn := func(email, pass string) apptest.Response {
		return env.Client().Do(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
			map[string]any{"i": map[string]any{"email": email, "password": pass}})
	}
	// Twenty failures from one address, spread over many emails so that no
	// single email reaches its own limit.
	for i := range 20 {
		if r := logIn(fmt.Sprintf("guess%d@example.com", i), "wrong password!"); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("failure %d: %+v", i, r.Errors)
		}
	}
	if r := logIn(erin.email, erin.pass); r.Code() != "RATE_LIMITED" {
		t.Fatalf("21st attempt from the address: %+v", r.Errors)
	}
}

func TestDataSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	embedded := func(c *config.Config) { c.MongoURI, c.DataDir, c.MongoDatabase = "", dir, "omnify" }
	first := apptest.Start(t, dbs, embedded)
	signUp(t, first, "kept@example.com", "Kept")
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	second := apptest.Start(t, dbs, embedded)
	if r := rawLogIn(t, second, "kept@example.com", "correct horse battery"); r.status != 200 || strings.Contains(r.body, "errors") {
		t.Fatalf("log in after restart: %s", r.body)
	}
}

// A process killed in the middle of a sign-up leaves a user marked pending
// (see auth.SignUp); the next process to start finishes the account.
func TestStartFinishesInterruptedSignUps(t *testing.T) {
	name := dbs.DatabaseName(t)
	shared := func(c *config.Config) { c.MongoDatabase = name }
	first := apptest.Start(t, dbs, shared)
	hash, err := auth.NewHasher(auth.DefaultPasswordParams(), 1).Hash(context.Background(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	user := auth.User{ID: bson.NewObjectID(), Email: "halfway@example.com", Name: "H", PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
		PendingSignUp: &auth.PendingSignUp{OrganizationID: bson.NewObjectID(), OrganizationName: "Halfway", MembershipID: bson.NewObjectID(), StartedAt: now}}
	db := first.Database(t)
	if _, err := db.Collection("users").InsertOne(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	apptest.Start(t, dbs, shared)
	var got auth.User
	if err := db.Collection("users").FindOne(context.Background(), bson.M{"_id": user.ID}).Decode(&got); err != nil || got.PendingSignUp != nil {
		t.Fatalf("user after start: %+v, %v; want the sign-up finished", got, err)
	}
	var m auth.Membership
	if err := db.Collection("memberships").FindOne(context.Background(), bson.M{"userId": user.ID}).Decode(&m); err != nil ||
		m.Role != authz.RoleOwner || m.OrganizationID != user.PendingSignUp.OrganizationID {
		t.Fatalf("membership after start: %+v, %v", m, err)
	}
}

// TestTrustedProxiesNameTheClient runs the server behind a load balancer on
// 127.0.0.1: with OMNIFY_TRUSTED_PROXIES naming it, the client's address is
// the one the balancer wrote into X-Forwarded-For, so the per-address login
// throttle locks out one client, not everyone behind the balancer; without
// it, the header is the client's own claim and is ignored.
func TestTrustedProxiesNameTheClient(t *testing.T) {
	tests := []struct {
		name    string
		trusted []netip.Prefix
		// otherLocked: a second forwarded address is locked out too,
		// because both are the balancer's.
		otherLocked bool
	}{
		{name: "behind a trusted proxy", trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		{name: "without trusted proxies", otherLocked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := apptest.Start(t, dbs, func(c *config.Config) { c.TrustedProxies = tt.trusted })
			grace := signUp(t, env, "grace@example.com", "Grace Co")
			logIn := func(forwardedFor, email, pass string) apptest.Response {
				c := env.Client()
				c.Header.Set("X-Forwarded-For", forwardedFor)
				return c.Do(t, `mutation($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`,
					map[string]any{"i": map[string]any{"email": email, "password": pass}})
			}
			// Twenty failures from one client, over as many emails, so that
			// only the per-address limit is reached.
			for i := range 20 {
				if r := logIn("198.51.100.7", fmt.Sprintf("guess%d@example.com", i), "wrong password!"); r.Code() != "UNAUTHENTICATED" {
					t.Fatalf("failure %d: %+v", i, r.Errors)
				}
			}
			if r := logIn("198.51.100.7", grace.email, grace.pass); r.Code() != "RATE_LIMITED" {
				t.Fatalf("the guessing client after 20 failures: %+v", r.Errors)
			}
			r := logIn("203.0.113.9", grace.email, grace.pass)
			if tt.otherLocked {
				if r.Code() != "RATE_LIMITED" {
					t.Fatalf("X-Forwarded-For from an untrusted peer was believed: %+v", r.Errors)
				}
				return
			}
			if len(r.Errors) != 0 {
				t.Fatalf("another client behind the proxy: %+v", r.Errors)
			}
		})
	}
}

// TestFailedSignUpLeavesNoAccount: when recording the accepted legal
// documents fails after the account was created, the sign-up is undone
// whole. No user, organization, membership or session is left, no cookie is
// set, and signing up again with the same email succeeds.
func TestFailedSignUpLeavesNoAccount(t *testing.T) {
	env := apptest.Start(t, dbs)
	db := env.Database(t)
	ctx := context.Background()
	count := func(coll string, filter bson.M) int64 {
		t.Helper()
		n, err := db.Collection(coll).CountDocuments(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Make recording this client's acceptances fail: a unique index on the
	// user agent, which a record already there holds.
	const agent = "failing-sign-up"
	acceptances := db.Collection("legal_acceptances")
	if _, err := acceptances.InsertOne(ctx, bson.M{"_id": bson.NewObjectID(), "userAgent": agent}); err != nil {
		t.Fatal(err)
	}
	if _, err := acceptances.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "userAgent", Value: 1}}, Options: options.Index().SetName("fail_on_purpose").SetUnique(true),
	}); err != nil {
		t.Fatal(err)
	}

	body, _ := json.Marshal(map[string]any{"query": signUpMutation, "variables": map[string]any{"input": map[string]any{
		"email": "undo@example.com", "password": "correct horse battery", "name": "Undo", "organizationName": "Undo Co",
		"acceptedLegalDocumentIds": currentLegalIDs(t, env),
	}}})
	signUpAs := func() rawResult {
		return send(t, "POST", env.URL+"/graphql", "application/json", string(body), map[string]string{"User-Agent": agent})
	}

	r := signUpAs()
	if !strings.Contains(r.body, `"errors"`) {
		t.Fatalf("the sign-up succeeded although its acceptances could not be recorded: %s", r.body)
	}
	if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
		t.Fatalf("a failed sign-up set cookies %q", sc)
	}
	users, orgs := count("users", bson.M{"email": "undo@example.com"}), count("organizations", bson.M{"name": "Undo Co"})
	members, sessions := count("memberships", bson.M{}), count("sessions", bson.M{})
	if users+orgs+members+sessions != 0 {
		t.Fatalf("a failed sign-up left %d users, %d organizations, %d memberships and %d sessions", users, orgs, members, sessions)
	}

	// Once acceptances can be recorded again, the same sign-up succeeds.
	if err := acceptances.Indexes().DropOne(ctx, "fail_on_purpose"); err != nil {
		t.Fatal(err)
	}
	r = signUpAs()
	if r.status != 200 || strings.Contains(r.body, `"errors"`) || !strings.Contains(r.header.Get("Set-Cookie"), "omnify_session=") {
		t.Fatalf("sign-up again: %d %s (Set-Cookie %q)", r.status, r.body, r.header.Get("Set-Cookie"))
	}
	if n := count("users", bson.M{"email": "undo@example.com"}); n != 1 {
		t.Fatalf("%d users after signing up again, want 1", n)
	}
}
