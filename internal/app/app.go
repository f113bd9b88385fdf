// Package app is the composition root: it turns a Config into a running
// process (database, modules, GraphQL schema, HTTP server) and shuts it down
// in the reverse order. Nothing else in the program builds dependencies.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/graph"
	"github.com/omnify/bff/graph/generated"
	"github.com/omnify/bff/internal/agents"
	"github.com/omnify/bff/internal/agents/agentkit"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/demo"
	"github.com/omnify/bff/internal/events"
	"github.com/omnify/bff/internal/httpserver"
	"github.com/omnify/bff/internal/integrations"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/legal"
	"github.com/omnify/bff/internal/loaders"
	"github.com/omnify/bff/internal/mongodb"
	"github.com/omnify/bff/web"
)

// Options are the process-level facts the composition root cannot read from
// Config.
type Options struct {
	// Version of the binary, shown by serverInfo.
	Version string
	// Logger for everything the process logs.
	Logger *slog.Logger
	// MongoMonitor, when set, sees every database command (tests count them).
	MongoMonitor *mongodb.CommandCounter
	// LoaderWait is how long each operation's dataloaders collect keys
	// before they query [loaders.DefaultWait]. Tests shorten it to show
	// that what a list costs does not depend on when its items resolve.
	LoaderWait time.Duration
}

// App is a started process: its database is open and its listener bound.
type App struct {
	cfg    config.Config
	logger *slog.Logger
	db     *mongodb.DB
	bus    events.Bus
	auth   *authChanges
	worker *integrations.Worker
	// integrations is the integrations module, whose read models a worker
	// process rebuilds at start-up when their format changed.
	integrations *integrations.Service
	// cache holds the organizations' read models in this process; nil
	// when OMNIFY_CACHE_MAX_BYTES is 0.
	cache    *integrations.Cache
	agents   *agents.Service
	agentRun *agents.Worker
	// external is the agent service's catalog, kept fresh in the
	// background; nil without OMNIFY_AGENTKIT_URL.
	external *agents.ExternalCatalog
	// organizationIDs pages through every organization (the agents
	// catalog's start-up pass).
	organizationIDs func(ctx context.Context, after bson.ObjectID, limit int) ([]bson.ObjectID, error)
	server          *httpserver.Server
	http            *http.Server
	listener        net.Listener
	stopWork        context.CancelFunc
	workDone        chan struct{}
	// demoResult is what start-up did about the demo organization.
	demoResult demo.Result
	// unlockDataDir releases the embedded database's data directory.
	unlockDataDir func()
}

// catalogRefresh is how often the agent service's catalog is read again.
const catalogRefresh = 5 * time.Minute

// catalogFirstRead bounds the first read of the agent service's catalog,
// which start-up waits for.
const catalogFirstRead = 3 * time.Second

