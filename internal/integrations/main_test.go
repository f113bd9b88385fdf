package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
	"github.com/omnify/bff/internal/mongodb"
	"github.com/omnify/bff/internal/mongodb/mongotest"
)

var dbs *mongotest.Server

func TestMain(m *testing.M) { mongotest.Main(m, &dbs) }

// The keys the fake platforms accept.
const (
	twKey      = "tw_live_0123456789abcdef"
	hsKey      = "pat-na1-11111111-2222-3333-4444-555555555555"
	klKey      = "pk_0123456789abcdef0123456789abcdef01"
	shopDomain = "acme.myshopify.com"
)

// keyOf returns the key the fake accepts for p.
func keyOf(p Platform) string {
	switch p {
	case TripleWhale:
		return twKey
	case HubSpot:
		return hsKey
	}
	return klKey
}

// epoch is the fake clock's first reading: the "today" of the tests.
func epoch() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) }

// date returns midnight UTC of a day in 2026 or around it.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Figures the fake platforms report for a day, so a test can compute what
// a sync must have stored.
func twRevenue(day time.Time) float64 { return float64(day.YearDay()) * 10 }
func twAdSpend(day time.Time) float64 { return 25 + float64(day.Day()) }
func twOrders(day time.Time) float64  { return float64(day.Day()%4 + 1) }
func klOpened(day time.Time) float64  { return float64(day.Day() * 3) }
func klClicked(day time.Time) float64 { return float64(day.Day()) }
func klPlaced(day time.Time) float64  { return float64(day.Day() % 3) }
func klValue(day time.Time) float64   { return float64(day.Day()%3) * 40.5 }

// fakeDeal is a deal the fake HubSpot holds.
type fakeDeal struct {
	ID        string
	Name      string
	Amount    *float64
	Stage     string
	CloseDate *time.Time
	UpdatedAt time.Time
}

type fakeContact struct {
	ID, Email, First, Last string
	CreatedAt              time.Time
}

type fakeCampaign struct {
	ID, Name, Status string
	SendTime         *time.Time
	CreatedAt        time.Time
}

type fakeFlow struct{ ID, Name, Status, Trigger string }

func ptr[T any](v T) *T { return &v }

// fakePlatforms runs httptest servers that speak the documented shapes of
// Triple Whale, HubSpot and Klaviyo, hold data a test can compare with, and
// record what they were asked.
type fakePlatforms struct {
	t                   *testing.T
	twURL, hsURL, klURL string

	mu        sync.Mutex
	deals     []fakeDeal
	contacts  []fakeContact
	campaigns []fakeCampaign
	flows     []fakeFlow
	// twDays lists the day of every Summary request, in order.
	twDays []string
	// requests counts requests by "METHOD path".
	requests map[string]int
	// intercept, when set, may answer a request instead of the fake.
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

func newFakePlatforms(t *testing.T) *fakePlatforms {
	t.Helper()
	f := &fakePlatforms{t: t, requests: map[string]int{}}
	f.deals = []fakeDeal{
		{ID: "101", Name: "Wholesale order", Amount: ptr(1500.5), Stage: "appointmentscheduled", UpdatedAt: date(2026, 3, 10)},
		{ID: "102", Name: "Retail chain", Amount: ptr(8000.0), Stage: "closedwon", CloseDate: ptr(date(2026, 3, 1)), UpdatedAt: date(2026, 3, 12)},
		{ID: "103", Name: "No amount yet", Stage: "appointmentscheduled", UpdatedAt: date(2026, 3, 10)},
		{ID: "104", Name: "Lost one", Amount: ptr(300.0), Stage: "closedlost", UpdatedAt: date(2026, 2, 1)},
		{ID: "105", Name: "Proposal", Amount: ptr(250.25), Stage: "presentationscheduled", UpdatedAt: date(2026, 3, 14)},
	}
	f.contacts = []fakeContact{
		{ID: "201", Email: "ada@example.com", First: "Ada", Last: "Lovelace", CreatedAt: date(2026, 1, 5)},
		{ID: "202", Email: "grace@example.com", First: "Grace", Last: "Hopper", CreatedAt: date(2026, 2, 5)},
		{ID: "203", Email: "alan@example.com", First: "Alan", Last: "Turing", CreatedAt: date(2026, 3, 5)},
	}
	f.campaigns = []fakeCampaign{
		{ID: "c1", Name: "January sale", Status: "Sent", SendTime: ptr(date(2026, 1, 10).Add(15 * time.Hour)), CreatedAt: date(2026, 1, 2)},
		{ID: "c2", Name: "Spring draft", Status: "Draft", CreatedAt: date(2026, 3, 1)},
		{ID: "c3", Name: "February news", Status: "Sent", SendTime: ptr(date(2026, 2, 14)), CreatedAt: date(2026, 2, 1)},
	}
	f.flows = []fakeFlow{
		{ID: "f1", Name: "Welcome", Status: "live", Trigger: "Added to List"},
		{ID: "f2", Name: "Abandoned cart", Status: "draft", Trigger: "Metric"},
	}
	tw := httptest.NewServer(http.StripPrefix("/api/v2", f.handle(f.tripleWhale)))
	hs := httptest.NewServer(f.handle(f.hubSpot))
	kl := httptest.NewServer(f.handle(f.klaviyo))
	t.Cleanup(tw.Close)
	t.Cleanup(hs.Close)
	t.Cleanup(kl.Close)
	f.twURL, f.hsURL, f.klURL = tw.URL+"/api/v2", hs.URL, kl.URL
	return f
}

// handle counts a request and lets intercept answer it first.
func (f *fakePlatforms) handle(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests[r.Method+" "+r.URL.Path]++
		intercept := f.intercept
		f.mu.Unlock()
		if intercept != nil && intercept(w, r) {
			return
		}
		next(w, r)
	}
}

