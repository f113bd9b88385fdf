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
	// campaignValuesCollection holds what Klaviyo attributes to each
	// campaign, flowDaysCollection to each day's flow emails.
	campaignValuesCollection = "klaviyo_campaign_values"
	flowDaysCollection       = "klaviyo_flow_days"
	// reportCallsCollection records the Klaviyo reporting calls per
	// account, the budget shared across organizations and processes.
	reportCallsCollection = "klaviyo_report_calls"
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
	campaignValues, flowDays, reportCalls, rollups               *mongo.Collection
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

		campaignValues: d.Collection(campaignValuesCollection),
		flowDays:       d.Collection(flowDaysCollection),
		reportCalls:    d.Collection(reportCallsCollection),
		rollups:        d.Collection(rollupsCollection),
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
		{s.campaignValues, []mongodb.Index{
			{Name: "organization_send_date", Keys: keys("organizationId", 1, "sendDate", 1)},
		}},
		{s.flowDays, []mongodb.Index{
			{Name: "organization_date", Keys: keys("organizationId", 1, "date", 1)},
		}},
		{s.reportCalls, []mongodb.Index{
			{Name: "account_at", Keys: keys("account", 1, "at", 1)},
			{Name: "at_ttl", Keys: keys("at", 1), TTL: int32(reportCallsKept / time.Second)},
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
	KeyRejected bool `bson:"keyRejected,omitempty"`
	// Demo marks a demo organization's connection: it has no credential,
	// and its syncs regenerate the sample data instead of calling the
	// platform (see demo.go).
	Demo            bool       `bson:"demo,omitempty"`
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

// connected reports whether a credential is stored, or the integration is
// a demo connection (which has none).
func (d *integrationDoc) connected() bool {
	return d != nil && (d.Credential != "" || d.Demo) && !d.ConnectionID.IsZero()
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
		Demo:           d.Demo,
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
	// KeyRejected records that the run failed on a refused key, for
	// whoever records its end on the integration (see endOf).
	KeyRejected bool `bson:"keyRejected,omitempty"`
}

// integrationKey is the _id of an organization's integration with p.
func integrationKey(org bson.ObjectID, p Platform) string {
	return org.Hex() + "/" + string(p)
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

// connection is a credential the platform accepted, to be stored.
type connection struct {
	org        bson.ObjectID
	platform   Platform
	label      string
	accountKey string
	shopDomain string
	// credential is the sealed key.
	credential string
	// id names this connection; it changes at every connect.
	id bson.ObjectID
	at time.Time
	// newAccount restarts the history: the key reads another account.
	newAccount bool
	// demo marks a demo connection, which has no credential.
	demo bool
	// due is when the first sync is due; zero: at once (at).
	due time.Time
}

// connect stores c and marks the integration CONNECTED, due for its first
// sync at once. A new connection starts without an active run or lease: a
// sync still running with the old key loses its lease (the caller ends it).
func (s *Store) connect(ctx context.Context, c connection) (*integrationDoc, error) {
	due := c.at
	if !c.due.IsZero() {
		due = c.due
	}
	set := bson.D{
		{Key: "organizationId", Value: c.org},
		{Key: "platform", Value: c.platform},
		{Key: "status", Value: StatusConnected},
		{Key: "accountLabel", Value: c.label},
		{Key: "accountKey", Value: c.accountKey},
		{Key: "shopDomain", Value: c.shopDomain},
		{Key: "credential", Value: c.credential},
		{Key: "connectionId", Value: c.id},
		{Key: "connectedAt", Value: c.at},
		// Due at once: the next worker poll queues the first sync.
		{Key: "nextScheduledAt", Value: due},
		{Key: "lastError", Value: ""},
		{Key: "updatedAt", Value: c.at},
		{Key: "demo", Value: c.demo},
	}
	unset := append(bson.D{{Key: "keyRejected", Value: ""}}, pointerAndLease()...)
	if c.newAccount {
		unset = append(unset, bson.E{Key: "lastSyncedAt", Value: ""})
	}
	update := bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: unset}}
	doc, err := s.updateIntegration(ctx, c.org, c.platform, nil, update, true)
	if mongo.IsDuplicateKeyError(err) {
		// A concurrent first connect inserted the document; update it.
		doc, err = s.updateIntegration(ctx, c.org, c.platform, nil, update, true)
	}
	return doc, err
}

// disconnect forgets the integration's credential, schedule, active run and
// lease and marks it DISCONNECTED; forgetSync also forgets when it last
// synced (its data is being purged). It returns nil when the organization
// never had the integration.
func (s *Store) disconnect(ctx context.Context, org bson.ObjectID, p Platform, now time.Time, forgetSync bool) (*integrationDoc, error) {
	unset := append(bson.D{
		{Key: "credential", Value: ""}, {Key: "connectionId", Value: ""}, {Key: "connectedAt", Value: ""},
		{Key: "nextScheduledAt", Value: ""}, {Key: "keyRejected", Value: ""}, {Key: "demo", Value: ""},
	}, pointerAndLease()...)
	if forgetSync {
		unset = append(unset, bson.E{Key: "lastSyncedAt", Value: ""})
	}
	return s.updateIntegration(ctx, org, p, nil, bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "status", Value: StatusDisconnected},
			{Key: "lastError", Value: ""},
			{Key: "updatedAt", Value: now},
		}},
		{Key: "$unset", Value: unset},
	}, false)
}

