package integrations

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
	"github.com/omnify/bff/internal/page"
)

// dailyDoc is one platform's figures for one UTC day.
type dailyDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	Platform       Platform      `bson:"platform"`
	Date           time.Time     `bson:"date"`
	// Triple Whale.
	Revenue           float64 `bson:"revenue"`
	AdSpend           float64 `bson:"adSpend"`
	ROAS              float64 `bson:"roas"`
	Orders            float64 `bson:"orders"`
	AverageOrderValue float64 `bson:"averageOrderValue"`
	NetProfit         float64 `bson:"netProfit"`
	// Klaviyo.
	EmailsReceived float64 `bson:"emailsReceived"`
	EmailsOpened   float64 `bson:"emailsOpened"`
	EmailsClicked  float64 `bson:"emailsClicked"`
	// PlacedOrders and PlacedOrderRevenue are the count and value of
	// Klaviyo's "Placed Order" events: every order Klaviyo recorded (all
	// of the shop's, on a Shopify-connected account), not what email
	// earned. The field names are those of earlier releases.
	PlacedOrders       float64 `bson:"emailOrders"`
	PlacedOrderRevenue float64 `bson:"emailRevenue"`

	SyncRunID bson.ObjectID `bson:"syncRunId"`
	SyncedAt  time.Time     `bson:"syncedAt"`
}

// dealDoc is a stored HubSpot deal.
type dealDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	Name           string        `bson:"name"`
	Amount         *float64      `bson:"amount"`
	Stage          string        `bson:"stage"`
	Pipeline       string        `bson:"pipeline"`
	CloseDate      *time.Time    `bson:"closeDate"`
	CreatedAt      time.Time     `bson:"createdAt"`
	UpdatedAt      time.Time     `bson:"updatedAt"`
	SyncRunID      bson.ObjectID `bson:"syncRunId"`
	SyncedAt       time.Time     `bson:"syncedAt"`
}

// contactDoc is a stored HubSpot contact.
type contactDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	Email          string        `bson:"email"`
	FirstName      string        `bson:"firstName"`
	LastName       string        `bson:"lastName"`
	CreatedAt      time.Time     `bson:"createdAt"`
	UpdatedAt      time.Time     `bson:"updatedAt"`
	SyncRunID      bson.ObjectID `bson:"syncRunId"`
	SyncedAt       time.Time     `bson:"syncedAt"`
}

// campaignDoc is a stored Klaviyo campaign.
type campaignDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	Name           string        `bson:"name"`
	Status         string        `bson:"status"`
	SendTime       *time.Time    `bson:"sendTime"`
	// SortAt is the send time, or the creation time of an unsent campaign:
	// the order of the campaign list.
	SortAt    time.Time     `bson:"sortAt"`
	CreatedAt time.Time     `bson:"createdAt"`
	UpdatedAt time.Time     `bson:"updatedAt"`
	SyncRunID bson.ObjectID `bson:"syncRunId"`
	SyncedAt  time.Time     `bson:"syncedAt"`
}

// flowDoc is a stored Klaviyo flow.
type flowDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	Name           string        `bson:"name"`
	Status         string        `bson:"status"`
	TriggerType    string        `bson:"triggerType"`
	SyncRunID      bson.ObjectID `bson:"syncRunId"`
	SyncedAt       time.Time     `bson:"syncedAt"`
}

// record is a synced document, upserted by its _id.
type record interface{ recordID() string }

func (d dailyDoc) recordID() string    { return d.ID }
func (d dealDoc) recordID() string     { return d.ID }
func (d contactDoc) recordID() string  { return d.ID }
func (d campaignDoc) recordID() string { return d.ID }
func (d flowDoc) recordID() string     { return d.ID }

// recordSet names one collection of synced records.
type recordSet int

// The record sets.
const (
	dailySet recordSet = iota
	dealSet
	contactSet
	campaignSet
	flowSet
	campaignValueSet
	flowDaySet
)

