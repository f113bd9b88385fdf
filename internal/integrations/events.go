package integrations

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Event reports a change to an integration or its sync run, for live
// updates of the dashboard. Events are a signal, not a record: the state
// they describe is stored before they are sent.
type Event struct {
	// ID is assigned when the event is sent, unique among all events.
	ID bson.ObjectID
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

// notify sends an event about doc and, when given, its run. Each event gets
// its own id here, so that a client can tell two events apart even when
// they carry the same platform, status and time.
func (s *Service) notify(ctx context.Context, doc *integrationDoc, run *SyncRun, at time.Time) {
	e := Event{ID: bson.NewObjectID(), OrganizationID: doc.OrganizationID, Platform: doc.Platform, Status: doc.Status, At: at}
	if run != nil {
		snapshot := *run
		e.Sync = &snapshot
	}
	s.opts.Cache.invalidateState(e.OrganizationID)
	s.opts.Changed(ctx, e.OrganizationID, 0)
	s.opts.Notify(ctx, e)
}

// Observe applies an integration event received from the bus to this
// process's Cache before it is delivered to subscribers, so that a client
// that sees a sync end, or a disconnect, then reads, gets what that change
// stored, whichever of the bus's messages reached this process first.
func (s *Service) Observe(e Event) {
	if s.opts.Cache == nil {
		return
	}
	if e.Status == StatusDisconnected || e.Sync != nil && !e.Sync.Status.Active() {
		s.opts.Cache.Invalidate(e.OrganizationID, 0)
		return
	}
	s.opts.Cache.invalidateState(e.OrganizationID)
}