// pointerAndLease are the fields of the active run pointer and the lease.
func pointerAndLease() bson.D {
	return bson.D{
		{Key: "activeRunId", Value: ""}, {Key: "activeRunSince", Value: ""},
		{Key: "leaseRunId", Value: ""}, {Key: "leaseOwner", Value: ""}, {Key: "leaseExpiresAt", Value: ""},
	}
}

// pointToRun makes runID the integration's active run when it is connected
// and has none, and returns the integration, or nil when it did not. A
// scheduled run (next not nil) also needs the integration to be due with a
// key not refused, and pushes its next due time to next in the same write.
func (s *Store) pointToRun(ctx context.Context, org bson.ObjectID, p Platform, runID bson.ObjectID, now time.Time, next *time.Time) (*integrationDoc, error) {
	cond := bson.D{
		{Key: "connectionId", Value: bson.D{{Key: "$exists", Value: true}}},
		{Key: "activeRunId", Value: bson.D{{Key: "$exists", Value: false}}},
	}
	set := bson.D{
		{Key: "activeRunId", Value: runID},
		{Key: "activeRunSince", Value: now},
		{Key: "updatedAt", Value: now},
	}
	if next != nil {
		cond = append(cond,
			bson.E{Key: "nextScheduledAt", Value: bson.D{{Key: "$lte", Value: now}}},
			bson.E{Key: "keyRejected", Value: bson.D{{Key: "$ne", Value: true}}})
		set = append(set, bson.E{Key: "nextScheduledAt", Value: *next})
	}
	return s.updateIntegration(ctx, org, p, cond, bson.D{{Key: "$set", Value: set}}, false)
}

// clearPointer clears the integration's active run pointer where it still
// names runID.
func (s *Store) clearPointer(ctx context.Context, org bson.ObjectID, p Platform, runID bson.ObjectID) error {
	_, err := s.updateIntegration(ctx, org, p, bson.D{{Key: "activeRunId", Value: runID}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "activeRunId", Value: ""}, {Key: "activeRunSince", Value: ""}}}}, false)
	return err
}

// acquireLease gives owner the integration's lease for run until expires
// and marks it SYNCING, when the integration is still on the run's
// connection and no other run holds a live lease; else it returns nil.
func (s *Store) acquireLease(ctx context.Context, run *runDoc, owner string, now, expires time.Time) (*integrationDoc, error) {
	return s.updateIntegration(ctx, run.OrganizationID, run.Platform,
		bson.D{
			{Key: "connectionId", Value: run.ConnectionID},
			{Key: "$or", Value: bson.A{
				bson.D{{Key: "leaseExpiresAt", Value: bson.D{{Key: "$exists", Value: false}}}},
				bson.D{{Key: "leaseExpiresAt", Value: bson.D{{Key: "$lt", Value: now}}}},
				bson.D{{Key: "leaseRunId", Value: run.ID}},
			}},
		},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "leaseRunId", Value: run.ID},
			{Key: "leaseOwner", Value: owner},
			{Key: "leaseExpiresAt", Value: expires},
			{Key: "status", Value: StatusSyncing},
			{Key: "updatedAt", Value: now},
		}}}, false)
}

// runEnd is what an ended run leaves on its integration.
type runEnd struct {
	at time.Time
	// lastError is empty for a success, else the reason for the shop owner.
	lastError string
	// rejected stops scheduled syncs until a reconnect.
	rejected bool
	// next is when a successful integration is due again; zero leaves
	// the due time as it is.
	next time.Time
}

