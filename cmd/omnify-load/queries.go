package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// dashboardQuery is what the dashboard asks for each time it opens.
const dashboardQuery = `query Dashboard($from: Date!, $to: Date!) {
  marketingSummary(from: $from, to: $to) { revenue adSpend roas orders emailRevenue
    previousPeriod { revenue adSpend roas } daily { date revenue adSpend } }
  pipelineSummary { stages { stage count amount } }
  emailCampaigns(first: 10) { nodes { id name status sendTime } }
  integrations { platform status lastSyncedAt syncs(first: 3) { nodes { id status recordsWritten } } }
}`

// queryCase is one query of the run and how it authenticates.
type queryCase struct {
	name   string
	query  string
	vars   map[string]any
	header http.Header
}

// runQueries is -queries: it signs up an organization, connects every
// platform of the fake and waits for their first syncs (90 days of data,
// written by the same code as any sync), then runs each query at each
// number of clients for the duration and prints a table.
func runQueries(ctx context.Context, o options, out io.Writer) error {
	for _, p := range []string{"TRIPLE_WHALE", "HUBSPOT", "KLAVIYO"} {
		if o.platforms[p] == "" {
			return fmt.Errorf("-queries needs every platform's key: use -serve, or -platform-keys")
		}
	}
	owner := newGQLClient(o.url)
	if err := owner.signUp(ctx); err != nil {
		return err
	}
	start := time.Now()
	for _, p := range []string{"TRIPLE_WHALE", "HUBSPOT", "KLAVIYO"} {
		input := map[string]any{"platform": p, "apiKey": o.platforms[p]}
		if p == "TRIPLE_WHALE" {
			input["shopDomain"] = o.platforms["shopDomain"]
		}
		if err := owner.do(ctx, `mutation($i: ConnectIntegrationInput!) { connectIntegration(input: $i) { integration { status } } }`,
			map[string]any{"i": input}, nil); err != nil {
			return fmt.Errorf("connect %s: %w", p, err)
		}
	}
	if err := waitForSyncs(ctx, owner, 5*time.Minute); err != nil {
		return err
	}
	var counts struct {
		Deals          struct{ TotalCount int }
		Contacts       struct{ TotalCount int }
		EmailCampaigns struct{ TotalCount int }
	}
	_ = owner.do(ctx, `{ deals(first: 1) { totalCount } contacts(first: 1) { totalCount } emailCampaigns(first: 1) { totalCount } }`, nil, &counts)
	fmt.Fprintf(out, "data     3 platforms synced in %.1fs: 90 days of figures, %d deals, %d contacts, %d campaigns\n",
		time.Since(start).Seconds(), counts.Deals.TotalCount, counts.Contacts.TotalCount, counts.EmailCampaigns.TotalCount)

	key, err := owner.createAPIKey(ctx)
	if err != nil {
		return err
	}
	cookie := http.Header{"Cookie": {owner.cookieHeader()}}
	bearer := http.Header{"Authorization": {"Bearer " + key}}
	today := time.Now().UTC()
	cases := []queryCase{
		{name: "dashboard (cookie)", query: dashboardQuery, header: cookie,
			vars: map[string]any{"from": today.AddDate(0, 0, -29).Format(time.DateOnly), "to": today.Format(time.DateOnly)}},
		{name: "serverInfo (anonymous)", query: `{ serverInfo { version } }`},
		{name: "serverInfo (API key)", query: `{ serverInfo { version } }`, header: bearer},
		{name: "me (cookie)", query: `{ me { user { id name } organization { id name } role } }`, header: cookie},
	}
	if o.hold != "" {
		return hold(ctx, o, cases, out)
	}
	fmt.Fprintf(out, "queries  each for %s at %v clients, one keep-alive connection per client\n", o.duration, o.queryClients)
	fmt.Fprintf(out, "| %-22s | %7s | %10s | %9s | %9s | %6s |\n", "query", "clients", "req/s", "p50", "p99", "errors")
	fmt.Fprintf(out, "| %-22s | %7s | %10s | %9s | %9s | %6s |\n", "---", "---", "---", "---", "---", "---")
	failed := 0
	for _, c := range cases {
		for _, n := range o.queryClients {
			r := drive(ctx, o.url, c, n, o.duration)
			fmt.Fprintf(out, "| %-22s | %7d | %10.0f | %9s | %9s | %6d |\n", c.name, n, r.perSecond,
				r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.errors)
			failed += r.errors
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

// waitForSyncs waits until every integration has a finished first sync.
func waitForSyncs(ctx context.Context, owner *gqlClient, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		var out struct {
			Integrations []struct {
				Platform, Status string
				LastSyncedAt     *string
				LastError        *string
			}
		}
		if err := owner.do(ctx, `{ integrations { platform status lastSyncedAt lastError } }`, nil, &out); err != nil {
			return err
		}
		done := 0
		for _, in := range out.Integrations {
			switch {
			case in.Status == "ERROR":
				return fmt.Errorf("%s failed to sync: %v", in.Platform, deref(in.LastError))
			case in.LastSyncedAt != nil:
				done++
			}
		}
		if done == len(out.Integrations) && done > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the first syncs did not finish within %s", wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// driveResult is one cell of the table.
type driveResult struct {
	perSecond float64
	p50, p99  time.Duration
	errors    int
}

// drive runs c from n clients for d, each on its own connection, and
// measures every request.
func drive(ctx context.Context, base string, c queryCase, n int, d time.Duration) driveResult {
	body, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
	transport := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	var (
		mu     sync.Mutex
		all    []time.Duration
		errors atomic.Int64
		wg     sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	started := time.Now()
	for range n {
		wg.Go(func() {
			var mine []time.Duration
			var buf bytes.Buffer
			for ctx.Err() == nil {
				t0 := time.Now()
				ok := request(ctx, client, base, body, c.header, &buf)
				if ctx.Err() != nil {
					break // cut off by the end of the run: not counted
				}
				if !ok {
					errors.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(started)
	r := driveResult{errors: int(errors.Load()), perSecond: float64(len(all)) / elapsed.Seconds()}
	if len(all) > 0 {
		slices.Sort(all)
		r.p50 = all[len(all)/2]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return r
}

// request sends one POST and reports whether it answered 200 with data and
// no errors. It reads the answer into buf (reused, so that the clients,
// which share the machine with the server, cost little) and checks how it
// begins rather than decoding it: the server writes "errors" before
// "data", so an answer without errors begins with {"data":{.
func request(ctx context.Context, client *http.Client, base string, body []byte, header http.Header, buf *bytes.Buffer) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return false
	}
	return resp.StatusCode == http.StatusOK && bytes.HasPrefix(buf.Bytes(), []byte(`{"data":{`))
}

// hold is -queries -hold: it writes one wrk script per query case into
// o.hold, prints the commands that run them, and waits until ctx ends, so
// that a load generator other than this tool can measure the same queries
// against the same server and data.
func hold(ctx context.Context, o options, cases []queryCase, out io.Writer) error {
	if err := os.MkdirAll(o.hold, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(out, "hold     the server is up with the data; run for example:\n")
	for _, c := range cases {
		body, err := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
		if err != nil {
			return err
		}
		name := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, c.name)
		name = strings.Trim(strings.ReplaceAll(name, "--", "-"), "-")
		file := filepath.Join(o.hold, name+".lua")
		if err := os.WriteFile(file, []byte(wrkScript(body, c.header)), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "           wrk -t2 -c32 -d10s --latency -s %s %s/graphql\n", file, strings.TrimRight(o.url, "/"))
	}
	fmt.Fprintf(out, "hold     until interrupted (Ctrl-C)\n")
	<-ctx.Done()
	return nil
}

// wrkScript is a wrk script that posts body with headers and counts the
// answers that are not a 200 without GraphQL errors, summed over wrk's
// threads at the end.
func wrkScript(body []byte, headers http.Header) string {
	var b strings.Builder
	b.WriteString("-- Written by omnify-load -hold: one GraphQL request, sent over and over.\n")
	b.WriteString("wrk.method = \"POST\"\n")
	fmt.Fprintf(&b, "wrk.body = [==[%s]==]\n", body)
	b.WriteString("wrk.headers[\"Content-Type\"] = \"application/json\"\n")
	for k, vs := range headers {
		for _, v := range vs {
			fmt.Fprintf(&b, "wrk.headers[%q] = [==[%s]==]\n", k, v)
		}
	}
	b.WriteString(`local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failed = 0 end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then failed = failed + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("failed") end
  io.write(string.format("failed answers (not 200, or GraphQL errors): %d\n", n))
end
`)
	return b.String()
}
