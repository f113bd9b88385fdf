package agents

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/mongodb"
	"github.com/omnify/bff/internal/page"
)

// Collection names.
const (
	agentsCollection     = "agents"
	executionsCollection = "agent_executions"
	eventsCollection     = "agent_execution_events"
	activeCollection     = "agent_active_executions"
	reportsCollection    = "agent_service_reports"
)

// Store keeps the agents module's documents in MongoDB. Its methods are
// unexported: callers go through the Service, which checks the actor, or
// the Worker. Every BSON detail of the module is in this file.
//
// Writes to an agent or an execution document go through db.Exclusive, so
// their conditions hold against writers in other processes on every
// engine; events and active-execution locks are unique inserts.
type Store struct {
	db                                          *mongodb.DB
	agents, executions, events, active, reports *mongo.Collection
}

// NewStore returns a Store over db's agent collections.
func NewStore(db *mongodb.DB) *Store {
	d := db.Database
	// Parameters, results and event data are free-form documents: decode
	// them as plain maps, which encode to JSON as objects.
	maps := options.Collection().SetBSONOptions(&options.BSONOptions{DefaultDocumentMap: true})
	return &Store{
		db:         db,
		agents:     d.Collection(agentsCollection, maps),
		executions: d.Collection(executionsCollection, maps),
		events:     d.Collection(eventsCollection, maps),
		active:     d.Collection(activeCollection),
		reports:    d.Collection(reportsCollection),
	}
}

// EnsureIndexes creates the store's indexes, among them the unique
// (executionId, sequence) index that arbitrates every move of an
// execution and the unique (organizationId, key) of agents. It is
// idempotent; call it before using the Store.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	steps := []struct {
		coll    *mongo.Collection
		indexes []mongodb.Index
	}{
		{s.agents, []mongodb.Index{
			{Name: "organization_key_unique", Keys: bson.D{{Key: "organizationId", Value: 1}, {Key: "key", Value: 1}}, Unique: true},
		}},
		{s.executions, []mongodb.Index{
			{Name: "agent_newest", Keys: bson.D{{Key: "agentId", Value: 1}, {Key: "queuedAt", Value: -1}, {Key: "_id", Value: -1}}},
			{Name: "status_queued", Keys: bson.D{{Key: "status", Value: 1}, {Key: "queuedAt", Value: 1}}},
			{Name: "status_lease", Keys: bson.D{{Key: "status", Value: 1}, {Key: "leaseExpiresAt", Value: 1}}},
		}},
		{s.events, []mongodb.Index{
			{Name: "execution_sequence_unique", Keys: bson.D{{Key: "executionId", Value: 1}, {Key: "sequence", Value: 1}}, Unique: true},
		}},
	}
	for _, st := range steps {
		if err := mongodb.EnsureIndexes(ctx, st.coll, st.indexes...); err != nil {
			return fmt.Errorf("agents: %w", err)
		}
	}
	return nil
}

// agentDoc is the stored agent. Its _id is derived from the organization
// and the catalog key, so inserting the catalog again is idempotent.
type agentDoc struct {
	ID               string         `bson:"_id"`
	OrganizationID   bson.ObjectID  `bson:"organizationId"`
	Key              string         `bson:"key"`
	Name             string         `bson:"name"`
	Description      string         `bson:"description"`
	Kind             Kind           `bson:"kind"`
	Enabled          bool           `bson:"enabled"`
	ParametersSchema map[string]any `bson:"parametersSchema"`
	LastExecutionID  bson.ObjectID  `bson:"lastExecutionId,omitempty"`
	CreatedAt        time.Time      `bson:"createdAt"`
}

func (d agentDoc) public() Agent {
	return Agent{ID: d.ID, OrganizationID: d.OrganizationID, Key: d.Key, Name: d.Name, Description: d.Description,
		Kind: d.Kind, Enabled: d.Enabled, ParametersSchema: d.ParametersSchema, LastExecutionID: d.LastExecutionID}
}

// agentID is the _id of an organization's agent with a catalog key.
func agentID(org bson.ObjectID, key string) string { return org.Hex() + ":" + key }

// agentsOf returns the organization's agents, by key.
func (s *Store) agentsOf(ctx context.Context, org bson.ObjectID) ([]agentDoc, error) {
	return findAll[agentDoc](ctx, s.agents, bson.D{{Key: "organizationId", Value: org}},
		options.Find().SetSort(bson.D{{Key: "key", Value: 1}}))
}

