// Package mongodb connects Omnify to MongoDB: to the server named by
// MONGODB_URI, or to a FerretDB embedded in the process when none is given,
// so that development and tests speak the real wire protocol through the
// real driver with nothing else running.
//
// It is the one package that knows how the two engines differ. Stores call
// the driver for reads and single-document writes, and come here for what
// the engines do differently; they never ask which engine they run on.
//
// What FerretDB v1 (1.24, SQLite backend) does not give, and what this
// package does about it:
//
//   - Conditional writes are not atomic. Its update and findAndModify
//     evaluate the filter, then write the whole document back by _id in a
//     second step, so two compare-and-set writes can both succeed, and a
//     write can undo a concurrent one. Only an insert against a unique index
//     is atomic. [DB.Exclusive] holds a lock document (a unique insert, see
//     [Lock]) around a read-modify-write of one document, so such writes are
//     atomic across processes; on MongoDB it adds nothing.
//   - A bulk write can deadlock it. Its update handler keeps each
//     statement's SQLite query (one connection of a pool of 100 per
//     database) open until the whole command ends, so an update command of
//     about 100 statements waits forever for a connection only it can free,
//     and a smaller one still starves concurrent requests. [DB.BulkWrite]
//     splits every bulk write into commands of at most [MaxBulkStatements]
//     statements on every engine (FerretDB gets smaller ones, one command at
//     a time per process), and the driver's pool to FerretDB is capped at
//     [ferretPoolSize] connections, so the commands in flight can never hold
//     the whole SQLite pool.
//   - A stuck handler is never cancelled. FerretDB runs a command to its end
//     even after the client gave up, so every call has a deadline
//     ([Options.OpTimeout], the driver's client-side operation timeout) and
//     the caller gets an error instead of waiting with it.
//   - ping does not touch storage: it answers while every SQLite connection
//     is taken. [DB.Check] reads a document instead, for /readyz.
//   - Only _id lookups are fast. Every other filter, $in and sort scans the
//     collection. Stores keep hot reads on _id and keep test data small;
//     tests assert command counts, not times.
//   - There are no TTL indexes and no transactions or change streams (see
//     [Index]); the design uses neither.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// DefaultOpTimeout bounds a database call whose context has no earlier deadline.
const DefaultOpTimeout = 5 * time.Second

// ferretPoolSize caps the driver's connections to a FerretDB. Each command
// in flight there holds at most two SQLite connections (its query and a
// write) except a bulk write, which holds one per statement; the cap keeps
// the sum below the 100 SQLite connections of a database:
// (ferretPoolSize-ferretBulkCommands)*2 + ferretBulkCommands*(ferretBulkStatements+1) < 100.
const ferretPoolSize = 32

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
	// OpTimeout bounds every database call whose context has no earlier
	// deadline [DefaultOpTimeout].
	OpTimeout time.Duration
	// Logger receives the embedded database's warnings and errors; nil discards them.
	Logger *slog.Logger
	// Monitor, when set, sees every command the client sends (tests count them).
	Monitor *event.CommandMonitor
	// AppName is reported to the server for its logs and profiler.
	AppName string
}

// Engine names the kind of server at the other end.
type Engine string

const (
	// MongoDB is a MongoDB server, replica set or Atlas cluster.
	MongoDB Engine = "mongodb"
	// FerretDB is FerretDB v1, embedded or standalone.
	FerretDB Engine = "ferretdb"
)

