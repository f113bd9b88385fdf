package app_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/web"
)

func TestQueryOverHTTP(t *testing.T) {
	env := apptest.Start(t, dbs)
	c := env.Client()

	r := c.Do(t, `{__typename}`, nil)
	if string(r.Data) != `{"__typename":"Query"}` || len(r.Errors) != 0 {
		t.Fatalf("got data %s errors %+v", r.Data, r.Errors)
	}

	var info struct {
		ServerInfo struct{ Version, StartedAt string }
	}
	c.MustData(t, `query Info { serverInfo { version startedAt } }`, nil, &info)
	if info.ServerInfo.Version != "test" || !strings.HasSuffix(info.ServerInfo.StartedAt, "Z") {
		t.Fatalf("serverInfo = %+v, want version test and a UTC time", info.ServerInfo)
	}
}

// rawResult is what a client sees of one HTTP exchange.
type rawResult struct {
	status      int
	contentType string
	body        string
	header      http.Header
}

func send(t *testing.T, method, u, contentType, body string, header map[string]string) rawResult {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResult{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(b), header: resp.Header}
}

func TestBadRequestsGetTheirProtocolErrors(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) {
		c.MaxBodyBytes = 4096
	})
	gql := env.URL + "/graphql"
	big := `{"query":"{__typename}","variables":{"pad":"` + strings.Repeat("x", 5000) + `"}}`

	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		header      map[string]string
		url         string
		wantStatus  int
		wantInBody  string
	}{
		{name: "malformed JSON", method: "POST", contentType: "application/json", body: `{"query":`, wantStatus: 400, wantInBody: `"errors"`},
		{name: "body is a JSON array", method: "POST", contentType: "application/json", body: `[1,2]`, wantStatus: 400, wantInBody: `"errors"`},
		{name: "missing query", method: "POST", contentType: "application/json", body: `{"variables":{}}`, wantStatus: 400, wantInBody: `"errors"`},
		{name: "missing query with graphql-response+json", method: "POST", contentType: "application/json", body: `{}`,
			header: map[string]string{"Accept": "application/graphql-response+json"}, wantStatus: 400, wantInBody: `"errors"`},
		{name: "syntax error", method: "POST", contentType: "application/json", body: `{"query":"{ serverInfo {"}`, wantStatus: 200, wantInBody: `GRAPHQL_PARSE_FAILED`},
		{name: "unknown field", method: "POST", contentType: "application/json", body: `{"query":"{ nope }"}`, wantStatus: 200, wantInBody: `GRAPHQL_VALIDATION_FAILED`},
		{name: "body over the limit with content length", method: "POST", contentType: "application/json", body: big, wantStatus: 413, wantInBody: "larger than 4096 bytes"},
		{name: "form post refused", method: "POST", contentType: "application/x-www-form-urlencoded", body: `query=%7B__typename%7D`, wantStatus: 415},
		{name: "text post refused", method: "POST", contentType: "text/plain", body: `{"query":"{__typename}"}`, wantStatus: 415},
		{name: "PUT refused", method: "PUT", contentType: "application/json", body: `{"query":"{__typename}"}`, wantStatus: 405},
		{name: "GET query", method: "GET", url: gql + "?query=" + url.QueryEscape(`{__typename}`), wantStatus: 200, wantInBody: `"__typename":"Query"`},
		{name: "GET with malformed variables", method: "GET", url: gql + "?query=" + url.QueryEscape(`{__typename}`) + "&variables=%7B", wantStatus: 400, wantInBody: "variables"},
		{name: "GET without query", method: "GET", url: gql, wantStatus: 400, wantInBody: `"errors"`},
		{name: "mutation over GET", method: "GET", url: gql + "?query=" + url.QueryEscape(`mutation { logOut { loggedOut } }`), wantStatus: 405, wantInBody: "only queries"},
		{name: "malformed JSON is not echoed", method: "POST", contentType: "application/json", body: `{"query":"` + strings.Repeat("y", 3000), wantStatus: 400, wantInBody: "not valid JSON"},
		{name: "unknown path", method: "GET", url: env.URL + "/nope.js", wantStatus: 404},
		{name: "POST to the web app", method: "POST", url: env.URL + "/", contentType: "application/json", body: `{}`, wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.url
			if u == "" {
				u = gql
			}
			got := send(t, tt.method, u, tt.contentType, tt.body, tt.header)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", got.status, tt.wantStatus, got.body)
			}
			if !strings.Contains(got.body, tt.wantInBody) {
				t.Fatalf("body %s does not contain %q", got.body, tt.wantInBody)
			}
		})
	}

	t.Run("the server still serves after all of that", func(t *testing.T) {
		r := env.Client().Do(t, `{__typename}`, nil)
		if r.Status != 200 || len(r.Errors) != 0 {
			t.Fatalf("status %d errors %+v", r.Status, r.Errors)
		}
	})
}

