package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

func mustParse(t *testing.T, q string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	return doc
}

func code(err *gqlerror.Error) string {
	if err == nil {
		return ""
	}
	c, _ := err.Extensions["code"].(string)
	return c
}

func TestCheckDocument(t *testing.T) {
	// D2's document, at any number of levels: each fragment spreads the
	// next one twice, so a walk that does not remember fragments takes
	// 2^levels steps. Only a memoized walk finishes these.
	fanOut := func(levels int, last string) string {
		var b strings.Builder
		b.WriteString("{ ...F0 }\n")
		for i := range levels {
			fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
		}
		fmt.Fprintf(&b, "fragment F%d on Query { %s }\n", levels, last)
		return b.String()
	}
	l := defaultQueryLimits()
	tests := []struct {
		name     string
		query    string
		limits   func(*QueryLimits)
		wantCode string
	}{
		{name: "a plain query", query: `query Q { a { b c } d: a { e } }`},
		{name: "fan-out of 500 levels is refused by its repeats", query: fanOut(500, "__typename"), wantCode: codeFieldRepeatLimit},
		{name: "fan-out within the repeats limit", query: fanOut(4, "__typename")},
		{name: "fan-out of fields nested 500 levels is refused by depth",
			query: "{ ...G0 }\n" + strings.Join(func() []string {
				var out []string
				for i := range 500 {
					out = append(out, fmt.Sprintf("fragment G%d on Query { a { ...G%d } b { ...G%d } }", i, i+1, i+1))
				}
				return append(out, "fragment G500 on Query { c }")
			}(), "\n"),
			wantCode: codeDepthLimit},
		{name: "__schema spread from two fragments", query: `{ ...A ...B } fragment A on Query { __schema { x } } fragment B on Query { __schema { x } }`, wantCode: codeIntrospectionLimit},
		{name: "__schema twice with more allowed", query: `{ ...A ...B } fragment A on Query { __schema { x } } fragment B on Query { __schema { x } }`,
			limits: func(l *QueryLimits) { l.SchemaFields = 2 }},
		{name: "directives on an operation", query: `query @a @b @c @d @e @f { x }`, wantCode: codeDirectiveLimit},
		{name: "directives on a variable", query: `query ($v: Int @a @b @c @d @e @f) { x }`, wantCode: codeDirectiveLimit},
		{name: "directives on an unused fragment", query: `{ x } fragment U on Query @a @b @c @d @e @f { x }`, wantCode: codeDirectiveLimit},
		{name: "repeats in an unused fragment", query: `{ x } fragment U on Query { y y }`,
			limits: func(l *QueryLimits) { l.FieldRepeats = 1 }, wantCode: codeFieldRepeatLimit},
		{name: "repeats through nested inline fragments", query: `{ x ... { x ... { x } } }`,
			limits: func(l *QueryLimits) { l.FieldRepeats = 2 }, wantCode: codeFieldRepeatLimit},
		{name: "the same name under different parents is no repeat", query: `{ a { x } b { x } c { x } }`,
			limits: func(l *QueryLimits) { l.FieldRepeats = 1 }},
		{name: "a fragment cycle is left to validation", query: `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`},
		{name: "an unknown fragment is left to validation", query: `{ ...Nope }`},
		{name: "aliases in fragments count once", query: `{ ...A ...A ...A } fragment A on Query { a: x b: x }`,
			limits: func(l *QueryLimits) { l.Aliases = 2; l.FieldRepeats = 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limits := l
			if tt.limits != nil {
				tt.limits(&limits)
			}
			if got := code(checkDocument(mustParse(t, tt.query), limits)); got != tt.wantCode {
				t.Fatalf("code %q, want %q", got, tt.wantCode)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	l := defaultQueryLimits()
	q := &queryLimits{limits: l, parsed: newByteCache(1<<20, documentSize, nil)}
	p := &graphql.RawParams{Query: "{ a " + strings.Repeat("b ", l.Tokens) + "}"}
	if err := q.check(context.Background(), p); code(err) != codeTokenLimit {
		t.Fatalf("too many tokens: %v", err)
	}
	p = &graphql.RawParams{Query: "{ a "}
	if err := q.check(context.Background(), p); code(err) != "GRAPHQL_PARSE_FAILED" {
		t.Fatalf("syntax error: %v", err)
	}
	long := strings.Repeat("é", 10_000)
	p = &graphql.RawParams{Query: "query A { a }", OperationName: long}
	err := q.check(context.Background(), p)
	if code(err) != "GRAPHQL_VALIDATION_FAILED" || len(err.Message) > 200 || !strings.Contains(err.Message, "é…") {
		t.Fatalf("unknown operation name: %v", err)
	}
}

func TestByteCache(t *testing.T) {
	var reported float64
	c := newByteCache(100, func(_ string, v string) int64 { return int64(len(v)) }, func(v float64) { reported = v })
	ctx := context.Background()
	c.Add(ctx, "a", strings.Repeat("a", 40))
	c.Add(ctx, "b", strings.Repeat("b", 40))
	if _, ok := c.Get(ctx, "a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Add(ctx, "c", strings.Repeat("c", 40)) // evicts b, the least recently used
	if _, ok := c.Get(ctx, "b"); ok {
		t.Fatal("b survived")
	}
	if c.Bytes() != 80 || reported != 80 {
		t.Fatalf("bytes %d, reported %v", c.Bytes(), reported)
	}
	c.Add(ctx, "a", strings.Repeat("a", 60)) // replaces a
	if c.Bytes() != 100 {
		t.Fatalf("bytes %d after replacing a", c.Bytes())
	}
	c.Add(ctx, "huge", strings.Repeat("h", 101)) // larger than the cache: not stored
	if _, ok := c.Get(ctx, "huge"); ok || c.Bytes() != 100 {
		t.Fatalf("stored an entry larger than the cache; bytes %d", c.Bytes())
	}
}

func TestDocumentSizeCountsSourceAndNodes(t *testing.T) {
	small := "{ a }"
	commented := "{ a } #" + strings.Repeat("c", 1<<20)
	if s, c := documentSize(small, mustParse(t, small)), documentSize(commented, mustParse(t, commented)); c-s != int64(len(commented)-len(small)) {
		t.Fatalf("a comment of 1 MiB adds %d bytes", c-s)
	}
	wide := "{ " + strings.Repeat("a(x: [1, 2]) ", 1000) + "}"
	if s := documentSize(wide, mustParse(t, wide)); s < 4000*bytesPerNode {
		t.Fatalf("1000 fields with arguments estimated at %d bytes", s)
	}
}

func TestErrorsAreCapped(t *testing.T) {
	q := &queryLimits{limits: QueryLimits{Errors: 2}}
	respond := func(n int) *graphql.Response {
		return q.InterceptResponse(context.Background(), func(context.Context) *graphql.Response {
			var errs gqlerror.List
			for i := range n {
				errs = append(errs, gqlerror.Errorf("e%d", i))
			}
			return &graphql.Response{Errors: errs}
		})
	}
	if r := respond(2); len(r.Errors) != 2 {
		t.Fatalf("at the cap: %v", r.Errors)
	}
	r := respond(300_000)
	if len(r.Errors) != 3 || code(r.Errors[2]) != codeTooManyErrors || !strings.Contains(r.Errors[2].Message, "299998 more") {
		t.Fatalf("past the cap: %v", r.Errors)
	}
}

func TestCheckJSONBody(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"query":"{a}","operationName":"A","variables":{"x":[1]},"extensions":{}}`, true},
		{`{"query":null,"operationName":null,"variables":null,"extensions":null,"other":[1]}`, true},
		{`{"query":1}`, false},
		{`{"operationName":true}`, false},
		{`{"Variables":[]}`, false},
		{`{"extensions":"x"}`, false},
		{`{"query":"{a}","query":[]}`, false},
		{`[]`, false},
		{`{"query":`, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.Body = &bufferedBody{Reader: bytes.NewReader([]byte(tt.body)), data: []byte(tt.body)}
		if msg := checkJSONBody(r); (msg == "") != tt.ok || strings.Contains(msg, "{") {
			t.Errorf("%s: %q", tt.body, msg)
		}
	}
}

func TestProtocolConnCapsOperations(t *testing.T) {
	for _, transportWS := range []bool{true, false} {
		start, stop := "start", "stop"
		if transportWS {
			start, stop = "subscribe", "complete"
		}
		msg := func(typ, id string) []byte {
			return []byte(fmt.Sprintf(`{"type":%q,"id":%q,"payload":{"query":"subscription { x }"}}`, typ, id))
		}
		c := &protocolConn{wsProtocol: wsProtocol{transportWS: transportWS, acked: true, maxActive: 2, active: map[string]struct{}{}}}
		for _, id := range []string{"1", "2"} {
			if v := c.check(msg(start, id)); v != (verdict{}) {
				t.Fatalf("%s %s: %+v", start, id, v)
			}
		}
		if v := c.check(msg(start, "3")); v.refuse != "3" || v.code != 0 {
			t.Fatalf("one past the cap: %+v", v)
		}
		if v := c.check(msg(start, "2")); v.code != closeSubscriberExists {
			t.Fatalf("a running id again: %+v", v)
		}
		c.check(msg(stop, "1"))
		if v := c.check(msg(start, "3")); v != (verdict{}) {
			t.Fatalf("after a %s: %+v", stop, v)
		}
		// Refused as many times in a row as the cap, then closed.
		for _, id := range []string{"4", "5"} {
			if v := c.check(msg(start, id)); v.refuse != id {
				t.Fatalf("refusal %s: %+v", id, v)
			}
		}
		if v := c.check(msg(start, "6")); v.code != closeInvalidMessage || !strings.Contains(v.reason, "at most 2") {
			t.Fatalf("a refusal too many: %+v", v)
		}
	}
}

// complexitySchema has what the complexity rules look at: connections whose
// first has a schema default, one without a default, one nested in another.
const complexitySchema = `
type Query {
  deals(first: Int = 20, after: String): DealConnection!
  contacts(first: Int): ContactConnection!
  serverInfo: ServerInfo!
}
type DealConnection { edges: [DealEdge!]! nodes: [Deal!]! pageInfo: PageInfo! totalCount: Int! }
type DealEdge { cursor: String! node: Deal! }
type Deal { id: ID! name: String! contacts(first: Int = 5): ContactConnection! }
type ContactConnection { nodes: [Contact!]! }
type Contact { id: ID! }
type PageInfo { hasNextPage: Boolean! }
type ServerInfo { version: String! }
`

// schemaOnly is an executable schema with no complexity functions of its
// own, like ours: every field falls back to the walker's rules.
type schemaOnly struct{ schema *ast.Schema }

func (s schemaOnly) Schema() *ast.Schema { return s.schema }
func (schemaOnly) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}
func (schemaOnly) Exec(context.Context) graphql.ResponseHandler { return nil }

func TestComplexityWeighsListsByFirst(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: complexitySchema})
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		{name: "a field without first", query: `{ serverInfo { version } }`, want: 2},
		// nodes { id name } costs 3: 1 for nodes, 1 for each of its fields.
		{name: "first: 1", query: `{ deals(first: 1) { nodes { id name } } }`, want: 1 + 1*3},
		{name: "first: 100", query: `{ deals(first: 100) { nodes { id name } } }`, want: 1 + 100*3},
		{name: "a connection's pageInfo and totalCount are paid once", query: `{ deals(first: 10) { nodes { id } pageInfo { hasNextPage } totalCount } }`, want: 1 + 10*2 + 2 + 1},
		{name: "a count alone costs no items", query: `{ deals(first: 100) { totalCount } }`, want: 1 + 1},
		{name: "edges are paid per item", query: `{ deals(first: 10) { edges { cursor node { id } } } }`, want: 1 + 10*(1+1+(1+1))},
		{name: "a list with first that is not a connection pays everything per item", query: `{ contacts(first: 4) { nodes { id } } }`, want: 1 + 4*2},
		{name: "first left out takes the schema's default", query: `{ deals { nodes { id name } } }`, want: 1 + 20*3},
		{name: "first left out without a schema default", query: `{ contacts { nodes { id } } }`, want: 1 + defaultPageSize*2},
		{name: "first: null takes the default", query: `{ contacts(first: null) { nodes { id } } }`, want: 1 + defaultPageSize*2},
		{name: "first: 0", query: `{ deals(first: 0) { nodes { id } } }`, want: 1},
		{name: "a negative first counts as 0", query: `{ deals(first: -5) { nodes { id } } }`, want: 1},
		{name: "first from a variable", query: `query ($n: Int) { deals(first: $n) { nodes { id name } } }`,
			vars: map[string]any{"n": json.Number("100")}, want: 1 + 100*3},
		{name: "first from a variable decoded as a float", query: `query ($n: Int) { deals(first: $n) { nodes { id name } } }`,
			vars: map[string]any{"n": float64(50)}, want: 1 + 50*3},
		{name: "a variable left out takes the argument's default", query: `query ($n: Int) { deals(first: $n) { nodes { id name } } }`,
			want: 1 + 20*3},
		{name: "a variable's own default", query: `query ($n: Int = 7) { deals(first: $n) { nodes { id name } } }`,
			want: 1 + 7*3},
		{name: "nested connections multiply", query: `{ deals(first: 10) { nodes { contacts(first: 10) { nodes { id } } } } }`,
			want: 1 + 10*(1+(1+10*2))},
		{name: "a nested default multiplies too", query: `{ deals(first: 10) { nodes { contacts { nodes { id } } } } }`,
			want: 1 + 10*(1+(1+5*2))},
		{name: "a fragment spread under different pages", query: `{ deals(first: 10) { ...D } a: deals(first: 1) { ...D } }
			fragment D on DealConnection { nodes { id } }`, want: (1 + 10*2) + (1 + 1*2)},
		{name: "a fragment holding a connection, spread under different pages", query: `{
			deals(first: 10) { nodes { ...C } } a: deals(first: 2) { nodes { ...C } } }
			fragment C on Deal { contacts(first: 3) { nodes { id } } }`,
			want: (1 + 10*(1+(1+3*2))) + (1 + 2*(1+(1+3*2)))},
		{name: "huge pages saturate instead of overflowing", query: `{ deals(first: 2147483647) { nodes { contacts(first: 2147483647) {
			nodes { id } } } } }`, want: saturated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(schema, tt.query)
			if errs != nil {
				t.Fatalf("invalid test query: %v", errs)
			}
			op := doc.Operations[0]
			vars, err := validator.VariableValues(schema, op, tt.vars)
			if err != nil {
				t.Fatalf("variables: %v", err)
			}
			w := complexityWalker{ctx: context.Background(), es: schemaOnly{schema}, schema: schema, vars: vars, memo: map[string]int{}}
			if got := w.selectionSet(op.SelectionSet); got != tt.want {
				t.Fatalf("complexity %d, want %d", got, tt.want)
			}
		})
	}
}
