// Package mongotest gives tests a real database: one embedded FerretDB per
// test package, started from TestMain, and a fresh database per test.
//
//	var dbs *mongotest.Server
//
//	func TestMain(m *testing.M) { mongotest.Main(m, &dbs) }
//
//	func TestX(t *testing.T) { db := dbs.NewDatabase(t) ... }
package mongotest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/mongodb"
)

// Server is an embedded FerretDB shared by the tests of one package.
type Server struct {
	dir      string
	embedded *mongodb.Embedded
	client   *mongo.Client
	counters atomic.Pointer[[]*mongodb.CommandCounter]
	seq      atomic.Int64
}

// Main starts a Server, stores it in *srv, runs the tests and stops the
// server; it calls os.Exit with the tests' status.
func Main(m *testing.M, srv **Server) {
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mongotest:", err)
		os.Exit(1)
	}
	*srv = s
	code := m.Run()
	s.Close()
	os.Exit(code)
}

// Start starts an embedded FerretDB in a temporary directory.
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "omnify-mongotest-")
	if err != nil {
		return nil, err
	}
	emb, err := mongodb.StartEmbedded(dir, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{dir: dir, embedded: emb}
	s.counters.Store(&[]*mongodb.CommandCounter{})
	db, err := mongodb.Open(context.Background(), mongodb.Options{
		URI:      emb.URI(),
		Database: "admin",
		Monitor:  &event.CommandMonitor{Started: s.started},
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.client = db.Client
	return s, nil
}

// URI is the connection string of the shared server, for tests that start
// the whole application against it.
func (s *Server) URI() string { return s.embedded.URI() }

// DatabaseName returns a new database name, unique within the package run,
// derived from the test's name; the database is dropped when the test ends.
func (s *Server) DatabaseName(t testing.TB) string {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("t%d_%s", s.seq.Add(1), name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.client.Database(name).Drop(ctx)
	})
	return name
}

// NewDatabase returns a fresh database for the test and a counter of the
// commands sent to it.
func (s *Server) NewDatabase(t testing.TB) (*mongo.Database, *mongodb.CommandCounter) {
	t.Helper()
	name := s.DatabaseName(t)
	c := mongodb.NewCommandCounter(name)
	for {
		old := s.counters.Load()
		next := append(append([]*mongodb.CommandCounter{}, *old...), c)
		if s.counters.CompareAndSwap(old, &next) {
			break
		}
	}
	return s.client.Database(name), c
}

// NewDB is NewDatabase as a *mongodb.DB, for stores that need the engine's
// helpers (bulk writes, exclusive writes).
func (s *Server) NewDB(t testing.TB) (*mongodb.DB, *mongodb.CommandCounter) {
	t.Helper()
	database, counter := s.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := mongodb.Attach(ctx, s.client, database.Name())
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	return db, counter
}

// OpenSQLiteFiles counts the SQLite connections the server holds open to
// the database called name (idle or in use).
func (s *Server) OpenSQLiteFiles(name string) int { return s.embedded.OpenSQLiteFiles(name) }

func (s *Server) started(ctx context.Context, e *event.CommandStartedEvent) {
	for _, c := range *s.counters.Load() {
		c.Started(ctx, e)
	}
}

// Close disconnects and stops the server and removes its files.
func (s *Server) Close() {
	if s.client != nil {
		_ = s.client.Disconnect(context.Background())
	}
	s.embedded.Close()
	os.RemoveAll(s.dir)
}
