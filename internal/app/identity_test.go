package app_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// everything selects every object type a client caches, each with its
// __typename and id, the way a normalized cache (Apollo Client) reads them.
const everything = `{
  me { __typename id role
    user { __typename id email }
    organization { __typename id name members(first: 50) { nodes { __typename id role user { __typename id email } } } }
    organizations(first: 50) { nodes { __typename id role organization { __typename id name } } }
    legal { acceptances(first: 50) { nodes { __typename id document { __typename id kind version } } } } }
  apiKeys(first: 50) { nodes { __typename id name createdBy { __typename id email } } }
  invitations(first: 50) { nodes { __typename id email organization { __typename id name } } }
  integrations { __typename id platform status syncs(first: 3) { nodes { __typename id platform } } }
  deals(first: 50) { nodes { __typename id hubspotId name } }
  contacts(first: 50) { nodes { __typename id hubspotId email } }
  emailCampaigns(first: 50) { nodes { __typename id klaviyoId name } }
  emailFlows(first: 50) { nodes { __typename id klaviyoId name } }
  legalDocuments { __typename id kind version }
  legalAcceptances(first: 50) { nodes { __typename id scope user { __typename id email } organization { __typename id name } document { __typename id } } }
}`

// cached is one normalized object: its type and its fields as seen.
type cached struct {
	typename string
	fields   map[string]any
}

// normalize walks a response the way a normalized cache does and returns
// its objects by id. It fails the test when one id names two types, or one
// object shows two values for a field.
func normalize(t *testing.T, raw json.RawMessage) map[string]cached {
	t.Helper()
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	out := map[string]cached{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
			id, hasID := x["id"].(string)
			typename, _ := x["__typename"].(string)
			if !hasID || typename == "" {
				return
			}
			seen, ok := out[id]
			if !ok {
				seen = cached{typename: typename, fields: map[string]any{}}
			}
			if seen.typename != typename {
				t.Errorf("id %s names a %s and a %s", id, seen.typename, typename)
			}
			for k, v := range x {
				if _, isObject := v.(map[string]any); isObject {
					continue
				}
				if _, isList := v.([]any); isList {
					continue
				}
				if old, ok := seen.fields[k]; ok && !reflect.DeepEqual(old, v) {
					t.Errorf("%s %s: %s is %v in one place and %v in another", typename, id, k, old, v)
				}
				seen.fields[k] = v
			}
			out[id] = seen
		}
	}
	walk(data)
	return out
}

