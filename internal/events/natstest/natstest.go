// Package natstest runs a NATS server inside a test process, on a loopback
// port, so tests of the NATS bus use the real server and the real client.
package natstest

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is an embedded NATS server that can be stopped and started again
// on the same port, as a restarted or unreachable server looks to clients.
type Server struct {
	mu   sync.Mutex
	port int
	srv  *server.Server
}

// Start runs a server on a free loopback port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{port: -1}
	s.Restart(t)
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's client URL (nats://127.0.0.1:port); it stays the
// same across Stop and Restart.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("nats://127.0.0.1:%d", s.port)
}

// Stop shuts the server down and waits until it has; its clients see the
// connection drop. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts the server again on its port (a new one the first time);
// a running server is stopped first.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	// The port of a server just stopped can take a moment to be free.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var srv *server.Server
		srv, err = server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, NoLog: true, NoSigs: true})
		if err == nil {
			srv.Start()
			if srv.ReadyForConnections(2 * time.Second) {
				s.srv = srv
				s.port = srv.Addr().(*net.TCPAddr).Port
				return
			}
			srv.Shutdown()
			srv.WaitForShutdown()
			err = fmt.Errorf("not ready on port %d", s.port)
		}
		if time.Now().After(deadline) {
			break
		}
	}
	t.Fatalf("start NATS server: %v", err)
}

// Subscriptions is how many subscriptions the server holds, of every
// client; 0 while it is stopped.
func (s *Server) Subscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return 0
	}
	return int(s.srv.NumSubscriptions())
}
