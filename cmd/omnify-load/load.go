package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// receipt is one event as a subscriber got it.
type receipt struct {
	at, got time.Time // the event's own time; when it was read
}

// subscriber is one WebSocket holding one subscription.
type subscriber struct {
	conn    *websocket.Conn
	writeMu sync.Mutex
	got     []receipt // written by the reader only, read after it ends
	done    chan struct{}
	ended   string // why the subscription or socket ended early, if it did
}

// tally counts what every subscriber's reader saw.
type tally struct {
	delivered atomic.Int64
	errors    atomic.Int64 // error messages, errors in payloads, completes
	lost      atomic.Int64 // sockets closed before the end
}

func (s *subscriber) write(v any) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.conn.WriteJSON(v)
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dial connects subscriber i, waits for connection_ack and subscribes.
func dial(ctx context.Context, o options, i int, cookie, apiKey string, vars map[string]any, doc string) (*subscriber, error) {
	d := websocket.Dialer{
		Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: o.dialTimeout,
		ReadBufferSize: 1024, WriteBufferSize: 1024,
	}
	if o.sourceIPs > 1 {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%o.sourceIPs))}}
		d.NetDialContext = nd.DialContext
	}
	header := http.Header{}
	if cookie != "" {
		header.Set("Cookie", cookie)
	}
	u := "ws" + strings.TrimPrefix(o.urls[i%len(o.urls)], "http") + "/graphql"
	conn, resp, err := d.DialContext(ctx, u, header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	s := &subscriber{conn: conn, done: make(chan struct{})}
	fail := func(err error) (*subscriber, error) {
		conn.Close()
		return nil, err
	}
	init := wsMessage{Type: "connection_init", Payload: json.RawMessage(`{}`)}
	if apiKey != "" {
		init.Payload, _ = json.Marshal(map[string]string{"Authorization": "Bearer " + apiKey})
	}
	if err := s.write(init); err != nil {
		return fail(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(o.dialTimeout))
	for {
		var m wsMessage
		if err := conn.ReadJSON(&m); err != nil {
			return fail(fmt.Errorf("waiting for connection_ack: %w", err))
		}
		if m.Type == "ping" {
			_ = s.write(wsMessage{Type: "pong"})
			continue
		}
		if m.Type != "connection_ack" {
			return fail(fmt.Errorf("got %s %s, want connection_ack", m.Type, m.Payload))
		}
		break
	}
	_ = conn.SetReadDeadline(time.Time{})
	payload, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	if err := s.write(wsMessage{ID: "1", Type: "subscribe", Payload: payload}); err != nil {
		return fail(err)
	}
	return s, nil
}

// read takes messages until the socket ends, answering pings and noting
// each event's receipt.
func (s *subscriber) read(t *tally, leaving *atomic.Bool) {
	defer close(s.done)
	for {
		_, data, err := s.conn.ReadMessage()
		now := time.Now()
		if err != nil {
			if !leaving.Load() {
				s.ended = err.Error()
				t.lost.Add(1)
			}
			return
		}
		var m wsMessage
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		switch m.Type {
		case "ping":
			_ = s.write(wsMessage{Type: "pong"})
		case "next":
			var p struct {
				Data   map[string]json.RawMessage `json:"data"`
				Errors []gqlError                 `json:"errors"`
			}
			_ = json.Unmarshal(m.Payload, &p)
			if len(p.Errors) > 0 {
				t.errors.Add(1)
				if s.ended == "" {
					s.ended = "error: " + p.Errors[0].Message
				}
				continue
			}
			r := receipt{got: now}
			for _, v := range p.Data {
				var e struct{ At time.Time }
				if json.Unmarshal(v, &e) == nil {
					r.at = e.At
				}
			}
			s.got = append(s.got, r)
			t.delivered.Add(1)
		case "error", "complete":
			t.errors.Add(1)
			if s.ended == "" { // the first reason: an error, then its complete
				s.ended = m.Type + " " + string(m.Payload)
			}
		}
	}
}

// sample is the server's memory at one moment.
type sample struct {
	vmRSS      float64 // from /proc, when the pid is known
	rss        float64 // process_resident_memory_bytes
	heapInuse  float64
	stackInuse float64
	heapLive   float64 // live heap at the last GC, if served
	goroutines float64
	sockets    float64
	subs       float64
	gcs        float64
}

func (s sample) resident() float64 {
	if s.vmRSS > 0 {
		return s.vmRSS
	}
	return s.rss
}

// readSample scrapes /metrics (and /proc/<pid>/status for VmRSS).
func readSample(ctx context.Context, base string, pid int) (sample, error) {
	var s sample
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return s, err
	}
	fields := map[string]*float64{
		"process_resident_memory_bytes":       &s.rss,
		"go_memstats_heap_inuse_bytes":        &s.heapInuse,
		"go_memstats_stack_inuse_bytes":       &s.stackInuse,
		"go_gc_heap_live_bytes":               &s.heapLive,
		"go_goroutines":                       &s.goroutines,
		"omnify_websocket_connections":        &s.sockets,
		"omnify_graphql_active_subscriptions": &s.subs,
		"go_gc_duration_seconds_count":        &s.gcs,
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if p := fields[name]; ok && p != nil {
			_, _ = fmt.Sscan(value, p)
		}
	}
	if pid > 0 {
		s.vmRSS = vmRSS(pid)
	}
	return s, nil
}

