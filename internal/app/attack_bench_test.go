//go:build unix

package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/omnify/bff/internal/config"
)

// The attack benchmarks send each request of issue 9's adversarial pass
// (D1 … D19) to the real server, at the body limit where the attack scales
// with size, and report what one request costs the process:
//
//	cpu-ms/op      user+system CPU of the whole process (server and the
//	               in-process client that sends the body) per request
//	resp-B/op      bytes of the answer
//	heap-kept-MB   live heap after the run minus before it, after a GC:
//	               what the requests left behind (caches, metrics)
//
// B/op and allocs/op are the process's Go allocations per request.

// bodyLimit is the default OMNIFY_MAX_BODY_BYTES; attacks are built to fit it.
const bodyLimit = 1 << 20

// gqlBody is a GraphQL POST body.
func gqlBody(query, operationName string, extensions map[string]any) []byte {
	m := map[string]any{"query": query}
	if operationName != "" {
		m["operationName"] = operationName
	}
	if extensions != nil {
		m["extensions"] = extensions
	}
	b, _ := json.Marshal(m)
	return b
}

// varied returns a body for every iteration that carries query with a
// different comment at its end, as an attacker would send it: the same
// document over and over would be served from the query cache.
func varied(query string) func(i int) []byte {
	base := gqlBody(query, "", nil) // {"query":"…"}
	head := base[:len(base)-2]
	return func(i int) []byte {
		return fmt.Appendf(append([]byte(nil), head...), ` #%d"}`, i)
	}
}

// fill repeats unit inside prefix … suffix until the JSON body would pass
// the body limit.
func fill(prefix, unit, suffix string) string {
	n := (bodyLimit - 200 - len(prefix) - len(suffix)) / len(unit)
	return prefix + strings.Repeat(unit, n) + suffix
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// attack posts body(i) for every iteration and reports the costs.
func attack(b *testing.B, url string, header http.Header, body func(i int) []byte) {
	b.Helper()
	client := &http.Client{Timeout: 5 * time.Minute}
	post := func(i int) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body(i)))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return len(raw), string(raw)
	}
	_, first := post(-1) // warm up, and show what the attacker gets
	b.Logf("answer: %.300s", first)

	heap := liveHeap()
	cpu := cpuTime()
	respBytes := 0
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		n, _ := post(i)
		respBytes += n
		i++
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(i), "cpu-ms/op")
	b.ReportMetric(float64(respBytes)/float64(i), "resp-B/op")
	b.ReportMetric((float64(liveHeap())-float64(heap))/1e6, "heap-kept-MB")
}

// startWith serves the app until the benchmark ends and returns its
// /graphql URL.
func startWith(b *testing.B, tune func(*config.Config)) string {
	b.Helper()
	cfg, _ := config.Load(func(string) string { return "" })
	cfg.Demo = false
	if tune != nil {
		tune(&cfg)
	}
	return startConfig(b, cfg)
}

