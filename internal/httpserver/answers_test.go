package httpserver

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/authz"
)

// answerHarness drives an answerCache as gqlgen does: an operation context,
// a principal, and a next that counts executions and answers what the test
// says.
type answerHarness struct {
	t     *testing.T
	a     *answerCache
	gen   atomic.Uint64
	runs  int
	reply func() *graphql.Response
	// during runs inside an execution, before its answer.
	during func()
}

func newAnswerHarness(t *testing.T, ttl time.Duration) *answerHarness {
	h := &answerHarness{t: t, reply: func() *graphql.Response { return &graphql.Response{Data: json.RawMessage(`{"integrations":[]}`)} }}
	h.a = newAnswerCache(AnswerOptions{
		MaxBytes: 1 << 20, TTL: ttl, Fields: []string{"integrations", "marketingSummary"},
		Generation: func(bson.ObjectID) uint64 { return h.gen.Load() },
	}, NewMetrics(MetricsOptions{}))
	if h.a == nil {
		t.Fatal("no answer cache")
	}
	return h
}

// do runs query for p and returns the answer and whether it executed.
func (h *answerHarness) do(p *authz.Principal, query string, vars map[string]any) (*graphql.Response, bool) {
	h.t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		h.t.Fatal(err)
	}
	oc := &graphql.OperationContext{RawQuery: query, Variables: vars, Doc: doc, Operation: doc.Operations[0]}
	ctx := graphql.WithOperationContext(context.Background(), oc)
	if p != nil {
		ctx = authz.WithPrincipal(ctx, p)
	}
	before := h.runs
	rh := h.a.InterceptOperation(ctx, func(context.Context) graphql.ResponseHandler {
		h.runs++
		return graphql.OneShot(func() *graphql.Response {
			if h.during != nil {
				h.during()
			}
			return h.reply()
		}())
	})
	r := rh(ctx)
	if next := rh(ctx); next != nil {
		h.t.Fatalf("a second response: %+v", next)
	}
	return r, h.runs > before
}

func TestAnswerCacheKeepsAnswersWhileTheGenerationHolds(t *testing.T) {
	h := newAnswerHarness(t, time.Minute)
	org := bson.NewObjectID()
	viewer := &authz.Principal{UserID: bson.NewObjectID(), OrganizationID: org, Role: authz.RoleViewer}
	const q = `{ integrations { platform } }`

	if _, ran := h.do(viewer, q, nil); !ran {
		t.Fatal("the first ask did not execute")
	}
	r, ran := h.do(viewer, q, nil)
	if ran || string(r.Data) != `{"integrations":[]}` {
		t.Fatalf("asked again: executed %v, answer %s; want the kept answer", ran, r.Data)
	}
	// Another user of the same organization and role shares it.
	if _, ran := h.do(&authz.Principal{UserID: bson.NewObjectID(), OrganizationID: org, Role: authz.RoleViewer}, q, nil); ran {
		t.Error("another viewer of the organization did not get the kept answer")
	}
	// Another role, another organization, a key's scope, other variables,
	// another operation name: each its own answer.
	for name, p := range map[string]*authz.Principal{
		"owner":            {UserID: bson.NewObjectID(), OrganizationID: org, Role: authz.RoleOwner},
		"organization":     {UserID: bson.NewObjectID(), OrganizationID: bson.NewObjectID(), Role: authz.RoleViewer},
		"read key":         {APIKeyID: bson.NewObjectID(), OrganizationID: org, Role: authz.RoleViewer, Scope: authz.ScopeRead},
		"read-write key":   {APIKeyID: bson.NewObjectID(), OrganizationID: org, Role: authz.RoleViewer, Scope: authz.ScopeReadWrite},
		"no organization":  {UserID: bson.NewObjectID(), Role: authz.RoleViewer},
		"no one signed in": nil,
	} {
		if _, ran := h.do(p, q, nil); !ran {
			t.Errorf("%s got another caller's answer", name)
		}
	}
	if _, ran := h.do(viewer, `query($f: Int) { integrations { platform } }`, map[string]any{"f": 1}); !ran {
		t.Error("other variables got the kept answer")
	}
	if _, ran := h.do(viewer, `query($f: Int) { integrations { platform } }`, map[string]any{"f": 2}); !ran {
		t.Error("other variables got the kept answer")
	}

	// A change applied: the answer is not served again.
	h.gen.Add(1)
	if _, ran := h.do(viewer, q, nil); !ran {
		t.Error("served after the generation moved on")
	}
	if _, ran := h.do(viewer, q, nil); ran {
		t.Error("the answer at the new generation was not kept")
	}

	// A change applied while the query executed: its answer is not kept.
	h.gen.Add(1)
	h.during = func() { h.gen.Add(1) }
	if _, ran := h.do(viewer, q, nil); !ran {
		t.Fatal("served after the generation moved on")
	}
	h.during = nil
	if _, ran := h.do(viewer, q, nil); !ran {
		t.Error("an answer computed across a change was kept")
	}
}

