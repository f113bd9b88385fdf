package integrations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/omnify/bff/internal/mongodb"
)

// Collection names.
const (
	integrationsCollection = "integrations"
	runsCollection         = "integration_sync_runs"
	dailyCollection        = "integration_daily_metrics"
	dealsCollection        = "hubspot_deals"
	contactsCollection     = "hubspot_contacts"
	campaignsCollection    = "klaviyo_campaigns"
	flowsCollection        = "klaviyo_flows"
)

// Store keeps the integrations module's documents in MongoDB. Its methods
// are unexported: callers go through the Service, which checks the actor.
// A process uses one Store for its Service and its Workers.
//
// Every write to an integration or a sync run goes through db.Exclusive,
// which makes its conditions hold against writers in other processes on
// every engine; synced records go through db.BulkWrite.
type Store struct {
	db                                                           *mongodb.DB
	integrations, runs, daily, deals, contacts, campaigns, flows *mongo.Collection
}

// NewStore returns a Store over db's integration collections.
func NewStore(db *mongodb.DB) *Store {
	d := db.Database
	return &Store{
		db:           db,
		integrations: d.Collection(integrationsCollection),
		runs:         d.Collection(runsCollection),
		daily:        d.Collection(dailyCollection),
		deals:        d.Collection(dealsCollection),
		contacts:     d.Collection(contactsCollection),
		campaigns:    d.Collection(campaignsCollection),
		flows:        d.Collection(flowsCollection),
	}
}

// EnsureIndexes creates the store's indexes, among them the unique indexes
// that keep a repeated sync from duplicating records. It is idempotent;
// call it before using the Store.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	keys := func(kv ...any) bson.D {
		d := bson.D{}
		for i := 0; i < len(kv); i += 2 {
			d = append(d, bson.E{Key: kv[i].(string), Value: kv[i+1]})
		}
		return d
	}
	steps := []struct {
		coll    *mongo.Collection
		indexes []mongodb.Index
	}{
		{s.integrations, []mongodb.Index{
			{Name: "organization_platform_unique", Keys: keys("organizationId", 1, "platform", 1), Unique: true},
			{Name: "next_scheduled", Keys: keys("nextScheduledAt", 1)},
		}},
		{s.runs, []mongodb.Index{
			{Name: "organization_platform_newest", Keys: keys("organizationId", 1, "platform", 1, "queuedAt", -1)},
			{Name: "status_queued", Keys: keys("status", 1, "queuedAt", 1)},
		}},
		{s.daily, []mongodb.Index{
			{Name: "organization_platform_date_unique", Keys: keys("organizationId", 1, "platform", 1, "date", 1), Unique: true},
			{Name: "organization_date", Keys: keys("organizationId", 1, "date", 1)},
		}},
		{s.deals, []mongodb.Index{
			{Name: "organization_external_unique", Keys: keys("organizationId", 1, "externalId", 1), Unique: true},
			{Name: "organization_updated", Keys: keys("organizationId", 1, "updatedAt", -1, "_id", 1)},
			{Name: "organization_stage_updated", Keys: keys("organizationId", 1, "stage", 1, "updatedAt", -1, "_id", 1)},
		}},
		{s.contacts, []mongodb.Index{
			{Name: "organization_external_unique", Keys: keys("organizationId", 1, "externalId", 1), Unique: true},
			{Name: "organization_created", Keys: keys("organizationId", 1, "createdAt", -1, "_id", 1)},
		}},
		{s.campaigns, []mongodb.Index{
			{Name: "organization_external_unique", Keys: keys("organizationId", 1, "externalId", 1), Unique: true},
			{Name: "organization_sort", Keys: keys("organizationId", 1, "sortAt", -1, "_id", 1)},
		}},
		{s.flows, []mongodb.Index{
			{Name: "organization_external_unique", Keys: keys("organizationId", 1, "externalId", 1), Unique: true},
		}},
	}
	for _, st := range steps {
		if err := mongodb.EnsureIndexes(ctx, st.coll, st.indexes...); err != nil {
			return fmt.Errorf("integrations: %w", err)
		}
	}
	return nil
}

