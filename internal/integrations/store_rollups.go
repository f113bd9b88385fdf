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

// rollupsCollection holds one read model per organization (rollupDoc) and
// the marker of the format they were built in (rollupMarkerID).
const rollupsCollection = "integration_rollups"

// rollupMarkerID is the _id of the document recording the format of the
// stored rollups: a start-up that finds another rebuilds them all.
const rollupMarkerID = "format"

// rollupDoc is an organization's read model: everything the dashboard
// reads, computed from the synced records when they change (buildRollup)
// and fetched by _id. It is never patched: a rebuild replaces it whole.
type rollupDoc struct {
	// ID is the organization's id in hex.
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	// Format is the RollupFormat it was built in.
	Format int `bson:"format"`
	// Version is the organization's data version: every write adds one.
	Version int64     `bson:"version"`
	BuiltAt time.Time `bson:"builtAt"`
	// Daily is each platform's figures per day, by date then platform.
	Daily []rollupDay `bson:"daily"`
	// Campaigns are the campaign values with a send date, by send date.
	Campaigns []rollupCampaign `bson:"campaigns"`
	// FlowDays are the flow days read, by date.
	FlowDays []rollupFlowDay `bson:"flowDays"`
	// FlowNames are every flow's name.
	FlowNames []rollupName `bson:"flowNames"`
	// Stages sum the deals by stage, by stage id; OpenAmount the open ones.
	Stages     []rollupStage `bson:"stages"`
	OpenAmount float64       `bson:"openAmount"`
	// LatestCampaigns are the first rollupListSize campaigns of the
	// campaign list, in its order; CampaignCount counts them all.
	LatestCampaigns []rollupCampaignItem `bson:"latestCampaigns"`
	CampaignCount   int                  `bson:"campaignCount"`
	// FirstFlows are the first rollupListSize flows of the flow list, in
	// its order; FlowCount counts them all.
	FirstFlows []rollupFlowItem `bson:"firstFlows"`
	FlowCount  int              `bson:"flowCount"`
}

// rollupDay is one platform's figures of one UTC day.
type rollupDay struct {
	Date               time.Time `bson:"d"`
	Platform           Platform  `bson:"p"`
	Revenue            float64   `bson:"rev,omitempty"`
	AdSpend            float64   `bson:"spend,omitempty"`
	Orders             float64   `bson:"orders,omitempty"`
	EmailsReceived     float64   `bson:"recv,omitempty"`
	EmailsOpened       float64   `bson:"open,omitempty"`
	EmailsClicked      float64   `bson:"click,omitempty"`
	PlacedOrders       float64   `bson:"placed,omitempty"`
	PlacedOrderRevenue float64   `bson:"placedRev,omitempty"`
}

// rollupCampaign is what Klaviyo attributes to one campaign sent on Date.
type rollupCampaign struct {
	ID          string    `bson:"id"`
	Name        string    `bson:"name"`
	Date        time.Time `bson:"d"`
	Revenue     float64   `bson:"rev"`
	Conversions float64   `bson:"conv"`
}

// rollupFlowDay is what Klaviyo attributes to each flow's emails of a day.
type rollupFlowDay struct {
	Date  time.Time   `bson:"d"`
	Flows []flowValue `bson:"flows"`
}

// rollupName is a flow's name by its Klaviyo id.
type rollupName struct {
	ID   string `bson:"id"`
	Name string `bson:"name"`
}

// rollupStage sums the deals of one stage.
type rollupStage struct {
	Stage  string  `bson:"stage"`
	Count  int     `bson:"count"`
	Amount float64 `bson:"amount"`
}

// rollupCampaignItem is a campaign of the campaign list.
type rollupCampaignItem struct {
	ExternalID string     `bson:"id"`
	Name       string     `bson:"name"`
	Status     string     `bson:"status"`
	SendTime   *time.Time `bson:"sendTime,omitempty"`
	SortAt     time.Time  `bson:"sortAt"`
}

// rollupFlowItem is a flow of the flow list.
type rollupFlowItem struct {
	ExternalID  string `bson:"id"`
	Name        string `bson:"name"`
	Status      string `bson:"status"`
	TriggerType string `bson:"trigger"`
}

// rollupMarker records the format of the stored rollups.
type rollupMarker struct {
	ID     string `bson:"_id"`
	Format int    `bson:"format"`
}

// rollupSources are the records an organization's rollup is built from.
type rollupSources struct {
	daily     []dailyDoc
	campaigns []campaignValueDoc
	flowDays  []flowDayDoc
	flows     []flowDoc
	deals     []dealDoc
	// latest are the first rollupListSize+1 campaigns of the list, and
	// campaignCount counts them all.
	latest        []campaignDoc
	campaignCount int
}

// rollupKey is the _id of an organization's rollup.
func rollupKey(org bson.ObjectID) string { return org.Hex() }

