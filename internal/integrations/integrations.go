// Package integrations connects a store's marketing platforms (Triple
// Whale, HubSpot, Klaviyo) to Omnify: it checks the API key a store owner
// enters, keeps it sealed with AES-256-GCM, pulls the platform's data on a
// schedule and on demand through sync runs that any number of worker
// replicas share through leases, and serves the synced data to the
// dashboard and to the agents.
//
// Every method a caller reaches takes the caller's *authz.Principal, checks
// its role with authz (the service is the authority; the schema's
// directives only restate the rules), and scopes its queries to the
// principal's organization, so no method returns another organization's
// documents: another organization's object is NOT_FOUND. Only the Worker reads across organizations, to find work; it
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
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
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

// The roles the service requires, from authz's one role model. API keys
// act with their role: a READ key as VIEWER, a READ_WRITE key as ADMIN
// (never above its creator), and only a key that may write changes things.
const (
	// readRole reads integrations, sync runs and the synced data.
	readRole = authz.RoleViewer
	// syncRole queues a sync.
	syncRole = authz.RoleMember
	// manageRole connects and disconnects platforms.
	manageRole = authz.RoleAdmin
)

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
	// Demo is true for a demo organization's connection: it serves
	// generated sample data and never calls the platform.
	Demo bool
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

// errNotFound is the error for an object that does not exist or belongs to
// another organization: the two are not told apart.
func errNotFound(what string) error {
	return apperr.New(apperr.NotFound, "No such %s.", what)
}

// errNotConnected is the error for syncing a platform that is not connected.
func errNotConnected(p Platform) error {
	return apperr.Invalid("platform", "%s is not connected. Connect it before syncing.", p.Label())
}

// constError is an error that can be a constant, so that sentinel errors
// cannot be reassigned.
type constError string

func (e constError) Error() string { return string(e) }

// Stages whose deals are no longer open.
const (
	StageClosedWon  = "closedwon"
	StageClosedLost = "closedlost"
)

// Totals are a period's headline figures.
type Totals struct {
	// Revenue is the shop's sales (Triple Whale).
	Revenue float64
	// AdSpend is blended ad spend across channels (Triple Whale).
	AdSpend float64
	// ROAS is Revenue / AdSpend, 0 without spend.
	ROAS float64
	// Orders counts orders (Triple Whale).
	Orders int
	// AverageOrderValue is Revenue / Orders, 0 without orders.
	AverageOrderValue float64
	// EmailRevenue is what Klaviyo's Reporting API attributes to the email
	// campaigns and flows sent in the period (by send date, as Klaviyo's
	// UI shows it).
	EmailRevenue float64
	// KlaviyoOrders and KlaviyoOrderRevenue count and sum Klaviyo's
	// "Placed Order" events of the period: every order Klaviyo recorded
	// (all of the shop's on a Shopify-connected account), not email's
	// share.
	KlaviyoOrders       int
	KlaviyoOrderRevenue float64
}

// Day is one UTC calendar day's figures.
type Day struct {
	// Date is the day's midnight, UTC.
	Date    time.Time
	Revenue float64 // sales
	AdSpend float64 // blended ad spend
	ROAS    float64 // Revenue / AdSpend
	Orders  int     // orders
	// EmailRevenue is what Klaviyo attributes to the emails sent that day.
	EmailRevenue float64
	// KlaviyoOrderRevenue is the value of the day's "Placed Order" events.
	KlaviyoOrderRevenue float64
}

// EmailSourceKind says whether an EmailRevenueSource is a campaign or a
// flow.
type EmailSourceKind string

// The kinds of email revenue sources.
const (
	EmailSourceCampaign EmailSourceKind = "CAMPAIGN"
	EmailSourceFlow     EmailSourceKind = "FLOW"
)

