package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

// server is an omnify process started for one run, with the platform fake
// it checks keys against.
type server struct {
	url, platformKey, settings string
	pid                        int

	cmd  *exec.Cmd
	dir  string
	log  *os.File
	fake *platformtest.Fake
	nats *natsserver.Server // the bus a server of one role needs
	done chan error
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

func startServer(ctx context.Context, bin, extraEnv, role string) (_ *server, err error) {
	limits, err := platformtest.ParseReportLimits(loadReportLimits)
	if err != nil {
		return nil, err
	}
	s := &server{fake: platformtest.New(platformtest.Config{KlaviyoReportLimits: limits}), done: make(chan error, 1)}
	defer func() {
		if err != nil {
			s.stop(io.Discard)
		}
	}()
	acct := s.fake.AddAccount(platformtest.AccountConfig{})
	s.platformKey = acct.Key(platformtest.Klaviyo)

	if s.dir, err = os.MkdirTemp("", "omnify-load-"); err != nil {
		return nil, err
	}
	if s.log, err = os.Create(filepath.Join(s.dir, "server.log")); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s.url = "http://" + addr

	urls := s.fake.URLs()
	env := append(os.Environ(),
		"OMNIFY_HTTP_ADDR="+addr,
		"OMNIFY_DATA_DIR="+filepath.Join(s.dir, "data"),
		"OMNIFY_TRIPLEWHALE_BASE_URL="+urls.TripleWhale,
		"OMNIFY_HUBSPOT_BASE_URL="+urls.HubSpot,
		"OMNIFY_KLAVIYO_BASE_URL="+urls.Klaviyo,
	)
	if role != "all" {
		// A process of one role refuses to start without a bus between
		// processes: give it one of its own.
		s.nats, err = natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
		if err != nil {
			return nil, err
		}
		go s.nats.Start()
		if !s.nats.ReadyForConnections(10 * time.Second) {
			return nil, fmt.Errorf("the NATS server for the run did not start")
		}
		env = append(env, "OMNIFY_NATS_URL="+s.nats.ClientURL())
	}
	env = append(env, serverSettings...)
	settings := append([]string(nil), serverSettings...)
	if extraEnv != "" {
		for kv := range strings.SplitSeq(extraEnv, ",") {
			env = append(env, strings.TrimSpace(kv))
			settings = append(settings, strings.TrimSpace(kv))
		}
	}
	s.settings = strings.Join(settings, " ")

	s.cmd = exec.Command(bin, "serve", "--role="+role)
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = env, s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, err
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
			return nil, fmt.Errorf("the server exited: %v\n%s", err, s.logTail())
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the server was not ready within 90s\n%s", s.logTail())
		}
	}
}

// stop ends the server with SIGTERM (SIGKILL after 30s), stops the fake
// and removes the data directory.
func (s *server) stop(out io.Writer) {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-s.done:
			if err != nil {
				fmt.Fprintf(out, "server   exited: %v\n%s", err, s.logTail())
			} else {
				fmt.Fprintln(out, "server   stopped")
			}
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			fmt.Fprintf(out, "server   killed: no exit within 30s of SIGTERM\n%s", s.logTail())
		}
	}
	if s.nats != nil {
		s.nats.Shutdown()
	}
	if s.log != nil {
		_ = s.log.Close()
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
	s.fake.Close()
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