// integrationDoc is the stored integration. The _id is derived from the
// organization and platform, so there is at most one per pair and it is
// found by _id. Besides what Integration shows, it holds the sealed
// credential, the pointer to the one active sync run and the lease of the
// worker executing it.
type integrationDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	Platform       Platform      `bson:"platform"`
	Status         Status        `bson:"status"`
	AccountLabel   string        `bson:"accountLabel"`
	// AccountKey identifies the platform account (shop domain, Klaviyo
	// account id), so a connect to another account restarts the history.
	AccountKey string `bson:"accountKey"`
	ShopDomain string `bson:"shopDomain"`
	// Credential is the API key sealed with the Sealer; never shown.
	Credential string `bson:"credential,omitempty"`
	// ConnectionID changes at every connect, so that a sync started with an
	// earlier credential does not overwrite the state of the new one.
	ConnectionID bson.ObjectID `bson:"connectionId,omitempty"`
	// KeyRejected stops scheduled syncs after the platform refused the key.
	KeyRejected     bool       `bson:"keyRejected,omitempty"`
	ConnectedAt     *time.Time `bson:"connectedAt,omitempty"`
	LastSyncedAt    *time.Time `bson:"lastSyncedAt,omitempty"`
	NextScheduledAt *time.Time `bson:"nextScheduledAt,omitempty"`
	LastError       string     `bson:"lastError"`
	// ActiveRunID is the integration's QUEUED or RUNNING run; setting it
	// with a condition that it is unset is what keeps one active run per
	// integration. ActiveRunSince is when it was set.
	ActiveRunID    bson.ObjectID `bson:"activeRunId,omitempty"`
	ActiveRunSince *time.Time    `bson:"activeRunSince,omitempty"`
	// The lease: which worker executes which run, until when.
	LeaseRunID     bson.ObjectID `bson:"leaseRunId,omitempty"`
	LeaseOwner     string        `bson:"leaseOwner,omitempty"`
	LeaseExpiresAt *time.Time    `bson:"leaseExpiresAt,omitempty"`
	UpdatedAt      time.Time     `bson:"updatedAt"`
}

// connected reports whether a credential is stored.
func (d *integrationDoc) connected() bool {
	return d != nil && d.Credential != "" && !d.ConnectionID.IsZero()
}

// public returns what callers may see of d.
func (d *integrationDoc) public() Integration {
	return Integration{
		OrganizationID: d.OrganizationID,
		Platform:       d.Platform,
		Status:         d.Status,
		AccountLabel:   d.AccountLabel,
		ShopDomain:     d.ShopDomain,
		ConnectedAt:    d.ConnectedAt,
		LastSyncedAt:   d.LastSyncedAt,
		NextSyncAt:     d.NextScheduledAt,
		LastError:      d.LastError,
	}
}

// runDoc is the stored sync run: the public fields and the lease.
type runDoc struct {
	SyncRun `bson:",inline"`
	// ConnectionID is the integration's connection the run was queued for.
	ConnectionID bson.ObjectID `bson:"connectionId"`
	// RequestedBy is the member who asked for a manual run (zero for a
	// partner API key or the schedule).
	RequestedBy    bson.ObjectID `bson:"requestedBy,omitempty"`
	LeaseOwner     string        `bson:"leaseOwner,omitempty"`
	LeaseExpiresAt *time.Time    `bson:"leaseExpiresAt,omitempty"`
	// Attempts counts the starts, less the runs put back at a shutdown;
	// more than one means a worker died mid-run.
	Attempts int `bson:"attempts"`
}

// integrationKey is the _id of an organization's integration with p.
func integrationKey(org bson.ObjectID, p Platform) string {
	return org.Hex() + "/" + string(p)
}

// recordKey is the _id of a synced record: unique per organization by
// construction, and found by _id, which even the embedded engine serves
// without a scan.
func recordKey(org bson.ObjectID, parts ...string) string {
	k := org.Hex()
	for _, p := range parts {
		k += "/" + p
	}
	return k
}