// vmRSS reads VmRSS of a process from /proc, in bytes; 0 when unknown.
func vmRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			_, _ = fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb * 1024
		}
	}
	return 0
}

// settled waits for the settle time, then makes each server collect its
// garbage once (by asking cheap queries until a GC has run, at most 30s)
// and reads their memory, summed, so that the live heap is what they hold
// now.
func settled(ctx context.Context, o options) (sample, error) {
	time.Sleep(o.settle)
	for _, u := range o.urls {
		first, err := readSample(ctx, u, 0)
		if err != nil {
			return first, err
		}
		c := newGQLClient(u)
		deadline := time.Now().Add(30 * time.Second)
		for ctx.Err() == nil && time.Now().Before(deadline) {
			for range 100 {
				_ = c.do(ctx, `{ __typename }`, nil, nil)
			}
			if s, err := readSample(ctx, u, 0); err == nil && s.gcs > first.gcs {
				break
			}
		}
	}
	return readAll(ctx, o, true)
}

// readAll sums the samples of every server (with VmRSS when asked and known).
func readAll(ctx context.Context, o options, rss bool) (sample, error) {
	var sum sample
	for i, u := range o.urls {
		pid := 0
		if rss {
			pid = o.pids[i]
		}
		s, err := readSample(ctx, u, pid)
		if err != nil {
			return sum, err
		}
		sum.vmRSS += s.vmRSS
		sum.rss += s.rss
		sum.heapInuse += s.heapInuse
		sum.stackInuse += s.stackInuse
		sum.heapLive += s.heapLive
		sum.goroutines += s.goroutines
		sum.sockets += s.sockets
		sum.subs += s.subs
		sum.gcs += s.gcs
	}
	return sum, nil
}

