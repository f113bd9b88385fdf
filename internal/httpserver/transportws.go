package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// transportWS serves graphql-transport-ws (the protocol of the graphql-ws
// library) itself; gqlgen's WebSocket transport serves only the legacy
// graphql-ws protocol. The reason is what an idle subscriber costs, the
// figure that decides how many dashboards a replica holds:
//
//   - gqlgen keeps the HTTP handler's goroutine, with the whole middleware
//     chain on its stack, as the socket's reader for the socket's life,
//     plus a goroutine that waits for the connection to end; here the
//     handler returns once the socket is taken over, and one goroutine,
//     started fresh, reads the socket;
//   - the WebSocket library keeps a read and a write buffer per socket;
//     the framing here (wsframe.go) keeps none between messages;
//   - parsing and validating an operation runs in that operation's own
//     goroutine, so the reader's stack stays shallow.
//
// An operation still holds one goroutine while it runs (gqlgen's executor
// waits on the subscription's channel in it). Pings, the init timeout and
// the authority re-checks are timers, not goroutines.
type transportWS struct {
	s           *Server
	logger      *slog.Logger
	initTimeout time.Duration
	readLimit   int64
	pingEvery   time.Duration
	maxActive   int
}

var _ graphql.Transport = transportWS{}

// Supports takes the upgrades that offer graphql-transport-ws (preferred
// when a client offers both protocols, as before).
func (t transportWS) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" && slices.Contains(websocketProtocols(r), subprotocolTransportWS)
}

// Do takes the connection over, starts the socket's reader and returns:
// the socket outlives the HTTP handler, and releases its slot (see
// serveWebsocket) when it ends.
func (t transportWS) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	slot, ok := r.Context().Value(wsSlotKey{}).(*wsSlot)
	if !ok {
		writeJSONError(w, http.StatusInternalServerError, "websocket served outside its checks")
		return
	}
	fc := upgradeWebsocket(w, r, subprotocolTransportWS)
	if fc == nil {
		return
	}
	// The request's context ends when the handler returns; the socket's
	// keeps its values (request id, client, cookie principal) and ends
	// with the socket.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &wsConn{
		t: t, fc: fc, exec: exec, ctx: ctx, opCtx: ctx, cancel: cancel,
		proto: wsProtocol{transportWS: true, maxActive: t.maxActive, active: map[string]struct{}{}},
		ops:   map[string]*wsOp{},
	}
	slot.conn, slot.detached = c, true
	if !t.s.ws.track(c) {
		_ = c.WriteClose(closeGoingAway, "server shutting down")
	}
	go c.serve(slot)
}

// wsConn is one graphql-transport-ws socket.
type wsConn struct {
	t      transportWS
	fc     *frameConn
	exec   graphql.GraphExecutor
	ctx    context.Context // the socket's; ends with it
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool            // a close frame was sent, or is being sent
	opCtx     context.Context // what operations run in: ctx, authenticated by connection_init
	proto     wsProtocol
	ops       map[string]*wsOp
	initTimer *time.Timer
	pinger    *time.Timer
}

// wsOp is one running operation.
type wsOp struct {
	cancel context.CancelFunc
}

