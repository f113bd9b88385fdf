package app_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// tokens counts a document's lexical tokens as the parser's token limit
// does: every token but the end of input, comments included.
func tokens(t *testing.T, q string) int {
	t.Helper()
	lx := lexer.New(&ast.Source{Input: q})
	n := 0
	for {
		tok, err := lx.ReadToken()
		if err != nil {
			t.Fatalf("lex %q: %v", q, err)
		}
		if tok.Kind == lexer.EOF {
			return n
		}
		n++
	}
}

// standardIntrospectionQuery is what GraphQL tools (GraphiQL, codegen, the
// Apollo and Relay tooling) send: graphql-js's getIntrospectionQuery().
const standardIntrospectionQuery = `
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

func TestStandardIntrospectionQueryPassesTheDefaultLimits(t *testing.T) {
	env := apptest.Start(t, dbs)
	r := env.Client().Do(t, standardIntrospectionQuery, nil)
	if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"name":"Query"`) {
		t.Fatalf("errors %+v", r.Errors)
	}
}

// TestQueryLimitsAtTheirEdges runs, for every limit, a document exactly at
// the limit (it must run) and one just past it (it must be refused with
// the limit's code and no data).
func TestQueryLimitsAtTheirEdges(t *testing.T) {
	tests := []struct {
		name     string
		tune     func(*config.Config)
		at, past string
		wantCode string
	}{
		{
			name: "tokens", tune: func(c *config.Config) { c.MaxQueryTokens = 10 },
			at:       `{ serverInfo { version startedAt } a: __typename }`,
			past:     `{ serverInfo { version startedAt } a: __typename } # one more`,
			wantCode: "TOKEN_LIMIT_EXCEEDED",
		},
		{
			name: "aliases", tune: func(c *config.Config) { c.MaxQueryAliases = 2 },
			at:       `{ a: __typename ...F } fragment F on Query { b: __typename }`,
			past:     `{ a: __typename ...F } fragment F on Query { b: __typename c: __typename }`,
			wantCode: "ALIAS_LIMIT_EXCEEDED",
		},
		{
			name: "directives on one field", tune: func(c *config.Config) { c.MaxQueryDirectives = 2 },
			at:       `{ __typename @include(if: true) @skip(if: false) }`,
			past:     `{ __typename @include(if: true) @skip(if: false) @include(if: true) }`,
			wantCode: "DIRECTIVE_LIMIT_EXCEEDED",
		},
		{
			name: "directives on a fragment spread", tune: func(c *config.Config) { c.MaxQueryDirectives = 1 },
			at:       `{ ...F @include(if: true) } fragment F on Query { __typename }`,
			past:     `{ ...F @include(if: true) @skip(if: false) } fragment F on Query { __typename }`,
			wantCode: "DIRECTIVE_LIMIT_EXCEEDED",
		},
		{
			name: "repeats of one field", tune: func(c *config.Config) { c.MaxQueryFieldRepeats = 3 },
			at:       `{ serverInfo { version version version } }`,
			past:     `{ serverInfo { version version version version } }`,
			wantCode: "FIELD_REPEAT_LIMIT_EXCEEDED",
		},
		{
			name: "repeats brought in by fragments", tune: func(c *config.Config) { c.MaxQueryFieldRepeats = 3 },
			at:       `{ __typename ...F ...F } fragment F on Query { __typename }`,
			past:     `{ __typename ... on Query { __typename } ...F ...F } fragment F on Query { __typename }`,
			wantCode: "FIELD_REPEAT_LIMIT_EXCEEDED",
		},
		{
			name: "depth", tune: func(c *config.Config) { c.MaxQueryDepth = 2 },
			at:       `{ ...F } fragment F on Query { serverInfo { version } }`,
			past:     `{ ...F } fragment F on Query { __schema { queryType { name } } }`,
			wantCode: "DEPTH_LIMIT_EXCEEDED",
		},
		{
			name: "complexity", tune: func(c *config.Config) { c.MaxQueryComplexity = 3 },
			at:       `{ serverInfo { version startedAt } }`,
			past:     `{ serverInfo { version startedAt } __typename }`,
			wantCode: "COMPLEXITY_LIMIT_EXCEEDED",
		},
		{
			name: "complexity counts introspection", tune: func(c *config.Config) { c.MaxQueryComplexity = 3 },
			at:       `{ __schema { queryType { name } } }`,
			past:     `{ __schema { queryType { name description } } }`,
			wantCode: "COMPLEXITY_LIMIT_EXCEEDED",
		},
		{
			name: "__schema fields", tune: func(c *config.Config) { c.MaxQuerySchemaFields = 1 },
			at:       `{ ...S } fragment S on Query { __schema { queryType { name } } }`,
			past:     `{ ...S a: __schema { queryType { name } } } fragment S on Query { __schema { queryType { name } } }`,
			wantCode: "INTROSPECTION_LIMIT_EXCEEDED",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := apptest.Start(t, dbs, tt.tune)
			c := env.Client()
			if tt.name == "tokens" {
				if n, m := tokens(t, tt.at), tokens(t, tt.past); n != 10 || m != 11 {
					t.Fatalf("the test documents have %d and %d tokens, want 10 and 11", n, m)
				}
			}
			if r := c.Do(t, tt.at, nil); len(r.Errors) != 0 {
				t.Fatalf("at the limit: errors %+v", r.Errors)
			}
			r := c.Do(t, tt.past, nil)
			if r.Code() != tt.wantCode || len(r.Errors) != 1 {
				t.Fatalf("past the limit: code %q, want %q (errors %+v)", r.Code(), tt.wantCode, r.Errors)
			}
			if r.Data != nil && string(r.Data) != "null" {
				t.Fatalf("refused operation returned data %s", r.Data)
			}
			if _, ok := r.Errors[0].Extensions["limit"].(float64); !ok {
				t.Fatalf("refusal does not state its limit: %+v", r.Errors[0])
			}
		})
	}
}

