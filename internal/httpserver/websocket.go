package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
)

// The WebSocket subprotocols served, and the close codes of
// graphql-transport-ws (github.com/enisdenjo/graphql-ws, PROTOCOL.md).
const (
	subprotocolTransportWS = "graphql-transport-ws"
	subprotocolLegacyWS    = "graphql-ws"

	closeGoingAway             = 1001
	closeInvalidMessage        = 4400
	closeUnauthorized          = 4401
	closeSubprotocolNotAllowed = 4406
	closeInitTimeout           = 4408
	closeSubscriberExists      = 4409
	closeTooManyInits          = 4429
)

// wsHub knows every open GraphQL WebSocket, so that shutdown can close them
// all with 1001 (going away) and wait until their handlers have returned.
type wsHub struct {
	metrics *Metrics

	mu      sync.Mutex
	closing bool
	conns   map[*protocolConn]struct{}
	wg      sync.WaitGroup
}

func newWSHub(m *Metrics) *wsHub {
	return &wsHub{metrics: m, conns: map[*protocolConn]struct{}{}}
}

// enter registers a connection's handler; false once shutdown has begun.
func (h *wsHub) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.wg.Add(1)
	return true
}

func (h *wsHub) track(c *protocolConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *wsHub) forget(c *protocolConn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// closeAll closes every connection with 1001 and refuses new ones.
func (h *wsHub) closeAll() {
	h.mu.Lock()
	h.closing = true
	conns := make([]*protocolConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		_ = c.WriteClose(closeGoingAway, "server shutting down")
	}
}

// wait blocks until every WebSocket handler has returned or ctx ends.
func (h *wsHub) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		select {
		case <-done: // both ready: the sockets did close in time
			return nil
		default:
			return fmt.Errorf("websockets still open: %w", ctx.Err())
		}
	}
}

type wsSlotKey struct{}

// wsSlot carries the accepted connection from the transport back to the
// handler that started it, which makes sure it is closed.
type wsSlot struct{ conn *protocolConn }

// serveWebsocket checks an upgrade request before gqlgen's transport takes
// it: the origin must be allowed, a requested subprotocol must be one we
// speak, and the server must not be shutting down.
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origin, r.Host, s.allowedOrigins) {
		writeJSONError(w, http.StatusForbidden, "origin not allowed")
		return
	}
	if requested := websocketProtocols(r); len(requested) > 0 &&
		!slices.Contains(requested, subprotocolTransportWS) && !slices.Contains(requested, subprotocolLegacyWS) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		_ = c.Close(closeSubprotocolNotAllowed, "Subprotocol not acceptable")
		return
	}
	if !s.ws.enter() {
		writeJSONError(w, http.StatusServiceUnavailable, "server is shutting down")
		return
	}
	defer s.ws.wg.Done()
	s.metrics.websockets.Inc()
	defer s.metrics.websockets.Dec()

	slot := &wsSlot{}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), wsSlotKey{}, slot)))
	if slot.conn != nil {
		// gqlgen leaves a few failed handshakes open; never leak one.
		_ = slot.conn.WriteClose(transport.WebsocketCloseNormalClosure, "terminated")
		_ = slot.conn.Close()
	}
}

func websocketProtocols(r *http.Request) []string {
	var out []string
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// wsImplementation accepts connections with coder/websocket (as gqlgen does
// by default) and wraps each in a protocolConn.
type wsImplementation struct {
	hub *wsHub
}

func (i wsImplementation) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	inner := transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
		// Origins were checked in serveWebsocket against our own list.
		InsecureSkipVerify: true,
		Subprotocols:       []string{subprotocolTransportWS, subprotocolLegacyWS},
	}}
	c, err := inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	pc := &protocolConn{inner: c, transportWS: c.Subprotocol() == subprotocolTransportWS, active: map[string]struct{}{}, hub: i.hub}
	if slot, ok := r.Context().Value(wsSlotKey{}).(*wsSlot); ok {
		slot.conn = pc
	}
	if !i.hub.track(pc) {
		_ = pc.WriteClose(closeGoingAway, "server shutting down")
	}
	return pc, nil
}

