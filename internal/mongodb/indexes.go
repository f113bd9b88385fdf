package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Index is one index a store needs. TTL, when positive, asks MongoDB to
// delete documents that many seconds after the indexed time; stores must not
// rely on it for correctness, because the embedded FerretDB has no TTL
// indexes and keeps such documents (each store ignores expired ones when
// reading).
type Index struct {
	Name   string // the index's name, stable across releases
	Keys   any    // the key document, e.g. bson.D{{Key: "email", Value: 1}}
	Unique bool   // refuse a second document with the same keys
	TTL    int32  // seconds after the indexed time to delete a document; 0 for none
}

// IndexBuildTimeout bounds the creation of one index at start-up, in place
// of the operation deadline (OMNIFY_MONGODB_OP_TIMEOUT), which is sized for
// requests: MongoDB may need longer to build an index over a large
// collection, and a busy machine to answer at all, and a process that
// cannot create its indexes does not start.
const IndexBuildTimeout = time.Minute

// EnsureIndexes creates the indexes on coll; it is idempotent, so every
// process runs it at start-up. Each index is its own command: FerretDB v1
// drops the connection when one createIndexes command lists several indexes
// that all exist already. Each command has IndexBuildTimeout, or ctx's
// earlier deadline.
func EnsureIndexes(ctx context.Context, coll *mongo.Collection, indexes ...Index) error {
	for _, ix := range indexes {
		if err := ensureIndex(ctx, coll, ix); err != nil {
			return err
		}
	}
	return nil
}

func ensureIndex(ctx context.Context, coll *mongo.Collection, ix Index) error {
	ctx, cancel := context.WithTimeout(ctx, IndexBuildTimeout)
	defer cancel()
	model := func(withTTL bool) mongo.IndexModel {
		o := options.Index().SetName(ix.Name)
		if ix.Unique {
			o.SetUnique(true)
		}
		if ix.TTL > 0 && withTTL {
			o.SetExpireAfterSeconds(ix.TTL)
		}
		return mongo.IndexModel{Keys: ix.Keys, Options: o}
	}
	_, err := coll.Indexes().CreateOne(ctx, model(true))
	if isNotImplemented(err) {
		_, err = coll.Indexes().CreateOne(ctx, model(false))
	}
	if err != nil {
		return fmt.Errorf("create index %s on %s: %w", ix.Name, coll.Name(), err)
	}
	return nil
}

// isNotImplemented reports the server's NotImplemented error (code 238),
// which FerretDB returns for index options it does not support.
func isNotImplemented(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 238
}
