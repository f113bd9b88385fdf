package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// stall makes a database stop answering until Resume: put in front of it
// (mongotest.Server.Proxy), it holds every chunk in either direction
// while stalled, as a database that hangs does.
type stall struct {
	mu      sync.Mutex
	cond    *sync.Cond
	stalled bool
}

func newStall() *stall {
	s := &stall{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// wait blocks while the database is stalled.
func (s *stall) wait(bool) {
	s.mu.Lock()
	for s.stalled {
		s.cond.Wait()
	}
	s.mu.Unlock()
}

func (s *stall) Stall() { s.mu.Lock(); s.stalled = true; s.mu.Unlock() }

func (s *stall) Resume() {
	s.mu.Lock()
	s.stalled = false
	s.mu.Unlock()
	s.cond.Broadcast()
}

// TestStalledDatabaseFailsRequestsWithinTheDeadline puts a proxy between
// the server and its database and makes the database stop answering:
// requests must come back as INTERNAL_SERVER_ERROR (the deadline, not a
// hang), /readyz must turn 503, and both must recover when the database
// answers again.
func TestStalledDatabaseFailsRequestsWithinTheDeadline(t *testing.T) {
	proxy := newStall()
	uri := dbs.Proxy(t, proxy.wait)
	t.Cleanup(proxy.Resume) // before the proxy closes
	env := apptest.Start(t, dbs, func(c *config.Config) {
		c.MongoURI = uri
		// Long enough for a busy machine before the stall, short enough
		// that a hang would show.
		c.MongoOpTimeout = time.Second
		c.RequestTimeout = 3 * time.Second
	})
	alice := signUp(t, env, "alice@example.com", "Alice's Store")
	ready := func() int {
		t.Helper()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(env.URL + "/readyz")
		if err != nil {
			t.Fatalf("GET /readyz: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("/readyz before the stall = %d", code)
	}

	proxy.Stall()
	// The client gives up long after the server's deadline: a hang fails
	// the test, an answer within the deadline passes.
	for _, q := range []string{`{ me { user { email } } }`, `{ integrations { platform status } }`} {
		resp := alice.c.Do(t, q, nil)
		if resp.Code() != "INTERNAL_SERVER_ERROR" {
			t.Fatalf("%s while the database hangs: %+v", q, resp)
		}
		if msg := resp.Errors[0].Message; strings.Contains(msg, "context") || strings.Contains(msg, "deadline") || strings.Contains(msg, "127.0.0.1") {
			t.Fatalf("internal detail leaked: %q", msg)
		}
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while the database hangs = %d, want 503", code)
	}
	if !env.Logs.Contains("request_id") {
		t.Fatal("the failure was not logged with its request id")
	}

	proxy.Resume()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp := alice.c.Do(t, `{ me { user { email } } }`, nil)
		if len(resp.Errors) == 0 && ready() == http.StatusOK {
			var out struct {
				Me struct{ User struct{ Email string } }
			}
			if err := json.Unmarshal(resp.Data, &out); err != nil || out.Me.User.Email != "alice@example.com" {
				t.Fatalf("me after recovery: %s", resp.Data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the database answered again: %+v", resp)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
