package integrations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// insertRun stores a new run.
func (s *Store) insertRun(ctx context.Context, r runDoc) error {
	if _, err := s.runs.InsertOne(ctx, r); err != nil {
		return fmt.Errorf("integrations: insert sync run: %w", err)
	}
	return nil
}

// run returns the organization's run with the given id, or nil.
func (s *Store) run(ctx context.Context, org, id bson.ObjectID) (*runDoc, error) {
	var r runDoc
	// By _id alone (no scan on the embedded engine), then the tenant check.
	err := s.runs.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) || err == nil && r.OrganizationID != org {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("integrations: find sync run: %w", err)
	}
	return &r, nil
}

// updateRun applies update to the run with the given id when it also
// matches cond, and returns it after the update, or nil when it did not
// match.
func (s *Store) updateRun(ctx context.Context, id bson.ObjectID, cond, update bson.D) (*runDoc, error) {
	filter := append(bson.D{{Key: "_id", Value: id}}, cond...)
	var doc *runDoc
	err := s.db.Exclusive(ctx, runsCollection, id, func(ctx context.Context) (err error) {
		doc, err = findOneAndUpdate[runDoc](ctx, s.runs, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After))
		return err
	})
	return doc, err
}

// runIDs returns the ids of up to limit runs matching filter, in sort order.
func (s *Store) runIDs(ctx context.Context, filter, sort bson.D, limit int) ([]bson.ObjectID, error) {
	docs, err := findAll[struct {
		ID bson.ObjectID `bson:"_id"`
	}](ctx, s.runs, filter, options.Find().SetSort(sort).SetLimit(int64(limit)).SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	ids := make([]bson.ObjectID, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// runsOf returns the organization's runs of the platforms, newest first, at
// most limit of them, in one find command.
func (s *Store) runsOf(ctx context.Context, org bson.ObjectID, platforms []Platform, limit int) ([]runDoc, error) {
	return findAll[runDoc](ctx, s.runs, bson.D{
		{Key: "organizationId", Value: org},
		{Key: "platform", Value: bson.D{{Key: "$in", Value: platforms}}},
	}, options.Find().
		SetSort(bson.D{{Key: "queuedAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(limit)).
		// One reply carries the whole result, so a dataloader costs one
		// round trip and no getMore.
		SetBatchSize(int32(limit)))
}

// pruneRuns deletes the integration's finished runs beyond the keep newest,
// so that the history (and SyncRuns' one query) stays bounded.
func (s *Store) pruneRuns(ctx context.Context, org bson.ObjectID, p Platform, keep int) error {
	filter := bson.D{{Key: "organizationId", Value: org}, {Key: "platform", Value: p}}
	var oldest struct {
		QueuedAt time.Time `bson:"queuedAt"`
	}
	err := s.runs.FindOne(ctx, filter, options.FindOne().
		SetSort(bson.D{{Key: "queuedAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(int64(keep)).
		SetProjection(bson.D{{Key: "queuedAt", Value: 1}})).Decode(&oldest)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("integrations: find runs to prune: %w", err)
	}
	_, err = s.runs.DeleteMany(ctx, append(filter,
		bson.E{Key: "queuedAt", Value: bson.D{{Key: "$lte", Value: oldest.QueuedAt}}},
		bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: []SyncStatus{SyncSucceeded, SyncFailed}}}},
	))
	if err != nil {
		return fmt.Errorf("integrations: prune runs: %w", err)
	}
	return nil
}

// failActiveRuns ends the integration's QUEUED and RUNNING runs as FAILED
// with msg, except those of connection keep (when not zero); a worker
// executing one notices at its next checkpoint. Each run is its own
// single-document update.
func (s *Store) failActiveRuns(ctx context.Context, org bson.ObjectID, p Platform, msg string, now time.Time, keep bson.ObjectID) error {
	filter := bson.D{
		{Key: "organizationId", Value: org},
		{Key: "platform", Value: p},
		{Key: "status", Value: bson.D{{Key: "$in", Value: []SyncStatus{SyncQueued, SyncRunning}}}},
	}
	if !keep.IsZero() {
		filter = append(filter, bson.E{Key: "connectionId", Value: bson.D{{Key: "$ne", Value: keep}}})
	}
	ids, err := s.runIDs(ctx, filter, bson.D{{Key: "_id", Value: 1}}, 1000)
	if err != nil {
		return fmt.Errorf("integrations: find active runs: %w", err)
	}
	for _, id := range ids {
		// Each run is its own exclusive write, conditioned again on being
		// active, so that a worker ending it at the same time wins or loses
		// as a whole.
		_, err := s.updateRun(ctx, id, filter, bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: SyncFailed},
			{Key: "finishedAt", Value: now},
			{Key: "error", Value: msg},
		}}})
		if err != nil {
			return fmt.Errorf("integrations: end active runs: %w", err)
		}
	}
	return nil
}

// claimRun takes the oldest QUEUED run, or a RUNNING run whose lease
// expired before now and that was started fewer than maxAttempts times,
// for owner until expires: it lists a few candidates, then takes the first
// it can with a write that is conditioned again on the run being claimable
// and is exclusive on every engine, so that of several workers, in this
// process or others, exactly one gets each run. It returns nil when there
// is none.
func (s *Store) claimRun(ctx context.Context, owner string, now, expires time.Time, maxAttempts, candidates int) (*runDoc, error) {
	claimable := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "status", Value: SyncQueued}},
		bson.D{
			{Key: "status", Value: SyncRunning},
			{Key: "leaseExpiresAt", Value: bson.D{{Key: "$lt", Value: now}}},
			{Key: "attempts", Value: bson.D{{Key: "$lt", Value: maxAttempts}}},
		},
	}}}
	ids, err := s.runIDs(ctx, claimable, bson.D{{Key: "queuedAt", Value: 1}, {Key: "_id", Value: 1}}, candidates)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		run, err := s.updateRun(ctx, id, claimable, bson.D{
			{Key: "$set", Value: bson.D{
				{Key: "status", Value: SyncRunning},
				{Key: "leaseOwner", Value: owner},
				{Key: "leaseExpiresAt", Value: expires},
				{Key: "startedAt", Value: now},
			}},
			{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
		})
		if err != nil || run != nil {
			return run, err
		}
	}
	return nil, nil
}

