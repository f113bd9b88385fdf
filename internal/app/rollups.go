package app

import (
	"context"
	"log/slog"

	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/mongodb"
)

// RebuildRollups rebuilds the read models of every organization from its
// synced records in the configured database, batch organizations at a time
// (integrations.DefaultRebuildBatch when batch is not positive), as `omnify
// rollups rebuild` does, and records their format. It returns how many
// organizations it rebuilt. With OMNIFY_NATS_URL, every running process
// hears of each rebuilt organization and drops what it keeps of it; without,
// running processes serve what they keep for at most OMNIFY_CACHE_TTL.
func RebuildRollups(ctx context.Context, cfg config.Config, logger *slog.Logger, batch int) (int, error) {
	db, err := mongodb.Open(ctx, mongoOptions(cfg, logger, "omnify-rollups"))
	if err != nil {
		return 0, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	store := integrations.NewStore(db)
	if err := store.EnsureIndexes(ctx); err != nil {
		return 0, err
	}
	opts := integrations.Options{Logger: logger}
	if cfg.NATSURL != "" {
		// Running processes drop what they keep of each organization at once.
		bus, err := openBus(ctx, cfg, logger)
		if err != nil {
			return 0, err
		}
		defer bus.Close()
		opts.Changed = (&readModelChanges{bus: bus, logger: logger}).publish
	}
	svc := integrations.New(store, opts)
	n, err := svc.RebuildRollups(ctx, batch)
	if err != nil {
		return n, err
	}
	return n, svc.RecordRollupFormat(ctx)
}