// collection returns the collection of set.
func (s *Store) collection(set recordSet) *mongo.Collection {
	switch set {
	case dealSet:
		return s.deals
	case contactSet:
		return s.contacts
	case campaignSet:
		return s.campaigns
	case flowSet:
		return s.flows
	case campaignValueSet:
		return s.campaignValues
	case flowDaySet:
		return s.flowDays
	}
	return s.daily
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

// upsertRecords writes docs to set and returns how many records were
// inserted or matched.
func (s *Store) upsertRecords(ctx context.Context, set recordSet, docs []record) (int, error) {
	return s.bulkUpsert(ctx, s.collection(set), docs)
}

// bulkUpsert writes docs (upserts keyed by _id) to c through the engine's
// bulk write, in as many commands as it needs, and returns how many records
// were inserted or matched.
//
// The filter of each statement is the _id alone: it already names the
// organization (recordKey), and FerretDB looks a document up by index only
// when the filter is exactly {_id: value}; with any other field it scans
// the collection for every statement.
func (s *Store) bulkUpsert(ctx context.Context, c *mongo.Collection, docs []record) (int, error) {
	if len(docs) == 0 {
		return 0, nil
	}
	models := make([]mongo.WriteModel, len(docs))
	for i, d := range docs {
		models[i] = mongo.NewReplaceOneModel().
			SetFilter(bson.D{{Key: "_id", Value: d.recordID()}}).
			SetReplacement(d).
			SetUpsert(true)
	}
	res, err := s.db.BulkWrite(ctx, c, models)
	if err != nil {
		return 0, fmt.Errorf("integrations: write %s: %w", c.Name(), err)
	}
	return int(res.Matched + res.Upserted), nil
}

// deleteUnseen deletes the organization's records in set that the run did
// not write: after a complete listing, they are gone from the platform.
func (s *Store) deleteUnseen(ctx context.Context, set recordSet, org, runID bson.ObjectID) error {
	c := s.collection(set)
	_, err := c.DeleteMany(ctx, bson.D{
		{Key: "organizationId", Value: org},
		{Key: "syncRunId", Value: bson.D{{Key: "$ne", Value: runID}}},
	})
	if err != nil {
		return fmt.Errorf("integrations: delete records gone from the platform in %s: %w", c.Name(), err)
	}
	return nil
}

// stageAmounts returns the stage and amount of every deal of the
// organization. They are summed by the caller rather than with $group:
// only two small fields travel, and the embedded engine's accumulators are
// not to be relied on.
func (s *Store) stageAmounts(ctx context.Context, org bson.ObjectID) ([]dealDoc, error) {
	return findAll[dealDoc](ctx, s.deals, bson.D{{Key: "organizationId", Value: org}},
		options.Find().SetProjection(bson.D{{Key: "stage", Value: 1}, {Key: "amount", Value: 1}}))
}

// recordOrder is the order of a record list: field, descending or not,
// then _id ascending (within an organization, the platform's id order). A
// cursor carries the field's value and the platform's id.
type recordOrder struct {
	field string
	desc  bool
	// value returns a record's value of field, as the cursor carries it.
	value func(doc any) string
	// parse reads the value back from a cursor for the query.
	parse func(string) (any, error)
}

// byTime orders records by a time field, latest first; cursors carry
// milliseconds.
func byTime(field string, at func(doc any) time.Time) recordOrder {
	return recordOrder{
		field: field, desc: true,
		value: func(doc any) string { return strconv.FormatInt(at(doc).UnixMilli(), 10) },
		parse: func(v string) (any, error) {
			ms, err := strconv.ParseInt(v, 10, 64)
			return time.UnixMilli(ms).UTC(), err
		},
	}
}

// The orders of the record lists.
var (
	dealOrder     = byTime("updatedAt", func(d any) time.Time { return d.(dealDoc).UpdatedAt })
	contactOrder  = byTime("createdAt", func(d any) time.Time { return d.(contactDoc).CreatedAt })
	campaignOrder = byTime("sortAt", func(d any) time.Time { return d.(campaignDoc).SortAt })
	flowOrder     = recordOrder{
		field: "name",
		value: func(d any) string { return d.(flowDoc).Name },
		parse: func(v string) (any, error) { return v, nil },
	}
)

// recordFilter narrows a record list; its zero value keeps every record.
type recordFilter struct {
	// stage keeps the deals in this stage.
	stage string
}

// cursorParts is how many strings a record cursor carries: the sort value
// and the platform's id.
const cursorParts = 2

// pageRecords reads one page of the organization's records of set matching
// filter, in order, with the total count of the matching records. A cursor
// whose value does not parse is BAD_USER_INPUT on field after.
func pageRecords[T any](ctx context.Context, s *Store, set recordSet, org bson.ObjectID, filter recordFilter, order recordOrder, r page.Request, externalID func(T) string) (page.Page[T], error) {
	c := s.collection(set)
	f := bson.D{{Key: "organizationId", Value: org}}
	if filter.stage != "" {
		f = append(f, bson.E{Key: "stage", Value: filter.stage})
	}
	total, err := c.CountDocuments(ctx, f)
	if err != nil {
		return page.Page[T]{}, fmt.Errorf("integrations: count %s: %w", c.Name(), err)
	}
	dir := 1
	beyond := "$gt"
	if order.desc {
		dir, beyond = -1, "$lt"
	}
	if r.After != nil {
		v, err := order.parse(r.After[0])
		if err != nil || r.After[1] == "" {
			return page.Page[T]{}, apperr.Invalid("after", "The cursor is not valid; start again from the first page.")
		}
		f = append(f, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: order.field, Value: bson.D{{Key: beyond, Value: v}}}},
			bson.D{{Key: order.field, Value: v}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: recordKey(org, r.After[1])}}}},
		}})
	}
	docs, err := findAll[T](ctx, c, f, options.Find().
		SetSort(bson.D{{Key: order.field, Value: dir}, {Key: "_id", Value: 1}}).
		SetLimit(int64(r.First+1)))
	if err != nil {
		return page.Page[T]{}, err
	}
	return page.Make(r, docs, int(total), func(d T) []string { return []string{order.value(d), externalID(d)} }), nil
}

