package mongodb

import (
	"context"
	"fmt"

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

// BulkResult adds up the results of the commands of one BulkWrite.
type BulkResult struct {
	// Inserted, Matched, Modified, Upserted and Deleted count documents as
	// the driver's mongo.BulkWriteResult does.
	Inserted, Matched, Modified, Upserted, Deleted int64
}

// BulkWrite writes models to coll unordered, in commands of at most
// MaxBulkStatements statements (fewer on FerretDB), and adds up their
// results. Each command runs under its own operation deadline. On an error
// the commands sent before it stay written; the models are meant to be
// idempotent (upserts by _id), so the caller retries the whole batch.
func (db *DB) BulkWrite(ctx context.Context, coll *mongo.Collection, models []mongo.WriteModel) (BulkResult, error) {
	var total BulkResult
	size := MaxBulkStatements
	if db.engine == FerretDB {
		size = ferretBulkStatements
	}
	for start := 0; start < len(models); start += size {
		end := min(start+size, len(models))
		res, err := db.bulkCommand(ctx, coll, models[start:end])
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
