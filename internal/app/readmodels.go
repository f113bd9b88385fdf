package app

import (
	"context"
	"encoding/json"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/events"
	"github.com/omnify/bff/internal/httpserver"
	"github.com/omnify/bff/internal/integrations"
)

// readModelsSubject carries every change of an organization's read models
// and integration state (integrations.Options.Changed) to every process,
// in the order they were made, so that each drops what its cache holds of
// the organization. One subject for all organizations: one subscription
// per process, and a rebuilt rollup's message always precedes the message
// of the sync end that caused it.
const readModelsSubject = "readmodels.changed"

// readModelChange is a change on the bus: the organization and its new
// data version, 0 for a change of its integrations' state.
type readModelChange struct {
	OrganizationID bson.ObjectID `json:"organization"`
	Version        int64         `json:"version,omitempty"`
}

// readModelChanges shares the changes of read models between processes.
type readModelChanges struct {
	bus    events.Bus
	cache  *integrations.Cache
	logger *slog.Logger
}

// shareReadModelChanges subscribes to the changes every process publishes
// and applies them to cache until the bus closes; publish is the
// integrations module's Options.Changed.
func shareReadModelChanges(ctx context.Context, bus events.Bus, cache *integrations.Cache, logger *slog.Logger) (*readModelChanges, error) {
	r := &readModelChanges{bus: bus, cache: cache, logger: logger}
	if cache == nil {
		return r, nil
	}
	// The subscription lasts until the bus closes.
	sub, err := bus.Subscribe(context.WithoutCancel(ctx), readModelsSubject)
	if err != nil {
		return nil, err
	}
	go func() {
		for data := range sub.C {
			var m readModelChange
			if err := json.Unmarshal(data, &m); err != nil || m.OrganizationID.IsZero() {
				logger.Warn("a change of read models that cannot be read", slog.Any("error", err))
				continue
			}
			cache.Apply(m.OrganizationID, m.Version)
		}
	}()
	return r, nil
}

// publish sends a change to every process; a process that misses it
// serves what it holds until the entry's time to live (OMNIFY_CACHE_TTL).
func (r *readModelChanges) publish(ctx context.Context, org bson.ObjectID, version int64) {
	data, err := json.Marshal(readModelChange{OrganizationID: org, Version: version})
	if err == nil {
		err = r.bus.Publish(ctx, readModelsSubject, data)
	}
	if err != nil {
		r.logger.WarnContext(ctx, "publish a change of read models", slog.Any("error", err))
	}
}

// cacheShares splits OMNIFY_CACHE_MAX_BYTES: three quarters for the read
// models and integration states (integrations.Cache), a quarter for whole
// answers built from them (the answer cache).
func cacheShares(cfg config.Config) (readModels, answers int64) {
	answers = cfg.CacheMaxBytes / 4
	return cfg.CacheMaxBytes - answers, answers
}

// answerOptions keeps whole answers of the dashboard's queries in their
// share of OMNIFY_CACHE_MAX_BYTES, fresh by the read-model cache's
// generation; without that cache it keeps none.
func answerOptions(cfg config.Config, cache *integrations.Cache) httpserver.AnswerOptions {
	if cache == nil {
		return httpserver.AnswerOptions{}
	}
	_, answers := cacheShares(cfg)
	return httpserver.AnswerOptions{
		MaxBytes:   answers,
		TTL:        cfg.CacheTTL,
		Fields:     graph.AnswerFields,
		Generation: cache.Generation,
	}
}
