package httpserver

import (
	"crypto/sha1" //nolint:gosec // RFC 6455 prescribes SHA-1 for the handshake; it protects nothing
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// This file is the WebSocket framing (RFC 6455) of the graphql-transport-ws
// transport, server side only: the handshake, reading the client's masked
// frames and writing unmasked ones. It keeps no buffer between messages:
// an idle socket holds its net.Conn, a few words of state and nothing
// else, where a general-purpose library keeps a read and a write buffer
// of kilobytes for every connection.

// WebSocket opcodes and close codes of RFC 6455.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA

	closeNormal          = 1000
	closeProtocolError   = 1002
	closeUnsupportedData = 1003
	closeNoStatus        = 1005
	closeInvalidPayload  = 1007
	closeMessageTooBig   = 1009
)

// websocketGUID is appended to the client's key to compute the accept key.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// closeWait bounds how long a socket that sent its close frame waits for
// the client's before the TCP connection is closed anyway.
const closeWait = 2 * time.Second

// errWSClosed ends a read after the close handshake (either side's).
var errWSClosed = errors.New("websocket closed")

// wsCloseError is a reason to close with a code: the frame broke a rule.
type wsCloseError struct {
	code   int
	reason string
}

func (e *wsCloseError) Error() string { return e.reason }

// isWebsocketUpgrade reports whether r asks for a WebSocket (RFC 6455 §4.2.1).
func isWebsocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// acceptKey is the Sec-WebSocket-Accept answer to a client's key.
func acceptKey(key string) string {
	h := sha1.New() //nolint:gosec // see the import
	h.Write([]byte(key))
	h.Write([]byte(websocketGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// upgradeWebsocket checks the handshake, takes the connection over and
// answers 101 with subprotocol. On a bad handshake it answers the HTTP
// error itself and returns nil.
func upgradeWebsocket(w http.ResponseWriter, r *http.Request, subprotocol string) *frameConn {
	key := r.Header.Get("Sec-Websocket-Key")
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 || !isWebsocketUpgrade(r) {
		writeJSONError(w, http.StatusBadRequest, "not a WebSocket handshake")
		return nil
	}
	if r.Header.Get("Sec-Websocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		writeJSONError(w, http.StatusUpgradeRequired, "WebSocket version 13 is required")
		return nil
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "cannot take over the connection")
		return nil
	}
	// A client may send its first frame right behind the handshake; what
	// the HTTP server read ahead is kept, and its buffers are let go.
	var early []byte
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ = brw.Reader.Peek(n)
		early = append([]byte(nil), early...)
	}
	_ = conn.SetDeadline(time.Time{})
	answer := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(key) + "\r\n"
	if subprotocol != "" {
		answer += "Sec-WebSocket-Protocol: " + subprotocol + "\r\n"
	}
	if _, err := io.WriteString(conn, answer+"\r\n"); err != nil {
		_ = conn.Close()
		return nil
	}
	return &frameConn{conn: conn, early: early}
}

// frameConn reads and writes WebSocket messages on a taken-over
// connection. One goroutine reads; any number may write.
type frameConn struct {
	conn  net.Conn
	early []byte // bytes read ahead during the handshake, read first
	head  [14]byte

	writeMu sync.Mutex
	closing bool // a close frame was sent; guarded by writeMu
}

// Read reads the connection, after what was read ahead.
func (c *frameConn) Read(p []byte) (int, error) {
	if len(c.early) > 0 {
		n := copy(p, c.early)
		if c.early = c.early[n:]; len(c.early) == 0 {
			c.early = nil
		}
		return n, nil
	}
	return c.conn.Read(p)
}

// readMessage returns the next text message, at most limit bytes. It
// answers pings, skips pongs, and answers a close frame with one of its
// own (then returns errWSClosed). A frame that breaks the protocol is a
// *wsCloseError; anything else is the connection's error.
func (c *frameConn) readMessage(limit int64) ([]byte, error) {
	var msg []byte
	started := false
	for {
		fin, op, payload, err := c.readFrame(limit - int64(len(msg)))
		if err != nil {
			return nil, err
		}
		switch op {
		case opPing:
			if err := c.writeFrame(opPong, payload); err != nil {
				return nil, err
			}
			continue
		case opPong:
			continue
		case opClose:
			code, reason := closeNoStatus, ""
			if len(payload) >= 2 {
				code, reason = int(binary.BigEndian.Uint16(payload)), string(payload[2:])
			}
			if len(payload) == 1 || (len(payload) >= 2 && (!validCloseCode(code) || !utf8.ValidString(reason))) {
				return nil, &wsCloseError{code: closeProtocolError, reason: "invalid close frame"}
			}
			if code == closeNoStatus {
				code = closeNormal
			}
			_ = c.writeClose(code, "")
			return nil, errWSClosed
		case opText:
			if started {
				return nil, &wsCloseError{code: closeProtocolError, reason: "expected a continuation frame"}
			}
			started = true
		case opBinary:
			return nil, &wsCloseError{code: closeUnsupportedData, reason: "messages are text"}
		case opContinuation:
			if !started {
				return nil, &wsCloseError{code: closeProtocolError, reason: "continuation of nothing"}
			}
		default:
			return nil, &wsCloseError{code: closeProtocolError, reason: "unknown opcode"}
		}
		if msg == nil {
			msg = payload
		} else {
			msg = append(msg, payload...)
		}
		if fin {
			if !utf8.Valid(msg) {
				return nil, &wsCloseError{code: closeInvalidPayload, reason: "text is not UTF-8"}
			}
			return msg, nil
		}
	}
}

// validCloseCode reports whether a client may send code (RFC 6455 §7.4).
func validCloseCode(code int) bool {
	switch {
	case code >= 3000 && code <= 4999:
		return true
	case code >= 1000 && code <= 1014:
		return code != 1004 && code != 1005 && code != 1006
	}
	return false
}

// readFrame reads one frame whose payload may be at most limit bytes.
func (c *frameConn) readFrame(limit int64) (fin bool, op byte, payload []byte, err error) {
	h := c.head[:2]
	if _, err = io.ReadFull(c, h); err != nil {
		return false, 0, nil, err
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	if h[0]&0x70 != 0 {
		return false, 0, nil, &wsCloseError{code: closeProtocolError, reason: "no extension was negotiated"}
	}
	if h[1]&0x80 == 0 {
		return false, 0, nil, &wsCloseError{code: closeProtocolError, reason: "client frames must be masked"}
	}
	n := int64(h[1] & 0x7f)
	control := op >= opClose
	extra := 4 // the mask
	switch {
	case n == 126:
		extra += 2
	case n == 127:
		extra += 8
	}
	if control && (n > 125 || !fin) {
		return false, 0, nil, &wsCloseError{code: closeProtocolError, reason: "invalid control frame"}
	}
	ext := c.head[2 : 2+extra]
	if _, err = io.ReadFull(c, ext); err != nil {
		return false, 0, nil, err
	}
	switch n {
	case 126:
		n = int64(binary.BigEndian.Uint16(ext))
		ext = ext[2:]
	case 127:
		u := binary.BigEndian.Uint64(ext)
		if u > 1<<62 {
			return false, 0, nil, &wsCloseError{code: closeProtocolError, reason: "invalid length"}
		}
		n = int64(u)
		ext = ext[8:]
	}
	if !control && n > limit {
		return false, 0, nil, &wsCloseError{code: closeMessageTooBig, reason: "message too big"}
	}
	mask := ext[:4]
	payload = make([]byte, n)
	if _, err = io.ReadFull(c, payload); err != nil {
		return false, 0, nil, err
	}
	for i := range payload {
		payload[i] ^= mask[i&3]
	}
	return fin, op, payload, nil
}

// writeFrame sends one unmasked frame; nothing is sent after a close frame.
func (c *frameConn) writeFrame(op byte, payload []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closing {
		return errWSClosed
	}
	if op == opClose {
		c.closing = true
	}
	var head [10]byte
	head[0] = 0x80 | op
	n := len(payload)
	var h []byte
	switch {
	case n <= 125:
		head[1] = byte(n)
		h = head[:2]
	case n <= 0xffff:
		head[1] = 126
		binary.BigEndian.PutUint16(head[2:], uint16(n))
		h = head[:4]
	default:
		head[1] = 127
		binary.BigEndian.PutUint64(head[2:], uint64(n))
		h = head[:10]
	}
	bufs := net.Buffers{h, payload}
	_, err := bufs.WriteTo(c.conn)
	return err
}

// writeText sends a text message.
func (c *frameConn) writeText(data []byte) error { return c.writeFrame(opText, data) }

// writeClose sends a close frame with code and reason (cut to fit), once,
// and makes the next reads wait at most closeWait for the client's.
func (c *frameConn) writeClose(code int, reason string) error {
	if len(reason) > 123 {
		reason = reason[:123]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	payload := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(payload, uint16(code))
	copy(payload[2:], reason)
	err := c.writeFrame(opClose, payload)
	_ = c.conn.SetReadDeadline(time.Now().Add(closeWait))
	return err
}
