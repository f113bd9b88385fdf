package integrations

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// markDemoSynced records on a demo connection that its data was written at
// at: CONNECTED, synced then. It returns nil when the integration is no
// longer on the connection connID (disconnected or reconnected meanwhile).
func (s *Store) markDemoSynced(ctx context.Context, org bson.ObjectID, p Platform, connID bson.ObjectID, at time.Time) (*integrationDoc, error) {
	return s.updateIntegration(ctx, org, p,
		bson.D{{Key: "connectionId", Value: connID}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: StatusConnected},
			{Key: "lastSyncedAt", Value: at},
			{Key: "lastError", Value: ""},
			{Key: "updatedAt", Value: at},
		}}}, false)
}
