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
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/mongodb"
)

// Server is an embedded FerretDB shared by the tests of one package.
type Server struct {
	dir string
	uri string
	// proc runs the database in its own process (see Start); embedded is
	// used instead where that process cannot be built.
	proc     *exec.Cmd
	stdin    io.WriteCloser
	exited   chan struct{}
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
//
// The database runs in a process of its own, built from ./testdb without
// the race detector: under go test -race an in-process FerretDB would be
// instrumented too, and its SQLite (Go translated from C) then runs many
// times slower than the code under test, so that load tests measure the
// instrumentation. Where the go command cannot build it, the database runs
// in this process instead.
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "omnify-mongotest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	if err := s.startProcess(); err != nil {
		fmt.Fprintf(os.Stderr, "mongotest: running the database in the test process: %v\n", err)
		emb, err := mongodb.StartEmbeddedTCP(dir, nil)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.embedded, s.uri = emb, emb.URI()
	}
	s.counters.Store(&[]*mongodb.CommandCounter{})
	db, err := mongodb.Open(context.Background(), mongodb.Options{
		URI:      s.uri,
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

// startProcess builds ./testdb and starts it on the server's directory.
func (s *Server) startProcess() error {
	bin := filepath.Join(s.dir, "testdb")
	build := exec.Command("go", "build", "-o", bin, "github.com/omnify/bff/internal/mongodb/mongotest/testdb")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build testdb: %w: %s", err, out)
	}
	cmd := exec.Command(bin, filepath.Join(s.dir, "data"))
	// The pipe closes when this process exits, however it exits, and that
	// stops the database; it is kept so that it is not closed before.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	s.stdin = stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	s.proc, s.exited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		s.stopProcess()
		return fmt.Errorf("testdb did not start: %w", err)
	}
	s.uri = strings.TrimSpace(line)
	return nil
}

func (s *Server) stopProcess() {
	_ = s.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.proc.Process.Kill()
		<-s.exited
	}
}

// URI is the connection string of the shared server, for tests that start
// the whole application against it.
func (s *Server) URI() string { return s.uri }

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
func (s *Server) OpenSQLiteFiles(name string) int {
	if s.embedded != nil {
		return s.embedded.OpenSQLiteFiles(name)
	}
	return mongodb.OpenSQLiteFiles(s.proc.Process.Pid, filepath.Join(s.dir, "data", "ferretdb"), name)
}

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
	if s.proc != nil {
		s.stopProcess()
	}
	if s.embedded != nil {
		s.embedded.Close()
	}
	os.RemoveAll(s.dir)
}
