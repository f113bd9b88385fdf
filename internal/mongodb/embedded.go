package mongodb

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Embedded is a FerretDB running inside this process, storing its data in
// SQLite files, reached through a Unix socket (or, for tests, a loopback
// port).
type Embedded struct {
	dir    string
	uri    string
	socket string // the Unix socket's file, removed at Close
	tmp    string // a directory made for the socket, removed at Close
	cancel context.CancelFunc
	done   chan struct{}
}

// maxSocketPath keeps a Unix socket's path within what every system
// accepts (108 bytes on Linux, 104 on macOS, with the terminating zero).
const maxSocketPath = 100

// StartEmbedded starts FerretDB with its SQLite files under dir/ferretdb.
// It listens on a Unix socket in that directory, which only this user may
// open: the embedded engine has no authentication, so a TCP port, even on
// loopback, would let anything on the host read and write the database.
// Where the directory's path is too long for a socket, the socket goes in a
// private temporary directory instead. Its log records below warning level
// are dropped; the rest go to logger.
func StartEmbedded(dir string, logger *slog.Logger) (*Embedded, error) {
	return startEmbedded(dir, logger, false)
}

// StartEmbeddedTCP is StartEmbedded listening on a free loopback port, for
// tests that share one server between processes or put a proxy in front of
// it. The product never uses it.
func StartEmbeddedTCP(dir string, logger *slog.Logger) (*Embedded, error) {
	return startEmbedded(dir, logger, true)
}

func startEmbedded(dir string, logger *slog.Logger, tcp bool) (*Embedded, error) {
	if dir == "" {
		return nil, fmt.Errorf("mongodb: embedded database needs a data directory")
	}
	path, err := filepath.Abs(filepath.Join(dir, "ferretdb"))
	if err != nil {
		return nil, fmt.Errorf("mongodb: data directory: %w", err)
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("mongodb: create data directory: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone.
	if err := os.Chmod(path, 0o700); err != nil {
		return nil, fmt.Errorf("mongodb: restrict data directory: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Embedded{dir: path, done: make(chan struct{})}
	listener := ferretdb.ListenerConfig{TCP: "127.0.0.1:0"}
	if !tcp {
		// Named after the process: another process (omnify legal publish)
		// may serve the same files at the same time.
		name := fmt.Sprintf("ferretdb-%d.sock", os.Getpid())
		e.socket = filepath.Join(path, name)
		if len(e.socket) > maxSocketPath {
			if e.tmp, err = os.MkdirTemp("", "omnify-db-"); err != nil { // mode 0700
				return nil, fmt.Errorf("mongodb: socket directory: %w", err)
			}
			e.socket = filepath.Join(e.tmp, name)
		}
		_ = os.Remove(e.socket) // left by an earlier process with this id that was killed
		listener = ferretdb.ListenerConfig{Unix: e.socket}
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  listener,
		Handler:   "sqlite",
		SQLiteURL: "file:" + path + "/",
		Logger:    slog.New(minLevel{Handler: logger.With("component", "ferretdb").Handler(), min: slog.LevelWarn}),
	})
	if err != nil {
		e.removeSocket()
		return nil, fmt.Errorf("mongodb: start embedded database in %s: %w", path, err)
	}
	e.uri = f.MongoDBURI()
	if !tcp {
		// The driver wants the socket's path percent-encoded as the host.
		e.uri = "mongodb://" + url.QueryEscape(e.socket) + "/"
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() {
		defer close(e.done)
		_ = f.Run(ctx)
	}()
	return e, nil
}

// URI is the connection string of the embedded server.
func (e *Embedded) URI() string { return e.uri }

// OpenSQLiteFiles counts the SQLite connections the embedded server holds
// open (idle or in use) to database, or to any database when it is empty;
// -1 where the system does not say.
func (e *Embedded) OpenSQLiteFiles(database string) int {
	return OpenSQLiteFiles(os.Getpid(), e.dir, database)
}

// Close stops the server and waits until its files are closed.
func (e *Embedded) Close() {
	e.cancel()
	<-e.done
	e.removeSocket()
}

func (e *Embedded) removeSocket() {
	if e.socket != "" {
		_ = os.Remove(e.socket)
	}
	if e.tmp != "" {
		_ = os.RemoveAll(e.tmp)
	}
}

// minLevel drops records below a level before they reach the wrapped handler.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// Handle drops FerretDB's dumps of wire messages, which it logs at warning
// level beside any failed command (the driver's endSessions at every
// disconnect among them); the error itself reaches the client that sent it.
func (h minLevel) Handle(ctx context.Context, r slog.Record) error {
	for _, p := range []string{"Request header", "Request message", "Response header", "Response message"} {
		if strings.HasPrefix(r.Message, p) {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
