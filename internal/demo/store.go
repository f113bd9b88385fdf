package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/mongodb"
)

// collection holds the claim document and the lock of the demo
// organization's set-up.
const collection = "demo_organization"

// claimID is the _id of the claim: there is one per database, so its
// insert succeeds once.
const claimID = "claim"

// lockName is the _id of the lock held while the demo organization is
// created or reset (mongodb.Lock).
const lockName = "lock"

// lockTTL is how long a set-up's lock outlives a process that died
// holding it; a set-up takes seconds.
const lockTTL = 5 * time.Minute

// claimDoc records that the demo organization was claimed, and once made,
// which it is. It is inserted once; only the holder of the lock updates it.
type claimDoc struct {
	ID        string    `bson:"_id"`
	ClaimedBy string    `bson:"claimedBy"`
	ClaimedAt time.Time `bson:"claimedAt"`
	// OrganizationID and UserID are the demo organization and its demo
	// user, zero until the sign-up made them.
	OrganizationID bson.ObjectID `bson:"organizationId,omitempty"`
	UserID         bson.ObjectID `bson:"userId,omitempty"`
	// ReadyAt is when the set-up last completed; nil while the first is
	// under way (or was interrupted).
	ReadyAt *time.Time `bson:"readyAt,omitempty"`
}

// Store keeps the claim of the demo organization.
type Store struct {
	db *mongodb.DB
	c  *mongo.Collection
}

// NewStore returns a Store over db.
func NewStore(db *mongodb.DB) *Store {
	return &Store{db: db, c: db.Database.Collection(collection)}
}

// claim returns the claim, or nil when the demo organization was never
// claimed: one find by _id.
func (s *Store) claim(ctx context.Context) (*claimDoc, error) {
	var d claimDoc
	err := s.c.FindOne(ctx, bson.D{{Key: "_id", Value: claimID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demo: read the claim: %w", err)
	}
	return &d, nil
}

// insertClaim inserts the claim and reports whether this call inserted it:
// of any number of processes calling it at once, exactly one does, on
// every engine, because _id is unique.
func (s *Store) insertClaim(ctx context.Context, by string, at time.Time) (bool, error) {
	_, err := s.c.InsertOne(ctx, claimDoc{ID: claimID, ClaimedBy: by, ClaimedAt: at})
	switch {
	case err == nil:
		return true, nil
	case mongo.IsDuplicateKeyError(err):
		return false, nil
	}
	return false, fmt.Errorf("demo: insert the claim: %w", err)
}

// setAccount records the demo organization and user. Only the lock's
// holder calls it.
func (s *Store) setAccount(ctx context.Context, org, user bson.ObjectID) error {
	_, err := s.c.UpdateOne(ctx, bson.D{{Key: "_id", Value: claimID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "organizationId", Value: org}, {Key: "userId", Value: user}}}})
	if err != nil {
		return fmt.Errorf("demo: record the demo organization: %w", err)
	}
	return nil
}

// setReady records that the set-up completed at at. Only the lock's holder
// calls it.
func (s *Store) setReady(ctx context.Context, at time.Time) error {
	_, err := s.c.UpdateOne(ctx, bson.D{{Key: "_id", Value: claimID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "readyAt", Value: at}}}})
	if err != nil {
		return fmt.Errorf("demo: record the set-up: %w", err)
	}
	return nil
}

// lock takes the set-up's lock, waiting up to wait; mongodb.ErrLocked
// when another process holds it longer.
func (s *Store) lock(ctx context.Context, wait time.Duration) (func(), error) {
	release, err := mongodb.Lock(ctx, s.c, lockName, lockTTL, wait)
	if err != nil && !errors.Is(err, mongodb.ErrLocked) {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return release, err
}
