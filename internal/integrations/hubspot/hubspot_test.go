package hubspot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omnify/bff/internal/integrations/hubspot"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
)

const token = "pat-na1-11111111-2222-3333-4444-555555555555"

// server returns a Client for a test server running h, with fast Options
// adjusted by tune.
func server(t *testing.T, h http.HandlerFunc, tune func(*platform.Options)) (*hubspot.Client, *platformtest.Counter, *platformtest.Sleeper) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts, sleeper, counter := platformtest.Options(t)
	if tune != nil {
		tune(&opts)
	}
	c, err := hubspot.New(srv.URL, token, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, counter, sleeper
}

// checkRequest reports a request that lacks the bearer token or is not a
// GET of path.
func checkRequest(t *testing.T, r *http.Request, path string) {
	t.Helper()
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		t.Errorf("Authorization = %q, want the bearer token", got)
	}
	if r.Method != http.MethodGet || r.URL.Path != path {
		t.Errorf("request = %s %s, want GET %s", r.Method, r.URL.Path, path)
	}
}

func hsError(w http.ResponseWriter, status int, fields map[string]string) {
	body := map[string]string{"status": "error", "message": "failed", "correlationId": "c0ffee"}
	for k, v := range fields {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func TestCheckKey(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		wantErr      bool
		wantRejected bool
	}{
		{"valid token", 200, false, false},
		{"expired token is rejected", 401, true, true},
		{"token missing the contacts scope is rejected", 403, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, "/crm/v3/objects/contacts")
				if r.URL.Query().Get("limit") != "1" {
					t.Errorf("limit = %q, want 1", r.URL.Query().Get("limit"))
				}
				if tt.status != 200 {
					hsError(w, tt.status, map[string]string{"category": "INVALID_AUTHENTICATION", "message": "Authentication credentials not found for Bearer " + token})
					return
				}
				io.WriteString(w, `{"results":[]}`)
			}, nil)
			err := c.CheckKey(t.Context())
			if (err != nil) != tt.wantErr || platform.IsRejected(err) != tt.wantRejected {
				t.Fatalf("error = %v, want error %v rejected %v", err, tt.wantErr, tt.wantRejected)
			}
			if counter.Count() != 1 {
				t.Errorf("requests = %d, want 1", counter.Count())
			}
			if err == nil {
				return
			}
			for _, want := range []string{"hubspot", fmt.Sprint(tt.status), "INVALID_AUTHENTICATION", "correlation id c0ffee"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q should contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %q", err)
			}
		})
	}
}

func TestDealsPaginates(t *testing.T) {
	pages := map[string]string{
		"": `{"results":[
			{"id":"1","properties":{"dealname":"Big","amount":"1500.50","dealstage":"closedwon","pipeline":"default",
				"closedate":"2026-01-15T10:00:00Z","hs_lastmodifieddate":"2026-01-16T00:00:00Z"},
			 "createdAt":"2026-01-01T09:00:00.123Z","updatedAt":"2026-01-16T00:00:00Z","archived":false},
			{"id":"2","properties":{"dealname":"No amount","amount":null,"dealstage":"appointmentscheduled","pipeline":"default","closedate":null},
			 "createdAt":"2026-01-02T00:00:00Z","updatedAt":"2026-01-03T00:00:00Z","archived":false}
		],"paging":{"next":{"after":"2","link":"https://api.hubapi.com/crm/v3/objects/deals?after=2"}}}`,
		"2": `{"results":[
			{"id":"3","properties":{"dealname":"Odd","amount":"lots","closedate":"someday"},
			 "createdAt":"not a date","updatedAt":null,"archived":false}
		],"paging":{"next":{"after":"NTI1Cg%3D%3D"}}}`,
		"NTI1Cg%3D%3D": `{"results":[{"id":"4","properties":{"dealname":"Last","amount":"","hs_lastmodifieddate":"2026-02-01T00:00:00Z"},"createdAt":"2026-01-04T00:00:00Z"}]}`,
	}
	var (
		mu     sync.Mutex
		afters []string
	)
	c, _, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, "/crm/v3/objects/deals")
		q := r.URL.Query()
		if q.Get("limit") != "100" || q.Get("properties") != "dealname,amount,dealstage,pipeline,closedate,hs_lastmodifieddate" {
			t.Errorf("query = %v", q)
		}
		mu.Lock()
		afters = append(afters, q.Get("after"))
		mu.Unlock()
		body, ok := pages[q.Get("after")]
		if !ok {
			hsError(w, 400, nil)
			return
		}
		io.WriteString(w, body)
	}, nil)

	var got [][]hubspot.Deal
	err := c.Deals(t.Context(), func(page []hubspot.Deal) error {
		got = append(got, page)
		return nil
	})
	if err != nil {
		t.Fatalf("Deals: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"", "2", "NTI1Cg%3D%3D"}; !slices.Equal(afters, want) {
		t.Errorf("after cursors sent = %q, want %q", afters, want)
	}
	if len(got) != 3 || len(got[0]) != 2 || len(got[1]) != 1 || len(got[2]) != 1 {
		t.Fatalf("pages = %v, want sizes 2, 1, 1", got)
	}
	amount := 1500.50
	closeDate := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		got  hubspot.Deal
		want hubspot.Deal
	}{
		{"full deal", got[0][0], hubspot.Deal{
			ID: "1", Name: "Big", Amount: &amount, Stage: "closedwon", Pipeline: "default", CloseDate: &closeDate,
			CreatedAt: time.Date(2026, 1, 1, 9, 0, 0, 123e6, time.UTC), UpdatedAt: time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC),
		}},
		{"null amount and close date", got[0][1], hubspot.Deal{
			ID: "2", Name: "No amount", Stage: "appointmentscheduled", Pipeline: "default",
			CreatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC),
		}},
		{"unparseable values are left empty", got[1][0], hubspot.Deal{ID: "3", Name: "Odd"}},
		{"updatedAt falls back to hs_lastmodifieddate", got[2][0], hubspot.Deal{
			ID: "4", Name: "Last",
			CreatedAt: time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !dealEqual(tt.got, tt.want) {
				t.Errorf("deal = %s, want %s", fmtDeal(tt.got), fmtDeal(tt.want))
			}
		})
	}
}

