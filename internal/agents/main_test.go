package agents

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/events"
	"github.com/omnify/bff/internal/mongodb/mongotest"
)

var dbs *mongotest.Server

func TestMain(m *testing.M) { mongotest.Main(m, &dbs) }

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

// connected is a Source over fixed data: every platform connected unless
// listed in off. It stands in for the integrations module, whose own tests
// cover its reads.
type connected struct{ off map[string]bool }

func (c connected) Connected(_ context.Context, _ bson.ObjectID, platform string) (bool, error) {
	return !c.off[platform], nil
}
func (connected) AdDays(context.Context, bson.ObjectID, time.Time, time.Time) ([]AdDay, error) {
	return []AdDay{{Revenue: 100, AdSpend: 80, ROAS: 1.25}}, nil
}
func (connected) Deals(context.Context, bson.ObjectID) ([]Deal, error)         { return nil, nil }
func (connected) Campaigns(context.Context, bson.ObjectID) ([]Campaign, error) { return nil, nil }
func (connected) Flows(context.Context, bson.ObjectID) ([]Flow, error)         { return nil, nil }
func (connected) EmailDays(context.Context, bson.ObjectID, time.Time, time.Time) ([]EmailDay, error) {
	return nil, nil
}

// placeholder is the analyzer of the tests: it reads the ad days and
// reports one finding per day below the target.
func placeholder(ctx context.Context, org bson.ObjectID, params map[string]any, data Source) (Report, error) {
	days, err := data.AdDays(ctx, org, time.Time{}, time.Time{})
	if err != nil {
		return Report{}, err
	}
	r := Report{Summary: "Checked the days.", Metrics: map[string]any{"days": len(days)}}
	for _, d := range days {
		r.Findings = append(r.Findings, Finding{Severity: "warning", Title: "ROAS below target", Data: map[string]any{"roas": d.ROAS}})
	}
	return r, nil
}

// testEnv is a Service on a fresh database with the placeholder analyzer
// for every built-in agent.
type testEnv struct {
	store *Store
	svc   *Service
	clock *fakeClock
	bus   events.Bus
	opts  Options
}

func newEnv(t *testing.T, adjust ...func(*Options)) *testEnv {
	t.Helper()
	db, _ := dbs.NewDB(t)
	store := NewStore(db)
	if err := store.EnsureIndexes(t.Context()); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}
	bus := events.NewLocal()
	t.Cleanup(func() { _ = bus.Close() })
	opts := Options{
		Bus: bus, Source: connected{}, Now: clock.Now, LeaseTTL: 30 * time.Second, ResyncInterval: 50 * time.Millisecond,
		Analyzers: map[string]Analyzer{
			KeyROASGuardian: AnalyzerFunc(placeholder), KeyPipelineScout: AnalyzerFunc(placeholder), KeyEmailAuditor: AnalyzerFunc(placeholder),
		},
	}
	for _, a := range adjust {
		a(&opts)
	}
	return &testEnv{store: store, svc: New(store, opts), clock: clock, bus: bus, opts: opts}
}

// member is a MEMBER of a new organization.
func member() *authz.Principal {
	return &authz.Principal{UserID: bson.NewObjectID(), OrganizationID: bson.NewObjectID(), Role: authz.RoleMember}
}

// code returns err's code, or "" for nil.
func code(err error) string {
	if err == nil {
		return ""
	}
	return string(apperr.CodeOf(err))
}

// field returns err's field.
func field(err error) string {
	if ae, ok := apperr.As(err); ok {
		return ae.Field
	}
	return ""
}

// logOf returns the execution's stored events.
func (e *testEnv) logOf(t *testing.T, id bson.ObjectID) []eventDoc {
	t.Helper()
	docs, err := e.store.eventsAfter(t.Context(), id, 0, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// types lists the events' types.
func types(docs []eventDoc) []EventType {
	out := make([]EventType, len(docs))
	for i, d := range docs {
		out[i] = d.Type
	}
	return out
}

// checkLog fails unless the log's sequences are 1..n without gaps, it has
// exactly one terminal event, last, and exactly one STARTED per attempt.
func checkLog(t *testing.T, docs []eventDoc) {
	t.Helper()
	terminal := 0
	started := map[int]int{}
	for i, d := range docs {
		if d.Sequence != i+1 {
			t.Fatalf("event %d has sequence %d: %v", i, d.Sequence, types(docs))
		}
		if d.Type.Terminal() {
			terminal++
			if i != len(docs)-1 {
				t.Fatalf("terminal event %s is not the last: %v", d.Type, types(docs))
			}
		}
		if d.Type == EventStarted {
			started[d.Attempt]++
		}
	}
	if terminal != 1 {
		t.Fatalf("%d terminal events: %v", terminal, types(docs))
	}
	for a, n := range started {
		if n != 1 {
			t.Fatalf("attempt %d started %d times: %v", a, n, types(docs))
		}
	}
}