func TestChunkedBodyOverTheLimitGets413(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.MaxBodyBytes = 4096 })
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		_, _ = w.WriteString(`{"query":"{__typename}","variables":{"pad":"` + strings.Repeat("x", 10000) + `"}}`)
		_ = w.Flush()
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("POST", env.URL+"/graphql", pr) // no Content-Length: chunked
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", resp.StatusCode)
	}
}

func TestLimitsRefuseDeepAndCostlyOperations(t *testing.T) {
	tests := []struct {
		name     string
		tune     func(*config.Config)
		query    string
		wantCode string
	}{
		{name: "deeper than the depth limit", tune: func(c *config.Config) { c.MaxQueryDepth = 1 },
			query: `{ serverInfo { version } }`, wantCode: "DEPTH_LIMIT_EXCEEDED"},
		{name: "depth counted through fragments", tune: func(c *config.Config) { c.MaxQueryDepth = 1 },
			query: `{ ...F } fragment F on Query { serverInfo { ... on ServerInfo { version } } }`, wantCode: "DEPTH_LIMIT_EXCEEDED"},
		{name: "costlier than the complexity limit", tune: func(c *config.Config) { c.MaxQueryComplexity = 2 },
			query: `{ serverInfo { version startedAt } }`, wantCode: "COMPLEXITY_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := apptest.Start(t, dbs, tt.tune)
			r := env.Client().Do(t, tt.query, nil)
			if r.Code() != tt.wantCode {
				t.Fatalf("code = %q, want %q (errors %+v)", r.Code(), tt.wantCode, r.Errors)
			}
			if r.Data != nil && string(r.Data) != "null" {
				t.Fatalf("refused operation returned data %s", r.Data)
			}
		})
	}
}

func TestResponseMediaTypes(t *testing.T) {
	env := apptest.Start(t, dbs)
	gql := env.URL + "/graphql"

	t.Run("application/json by default", func(t *testing.T) {
		got := send(t, "POST", gql, "application/json", `{"query":"{__typename}"}`, nil)
		if got.status != 200 || !strings.HasPrefix(got.contentType, "application/json") {
			t.Fatalf("status %d content type %q", got.status, got.contentType)
		}
	})
	t.Run("graphql-response+json when asked", func(t *testing.T) {
		got := send(t, "POST", gql, "application/json", `{"query":"{__typename}"}`,
			map[string]string{"Accept": "application/graphql-response+json"})
		if got.status != 200 || !strings.HasPrefix(got.contentType, "application/graphql-response+json") {
			t.Fatalf("status %d content type %q", got.status, got.contentType)
		}
	})
	t.Run("graphql-response+json validation failure is a 400", func(t *testing.T) {
		got := send(t, "POST", gql, "application/json", `{"query":"{ nope }"}`,
			map[string]string{"Accept": "application/graphql-response+json"})
		if got.status != 400 {
			t.Fatalf("status %d, want 400", got.status)
		}
	})
	t.Run("server-sent events", func(t *testing.T) {
		got := send(t, "POST", gql, "application/json", `{"query":"{__typename}"}`,
			map[string]string{"Accept": "text/event-stream"})
		if got.status != 200 || !strings.HasPrefix(got.contentType, "text/event-stream") ||
			!strings.Contains(got.body, "event: next") || !strings.Contains(got.body, `"__typename":"Query"`) {
			t.Fatalf("status %d type %q body %q", got.status, got.contentType, got.body)
		}
	})
}

