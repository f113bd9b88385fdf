package mongotest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy starts a TCP proxy in front of the server's database until the
// test ends and returns a URI that connects through it. before, when not
// nil, is called with each chunk's direction (toClient true for the
// database's answers) before the chunk is forwarded: a test holds or
// stalls the traffic there, as a busy or hung database would.
func (s *Server) Proxy(t testing.TB, before func(toClient bool)) string {
	t.Helper()
	u, err := url.Parse(s.URI())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if before == nil {
		before = func(bool) {}
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { forward(c, u.Host, before) })
		}
	})
	return "mongodb://" + ln.Addr().String() + "/?directConnection=true"
}

// forward copies between client and a new connection to target, both
// ways, calling before ahead of every chunk, until either side closes.
func forward(client net.Conn, target string, before func(toClient bool)) {
	defer client.Close()
	server, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn, toClient bool) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				before(toClient)
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pipe(server, client, false)
	go pipe(client, server, true)
	<-done
}
