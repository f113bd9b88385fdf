package mongodb_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/mongodb"
	"github.com/omnify/bff/internal/mongodb/mongotest"
)

// openEmbedded starts an embedded database for one test.
func openEmbedded(t *testing.T, monitor *event.CommandMonitor) *mongodb.DB {
	t.Helper()
	db, err := mongodb.Open(t.Context(), mongodb.Options{DataDir: t.TempDir(), Database: "omnify", Monitor: monitor})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	return db
}

// openShared opens a fresh database on the package's test server, which
// runs in a process of its own (see mongotest): the load below measures
// the engine, not the race detector's instrumentation of it.
func openShared(t *testing.T, monitor *event.CommandMonitor) *mongodb.DB {
	t.Helper()
	db, err := mongodb.Open(t.Context(), mongodb.Options{URI: dbs.URI(), Database: dbs.DatabaseName(t), Monitor: monitor})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	return db
}

// second opens another client on db's database, as another process would.
func second(t *testing.T, db *mongodb.DB) *mongodb.DB {
	t.Helper()
	other, err := mongodb.Open(t.Context(), mongodb.Options{URI: dbs.URI(), Database: db.Database.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close(context.Background()) })
	return other
}

func TestEngineIsDetected(t *testing.T) {
	db := openEmbedded(t, nil)
	if db.Engine() != mongodb.FerretDB {
		t.Fatalf("engine = %q, want %q", db.Engine(), mongodb.FerretDB)
	}
	if other := openShared(t, nil); other.Engine() != mongodb.FerretDB {
		t.Fatalf("engine behind a URI = %q, want %q", other.Engine(), mongodb.FerretDB)
	}
}

func TestBulkWriteSendsCommandsOfBoundedSize(t *testing.T) {
	// The sizes of the commands that succeeded: one that timed out on a
	// busy machine is sent again (TestBulkWriteRetriesACommandThatTimedOut).
	var mu sync.Mutex
	var sizes []int
	started := map[int64]int{}
	db := openShared(t, &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			if e.CommandName != "update" {
				return
			}
			if arr, ok := e.Command.Lookup("updates").ArrayOK(); ok {
				vals, _ := arr.Values()
				mu.Lock()
				started[e.RequestID] = len(vals)
				mu.Unlock()
			}
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			mu.Lock()
			if n, ok := started[e.RequestID]; ok {
				sizes = append(sizes, n)
			}
			mu.Unlock()
		},
	})
	coll := db.Database.Collection("records")
	for _, n := range []int{0, 1, mongodb.MaxBulkStatements, 1000} {
		t.Run(fmt.Sprintf("%d models", n), func(t *testing.T) {
			mu.Lock()
			sizes = nil
			mu.Unlock()
			models := make([]mongo.WriteModel, n)
			for i := range models {
				models[i] = mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: i}}).
					SetReplacement(bson.D{{Key: "_id", Value: i}, {Key: "n", Value: n}}).SetUpsert(true)
			}
			res, err := db.BulkWrite(t.Context(), coll, models)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Matched + res.Upserted; got != int64(n) {
				t.Fatalf("matched+upserted = %d, want %d", got, n)
			}
			mu.Lock()
			defer mu.Unlock()
			sent := 0
			for _, s := range sizes {
				if s > mongodb.MaxBulkStatements {
					t.Errorf("a command carried %d statements, more than %d", s, mongodb.MaxBulkStatements)
				}
				sent += s
			}
			if sent != n {
				t.Fatalf("commands carried %d statements in all, want %d", sent, n)
			}
		})
	}
}