// TestIdentityAcrossTypesAndTenants normalizes everything two
// organizations that sync the same platform accounts can read, then checks
// that ids are unique across types and organizations, that node(id) returns
// each object as its typed field did, and that no id of one organization
// reaches anything through the other, by node or by a mutation.
func TestIdentityAcrossTypesAndTenants(t *testing.T) {
	p := newPlatforms(t)
	// One read of everything is far past the default complexity limit.
	env := apptest.Start(t, dbs, p.configure, func(c *config.Config) { c.MaxQueryComplexity = 100_000 })
	alice := signUp(t, env, "alice@example.com", "Acme")
	bob := signUp(t, env, "bob@example.com", "Bob Co")
	carol := signUp(t, env, "carol@example.com", "Carol Co")
	addMember(t, alice, carol, "MEMBER")
	if r := invite(t, alice.c, "dave@example.com", "VIEWER"); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	createKey(t, alice.c, "dashboard", "READ")
	for _, owner := range []account{alice, bob} {
		for _, c := range []struct{ platform, key, shop string }{{"TRIPLE_WHALE", twGoodKey, shop}, {"HUBSPOT", hsGoodKey, ""}, {"KLAVIYO", klGoodKey, ""}} {
			if r := connect(t, owner.c, c.platform, c.key, c.shop); len(r.Errors) != 0 {
				t.Fatalf("connect %s: %+v", c.platform, r.Errors)
			}
		}
		waitFor(t, "the first syncs", func() bool {
			for _, i := range listIntegrations(t, owner.c) {
				if i.LastSyncedAt == nil {
					return false
				}
			}
			return true
		})
	}

	read := func(a account) map[string]cached {
		r := a.c.Do(t, everything, nil)
		if len(r.Errors) != 0 {
			t.Fatalf("%s reads everything: %+v", a.email, r.Errors)
		}
		return normalize(t, r.Data)
	}
	mine, theirs := read(alice), read(bob)
	types := map[string]int{}
	for _, o := range mine {
		types[o.typename]++
	}
	for _, typ := range []string{"Viewer", "User", "Organization", "Member", "OrganizationMembership", "ApiKey", "Invitation",
		"Integration", "IntegrationSync", "Deal", "Contact", "EmailCampaign", "EmailFlow", "LegalDocument", "LegalAcceptance"} {
		if types[typ] == 0 {
			t.Errorf("alice's read has no %s", typ)
		}
	}
	for id, o := range theirs {
		if mo, shared := mine[id]; shared && o.typename != "LegalDocument" {
			t.Errorf("%s %s is in both organizations (alice's %s)", o.typename, id, mo.typename)
		}
	}

	scopes := map[any]int{}
	for _, o := range mine {
		if o.typename == "LegalAcceptance" {
			scopes[o.fields["scope"]]++
		}
	}
	if scopes["PERSONAL"] == 0 || scopes["ORGANIZATION"] == 0 {
		t.Errorf("alice's acceptances by scope: %v, want personal and organization records", scopes)
	}

	const node = `query($id: ID!) { node(id: $id) { __typename id ... on Deal { hubspotId } ... on ApiKey { name } ... on Member { role } ... on LegalAcceptance { scope } } }`
	anonymous := env.Client()
	for id, o := range mine {
		if o.typename == "Viewer" {
			continue // not a Node: a viewer is fetched with me
		}
		t.Run(fmt.Sprintf("%s %s", o.typename, id), func(t *testing.T) {
			var got struct{ Node map[string]any }
			alice.c.MustData(t, node, map[string]any{"id": id}, &got)
			if got.Node["__typename"] != o.typename || got.Node["id"] != id {
				t.Fatalf("node = %v, want the %s", got.Node, o.typename)
			}
			for _, k := range []string{"hubspotId", "name", "role", "scope"} {
				if v, selected := got.Node[k]; selected && v != o.fields[k] {
					t.Errorf("node's %s = %v, the typed field's %v", k, v, o.fields[k])
				}
			}
			for _, who := range []struct {
				name string
				c    *apptest.Client
				code string
			}{{"another organization's owner", bob.c, "NOT_FOUND"}, {"an anonymous caller", anonymous, "UNAUTHENTICATED"}} {
				r := who.c.Do(t, node, map[string]any{"id": id})
				if o.typename == "LegalDocument" {
					if len(r.Errors) != 0 {
						t.Errorf("%s reads a legal document: %+v", who.name, r.Errors)
					}
					continue
				}
				if r.Code() != who.code || string(r.Data) != `{"node":null}` {
					t.Errorf("%s: %s, errors %+v; want node null with %s", who.name, r.Data, r.Errors, who.code)
				}
			}
		})
	}

	// Mutations that take an id refuse the other organization's with
	// NOT_FOUND, as if it did not exist.
	idOf := func(typ string) string {
		for id, o := range mine {
			if o.typename == typ && (typ != "User" || o.fields["email"] == carol.email) {
				return id
			}
		}
		t.Fatalf("no %s", typ)
		return ""
	}
	for name, m := range map[string]struct {
		op   string
		vars map[string]any
	}{
		"updateMemberRole": {`mutation($id: ID!) { updateMemberRole(input: {userId: $id, role: VIEWER}) { member { id } } }`, map[string]any{"id": idOf("User")}},
		"removeMember":     {`mutation($id: ID!) { removeMember(input: {userId: $id}) { removedMemberId } }`, map[string]any{"id": idOf("User")}},
		"revokeApiKey":     {`mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } } }`, map[string]any{"id": idOf("ApiKey")}},
		"revokeInvitation": {`mutation($id: ID!) { revokeInvitation(input: {invitationId: $id}) { invitation { id } } }`, map[string]any{"id": idOf("Invitation")}},
		"acceptInvitation": {`mutation($id: ID!) { acceptInvitation(input: {invitationId: $id}) { membership { id } } }`, map[string]any{"id": idOf("Invitation")}},
		"switchOrganization": {`mutation($id: ID!) { switchOrganization(input: {organizationId: $id}) { viewer { id } } }`,
			map[string]any{"id": idOf("Organization")}},
	} {
		if r := bob.c.Do(t, m.op, m.vars); r.Code() != "NOT_FOUND" {
			t.Errorf("bob's %s with alice's id: %s %+v, want NOT_FOUND", name, r.Data, r.Errors)
		}
	}
	if after := read(alice); !reflect.DeepEqual(after, mine) {
		t.Error("bob's refused mutations changed what alice reads")
	}
}
