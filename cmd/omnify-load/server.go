package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/omnify/bff/internal/integrations/platform/platformtest"
	"github.com/omnify/bff/internal/mongodb"
)

// server is one omnify process started for a run.
type server struct {
	url string
	pid int

	cmd  *exec.Cmd
	dir  string
	log  *os.File
	done chan error
}

// cluster is what a run with -serve starts: one or more servers on one
// database, the platform fake they check keys against, and the NATS server
// that carries events between them (or that a server of one role needs).
type cluster struct {
	servers     []*server
	platformKey string
	platforms   map[string]string // each platform's key in the fake, and Triple Whale's shop
	settings    string

	dir  string
	fake *platformtest.Fake
	nats *natsserver.Server
	db   *mongodb.Embedded // shared by several replicas; nil with one
}

// serverSettings are the environment of a server started with -serve,
// besides its address, data directory and platform URLs. Every subscriber
// shares one credential, so the per-client socket cap is lifted; the logs
// keep to warnings so that writing them costs nothing under load.
var serverSettings = []string{
	"OMNIFY_WS_MAX_SOCKETS_PER_CLIENT=100000",
	"OMNIFY_LOG_LEVEL=warn",
	// Every organization connects the fake's one Klaviyo account, whose
	// reporting limits would make its syncs wait minutes for each other:
	// the load is not about those, so server and fake share short windows.
	"OMNIFY_KLAVIYO_REPORT_LIMITS=" + loadReportLimits,
}

// loadReportLimits are the Klaviyo reporting limits of the load's server
// and platform fake.
const loadReportLimits = "1/5ms,2/50ms,100000/24h"

// startCluster starts replicas servers: the first with role, the others
// with role api. With one, the server keeps its own embedded database;
// with more, they share one this process serves, and a NATS server.
func startCluster(ctx context.Context, bin, extraEnv, role string, replicas int) (_ *cluster, err error) {
	limits, err := platformtest.ParseReportLimits(loadReportLimits)
	if err != nil {
		return nil, err
	}
	c := &cluster{fake: platformtest.New(platformtest.Config{KlaviyoReportLimits: limits})}
	defer func() {
		if err != nil {
			c.stop(io.Discard)
		}
	}()
	// A store of the size the dashboard figures in the README were first
	// measured on: 137 deals, 230 contacts, 24 campaigns.
	acct := c.fake.AddAccount(platformtest.AccountConfig{DealCount: 137, ContactCount: 230, CampaignCount: 24, FlowCount: 6})
	c.platformKey = acct.Key(platformtest.Klaviyo)
	c.platforms = map[string]string{
		"TRIPLE_WHALE": acct.Key(platformtest.TripleWhale), "HUBSPOT": acct.Key(platformtest.HubSpot),
		"KLAVIYO": acct.Key(platformtest.Klaviyo), "shopDomain": acct.ShopDomain(),
	}
	if c.dir, err = os.MkdirTemp("", "omnify-load-"); err != nil {
		return nil, err
	}
	urls := c.fake.URLs()
	env := append(os.Environ(),
		"OMNIFY_TRIPLEWHALE_BASE_URL="+urls.TripleWhale,
		"OMNIFY_HUBSPOT_BASE_URL="+urls.HubSpot,
		"OMNIFY_KLAVIYO_BASE_URL="+urls.Klaviyo,
	)
	if role != "all" || replicas > 1 {
		// A process of one role refuses to start without a bus between
		// processes, and replicas need one to reach each other's
		// subscribers.
		c.nats, err = natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
		if err != nil {
			return nil, err
		}
		go c.nats.Start()
		if !c.nats.ReadyForConnections(10 * time.Second) {
			return nil, fmt.Errorf("the NATS server for the run did not start")
		}
		env = append(env, "OMNIFY_NATS_URL="+c.nats.ClientURL())
	}
	if replicas > 1 {
		if c.db, err = mongodb.StartEmbeddedTCP(filepath.Join(c.dir, "db"), nil); err != nil {
			return nil, err
		}
		// Replicas share the database and the key that seals what it
		// stores (without one, each would make its own).
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		env = append(env, "MONGODB_URI="+c.db.URI(), "OMNIFY_SECRET_KEY="+base64.StdEncoding.EncodeToString(key))
	}
	env = append(env, serverSettings...)
	settings := append([]string(nil), serverSettings...)
	if extraEnv != "" {
		for kv := range strings.SplitSeq(extraEnv, ",") {
			env = append(env, strings.TrimSpace(kv))
			settings = append(settings, strings.TrimSpace(kv))
		}
	}
	c.settings = strings.Join(settings, " ")
	for i := range replicas {
		r := role
		if i > 0 {
			r = "api"
		}
		s, err := startServer(ctx, bin, filepath.Join(c.dir, fmt.Sprint("replica-", i)), env, r)
		if s != nil {
			c.servers = append(c.servers, s)
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// stop stops the servers, then what they shared.
func (c *cluster) stop(out io.Writer) {
	for _, s := range c.servers {
		s.stop(out)
	}
	if c.nats != nil {
		c.nats.Shutdown()
	}
	if c.db != nil {
		c.db.Close()
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
	c.fake.Close()
}

// startServer starts one server with its data under dir and waits until
// it is ready. On error, a started process is returned to be stopped.
func startServer(ctx context.Context, bin, dir string, env []string, role string) (_ *server, err error) {
	s := &server{dir: dir, done: make(chan error, 1)}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if s.log, err = os.Create(filepath.Join(s.dir, "server.log")); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s.url = "http://" + addr
	env = append(slices.Clip(env), "OMNIFY_HTTP_ADDR="+addr, "OMNIFY_DATA_DIR="+filepath.Join(s.dir, "data"))

	s.cmd = exec.Command(bin, "serve", "--role="+role)
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = env, s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return s, err
	}
	s.pid = s.cmd.Process.Pid
	go func() { s.done <- s.cmd.Wait() }()

	deadline := time.Now().Add(90 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			return s, fmt.Errorf("the server exited: %v\n%s", err, s.logTail())
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("the server was not ready within 90s\n%s", s.logTail())
		}
	}
}

// stop ends the server with SIGTERM (SIGKILL after 30s).
func (s *server) stop(out io.Writer) {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-s.done:
			if err != nil {
				fmt.Fprintf(out, "server   %s exited: %v\n%s", s.url, err, s.logTail())
			} else {
				fmt.Fprintf(out, "server   %s stopped\n", s.url)
			}
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			fmt.Fprintf(out, "server   %s killed: no exit within 30s of SIGTERM\n%s", s.url, s.logTail())
		}
	}
	if s.log != nil {
		_ = s.log.Close()
	}
}

// logTail is the end of the server's log, for a failure's message.
func (s *server) logTail() string {
	if s.log == nil {
		return ""
	}
	b, _ := os.ReadFile(s.log.Name())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	return "server log (end):\n" + string(b)
}