// TestExclusiveIsAtomicAcrossClients increments a counter by reading it and
// writing it back from two clients (as two processes would), each with
// several goroutines. FerretDB alone loses increments: its update reads the
// document and writes the whole of it back.
func TestExclusiveIsAtomicAcrossClients(t *testing.T) {
	a := openShared(t, nil)
	b := second(t, a)
	ctx := t.Context()
	if _, err := a.Database.Collection("counters").InsertOne(ctx, bson.M{"_id": "c", "n": 0}); err != nil {
		t.Fatal(err)
	}
	const perClient, rounds = 4, 10
	var wg sync.WaitGroup
	for _, db := range []*mongodb.DB{a, b} {
		coll := db.Database.Collection("counters")
		for range perClient {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					err := db.Exclusive(ctx, "counters", "c", func(ctx context.Context) error {
						return coll.FindOneAndUpdate(ctx, bson.M{"_id": "c"}, bson.M{"$inc": bson.M{"n": 1}}).Err()
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	var doc struct{ N int }
	if err := a.Database.Collection("counters").FindOne(ctx, bson.M{"_id": "c"}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if want := 2 * perClient * rounds; doc.N != want {
		t.Fatalf("count %d, want %d: an exclusive write was lost", doc.N, want)
	}
}

// TestExpiredLockHasOneTaker lets many callers of two clients find the same
// expired lock at once: exactly one may hold it at any moment.
func TestExpiredLockHasOneTaker(t *testing.T) {
	a := openShared(t, nil)
	b := second(t, a)
	ctx := t.Context()
	for round := range 5 {
		name := fmt.Sprintf("lock-%d", round)
		// A holder that died: its lock expired a moment ago.
		if _, err := a.Database.Collection("locks").InsertOne(ctx, bson.M{"_id": name, "token": "dead", "expiresAt": time.Now().UTC().Add(-time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
		var holding, most, took atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			coll := []*mongodb.DB{a, b}[i%2].Database.Collection("locks")
			wg.Add(1)
			go func() {
				defer wg.Done()
				release, err := mongodb.Lock(ctx, coll, name, 10*time.Second, 30*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				n := holding.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				took.Add(1)
				time.Sleep(2 * time.Millisecond)
				holding.Add(-1)
				release()
			}()
		}
		wg.Wait()
		if most.Load() != 1 || took.Load() != 16 {
			t.Fatalf("round %d: at most %d holders at once (want 1), %d of 16 took the lock", round, most.Load(), took.Load())
		}
	}
}

func TestMetricsShowPoolCommandsAndSQLiteFiles(t *testing.T) {
	db := openEmbedded(t, nil)
	if err := db.Check(t.Context()); err != nil {
		t.Fatalf("check: %v", err)
	}
	if _, err := db.Database.Collection("c").Find(t.Context(), bson.D{}, options.Find()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(db.Metrics())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*dto.MetricFamily{}
	for _, f := range families {
		got[f.GetName()] = f
	}
	gauge := func(name string) float64 {
		t.Helper()
		f := got[name]
		if f == nil || len(f.Metric) == 0 {
			t.Fatalf("no series %s", name)
		}
		return f.Metric[0].GetGauge().GetValue()
	}
	if v := gauge("omnify_mongodb_pool_connections"); v < 1 {
		t.Errorf("pool connections = %v, want at least 1", v)
	}
	if v := gauge("omnify_mongodb_sqlite_open_files"); v < 1 {
		t.Errorf("sqlite open files = %v, want at least 1", v)
	}
	if _, ok := got["omnify_mongodb_pool_checked_out_connections"]; !ok {
		t.Error("no checked-out series")
	}
	finds := uint64(0)
	for _, m := range got["omnify_mongodb_command_duration_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "command" && l.GetValue() == "find" {
				finds = m.GetHistogram().GetSampleCount()
			}
		}
	}
	if finds < 2 {
		t.Errorf("find commands timed = %d, want at least 2", finds)
	}
}

var dbs *mongotest.Server

func TestMain(m *testing.M) { mongotest.Main(m, &dbs) }

// TestEmbeddedListensOnAPrivateSocket: the embedded engine has no
// authentication, so it must not listen on TCP, where anything on the host
// could reach it; its Unix socket lives in a directory only this user opens,
// also when the data directory's path is too long for a socket.
func TestEmbeddedListensOnAPrivateSocket(t *testing.T) {
	for _, tt := range []struct{ name, dir string }{
		{"short path", t.TempDir()},
		{"path too long for a socket", filepath.Join(t.TempDir(), strings.Repeat("d", 90))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, err := mongodb.Open(t.Context(), mongodb.Options{DataDir: tt.dir, Database: "omnify"})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close(context.Background())
			host := strings.TrimSuffix(strings.TrimPrefix(db.Embedded.URI(), "mongodb://"), "/")
			socket, _ := url.QueryUnescape(host)
			if !strings.HasPrefix(socket, "/") || !strings.HasSuffix(socket, ".sock") {
				t.Fatalf("embedded URI %q does not name a Unix socket", db.Embedded.URI())
			}
			info, err := os.Stat(filepath.Dir(socket))
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm != 0o700 {
				t.Fatalf("socket directory mode %o, want 700", perm)
			}
			if err := db.Check(t.Context()); err != nil {
				t.Fatalf("the database does not answer on its socket: %v", err)
			}
		})
	}
}

// A bulk command the server answers after the operation deadline is sent
// again, and the write succeeds whole; a caller's own deadline is not
// retried.
func TestBulkWriteRetriesACommandThatTimedOut(t *testing.T) {
	// The proxy holds the next answer of the database for 2 s when
	// slowNext is set, once: a database too busy to answer one command
	// within the deadline.
	var slowNext atomic.Bool
	var held atomic.Int32
	uri := dbs.Proxy(t, func(toClient bool) {
		if toClient && slowNext.CompareAndSwap(true, false) {
			held.Add(1)
			time.Sleep(2 * time.Second)
		}
	})
	db, err := mongodb.Open(t.Context(), mongodb.Options{
		URI: uri, Database: dbs.DatabaseName(t),
		OpTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	coll := db.Database.Collection("records")
	models := func(n int) []mongo.WriteModel {
		out := make([]mongo.WriteModel, n)
		for i := range out {
			out[i] = mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: i}}).
				SetReplacement(bson.D{{Key: "_id", Value: i}, {Key: "n", Value: n}}).SetUpsert(true)
		}
		return out
	}

	slowNext.Store(true)
	res, err := db.BulkWrite(t.Context(), coll, models(40))
	if err != nil {
		t.Fatalf("a write whose first command timed out failed: %v", err)
	}
	if got := res.Matched + res.Upserted; got != 40 || held.Load() != 1 {
		t.Fatalf("matched+upserted = %d (held %d answers), want 40 after one held answer", got, held.Load())
	}
	if n, err := coll.CountDocuments(t.Context(), bson.D{}); err != nil || n != 40 {
		t.Fatalf("%d documents (%v), want 40", n, err)
	}
	if got := metricValue(t, db, "omnify_mongodb_bulk_retries_total"); got != 1 {
		t.Fatalf("omnify_mongodb_bulk_retries_total = %v, want 1", got)
	}

	// The caller's deadline ends the write: no retry past it.
	slowNext.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := db.BulkWrite(ctx, coll, models(10)); err == nil {
		t.Fatal("a write past the caller's deadline succeeded")
	}
	if got := metricValue(t, db, "omnify_mongodb_bulk_retries_total"); got != 1 {
		t.Fatalf("retried past the caller's deadline: omnify_mongodb_bulk_retries_total = %v", got)
	}
}

// metricValue is the value of db's counter name.
func metricValue(t *testing.T, db *mongodb.DB, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(db.Metrics())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.Metric) > 0 {
			return f.Metric[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s", name)
	return 0
}
