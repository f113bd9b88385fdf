package app_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

func TestShutdownClosesWebsocketsWithGoingAway(t *testing.T) {
	before := runtime.NumGoroutine()
	env := apptest.Start(t, dbs)

	acked := mustDialWS(t, env, "graphql-transport-ws")
	acked.initAndAck()
	waiting := mustDialWS(t, env, "graphql-transport-ws") // never sends connection_init

	if err := env.Stop(); err != nil {
		t.Fatalf("shutdown returned %v", err)
	}
	for name, c := range map[string]*wsClient{"acknowledged": acked, "before init": waiting} {
		if got := c.closeCode(); got != 1001 {
			t.Errorf("%s connection closed with %d, want 1001", name, got)
		}
	}
	if !strings.Contains(env.Logs.String(), "shutting down") {
		t.Errorf("no shutdown log line")
	}

	// Everything the server started has stopped: no goroutine outlives it.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before start, %d after shutdown:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestReadinessTurnsUnavailableBeforeTheListenerCloses(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.DrainDelay = 2 * time.Second })
	if got := send(t, "GET", env.URL+"/readyz", "", "", nil); got.status != 200 {
		t.Fatalf("readyz before shutdown: %d", got.status)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- env.Stop() }()
	waitFor(t, "readyz to answer 503 while draining", func() bool {
		return send(t, "GET", env.URL+"/readyz", "", "", nil).status == 503
	})
	// Requests in flight and new ones still get served during the delay.
	if got := send(t, "GET", env.URL+"/healthz", "", "", nil); got.status != 200 {
		t.Fatalf("healthz while draining: %d", got.status)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}