// recordByKey returns the organization's record of set whose _id is key,
// or nil. It looks up the _id alone (no scan on the embedded engine), then
// checks the tenant.
func recordByKey[T any](ctx context.Context, s *Store, set recordSet, org bson.ObjectID, key string, orgOf func(*T) bson.ObjectID) (*T, error) {
	c := s.collection(set)
	var v T
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&v)
	if errors.Is(err, mongo.ErrNoDocuments) || err == nil && orgOf(&v) != org {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("integrations: find in %s: %w", c.Name(), err)
	}
	return &v, nil
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
		targets = []target{{s.daily, byPlatform}, {s.campaigns, byOrg}, {s.flows, byOrg}, {s.campaignValues, byOrg}, {s.flowDays, byOrg}}
	}
	for _, t := range targets {
		if _, err := t.c.DeleteMany(ctx, t.filter); err != nil {
			return fmt.Errorf("integrations: purge %s: %w", t.c.Name(), err)
		}
	}
	return nil
}

// public returns what callers see of a stored deal.
func (d dealDoc) public() Deal {
	return Deal{
		Key: d.ID, HubSpotID: d.ExternalID, Name: d.Name, Amount: d.Amount, Stage: d.Stage, Pipeline: d.Pipeline,
		CloseDate: d.CloseDate, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

// public returns what callers see of a stored contact.
func (d contactDoc) public() Contact {
	return Contact{Key: d.ID, HubSpotID: d.ExternalID, Email: d.Email, FirstName: d.FirstName, LastName: d.LastName, CreatedAt: d.CreatedAt}
}

// public returns what callers see of a stored campaign.
func (d campaignDoc) public() Campaign {
	return Campaign{Key: d.ID, KlaviyoID: d.ExternalID, Name: d.Name, Status: d.Status, SendTime: d.SendTime}
}

// public returns what callers see of a stored flow.
func (d flowDoc) public() Flow {
	return Flow{Key: d.ID, KlaviyoID: d.ExternalID, Name: d.Name, Status: d.Status, TriggerType: d.TriggerType}
}