// agent returns the agent with _id id, or nil.
func (s *Store) agent(ctx context.Context, id string) (*agentDoc, error) {
	var d agentDoc
	err := s.agents.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agents: find agent: %w", err)
	}
	return &d, nil
}

// insertAgent stores a new agent; an agent with the same _id already
// stored is left as it is, and is not an error.
func (s *Store) insertAgent(ctx context.Context, d agentDoc) error {
	_, err := s.agents.InsertOne(ctx, d)
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("agents: insert agent %s: %w", d.Key, err)
	}
	return nil
}

// updateAgent applies update to the agent with _id id and returns it after
// the update, or nil when there is none.
func (s *Store) updateAgent(ctx context.Context, id string, update bson.D) (*agentDoc, error) {
	var doc *agentDoc
	err := s.db.Exclusive(ctx, agentsCollection, id, func(ctx context.Context) (err error) {
		doc, err = findOneAndUpdate[agentDoc](ctx, s.agents, bson.D{{Key: "_id", Value: id}}, update)
		return err
	})
	return doc, err
}

// setEnabled turns the agent on or off.
func (s *Store) setEnabled(ctx context.Context, id string, enabled bool) (*agentDoc, error) {
	return s.updateAgent(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "enabled", Value: enabled}}}})
}

// setLastExecution points the agent at its newest execution.
func (s *Store) setLastExecution(ctx context.Context, id string, exec bson.ObjectID) error {
	_, err := s.updateAgent(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "lastExecutionId", Value: exec}}}})
	return err
}

// executionDoc is the stored execution: the public fields, the lease of
// the worker running it, and the attempt it is in.
type executionDoc struct {
	ID              bson.ObjectID   `bson:"_id"`
	OrganizationID  bson.ObjectID   `bson:"organizationId"`
	AgentID         string          `bson:"agentId"`
	AgentKey        string          `bson:"agentKey"`
	Status          ExecutionStatus `bson:"status"`
	Parameters      map[string]any  `bson:"parameters"`
	RequestedBy     bson.ObjectID   `bson:"requestedBy,omitempty"`
	QueuedAt        time.Time       `bson:"queuedAt"`
	StartedAt       *time.Time      `bson:"startedAt,omitempty"`
	FinishedAt      *time.Time      `bson:"finishedAt,omitempty"`
	Result          map[string]any  `bson:"result,omitempty"`
	Error           string          `bson:"error,omitempty"`
	CancelRequested bool            `bson:"cancelRequested,omitempty"`
	LastSequence    int             `bson:"lastSequence"`
	// Attempt counts the starts (STARTED events).
	Attempt        int        `bson:"attempt"`
	LeaseOwner     string     `bson:"leaseOwner,omitempty"`
	LeaseExpiresAt *time.Time `bson:"leaseExpiresAt,omitempty"`
}

func (d executionDoc) public() Execution {
	return Execution{ID: d.ID, OrganizationID: d.OrganizationID, AgentID: d.AgentID, AgentKey: d.AgentKey, Status: d.Status,
		Parameters: d.Parameters, RequestedBy: d.RequestedBy, QueuedAt: d.QueuedAt, StartedAt: d.StartedAt,
		FinishedAt: d.FinishedAt, Result: d.Result, Error: d.Error, CancelRequested: d.CancelRequested, LastSequence: d.LastSequence}
}

// insertExecution stores a new execution.
func (s *Store) insertExecution(ctx context.Context, d executionDoc) error {
	if _, err := s.executions.InsertOne(ctx, d); err != nil {
		return fmt.Errorf("agents: insert execution: %w", err)
	}
	return nil
}

// execution returns the execution with the given id, of any organization,
// or nil; callers check the organization.
func (s *Store) execution(ctx context.Context, id bson.ObjectID) (*executionDoc, error) {
	var d executionDoc
	err := s.executions.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agents: find execution: %w", err)
	}
	return &d, nil
}

// executionsByIDs returns the organization's executions among ids, in one
// find command.
func (s *Store) executionsByIDs(ctx context.Context, org bson.ObjectID, ids []bson.ObjectID) ([]executionDoc, error) {
	return findAll[executionDoc](ctx, s.executions, bson.D{
		{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}},
		{Key: "organizationId", Value: org},
	}, options.Find().SetBatchSize(int32(len(ids)+1)))
}