// signedIn signs a user up, accepting the legal documents, and returns the
// cookie header that carries the session (as named in production or
// development).
func signedIn(b *testing.B, url string) http.Header {
	b.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"query":"{ legalDocuments { id } }"}`))
	if err != nil {
		b.Fatal(err)
	}
	var docs struct {
		Data struct{ LegalDocuments []struct{ ID string } }
	}
	_ = json.NewDecoder(resp.Body).Decode(&docs)
	resp.Body.Close()
	var ids []string
	for _, d := range docs.Data.LegalDocuments {
		ids = append(ids, d.ID)
	}
	body, _ := json.Marshal(map[string]any{
		"query": `mutation($input: SignUpInput!) { signUp(input: $input) { viewer { role } } }`,
		"variables": map[string]any{"input": map[string]any{"email": "attack@example.com", "password": "a long password",
			"name": "A", "organizationName": "A", "acceptedLegalDocumentIds": ids}},
	})
	resp, err = http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	pair := strings.SplitN(resp.Header.Get("Set-Cookie"), ";", 2)[0]
	if pair == "" {
		b.Fatal("sign-up set no cookie")
	}
	return http.Header{"Cookie": {pair}}
}

// BenchmarkAttackD1RepeatedField: `{ me { role role … } }`.
func BenchmarkAttackD1RepeatedField(b *testing.B) {
	url := startWith(b, nil)
	b.Run("body-limit", func(b *testing.B) {
		attack(b, url, nil, varied(fill("{ me { ", "role ", "} }")))
	})
	b.Run("16000-repeats", func(b *testing.B) { // the size: 80 KB
		attack(b, url, nil, varied("{ me { "+strings.Repeat("role ", 16_000)+"} }"))
	})
	b.Run("within-token-limit", func(b *testing.B) {
		attack(b, url, nil, varied("{ me { "+strings.Repeat("role ", 2990)+"} }"))
	})
}

// fanOutDocument is D2's document: each fragment spreads the next twice.
func fanOutDocument(levels int) string {
	var sb strings.Builder
	sb.WriteString("{ ...F0 }\n")
	for i := range levels {
		fmt.Fprintf(&sb, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&sb, "fragment F%d on Query { __typename }\n", levels)
	return sb.String()
}

// BenchmarkAttackD2FragmentFanOut: `fragment Fi on Query { ...F(i+1) ...F(i+1) }`.
func BenchmarkAttackD2FragmentFanOut(b *testing.B) {
	url := startWith(b, nil)
	levels := (bodyLimit - 2000) / len("fragment F99999 on Query { ...F99999 ...F99999 }\n")
	for _, tc := range []struct {
		name   string
		levels int
	}{{"body-limit", levels}, {"24-levels", 24}, {"within-token-limit", 297}} {
		b.Run(tc.name, func(b *testing.B) {
			attack(b, url, nil, varied(fanOutDocument(tc.levels)))
		})
	}
	// The costliest shape found that passes every check before validation:
	// as many distinct fragments spread side by side as the token limit
	// allows, which validation compares pairwise.
	b.Run("333-fragments-side-by-side", func(b *testing.B) {
		var sb strings.Builder
		sb.WriteString("{ ")
		for i := range 333 {
			fmt.Fprintf(&sb, "...A%d ", i)
		}
		sb.WriteString("}\n")
		for i := range 333 {
			fmt.Fprintf(&sb, "fragment A%d on Query { f%d }\n", i, i)
		}
		attack(b, url, nil, varied(sb.String()))
	})
}

// deepSchema is the deep introspection selection of D3.
const deepSchema = `__schema { types { name kind description fields { name description args { name type { name kind ofType { name kind ofType { name } } } } type { name kind ofType { name kind ofType { name } } } } } }`

// BenchmarkAttackD3IntrospectionAliases: many aliases of a deep __schema
// selection, by a signed-in user in production.
func BenchmarkAttackD3IntrospectionAliases(b *testing.B) {
	url := startWith(b, func(c *config.Config) { c.Env, c.SecretKey = config.Production, make([]byte, 32) })
	cookie := signedIn(b, url)
	n := (bodyLimit - 1000) / len("a9999: "+deepSchema+" ")
	b.Run("body-limit", func(b *testing.B) {
		attack(b, url, cookie, varied("{ "+aliasesOf(n, deepSchema)+" }"))
	})
	b.Run("3000-aliases", func(b *testing.B) {
		attack(b, url, cookie, varied("{ "+aliasesOf(3000, deepSchema)+" }"))
	})
	// What the limits still allow: one full introspection, and 30 aliases
	// of the deepest __type selection validation accepts.
	b.Run("allowed-standard-introspection", func(b *testing.B) {
		attack(b, url, cookie, varied(standardIntrospectionQuery))
	})
	b.Run("allowed-30-type-aliases", func(b *testing.B) {
		attack(b, url, cookie, varied("{ "+aliasesOf(30, `__type(name: "Query") { fields { name args { name } type { name fields { name type { name kind } } } } }`)+" }"))
	})
}

func aliasesOf(n int, selection string) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "a%d: %s ", i, selection)
	}
	return sb.String()
}

// BenchmarkAttackD10OperationNames: operationName of 500 KB, new on every
// request, in turn unknown to the document and defined by it.
func BenchmarkAttackD10OperationNames(b *testing.B) {
	url := startWith(b, nil)
	pad := strings.Repeat("x", 500_000)
	attack(b, url, nil, func(i int) []byte {
		name := fmt.Sprintf("N%d%s", i+1, pad)
		if i%2 == 0 {
			return gqlBody("{ __typename }", name, nil)
		}
		return gqlBody("query "+name+" { __typename }", name, nil)
	})
	resp, err := http.Get(strings.TrimSuffix(url, "/graphql") + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.ReportMetric(float64(len(metrics)), "metrics-B")
}

// BenchmarkAttackD11Caches: `{__typename}#<1 MB comment>`, new on every
// request, sent plain and registered as automatic persisted queries.
func BenchmarkAttackD11Caches(b *testing.B) {
	url := startWith(b, nil)
	comment := strings.Repeat("c", bodyLimit-400)
	query := func(i int) string { return fmt.Sprintf("{__typename} #%d %s", i, comment) }
	b.Run("query-cache", func(b *testing.B) {
		attack(b, url, nil, func(i int) []byte { return gqlBody(query(i), "", nil) })
		reportCacheBytes(b, url)
	})
	b.Run("apq", func(b *testing.B) {
		attack(b, url, nil, func(i int) []byte {
			q := query(1_000_000 + i)
			sum := sha256.Sum256([]byte(q))
			return gqlBody(q, "", map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}})
		})
		reportCacheBytes(b, url)
	})
	// A signed-in member asks for answers that may be kept, each another
	// document of the largest size the answer cache keeps.
	b.Run("answers", func(b *testing.B) {
		cookie := signedIn(b, url)
		pad := strings.Repeat("c", 8<<10)
		attack(b, url, cookie, func(i int) []byte {
			return gqlBody(fmt.Sprintf("{ integrations { platform } } #%d %s", i, pad)[:8<<10], "", nil)
		})
		reportCacheBytes(b, url)
	})
}

