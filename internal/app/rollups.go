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
// organizations it rebuilt.
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
	svc := integrations.New(store, integrations.Options{Logger: logger})
	n, err := svc.RebuildRollups(ctx, batch)
	if err != nil {
		return n, err
	}
	return n, svc.RecordRollupFormat(ctx)
}
