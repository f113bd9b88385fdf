package app_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// stallProxy forwards TCP connections to a database server until Stall is
// called; from then on it accepts connections and reads what they send but
// forwards nothing in either direction, as a database that hangs does,
// until Resume.
type stallProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	stall  bool
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	p.cond = sync.NewCond(&p.mu)
	var conns sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				p.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		p.Resume()
	})
	return p
}

func (p *stallProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				p.wait()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
}

// wait blocks while the proxy is stalled.
func (p *stallProxy) wait() {
	p.mu.Lock()
	for p.stall {
		p.cond.Wait()
	}
	p.mu.Unlock()
}

func (p *stallProxy) Stall() { p.mu.Lock(); p.stall = true; p.mu.Unlock() }

func (p *stallProxy) Resume() {
	p.mu.Lock()
	p.stall = false
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *stallProxy) URI() string {
	return "mongodb://" + p.ln.Addr().String() + "/?directConnection=true"
}

// TestStalledDatabaseFailsRequestsWithinTheDeadline puts a proxy between
// the server and its database and makes the database stop answering:
// requests must come back as INTERNAL_SERVER_ERROR (the deadline, not a
// hang), /readyz must turn 503, and both must recover when the database
// answers again.
func TestStalledDatabaseFailsRequestsWithinTheDeadline(t *testing.T) {
	u, err := url.Parse(dbs.URI())
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallProxy(t, u.Host)
	env := apptest.Start(t, dbs, func(c *config.Config) {
		c.MongoURI = proxy.URI()
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