// setIntercept makes fn answer requests before the fake does.
func (f *fakePlatforms) setIntercept(fn func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	f.intercept = fn
	f.mu.Unlock()
}

// count returns how many requests "METHOD path" got.
func (f *fakePlatforms) count(methodPath string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[methodPath]
}

// total returns how many requests the fakes got.
func (f *fakePlatforms) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.requests {
		n += v
	}
	return n
}

// summaryDays returns the days Triple Whale was asked for and forgets them.
func (f *fakePlatforms) summaryDays() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	days := f.twDays
	f.twDays = nil
	return days
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// The platforms' documented error bodies; each quotes the key, as real
// platforms sometimes do, so the tests see that it is redacted.
func twError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, "application/json", map[string]any{"success": false, "message": msg})
}

func hsError(w http.ResponseWriter, status int, category, msg string) {
	writeJSON(w, status, "application/json", map[string]any{"status": "error", "message": msg, "correlationId": "c0ffee", "category": category})
}

func klError(w http.ResponseWriter, status int, code, detail string) {
	writeJSON(w, status, "application/vnd.api+json", map[string]any{"errors": []map[string]string{{
		"id": "e1", "status": strconv.Itoa(status), "code": code, "title": "Error", "detail": detail,
	}}})
}

func (f *fakePlatforms) tripleWhale(w http.ResponseWriter, r *http.Request) {
	if key := r.Header.Get("X-Api-Key"); key != twKey {
		twError(w, http.StatusUnauthorized, "Invalid API key "+key)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/users/api-keys/me":
		io.WriteString(w, `{"id":"k1","scopes":["summary-page:read"]}`)
	case r.Method == http.MethodPost && r.URL.Path == "/summary-page/get-data":
		var body struct {
			ShopDomain string `json:"shopDomain"`
			Period     struct{ Start, End string }
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ShopDomain != shopDomain || body.Period.Start != body.Period.End {
			twError(w, http.StatusBadRequest, fmt.Sprintf("bad request %+v %v", body, err))
			return
		}
		day, err := time.Parse(time.DateOnly, body.Period.Start)
		if err != nil {
			twError(w, http.StatusBadRequest, "bad date")
			return
		}
		f.mu.Lock()
		f.twDays = append(f.twDays, body.Period.Start)
		f.mu.Unlock()
		rev, spend, orders := twRevenue(day), twAdSpend(day), twOrders(day)
		fmt.Fprintf(w, `{"metrics":[
			{"id":"sales","values":{"current":%v}},
			{"id":"blendedAds","values":{"current":"%v"}},
			{"id":"roas","values":{"current":%v}},
			{"id":"orders","values":{"current":%v}},
			{"id":"shopifyAov","values":{"current":%v}},
			{"id":"totalNetProfit","values":{"current":%v}}]}`,
			rev, spend, rev/spend, orders, rev/orders, rev/4)
	default:
		twError(w, http.StatusNotFound, "no route "+r.URL.Path)
	}
}

// hsPageSize is the fake HubSpot's page size, small to exercise paging.
const hsPageSize = 2

func (f *fakePlatforms) hubSpot(w http.ResponseWriter, r *http.Request) {
	if auth := r.Header.Get("Authorization"); auth != "Bearer "+hsKey {
		hsError(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION", "Authentication credentials not found for "+auth)
		return
	}
	f.mu.Lock()
	var results []map[string]any
	switch r.URL.Path {
	case "/crm/v3/objects/deals":
		for _, d := range f.deals {
			props := map[string]any{"dealname": d.Name, "dealstage": d.Stage, "pipeline": "default",
				"amount": nil, "closedate": nil, "hs_lastmodifieddate": d.UpdatedAt.Format(time.RFC3339)}
			if d.Amount != nil {
				props["amount"] = strconv.FormatFloat(*d.Amount, 'f', -1, 64)
			}
			if d.CloseDate != nil {
				props["closedate"] = d.CloseDate.Format(time.RFC3339)
			}
			results = append(results, map[string]any{"id": d.ID, "properties": props,
				"createdAt": "2026-01-01T00:00:00Z", "updatedAt": d.UpdatedAt.Format(time.RFC3339Nano), "archived": false})
		}
	case "/crm/v3/objects/contacts":
		for _, c := range f.contacts {
			results = append(results, map[string]any{"id": c.ID, "properties": map[string]any{
				"email": c.Email, "firstname": c.First, "lastname": c.Last, "createdate": c.CreatedAt.Format(time.RFC3339)},
				"createdAt": c.CreatedAt.Format(time.RFC3339), "updatedAt": c.CreatedAt.Format(time.RFC3339), "archived": false})
		}
	default:
		f.mu.Unlock()
		hsError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "no route")
		return
	}
	f.mu.Unlock()
	start, _ := strconv.Atoi(r.URL.Query().Get("after"))
	size := hsPageSize
	if l := r.URL.Query().Get("limit"); l == "1" {
		size = 1
	}
	end := min(start+size, len(results))
	page := map[string]any{"results": results[min(start, len(results)):end]}
	if end < len(results) {
		page["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(end), "link": "https://api.hubapi.com/ignored"}}
	}
	writeJSON(w, http.StatusOK, "application/json", page)
}

// klPageSize is the fake Klaviyo's page size.
const klPageSize = 2

func (f *fakePlatforms) klaviyo(w http.ResponseWriter, r *http.Request) {
	if auth := r.Header.Get("Authorization"); auth != "Klaviyo-API-Key "+klKey {
		klError(w, http.StatusUnauthorized, "not_authenticated", "Incorrect authentication credentials: "+auth)
		return
	}
	if r.Header.Get("Revision") == "" {
		klError(w, http.StatusBadRequest, "invalid", "missing revision")
		return
	}
	base := "http://" + r.Host
	f.mu.Lock()
	var data []map[string]any
	switch r.URL.Path {
	case "/api/accounts":
		data = []map[string]any{{"type": "account", "id": "AcmeK1", "attributes": map[string]any{
			"contact_information": map[string]any{"organization_name": "Acme Inc."}}}}
	case "/api/campaigns":
		if r.URL.Query().Get("filter") != "equals(messages.channel,'email')" {
			f.mu.Unlock()
			klError(w, http.StatusBadRequest, "invalid", "a channel filter is required")
			return
		}
		for _, c := range f.campaigns {
			attrs := map[string]any{"name": c.Name, "status": c.Status, "send_time": nil,
				"created_at": c.CreatedAt.Format(time.RFC3339), "updated_at": c.CreatedAt.Format(time.RFC3339)}
			if c.SendTime != nil {
				attrs["send_time"] = c.SendTime.Format(time.RFC3339)
			}
			data = append(data, map[string]any{"type": "campaign", "id": c.ID, "attributes": attrs})
		}
	case "/api/flows":
		for _, fl := range f.flows {
			data = append(data, map[string]any{"type": "flow", "id": fl.ID, "attributes": map[string]any{
				"name": fl.Name, "status": fl.Status, "archived": false, "trigger_type": fl.Trigger}})
		}
	case "/api/metrics":
		for i, name := range []string{"Opened Email", "Viewed Product", "Clicked Email", "Placed Order"} {
			data = append(data, map[string]any{"type": "metric", "id": fmt.Sprintf("m%d", i+1), "attributes": map[string]any{"name": name}})
		}
	case "/api/metric-aggregates":
		f.mu.Unlock()
		f.klaviyoAggregates(w, r)
		return
	default:
		f.mu.Unlock()
		klError(w, http.StatusNotFound, "not_found", "no route")
		return
	}
	f.mu.Unlock()
	start, _ := strconv.Atoi(r.URL.Query().Get("page[cursor]"))
	end := min(start+klPageSize, len(data))
	page := map[string]any{"data": data[min(start, len(data)):end], "links": map[string]any{"self": base + r.URL.Path, "next": nil}}
	if end < len(data) {
		q := r.URL.Query()
		q.Set("page[cursor]", strconv.Itoa(end))
		page["links"] = map[string]any{"next": base + r.URL.Path + "?" + q.Encode()}
	}
	writeJSON(w, http.StatusOK, "application/vnd.api+json", page)
}

func (f *fakePlatforms) klaviyoAggregates(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Data struct {
			Attributes struct {
				MetricID string   `json:"metric_id"`
				Filter   []string `json:"filter"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Data.Attributes.Filter) != 2 {
		klError(w, http.StatusBadRequest, "invalid", "bad body")
		return
	}
	bound := func(s, prefix string) time.Time {
		t, _ := time.Parse("2006-01-02T15:04:05Z", strings.TrimSuffix(strings.TrimPrefix(s, prefix), ")"))
		return t
	}
	start := bound(body.Data.Attributes.Filter[0], "greater-or-equal(datetime,")
	end := bound(body.Data.Attributes.Filter[1], "less-than(datetime,")
	value := map[string]func(time.Time) (float64, float64){
		"m1": func(d time.Time) (float64, float64) { return klOpened(d), 0 },
		"m3": func(d time.Time) (float64, float64) { return klClicked(d), 0 },
		"m4": func(d time.Time) (float64, float64) { return klPlaced(d), klValue(d) },
	}[body.Data.Attributes.MetricID]
	if value == nil || !end.After(start) {
		klError(w, http.StatusBadRequest, "invalid", "unknown metric or empty range")
		return
	}
	var dates []string
	var counts, sums []float64
	for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
		c, s := value(d)
		dates = append(dates, d.Format("2006-01-02T15:04:05+00:00"))
		counts, sums = append(counts, c), append(sums, s)
	}
	writeJSON(w, http.StatusOK, "application/vnd.api+json", map[string]any{"data": map[string]any{
		"type": "metric-aggregate", "id": "agg", "attributes": map[string]any{
			"dates": dates, "data": []map[string]any{{"dimensions": []string{}, "measurements": map[string]any{"count": counts, "sum_value": sums}}},
		}}})
}

// eventLog records the events the service sends.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) notify(_ context.Context, e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// take returns the recorded events and forgets them.
func (l *eventLog) take() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

// testEnv is a Service and its collaborators over a fresh database and
// fresh fake platforms.
type testEnv struct {
	svc     *Service
	store   *Store
	db      *mongo.Database
	counter *mongodb.CommandCounter
	fakes   *fakePlatforms
	clients Clients
	sealer  *Sealer
	clock   *fakeClock
	events  *eventLog
	org     bson.ObjectID
}

// testKey is the sealing key of the tests.
func testKey(b byte) []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

// newEnv returns a testEnv with indexes created; tune adjusts the platform
// clients' options.
func newEnv(t *testing.T, tune ...func(*platform.Options)) *testEnv {
	t.Helper()
	mdb, counter := dbs.NewDB(t)
	db := mdb.Database
	store := NewStore(mdb)
	if err := store.EnsureIndexes(t.Context()); err != nil {
		t.Fatalf("EnsureIndexes: %v", err)
	}
	fakes := newFakePlatforms(t)
	opts, _, _ := platformtest.Options(t)
	for _, fn := range tune {
		fn(&opts)
	}
	clients := NewClients(BaseURLs{TripleWhale: fakes.twURL, HubSpot: fakes.hsURL, Klaviyo: fakes.klURL}, opts)
	sealer, err := NewSealer("", testKey(1), nil)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	e := &testEnv{store: store, db: db, counter: counter, fakes: fakes, clients: clients, sealer: sealer,
		clock: &fakeClock{t: epoch()}, events: &eventLog{}, org: bson.NewObjectID()}
	e.svc = New(store, Options{Sealer: sealer, Clients: clients, Notify: e.events.notify, Now: e.clock.Now})
	return e
}

// actor returns a member of the env's organization with role.
func (e *testEnv) actor(role authz.Role) *authz.Principal {
	return &authz.Principal{OrganizationID: e.org, UserID: bson.NewObjectID(), Role: role}
}

// worker returns a Worker named owner on the env's clock.
func (e *testEnv) worker(owner string) *Worker {
	return NewWorker(e.svc, WorkerOptions{Clients: e.clients, Owner: owner, Now: e.clock.Now})
}

// connect connects p for a or fails the test.
func (e *testEnv) connect(t *testing.T, a *authz.Principal, p Platform) Integration {
	t.Helper()
	i, err := e.svc.Connect(t.Context(), a, p, keyOf(p), shopDomain)
	if err != nil {
		t.Fatalf("Connect(%s): %v", p, err)
	}
	return i
}

// sync queues a manual run of p, executes it with a worker and returns the
// run as stored.
func (e *testEnv) sync(t *testing.T, a *authz.Principal, p Platform) SyncRun {
	t.Helper()
	run, err := e.svc.RequestSync(t.Context(), a, p)
	if err != nil {
		t.Fatalf("RequestSync(%s): %v", p, err)
	}
	ran, err := e.worker("w1").RunOnce(t.Context())
	if err != nil || !ran {
		t.Fatalf("RunOnce = %v, %v; want a run executed", ran, err)
	}
	return e.run(t, run.ID)
}

// run reads a run as stored.
func (e *testEnv) run(t *testing.T, id bson.ObjectID) SyncRun {
	t.Helper()
	r, err := e.store.run(t.Context(), e.org, id)
	if err != nil || r == nil {
		t.Fatalf("run %s: %v, %v", id.Hex(), r, err)
	}
	return r.SyncRun
}

// integration returns a's integration with p.
func (e *testEnv) integration(t *testing.T, a *authz.Principal, p Platform) Integration {
	t.Helper()
	i, err := e.svc.Integration(t.Context(), a, p)
	if err != nil {
		t.Fatalf("Integration(%s): %v", p, err)
	}
	return i
}

// count returns the number of documents in a collection matching filter.
func (e *testEnv) count(t *testing.T, collection string, filter bson.D) int64 {
	t.Helper()
	if filter == nil {
		filter = bson.D{}
	}
	n, err := e.db.Collection(collection).CountDocuments(t.Context(), filter)
	if err != nil {
		t.Fatalf("count %s: %v", collection, err)
	}
	return n
}

// wantAppErr fails the test unless err is an *apperr.Error with the code and
// field, whose message contains every one of parts.
func wantAppErr(t *testing.T, err error, code apperr.Code, field string, parts ...string) {
	t.Helper()
	ae, ok := apperr.As(err)
	if !ok {
		t.Fatalf("error = %v, want *apperr.Error %s", err, code)
	}
	if ae.Code != code || ae.Field != field {
		t.Fatalf("error = %s field %q, want %s field %q (%v)", ae.Code, ae.Field, code, field, err)
	}
	for _, p := range parts {
		if !strings.Contains(ae.Message, p) {
			t.Errorf("message %q does not contain %q", ae.Message, p)
		}
	}
}
