package agentkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var secret = []byte("test-secret-of-the-agent-service")

func TestSignAndVerify(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	body := []byte(`{"a":1}`)
	sig := Sign(secret, now, body)
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name      string
		at        time.Time
		ts, sig   string
		body      []byte
		secret    []byte
		wantError error
	}{
		{"valid", now, ts, sig, body, secret, nil},
		{"five minutes late is still fine", now.Add(MaxSkew), ts, sig, body, secret, nil},
		{"one second past five minutes late", now.Add(MaxSkew + time.Second), ts, sig, body, secret, ErrStale},
		{"five minutes early is still fine", now.Add(-MaxSkew), ts, sig, body, secret, nil},
		{"one second past five minutes early", now.Add(-MaxSkew - time.Second), ts, sig, body, secret, ErrStale},
		{"no timestamp", now, "", sig, body, secret, ErrStale},
		{"a timestamp that is not a number", now, "yesterday", sig, body, secret, ErrStale},
		{"another body", now, ts, sig, []byte(`{"a":2}`), secret, ErrBadSignature},
		{"another secret", now, ts, sig, body, []byte("other"), ErrBadSignature},
		{"no signature", now, ts, "", body, secret, ErrBadSignature},
		{"the timestamp moved", now, strconv.FormatInt(now.Unix()+1, 10), sig, body, secret, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.secret, tt.at, tt.ts, tt.sig, tt.body); err != tt.wantError {
				t.Fatalf("Verify = %v, want %v", err, tt.wantError)
			}
		})
	}
}

// service is an agent service written from the protocol: it verifies what
// Omnify signs and records what it receives.
type service struct {
	mu      sync.Mutex
	runs    []Run
	catalog string
	refused int
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if Verify(secret, time.Now(), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body) != nil {
		s.mu.Lock()
		s.refused++
		s.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /agents":
		_, _ = io.WriteString(w, s.catalog)
	case "POST /runs":
		var run Run
		_ = json.Unmarshal(body, &run)
		s.mu.Lock()
		s.runs = append(s.runs, run)
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestClientSignsAndReadsTheCatalog(t *testing.T) {
	svc := &service{catalog: `[{"key":"churn-radar","name":"Churn Radar","description":"Finds customers about to leave.",
		"parametersSchema":{"type":"object","properties":{"days":{"type":"integer","default":30}}}}]`}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	c, err := NewClient(srv.URL+"/", secret, Options{})
	if err != nil {
		t.Fatal(err)
	}
	agents, err := c.Catalog(context.Background())
	if err != nil || len(agents) != 1 || agents[0].Key != "churn-radar" || agents[0].ParametersSchema["type"] != "object" {
		t.Fatalf("Catalog = %+v, %v", agents, err)
	}
	run := Run{ExecutionID: "e1", AgentKey: "churn-radar", OrganizationID: "o1", Parameters: map[string]any{"days": 7.0},
		CallbackURL: "https://omnify.example.com" + HookPath}
	if err := c.StartRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	if len(svc.runs) != 1 || svc.runs[0].ExecutionID != "e1" || svc.runs[0].Parameters["days"] != 7.0 || svc.refused != 0 {
		t.Fatalf("the service saw runs %+v, refused %d", svc.runs, svc.refused)
	}

	wrong, _ := NewClient(srv.URL, []byte("not the secret"), Options{})
	if _, err := wrong.Catalog(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("a client with the wrong secret: %v", err)
	}
}

func TestCatalogRefusesWhatItCannotOffer(t *testing.T) {
	many := make([]string, MaxCatalogAgents+1)
	for i := range many {
		many[i] = `{"key":"a` + strconv.Itoa(i) + `","name":"A"}`
	}
	for name, catalog := range map[string]string{
		"not JSON":             `<html>`,
		"no name":              `[{"key":"a"}]`,
		"a key with spaces":    `[{"key":"a b","name":"A"}]`,
		"an upper-case key":    `[{"key":"Agent","name":"A"}]`,
		"a repeated key":       `[{"key":"a","name":"A"},{"key":"a","name":"B"}]`,
		"one agent too many":   "[" + strings.Join(many, ",") + "]",
		"larger than the cap":  `[{"key":"a","name":"` + strings.Repeat("x", MaxCatalogBytes) + `"}]`,
		"an object, not alist": `{"key":"a","name":"A"}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(&service{catalog: catalog})
			defer srv.Close()
			c, _ := NewClient(srv.URL, secret, Options{})
			if agents, err := c.Catalog(context.Background()); err == nil {
				t.Fatalf("Catalog = %d agents, want an error", len(agents))
			}
		})
	}
	if _, err := NewClient("ftp://x", secret, Options{}); err == nil {
		t.Fatal("an ftp URL was accepted")
	}
}

// memorySink records reports in memory, idempotent on (execution, sequence).
type memorySink struct {
	mu    sync.Mutex
	known map[string]bool
	ended map[string]bool
	got   map[string]Report
}

func (s *memorySink) Record(_ context.Context, r Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known[r.ExecutionID] {
		return ErrUnknownExecution
	}
	key := r.ExecutionID + "/" + strconv.Itoa(r.Sequence)
	if _, dup := s.got[key]; dup {
		return nil
	}
	if s.ended[r.ExecutionID] {
		return ErrFinished
	}
	s.got[key] = r
	return nil
}

func TestHookAcceptsOnlySignedFreshReports(t *testing.T) {
	sink := &memorySink{known: map[string]bool{"e1": true, "done": true}, ended: map[string]bool{"done": true}, got: map[string]Report{}}
	now := time.Now()
	srv := httptest.NewServer(Hook(secret, sink, slog.New(slog.DiscardHandler), func() time.Time { return now }))
	defer srv.Close()
	post := func(body []byte, at time.Time, key []byte) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
		req.Header.Set(HeaderSignature, Sign(key, at, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	report := func(exec string, seq int, typ string) []byte {
		b, _ := json.Marshal(Report{ExecutionID: exec, Sequence: seq, Type: typ, Message: "step", At: now, Data: json.RawMessage(`{"n":1}`)})
		return b
	}
	good := report("e1", 2, "LOG")
	tests := []struct {
		name string
		body []byte
		at   time.Time
		key  []byte
		want int
	}{
		{"a signed report", good, now, secret, 204},
		{"the same report replayed", good, now, secret, 204},
		{"a bad signature", report("e1", 3, "LOG"), now, []byte("wrong"), 401},
		{"a stale signature", report("e1", 3, "LOG"), now.Add(-MaxSkew - time.Second), secret, 401},
		{"an unknown execution", report("nope", 1, "LOG"), now, secret, 404},
		{"an ended execution", report("done", 9, "LOG"), now, secret, 409},
		{"an unknown type", report("e1", 4, "DELETE_EVERYTHING"), now, secret, 400},
		{"sequence 0", report("e1", 0, "LOG"), now, secret, 400},
		{"not JSON", []byte("{"), now, secret, 400},
		{"too large", bytes.Repeat([]byte(" "), MaxReportBytes+1), now, secret, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(tt.body, tt.at, tt.key); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
	if len(sink.got) != 1 {
		t.Fatalf("recorded %d reports, want 1", len(sink.got))
	}
	resp, _ := http.Get(srv.URL)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
