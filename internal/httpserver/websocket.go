package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/authz"
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
	// closeTooManySockets is ours: the client (user, API key, or address
	// when anonymous) already has as many sockets open as it may.
	closeTooManySockets = 4430
)

// codeSubscriptionLimit is the extensions.code of an operation refused
// because its socket already runs as many as it may.
const codeSubscriptionLimit = "SUBSCRIPTION_LIMIT_EXCEEDED"

// wsHub knows every open GraphQL WebSocket, so that shutdown can close them
// all with 1001 (going away) and wait until their handlers have returned,
// and counts each client's sockets against its cap.
type wsHub struct {
	metrics       *Metrics
	maxOperations int // per socket
	maxPerClient  int
	pingInterval  time.Duration // between graphql-transport-ws pings; 0 never

	mu      sync.Mutex
	closing bool
	conns   map[wsSocket]struct{}
	clients map[string]int // open sockets by clientKey
	wg      sync.WaitGroup
}

func newWSHub(m *Metrics, maxOperations, maxPerClient int, pingInterval time.Duration) *wsHub {
	return &wsHub{
		metrics: m, maxOperations: maxOperations, maxPerClient: maxPerClient, pingInterval: pingInterval,
		conns: map[wsSocket]struct{}{}, clients: map[string]int{},
	}
}

// acquire counts one more socket for client; false when it has its fill.
func (h *wsHub) acquire(client string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clients[client] >= h.maxPerClient {
		return false
	}
	h.clients[client]++
	return true
}

func (h *wsHub) release(client string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clients[client] <= 1 {
		delete(h.clients, client)
		return
	}
	h.clients[client]--
}

// clientKey names whose sockets a connection counts against: the signed-in
// user or the API key, else the client's address.
func clientKey(ctx context.Context) string {
	if key := principalKey(authz.FromContext(ctx)); key != "" {
		return key
	}
	return "ip:" + auth.ClientFromContext(ctx).IP
}

func principalKey(p *authz.Principal) string {
	switch {
	case p == nil:
		return ""
	case p.IsAPIKey():
		return "key:" + p.APIKeyID.Hex()
	}
	return "user:" + p.UserID.Hex()
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

// wsSocket is an open socket of either transport, as the hub and the
// authority re-checks see it: something to close with a code.
type wsSocket interface {
	WriteClose(code int, reason string) error
}

func (h *wsHub) track(c wsSocket) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *wsHub) forget(c wsSocket) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// closeAll closes every connection with 1001 and refuses new ones.
func (h *wsHub) closeAll() {
	h.mu.Lock()
	h.closing = true
	conns := make([]wsSocket, 0, len(h.conns))
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
// handler that started it, which makes sure it is closed, and the client
// the socket is counted against. A transport that serves the socket
// beyond the handler (graphql-transport-ws, see transportws.go) takes the
// slot over: it calls release itself when the socket ends.
type wsSlot struct {
	conn     wsSocket
	legacy   *protocolConn // the socket, when gqlgen's transport serves it
	client   string
	release  func()
	detached bool
}

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
	slot := &wsSlot{client: clientKey(r.Context())}
	if !s.ws.acquire(slot.client) {
		s.ws.wg.Done()
		s.refuseSocket(w, r)
		return
	}
	s.metrics.websockets.Inc()
	slot.release = func() {
		s.ws.release(slot.client)
		s.metrics.websockets.Dec()
		s.ws.wg.Done()
	}

	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), wsSlotKey{}, slot)))
	if slot.detached {
		return // the socket lives on; its transport releases the slot
	}
	if slot.legacy != nil {
		// gqlgen leaves a few failed handshakes open; never leak one.
		_ = slot.legacy.WriteClose(transport.WebsocketCloseNormalClosure, "terminated")
		_ = slot.legacy.Close()
	}
	slot.release()
}

// refuseSocket accepts an upgrade only to close it with 4430: a refused
// handshake would reach a browser's script as a bare 1006, with no reason.
func (s *Server) refuseSocket(w http.ResponseWriter, r *http.Request) {
	s.metrics.refusedSockets.Inc()
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // checked in serveWebsocket
		Subprotocols:       []string{subprotocolTransportWS, subprotocolLegacyWS},
	})
	if err != nil {
		return
	}
	_ = c.Close(closeTooManySockets, s.tooManySocketsReason())
}