// TestLimitsAreCheckedBeforeValidation sends documents that break a limit
// and also fail validation (an unknown field): only the limit is reported,
// so validation, the expensive step, never ran.
func TestLimitsAreCheckedBeforeValidation(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MaxQueryTokens = 1_000_000 })
	c := env.Client()
	tests := []struct {
		name, query, wantCode string
	}{
		// D1: merging repeated fields is quadratic in validation; 40,000
		// repeats would take minutes.
		{"one field repeated", "{ nope serverInfo { " + strings.Repeat("version ", 40_000) + "} }", "FIELD_REPEAT_LIMIT_EXCEEDED"},
		// D2: a naive walk spreads the last fragment 2^40 times.
		{"fragment fan-out", "{ nope ...F0 } " + fanOut(40), "FIELD_REPEAT_LIMIT_EXCEEDED"},
		{"aliases", "{ nope " + aliases(5000, "__typename") + " }", "ALIAS_LIMIT_EXCEEDED"},
		// D13: every repeated directive is a validation error of its own.
		{"directives", "{ nope __typename" + strings.Repeat(" @a", 100_000) + " }", "DIRECTIVE_LIMIT_EXCEEDED"},
		{"depth", "{ nope " + strings.Repeat("serverInfo { ", 30) + "version" + strings.Repeat(" }", 30) + " }", "DEPTH_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Do(t, tt.query, nil)
			if len(r.Errors) != 1 || r.Code() != tt.wantCode {
				t.Fatalf("want only %s, got %+v", tt.wantCode, r.Errors)
			}
		})
	}
}

// fanOut defines F0 … Fn, each spreading the next one twice.
func fanOut(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

func aliases(n int, field string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: %s ", i, field)
	}
	return b.String()
}

func TestIntrospectionCountsTowardsTheDepthLimit(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MaxQueryDepth = 2 })
	r := env.Client().Do(t, `{ __schema { types { name fields { name } } } }`, nil)
	if r.Code() != "DEPTH_LIMIT_EXCEEDED" {
		t.Fatalf("errors %+v", r.Errors)
	}
}

func TestResponseErrorsAreCapped(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MaxResponseErrors = 3 })
	c := env.Client()
	if r := c.Do(t, `{ a b c }`, nil); len(r.Errors) != 3 || r.Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("at the cap: %+v", r.Errors)
	}
	r := c.Do(t, `{ a b c d e }`, nil)
	if len(r.Errors) != 4 {
		t.Fatalf("past the cap: %d errors %+v", len(r.Errors), r.Errors)
	}
	last := r.Errors[3]
	if last.Extensions["code"] != "TOO_MANY_ERRORS" || !strings.Contains(last.Message, "2 more errors") {
		t.Fatalf("summary error %+v", last)
	}
}

