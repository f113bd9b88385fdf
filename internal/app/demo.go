package app

import (
	"context"
	"log/slog"

	"github.com/omnify/bff/graph"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/demo"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/legal"
	"github.com/omnify/bff/internal/mongodb"
)

// CheckDemoPassword reports a demo password (OMNIFY_DEMO_PASSWORD) that no
// password check would accept, naming the variable; nil when the demo is
// off or the password is empty (a random one is made).
func CheckDemoPassword(cfg config.Config) error {
	if !cfg.Demo {
		return nil
	}
	return demo.CheckPassword(cfg.DemoPassword)
}

// Demo is what start-up did about the demo organization: nothing
// (Outcome empty) when OMNIFY_DEMO is off.
func (a *App) Demo() demo.Result { return a.demoResult }

// ensureDemo creates the demo organization at start-up when OMNIFY_DEMO is
// on and the database has no organization yet (demo.Service.Ensure).
func (a *App) ensureDemo(ctx context.Context, svc *demo.Service) error {
	if !a.cfg.Demo {
		return nil
	}
	res, err := svc.Ensure(ctx, a.cfg.DemoPassword)
	if err != nil {
		return err
	}
	a.demoResult = res
	return nil
}

// ResetDemo is `omnify demo` against the configured database: it creates
// the demo organization when it does not exist, and otherwise sets a new
// password for the demo user (OMNIFY_DEMO_PASSWORD, or random) and
// regenerates the sample data to end yesterday. On the embedded database
// it refuses to run while an `omnify serve` uses the same data directory.
// With OMNIFY_NATS_URL, running processes hear of the new password (the
// demo user's sessions end) and of the new data at once.
func ResetDemo(ctx context.Context, cfg config.Config, logger *slog.Logger) (demo.Result, error) {
	if err := demo.CheckPassword(cfg.DemoPassword); err != nil {
		return demo.Result{}, err
	}
	if cfg.MongoURI == "" {
		unlock, err := lockDataDir(cfg.DataDir, true)
		if err != nil {
			return demo.Result{}, err
		}
		defer unlock()
	}
	db, err := mongodb.Open(ctx, mongoOptions(cfg, logger, "omnify-demo"))
	if err != nil {
		return demo.Result{}, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	bus, err := openBus(ctx, cfg, logger)
	if err != nil {
		return demo.Result{}, err
	}
	defer bus.Close()

	authStore := auth.NewStore(db)
	if err := authStore.EnsureIndexes(ctx); err != nil {
		return demo.Result{}, err
	}
	authService := auth.New(authStore, auth.Options{Logger: logger.With("module", "auth")})
	if _, err := shareAuthChanges(ctx, bus, authService, false, logger.With("module", "auth")); err != nil {
		return demo.Result{}, err
	}
	legalService := legal.New(legal.NewStore(db), legal.Options{Organizations: authService})
	if err := legalService.EnsureShipped(ctx); err != nil {
		return demo.Result{}, err
	}
	sealer, err := credentialSealer(cfg, logger)
	if err != nil {
		return demo.Result{}, err
	}
	integrationStore := integrations.NewStore(db)
	if err := integrationStore.EnsureIndexes(ctx); err != nil {
		return demo.Result{}, err
	}
	changes := &readModelChanges{bus: bus, logger: logger}
	integrationService := integrations.New(integrationStore, integrations.Options{
		Sealer: sealer, Notify: graph.PublishIntegrationEvents(bus, logger), Changed: changes.publish, Logger: logger,
	})
	svc := demo.New(demo.NewStore(db), demo.Options{
		Accounts: authService, Legal: legalService, Data: integrationService,
		SyncInterval: cfg.SyncInterval, Logger: logger.With("module", "demo"),
	})
	return svc.Reset(ctx, cfg.DemoPassword)
}