func (s *Server) tooManySocketsReason() string {
	return fmt.Sprintf("Too many connections: at most %d per client", s.ws.maxPerClient)
}

// initSocket authenticates connection_init, then counts the socket
// against the principal the payload named, if that is not who it was
// counted against at the upgrade (its address). It returns the context
// the socket's operations run in, or why the socket is to be closed.
func (s *Server) initSocket(ctx context.Context, payload transport.InitPayload) (context.Context, *wsCloseError) {
	ctx, refused := s.websocketInit(ctx, payload)
	if refused != nil {
		return ctx, refused
	}
	slot, ok := ctx.Value(wsSlotKey{}).(*wsSlot)
	key := principalKey(authz.FromContext(ctx))
	if !ok || key == "" || key == slot.client {
		return ctx, nil
	}
	if !s.ws.acquire(key) {
		s.metrics.refusedSockets.Inc()
		return ctx, &wsCloseError{code: closeTooManySockets, reason: s.tooManySocketsReason()}
	}
	s.ws.release(slot.client)
	slot.client = key
	return ctx, nil
}

// websocketInitWithinLimits is initSocket for gqlgen's transport (the
// legacy graphql-ws protocol), which takes the close code and reason from
// the context.
func (s *Server) websocketInitWithinLimits(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	ctx, refused := s.initSocket(ctx, payload)
	if refused != nil {
		ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, refused.code), refused.reason)
		return ctx, nil, errors.New(refused.reason)
	}
	return ctx, nil, nil
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
	pc := &protocolConn{
		inner: c, hub: i.hub, pingEvery: i.hub.pingInterval,
		wsProtocol: wsProtocol{
			transportWS: c.Subprotocol() == subprotocolTransportWS,
			maxActive:   i.hub.maxOperations, active: map[string]struct{}{},
		},
	}
	if slot, ok := r.Context().Value(wsSlotKey{}).(*wsSlot); ok {
		slot.conn, slot.legacy = pc, pc
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
//
// On graphql-transport-ws it also pings the client every pingEvery once
// the connection is acknowledged, and drops it (closing the TCP
// connection, which the client sees as 1006) when two pings in a row went
// unanswered. gqlgen would run a goroutine per socket for that; a timer
// costs far less on an idle socket.
//
// On both subprotocols it also caps the operations running at once: one
// more is answered with an error message for its id (extensions.code
// SUBSCRIPTION_LIMIT_EXCEEDED) and never reaches gqlgen. A client that
// goes on asking, as many times in a row as the cap, is closed with 4400,
// so a flood of subscribes costs a bounded amount of work per socket.
type protocolConn struct {
	inner transport.WebsocketConn
	hub   *wsHub

	writeMu sync.Mutex // the refusals are written beside gqlgen's own messages

	mu     sync.Mutex
	closed bool
	wsProtocol

	pingEvery time.Duration
	pinger    *time.Timer // guarded by mu
}

// wsProtocol is where a socket stands in its protocol: what the client
// may send next, and which operations run. Both WebSocket transports
// check every client message against it; its owner guards it.
type wsProtocol struct {
	transportWS bool // graphql-transport-ws, else the legacy graphql-ws
	maxActive   int  // operations at once; 0 is no cap

	initSeen   bool
	acked      bool
	active     map[string]struct{}
	refused    int // operations refused since the last one admitted
	unanswered int // pings sent since the last pong
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

// verdict is what check decides about one client message: pass it on,
// close the socket with a code, or refuse the operation it starts.
type verdict struct {
	code   int
	reason string
	refuse string // the id of an operation refused
}

// NextReader returns the next message, after checking it against the protocol.
func (c *protocolConn) NextReader() (int, io.Reader, error) {
	for {
		typ, r, err := c.inner.NextReader()
		if err != nil {
			return typ, r, err
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return typ, nil, err
		}
		v := c.check(data)
		switch {
		case v.code != 0:
			_ = c.WriteClose(v.code, v.reason)
			return typ, nil, transport.ErrWebsocketClosed
		case v.refuse != "":
			if err := c.refuse(v.refuse); err != nil {
				return typ, nil, err
			}
			continue
		}
		return typ, bytes.NewReader(data), nil
	}
}

func (c *protocolConn) check(data []byte) verdict {
	var m wsMessage
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		if !c.transportWS {
			return verdict{} // gqlgen answers the legacy protocol's mistakes itself
		}
		return verdict{code: closeInvalidMessage, reason: "Invalid message received"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wsProtocol.check(m)
}

// check decides about one well-formed client message.
func (c *wsProtocol) check(m wsMessage) verdict {
	if !c.transportWS {
		switch m.Type {
		case "start":
			return c.start(m.ID)
		case "stop":
			delete(c.active, m.ID)
		}
		return verdict{}
	}
	switch m.Type {
	case "connection_init":
		if c.initSeen {
			return verdict{code: closeTooManyInits, reason: "Too many initialisation requests"}
		}
		c.initSeen = true
		if p := bytes.TrimSpace(m.Payload); len(p) > 0 && p[0] != '{' && !bytes.Equal(p, []byte("null")) {
			return verdict{code: closeInvalidMessage, reason: "Invalid message received"}
		}
	case "subscribe":
		if !c.acked {
			return verdict{code: closeUnauthorized, reason: "Unauthorized"}
		}
		if m.ID == "" || len(m.Payload) == 0 {
			return verdict{code: closeInvalidMessage, reason: "Invalid message received"}
		}
		return c.start(m.ID)
	case "complete":
		delete(c.active, m.ID)
	case "pong":
		c.unanswered = 0
	case "ping":
	default:
		return verdict{code: closeInvalidMessage, reason: "Invalid message received"}
	}
	return verdict{}
}

// pingUnanswered reports whether the client answered neither of the
// last two pings, and is to be dropped; otherwise it counts the ping about
// to be sent.
func (c *wsProtocol) pingUnanswered() bool {
	if c.unanswered >= 2 {
		return true
	}
	c.unanswered++
	return false
}

// start admits an operation under id, if the id is free and the socket
// runs fewer than maxActive.
func (c *wsProtocol) start(id string) verdict {
	if _, dup := c.active[id]; dup {
		// gqlgen would run both and lose track of the first.
		return verdict{code: closeSubscriberExists, reason: "Subscriber for " + truncateID(id) + " already exists"}
	}
	if c.maxActive > 0 && len(c.active) >= c.maxActive {
		if c.refused++; c.refused > c.maxActive {
			return verdict{code: closeInvalidMessage, reason: fmt.Sprintf("Too many operations refused: at most %d may run at once", c.maxActive)}
		}
		return verdict{refuse: id}
	}
	c.refused = 0
	c.active[id] = struct{}{}
	return verdict{}
}

// refuse answers an operation over the cap with an error message for its id.
func (c *protocolConn) refuse(id string) error {
	payload, _ := json.Marshal([]map[string]any{{
		"message": fmt.Sprintf("This connection already runs %d operations, the most it may; complete one first.", c.maxActive),
		"extensions": map[string]any{
			"code": codeSubscriptionLimit, "limit": c.maxActive,
		},
	}})
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.inner.WriteJSON(wsMessage{ID: id, Type: "error", Payload: payload})
}

func truncateID(id string) string {
	if len(id) > 64 {
		return id[:64]
	}
	return id
}

// WriteJSON sends a message, noting acknowledgements and ended operations.
func (c *protocolConn) WriteJSON(v any) error {
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
			if c.transportWS && c.pingEvery > 0 && c.pinger == nil && !c.closed {
				c.pinger = time.AfterFunc(c.pingEvery, c.ping)
			}
		case "complete", "error":
			delete(c.active, m.ID)
		}
		c.mu.Unlock()
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.inner.WriteJSON(json.RawMessage(data))
}

// ping sends the next ping, or drops a client that answered neither of
// the last two.
func (c *protocolConn) ping() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if c.pingUnanswered() {
		c.closed = true
		c.mu.Unlock()
		_ = c.inner.Close()
		return
	}
	c.pinger.Reset(c.pingEvery)
	c.mu.Unlock()
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.inner.WriteJSON(json.RawMessage(`{"type":"ping"}`))
}

// stopPinging ends the pings. c.mu is held.
func (c *protocolConn) stopPinging() {
	if c.pinger != nil {
		c.pinger.Stop()
	}
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
	c.stopPinging()
	c.mu.Unlock()
	if c.transportWS && code == transport.WebsocketCloseProtocolError && strings.Contains(reason, "initialisation timeout") {
		code, reason = closeInitTimeout, "Connection initialisation timeout"
	}
	return c.inner.WriteClose(code, reason)
}

// Close releases the connection.
func (c *protocolConn) Close() error {
	c.mu.Lock()
	c.stopPinging()
	c.mu.Unlock()
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
