package mongodb

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Embedded is a FerretDB running inside this process on a loopback port,
// storing its data in SQLite files.
type Embedded struct {
	dir    string
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
}

// StartEmbedded starts FerretDB with its SQLite files under dir/ferretdb,
// listening on a free loopback port. Its log records below warning level are
// dropped; the rest go to logger.
func StartEmbedded(dir string, logger *slog.Logger) (*Embedded, error) {
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
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + path + "/",
		Logger:    slog.New(minLevel{Handler: logger.With("component", "ferretdb").Handler(), min: slog.LevelWarn}),
	})
	if err != nil {
		return nil, fmt.Errorf("mongodb: start embedded database in %s: %w", path, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Embedded{dir: path, uri: f.MongoDBURI(), cancel: cancel, done: make(chan struct{})}
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
