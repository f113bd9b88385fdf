package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MaxBulkStatements is the most statements one bulk write command carries
// on any engine. MongoDB would take 100,000; the cost of smaller commands
// there is a few round trips nobody notices.
const MaxBulkStatements = 50

// FerretDB holds one SQLite connection per statement until a command ends
// (see the package comment): its commands are smaller, and a process sends
// only this many at a time.
const (
	ferretBulkStatements = 16
	ferretBulkCommands   = 1
)

// A bulk command that times out is sent again, at most bulkAttempts times
// in all, after a pause that doubles from bulkRetryPause. A busy server
// (FerretDB on a loaded machine above all) can take longer than the
// operation deadline for one command without being stuck, and a sync that
// then failed would throw away everything it fetched; the statements are
// idempotent (see BulkWrite), so sending one again is safe. A caller's own
// deadline or cancellation is never retried.
const (
	bulkAttempts   = 3
	bulkRetryPause = 250 * time.Millisecond
)

// BulkResult adds up the results of the commands of one BulkWrite.
type BulkResult struct {
	// Inserted, Matched, Modified, Upserted and Deleted count documents as
	// the driver's mongo.BulkWriteResult does.
	Inserted, Matched, Modified, Upserted, Deleted int64
}

// BulkWrite writes models to coll unordered, in commands of at most
// MaxBulkStatements statements (fewer on FerretDB), and adds up their
// results. Each command runs under its own operation deadline, and one that
// times out is sent again (bulkAttempts). On an error the commands sent
// before it stay written. The models must be idempotent (upserts by _id):
// a command may be applied twice, and the caller retries the whole batch.
func (db *DB) BulkWrite(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel) (BulkResult, error) {
	var total BulkResult
	size := MaxBulkStatements
	if db.engine == FerretDB {
		size = ferretBulkStatements
	}
	for start := 0; start < len(models); start += size {
		end := min(start+size, len(models))
		res, err := db.bulkCommandRetried(ctx, coll, models[start:end])
		if err != nil {
			return total, fmt.Errorf("mongodb: bulk write to %s: %w", coll.Name(), err)
		}
		total.Inserted += res.InsertedCount
		total.Matched += res.MatchedCount
		total.Modified += res.ModifiedCount
		total.Upserted += res.UpsertedCount
		total.Deleted += res.DeletedCount
	}
	return total, nil
}

// bulkCommandRetried sends one bulk command, again when it times out.
func (db *DB) bulkCommandRetried(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel) (*mongo.BulkWriteResult, error) {
	pause := bulkRetryPause
	for attempt := 1; ; attempt++ {
		res, err := db.bulkCommand(ctx, coll, models)
		if err == nil || attempt == bulkAttempts || ctx.Err() != nil || !mongo.IsTimeout(err) {
			return res, err
		}
		db.metrics.bulkRetries.Inc()
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return nil, err
		}
		pause *= 2
	}
}

func (db *DB) bulkCommand(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel) (*mongo.BulkWriteResult, error) {
	if db.bulk != nil {
		select {
		case db.bulk <- struct{}{}:
			defer func() { <-db.bulk }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
}