// TestStatusCodesPerMediaType pins the answers GraphQL over HTTP asks for,
// for each media type a client may accept: a request that is not a GraphQL
// request gets 400 (405 for a wrong method) either way; one refused before
// it runs has no data entry and gets 200 as application/json, 400 as
// application/graphql-response+json; one that runs gets 200 with data.
func TestStatusCodesPerMediaType(t *testing.T) {
	env := apptest.Start(t, dbs)
	gql := env.URL + "/graphql"
	const (
		asJSON     = "application/json"
		asResponse = "application/graphql-response+json"
	)
	tests := []struct {
		name       string
		method     string
		url        string // gql when empty
		body       string
		wantJSON   int // status when the client accepts application/json
		wantResp   int // status when it accepts application/graphql-response+json
		wantData   bool
		wantInBody string
	}{
		{name: "a query that runs", method: "POST", body: `{"query":"{ __typename }"}`, wantJSON: 200, wantResp: 200, wantData: true},
		{name: "a document that does not parse", method: "POST", body: `{"query":"{"}`, wantJSON: 200, wantResp: 400, wantInBody: "GRAPHQL_PARSE_FAILED"},
		{name: "a document that does not validate", method: "POST", body: `{"query":"{ nope }"}`, wantJSON: 200, wantResp: 400, wantInBody: "GRAPHQL_VALIDATION_FAILED"},
		{name: "an unknown operation name", method: "POST", body: `{"query":"query A { __typename }","operationName":"B"}`, wantJSON: 200, wantResp: 400, wantInBody: "GRAPHQL_VALIDATION_FAILED"},
		{name: "a variable that does not fit its type", method: "POST",
			body: `{"query":"query ($n: String!) { __type(name: $n) { name } }","variables":{"n":null}}`, wantJSON: 200, wantResp: 400, wantInBody: "BAD_USER_INPUT"},
		{name: "a document past a limit", method: "POST", body: `{"query":"{ ` + strings.Repeat("__typename ", 20) + `}"}`,
			wantJSON: 200, wantResp: 400, wantInBody: "FIELD_REPEAT_LIMIT_EXCEEDED"},
		{name: "an unknown persisted query", method: "POST",
			body:     `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("0", 64) + `"}}}`,
			wantJSON: 200, wantResp: 400, wantInBody: "PERSISTED_QUERY_NOT_FOUND"},
		{name: "no query", method: "POST", body: `{"variables":{}}`, wantJSON: 400, wantResp: 400},
		{name: "a misspelt query parameter", method: "POST", body: `{"qeury":"{ __typename }"}`, wantJSON: 400, wantResp: 400},
		{name: "a query that is not a string", method: "POST", body: `{"query":{"obj":"ect"}}`, wantJSON: 400, wantResp: 400},
		{name: "variables that are not an object", method: "POST", body: `{"query":"{ __typename }","variables":"x"}`, wantJSON: 400, wantResp: 400},
		{name: "a body that is not JSON", method: "POST", body: `{ "not a JSON`, wantJSON: 400, wantResp: 400},
		{name: "no body", method: "POST", wantJSON: 400, wantResp: 400},
		{name: "a wrong method", method: "PUT", body: `{"query":"{ __typename }"}`, wantJSON: 405, wantResp: 405},
		{name: "a query over GET", method: "GET", url: gql + "?query=" + url.QueryEscape(`{ __typename }`), wantJSON: 200, wantResp: 200, wantData: true},
		{name: "a document that does not parse over GET", method: "GET", url: gql + "?query=" + url.QueryEscape(`{`), wantJSON: 200, wantResp: 400, wantInBody: "GRAPHQL_PARSE_FAILED"},
		{name: "no query over GET", method: "GET", url: gql, wantJSON: 400, wantResp: 400},
		{name: "a mutation over GET", method: "GET", url: gql + "?query=" + url.QueryEscape(`mutation { logOut { loggedOut } }`), wantJSON: 405, wantResp: 405},
	}
	for _, tt := range tests {
		for _, accept := range []string{asJSON, asResponse} {
			t.Run(tt.name+" accepting "+accept, func(t *testing.T) {
				u := tt.url
				if u == "" {
					u = gql
				}
				contentType := ""
				if tt.method != "GET" {
					contentType = "application/json"
				}
				got := send(t, tt.method, u, contentType, tt.body, map[string]string{"Accept": accept})
				want := tt.wantJSON
				if accept == asResponse {
					want = tt.wantResp
				}
				if got.status != want {
					t.Fatalf("status %d, want %d; body %s", got.status, want, got.body)
				}
				if !strings.HasPrefix(got.contentType, accept) && got.status != 405 {
					t.Fatalf("content type %q, want %s", got.contentType, accept)
				}
				var body map[string]json.RawMessage
				if err := json.Unmarshal([]byte(got.body), &body); err != nil {
					t.Fatalf("body is not a JSON object: %s", got.body)
				}
				if _, ok := body["data"]; ok != tt.wantData {
					t.Fatalf("data entry present %v, want %v: %s", ok, tt.wantData, got.body)
				}
				if _, ok := body["errors"]; ok == tt.wantData {
					t.Fatalf("errors entry present %v, want %v: %s", ok, !tt.wantData, got.body)
				}
				if !strings.Contains(got.body, tt.wantInBody) {
					t.Fatalf("body %s does not contain %q", got.body, tt.wantInBody)
				}
			})
		}
	}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	env := apptest.Start(t, dbs)
	query := `{ serverInfo { version } }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	post := func(withQuery bool) string {
		req := map[string]any{"extensions": ext}
		if withQuery {
			req["query"] = query
		}
		b, _ := json.Marshal(req)
		return send(t, "POST", env.URL+"/graphql", "application/json", string(b), nil).body
	}
	if body := post(false); !strings.Contains(body, "PERSISTED_QUERY_NOT_FOUND") {
		t.Fatalf("unknown hash: %s", body)
	}
	if body := post(true); !strings.Contains(body, `"version":"test"`) {
		t.Fatalf("register: %s", body)
	}
	if body := post(false); !strings.Contains(body, `"version":"test"`) {
		t.Fatalf("hash only after registering: %s", body)
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	env := apptest.Start(t, dbs)

	if got := send(t, "GET", env.URL+"/healthz", "", "", nil); got.status != 200 {
		t.Fatalf("healthz status %d", got.status)
	}
	got := send(t, "GET", env.URL+"/readyz", "", "", nil)
	var ready struct {
		Status string
		Checks map[string]string
	}
	if err := json.Unmarshal([]byte(got.body), &ready); err != nil || got.status != 200 || ready.Status != "ok" || ready.Checks["database"] != "ok" {
		t.Fatalf("readyz %d %s", got.status, got.body)
	}

	c := env.Client()
	c.Do(t, `query Named { __typename }`, nil)
	c.Do(t, `{ nope }`, nil)
	metrics := send(t, "GET", env.URL+"/metrics", "", "", nil).body
	for _, want := range []string{
		`omnify_graphql_requests_total{operation_name="Named",operation_type="query"} 1`,
		`omnify_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1`,
		`omnify_graphql_request_duration_seconds_count{operation_name="Named",operation_type="query"} 1`,
		`omnify_websocket_connections 0`,
		`omnify_graphql_active_subscriptions 0`,
		`omnify_http_requests_total{code="200",method="POST",route="/graphql"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	env := apptest.Start(t, dbs)
	got := send(t, "POST", env.URL+"/graphql", "application/json", `{"query":"query Hello { __typename }","operationName":"Hello"}`,
		map[string]string{"X-Request-Id": "trace-abc.123"})
	if got.header.Get("X-Request-Id") != "trace-abc.123" {
		t.Fatalf("request id echoed as %q", got.header.Get("X-Request-Id"))
	}
	if !env.Logs.Contains("request_id=trace-abc.123") || !env.Logs.Contains("operation=Hello") || !env.Logs.Contains("status=200") {
		t.Fatalf("access log lacks the request:\n%s", env.Logs.String())
	}
	bad := send(t, "GET", env.URL+"/healthz", "", "", map[string]string{"X-Request-Id": "bad id with spaces"})
	if id := bad.header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("malformed incoming id was not replaced: %q", id)
	}
}