func TestAnswerCacheKeepsOnlyWhatItMay(t *testing.T) {
	h := newAnswerHarness(t, time.Minute)
	viewer := &authz.Principal{UserID: bson.NewObjectID(), OrganizationID: bson.NewObjectID(), Role: authz.RoleViewer}
	twice := func(name, q string, vars map[string]any) {
		t.Helper()
		h.do(viewer, q, vars)
		if _, ran := h.do(viewer, q, vars); !ran {
			t.Errorf("%s: the answer was kept", name)
		}
	}
	twice("a mutation", `mutation { integrations { platform } }`, nil)
	twice("a subscription", `subscription { integrations { platform } }`, nil)
	twice("a field not named", `{ integrations { platform } me { email } }`, nil)
	twice("a field not named, in a fragment", `{ ... on Query { me { email } } integrations { platform } }`, nil)

	h.reply = func() *graphql.Response {
		return &graphql.Response{Data: json.RawMessage(`{"marketingSummary":null}`), Errors: gqlerror.List{{Message: "bad range"}}}
	}
	twice("an answer with an error", `{ marketingSummary { revenue } }`, nil)

	// The limits, at their edge and one past it.
	pad := func(n int) string {
		return `{"integrations":"` + strings.Repeat("x", n-len(`{"integrations":""}`)) + `"}`
	}
	for _, tc := range []struct {
		name    string
		query   string
		vars    map[string]any
		answer  int
		keptToo bool
	}{
		{"an answer of the largest size", `{ integrations { platform } }`, nil, maxAnswerBytes, true},
		{"an answer one byte larger", `{ integrations { platform } }`, nil, maxAnswerBytes + 1, false},
		{"a query of the largest size", `{ integrations { platform } }` + strings.Repeat(" ", maxAnswerQuery-len(`{ integrations { platform } }`)), nil, 64, true},
		{"a query one byte larger", `{ integrations { platform } }` + strings.Repeat(" ", maxAnswerQuery+1-len(`{ integrations { platform } }`)), nil, 64, false},
		{"variables of the largest size", `query($v: String) { integrations { platform } }`, map[string]any{"v": strings.Repeat("v", maxAnswerVariables-len(`{"v":""}`))}, 64, true},
		{"variables one byte larger", `query($v: String) { integrations { platform } }`, map[string]any{"v": strings.Repeat("v", maxAnswerVariables+1-len(`{"v":""}`))}, 64, false},
	} {
		h.gen.Add(1)
		data := pad(tc.answer)
		h.reply = func() *graphql.Response { return &graphql.Response{Data: json.RawMessage(data)} }
		h.do(viewer, tc.query, tc.vars)
		if _, ran := h.do(viewer, tc.query, tc.vars); ran == tc.keptToo {
			t.Errorf("%s: executed again %v, want %v", tc.name, ran, !tc.keptToo)
		}
	}
}

// An answer older than the TTL is not served, and the cache runs no
// goroutine of its own that a stopped server would leave behind.
func TestAnswerCacheHonoursItsTTLWithoutAGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	h := newAnswerHarness(t, time.Nanosecond)
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("goroutines %d after the cache was made, %d before", n, before)
	}
	viewer := &authz.Principal{UserID: bson.NewObjectID(), OrganizationID: bson.NewObjectID(), Role: authz.RoleViewer}
	h.do(viewer, `{ integrations { platform } }`, nil)
	if _, ran := h.do(viewer, `{ integrations { platform } }`, nil); !ran {
		t.Error("an answer older than the TTL was served")
	}
}
