package app_test

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// idleSockets is how many subscribed sockets TestIdleSubscriberGoroutines
// holds open: enough that the server's fixed goroutines do not blur the
// figure per socket.
const idleSockets = 200

// maxGoroutinesPerIdleSubscriber is what one idle WebSocket holding one
// subscription may cost in goroutines: the socket's reader and the
// operation's (gqlgen's executor waits on the subscription in it). The
// HTTP handler's goroutine has returned; pings, the init timeout,
// authority re-checks and event delivery cost none per socket (timers, and
// one bus subscription per organization). Memory per idle subscriber is
// measured by cmd/omnify-load (the README's "Subscribers under load"),
// never asserted.
const maxGoroutinesPerIdleSubscriber = 2

// sharedGoroutines is what the server may add for all the sockets
// together (one organization's event feed, timers firing).
const sharedGoroutines = 10

// TestIdleSubscriberGoroutines holds 200 cookie-authenticated sockets open
// on a real server, each with one integrationEvents subscription, and
// counts the goroutines they cost once idle; when they close, every one of
// those goroutines ends.
func TestIdleSubscriberGoroutines(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.WebsocketMaxSocketsPerClient = idleSockets })
	user := signUp(t, env, "idle@example.com", "Idle")
	metricValue(t, env, "omnify_websocket_connections") // settle the keep-alive connection used for polling
	runtime.GC()
	baseline := runtime.NumGoroutine()

	sockets := make([]*wsClient, idleSockets)
	for i := range sockets {
		ws := mustDialWSWithCookie(t, env, user.c)
		ws.initAndAck()
		ws.send(wsMsg{ID: "1", Type: "subscribe", Payload: map[string]any{"query": integrationEventsSubscription}})
		sockets[i] = ws
	}
	waitForMetric(t, env, "omnify_graphql_active_subscriptions", fmt.Sprint(idleSockets))
	// Handshake and operation set-up goroutines end within moments.
	limit := baseline + maxGoroutinesPerIdleSubscriber*idleSockets + sharedGoroutines
	var n int
	deadline := time.Now().Add(10 * time.Second)
	for {
		time.Sleep(200 * time.Millisecond)
		if n = runtime.NumGoroutine(); n <= limit || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("%d goroutines for %d idle subscribed sockets: %.2f each", n-baseline, idleSockets, float64(n-baseline)/idleSockets)
	if n > limit {
		t.Errorf("%d goroutines for %d idle subscribed sockets, want at most %d each and %d shared; the most common:\n%s",
			n-baseline, idleSockets, maxGoroutinesPerIdleSubscriber, sharedGoroutines, commonGoroutines(idleSockets/2))
	}

	for _, ws := range sockets {
		ws.conn.Close()
	}
	waitForMetric(t, env, "omnify_websocket_connections", "0")
	waitFor(t, "goroutines to return to the baseline", func() bool { return runtime.NumGoroutine() <= baseline+2 })
}

// commonGoroutines lists the goroutine stacks shared by at least min
// goroutines, with their counts.
func commonGoroutines(min int) string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	var out []string
	for block := range strings.SplitSeq(buf.String(), "\n\n") {
		var n int
		if _, err := fmt.Sscanf(block, "%d @", &n); err == nil && n >= min {
			out = append(out, block)
		}
	}
	return strings.Join(out, "\n\n")
}