// TestUnknownOperationNamesStayOutOfMetricsAndLogs is D10: clients choose
// operation names, up to the body limit in size.
func TestUnknownOperationNamesStayOutOfMetricsAndLogs(t *testing.T) {
	env := apptest.Start(t, dbs)
	c := env.Client()
	c.Do(t, `query Known { __typename }`, nil)
	before := len(send(t, "GET", env.URL+"/metrics", "", "", nil).body)
	logBefore := len(env.Logs.String())
	for i := range 70 {
		name := fmt.Sprintf("N%d", i) + strings.Repeat("x", 200_000+i*4000)
		var body []byte
		if i%2 == 0 { // a name the document does not define
			body, _ = json.Marshal(map[string]any{"query": "{ __typename }", "operationName": name})
		} else { // a name it does define
			body, _ = json.Marshal(map[string]any{"query": "query " + name + " { __typename }", "operationName": name})
		}
		got := send(t, "POST", env.URL+"/graphql", "application/json", string(body), nil)
		if len(got.body) > 1000 {
			t.Fatalf("request %d: a %d-byte answer repeats the name", i, len(got.body))
		}
		if i%2 == 0 && !strings.Contains(got.body, "GRAPHQL_VALIDATION_FAILED") {
			t.Fatalf("unknown operation name: %s", got.body)
		}
	}
	metrics := send(t, "GET", env.URL+"/metrics", "", "", nil).body
	if grown := len(metrics) - before; grown > 20_000 {
		t.Fatalf("/metrics grew by %d bytes", grown)
	}
	for _, want := range []string{`operation_name="Known"`, `operation_name="unknown"`, `operation_name="other"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if grown := len(env.Logs.String()) - logBefore; grown > 70*1000 {
		t.Fatalf("the log grew by %d bytes for 70 requests", grown)
	}
}

// cacheBytes reads omnify_graphql_cache_bytes for one cache from /metrics.
func cacheBytes(t *testing.T, env *apptest.Env, cache string) float64 {
	t.Helper()
	m := regexp.MustCompile(`omnify_graphql_cache_bytes\{cache="` + cache + `"\} (\S+)`).
		FindStringSubmatch(send(t, "GET", env.URL+"/metrics", "", "", nil).body)
	if m == nil {
		t.Fatalf("no cache_bytes series for %s", cache)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestCachesAreBoundedInBytes is D11: documents as large as the body limit,
// mostly comment, each distinct, and as many registered as persisted queries.
func TestCachesAreBoundedInBytes(t *testing.T) {
	const limit = 3 << 20
	env := apptest.Start(t, dbs, func(c *config.Config) { c.QueryCacheBytes, c.APQCacheBytes = limit, limit })
	for i := range 12 {
		query := fmt.Sprintf("{ __typename } #%d ", i) + strings.Repeat("c", 1<<20-400)
		sum := sha256.Sum256([]byte(query))
		body, _ := json.Marshal(map[string]any{"query": query, "extensions": map[string]any{
			"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}})
		got := send(t, "POST", env.URL+"/graphql", "application/json", string(body), nil)
		if !strings.Contains(got.body, `"__typename":"Query"`) {
			t.Fatalf("request %d: %d %s", i, got.status, got.body)
		}
		if q, a := cacheBytes(t, env, "query"), cacheBytes(t, env, "apq"); q > limit || a > limit || q == 0 || a == 0 {
			t.Fatalf("after %d documents the caches hold %.0f and %.0f bytes; the limit is %d", i+1, q, a, limit)
		}
	}
	// The latest document is still served from the cache by its hash.
	query := "{ __typename } #11 " + strings.Repeat("c", 1<<20-400)
	sum := sha256.Sum256([]byte(query))
	got := send(t, "POST", env.URL+"/graphql", "application/json",
		`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"`+hex.EncodeToString(sum[:])+`"}}}`, nil)
	if !strings.Contains(got.body, `"__typename":"Query"`) {
		t.Fatalf("persisted query by hash: %s", got.body)
	}
}

// TestTrickledBodyIsCutOff is D12: a client that declares a body and sends
// it a byte at a time gets 408 and loses the connection once the body
// timeout passes.
func TestTrickledBodyIsCutOff(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.BodyReadTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // only so a failure cannot hang the test
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Fatalf("status %d close %v: %s", resp.StatusCode, resp.Close, body)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection stayed open")
	}

	t.Run("a body that arrives in time is served, and a long response is not cut", func(t *testing.T) {
		got := send(t, "POST", env.URL+"/graphql", "application/json", `{"query":"{__typename}"}`,
			map[string]string{"Accept": "text/event-stream"})
		if got.status != 200 || !strings.Contains(got.body, `"__typename":"Query"`) {
			t.Fatalf("%d %s", got.status, got.body)
		}
	})
}

// TestBadlyTypedBodiesGetAFixedMessage is D19: gqlgen's own answer would
// echo the body and name Go types.
func TestBadlyTypedBodiesGetAFixedMessage(t *testing.T) {
	env := apptest.Start(t, dbs)
	for _, body := range []string{
		`{"query":["SECRET-ECHO"]}`,
		`{"query":"{__typename}","operationName":{"SECRET-ECHO":1}}`,
		`{"query":"{__typename}","variables":["SECRET-ECHO"]}`,
		`{"query":"{__typename}","extensions":"SECRET-ECHO"}`,
		`{"query":"{__typename}","QUERY":["SECRET-ECHO"]}`,
		`{"query":"{__typename}","query":{"SECRET-ECHO":1}}`,
	} {
		got := send(t, "POST", env.URL+"/graphql", "application/json", body, nil)
		if got.status != 400 || strings.Contains(got.body, "SECRET-ECHO") || strings.Contains(got.body, "Go ") ||
			!strings.Contains(got.body, "must be strings") {
			t.Errorf("%s: %d %s", body, got.status, got.body)
		}
	}
	if got := send(t, "POST", env.URL+"/graphql", "application/json",
		`{"query":"{__typename}","operationName":null,"variables":null,"extensions":null}`, nil); got.status != 200 {
		t.Errorf("nulls: %d %s", got.status, got.body)
	}
}

// TestAnonymousIntrospectionInProductionIsOneCleanError is D19: one
// client error for the whole operation, and one log line for the request.
func TestAnonymousIntrospectionInProductionIsOneCleanError(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) {
		c.Env = config.Production
		c.SecretKey = make([]byte, 32)
	})
	query := `{ __typename a: __schema { queryType { name } } ` + aliases(25, `__type(name: "Query") { name }`) + ` }`
	got := send(t, "POST", env.URL+"/graphql", "application/json", toJSON(map[string]any{"query": query}),
		map[string]string{"X-Request-Id": "introspect-1"})
	var r apptest.Response
	if err := json.Unmarshal([]byte(got.body), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) != 1 || r.Code() != "UNAUTHENTICATED" || !strings.Contains(r.Errors[0].Message, "introspect") {
		t.Fatalf("errors %+v", r.Errors)
	}
	lines := 0
	for line := range strings.SplitSeq(env.Logs.String(), "\n") {
		if strings.Contains(line, "introspect-1") {
			lines++
			if strings.Contains(line, "level=ERROR") {
				t.Errorf("logged as an error: %s", line)
			}
		}
	}
	if lines != 1 {
		t.Fatalf("%d log lines for the request:\n%s", lines, env.Logs.String())
	}
	if got.status != 200 || strings.Contains(got.body, `"data"`) {
		t.Fatalf("as application/json: status %d body %s, want 200 and no data", got.status, got.body)
	}
	// A client of GraphQL over HTTP's own media type learns why from the status.
	got = send(t, "POST", env.URL+"/graphql", "application/json", toJSON(map[string]any{"query": `{ __schema { queryType { name } } }`}),
		map[string]string{"Accept": "application/graphql-response+json"})
	if got.status != 401 || got.header.Get("WWW-Authenticate") == "" || strings.Contains(got.body, `"data"`) {
		t.Fatalf("as application/graphql-response+json: status %d headers %v body %s, want 401", got.status, got.header, got.body)
	}
}

// TestComplexityCountsEveryItemOfAPage: a connection costs what it selects
// once per item it may return, so asking for more items costs more, whether
// first is written in the document or sent as a variable.
func TestComplexityCountsEveryItemOfAPage(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MaxQueryComplexity = 400 })
	owner := signUp(t, env, "pages@example.com", "Pages Co")
	// nodes and its four fields per item (5), pageInfo and its two once (3),
	// plus 1: first: 79 costs 399.
	const literal = `{ deals(first: %d) { nodes { id name amount stage } pageInfo { hasNextPage endCursor } } }`
	const variable = `query Deals($n: Int) { deals(first: $n) { nodes { id name amount stage } pageInfo { hasNextPage endCursor } } }`
	tests := []struct {
		name     string
		query    string
		vars     map[string]any
		wantCode string
	}{
		{name: "first: 1", query: fmt.Sprintf(literal, 1)},
		{name: "first: 79 is at most 400", query: fmt.Sprintf(literal, 79)},
		{name: "first: 80 is past 400", query: fmt.Sprintf(literal, 80), wantCode: "COMPLEXITY_LIMIT_EXCEEDED"},
		{name: "first: 100", query: fmt.Sprintf(literal, 100), wantCode: "COMPLEXITY_LIMIT_EXCEEDED"},
		{name: "first left out counts the default page of 20", query: `{ deals { nodes { id name amount stage } pageInfo { hasNextPage endCursor } } }`},
		{name: "first: 1 from a variable", query: variable, vars: map[string]any{"n": 1}},
		{name: "first: 100 from a variable", query: variable, vars: map[string]any{"n": 100}, wantCode: "COMPLEXITY_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := owner.c.Do(t, tt.query, tt.vars)
			if tt.wantCode == "" {
				if len(r.Errors) != 0 {
					t.Fatalf("errors %+v", r.Errors)
				}
				return
			}
			if r.Code() != tt.wantCode || len(r.Errors) != 1 {
				t.Fatalf("code %q, want %q (errors %+v)", r.Code(), tt.wantCode, r.Errors)
			}
		})
	}
}