// heldBy matches run only while it is running under owner's lease.
func heldBy(run *runDoc, owner string) bson.D {
	return bson.D{
		{Key: "organizationId", Value: run.OrganizationID},
		{Key: "status", Value: SyncRunning},
		{Key: "leaseOwner", Value: owner},
	}
}

// finishRun ends run, while owner holds it, as status at now with o's
// message (empty for a success), whether the key was refused, and at least
// o's records written. It returns nil when owner no longer holds it.
func (s *Store) finishRun(ctx context.Context, run *runDoc, owner string, status SyncStatus, now time.Time, o outcome) (*runDoc, error) {
	set := bson.D{
		{Key: "status", Value: status},
		{Key: "finishedAt", Value: now},
		{Key: "error", Value: o.message},
	}
	if o.rejected {
		set = append(set, bson.E{Key: "keyRejected", Value: true})
	}
	records := o.records
	return s.updateRun(ctx, run.ID, heldBy(run, owner), bson.D{
		{Key: "$set", Value: set},
		{Key: "$max", Value: bson.D{{Key: "recordsWritten", Value: records}}},
		{Key: "$unset", Value: bson.D{{Key: "leaseExpiresAt", Value: ""}}},
	})
}

// requeueRun puts run, while owner holds it, back in the queue with at
// least records written; the start does not count as an attempt. It
// returns nil when owner no longer holds it.
func (s *Store) requeueRun(ctx context.Context, run *runDoc, owner string, records int) (*runDoc, error) {
	return s.updateRun(ctx, run.ID, heldBy(run, owner), bson.D{
		{Key: "$set", Value: bson.D{{Key: "status", Value: SyncQueued}}},
		{Key: "$max", Value: bson.D{{Key: "recordsWritten", Value: records}}},
		{Key: "$unset", Value: bson.D{{Key: "leaseOwner", Value: ""}, {Key: "leaseExpiresAt", Value: ""}, {Key: "startedAt", Value: ""}}},
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: -1}}},
	})
}

// renewRun extends owner's lease on run to expires and records at least
// records written; it returns nil when owner no longer holds it.
func (s *Store) renewRun(ctx context.Context, run *runDoc, owner string, expires time.Time, records int) (*runDoc, error) {
	return s.updateRun(ctx, run.ID, heldBy(run, owner), bson.D{
		{Key: "$set", Value: bson.D{{Key: "leaseExpiresAt", Value: expires}}},
		// $max: the periodic renewal may race a checkpoint with a newer count.
		{Key: "$max", Value: bson.D{{Key: "recordsWritten", Value: records}}},
	})
}

// abandonedRuns returns the RUNNING runs, of any organization, whose lease
// expired before now after maxAttempts starts or more. Only the Worker
// calls it.
func (s *Store) abandonedRuns(ctx context.Context, now time.Time, maxAttempts int) ([]runDoc, error) {
	return findAll[runDoc](ctx, s.runs, bson.D{
		{Key: "status", Value: SyncRunning},
		{Key: "leaseExpiresAt", Value: bson.D{{Key: "$lt", Value: now}}},
		{Key: "attempts", Value: bson.D{{Key: "$gte", Value: maxAttempts}}},
	})
}

// giveUpRun ends the run as FAILED with msg if it is still RUNNING with an
// expired lease, and returns it, or nil when it is not.
func (s *Store) giveUpRun(ctx context.Context, id bson.ObjectID, now time.Time, msg string) (*runDoc, error) {
	return s.updateRun(ctx, id,
		bson.D{{Key: "status", Value: SyncRunning}, {Key: "leaseExpiresAt", Value: bson.D{{Key: "$lt", Value: now}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: SyncFailed}, {Key: "finishedAt", Value: now}, {Key: "error", Value: msg}}}})
}