func TestCORS(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.AllowedOrigins = []string{"https://app.omnify.test"} })
	preflight := func(origin string) rawResult {
		return send(t, "OPTIONS", env.URL+"/graphql", "", "", map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
	}
	ok := preflight("https://app.omnify.test")
	if ok.status != 204 || ok.header.Get("Access-Control-Allow-Origin") != "https://app.omnify.test" ||
		ok.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("allowed preflight: %d %v", ok.status, ok.header)
	}
	denied := preflight("https://evil.test")
	if denied.status != 403 || denied.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("denied preflight: %d %v", denied.status, denied.header)
	}
	simple := send(t, "POST", env.URL+"/graphql", "application/json", `{"query":"{__typename}"}`, map[string]string{"Origin": "https://evil.test"})
	if simple.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("disallowed origin got CORS headers")
	}
}

func TestPlaygroundAndWebApp(t *testing.T) {
	env := apptest.Start(t, dbs)
	pg := send(t, "GET", env.URL+"/playground", "", "", nil)
	// The built GraphiQL page, or the placeholder of a binary built without
	// the web app: both carry this title.
	if pg.status != 200 || !strings.Contains(pg.body, "Omnify GraphQL playground") {
		t.Fatalf("playground %d", pg.status)
	}
	// Everything the page needs comes from this server: it must work offline.
	for _, external := range []string{`src="http`, `href="http`, `src="//`, `href="//`, `@import`} {
		if strings.Contains(pg.body, external) {
			t.Fatalf("playground loads something from elsewhere (%s); it must work offline", external)
		}
	}
	if _, err := fs.Stat(web.Dist(), web.PlaygroundFile); err == nil {
		// Built: the page loads its script from the hashed assets.
		if !strings.Contains(pg.body, `src="/assets/`) {
			t.Fatalf("built playground does not load its bundle from /assets: %s", pg.body)
		}
	}
	home := send(t, "GET", env.URL+"/", "", "", nil)
	if home.status != 200 || !strings.Contains(home.contentType, "text/html") {
		t.Fatalf("home %d %s", home.status, home.contentType)
	}
}