// New opens the database, builds the modules and the HTTP server, and binds
// the listener (so Addr is known before Serve). On error, whatever was
// started is stopped again.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	started := time.Now().UTC()
	if err := CheckDemoPassword(cfg); err != nil {
		return nil, err
	}
	unlock := func() {}
	if cfg.MongoURI == "" {
		// `omnify demo` waits for no running server on the same files.
		var err error
		if unlock, err = lockDataDir(cfg.DataDir, false); err != nil {
			return nil, err
		}
	}

	mopts := mongoOptions(cfg, o.Logger, "omnify-"+string(cfg.Role))
	if o.MongoMonitor != nil {
		mopts.Monitor = o.MongoMonitor.Monitor()
	}
	db, err := mongodb.Open(ctx, mopts)
	if err != nil {
		unlock()
		return nil, err
	}
	if db.Embedded != nil && cfg.Production() {
		o.Logger.Warn("the embedded database is for development: it keeps its data on this machine, " +
			"cannot be shared by replicas and has no users or backups; set MONGODB_URI in production")
	}
	a := &App{cfg: cfg, logger: o.Logger, db: db, unlockDataDir: unlock}
	fail := func(err error) (*App, error) {
		if a.bus != nil {
			_ = a.bus.Close()
		}
		a.cache.Close()
		_ = a.db.Close(context.WithoutCancel(ctx))
		a.unlockDataDir()
		return nil, err
	}

	// One bus for every live event of the process: NATS between the
	// processes of a deployment, or in-process for a single one.
	if a.bus, err = openBus(ctx, cfg, o.Logger); err != nil {
		return fail(err)
	}

	authStore := auth.NewStore(db)
	if err := authStore.EnsureIndexes(ctx); err != nil {
		return fail(err)
	}
	// Only a process that serves the API authenticates requests, and only
	// it hears the other processes' changes of authority (shareAuthChanges).
	cacheTTL := cfg.AuthCacheTTL
	if !cfg.RunsAPI() {
		cacheTTL = 0
	}
	authService := auth.New(authStore, auth.Options{Logger: o.Logger.With("module", "auth"),
		CacheTTL: cacheTTL, CacheEntries: cfg.AuthCacheEntries})
	// Changes of authority reach the open connections of every process at once.
	if a.auth, err = shareAuthChanges(ctx, a.bus, authService, cfg.RunsAPI(), o.Logger.With("module", "auth")); err != nil {
		return fail(err)
	}
	if err := authService.FinishSignUps(ctx); err != nil {
		// Those left stay pending and are finished at their next sign-up or login.
		o.Logger.Warn("interrupted sign-ups", slog.Any("error", err))
	}

	// The legal gate remembers who is done as long as principals are
	// cached at all: OMNIFY_AUTH_CACHE_TTL=0 makes every request read.
	gateEntries := 0
	if cacheTTL > 0 {
		gateEntries = cfg.AuthCacheEntries
	}
	legalService := legal.New(legal.NewStore(db), legal.Options{Organizations: authService, GateCacheEntries: gateEntries})
	if err := legalService.EnsureShipped(ctx); err != nil {
		return fail(err)
	}

	sealer, err := credentialSealer(cfg, o.Logger)
	if err != nil {
		return fail(err)
	}
	integrationStore := integrations.NewStore(db)
	if err := integrationStore.EnsureIndexes(ctx); err != nil {
		return fail(err)
	}
	clients := integrations.NewClients(integrations.BaseURLs{
		TripleWhale: cfg.TripleWhaleBaseURL, HubSpot: cfg.HubSpotBaseURL, Klaviyo: cfg.KlaviyoBaseURL,
	}, platform.Options{})
	// Each process keeps the dashboard's read models; every process hears
	// of every change to them.
	readModelBytes, _ := cacheShares(cfg)
	a.cache = integrations.NewCache(readModelBytes, cfg.CacheTTL)
	changes, err := shareReadModelChanges(ctx, a.bus, a.cache, o.Logger.With("module", "integrations"))
	if err != nil {
		return fail(err)
	}
	integrationService := integrations.New(integrationStore, integrations.Options{
		Sealer: sealer, Clients: clients, Notify: graph.PublishIntegrationEvents(a.bus, o.Logger),
		Cache: a.cache, Changed: changes.publish,
	})
	a.integrations = integrationService
	if cfg.RunsWorker() {
		l := cfg.KlaviyoReportLimits
		limit := func(c config.CallLimit) integrations.RateLimit {
			return integrations.RateLimit{Calls: c.Calls, Window: c.Window}
		}
		a.worker = integrations.NewWorker(integrationService, integrations.WorkerOptions{
			Clients: clients, Interval: cfg.SyncInterval, Logger: o.Logger.With("module", "integrations"),
			ReportLimits: integrations.ReportLimits{Burst: limit(l[0]), Steady: limit(l[1]), Daily: limit(l[2])},
		})
	}

	// The demo organization, on a database without any organization.
	demoService := demo.New(demo.NewStore(db), demo.Options{
		Accounts: authService, Legal: legalService, Data: integrationService,
		SyncInterval: cfg.SyncInterval, Logger: o.Logger.With("module", "demo"),
	})
	if err := a.ensureDemo(ctx, demoService); err != nil {
		return fail(err)
	}

	agentStore := agents.NewStore(db)
	if err := agentStore.EnsureIndexes(ctx); err != nil {
		return fail(err)
	}
	agentOptions := agents.Options{
		Bus:                a.bus,
		Analyzers:          agentAnalyzers(),
		Source:             integrationSource{svc: integrationService},
		SubscriptionBuffer: cfg.AgentSubscriptionBuffer,
		Logger:             o.Logger.With("module", "agents"),
	}
	routes := map[string]http.Handler{}
	if cfg.AgentKitURL != "" {
		client, err := agentkit.NewClient(cfg.AgentKitURL, []byte(cfg.AgentKitSecret), agentkit.Options{})
		if err != nil {
			return fail(err)
		}
		a.external = agents.NewExternalCatalog(client, agentOptions.Logger)
		// Start-up waits for the agent service a few seconds at most.
		first, cancel := context.WithTimeout(ctx, catalogFirstRead)
		err = a.external.Refresh(first)
		cancel()
		if err != nil {
			// The agent service may start after us: its agents appear at the next refresh.
			o.Logger.Warn("agents: read the agent service's catalog", slog.Any("error", err))
		}
		agentOptions.Catalog = []agents.CatalogSource{agents.BuiltIn{}, a.external}
		agentOptions.External = client
		agentOptions.CallbackURL = cfg.PublicURL + agentkit.HookPath
	}
	a.agents = agents.New(agentStore, agentOptions)
	if cfg.AgentKitURL != "" {
		routes["POST "+agentkit.HookPath] = agentkit.Hook([]byte(cfg.AgentKitSecret), a.agents, agentOptions.Logger, nil)
	}
	if cfg.RunsWorker() {
		a.agentRun = agents.NewWorker(a.agents, agents.WorkerOptions{Workers: cfg.AgentWorkers})
	}
	a.organizationIDs = authService.OrganizationIDs

	metricsOptions := httpserver.MetricsOptions{
		OperationNames:      cfg.MetricsOperationNames,
		OperationNameLength: cfg.MetricsOperationNameLength,
	}
	metrics := httpserver.NewMetrics(metricsOptions)
	metrics.Registry().MustRegister(db.Metrics())
	if a.cache != nil {
		metrics.Registry().MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "omnify_read_model_cache_bytes",
			Help: "Memory held by the cache of the organizations' dashboard read models and integration states, as estimated for OMNIFY_CACHE_MAX_BYTES.",
		}, func() float64 { return float64(a.cache.Bytes()) }))
	}
	checks := map[string]httpserver.Check{"database": db.Check}
	if c, ok := a.bus.(events.Checker); ok {
		checks["bus"] = c.Check // NATS: without it, live events stop between processes
	}
	sources := loaders.Sources{
		Users:            authService.UsersByIDs,
		Organizations:    authService.OrganizationsByIDs,
		KeptUser:         authService.KeptUser,
		KeptOrganization: authService.KeptOrganization,
		LegalDocuments:   legalService.DocumentsByIDs,
		SyncRuns:         graph.SyncRunsSource(integrationService),
		AgentExecutions:  graph.AgentExecutionsSource(a.agents),
	}
	sopts := httpserver.Options{
		Routes:          routes,
		Logger:          o.Logger,
		Checks:          checks,
		Metrics:         metrics,
		RequestTimeout:  cfg.RequestTimeout,
		MaxBodyBytes:    cfg.MaxBodyBytes,
		BodyReadTimeout: cfg.BodyReadTimeout,
		Limits: httpserver.QueryLimits{
			Tokens:       cfg.MaxQueryTokens,
			Aliases:      cfg.MaxQueryAliases,
			Directives:   cfg.MaxQueryDirectives,
			FieldRepeats: cfg.MaxQueryFieldRepeats,
			Depth:        cfg.MaxQueryDepth,
			Complexity:   cfg.MaxQueryComplexity,
			SchemaFields: cfg.MaxQuerySchemaFields,
			Errors:       cfg.MaxResponseErrors,
		},
		QueryCacheBytes:     cfg.QueryCacheBytes,
		APQCacheBytes:       cfg.APQCacheBytes,
		Answers:             answerOptions(cfg, a.cache),
		MetricsOptions:      metricsOptions,
		Introspection:       true,
		IntrospectionPublic: !cfg.Production(),
		Authenticator:       authService,
		SecureCookies:       cfg.Production(),
		TrustedProxies:      cfg.TrustedProxies,
		Gates: []httpserver.Gate{
			func(ctx context.Context, op httpserver.Operation) error { return auth.CheckWriteScope(ctx, op.Type) },
			legalGate(legalService),
		},
		PerOperation: func(ctx context.Context) context.Context {
			ctx = authz.Pin(ctx) // a connection's authority may change; an operation's may not
			ctx = graph.WithStreamEnds(ctx)
			ctx = integrations.WithReadMemo(ctx)
			return loaders.WithNew(ctx, sources, o.LoaderWait)
		},
		// Each response (each event of a subscription) loads afresh.
		PerResponse: func(ctx context.Context) context.Context {
			ctx = integrations.WithReadMemo(ctx)
			return loaders.WithNew(ctx, sources, o.LoaderWait)
		},
		StreamError:                  graph.StreamEndError,
		WebsocketRecheckInterval:     cfg.WebsocketRecheckInterval,
		AllowedOrigins:               cfg.AllowedOrigins,
		WebsocketInitTimeout:         cfg.WebsocketInitTimeout,
		WebsocketPingInterval:        cfg.WebsocketPingInterval,
		WebsocketMaxSubscriptions:    cfg.WebsocketMaxSubscriptions,
		WebsocketMaxSocketsPerClient: cfg.WebsocketMaxSocketsPerClient,
		Web:                          web.Dist(),
		Playground:                   web.Playground(),
	}
	if cfg.RunsAPI() {
		resolver := &graph.Resolver{Version: o.Version, StartedAt: started, Auth: authService, Legal: legalService,
			IntegrationService: integrationService, AgentService: a.agents, Bus: a.bus, Demo: demoService}
		sopts.Schema = generated.NewExecutableSchema(generated.Config{Resolvers: resolver, Directives: graph.Directives()})
	}
	a.server = httpserver.New(sopts)

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fail(fmt.Errorf("listen on %s (OMNIFY_HTTP_ADDR): %w", cfg.HTTPAddr, err))
	}
	a.listener = ln
	a.http = &http.Server{
		Handler:           a.server,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// mongoOptions are the database settings of cfg, the same for the server
// and for the commands that open the database themselves (legal publish).
func mongoOptions(cfg config.Config, logger *slog.Logger, appName string) mongodb.Options {
	return mongodb.Options{
		URI:            cfg.MongoURI,
		Database:       cfg.MongoDatabase,
		DataDir:        cfg.DataDir,
		ConnectTimeout: cfg.MongoConnectTimeout,
		OpTimeout:      cfg.MongoOpTimeout,
		Logger:         logger,
		AppName:        appName,
	}
}

// Addr is the address the server listens on.
func (a *App) Addr() net.Addr { return a.listener.Addr() }

// Serve serves until ctx is cancelled, then shuts down: /readyz turns 503
// and WebSockets are closed with 1001, the listener closes and in-flight
// requests finish within the shutdown timeout, and finally the database (and
// an embedded FerretDB) is closed. It returns nil after a clean shutdown.
func (a *App) Serve(ctx context.Context) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- a.http.Serve(a.listener) }()

	// Background work stops before the database closes (see shutdown).
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	a.stopWork = stopWork
	a.workDone = make(chan struct{})
	go func() {
		defer close(a.workDone)
		var wg sync.WaitGroup
		if a.external != nil {
			wg.Go(func() { a.external.Keep(workCtx, catalogRefresh) })
		}
		if a.agentRun != nil {
			wg.Go(func() {
				// Organizations created before the agents module get their
				// catalog here; new ones at their first read of agents.
				if n, err := a.agents.EnsureAllCatalogs(workCtx, a.organizationIDs); err != nil && workCtx.Err() == nil {
					a.logger.Warn("agents: catalog of existing organizations", slog.Any("error", err), slog.Int("done", n))
				}
				if err := a.agentRun.Run(workCtx); err != nil {
					a.logger.Error("agents worker stopped", slog.Any("error", err))
				}
			})
		}
		if a.worker != nil {
			// Read models of another format are rebuilt before the first sync;
			// until then a read rebuilds the organization's own.
			if n, err := a.integrations.RebuildRollupsIfStale(workCtx); err != nil && workCtx.Err() == nil {
				a.logger.Warn("integrations: rebuild read models of another format", slog.Any("error", err), slog.Int("done", n))
			} else if n > 0 {
				a.logger.Info("integrations: rebuilt read models of another format", slog.Int("organizations", n))
			}
			if err := a.worker.Run(workCtx); err != nil {
				a.logger.Error("integrations worker stopped", slog.Any("error", err))
			}
		}
		wg.Wait()
	}()

	var err error
	select {
	case err = <-serveErr:
		err = fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.logger.Info("shutting down", slog.Duration("timeout", a.cfg.ShutdownTimeout))
	return errors.Join(err, a.shutdown())
}

func (a *App) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	a.server.Drain()
	if a.cfg.DrainDelay > 0 {
		// Keep serving while load balancers notice the 503 from /readyz.
		select {
		case <-time.After(a.cfg.DrainDelay):
		case <-ctx.Done():
		}
	}
	var errs []error
	if err := a.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		_ = a.http.Close()
	}
	if err := a.server.WaitWebsockets(ctx); err != nil {
		errs = append(errs, err)
	}
	if a.stopWork != nil {
		a.stopWork() // a run in progress goes back to the queue for another worker
		select {
		case <-a.workDone:
		case <-ctx.Done():
			errs = append(errs, errors.New("background work did not stop within the shutdown timeout"))
		}
	}
	_ = a.bus.Close()
	a.cache.Close()
	if err := a.auth.wait(ctx); err != nil {
		errs = append(errs, fmt.Errorf("changes of authority still being applied: %w", err))
	}
	if err := a.db.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	a.unlockDataDir()
	return errors.Join(errs...)
}

// Close stops an App that was never served.
func (a *App) Close() error {
	_ = a.listener.Close()
	return a.shutdown()
}