func TestContactsPaginates(t *testing.T) {
	c, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		checkRequest(t, r, "/crm/v3/objects/contacts")
		if got := r.URL.Query().Get("properties"); got != "email,firstname,lastname,createdate" {
			t.Errorf("properties = %q", got)
		}
		switch r.URL.Query().Get("after") {
		case "":
			io.WriteString(w, `{"results":[{"id":"11","properties":{"email":"a@example.com","firstname":"Ada","lastname":"Lovelace","createdate":"2026-01-01T00:00:00Z"},"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-05T00:00:00Z"}],"paging":{"next":{"after":"11"}}}`)
		case "11":
			io.WriteString(w, `{"results":[{"id":"12","properties":{"email":null,"firstname":"Bo","lastname":null,"createdate":"2026-01-02T00:00:00Z"},"updatedAt":"2026-01-06T00:00:00Z"}]}`)
		}
	}, nil)
	var got []hubspot.Contact
	err := c.Contacts(t.Context(), func(page []hubspot.Contact) error {
		got = append(got, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("Contacts: %v", err)
	}
	want := []hubspot.Contact{
		{ID: "11", Email: "a@example.com", FirstName: "Ada", LastName: "Lovelace",
			CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)},
		{ID: "12", FirstName: "Bo",
			CreatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)},
	}
	if !slices.EqualFunc(got, want, func(a, b hubspot.Contact) bool {
		return a.ID == b.ID && a.Email == b.Email && a.FirstName == b.FirstName && a.LastName == b.LastName &&
			a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
	}) {
		t.Errorf("contacts = %+v, want %+v", got, want)
	}
	if counter.Count() != 2 {
		t.Errorf("requests = %d, want 2", counter.Count())
	}
}