// integration returns the organization's integration with p, or nil.
func (s *Store) integration(ctx context.Context, org bson.ObjectID, p Platform) (*integrationDoc, error) {
	var d integrationDoc
	// The _id names the organization; a filter of the _id alone is also
	// the one the embedded engine serves without a scan.
	err := s.integrations.FindOne(ctx, bson.D{{Key: "_id", Value: integrationKey(org, p)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("integrations: find %s integration: %w", p, err)
	}
	return &d, nil
}

// integrationsOf returns the organization's stored integrations, without
// their credentials.
func (s *Store) integrationsOf(ctx context.Context, org bson.ObjectID) ([]integrationDoc, error) {
	return findAll[integrationDoc](ctx, s.integrations, bson.D{{Key: "organizationId", Value: org}},
		options.Find().SetProjection(bson.D{{Key: "credential", Value: 0}}))
}

// updateIntegration applies update to the organization's integration with
// p when it also matches cond, and returns the document after the update,
// or nil when nothing matched. With upsert, a missing document is created.
func (s *Store) updateIntegration(ctx context.Context, org bson.ObjectID, p Platform, cond bson.D, update bson.D, upsert bool) (*integrationDoc, error) {
	id := integrationKey(org, p)
	filter := append(bson.D{{Key: "_id", Value: id}}, cond...) // the _id names the organization
	var doc *integrationDoc
	err := s.db.Exclusive(ctx, integrationsCollection, id, func(ctx context.Context) (err error) {
		doc, err = findOneAndUpdate[integrationDoc](ctx, s.integrations, filter, update,
			options.FindOneAndUpdate().SetReturnDocument(options.After).SetUpsert(upsert))
		return err
	})
	return doc, err
}

// dueIntegrations returns up to limit connected integrations, of any
// organization, whose scheduled sync is due and that have no active run or
// one older than pointerGrace (which may be a pointer left by a crash).
// Only the Worker calls it.
func (s *Store) dueIntegrations(ctx context.Context, now time.Time, limit int) ([]integrationDoc, error) {
	return findAll[integrationDoc](ctx, s.integrations, bson.D{
		{Key: "nextScheduledAt", Value: bson.D{{Key: "$lte", Value: now}}},
		{Key: "keyRejected", Value: bson.D{{Key: "$ne", Value: true}}},
		{Key: "connectionId", Value: bson.D{{Key: "$exists", Value: true}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "activeRunId", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "activeRunSince", Value: bson.D{{Key: "$lte", Value: now.Add(-pointerGrace)}}}},
		}},
	}, options.Find().
		SetSort(bson.D{{Key: "nextScheduledAt", Value: 1}}).
		SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "credential", Value: 0}}))
}

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
func (s *Store) runsOf(ctx context.Context, org bson.ObjectID, platforms []Platform, limit int) ([]SyncRun, error) {
	return findAll[SyncRun](ctx, s.runs, bson.D{
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

// upsertRecords writes models (upserts keyed by _id) through the engine's
// bulk write, in as many commands as it needs, and returns how many records
// were inserted or matched.
func (s *Store) upsertRecords(ctx context.Context, c *mongo.Collection, models []mongo.WriteModel) (int, error) {
	if len(models) == 0 {
		return 0, nil
	}
	res, err := s.db.BulkWrite(ctx, c, models)
	if err != nil {
		return 0, fmt.Errorf("integrations: write %s: %w", c.Name(), err)
	}
	return int(res.Matched + res.Upserted), nil
}

// replaceModel upserts doc, which carries its _id and organizationId. The
// filter is the _id alone: it already names the organization (recordKey),
// and FerretDB looks a document up by index only when the filter is
// exactly {_id: value}; with any other field it scans the collection for
// every statement.
func replaceModel(id string, doc any) mongo.WriteModel {
	return mongo.NewReplaceOneModel().
		SetFilter(bson.D{{Key: "_id", Value: id}}).
		SetReplacement(doc).
		SetUpsert(true)
}

// deleteUnseen deletes the organization's records in c that the run did
// not write: after a complete listing, they are gone from the platform.
func deleteUnseen(ctx context.Context, c *mongo.Collection, org, runID bson.ObjectID) error {
	_, err := c.DeleteMany(ctx, bson.D{
		{Key: "organizationId", Value: org},
		{Key: "syncRunId", Value: bson.D{{Key: "$ne", Value: runID}}},
	})
	if err != nil {
		return fmt.Errorf("integrations: delete records gone from the platform in %s: %w", c.Name(), err)
	}
	return nil
}

// purge deletes everything synced from p for the organization.
func (s *Store) purge(ctx context.Context, org bson.ObjectID, p Platform) error {
	byOrg := bson.D{{Key: "organizationId", Value: org}}
	byPlatform := bson.D{{Key: "organizationId", Value: org}, {Key: "platform", Value: p}}
	type target struct {
		c      *mongo.Collection
		filter bson.D
	}
	var targets []target
	switch p {
	case TripleWhale:
		targets = []target{{s.daily, byPlatform}}
	case HubSpot:
		targets = []target{{s.deals, byOrg}, {s.contacts, byOrg}}
	case Klaviyo:
		targets = []target{{s.daily, byPlatform}, {s.campaigns, byOrg}, {s.flows, byOrg}}
	}
	for _, t := range targets {
		if _, err := t.c.DeleteMany(ctx, t.filter); err != nil {
			return fmt.Errorf("integrations: purge %s: %w", t.c.Name(), err)
		}
	}
	return nil
}

// findOneAndUpdate returns the document after the update, or nil when
// nothing matched.
func findOneAndUpdate[T any](ctx context.Context, c *mongo.Collection, filter, update any, opts ...options.Lister[options.FindOneAndUpdateOptions]) (*T, error) {
	var v T
	err := c.FindOneAndUpdate(ctx, filter, update, opts...).Decode(&v)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("integrations: update %s: %w", c.Name(), err)
	}
	return &v, nil
}

// findAll returns every document matching filter.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, fmt.Errorf("integrations: find in %s: %w", c.Name(), err)
	}
	var out []T
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("integrations: read %s: %w", c.Name(), err)
	}
	return out, nil
}