// executionsOf returns a page of the agent's executions, newest first.
func (s *Store) executionsOf(ctx context.Context, agent string, r page.Request) (page.Page[executionDoc], error) {
	filter := bson.D{{Key: "agentId", Value: agent}}
	total, err := s.executions.CountDocuments(ctx, filter)
	if err != nil {
		return page.Page[executionDoc]{}, fmt.Errorf("agents: count executions: %w", err)
	}
	if r.After != nil {
		ms, id, err := executionCursor(r.After)
		if err != nil {
			return page.Page[executionDoc]{}, err
		}
		at := time.UnixMilli(ms).UTC()
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "queuedAt", Value: bson.D{{Key: "$lt", Value: at}}}},
			bson.D{{Key: "queuedAt", Value: at}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: id}}}},
		}})
	}
	docs, err := findAll[executionDoc](ctx, s.executions, filter, options.Find().
		SetSort(bson.D{{Key: "queuedAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(r.First+1)))
	if err != nil {
		return page.Page[executionDoc]{}, err
	}
	return page.Make(r, docs, int(total), func(d executionDoc) []string { return executionKey(d.QueuedAt, d.ID) }), nil
}

// executionKey is an execution's sort key, which its cursor carries:
// newest first, ties by id descending.
func executionKey(queuedAt time.Time, id bson.ObjectID) []string {
	return []string{strconv.FormatInt(queuedAt.UnixMilli(), 10), id.Hex()}
}

// executionCursor reads a sort key made by executionKey.
func executionCursor(key []string) (int64, bson.ObjectID, error) {
	bad := apperr.Invalid("after", "The cursor is not valid; start again from the first page.")
	ms, err := strconv.ParseInt(key[0], 10, 64)
	if err != nil {
		return 0, bson.ObjectID{}, bad
	}
	id, err := bson.ObjectIDFromHex(key[1])
	if err != nil {
		return 0, bson.ObjectID{}, bad
	}
	return ms, id, nil
}

// updateExecution applies update to the execution when it also matches
// cond, and returns it after the update, or nil when it did not match.
func (s *Store) updateExecution(ctx context.Context, id bson.ObjectID, cond, update bson.D) (*executionDoc, error) {
	filter := append(bson.D{{Key: "_id", Value: id}}, cond...)
	var doc *executionDoc
	err := s.db.Exclusive(ctx, executionsCollection, id, func(ctx context.Context) (err error) {
		doc, err = findOneAndUpdate[executionDoc](ctx, s.executions, filter, update)
		return err
	})
	return doc, err
}

// requestCancel marks the execution to be cancelled at its next step.
func (s *Store) requestCancel(ctx context.Context, id bson.ObjectID) (*executionDoc, error) {
	return s.updateExecution(ctx, id, nil, bson.D{{Key: "$set", Value: bson.D{{Key: "cancelRequested", Value: true}}}})
}

// project applies an event of the execution's log to its document: the
// status and times it implies and its sequence, only if the document has
// not seen a later event. lease is the lease a STARTED event grants.
func (s *Store) project(ctx context.Context, e eventDoc, lease time.Duration) (*executionDoc, error) {
	set := bson.D{
		{Key: "lastSequence", Value: e.Sequence},
		{Key: "status", Value: e.Type.status()},
		{Key: "attempt", Value: e.Attempt},
	}
	var unset bson.D
	switch {
	case e.Type == EventStarted:
		set = append(set,
			bson.E{Key: "startedAt", Value: e.At},
			bson.E{Key: "leaseOwner", Value: e.Owner},
			bson.E{Key: "leaseExpiresAt", Value: e.At.Add(lease)})
	case e.Type == EventQueued:
		unset = bson.D{{Key: "leaseOwner", Value: ""}, {Key: "leaseExpiresAt", Value: ""}, {Key: "startedAt", Value: ""}}
	case e.Type.Terminal():
		set = append(set, bson.E{Key: "finishedAt", Value: e.At})
		if e.Type == EventSucceeded {
			set = append(set, bson.E{Key: "result", Value: e.Data})
		} else {
			set = append(set, bson.E{Key: "error", Value: e.Message})
		}
		unset = bson.D{{Key: "leaseOwner", Value: ""}, {Key: "leaseExpiresAt", Value: ""}}
	}
	update := bson.D{{Key: "$set", Value: set}}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	return s.updateExecution(ctx, e.ExecutionID, bson.D{{Key: "lastSequence", Value: bson.D{{Key: "$lt", Value: e.Sequence}}}}, update)
}

// renewLease extends owner's lease on the execution in attempt to
// expires; it returns nil when owner no longer holds it.
func (s *Store) renewLease(ctx context.Context, id bson.ObjectID, owner string, attempt int, expires time.Time) (*executionDoc, error) {
	return s.updateExecution(ctx, id, bson.D{
		{Key: "status", Value: ExecutionRunning},
		{Key: "leaseOwner", Value: owner},
		{Key: "attempt", Value: attempt},
	}, bson.D{{Key: "$set", Value: bson.D{{Key: "leaseExpiresAt", Value: expires}}}})
}

// queuedIDs returns the ids of up to limit QUEUED executions, oldest first.
func (s *Store) queuedIDs(ctx context.Context, limit int) ([]bson.ObjectID, error) {
	return s.executionIDs(ctx, bson.D{{Key: "status", Value: ExecutionQueued}}, limit)
}

// expiredIDs returns the ids of up to limit RUNNING executions whose lease
// expired before now.
func (s *Store) expiredIDs(ctx context.Context, now time.Time, limit int) ([]bson.ObjectID, error) {
	return s.executionIDs(ctx, bson.D{
		{Key: "status", Value: ExecutionRunning},
		{Key: "leaseExpiresAt", Value: bson.D{{Key: "$lt", Value: now}}},
	}, limit)
}

func (s *Store) executionIDs(ctx context.Context, filter bson.D, limit int) ([]bson.ObjectID, error) {
	docs, err := findAll[struct {
		ID bson.ObjectID `bson:"_id"`
	}](ctx, s.executions, filter, options.Find().
		SetSort(bson.D{{Key: "queuedAt", Value: 1}, {Key: "_id", Value: 1}}).
		SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	ids := make([]bson.ObjectID, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// eventDoc is a stored event. Its _id is derived from the execution and
// the sequence, so that of two inserts of the same sequence exactly one
// succeeds on every engine; the unique (executionId, sequence) index says
// the same on MongoDB.
type eventDoc struct {
	ID             string         `bson:"_id"`
	ExecutionID    bson.ObjectID  `bson:"executionId"`
	OrganizationID bson.ObjectID  `bson:"organizationId"`
	Sequence       int            `bson:"sequence"`
	Type           EventType      `bson:"type"`
	Message        string         `bson:"message"`
	Data           map[string]any `bson:"data,omitempty"`
	At             time.Time      `bson:"at"`
	// Attempt is the execution's attempt when the event was written;
	// Owner the worker that wrote a STARTED event.
	Attempt int    `bson:"attempt"`
	Owner   string `bson:"owner,omitempty"`
}

func (d eventDoc) public() Event {
	return Event{ExecutionID: d.ExecutionID, OrganizationID: d.OrganizationID, Sequence: d.Sequence, Type: d.Type,
		Message: d.Message, Data: d.Data, At: d.At}
}

// eventID is the _id of an execution's event with a sequence.
func eventID(exec bson.ObjectID, seq int) string { return fmt.Sprintf("%s:%09d", exec.Hex(), seq) }

// insertEvent appends e to its execution's log; it reports false, and no
// error, when the sequence is taken: another writer moved first.
func (s *Store) insertEvent(ctx context.Context, e eventDoc) (bool, error) {
	e.ID = eventID(e.ExecutionID, e.Sequence)
	_, err := s.events.InsertOne(ctx, e)
	switch {
	case err == nil:
		return true, nil
	case mongo.IsDuplicateKeyError(err):
		return false, nil
	}
	return false, fmt.Errorf("agents: insert event: %w", err)
}

// event returns the execution's event with the sequence, or nil.
func (s *Store) event(ctx context.Context, exec bson.ObjectID, seq int) (*eventDoc, error) {
	var d eventDoc
	err := s.events.FindOne(ctx, bson.D{{Key: "_id", Value: eventID(exec, seq)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agents: find event: %w", err)
	}
	return &d, nil
}

// eventsAfter returns up to limit of the execution's events with a
// sequence above after, in order.
func (s *Store) eventsAfter(ctx context.Context, exec bson.ObjectID, after, limit int) ([]eventDoc, error) {
	return findAll[eventDoc](ctx, s.events, bson.D{
		{Key: "executionId", Value: exec},
		{Key: "sequence", Value: bson.D{{Key: "$gt", Value: after}}},
	}, options.Find().SetSort(bson.D{{Key: "sequence", Value: 1}}).SetLimit(int64(limit)).SetBatchSize(int32(limit)))
}

// activeDoc is the lock that keeps one active execution per agent: its _id
// is the agent's, so a second insert fails. A release record (Release
// set, _id "<agent>~<execution>") gives the one process that inserted it
// the right to remove the lock of that execution.
type activeDoc struct {
	ID          string        `bson:"_id"`
	ExecutionID bson.ObjectID `bson:"executionId"`
	Since       time.Time     `bson:"since"`
	Release     bool          `bson:"release,omitempty"`
}

// lockAgent takes the agent's active-execution lock for exec; it reports
// false when another execution holds it, and returns that execution's id.
func (s *Store) lockAgent(ctx context.Context, agent string, exec bson.ObjectID, now time.Time) (bool, bson.ObjectID, error) {
	_, err := s.active.InsertOne(ctx, activeDoc{ID: agent, ExecutionID: exec, Since: now})
	if err == nil {
		return true, exec, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, bson.ObjectID{}, fmt.Errorf("agents: lock agent: %w", err)
	}
	var cur activeDoc
	err = s.active.FindOne(ctx, bson.D{{Key: "_id", Value: agent}}).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, bson.ObjectID{}, nil // released meanwhile: the caller tries again
	}
	if err != nil {
		return false, bson.ObjectID{}, fmt.Errorf("agents: read agent lock: %w", err)
	}
	return false, cur.ExecutionID, nil
}

// unlockAgent removes the agent's lock if exec holds it. Of several
// callers releasing the same execution's lock, only the one whose release
// record is inserted removes it, so no caller can remove a lock taken
// after it (a delete on FerretDB checks its filter before it deletes).
func (s *Store) unlockAgent(ctx context.Context, agent string, exec bson.ObjectID, now time.Time) error {
	_, err := s.active.InsertOne(ctx, activeDoc{ID: agent + "~" + exec.Hex(), ExecutionID: exec, Since: now, Release: true})
	if mongo.IsDuplicateKeyError(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("agents: claim agent lock release: %w", err)
	}
	if _, err := s.active.DeleteOne(ctx, bson.D{{Key: "_id", Value: agent}, {Key: "executionId", Value: exec}}); err != nil {
		return fmt.Errorf("agents: release agent lock: %w", err)
	}
	return nil
}

// findOneAndUpdate applies update to the first document matching filter
// and returns it after the update, or nil when none matched.
func findOneAndUpdate[T any](ctx context.Context, c *mongo.Collection, filter, update any) (*T, error) {
	var out T
	err := c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agents: update %s: %w", c.Name(), err)
	}
	return &out, nil
}

// findAll returns every document matching filter.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("agents: find in %s: %w", c.Name(), err)
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("agents: read %s: %w", c.Name(), err)
	}
	return out, nil
}

// reportMark records that the agent service's report of an execution with
// a sequence was recorded; its _id makes a replay a duplicate insert.
type reportMark struct {
	ID         string    `bson:"_id"`
	RecordedAt time.Time `bson:"recordedAt"`
}

func reportMarkID(exec bson.ObjectID, seq int) string { return exec.Hex() + ":" + strconv.Itoa(seq) }

// markReport records the report (exec, seq) and reports whether it is the
// first time: a unique insert, so of replays racing one wins.
func (s *Store) markReport(ctx context.Context, exec bson.ObjectID, seq int, at time.Time) (bool, error) {
	_, err := s.reports.InsertOne(ctx, reportMark{ID: reportMarkID(exec, seq), RecordedAt: at})
	switch {
	case err == nil:
		return true, nil
	case mongo.IsDuplicateKeyError(err):
		return false, nil
	}
	return false, fmt.Errorf("agents: mark a report: %w", err)
}

// unmarkReport forgets a mark whose report could not be recorded.
func (s *Store) unmarkReport(ctx context.Context, exec bson.ObjectID, seq int) error {
	_, err := s.reports.DeleteOne(ctx, bson.D{{Key: "_id", Value: reportMarkID(exec, seq)}})
	if err != nil {
		return fmt.Errorf("agents: forget a report mark: %w", err)
	}
	return nil
}
