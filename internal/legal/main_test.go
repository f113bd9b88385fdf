package legal

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/mongodb"
	"github.com/omnify/bff/internal/mongodb/mongotest"
)

var dbs *mongotest.Server

func TestMain(m *testing.M) { mongotest.Main(m, &dbs) }

// epoch is the fake clock's first reading.
func epoch() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }

// fakeClock returns a clock that starts at epoch and advances one second per
// reading.
func fakeClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return epoch().Add(time.Duration(n.Add(1)-1) * time.Second) }
}

// testEnv is a Service over a fresh database.
type testEnv struct {
	svc     *Service
	db      *mongo.Database
	mdb     *mongodb.DB
	counter *mongodb.CommandCounter
}

// newEnv returns a Service over a fresh database with indexes created; when
// shipped is true the shipped documents are published.
func newEnv(t *testing.T, shipped bool) testEnv {
	t.Helper()
	mdb, counter := dbs.NewDB(t)
	svc := New(NewStore(mdb), Options{Now: fakeClock()})
	if err := svc.store.EnsureIndexes(t.Context()); err != nil {
		t.Fatalf("EnsureIndexes: %v", err)
	}
	if shipped {
		if err := svc.EnsureShipped(t.Context()); err != nil {
			t.Fatalf("EnsureShipped: %v", err)
		}
	}
	return testEnv{svc: svc, db: mdb.Database, mdb: mdb, counter: counter}
}

// current returns the current version of kind.
func (e testEnv) current(t *testing.T, kind Kind) Document {
	t.Helper()
	docs, err := e.svc.Current(t.Context())
	if err != nil {
		t.Fatalf("Current: %v", err)
	}
	for _, d := range docs {
		if d.Kind == kind {
			return d
		}
	}
	t.Fatalf("no current %s", kind)
	return Document{}
}

// publish publishes a version of kind or fails the test.
func (e testEnv) publish(t *testing.T, kind Kind, body string) Document {
	t.Helper()
	d, err := e.svc.Publish(t.Context(), kind, "Title of "+string(kind), body)
	if err != nil {
		t.Fatalf("Publish(%s): %v", kind, err)
	}
	return d
}

// count returns the number of documents in a collection.
func (e testEnv) count(t *testing.T, collection string) int64 {
	t.Helper()
	n, err := e.db.Collection(collection).CountDocuments(context.WithoutCancel(t.Context()), struct{}{})
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
