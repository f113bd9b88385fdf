package integrations

import (
	"context"
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The record-scanning reads the dashboard made before the read models,
// kept to check that the rollups give the same figures.

// legacySummary is MarketingSummary as it was computed from the records.
func legacySummary(t *testing.T, s *Store, org bson.ObjectID, from, to time.Time) Summary {
	t.Helper()
	ctx := t.Context()
	from, to, days, err := dayRange(from, to)
	if err != nil {
		t.Fatal(err)
	}
	prevFrom := from.AddDate(0, 0, -days)
	rows, err := s.dailyRows(ctx, org, prevFrom, to, 2*days*dailyPlatforms)
	if err != nil {
		t.Fatal(err)
	}
	campaigns, flowDays, err := s.attributedRows(ctx, org, prevFrom, to, 2*days)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, fd := range flowDays {
		for _, f := range fd.Flows {
			ids = append(ids, f.FlowID)
		}
	}
	names, err := s.flowNames(ctx, org, ids)
	if err != nil {
		t.Fatal(err)
	}
	return summarize(org, from, to, days, rows, campaigns, flowDays, names)
}

// legacyEmailDaily is EmailDaily as it was computed from the records.
func legacyEmailDaily(t *testing.T, s *Store, org bson.ObjectID, from, to time.Time) []EmailDay {
	t.Helper()
	ctx := t.Context()
	from, to, days, err := dayRange(from, to)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.emailRows(ctx, org, from, to, days)
	if err != nil {
		t.Fatal(err)
	}
	campaigns, flowDays, err := s.attributedRows(ctx, org, from, to, days)
	if err != nil {
		t.Fatal(err)
	}
	attributed := map[time.Time]float64{}
	for _, c := range campaigns {
		if c.SendDate != nil {
			attributed[utcDay(*c.SendDate)] += c.Revenue
		}
	}
	for _, fd := range flowDays {
		for _, f := range fd.Flows {
			attributed[utcDay(fd.Date)] += f.Revenue
		}
	}
	out := make([]EmailDay, 0, len(rows))
	for _, r := range rows {
		date := utcDay(r.Date)
		out = append(out, EmailDay{Date: date, Received: int(math.Round(r.EmailsReceived)), Opened: int(math.Round(r.EmailsOpened)),
			Clicked: int(math.Round(r.EmailsClicked)), Revenue: attributed[date]})
	}
	return out
}

// dailyRows returns the organization's daily figures of every platform from
// the day from to the day to, included, without their sync bookkeeping.
// expected is how many rows there are at most: the batch holds one more,
// so that one reply carries them all and closes the cursor, with no
// getMore.
func (s *Store) dailyRows(ctx context.Context, org bson.ObjectID, from, to time.Time, expected int) ([]dailyDoc, error) {
	return findAll[dailyDoc](ctx, s.daily, bson.D{
		{Key: "organizationId", Value: org},
		{Key: "date", Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lte", Value: to}}},
	}, options.Find().
		SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: "syncRunId", Value: 0}, {Key: "syncedAt", Value: 0}}).
		SetBatchSize(int32(expected+1)))
}

// emailRows returns the organization's Klaviyo daily figures from the day
// from to the day to, included, by date, with only the date and the email
// figures. days is how many rows there are at most: the batch holds one
// more, so that one reply carries them all and closes the cursor, with no
// getMore.
func (s *Store) emailRows(ctx context.Context, org bson.ObjectID, from, to time.Time, days int) ([]dailyDoc, error) {
	return findAll[dailyDoc](ctx, s.daily, bson.D{
		{Key: "organizationId", Value: org},
		{Key: "platform", Value: Klaviyo},
		{Key: "date", Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lte", Value: to}}},
	}, options.Find().
		SetProjection(bson.D{
			{Key: "_id", Value: 0}, {Key: "date", Value: 1}, {Key: "emailsReceived", Value: 1},
			{Key: "emailsOpened", Value: 1}, {Key: "emailsClicked", Value: 1},
		}).
		SetSort(bson.D{{Key: "date", Value: 1}}).
		SetBatchSize(int32(days+1)))
}

// attributedRows returns the organization's campaign values sent and flow
// days from the day from to the day to, included: two finds, whatever the
// number of days. days is the number of days, so that the flow days come
// in one reply.
func (s *Store) attributedRows(ctx context.Context, org bson.ObjectID, from, to time.Time, days int) ([]campaignValueDoc, []flowDayDoc, error) {
	inRange := bson.D{{Key: "$gte", Value: from}, {Key: "$lte", Value: to}}
	campaigns, err := findAll[campaignValueDoc](ctx, s.campaignValues, bson.D{
		{Key: "organizationId", Value: org},
		{Key: "sendDate", Value: inRange},
	}, options.Find().
		SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: "syncRunId", Value: 0}, {Key: "syncedAt", Value: 0}}).
		SetBatchSize(1000))
	if err != nil {
		return nil, nil, err
	}
	flows, err := findAll[flowDayDoc](ctx, s.flowDays, bson.D{
		{Key: "organizationId", Value: org},
		{Key: "date", Value: inRange},
	}, options.Find().
		SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: "date", Value: 1}, {Key: "flows", Value: 1}}).
		SetBatchSize(int32(days+1)))
	if err != nil {
		return nil, nil, err
	}
	return campaigns, flows, nil
}

// flowNames returns the names of the organization's flows with the given
// Klaviyo ids, by id: one find.
func (s *Store) flowNames(ctx context.Context, org bson.ObjectID, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	keys := make(bson.A, len(ids))
	for i, id := range ids {
		keys[i] = recordKey(org, id)
	}
	docs, err := findAll[flowDoc](ctx, s.flows, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: keys}}}},
		options.Find().SetProjection(bson.D{{Key: "organizationId", Value: 1}, {Key: "externalId", Value: 1}, {Key: "name", Value: 1}}))
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if d.OrganizationID == org {
			out[d.ExternalID] = d.Name
		}
	}
	return out, nil
}