// endOf is what run, which has ended, leaves on its integration, as far as
// the run itself records it: its end time (else orElse) and its error, and whether the
// key was refused, but not when the next sync is due, which its worker
// knows.
func endOf(run *runDoc, orElse time.Time) runEnd {
	e := runEnd{at: orElse, lastError: run.Error, rejected: run.KeyRejected}
	if run.FinishedAt != nil {
		e.at = *run.FinishedAt
	}
	return e
}

// status is the integration's status after the run.
func (e runEnd) status() Status {
	if e.lastError == "" {
		return StatusConnected
	}
	return StatusError
}

// apply sets on d, in memory, the public fields that endRun writes.
func (e runEnd) apply(d *integrationDoc) {
	d.Status, d.LastError = e.status(), e.lastError
	if e.lastError == "" {
		at := e.at
		d.LastSyncedAt = &at
	}
}

// endRun records on the integration that run ended, when the integration
// still points at it on the run's connection: CONNECTED with the sync time
// after a success, ERROR with the reason after a failure; the lease and the
// pointer are released. It returns nil when the integration moved on.
func (s *Store) endRun(ctx context.Context, run *runDoc, e runEnd) (*integrationDoc, error) {
	set := bson.D{{Key: "updatedAt", Value: e.at}, {Key: "lastError", Value: e.lastError}, {Key: "status", Value: e.status()}}
	release := pointerAndLease()
	if e.lastError == "" {
		set = append(set, bson.E{Key: "lastSyncedAt", Value: e.at})
		if !e.next.IsZero() {
			set = append(set, bson.E{Key: "nextScheduledAt", Value: e.next})
		}
		// The key works again (a HubSpot token can regain a scope without
		// changing): the schedule resumes.
		release = append(release, bson.E{Key: "keyRejected", Value: ""})
	} else if e.rejected {
		set = append(set, bson.E{Key: "keyRejected", Value: true})
	}
	return s.updateIntegration(ctx, run.OrganizationID, run.Platform,
		bson.D{{Key: "activeRunId", Value: run.ID}, {Key: "connectionId", Value: run.ConnectionID}},
		bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: release}}, false)
}

// releaseRun clears the integration's lease and active run pointer where
// they still name run, without touching its status.
func (s *Store) releaseRun(ctx context.Context, run *runDoc) error {
	if _, err := s.updateIntegration(ctx, run.OrganizationID, run.Platform,
		bson.D{{Key: "leaseRunId", Value: run.ID}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "leaseRunId", Value: ""}, {Key: "leaseOwner", Value: ""}, {Key: "leaseExpiresAt", Value: ""}}}},
		false); err != nil {
		return err
	}
	return s.clearPointer(ctx, run.OrganizationID, run.Platform, run.ID)
}

// returnLease gives back owner's lease on the integration for run and sets
// its status, or returns nil when owner no longer holds it.
func (s *Store) returnLease(ctx context.Context, run *runDoc, owner string, status Status, now time.Time) (*integrationDoc, error) {
	return s.updateIntegration(ctx, run.OrganizationID, run.Platform,
		bson.D{{Key: "leaseRunId", Value: run.ID}, {Key: "leaseOwner", Value: owner}},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "status", Value: status}, {Key: "updatedAt", Value: now}}},
			{Key: "$unset", Value: bson.D{{Key: "leaseRunId", Value: ""}, {Key: "leaseOwner", Value: ""}, {Key: "leaseExpiresAt", Value: ""}}},
		}, false)
}

// renewLease extends owner's lease on the integration for run to expires;
// it reports false when owner no longer holds it.
func (s *Store) renewLease(ctx context.Context, run *runDoc, owner string, expires time.Time) (bool, error) {
	d, err := s.updateIntegration(ctx, run.OrganizationID, run.Platform,
		bson.D{{Key: "leaseRunId", Value: run.ID}, {Key: "leaseOwner", Value: owner}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "leaseExpiresAt", Value: expires}}}}, false)
	return d != nil, err
}

// replaceCredential replaces the sealed credential old with sealed, unless
// it changed meanwhile (a reconnect).
func (s *Store) replaceCredential(ctx context.Context, org bson.ObjectID, p Platform, old, sealed string) error {
	_, err := s.updateIntegration(ctx, org, p,
		bson.D{{Key: "credential", Value: old}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "credential", Value: sealed}}}}, false)
	return err
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