func reportCacheBytes(b *testing.B, url string) {
	b.Helper()
	resp, err := http.Get(strings.TrimSuffix(url, "/graphql") + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range regexp.MustCompile(`omnify_graphql_cache_bytes\{cache="(\w+)"\} (\S+)`).FindAllStringSubmatch(string(metrics), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		b.ReportMetric(v/1e6, m[1]+"-cache-MB")
	}
	if m := regexp.MustCompile(`(?m)^omnify_graphql_answer_cache_bytes (\S+)$`).FindStringSubmatch(string(metrics)); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		b.ReportMetric(v/1e6, "answer-cache-MB")
	}
}

// BenchmarkAttackD13RepeatedDirective: `{ __typename @a @a … }`.
func BenchmarkAttackD13RepeatedDirective(b *testing.B) {
	url := startWith(b, nil)
	b.Run("body-limit", func(b *testing.B) {
		attack(b, url, nil, varied(fill("{ __typename ", "@a ", "}")))
	})
	b.Run("within-token-limit", func(b *testing.B) {
		attack(b, url, nil, varied("{ __typename "+strings.Repeat("@a ", 1490)+"}"))
	})
	b.Run("many-validation-errors", func(b *testing.B) { // unknown fields: one error each
		var sb strings.Builder
		for i := range 2990 {
			fmt.Fprintf(&sb, "f%d ", i)
		}
		attack(b, url, nil, varied("{ "+sb.String()+"}"))
	})
}

// BenchmarkAttackD14Websockets: one signed-in socket that asks for 5,000
// subscriptions, and one address that opens 200 sockets.
func BenchmarkAttackD14Websockets(b *testing.B) {
	url := startWith(b, nil)
	cookie := signedIn(b, url)
	wsURL := "ws" + strings.TrimPrefix(url, "http")
	dial := func(h http.Header) *websocket.Conn {
		c, _, err := (&websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}).Dial(wsURL, h)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	initAck := func(c *websocket.Conn) bool {
		_ = c.WriteJSON(map[string]any{"type": "connection_init"})
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m rawWSMsg
		return c.ReadJSON(&m) == nil && m.Type == "connection_ack"
	}

	b.Run("5000-subscriptions-on-one-socket", func(b *testing.B) {
		heap, cpu := liveHeap(), cpuTime()
		ops := 0
		b.ResetTimer()
		for b.Loop() {
			c := dial(cookie)
			if !initAck(c) {
				b.Fatal("no ack")
			}
			for i := range 5000 {
				_ = c.WriteJSON(map[string]any{"id": strconv.Itoa(i), "type": "subscribe",
					"payload": map[string]any{"query": "subscription { integrationEvents { platform status } }"}})
			}
			// The first 32 run; 32 more are refused; then the socket is closed.
			refused, code := 0, 0
			for code == 0 {
				var m rawWSMsg
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				if err := c.ReadJSON(&m); err != nil {
					code = closeCodeOf(b, err)
				} else if m.Type == "error" {
					refused++
				}
			}
			b.StopTimer()
			if refused != 32 || code != 4400 {
				b.Fatalf("%d refusals, then close code %d", refused, code)
			}
			c.Close()
			b.StartTimer()
			ops++
		}
		b.StopTimer()
		b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(ops), "cpu-ms/op")

		// What a socket holds while its 32 subscriptions run.
		c := dial(cookie)
		if !initAck(c) {
			b.Fatal("no ack")
		}
		for i := range 32 {
			_ = c.WriteJSON(map[string]any{"id": strconv.Itoa(i), "type": "subscribe",
				"payload": map[string]any{"query": "subscription { integrationEvents { platform status } }"}})
		}
		time.Sleep(time.Second) // no message tells when the last one is live
		b.ReportMetric((float64(liveHeap())-float64(heap))/1e6, "live-MB/socket")
		c.Close()
	})

	b.Run("200-sockets-from-one-address", func(b *testing.B) {
		cpu := cpuTime()
		ops, accepted := 0, 0
		b.ResetTimer()
		for b.Loop() {
			var open []*websocket.Conn
			accepted = 0
			for range 200 {
				c := dial(nil)
				if initAck(c) {
					accepted++
				}
				open = append(open, c)
			}
			b.StopTimer()
			for _, c := range open {
				c.Close()
			}
			time.Sleep(200 * time.Millisecond) // let the server notice before the next round
			b.StartTimer()
			ops++
		}
		b.StopTimer()
		b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(ops*200), "cpu-ms/socket")
		b.ReportMetric(float64(accepted), "accepted")
	})
}

// closeCodeOf is the code of the close frame that ended a read.
func closeCodeOf(b *testing.B, err error) int {
	b.Helper()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		b.Fatalf("the connection ended without a close frame: %v", err)
	}
	return ce.Code
}

// BenchmarkAttackD19AnonymousIntrospection: anonymous introspection in
// production, 30 aliases of it.
func BenchmarkAttackD19AnonymousIntrospection(b *testing.B) {
	url := startWith(b, func(c *config.Config) { c.Env, c.SecretKey = config.Production, make([]byte, 32) })
	attack(b, url, nil, varied("{ "+aliasesOf(30, `__type(name: "Query") { name }`)+" }"))
}