// rollup returns the organization's stored rollup, or nil: one find by _id.
func (s *Store) rollup(ctx context.Context, org bson.ObjectID) (*rollupDoc, error) {
	var d rollupDoc
	err := s.rollups.FindOne(ctx, bson.D{{Key: "_id", Value: rollupKey(org)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("integrations: find rollup: %w", err)
	}
	return &d, nil
}

// rollupSources reads every record of the organization a rollup is built
// from: seven commands whatever the organization's size.
func (s *Store) rollupSources(ctx context.Context, org bson.ObjectID) (rollupSources, error) {
	var src rollupSources
	byOrg := bson.D{{Key: "organizationId", Value: org}}
	noBookkeeping := bson.D{{Key: "_id", Value: 0}, {Key: "syncRunId", Value: 0}, {Key: "syncedAt", Value: 0}}
	batch := func() *options.FindOptionsBuilder {
		return options.Find().SetProjection(noBookkeeping).SetBatchSize(2000)
	}
	var err error
	if src.daily, err = findAll[dailyDoc](ctx, s.daily, byOrg, batch()); err != nil {
		return src, err
	}
	if src.campaigns, err = findAll[campaignValueDoc](ctx, s.campaignValues, byOrg, batch()); err != nil {
		return src, err
	}
	if src.flowDays, err = findAll[flowDayDoc](ctx, s.flowDays, byOrg, batch()); err != nil {
		return src, err
	}
	if src.flows, err = findAll[flowDoc](ctx, s.flows, byOrg, options.Find().
		SetProjection(bson.D{{Key: "syncRunId", Value: 0}, {Key: "syncedAt", Value: 0}}).SetBatchSize(2000)); err != nil {
		return src, err
	}
	if src.deals, err = s.stageAmounts(ctx, org); err != nil {
		return src, err
	}
	n, err := s.campaigns.CountDocuments(ctx, byOrg)
	if err != nil {
		return src, fmt.Errorf("integrations: count %s: %w", s.campaigns.Name(), err)
	}
	src.campaignCount = int(n)
	if src.latest, err = findAll[campaignDoc](ctx, s.campaigns, byOrg, options.Find().
		SetSort(bson.D{{Key: campaignOrder.field, Value: -1}, {Key: "_id", Value: 1}}).
		SetLimit(rollupListSize+1)); err != nil {
		return src, err
	}
	return src, nil
}

// replaceRollup stores doc as the organization's rollup when the stored
// one still has version prev (0: none stored), and reports whether it
// did. doc.Version must be prev+1. On the embedded engine the condition
// holds through db.Exclusive.
func (s *Store) replaceRollup(ctx context.Context, doc rollupDoc, prev int64) (bool, error) {
	replaced := false
	err := s.db.Exclusive(ctx, rollupsCollection, doc.ID, func(ctx context.Context) error {
		if prev == 0 {
			_, err := s.rollups.InsertOne(ctx, doc)
			if mongo.IsDuplicateKeyError(err) {
				return nil
			}
			replaced = err == nil
			return err
		}
		res, err := s.rollups.ReplaceOne(ctx, bson.D{{Key: "_id", Value: doc.ID}, {Key: "version", Value: prev}}, doc)
		if err != nil {
			return err
		}
		replaced = res.MatchedCount == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("integrations: write rollup: %w", err)
	}
	return replaced, nil
}

// rollupVersion returns the stored version of the organization's rollup,
// 0 when it has none.
func (s *Store) rollupVersion(ctx context.Context, org bson.ObjectID) (int64, error) {
	var d struct {
		Version int64 `bson:"version"`
	}
	err := s.rollups.FindOne(ctx, bson.D{{Key: "_id", Value: rollupKey(org)}},
		options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("integrations: find rollup version: %w", err)
	}
	return d.Version, nil
}

// rollupFormat returns the format the stored rollups were built in, 0
// when none was recorded.
func (s *Store) rollupFormat(ctx context.Context) (int, error) {
	var m rollupMarker
	err := s.rollups.FindOne(ctx, bson.D{{Key: "_id", Value: rollupMarkerID}}).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("integrations: find rollup format: %w", err)
	}
	return m.Format, nil
}

// setRollupFormat records that every rollup was built in format.
func (s *Store) setRollupFormat(ctx context.Context, format int) error {
	_, err := s.rollups.ReplaceOne(ctx, bson.D{{Key: "_id", Value: rollupMarkerID}},
		rollupMarker{ID: rollupMarkerID, Format: format}, options.Replace().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) { // a concurrent start-up recorded it
		return fmt.Errorf("integrations: record rollup format: %w", err)
	}
	return nil
}

// organizationsAfter returns up to limit ids of organizations that have
// or had an integration, after the one whose id is after (zero: from the
// first), in order: it pages over the integrations' _ids, which start
// with the organization.
func (s *Store) organizationsAfter(ctx context.Context, after bson.ObjectID, limit int) ([]bson.ObjectID, error) {
	filter := bson.D{}
	if !after.IsZero() {
		// Every _id of the organization is after.Hex() + "/…"; "0" follows "/".
		filter = bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after.Hex() + "0"}}}}
	}
	// An organization has at most one integration per platform, so this
	// many cover limit organizations, unless fewer are left.
	docs, err := findAll[integrationDoc](ctx, s.integrations, filter, options.Find().
		SetSort(bson.D{{Key: "_id", Value: 1}}).
		SetLimit(int64(limit*len(Platforms()))).
		SetProjection(bson.D{{Key: "organizationId", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var out []bson.ObjectID
	for _, d := range docs {
		if len(out) == 0 || out[len(out)-1] != d.OrganizationID {
			out = append(out, d.OrganizationID)
		}
	}
	return out[:min(len(out), limit)], nil
}