// DB is an open connection to Omnify's database.
type DB struct {
	// Client is the driver client, shared by every module.
	Client *mongo.Client
	// Database is Omnify's database on that client.
	Database *mongo.Database
	// Embedded is the in-process FerretDB, or nil when connected to MONGODB_URI.
	Embedded *Embedded

	engine    Engine
	opTimeout time.Duration
	metrics   *Metrics
	// bulk admits one bulk command at a time per process on FerretDB.
	bulk chan struct{}
	// owned is false for a DB that shares another's client (Attach).
	owned bool
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
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = DefaultOpTimeout
	}
	db := &DB{opTimeout: opts.OpTimeout, metrics: newMetrics(), owned: true}
	uri := opts.URI
	if uri == "" {
		emb, err := StartEmbedded(opts.DataDir, opts.Logger)
		if err != nil {
			return nil, err
		}
		db.Embedded = emb
		db.metrics.embedded = emb
		uri = emb.URI()
	}

	connect := func(poolSize uint64) error {
		co := options.Client().
			ApplyURI(uri).
			SetConnectTimeout(opts.ConnectTimeout).
			SetServerSelectionTimeout(opts.ConnectTimeout).
			SetTimeout(opts.OpTimeout).
			SetAppName(cmp(opts.AppName, "omnify")).
			SetBSONOptions(&options.BSONOptions{UseLocalTimeZone: false}).
			SetMonitor(db.metrics.commandMonitor(opts.Monitor)).
			SetPoolMonitor(db.metrics.poolMonitor())
		if poolSize > 0 {
			co.SetMaxPoolSize(poolSize)
		}
		client, err := mongo.Connect(co)
		if err != nil {
			return fmt.Errorf("mongodb: connect: %w", err)
		}
		db.Client = client
		db.Database = client.Database(opts.Database)
		return nil
	}
	unreachable := func(err error) error {
		if opts.URI != "" {
			return fmt.Errorf("mongodb: cannot reach the server in MONGODB_URI within %s: %w", opts.ConnectTimeout, err)
		}
		return fmt.Errorf("mongodb: embedded database does not answer: %w", err)
	}

	var pool uint64
	if db.Embedded != nil {
		pool = ferretPoolSize
	}
	if err := connect(pool); err != nil {
		db.closeEmbedded()
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	engine, err := detectEngine(pingCtx, db.Client)
	if err != nil {
		_ = db.Close(context.WithoutCancel(ctx))
		return nil, unreachable(err)
	}
	if engine == FerretDB && pool == 0 {
		// A standalone FerretDB behind MONGODB_URI: the pool size is fixed
		// at connect, so connect again with the cap.
		_ = db.Client.Disconnect(pingCtx)
		if err := connect(ferretPoolSize); err != nil {
			db.closeEmbedded()
			return nil, err
		}
	}
	db.setEngine(engine)
	if err := db.Client.Ping(pingCtx, readpref.Primary()); err != nil {
		_ = db.Close(context.WithoutCancel(ctx))
		return nil, unreachable(err)
	}
	if err := db.writeProbe(pingCtx); err != nil {
		_ = db.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return db, nil
}

// Attach returns a DB for the database name on a client another DB owns
// (tests give each test its own database on a shared server). Closing it
// leaves the client open.
func Attach(ctx context.Context, client *mongo.Client, name string) (*DB, error) {
	engine, err := detectEngine(ctx, client)
	if err != nil {
		return nil, fmt.Errorf("mongodb: %w", err)
	}
	db := &DB{Client: client, Database: client.Database(name), opTimeout: DefaultOpTimeout, metrics: newMetrics()}
	db.setEngine(engine)
	if err := db.writeProbe(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

func (db *DB) setEngine(e Engine) {
	db.engine = e
	if e == FerretDB {
		db.bulk = make(chan struct{}, ferretBulkCommands)
	}
}

// detectEngine asks the server what it is: FerretDB adds ferretdbVersion
// to buildInfo.
func detectEngine(ctx context.Context, client *mongo.Client) (Engine, error) {
	var info bson.M
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return "", fmt.Errorf("build info: %w", err)
	}
	if _, ok := info["ferretdbVersion"]; ok {
		return FerretDB, nil
	}
	return MongoDB, nil
}

// Engine reports which kind of server the DB talks to, for logs and
// metrics; stores must not branch on it.
func (db *DB) Engine() Engine { return db.engine }

// OpTimeout is the deadline every call gets when its context has none earlier.
func (db *DB) OpTimeout() time.Duration { return db.opTimeout }

// Metrics returns the database series (pool, command durations and, with
// the embedded engine, SQLite connections) for the process's registry.
func (db *DB) Metrics() *Metrics { return db.metrics }

// readinessCollection holds the one document Check reads.
const readinessCollection = "omnify_readiness"

// writeProbe stores the document Check reads. It must exist: FerretDB
// answers a find on a missing collection from memory, without storage.
func (db *DB) writeProbe(ctx context.Context) error {
	_, err := db.Database.Collection(readinessCollection).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: "probe"}},
		bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "purpose", Value: "read by the readiness check"}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mongodb: write readiness probe: %w", err)
	}
	return nil
}

// Check reports whether the database answers a real read within the
// context's deadline. A ping is not enough: FerretDB answers it without
// touching its storage, so it succeeds while every SQLite connection is
// stuck.
func (db *DB) Check(ctx context.Context) error {
	if err := db.Database.Collection(readinessCollection).FindOne(ctx, bson.D{{Key: "_id", Value: "probe"}}).Err(); err != nil {
		return fmt.Errorf("mongodb: read: %w", err)
	}
	return nil
}

// Ping checks that the server answers; see Check for a read that reaches storage.
func (db *DB) Ping(ctx context.Context) error {
	return db.Client.Ping(ctx, readpref.Primary())
}

// Close disconnects the client, then stops the embedded database, if any.
func (db *DB) Close(ctx context.Context) error {
	var err error
	if db.Client != nil && db.owned {
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
