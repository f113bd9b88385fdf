package mongodb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ErrLocked is returned by Lock when another holder keeps the lock past the wait.
var ErrLocked = errors.New("mongodb: lock is held elsewhere")

// locksCollection holds the lock documents of DB.Exclusive.
const locksCollection = "omnify_locks"

// lockDoc is a held lock, or (Takeover set) the right to remove one.
type lockDoc struct {
	ID        string    `bson:"_id"`
	Token     string    `bson:"token"`
	ExpiresAt time.Time `bson:"expiresAt"`
	Takeover  bool      `bson:"takeover,omitempty"`
}

// takeoverKeep is how long the record of a removed lock is kept: long past
// any deadline of a call that could still act on the lock it removed.
const takeoverKeep = time.Hour

// Lock takes a named mutual-exclusion lock shared by every process that uses
// the database, for the few changes that must read and write more than one
// document as a unit (there are no transactions on the embedded engine).
//
// The lock is a document whose _id is the name: inserting it succeeds for
// one caller only, because _id is unique on every engine. A conditional
// update would not do: FerretDB v1 evaluates an update's filter and writes
// the document in two steps, so two updates conditioned on the same state
// can both succeed. A holder that dies leaves the lock to expire after ttl.
// Removing an expired lock is itself claimed with a unique insert (a
// takeover record named after the expired holder's token), because a
// delete on FerretDB also checks its filter before it deletes by _id: two
// callers that both saw the lock expire could otherwise remove each other's
// fresh locks.
//
// Lock waits up to wait for the lock, then returns ErrLocked. Call the
// returned release when done; it only removes the caller's own lock.
func Lock(ctx context.Context, coll *mongo.Collection, name string, ttl, wait time.Duration) (release func(), err error) {
	var tok [12]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	deadline := time.Now().Add(wait)
	pause := 2 * time.Millisecond
	for {
		expires := time.Now().UTC().Add(ttl)
		_, err := coll.InsertOne(ctx, lockDoc{ID: name, Token: token, ExpiresAt: expires})
		if err == nil {
			return func() { unlock(context.WithoutCancel(ctx), coll, name, token, expires, ttl) }, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("take lock %s: %w", name, err)
		}
		retry, err := takeOverExpired(ctx, coll, name)
		if err != nil {
			return nil, err
		}
		if retry {
			continue
		}
		if time.Now().After(deadline) {
			return nil, ErrLocked
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// takeOverExpired removes the lock called name if its holder let it expire,
// and reports whether the caller should try to insert again at once.
func takeOverExpired(ctx context.Context, coll *mongo.Collection, name string) (bool, error) {
	var cur lockDoc
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return true, nil // released meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("read lock %s: %w", name, err)
	}
	now := time.Now().UTC()
	if !cur.ExpiresAt.Before(now) {
		return false, nil
	}
	claimed, err := claimRemoval(ctx, coll, name, cur.Token, now)
	if err != nil || !claimed {
		return false, err
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: name}, {Key: "token", Value: cur.Token}}); err != nil {
		return false, fmt.Errorf("remove expired lock %s: %w", name, err)
	}
	// Takeover records older than takeoverKeep serve no one any more.
	_, _ = coll.DeleteMany(ctx, bson.D{{Key: "takeover", Value: true}, {Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: now}}}})
	return true, nil
}

// claimRemoval inserts the record that gives its inserter, and no one
// else, the right to remove the lock name held with token.
func claimRemoval(ctx context.Context, coll *mongo.Collection, name, token string, now time.Time) (bool, error) {
	_, err := coll.InsertOne(ctx, lockDoc{ID: name + "~" + token, Token: token, ExpiresAt: now.Add(takeoverKeep), Takeover: true})
	switch {
	case err == nil:
		return true, nil
	case mongo.IsDuplicateKeyError(err):
		return false, nil
	default:
		return false, fmt.Errorf("claim expired lock %s: %w", name, err)
	}
}

// unlock removes the caller's lock. While the lock is well within its ttl,
// no one else may remove it, so a plain delete is safe; near or past its
// expiry, another caller may be taking it over, so the removal is claimed
// first like a takeover.
func unlock(ctx context.Context, coll *mongo.Collection, name, token string, expires time.Time, ttl time.Duration) {
	now := time.Now().UTC()
	if now.Add(ttl / 2).After(expires) {
		claimed, err := claimRemoval(ctx, coll, name, token, now)
		if err != nil || !claimed {
			return
		}
	}
	_, _ = coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: name}, {Key: "token", Value: token}})
}

// exclusiveTTL is how long a lock of Exclusive lives if its holder dies
// mid-write; a live holder is done within its operation deadlines.
const exclusiveTTL = 30 * time.Second

// Exclusive runs fn, a read-modify-write of the one document named by
// collection and id (an update or findAndModify with conditions), so that
// it is atomic against every other Exclusive call for the same document,
// in this process and in others on the same database.
//
// MongoDB applies an update's filter and change as one step, so there fn
// simply runs. FerretDB v1 reads the document and writes it back by _id,
// so two writes conditioned on the same state can both succeed and one can
// undo the other: there fn runs under a Lock on the document (one insert
// and one delete more per write). Every writer of such a document must go
// through Exclusive.
func (db *DB) Exclusive(ctx context.Context, collection string, id any, fn func(ctx context.Context) error) error {
	if db.engine != FerretDB {
		return fn(ctx)
	}
	name := fmt.Sprintf("doc:%s:%v", collection, id)
	release, err := Lock(ctx, db.Database.Collection(locksCollection), name, exclusiveTTL, db.opTimeout)
	if err != nil {
		return fmt.Errorf("mongodb: lock %s: %w", name, err)
	}
	defer release()
	return fn(ctx)
}

// ProcessOwner names this process uniquely (host, process id and a random
// suffix), for the owner of the leases its workers take.
func ProcessOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
}
