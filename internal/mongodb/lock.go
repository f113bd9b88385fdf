package mongodb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ErrLocked is returned by Lock when another holder keeps the lock past the wait.
var ErrLocked = errors.New("mongodb: lock is held elsewhere")

// Lock takes a named mutual-exclusion lock shared by every process that uses
// the database, for the few changes that must read and write more than one
// document as a unit (there are no transactions on the embedded engine).
//
// The lock is a document whose _id is the name: inserting it succeeds for
// one caller only, because _id is unique on every engine. A conditional
// update would not do: FerretDB v1 evaluates an update's filter and writes
// the document in two steps, so two updates conditioned on the same state
// can both succeed. A holder that dies leaves the lock to expire after ttl.
//
// Lock waits up to wait for the lock, then returns ErrLocked. Call the
// returned release when done; it only removes the caller's own lock.
func Lock(ctx context.Context, coll *mongo.Collection, name string, ttl, wait time.Duration) (release func(), err error) {
	var tok [12]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	deadline := time.Now().Add(wait)
	pause := 5 * time.Millisecond
	for {
		now := time.Now().UTC()
		_, err := coll.InsertOne(ctx, bson.M{"_id": name, "token": token, "expiresAt": now.Add(ttl)})
		if err == nil {
			return func() {
				_, _ = coll.DeleteOne(context.WithoutCancel(ctx), bson.M{"_id": name, "token": token})
			}, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("take lock %s: %w", name, err)
		}
		// Held: take it over only if its holder let it expire.
		if _, err := coll.DeleteOne(ctx, bson.M{"_id": name, "expiresAt": bson.M{"$lt": now}}); err != nil {
			return nil, fmt.Errorf("expire lock %s: %w", name, err)
		}
		if time.Now().After(deadline) {
			return nil, ErrLocked
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// Serializer makes a store's conditional single-document writes atomic on
// the embedded engine too. MongoDB applies an update's filter and change as
// one step; FerretDB v1 reads the document and writes it back by _id, so two
// writes conditioned on the same state can both succeed. On FerretDB the
// Serializer holds one mutex around each write. That is enough there
// because the embedded engine serves the process that writes to it; across
// processes, use Lock.
type Serializer struct {
	on bool
	mu sync.Mutex
}

// NewSerializer asks the server what it is (buildInfo) and serializes only
// when it is FerretDB.
func NewSerializer(ctx context.Context, db *mongo.Database) (*Serializer, error) {
	var info bson.M
	if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return nil, fmt.Errorf("build info: %w", err)
	}
	_, ferret := info["ferretdbVersion"]
	return &Serializer{on: ferret}, nil
}

// Lock holds the write lock when the engine needs it; call the returned
// function when the write is done.
func (s *Serializer) Lock() func() {
	if s == nil || !s.on {
		return func() {}
	}
	s.mu.Lock()
	return s.mu.Unlock
}
