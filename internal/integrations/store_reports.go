package integrations

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// campaignValueDoc is what Klaviyo's Reporting API attributes to one email
// campaign of an organization: the conversion value and count of its email
// messages, which belong to its send date (Klaviyo reports by send date).
type campaignValueDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	ExternalID     string        `bson:"externalId"`
	// Name is the campaign's name when the value was read.
	Name string `bson:"name"`
	// SendDate is the UTC midnight of the campaign's send time; nil when
	// the campaign's send time is unknown, which counts the value in no
	// day.
	SendDate    *time.Time    `bson:"sendDate"`
	Revenue     float64       `bson:"revenue"`
	Conversions float64       `bson:"conversions"`
	SyncRunID   bson.ObjectID `bson:"syncRunId"`
	SyncedAt    time.Time     `bson:"syncedAt"`
}

// flowDayDoc is what Klaviyo attributes to the email messages every flow
// of an organization sent on one UTC day. Its presence says the day was
// read, even when no flow earned anything.
type flowDayDoc struct {
	ID             string        `bson:"_id"`
	OrganizationID bson.ObjectID `bson:"organizationId"`
	Date           time.Time     `bson:"date"`
	Flows          []flowValue   `bson:"flows"`
	// Source is the report the day was read from: "series" or "values".
	Source    string        `bson:"source"`
	SyncRunID bson.ObjectID `bson:"syncRunId"`
	SyncedAt  time.Time     `bson:"syncedAt"`
}

// flowValue is one flow's share of a flowDayDoc.
type flowValue struct {
	FlowID      string  `bson:"flowId"`
	Revenue     float64 `bson:"revenue"`
	Conversions float64 `bson:"conversions"`
}

func (d campaignValueDoc) recordID() string { return d.ID }
func (d flowDayDoc) recordID() string       { return d.ID }

// reportCallDoc records one call to a Klaviyo reporting endpoint, by
// account: the budget every process and organization syncing the account
// shares. It is inserted before the call is made and deleted when the
// call is not made after all. MongoDB's TTL index deletes it
// reportCallsKept after At (the embedded engine has none:
// pruneReportCalls does).
type reportCallDoc struct {
	ID      string    `bson:"_id"`
	Account string    `bson:"account"`
	Path    string    `bson:"path"`
	At      time.Time `bson:"at"`
}

// reportCallsKept is how long a report call is recorded: longer than the
// daily window.
const reportCallsKept = 25 * time.Hour

// recordReportCall inserts a record of a call to path on account at at;
// the _id is unique, so concurrent callers each insert their own.
func (s *Store) recordReportCall(ctx context.Context, account, path string, at time.Time) (string, error) {
	id := account + "/" + bson.NewObjectID().Hex()
	_, err := s.reportCalls.InsertOne(ctx, reportCallDoc{ID: id, Account: account, Path: path, At: at})
	if err != nil {
		return "", fmt.Errorf("integrations: record a Klaviyo report call: %w", err)
	}
	return id, nil
}

// deleteReportCall removes the record of a call that was not made.
func (s *Store) deleteReportCall(ctx context.Context, id string) error {
	if _, err := s.reportCalls.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("integrations: delete a Klaviyo report call: %w", err)
	}
	return nil
}

// redateReportCall sets the time of a recorded call to at.
func (s *Store) redateReportCall(ctx context.Context, id string, at time.Time) error {
	_, err := s.reportCalls.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("integrations: date a Klaviyo report call: %w", err)
	}
	return nil
}

// reportCallTimes returns the times of the account's recorded calls since
// since, oldest first.
func (s *Store) reportCallTimes(ctx context.Context, account string, since time.Time) ([]time.Time, error) {
	docs, err := findAll[reportCallDoc](ctx, s.reportCalls, bson.D{
		{Key: "account", Value: account},
		{Key: "at", Value: bson.D{{Key: "$gt", Value: since}}},
	}, options.Find().
		SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: "at", Value: 1}}).
		SetSort(bson.D{{Key: "at", Value: 1}}).
		SetBatchSize(512))
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, len(docs))
	for i, d := range docs {
		out[i] = d.At
	}
	return out, nil
}

// pruneReportCalls deletes the account's records older than
// reportCallsKept.
func (s *Store) pruneReportCalls(ctx context.Context, account string, now time.Time) error {
	_, err := s.reportCalls.DeleteMany(ctx, bson.D{
		{Key: "account", Value: account},
		{Key: "at", Value: bson.D{{Key: "$lt", Value: now.Add(-reportCallsKept)}}},
	})
	if err != nil {
		return fmt.Errorf("integrations: prune Klaviyo report calls: %w", err)
	}
	return nil
}

// flowDaysRead returns when each of the organization's flow days from the
// day from to the day to, included, was last read, by date.
func (s *Store) flowDaysRead(ctx context.Context, org bson.ObjectID, from, to time.Time) (map[time.Time]time.Time, error) {
	days := int(to.Sub(from).Hours()/24) + 1
	docs, err := findAll[flowDayDoc](ctx, s.flowDays, bson.D{
		{Key: "organizationId", Value: org},
		{Key: "date", Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lte", Value: to}}},
	}, options.Find().
		SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: "date", Value: 1}, {Key: "syncedAt", Value: 1}}).
		SetBatchSize(int32(days+1)))
	if err != nil {
		return nil, err
	}
	out := make(map[time.Time]time.Time, len(docs))
	for _, d := range docs {
		out[utcDay(d.Date)] = d.SyncedAt
	}
	return out, nil
}