func TestDealsStopsRunawayPagination(t *testing.T) {
	tests := []struct {
		name         string
		next         func(after string) string
		wantErr      error
		wantRequests int
	}{
		{"the same cursor returned twice", func(string) string { return "A" }, platform.ErrPageLoop, 2},
		{"cursors alternating between two values", func(after string) string {
			if after == "A" {
				return "B"
			}
			return "A"
		}, platform.ErrPageLoop, 3},
		{"an empty cursor restarting the listing", func(string) string { return "" }, platform.ErrPageLoop, 1},
		{"endless distinct cursors hit the page cap", func(after string) string { return after + "x" }, platform.ErrTooManyPages, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, counter, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				next := tt.next(r.URL.Query().Get("after"))
				fmt.Fprintf(w, `{"results":[{"id":"1","properties":{}}],"paging":{"next":{"after":%q}}}`, next)
			}, func(o *platform.Options) { o.MaxPages = 5 })
			err := c.Deals(t.Context(), func([]hubspot.Deal) error { return nil })
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if counter.Count() != tt.wantRequests {
				t.Errorf("requests = %d, want %d", counter.Count(), tt.wantRequests)
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	now := time.Date(2026, 3, 1, 18, 30, 0, 0, time.UTC)
	tests := []struct {
		name          string
		first         func(w http.ResponseWriter)
		wantErr       bool
		wantRequests  int
		wantWaits     []time.Duration
		wantRetry     time.Duration
		wantInMessage string
	}{
		{
			name: "ten-second rolling limit without Retry-After waits one window per attempt",
			first: func(w http.ResponseWriter) {
				hsError(w, 429, map[string]string{"category": "RATE_LIMITS", "policyName": "TEN_SECONDLY_ROLLING"})
			},
			wantRequests: 3,
			wantWaits:    []time.Duration{time.Millisecond, 2 * time.Millisecond},
		},
		{
			name: "ten-second rolling limit honours Retry-After when present",
			first: func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", "1")
				hsError(w, 429, map[string]string{"category": "RATE_LIMITS", "policyName": "TEN_SECONDLY_ROLLING"})
			},
			wantRequests: 3,
			wantWaits:    []time.Duration{time.Second, time.Second},
		},
		{
			name: "daily limit is not retried and says when it resets",
			first: func(w http.ResponseWriter) {
				hsError(w, 429, map[string]string{"category": "RATE_LIMITS", "policyName": "DAILY", "message": "You have reached your daily limit."})
			},
			wantErr:       true,
			wantRequests:  1,
			wantWaits:     []time.Duration{},
			wantRetry:     5*time.Hour + 30*time.Minute,
			wantInMessage: "daily API limit exhausted until the next day",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			c, counter, sleeper := server(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= 2 {
					tt.first(w)
					return
				}
				io.WriteString(w, `{"results":[]}`)
			}, func(o *platform.Options) { o.Now = func() time.Time { return now } })
			err := c.CheckKey(t.Context())
			if counter.Count() != tt.wantRequests || !slices.Equal(sleeper.Waits(), tt.wantWaits) {
				t.Errorf("requests %d waits %v, want %d and %v", counter.Count(), sleeper.Waits(), tt.wantRequests, tt.wantWaits)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("CheckKey: %v", err)
				}
				return
			}
			var e *platform.Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v, want a *platform.Error", err)
			}
			if e.Status != 429 || e.RetryAfter != tt.wantRetry || !e.Temporary() || e.Rejected() {
				t.Errorf("error = %+v, want a temporary 429 with RetryAfter %v", e, tt.wantRetry)
			}
			if !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("error %q should contain %q", err, tt.wantInMessage)
			}
		})
	}
}

func TestDealsFailures(t *testing.T) {
	stop := errors.New("disk full")
	tests := []struct {
		name         string
		handler      http.HandlerFunc
		callback     func([]hubspot.Deal) error
		wantErr      error // nil: any *platform.Error
		wantStatus   int
		wantRequests int
	}{
		{
			name:         "500 forever gives up after four attempts",
			handler:      func(w http.ResponseWriter, r *http.Request) { hsError(w, 500, nil) },
			wantStatus:   500,
			wantRequests: 4,
		},
		{
			name:         "truncated JSON",
			handler:      func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"results":[{"id":"1","prop`) },
			wantStatus:   200,
			wantRequests: 1,
		},
		{
			name:         "results of the wrong type",
			handler:      func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"results":{"id":"1"}}`) },
			wantStatus:   200,
			wantRequests: 1,
		},
		{
			name: "callback error stops the listing",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"results":[{"id":"1"}],"paging":{"next":{"after":"x`+r.URL.Query().Get("after")+`"}}}`)
			},
			callback:     func([]hubspot.Deal) error { return stop },
			wantErr:      stop,
			wantRequests: 1,
		},
		{
			name: "token echoed in a 400 is redacted",
			handler: func(w http.ResponseWriter, r *http.Request) {
				hsError(w, 400, map[string]string{"category": "VALIDATION_ERROR", "message": "bad header Authorization: Bearer " + token})
			},
			wantStatus:   400,
			wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, counter, _ := server(t, tt.handler, nil)
			callback := tt.callback
			if callback == nil {
				callback = func([]hubspot.Deal) error { return nil }
			}
			err := c.Deals(t.Context(), callback)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error = %v, want %v", err, tt.wantErr)
				}
			} else {
				var e *platform.Error
				if !errors.As(err, &e) || e.Status != tt.wantStatus {
					t.Errorf("error = %v, want a platform error with status %d", err, tt.wantStatus)
				}
			}
			if counter.Count() != tt.wantRequests {
				t.Errorf("requests = %d, want %d", counter.Count(), tt.wantRequests)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %q", err)
			}
		})
	}
}

func dealEqual(a, b hubspot.Deal) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Stage == b.Stage && a.Pipeline == b.Pipeline &&
		ptrEqual(a.Amount, b.Amount, func(x, y float64) bool { return x == y }) &&
		ptrEqual(a.CloseDate, b.CloseDate, time.Time.Equal) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func ptrEqual[T any](a, b *T, eq func(T, T) bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return eq(*a, *b)
}

func fmtDeal(d hubspot.Deal) string {
	amount, closeDate := "nil", "nil"
	if d.Amount != nil {
		amount = fmt.Sprint(*d.Amount)
	}
	if d.CloseDate != nil {
		closeDate = d.CloseDate.String()
	}
	return fmt.Sprintf("{%s %q amount=%s stage=%q pipeline=%q close=%s created=%s updated=%s}",
		d.ID, d.Name, amount, d.Stage, d.Pipeline, closeDate, d.CreatedAt, d.UpdatedAt)
}
