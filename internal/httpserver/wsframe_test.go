package httpserver

import (
	"bufio"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// clientFrame builds a frame as a client sends it: masked, unless unmasked.
func clientFrame(fin bool, op byte, payload []byte, unmasked bool) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	maskBit := byte(0x80)
	if unmasked {
		maskBit = 0
	}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, maskBit|byte(n))
	case n <= 0xffff:
		out = append(out, maskBit|126, byte(n>>8), byte(n))
	default:
		var l [8]byte
		binary.BigEndian.PutUint64(l[:], uint64(n))
		out = append(append(out, maskBit|127), l[:]...)
	}
	if unmasked {
		return append(out, payload...)
	}
	mask := [4]byte{1, 2, 3, 4}
	out = append(out, mask[:]...)
	for i, c := range payload {
		out = append(out, c^mask[i&3])
	}
	return out
}

// framePair is a server frameConn and the client end of its connection.
func framePair(t *testing.T) (*frameConn, net.Conn) {
	t.Helper()
	server, client := net.Pipe()
	t.Cleanup(func() { _ = server.Close(); _ = client.Close() })
	return &frameConn{conn: server}, client
}

// readServerFrame reads one unmasked frame the server wrote.
func readServerFrame(t *testing.T, r net.Conn) (op byte, payload []byte) {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
	h := make([]byte, 2)
	if _, err := readFull(r, h); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		l := make([]byte, 2)
		_, _ = readFull(r, l)
		n = int(binary.BigEndian.Uint16(l))
	}
	payload = make([]byte, n)
	if _, err := readFull(r, payload); err != nil {
		t.Fatalf("read payload: %v", err)
	}
	return h[0] & 0x0f, payload
}

func readFull(r net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestFrameConnReadsMessages(t *testing.T) {
	fc, client := framePair(t)
	go func() {
		// A message in three fragments, with a ping between them, then a
		// message of exactly the limit.
		_, _ = client.Write(clientFrame(false, opText, []byte(`{"type":`), false))
		_, _ = client.Write(clientFrame(true, opPing, []byte("hi"), false))
		_, _ = client.Write(clientFrame(false, opContinuation, []byte(`"ping"`), false))
		_, _ = client.Write(clientFrame(true, opContinuation, []byte(`}`), false))
		_, _ = client.Write(clientFrame(true, opText, []byte(strings.Repeat("x", 300)), false))
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if op, payload := readServerFrame(t, client); op != opPong || string(payload) != "hi" {
			t.Errorf("answer to the ping: op %d %q", op, payload)
		}
	}()
	msg, err := fc.readMessage(300)
	if err != nil || string(msg) != `{"type":"ping"}` {
		t.Fatalf("fragmented message: %q, %v", msg, err)
	}
	<-done
	if msg, err := fc.readMessage(300); err != nil || len(msg) != 300 {
		t.Fatalf("a message of exactly the limit: %d bytes, %v", len(msg), err)
	}
}

func TestFrameConnRefusesBadFrames(t *testing.T) {
	tests := []struct {
		name   string
		frames [][]byte
		limit  int64
		code   int
	}{
		{"one byte past the limit", [][]byte{clientFrame(true, opText, make([]byte, 301), false)}, 300, closeMessageTooBig},
		{"past the limit across fragments", [][]byte{
			clientFrame(false, opText, make([]byte, 200), false), clientFrame(true, opContinuation, make([]byte, 101), false),
		}, 300, closeMessageTooBig},
		{"a 64-bit length", [][]byte{clientFrame(true, opText, make([]byte, 70000), false)}, 1 << 16, closeMessageTooBig},
		{"unmasked", [][]byte{clientFrame(true, opText, []byte("{}"), true)}, 300, closeProtocolError},
		{"binary", [][]byte{clientFrame(true, opBinary, []byte("{}"), false)}, 300, closeUnsupportedData},
		{"not UTF-8", [][]byte{clientFrame(true, opText, []byte{0xff, 0xfe}, false)}, 300, closeInvalidPayload},
		{"a reserved bit", [][]byte{func() []byte { f := clientFrame(true, opText, []byte("{}"), false); f[0] |= 0x40; return f }()}, 300, closeProtocolError},
		{"a long control frame", [][]byte{clientFrame(true, opPing, make([]byte, 126), false)}, 300, closeProtocolError},
		{"a fragmented control frame", [][]byte{clientFrame(false, opPing, []byte("x"), false)}, 300, closeProtocolError},
		{"a continuation of nothing", [][]byte{clientFrame(true, opContinuation, []byte("x"), false)}, 300, closeProtocolError},
		{"a new message inside another", [][]byte{
			clientFrame(false, opText, []byte("a"), false), clientFrame(true, opText, []byte("b"), false),
		}, 300, closeProtocolError},
		{"an unknown opcode", [][]byte{clientFrame(true, 0x3, []byte("x"), false)}, 300, closeProtocolError},
		{"a close frame with a reserved code", [][]byte{clientFrame(true, opClose, []byte{0x03, 0xed}, false)}, 300, closeProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc, client := framePair(t)
			go func() {
				for _, f := range tt.frames {
					if _, err := client.Write(f); err != nil {
						return
					}
				}
			}()
			_, err := fc.readMessage(tt.limit)
			var bad *wsCloseError
			if !errors.As(err, &bad) || bad.code != tt.code {
				t.Fatalf("got %v, want close %d", err, tt.code)
			}
		})
	}
}

func TestFrameConnCloseHandshake(t *testing.T) {
	fc, client := framePair(t)
	go func() { _, _ = client.Write(clientFrame(true, opClose, []byte{0x03, 0xe8, 'b', 'y', 'e'}, false)) }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		op, payload := readServerFrame(t, client)
		if op != opClose || binary.BigEndian.Uint16(payload) != closeNormal {
			t.Errorf("answer to the close: op %d %v", op, payload)
		}
	}()
	if _, err := fc.readMessage(300); !errors.Is(err, errWSClosed) {
		t.Fatalf("after the client's close: %v", err)
	}
	<-done
	// Nothing is written after a close frame.
	if err := fc.writeText([]byte("late")); !errors.Is(err, errWSClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestUpgradeWebsocketHandshake(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fc := upgradeWebsocket(w, r, subprotocolTransportWS); fc != nil {
			_ = fc.writeClose(closeNormal, "")
			_ = fc.conn.Close()
		}
	}))
	defer srv.Close()
	handshake := func(headers string) (*http.Response, error) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = conn.Close() })
		_, _ = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"))
		return http.ReadResponse(bufio.NewReader(conn), nil)
	}
	// The key of RFC 6455's example, and its answer.
	res, err := handshake("Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols ||
		res.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" || res.Header.Get("Sec-WebSocket-Protocol") != subprotocolTransportWS {
		t.Fatalf("handshake: %v %+v", err, res)
	}
	for name, headers := range map[string]string{
		"no key":        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n",
		"a short key":   "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n",
		"no Connection": "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
	} {
		if res, err := handshake(headers); err != nil || res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %v %+v", name, err, res)
		}
	}
	res, err = handshake("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n")
	if err != nil || res.StatusCode != http.StatusUpgradeRequired || res.Header.Get("Sec-WebSocket-Version") != "13" {
		t.Fatalf("version 8: %v %+v", err, res)
	}
}
