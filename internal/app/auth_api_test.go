package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/omnify/bff/internal/app/apptest"
)

// connection is the part of every connection the tests walk.
type connection struct {
	Edges []struct {
		Cursor string
		Node   struct{ ID string }
	}
	Nodes    []struct{ ID string }
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		EndCursor                    *string
	}
	TotalCount int
}

const connectionFields = `edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage endCursor } totalCount`

// at returns the JSON value at path in data.
func at(t *testing.T, data json.RawMessage, path ...string) json.RawMessage {
	t.Helper()
	for _, key := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s at %s: %v", data, key, err)
		}
		data = m[key]
	}
	return data
}

// walk pages through the connection at path of query (which takes $first
// and $after), size items at a time, and returns the ids in order. It
// checks every page against the whole list read in one page and against
// totalCount.
func walk(t *testing.T, c *apptest.Client, query string, size int, path ...string) []string {
	t.Helper()
	get := func(first int, after *string) connection {
		t.Helper()
		vars := map[string]any{"first": first}
		if after != nil {
			vars["after"] = *after
		}
		r := c.Do(t, query, vars)
		if len(r.Errors) != 0 {
			t.Fatalf("%s: %+v", path, r.Errors)
		}
		var conn connection
		if err := json.Unmarshal(at(t, r.Data, path...), &conn); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	whole := get(100, nil)
	var want []string
	for _, n := range whole.Nodes {
		want = append(want, n.ID)
	}
	if len(want) != whole.TotalCount || whole.PageInfo.HasNextPage {
		t.Fatalf("%s in one page: %d nodes, totalCount %d, hasNextPage %v", path, len(want), whole.TotalCount, whole.PageInfo.HasNextPage)
	}

	var got []string
	var after *string
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatalf("%s: more pages than items", path)
		}
		p := get(size, after)
		if p.TotalCount != whole.TotalCount {
			t.Fatalf("%s page %d: totalCount %d, want %d", path, pages, p.TotalCount, whole.TotalCount)
		}
		if len(p.Edges) != len(p.Nodes) || len(p.Nodes) > size || p.PageInfo.HasPreviousPage != (after != nil) {
			t.Fatalf("%s page %d: %d edges, %d nodes, hasPreviousPage %v", path, pages, len(p.Edges), len(p.Nodes), p.PageInfo.HasPreviousPage)
		}
		for i, e := range p.Edges {
			if e.Node.ID != p.Nodes[i].ID || e.Cursor == "" {
				t.Fatalf("%s page %d: edge %d is %+v, node %+v", path, pages, i, e, p.Nodes[i])
			}
			got = append(got, e.Node.ID)
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		if p.PageInfo.EndCursor == nil || *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor {
			t.Fatalf("%s page %d: endCursor %v is not the last edge's cursor", path, pages, p.PageInfo.EndCursor)
		}
		after = p.PageInfo.EndCursor
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s walked %d at a time: %v, want %v", path, size, got, want)
	}
	return got
}

func TestAuthConnectionsPageWithTheirTotalCount(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@example.com", "A")
	carol := signUp(t, env, "carol@example.com", "C")
	bob := signUp(t, env, "bob@example.com", "B")
	dave := signUp(t, env, "dave@example.com", "D")
	// Bob is invited to two more organizations; Dave joins Alice's.
	for _, owner := range []account{alice, carol} {
		if r := invite(t, owner.c, bob.email, "MEMBER"); len(r.Errors) != 0 {
			t.Fatal(r.Errors)
		}
	}
	got := walk(t, bob.c, `query($first: Int, $after: String) { me { invitations(first: $first, after: $after) { `+connectionFields+` } } }`, 1, "me", "invitations")
	if len(got) != 2 {
		t.Fatalf("bob's invitations: %v", got)
	}
	acceptInvitation(t, bob, alice.orgID)
	acceptInvitation(t, bob, carol.orgID)
	addMember(t, alice, dave, "VIEWER")
	for i := range 5 {
		if r := invite(t, alice.c, fmt.Sprintf("guest%d@example.com", i), "VIEWER"); len(r.Errors) != 0 {
			t.Fatal(r.Errors)
		}
		createKey(t, alice.c, fmt.Sprintf("key %d", i), "READ")
	}

	tests := []struct {
		name  string
		c     *apptest.Client
		query string
		path  []string
		want  int
	}{
		{"Organization.members", alice.c, `query($first: Int, $after: String) { me { organization { members(first: $first, after: $after) { ` + connectionFields + ` } } } }`,
			[]string{"me", "organization", "members"}, 3},
		{"Viewer.organizations", bob.c, `query($first: Int, $after: String) { me { organizations(first: $first, after: $after) { ` + connectionFields + ` } } }`,
			[]string{"me", "organizations"}, 3},
		{"Query.apiKeys", alice.c, `query($first: Int, $after: String) { apiKeys(first: $first, after: $after) { ` + connectionFields + ` } }`,
			[]string{"apiKeys"}, 5},
		{"Query.invitations", alice.c, `query($first: Int, $after: String) { invitations(first: $first, after: $after) { ` + connectionFields + ` } }`,
			[]string{"invitations"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 2, 100} {
				if got := walk(t, tt.c, tt.query, size, tt.path...); len(got) != tt.want {
					t.Fatalf("%d items, want %d", len(got), tt.want)
				}
			}
		})
	}

	t.Run("first and after are checked", func(t *testing.T) {
		for _, c := range []struct {
			vars  map[string]any
			field string
		}{
			{map[string]any{"first": 0}, "first"},
			{map[string]any{"first": 101}, "first"},
			{map[string]any{"after": "not a cursor"}, "after"},
			{map[string]any{"after": "YWJj"}, "after"},
		} {
			r := alice.c.Do(t, `query($first: Int, $after: String) { apiKeys(first: $first, after: $after) { totalCount } }`, c.vars)
			if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != c.field {
				t.Fatalf("%v: %+v, want BAD_USER_INPUT on %s", c.vars, r.Errors, c.field)
			}
		}
	})
}