// serve reads the socket until it ends, then releases what it held.
func (c *wsConn) serve(slot *wsSlot) {
	defer func() {
		if v := recover(); v != nil {
			c.t.logger.Error("panic in websocket reader", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		}
		c.shutdown()
		c.t.s.ws.forget(c)
		_ = c.fc.conn.Close()
		slot.release()
	}()
	if c.t.initTimeout > 0 {
		c.mu.Lock()
		c.initTimer = time.AfterFunc(c.t.initTimeout, func() {
			c.mu.Lock()
			seen := c.proto.initSeen
			c.mu.Unlock()
			if !seen {
				_ = c.WriteClose(closeInitTimeout, "Connection initialisation timeout")
			}
		})
		c.mu.Unlock()
	}
	limit := c.t.readLimit
	if limit <= 0 {
		limit = 1 << 20
	}
	for {
		data, err := c.fc.readMessage(limit)
		if err != nil {
			var bad *wsCloseError
			if errors.As(err, &bad) {
				_ = c.WriteClose(bad.code, bad.reason)
				continue // until the client's close frame, or closeWait
			}
			return
		}
		c.handle(data, graphql.Now())
	}
}

// handle acts on one client message.
func (c *wsConn) handle(data []byte, start time.Time) {
	var m wsMessage
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		_ = c.WriteClose(closeInvalidMessage, "Invalid message received")
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	v := c.proto.check(m)
	c.mu.Unlock()
	switch {
	case v.code != 0:
		_ = c.WriteClose(v.code, v.reason)
		return
	case v.refuse != "":
		c.sendError(v.refuse, &gqlerror.Error{
			Message:    fmt.Sprintf("This connection already runs %d operations, the most it may; complete one first.", c.t.maxActive),
			Extensions: map[string]any{"code": codeSubscriptionLimit, "limit": c.t.maxActive},
		})
		return
	}
	switch m.Type {
	case "connection_init":
		c.init(m.Payload)
	case "subscribe":
		c.subscribe(m.ID, m.Payload, start)
	case "complete":
		c.mu.Lock()
		op := c.ops[m.ID]
		delete(c.ops, m.ID)
		c.mu.Unlock()
		if op != nil {
			op.cancel() // the client ended it: no complete is sent back
		}
	case "ping":
		_ = c.send(wsOut{Type: "pong"})
	}
}

// init authenticates the socket and acknowledges it, or closes it.
func (c *wsConn) init(payload json.RawMessage) {
	var p transport.InitPayload
	if len(payload) > 0 && !bytes.Equal(bytes.TrimSpace(payload), []byte("null")) {
		if err := json.Unmarshal(payload, &p); err != nil {
			_ = c.WriteClose(closeInvalidMessage, "Invalid message received")
			return
		}
	}
	ctx, refused := c.t.s.initSocket(c.ctx, p)
	if refused != nil {
		_ = c.WriteClose(refused.code, refused.reason)
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.opCtx = ctx
	c.proto.acked = true
	if c.initTimer != nil {
		c.initTimer.Stop()
	}
	if c.t.pingEvery > 0 {
		c.pinger = time.AfterFunc(c.t.pingEvery, c.ping)
	}
	c.mu.Unlock()
	_ = c.send(wsOut{Type: "connection_ack"})
}

// subscribe starts an operation the protocol check admitted. Parsing and
// validation happen in the operation's goroutine.
func (c *wsConn) subscribe(id string, payload json.RawMessage, start time.Time) {
	c.mu.Lock()
	ctx, cancel := context.WithCancel(graphql.StartOperationTrace(c.opCtx))
	op := &wsOp{cancel: cancel}
	c.ops[id] = op
	c.mu.Unlock()
	go c.run(ctx, id, op, payload, start)
}

// run executes one operation, sending its responses, then its end.
func (c *wsConn) run(ctx context.Context, id string, op *wsOp, payload json.RawMessage, start time.Time) {
	complete := true
	defer func() {
		if v := recover(); v != nil {
			c.t.logger.ErrorContext(ctx, "panic in subscription",
				slog.String("request_id", RequestID(ctx)), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			c.sendError(id, &gqlerror.Error{Message: "internal server error", Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}})
			complete = false
		}
		c.end(id, op, complete)
	}()
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		c.sendError(id, &gqlerror.Error{Message: "invalid json"})
		complete = false
		return
	}
	// params.Headers stays empty: nothing reads an operation's headers,
	// and keeping the upgrade request's for the socket's life costs more
	// than the rest of an idle socket's state.
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			// The document cannot run: the operation ends with this error.
			c.sendError(id, resp.Errors...)
			complete = false
			return
		}
		c.sendNext(id, resp)
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	responses, ctx := c.exec.DispatchOperation(ctx, rc)
	for {
		resp := responses(ctx)
		if resp == nil {
			return
		}
		if c.sendNext(id, resp) != nil {
			return
		}
	}
}

// end forgets an operation; when it ended by itself (not by the client's
// complete, nor with the socket), the client is told with complete.
func (c *wsConn) end(id string, op *wsOp, complete bool) {
	op.cancel()
	c.mu.Lock()
	mine := c.ops[id] == op
	if mine {
		delete(c.ops, id)
		delete(c.proto.active, id)
	}
	closed := c.closed
	c.mu.Unlock()
	if mine && complete && !closed {
		_ = c.send(wsOut{ID: id, Type: "complete"})
	}
}

// wsOut is a server message.
type wsOut struct {
	ID      string `json:"id,omitempty"`
	Type    string `json:"type"`
	Payload any    `json:"payload,omitempty"`
}

func (c *wsConn) sendNext(id string, resp *graphql.Response) error {
	return c.send(wsOut{ID: id, Type: "next", Payload: resp})
}

func (c *wsConn) sendError(id string, errs ...*gqlerror.Error) {
	c.mu.Lock()
	delete(c.proto.active, id)
	c.mu.Unlock()
	_ = c.send(wsOut{ID: id, Type: "error", Payload: errs})
}

// send writes a message; a socket that cannot be written to is dropped.
func (c *wsConn) send(m wsOut) error {
	data, err := json.Marshal(m)
	if err != nil {
		c.t.logger.Error("websocket: encode a message", slog.Any("error", err))
		return err
	}
	if err := c.fc.writeText(data); err != nil {
		if !errors.Is(err, errWSClosed) {
			_ = c.fc.conn.Close()
		}
		return err
	}
	return nil
}

// ping sends the next ping, or drops a client that answered neither of
// the last two (closing the TCP connection; the client sees 1006).
func (c *wsConn) ping() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if c.proto.pingUnanswered() {
		c.closed = true
		c.mu.Unlock()
		_ = c.fc.conn.Close()
		return
	}
	c.pinger.Reset(c.t.pingEvery)
	c.mu.Unlock()
	_ = c.send(wsOut{Type: "ping"})
}

// WriteClose closes the socket with code and reason: its operations end,
// the close frame is sent, and the reader waits a little for the client's.
// Only the first call counts.
func (c *wsConn) WriteClose(code int, reason string) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.shutdown()
	return c.fc.writeClose(code, reason)
}

// shutdown stops the timers and every operation.
func (c *wsConn) shutdown() {
	c.mu.Lock()
	if c.initTimer != nil {
		c.initTimer.Stop()
	}
	if c.pinger != nil {
		c.pinger.Stop()
	}
	c.mu.Unlock()
	c.cancel()
}