// protocolConn enforces the parts of graphql-transport-ws that gqlgen's
// transport does not, by watching the messages that pass through it:
// malformed messages close with 4400, a subscribe before the connection is
// acknowledged with 4401, a second connection_init with 4429, a reused
// subscription id with 4409, and gqlgen's init timeout is reported as 4408.
// Only the first close code sent counts.
type protocolConn struct {
	inner       transport.WebsocketConn
	transportWS bool
	hub         *wsHub

	mu       sync.Mutex
	closed   bool
	initSeen bool
	acked    bool
	active   map[string]struct{}
}

var (
	_ transport.WebsocketConn          = (*protocolConn)(nil)
	_ transport.WebsocketReadLimiter   = (*protocolConn)(nil)
	_ transport.WebsocketReadDeadliner = (*protocolConn)(nil)
)

type wsMessage struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// NextReader returns the next message, after checking it against the protocol.
func (c *protocolConn) NextReader() (int, io.Reader, error) {
	typ, r, err := c.inner.NextReader()
	if err != nil || !c.transportWS {
		return typ, r, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return typ, nil, err
	}
	if code, reason := c.check(data); code != 0 {
		_ = c.WriteClose(code, reason)
		return typ, nil, transport.ErrWebsocketClosed
	}
	return typ, bytes.NewReader(data), nil
}

func (c *protocolConn) check(data []byte) (int, string) {
	var m wsMessage
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		return closeInvalidMessage, "Invalid message received"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if c.initSeen {
			return closeTooManyInits, "Too many initialisation requests"
		}
		c.initSeen = true
		if p := bytes.TrimSpace(m.Payload); len(p) > 0 && p[0] != '{' && !bytes.Equal(p, []byte("null")) {
			return closeInvalidMessage, "Invalid message received"
		}
	case "subscribe":
		if !c.acked {
			return closeUnauthorized, "Unauthorized"
		}
		if m.ID == "" || len(m.Payload) == 0 {
			return closeInvalidMessage, "Invalid message received"
		}
		if _, dup := c.active[m.ID]; dup {
			return closeSubscriberExists, "Subscriber for " + truncateID(m.ID) + " already exists"
		}
		c.active[m.ID] = struct{}{}
	case "complete":
		delete(c.active, m.ID)
	case "ping", "pong":
	default:
		return closeInvalidMessage, "Invalid message received"
	}
	return 0, ""
}

func truncateID(id string) string {
	if len(id) > 64 {
		return id[:64]
	}
	return id
}

// WriteJSON sends a message, noting acknowledgements and ended subscriptions.
func (c *protocolConn) WriteJSON(v any) error {
	if !c.transportWS {
		return c.inner.WriteJSON(v)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m wsMessage
	if json.Unmarshal(data, &m) == nil {
		c.mu.Lock()
		switch m.Type {
		case "connection_ack":
			c.acked = true
		case "complete", "error":
			delete(c.active, m.ID)
		}
		c.mu.Unlock()
	}
	return c.inner.WriteJSON(json.RawMessage(data))
}

// WriteClose starts the close handshake; later calls are ignored so the
// first, most specific code is the one the client sees.
func (c *protocolConn) WriteClose(code int, reason string) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	if c.transportWS && code == transport.WebsocketCloseProtocolError && strings.Contains(reason, "initialisation timeout") {
		code, reason = closeInitTimeout, "Connection initialisation timeout"
	}
	return c.inner.WriteClose(code, reason)
}

// Close releases the connection.
func (c *protocolConn) Close() error {
	c.hub.forget(c)
	return c.inner.Close()
}

// Subprotocol is the negotiated subprotocol.
func (c *protocolConn) Subprotocol() string { return c.inner.Subprotocol() }

// SetReadLimit caps the size of one incoming message.
func (c *protocolConn) SetReadLimit(limit int64) {
	if l, ok := c.inner.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline bounds the next read; gqlgen uses it for ping timeouts.
func (c *protocolConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.inner.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