func TestNodeFindsAuthObjectsAsTheirFieldsDo(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@example.com", "A")
	bob := signUp(t, env, "bob@example.com", "B")
	addMember(t, alice, bob, "ADMIN")
	if r := invite(t, alice.c, "guest@example.com", "VIEWER"); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	if r := invite(t, bob.c, alice.email, "VIEWER"); len(r.Errors) != 0 { // from Bob's own organization
		t.Fatal(r.Errors)
	}
	createKey(t, alice.c, "alice's", "READ")
	eve := signUp(t, env, "eve@example.com", "E")
	createKey(t, eve.c, "eve's", "READ")
	if r := invite(t, eve.c, "eve-guest@example.com", "VIEWER"); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}

	// The objects as the typed fields show them, with the fields each
	// type's node fragment asks for again.
	const fields = `
		me {
			user { id email name createdAt }
			organization { id name createdAt members { nodes { id role joinedAt user { id } } } }
			organizations { nodes { id role organization { id } } }
			invitations { nodes { id email role expiresAt organization { id } } }
		}
		apiKeys { nodes { id name prefix scope revoked } }
		invitations { nodes { id email role expiresAt organization { id } } }`
	const fragments = `
		... on User { email name createdAt }
		... on Organization { name createdAt }
		... on Member { role joinedAt user { id } }
		... on OrganizationMembership { role organization { id } }
		... on ApiKey { name prefix scope revoked }
		... on Invitation { email role expiresAt organization { id } }`
	objects := func(t *testing.T, c *apptest.Client) map[string]map[string]any {
		t.Helper()
		var data map[string]any
		c.MustData(t, `{`+fields+`}`, nil, &data)
		out := map[string]map[string]any{}
		var collect func(v any)
		collect = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if id, ok := x["id"].(string); ok && len(x) > 1 {
					obj := map[string]any{}
					for k, e := range x {
						if k != "members" { // a connection, not a field the fragment repeats
							obj[k] = e
						}
					}
					if len(obj) > len(out[id]) { // the richest of its appearances
						out[id] = obj
					}
				}
				for _, e := range x {
					collect(e)
				}
			case []any:
				for _, e := range x {
					collect(e)
				}
			}
		}
		collect(data)
		return out
	}
	aliceSees, eveSees := objects(t, alice.c), objects(t, eve.c)
	if len(aliceSees) < 8 {
		t.Fatalf("alice sees only %d objects: %v", len(aliceSees), aliceSees)
	}

	for id, want := range aliceSees {
		t.Run("alice reads "+id, func(t *testing.T) {
			var got struct{ Node map[string]any }
			alice.c.MustData(t, `query($id: ID!) { node(id: $id) { id `+fragments+` } }`, map[string]any{"id": id}, &got)
			wantJSON, _ := json.Marshal(want)
			gotJSON, _ := json.Marshal(got.Node)
			if string(wantJSON) != string(gotJSON) {
				t.Fatalf("node(id) = %s, the typed field says %s", gotJSON, wantJSON)
			}
		})
	}
	for id := range eveSees {
		if _, shared := aliceSees[id]; shared {
			continue
		}
		t.Run("alice cannot read eve's "+id, func(t *testing.T) {
			r := alice.c.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			if r.Code() != "NOT_FOUND" || string(at(t, r.Data, "node")) != "null" {
				t.Fatalf("%s: %+v", r.Data, r.Errors)
			}
		})
	}
	t.Run("anonymous callers must log in, as for the typed fields", func(t *testing.T) {
		r := env.Client().Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": alice.userID})
		if r.Code() != "UNAUTHENTICATED" || string(at(t, r.Data, "node")) != "null" {
			t.Fatalf("%+v", r.Errors)
		}
	})
}

func TestMalformedAuthIDsNameTheirField(t *testing.T) {
	env := apptest.Start(t, dbs)
	alice := signUp(t, env, "alice@example.com", "A")
	keyID, _ := createKey(t, alice.c, "k", "READ")
	for _, tt := range []struct {
		mutation, field string
	}{
		{`mutation($id: ID!) { updateMemberRole(input: {userId: $id, role: VIEWER}) { member { id } } }`, "userId"},
		{`mutation($id: ID!) { removeMember(input: {userId: $id}) { removedMemberId } }`, "userId"},
		{`mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } } }`, "id"},
		{`mutation($id: ID!) { switchOrganization(input: {organizationId: $id}) { viewer { id } } }`, "organizationId"},
		{`mutation($id: ID!) { acceptInvitation(input: {invitationId: $id}) { membership { id } } }`, "invitationId"},
		{`mutation($id: ID!) { revokeInvitation(input: {invitationId: $id}) { invitation { id } } }`, "invitationId"},
	} {
		name := strings.Fields(strings.SplitN(tt.mutation, "{", 3)[1])[0]
		for _, id := range []string{"zzz", alice.userID[:len(alice.userID)-2], keyID, alice.orgID} {
			if (tt.field == "id" && id == keyID) || (tt.field == "organizationId" && id == alice.orgID) || (tt.field == "userId" && id == alice.userID) {
				continue // the right type
			}
			t.Run(name+" "+id, func(t *testing.T) {
				r := alice.c.Do(t, tt.mutation, map[string]any{"id": id})
				if r.Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tt.field {
					t.Fatalf("%+v, want BAD_USER_INPUT on %s", r.Errors, tt.field)
				}
			})
		}
	}
}
