package integrations

import (
	"context"
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

// fig returns the figures the fake platforms report for a day, so a test
// can compute what a sync must have stored.
func fig(day time.Time) platformtest.Figures { return platformtest.DefaultFigures(1, day) }

func ptr[T any](v T) *T { return &v }

// acmeAccount is the one account of the fake platforms that a testEnv
// connects: small enough that the tests name its records, with pages of two
// so that every listing walks several pages.
func acmeAccount() platformtest.AccountConfig {
	return platformtest.AccountConfig{
		Name:             "acme",
		N:                1,
		Keys:             platformtest.Keys{TripleWhale: twKey, HubSpot: hsKey, Klaviyo: klKey},
		ShopDomain:       shopDomain,
		OrganizationName: "Acme Inc.",
		Deals: []platformtest.Deal{
			{ID: "101", Name: "Wholesale order", Amount: ptr(1500.5), Stage: "appointmentscheduled", UpdatedAt: date(2026, 3, 10)},
			{ID: "102", Name: "Retail chain", Amount: ptr(8000.0), Stage: "closedwon", CloseDate: ptr(date(2026, 3, 1)), UpdatedAt: date(2026, 3, 12)},
			{ID: "103", Name: "No amount yet", Stage: "appointmentscheduled", UpdatedAt: date(2026, 3, 10)},
			{ID: "104", Name: "Lost one", Amount: ptr(300.0), Stage: "closedlost", UpdatedAt: date(2026, 2, 1)},
			{ID: "105", Name: "Proposal", Amount: ptr(250.25), Stage: "presentationscheduled", UpdatedAt: date(2026, 3, 14)},
		},
		Contacts: []platformtest.Contact{
			{ID: "201", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", CreatedAt: date(2026, 1, 5)},
			{ID: "202", Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper", CreatedAt: date(2026, 2, 5)},
			{ID: "203", Email: "alan@example.com", FirstName: "Alan", LastName: "Turing", CreatedAt: date(2026, 3, 5)},
		},
		Campaigns: []platformtest.Campaign{
			{ID: "c1", Name: "January sale", Status: "Sent", SendTime: ptr(date(2026, 1, 10).Add(15 * time.Hour)), CreatedAt: date(2026, 1, 2), UpdatedAt: date(2026, 1, 2),
				Revenue: 250.5, Conversions: 3},
			{ID: "c2", Name: "Spring draft", Status: "Draft", CreatedAt: date(2026, 3, 1), UpdatedAt: date(2026, 3, 1)},
			{ID: "c3", Name: "February news", Status: "Sent", SendTime: ptr(date(2026, 2, 14)), CreatedAt: date(2026, 2, 1), UpdatedAt: date(2026, 2, 1),
				Revenue: 120, Conversions: 2},
		},
		Flows: []platformtest.Flow{
			{ID: "f1", Name: "Welcome", Status: "live", TriggerType: "Added to List"},
			{ID: "f2", Name: "Abandoned cart", Status: "draft", TriggerType: "Metric"},
		},
	}
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
	fake    *platformtest.Fake
	acct    *platformtest.Account // the account the keys of keyOf open
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
	fake := platformtest.Start(t, platformtest.Config{HubSpotPageSize: 2, KlaviyoPageSize: 2, KlaviyoReportLimits: testFakeLimits()})
	acct := fake.AddAccount(acmeAccount())
	urls := fake.URLs()
	opts, _, _ := platformtest.Options(t)
	for _, fn := range tune {
		fn(&opts)
	}
	clients := NewClients(BaseURLs{TripleWhale: urls.TripleWhale, HubSpot: urls.HubSpot, Klaviyo: urls.Klaviyo}, opts)
	sealer, err := NewSealer("", testKey(1), nil)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	e := &testEnv{store: store, db: db, counter: counter, fake: fake, acct: acct, clients: clients, sealer: sealer,
		clock: &fakeClock{t: epoch()}, events: &eventLog{}, org: bson.NewObjectID()}
	e.svc = New(store, Options{Sealer: sealer, Clients: clients, Notify: e.events.notify, Now: e.clock.Now})
	return e
}

// actor returns a member of the env's organization with role.
func (e *testEnv) actor(role authz.Role) *authz.Principal {
	return &authz.Principal{OrganizationID: e.org, UserID: bson.NewObjectID(), Role: role}
}

// The reporting limits of the tests: Klaviyo's counts over windows short
// enough that syncs need not wait a minute. The fake enforces them, the
// workers keep within them.
const (
	testBurstWindow  = 40 * time.Millisecond
	testSteadyWindow = 400 * time.Millisecond
)

// testFakeLimits are the fake's reporting limits; testLimits the workers'.
func testFakeLimits() platformtest.ReportLimits {
	return platformtest.ReportLimits{
		Burst:  platformtest.Limit{Calls: 1, Window: testBurstWindow},
		Steady: platformtest.Limit{Calls: 2, Window: testSteadyWindow},
		Daily:  platformtest.Limit{Calls: 225, Window: 24 * time.Hour},
	}
}

func testLimits() ReportLimits {
	return ReportLimits{
		Burst:   RateLimit{Calls: 1, Window: testBurstWindow},
		Steady:  RateLimit{Calls: 2, Window: testSteadyWindow},
		Daily:   RateLimit{Calls: 225, Window: 24 * time.Hour},
		Margin:  30 * time.Millisecond,
		MaxTime: 20 * time.Second,
	}
}

// worker returns a Worker named owner on the env's clock.
func (e *testEnv) worker(owner string) *Worker {
	return NewWorker(e.svc, WorkerOptions{Clients: e.clients, Owner: owner, Now: e.clock.Now, ReportLimits: testLimits()})
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
