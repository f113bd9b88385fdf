package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/events"
)

// openBus is the process's event bus: NATS when OMNIFY_NATS_URL is set, so
// that every process of a deployment hears every other, else in-process.
func openBus(ctx context.Context, cfg config.Config, logger *slog.Logger) (events.Bus, error) {
	if cfg.NATSURL == "" {
		return events.NewLocal(), nil
	}
	return events.Connect(ctx, cfg.NATSURL, events.NATSOptions{
		Name:   "omnify-" + string(cfg.Role),
		Logger: logger.With("module", "events"),
	})
}

// authChangesSubject carries changes of authority (auth.Change) between
// processes, so that each drops the principals it cached of them and
// re-checks its open connections at once. A message lost (NATS unreachable,
// a full subscription) leaves a cached principal at most
// OMNIFY_AUTH_CACHE_TTL and a connection at most
// OMNIFY_WS_AUTH_RECHECK_INTERVAL.
const authChangesSubject = "auth.changes"

// authChange is auth.Change on the bus. It names the session (by the hash
// the sessions collection is keyed by, never the token), key, user or
// organization affected, and the process that made the change, which has
// already re-checked its own connections.
type authChange struct {
	Origin         string        `json:"origin"`
	SessionID      string        `json:"session,omitempty"`
	APIKeyID       bson.ObjectID `json:"apiKey,omitzero"`
	UserID         bson.ObjectID `json:"user,omitzero"`
	OrganizationID bson.ObjectID `json:"organization,omitzero"`
}

// maxConcurrentAuthChanges bounds the changes of other processes whose
// re-checks run at once; beyond it the subscription's buffer fills and the
// cache's TTL and the periodic re-check cover what is dropped.
const maxConcurrentAuthChanges = 8

// authChanges shares changes of authority between the processes on bus.
type authChanges struct {
	origin string
	bus    events.Bus
	svc    *auth.Service
	logger *slog.Logger
	done   chan struct{} // closed when listen returns
}

// shareAuthChanges makes svc publish its changes on bus and, when listen is
// true (processes that hold WebSockets and event streams), apply the
// changes of other processes. Call wait after the bus is closed.
func shareAuthChanges(ctx context.Context, bus events.Bus, svc *auth.Service, listen bool, logger *slog.Logger) (*authChanges, error) {
	a := &authChanges{origin: bson.NewObjectID().Hex(), bus: bus, svc: svc, logger: logger, done: make(chan struct{})}
	if listen {
		// The subscription lasts until the bus closes.
		sub, err := bus.Subscribe(context.WithoutCancel(ctx), authChangesSubject)
		if err != nil {
			return nil, err
		}
		go a.listen(sub)
	} else {
		close(a.done)
	}
	svc.OnChange(a.publish)
	return a, nil
}

func (a *authChanges) publish(ctx context.Context, c auth.Change) {
	data, err := json.Marshal(authChange{Origin: a.origin, SessionID: c.SessionID, APIKeyID: c.APIKeyID, UserID: c.UserID, OrganizationID: c.OrganizationID})
	if err == nil {
		err = a.bus.Publish(ctx, authChangesSubject, data)
	}
	if err != nil {
		// Other processes see the change at their periodic re-check.
		a.logger.WarnContext(ctx, "publish a change of authority", slog.Any("error", err))
	}
}

func (a *authChanges) listen(sub *events.Subscription) {
	defer close(a.done)
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxConcurrentAuthChanges)
	for data := range sub.C {
		var m authChange
		if err := json.Unmarshal(data, &m); err != nil {
			a.logger.Warn("a change of authority that cannot be read", slog.Any("error", err))
			continue
		}
		if m.Origin == a.origin {
			continue // applied when it was made
		}
		c := auth.Change{SessionID: m.SessionID, APIKeyID: m.APIKeyID, UserID: m.UserID, OrganizationID: m.OrganizationID}
		// The cached principals go at once, whatever re-checks are still
		// running: the next request here reads the database.
		a.svc.Forget(c)
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			a.svc.ApplyChange(context.Background(), c)
		})
	}
}

// wait returns once the changes being applied are done; the bus must be
// closed first (that ends the subscription).
func (a *authChanges) wait(ctx context.Context) error {
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
