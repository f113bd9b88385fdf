package app_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
)

// wsClient is a protocol-level WebSocket client built on gorilla/websocket,
// a different library from the server's, so each checks the other.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

type wsMsg struct {
	ID      string         `json:"id,omitempty"`
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload,omitempty"`
}

func dialWS(t *testing.T, env *apptest.Env, header http.Header, protocols ...string) (*wsClient, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: protocols, HandshakeTimeout: 10 * time.Second}
	u := "ws" + strings.TrimPrefix(env.URL, "http") + "/graphql"
	conn, resp, err := d.Dial(u, header)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}, resp, nil
}

func mustDialWS(t *testing.T, env *apptest.Env, protocols ...string) *wsClient {
	t.Helper()
	c, _, err := dialWS(t, env, nil, protocols...)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	var err error
	if s, ok := v.(string); ok {
		err = c.conn.WriteMessage(websocket.TextMessage, []byte(s))
	} else {
		err = c.conn.WriteJSON(v)
	}
	if err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next message, answering server pings on the way unless
// the caller wants to see them.
func (c *wsClient) read(seePings bool) wsMsg {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		var m wsMsg
		if err := c.conn.ReadJSON(&m); err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if m.Type == "ping" && !seePings {
			c.send(wsMsg{Type: "pong"})
			continue
		}
		if m.Type == "ka" {
			continue
		}
		return m
	}
}

// closeCode reads until the server closes and returns its close code.
func (c *wsClient) closeCode() int {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		c.t.Fatalf("connection ended without a close frame: %v", err)
	}
}

func (c *wsClient) initAndAck() {
	c.t.Helper()
	c.send(wsMsg{Type: "connection_init", Payload: map[string]any{}})
	if m := c.read(false); m.Type != "connection_ack" {
		c.t.Fatalf("got %+v, want connection_ack", m)
	}
}

func TestGraphQLTransportWS(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.WebsocketPingInterval = 100 * time.Millisecond })

	c := mustDialWS(t, env, "graphql-transport-ws")
	if got := c.conn.Subprotocol(); got != "graphql-transport-ws" {
		t.Fatalf("negotiated %q", got)
	}
	c.initAndAck()

	// The server pings; a client that answers stays connected.
	for i := 0; i < 3; i++ {
		if m := c.read(true); m.Type != "ping" {
			t.Fatalf("got %+v, want a ping", m)
		}
		c.send(wsMsg{Type: "pong"})
	}

	c.send(wsMsg{ID: "q1", Type: "subscribe", Payload: map[string]any{"query": "{ serverInfo { version } }"}})
	next := c.read(false)
	if next.Type != "next" || next.ID != "q1" {
		t.Fatalf("got %+v, want next for q1", next)
	}
	data, _ := next.Payload["data"].(map[string]any)
	if info, _ := data["serverInfo"].(map[string]any); info["version"] != "test" {
		t.Fatalf("payload %+v", next.Payload)
	}
	if m := c.read(false); m.Type != "complete" || m.ID != "q1" {
		t.Fatalf("got %+v, want complete for q1", m)
	}

	// An id can be reused once its operation completed.
	c.send(wsMsg{ID: "q1", Type: "subscribe", Payload: map[string]any{"query": "{ __typename }"}})
	if m := c.read(false); m.Type != "next" {
		t.Fatalf("reused id: got %+v", m)
	}
}

func TestGraphQLTransportWSProtocolViolations(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.WebsocketInitTimeout = 300 * time.Millisecond })

	tests := []struct {
		name     string
		script   func(c *wsClient)
		wantCode int
	}{
		{name: "message that is not JSON", script: func(c *wsClient) { c.send("{not json") }, wantCode: 4400},
		{name: "message without a type", script: func(c *wsClient) { c.send(`{"id":"1"}`) }, wantCode: 4400},
		{name: "unknown message type", script: func(c *wsClient) { c.initAndAck(); c.send(`{"type":"start","id":"1"}`) }, wantCode: 4400},
		{name: "init payload that is not an object", script: func(c *wsClient) { c.send(`{"type":"connection_init","payload":5}`) }, wantCode: 4400},
		{name: "subscribe before connection_init", script: func(c *wsClient) {
			c.send(wsMsg{ID: "1", Type: "subscribe", Payload: map[string]any{"query": "{__typename}"}})
		}, wantCode: 4401},
		{name: "no connection_init within the timeout", script: func(*wsClient) {}, wantCode: 4408},
		{name: "second connection_init", script: func(c *wsClient) { c.initAndAck(); c.send(wsMsg{Type: "connection_init"}) }, wantCode: 4429},
		{name: "subscribe without an id", script: func(c *wsClient) {
			c.initAndAck()
			c.send(wsMsg{Type: "subscribe", Payload: map[string]any{"query": "{__typename}"}})
		}, wantCode: 4400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustDialWS(t, env, "graphql-transport-ws")
			tt.script(c)
			if got := c.closeCode(); got != tt.wantCode {
				t.Fatalf("close code %d, want %d", got, tt.wantCode)
			}
		})
	}

	t.Run("the server still serves", func(t *testing.T) {
		c := mustDialWS(t, env, "graphql-transport-ws")
		c.initAndAck()
	})
}

func TestWebsocketSubprotocolsAndOrigins(t *testing.T) {
	env := apptest.Start(t, dbs, func(c *config.Config) { c.AllowedOrigins = []string{"https://app.omnify.test"} })

	t.Run("unknown subprotocol is closed with 4406", func(t *testing.T) {
		c := mustDialWS(t, env, "foo")
		if got := c.closeCode(); got != 4406 {
			t.Fatalf("close code %d, want 4406", got)
		}
	})

	t.Run("legacy graphql-ws", func(t *testing.T) {
		c := mustDialWS(t, env, "graphql-ws")
		c.send(wsMsg{Type: "connection_init"})
		if m := c.read(false); m.Type != "connection_ack" {
			t.Fatalf("got %+v", m)
		}
		c.send(wsMsg{ID: "1", Type: "start", Payload: map[string]any{"query": "{ __typename }"}})
		if m := c.read(false); m.Type != "data" || m.ID != "1" {
			t.Fatalf("got %+v, want data", m)
		}
		if m := c.read(false); m.Type != "complete" {
			t.Fatalf("got %+v, want complete", m)
		}
	})

	tests := []struct {
		name   string
		origin string
		wantOK bool
	}{
		{name: "no origin (not a browser)", origin: "", wantOK: true},
		{name: "configured origin", origin: "https://app.omnify.test", wantOK: true},
		{name: "the server's own origin", origin: env.URL, wantOK: true},
		{name: "another origin", origin: "https://evil.test", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			_, resp, err := dialWS(t, env, h, "graphql-transport-ws")
			if tt.wantOK && err != nil {
				t.Fatalf("dial: %v", err)
			}
			if !tt.wantOK && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden) {
				t.Fatalf("want 403, got err %v resp %v", err, resp)
			}
		})
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func mustDialWSWithCookie(t *testing.T, env *apptest.Env, c *apptest.Client) *wsClient {
	t.Helper()
	u, _ := url.Parse(env.URL)
	h := http.Header{}
	for _, ck := range c.HTTP().Jar.Cookies(u) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ws, _, err := dialWS(t, env, h, "graphql-transport-ws")
	if err != nil {
		t.Fatal(err)
	}
	return ws
}