// EmailRevenueSource is one campaign's or flow's part of a period's
// attributed email revenue.
type EmailRevenueSource struct {
	// Kind is campaign or flow.
	Kind EmailSourceKind
	// Key is Omnify's key of the campaign or flow, unique across
	// organizations (the key its EmailCampaign or EmailFlow has).
	Key string
	// KlaviyoID is Klaviyo's id of the campaign or flow.
	KlaviyoID string
	// Name is the campaign's or flow's name; its Klaviyo id when unknown.
	Name string
	// Revenue and Conversions are what Klaviyo attributes to it for the
	// emails sent in the period.
	Revenue     float64
	Conversions float64
	// Share is Revenue / the period's EmailRevenue; 0 when that is 0.
	Share float64
}

// Summary is the marketing dashboard's headline: a period's totals, the
// previous period of equal length for comparison, and every day.
type Summary struct {
	// Currency of the money figures.
	Currency string
	// From and To are the first and last day of the period (UTC midnights).
	From, To time.Time
	// Totals add up the period.
	Totals Totals
	// Previous adds up the period of equal length that ends the day before From.
	Previous Totals
	// Daily has one entry per day from From to To, zeros where no data was synced.
	Daily []Day
	// EmailByCampaign and EmailByFlow are every campaign and flow with
	// attributed revenue in the period, highest revenue first (ties by
	// Klaviyo id); TopEmailSources cuts them.
	EmailByCampaign, EmailByFlow []EmailRevenueSource
}

// EmailDay is one UTC calendar day of a store's email figures from
// Klaviyo: what the email reports and the agents compute rates from.
type EmailDay struct {
	// Date is the day's midnight, UTC.
	Date time.Time
	// Received counts "Received Email" events: emails delivered.
	Received int
	// Opened counts "Opened Email" events (every open, not unique opens).
	Opened int
	// Clicked counts "Clicked Email" events.
	Clicked int
	// Revenue is what Klaviyo's Reporting API attributes to the email
	// campaigns and flows sent that day, in the shop's currency.
	Revenue float64
}

// Deal is a HubSpot deal.
type Deal struct {
	// Key is Omnify's key of the deal: unique across organizations (it
	// names the organization, since two organizations may connect the same
	// HubSpot account), and what the deal's global id carries.
	Key string
	// HubSpotID is HubSpot's id of the deal.
	HubSpotID string
	Name      string // the deal's name
	// Amount is nil when the deal has no amount.
	Amount *float64
	// Stage is the stage's internal id, such as "closedwon".
	Stage    string
	Pipeline string // the pipeline's id
	// CloseDate is nil when the deal has none.
	CloseDate *time.Time
	CreatedAt time.Time // created in HubSpot
	UpdatedAt time.Time // last modified in HubSpot
}

// Contact is a HubSpot contact.
type Contact struct {
	// Key is Omnify's key of the contact, unique across organizations.
	Key string
	// HubSpotID is HubSpot's id of the contact.
	HubSpotID string
	Email     string    // email address; may be empty
	FirstName string    // may be empty
	LastName  string    // may be empty
	CreatedAt time.Time // created in HubSpot
}

// StageTotal sums the deals in one stage.
type StageTotal struct {
	Stage string // the stage id
	Count int    // deals in the stage
	// Amount adds the deals' amounts; deals without an amount add 0.
	Amount float64
}

// Pipeline sums the deals by stage.
type Pipeline struct {
	// Stages are ordered by stage id.
	Stages []StageTotal
	// OpenAmount adds the amounts of deals neither won nor lost.
	OpenAmount float64
}

// Campaign is a Klaviyo email campaign.
type Campaign struct {
	// Key is Omnify's key of the campaign, unique across organizations.
	Key string
	// KlaviyoID is Klaviyo's id of the campaign.
	KlaviyoID string
	Name      string // the campaign's name
	// Status is Klaviyo's label, such as "Draft", "Scheduled" or "Sent".
	Status string
	// SendTime is nil for a campaign neither sent nor scheduled.
	SendTime *time.Time
}

// Flow is a Klaviyo automated flow.
type Flow struct {
	// Key is Omnify's key of the flow, unique across organizations.
	Key string
	// KlaviyoID is Klaviyo's id of the flow.
	KlaviyoID string
	Name      string // the flow's name
	// Status is "draft", "manual" or "live".
	Status      string
	TriggerType string // what starts the flow
}
