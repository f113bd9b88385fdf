package app_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/app"
	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// TestSlowWebSocketConsumerIsEndedAndResumes floods an execution's events
// (300 of 32 KiB, more than the socket buffers hold) at a WebSocket client
// that does not read: the execution finishes regardless; once the client
// reads again it gets what was queued, then the stream's end with
// SLOW_CONSUMER, and resubscribing after the last sequence it saw delivers
// the rest without a gap or a duplicate, then completes.
func TestSlowWebSocketConsumerIsEndedAndResumes(t *testing.T) {
	const findings = 300
	app.UseAnalyzers(t, map[string]agents.Analyzer{
		agents.KeyEmailAuditor: agents.AnalyzerFunc(func(context.Context, bson.ObjectID, map[string]any, agents.Source) (agents.Report, error) {
			r := agents.Report{Summary: "Flooded."}
			for range findings {
				r.Findings = append(r.Findings, agents.Finding{Severity: "info", Title: "Finding", Detail: strings.Repeat("x", 32<<10)})
			}
			return r, nil
		}),
	})
	p := newPlatforms(t)
	env := apptest.Start(t, dbs, p.configure, func(c *config.Config) {
		c.AgentSubscriptionBuffer = 16
		c.WebsocketPingInterval = time.Hour
	})
	owner := signUp(t, env, "owner@example.com", "Acme")
	if r := connect(t, owner.c, "KLAVIYO", klGoodKey, ""); len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	id := runAgent(t, owner.c, agentIDs(t, owner.c)["email-auditor"], nil)

	// A client whose receive buffer is fixed at 64 KiB (so the kernel
	// cannot absorb the flood) subscribes, then stops reading.
	dialer := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 10 * time.Second,
		NetDialContext: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10) })
		}}).DialContext}
	u, _ := url.Parse(env.URL)
	header := http.Header{}
	for _, ck := range owner.c.HTTP().Jar.Cookies(u) {
		header.Add("Cookie", ck.Name+"="+ck.Value)
	}
	conn, _, err := dialer.Dial("ws"+strings.TrimPrefix(env.URL, "http")+"/graphql", header)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ws := &wsClient{t: t, conn: conn}
	ws.initAndAck()
	eventsSub(ws, "slow", id, nil)
	if got := waitEnded(t, owner.c, id); got != "SUCCEEDED" {
		t.Fatalf("execution %s", got)
	}
	time.Sleep(2 * time.Second) // the server has long filled the socket and the buffer

	// Reading again: what was queued, then the end, within a deadline.
	last, ended := 0, ""
	for ended == "" {
		_ = ws.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		var m wsMsg
		if err := ws.conn.ReadJSON(&m); err != nil {
			t.Fatalf("after %d events: %v", last, err)
		}
		switch m.Type {
		case "next":
			data, _ := m.Payload["data"].(map[string]any)
			if data == nil {
				ended = toJSON(m.Payload)
				continue
			}
			ev := data["agentExecutionEvents"].(map[string]any)
			seq := int(ev["sequence"].(float64))
			if seq != last+1 {
				t.Fatalf("sequence %d after %d", seq, last)
			}
			last = seq
		case "error":
			ended = toJSON(m.Payload)
		case "complete":
			ended = "complete"
		}
	}
	if !strings.Contains(ended, "SLOW_CONSUMER") {
		t.Fatalf("the stream ended with %s after %d events, want SLOW_CONSUMER", ended, last)
	}
	// Resume after the last event received: the rest, then complete.
	eventsSub(ws, "resume", id, &last)
	seqs, codes := collect(t, ws, "resume")
	if len(codes) != 0 {
		t.Fatalf("the resumed stream ended with %v", codes)
	}
	checkRun(t, seqs, last+1)
}
