// Package mongodb connects Omnify to MongoDB: to the server named by
// MONGODB_URI, or to a FerretDB embedded in the process when none is given,
// so that development and tests speak the real wire protocol through the
// real driver with nothing else running.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// Options says where and how to connect.
type Options struct {
	// URI of a MongoDB deployment; empty starts an embedded FerretDB under DataDir.
	URI string
	// Database is the name of the database Omnify uses.
	Database string
	// DataDir holds the embedded database's files when URI is empty.
	DataDir string
	// ConnectTimeout bounds connecting and the first ping.
	ConnectTimeout time.Duration
	// Logger receives the embedded database's warnings and errors; nil discards them.
	Logger *slog.Logger
	// Monitor, when set, sees every command the client sends (tests count them).
	Monitor *event.CommandMonitor
	// AppName is reported to the server for its logs and profiler.
	AppName string
}

// DB is an open connection to Omnify's database.
type DB struct {
	// Client is the driver client, shared by every module.
	Client *mongo.Client
	// Database is Omnify's database on that client.
	Database *mongo.Database
	// Embedded is the in-process FerretDB, or nil when connected to MONGODB_URI.
	Embedded *Embedded
}

// Open connects to MongoDB, or starts an embedded FerretDB and connects to it,
// and pings the server. It fails within opts.ConnectTimeout when the server
// cannot be reached.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.Database == "" {
		return nil, errors.New("mongodb: database name is empty")
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	db := &DB{}
	uri := opts.URI
	if uri == "" {
		emb, err := StartEmbedded(opts.DataDir, opts.Logger)
		if err != nil {
			return nil, err
		}
		db.Embedded = emb
		uri = emb.URI()
	}

	co := options.Client().
		ApplyURI(uri).
		SetConnectTimeout(opts.ConnectTimeout).
		SetServerSelectionTimeout(opts.ConnectTimeout).
		SetAppName(cmp(opts.AppName, "omnify")).
		SetBSONOptions(&options.BSONOptions{UseLocalTimeZone: false})
	if opts.Monitor != nil {
		co.SetMonitor(opts.Monitor)
	}
	client, err := mongo.Connect(co)
	if err != nil {
		db.closeEmbedded()
		return nil, fmt.Errorf("mongodb: connect: %w", err)
	}
	db.Client = client
	db.Database = client.Database(opts.Database)

	pingCtx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if err := client.Ping(pingCtx, readpref.Primary()); err != nil {
		_ = db.Close(context.WithoutCancel(ctx))
		if opts.URI != "" {
			return nil, fmt.Errorf("mongodb: cannot reach the server in MONGODB_URI within %s: %w", opts.ConnectTimeout, err)
		}
		return nil, fmt.Errorf("mongodb: embedded database does not answer: %w", err)
	}
	return db, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.Client.Ping(ctx, readpref.Primary())
}

// Close disconnects the client, then stops the embedded database, if any.
func (db *DB) Close(ctx context.Context) error {
	var err error
	if db.Client != nil {
		err = db.Client.Disconnect(ctx)
	}
	db.closeEmbedded()
	return err
}

func (db *DB) closeEmbedded() {
	if db.Embedded != nil {
		db.Embedded.Close()
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
