// Package integrations connects a store's marketing platforms (Triple
// Whale, HubSpot, Klaviyo) to Omnify: it checks the API key a store owner
// enters, keeps it sealed with AES-256-GCM, pulls the platform's data on a
// schedule and on demand through sync runs that any number of worker
// replicas share through leases, and serves the synced data to the
// dashboard and to the agents.
//
// Every method a caller reaches takes an Actor and scopes its queries to
// the actor's organization, so no method returns another organization's
// documents. Only the Worker reads across organizations, to find work; it
// hands nothing it reads to a caller.
//
// FerretDB v1 has no transactions, so every state change is one
// single-document conditional write: the integration document carries the
// pointer to its one active run and the lease of the replica syncing it,
// and a run moves between states with FindOneAndUpdate conditioned on its
// current state and lease owner. Synced records are upserts keyed by
// organization, platform and the platform's id or date, so a repeated or
// interrupted sync never duplicates anything.
package integrations

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Platform is a marketing platform a store can connect.
type Platform string

// The platforms, in the order they are shown.
const (
	TripleWhale Platform = "TRIPLE_WHALE"
	HubSpot     Platform = "HUBSPOT"
	Klaviyo     Platform = "KLAVIYO"
)

// Platforms returns every platform in the order they are shown: Triple
// Whale, HubSpot, Klaviyo.
func Platforms() []Platform { return []Platform{TripleWhale, HubSpot, Klaviyo} }

// Valid reports whether p is one of the known platforms.
func (p Platform) Valid() bool { return p.rank() >= 0 }

// rank is p's position in Platforms, or -1 for an unknown platform.
func (p Platform) rank() int {
	switch p {
	case TripleWhale:
		return 0
	case HubSpot:
		return 1
	case Klaviyo:
		return 2
	}
	return -1
}

// Label is the platform's name as a shop owner knows it, for messages.
func (p Platform) Label() string {
	switch p {
	case TripleWhale:
		return "Triple Whale"
	case HubSpot:
		return "HubSpot"
	case Klaviyo:
		return "Klaviyo"
	}
	return string(p)
}

// Status is the state of a store's connection to one platform.
type Status string

// The integration statuses.
const (
	// StatusDisconnected: no credential is stored (never connected, or disconnected).
	StatusDisconnected Status = "DISCONNECTED"
	// StatusConnected: a credential is stored and the last sync, if any, succeeded.
	StatusConnected Status = "CONNECTED"
	// StatusSyncing: a worker is running a sync right now.
	StatusSyncing Status = "SYNCING"
	// StatusError: the last sync failed; LastError says why and what to do.
	StatusError Status = "ERROR"
)

// SyncStatus is the state of one sync run.
type SyncStatus string

// The sync run statuses. QUEUED and RUNNING are active; a run ends
// SUCCEEDED or FAILED and never changes again.
const (
	SyncQueued    SyncStatus = "QUEUED"
	SyncRunning   SyncStatus = "RUNNING"
	SyncSucceeded SyncStatus = "SUCCEEDED"
	SyncFailed    SyncStatus = "FAILED"
)

// Active reports whether a run in status s is still to be worked on.
func (s SyncStatus) Active() bool { return s == SyncQueued || s == SyncRunning }

// Trigger says why a sync run was queued.
type Trigger string

// The triggers.
const (
	// TriggerManual: a member asked for the sync.
	TriggerManual Trigger = "manual"
	// TriggerSchedule: the worker queued it because the data was due for a refresh.
	TriggerSchedule Trigger = "schedule"
)

// Roles of organization members, as passed in by callers.
const (
	RoleOwner  = "OWNER"
	RoleAdmin  = "ADMIN"
	RoleMember = "MEMBER"
	RoleViewer = "VIEWER"
)

// roleRank orders roles; a higher rank includes the rights of the lower
// ones, and an unknown role has none.
func roleRank(role string) int {
	switch role {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Actor is the caller of a service method: a member of an organization, or
// a partner API key acting with a role.
type Actor struct {
	// OrganizationID is the organization the caller acts in; every query is
	// scoped to it.
	OrganizationID bson.ObjectID
	// UserID is the signed-in user; zero for a partner API key.
	UserID bson.ObjectID
	// Role is the caller's role there: OWNER, ADMIN, MEMBER or VIEWER.
	Role string
}

// Integration is a store's connection to one platform. It never carries the
// credential: the sealed key stays in the store's own document type.
type Integration struct {
	// OrganizationID is the store's organization.
	OrganizationID bson.ObjectID
	// Platform is the connected platform.
	Platform Platform
	// Status is the connection's state.
	Status Status
	// AccountLabel names the connected account for the shop owner: the shop
	// domain for Triple Whale, the organization name for Klaviyo.
	AccountLabel string
	// ShopDomain is the Shopify domain Triple Whale reports on (for example
	// store.myshopify.com); empty for other platforms.
	ShopDomain string
	// ConnectedAt is when the current credential was connected; nil when
	// disconnected.
	ConnectedAt *time.Time
	// LastSyncedAt is when the last successful sync finished; nil before the
	// first one, or after the synced data was purged.
	LastSyncedAt *time.Time
	// NextSyncAt is when the worker will next queue a scheduled sync; nil
	// when disconnected.
	NextSyncAt *time.Time
	// LastError explains the last failed sync for the shop owner, or is
	// empty when the last sync succeeded.
	LastError string
}

// SyncRun is one sync of one integration, queued by a member or by the
// schedule and executed by one worker at a time.
type SyncRun struct {
	// ID identifies the run.
	ID bson.ObjectID `bson:"_id"`
	// OrganizationID is the store's organization.
	OrganizationID bson.ObjectID `bson:"organizationId"`
	// Platform is the synced platform.
	Platform Platform `bson:"platform"`
	// Status is the run's state.
	Status SyncStatus `bson:"status"`
	// Trigger says why the run was queued.
	Trigger Trigger `bson:"trigger"`
	// QueuedAt is when the run was queued.
	QueuedAt time.Time `bson:"queuedAt"`
	// StartedAt is when a worker last started executing it; nil while queued.
	StartedAt *time.Time `bson:"startedAt,omitempty"`
	// FinishedAt is when it succeeded or failed; nil while active.
	FinishedAt *time.Time `bson:"finishedAt,omitempty"`
	// RecordsWritten counts the records (days, deals, contacts, campaigns,
	// flows) stored so far.
	RecordsWritten int `bson:"recordsWritten"`
	// Error explains a failed run for the shop owner.
	Error string `bson:"error,omitempty"`
}

// Event reports a change to an integration or its sync run, for live
// updates of the dashboard. Events are a signal, not a record: the state
// they describe is stored before they are sent.
type Event struct {
	// OrganizationID is the organization whose integration changed.
	OrganizationID bson.ObjectID
	// Platform is the integration's platform.
	Platform Platform
	// Status is the integration's status after the change.
	Status Status
	// Sync is a snapshot of the run the change concerns; nil when none does.
	Sync *SyncRun
	// At is when the change happened.
	At time.Time
}

// Notify receives events. It is called synchronously from the code that
// made the change, so it must return quickly (publish to a bus, not wait
// for subscribers).
type Notify func(ctx context.Context, e Event)

// constError is an error that can be a constant, so that sentinel errors
// cannot be reassigned.
type constError string

func (e constError) Error() string { return string(e) }