// waitFor polls the servers' metrics until ok holds or the wait ends.
func waitFor(ctx context.Context, o options, wait time.Duration, ok func(sample) bool) (sample, bool) {
	deadline := time.Now().Add(wait)
	for {
		s, err := readAll(ctx, o, false)
		if err == nil && ok(s) {
			return s, true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return s, false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func runLoad(ctx context.Context, o options, out io.Writer) error {
	drv := drivers[o.driver](o)
	doc := o.document
	if doc == "" {
		doc = drv.document()
	}
	owner := newGQLClient(o.url)
	if err := owner.signUp(ctx); err != nil {
		return err
	}
	vars, err := drv.prepare(ctx, owner)
	if err != nil {
		return err
	}
	var cookie, apiKey string
	if o.auth == "apikey" {
		if apiKey, err = owner.createAPIKey(ctx); err != nil {
			return err
		}
	} else {
		cookie = owner.cookieHeader()
	}

	before, err := settled(ctx, o)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}

	// Connect.
	spec := poolSpec{URLs: o.urls, Cookie: cookie, APIKey: apiKey, Vars: vars, Document: doc, N: o.n}
	var p pool = &localPool{o: o, spec: spec}
	if o.clients > 1 {
		p = &childPool{o: o, spec: spec}
	}
	start := time.Now()
	n, errs, err := p.connect(ctx)
	if err != nil {
		return err
	}
	connectTime := time.Since(start)
	live, allLive := waitFor(ctx, o, 60*time.Second, func(s sample) bool { return s.subs >= before.subs+float64(n) })
	fmt.Fprintf(out, "connect  %d of %d subscribers (%s) in %.1fs, %.0f/s; subscriptions live on the server: %.0f\n",
		n, o.n, o.auth, connectTime.Seconds(), float64(n)/connectTime.Seconds(), live.subs-before.subs)
	for e, c := range errs {
		fmt.Fprintf(out, "         %d failed: %s\n", c, e)
	}
	if !allLive {
		fmt.Fprintln(out, "         not every subscription went live within 60s")
	}

	idle, err := settled(ctx, o)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}

	// Drive events, one fire at a time, each until every subscriber has
	// what it publishes.
	perFire := eventsPerFire(drv)
	returned := make([]time.Time, 0, o.events)
	var fireErrs int
	for i := 0; i < o.events && ctx.Err() == nil; i++ {
		if err := drv.fire(ctx, owner, i); err != nil {
			fireErrs++
			fmt.Fprintf(out, "event    %d: %v\n", i, err)
			continue
		}
		returned = append(returned, time.Now())
		want := int64(n) * int64(len(returned)*perFire)
		deadline := time.Now().Add(o.eventWait)
		for p.delivered() < want && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(o.interval)
	}
	loaded, _ := settled(ctx, o)

	// Leave.
	res, err := p.leave(ctx)
	if err != nil {
		return err
	}
	waitFor(ctx, o, 30*time.Second, func(s sample) bool { return s.sockets <= before.sockets })
	after, _ := settled(ctx, o)

	// Report.
	fired := len(returned)
	expected := int64(n) * int64(fired*perFire)
	var fromAt, fromAnswer []time.Duration
	var delivered int64
	for _, got := range res.Got {
		delivered += int64(len(got))
		for j, r := range got {
			if r[0] != 0 {
				fromAt = append(fromAt, time.Duration(r[1]-r[0]))
			}
			if j/perFire < fired {
				fromAnswer = append(fromAnswer, time.Unix(0, r[1]).Sub(returned[j/perFire]))
			}
		}
	}
	fmt.Fprintf(out, "events   %d fired (%d failed, %d events each); delivered %d of %d (%.2f%%); errors %d; sockets lost %d\n",
		fired, fireErrs, perFire, delivered, expected, 100*float64(delivered)/max(1, float64(expected)), res.Errors, res.Lost)
	for e, c := range res.Ended {
		fmt.Fprintf(out, "         %d ended early: %s\n", c, e)
	}
	fmt.Fprintf(out, "latency  from the event's time: %s\n", percentiles(fromAt))
	fmt.Fprintf(out, "         from the mutation's answer: %s\n", percentiles(fromAnswer))

	fmt.Fprintf(out, "memory   %-14s %10s %10s %10s %10s %16s\n", "", "before", "idle", "after events", "after leaving", "per idle subscriber")
	row := func(name string, f func(sample) float64, unit string) {
		per := (f(idle) - f(before)) / max(1, float64(n))
		perText := fmt.Sprintf("%.1f KiB", per/1024)
		if unit == "" {
			perText = fmt.Sprintf("%.2f", per)
		}
		fmt.Fprintf(out, "         %-14s %10s %10s %10s %10s %16s\n", name,
			amount(f(before), unit), amount(f(idle), unit), amount(f(loaded), unit), amount(f(after), unit), perText)
	}
	row("resident", sample.resident, "MB")
	row("heap in use", func(s sample) float64 { return s.heapInuse }, "MB")
	row("stacks", func(s sample) float64 { return s.stackInuse }, "MB")
	if idle.heapLive > 0 {
		row("live heap", func(s sample) float64 { return s.heapLive }, "MB")
	}
	row("goroutines", func(s sample) float64 { return s.goroutines }, "")

	if n < o.n || delivered < expected || fireErrs > 0 {
		return fmt.Errorf("%d of %d subscribers connected, %d of %d events delivered", n, o.n, delivered, expected)
	}
	return nil
}

func amount(v float64, unit string) string {
	if unit == "" {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f %s", v/1e6, unit)
}

// percentiles renders p50, p90, p99 and the maximum of ds.
func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	r := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s (%d samples)", r(at(.5)), r(at(.9)), r(at(.99)), r(ds[len(ds)-1]), len(ds))
}

// shortError groups errors that differ only in addresses and ports.
func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.Contains(s, "127.0.0.") {
		s = s[i+2:]
	}
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}
