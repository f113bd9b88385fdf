package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/gorilla/websocket"

	"github.com/omnify/bff/internal/app/apptest"
	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
	"github.com/omnify/bff/internal/mongodb/mongotest"
)

// The soak test's shape and bounds.
const (
	// soakDefaultDuration is the load phase when SOAK_DURATION is unset;
	// `make soak` runs 10 minutes.
	soakDefaultDuration = time.Minute
	// soakLoadPerOrg sets how many organizations go through the load at
	// once: one per soakLoadPerOrg of load, from soakMinOrgs to soakMaxOrgs
	// (SOAK_ORGS overrides it). The first syncs of one organization write
	// about 300 records (90 days from Triple Whale and from Klaviyo, over a
	// hundred deals), and one worker process runs one sync at a time: ten
	// organizations' first syncs take it about a minute after the load on a
	// 2-core machine, so a one-minute run has six organizations and a
	// ten-minute run twelve.
	soakLoadPerOrg = 10 * time.Second
	soakMinOrgs    = 6
	soakMaxOrgs    = 12
	// soakMargin is added to the database deadline to bound a whole
	// request: a request makes several database calls, and the race
	// detector slows everything else.
	soakMargin = 2 * time.Second
	// soakSetupBudget bounds sign-up and connection of every organization.
	soakSetupBudget = time.Minute
	// soakDrainBudget bounds the wait, after the load, for the sync runs it
	// queued to end; soakStall ends it sooner when no run ends for that
	// long, which is longer than any healthy run takes here (the slowest,
	// a first sync with injected faults, under a minute on a busy machine).
	soakDrainBudget = 5 * time.Minute
	soakStall       = 90 * time.Second
	// soakCheckBudget bounds reading the figures back. With the other
	// budgets, the client timeout and the teardown (at most a minute and a
	// half) it keeps a run within SOAK_DURATION + 10 minutes, the timeout
	// `make soak` gives go test.
	soakCheckBudget = 90 * time.Second
	// soakPingInterval is the server's WebSocket ping interval in the test,
	// so that a silent socket means a stuck one: a subscriber that hears
	// nothing for soakSilence fails.
	soakPingInterval = 2 * time.Second
	soakSilence      = 15 * time.Second
	// soakPollInterval is how often an organization asks whether its syncs
	// ended.
	soakPollInterval = time.Second
)

// What may remain after the run. Everything the test started is stopped
// by then, so only what the runtime and the package's shared database keep
// (timers, idle connections of its pool) may differ from the start. The
// same goroutine slack applies to the server once its clients are gone,
// counting only goroutines that are not a database connection's (the pools
// keep the connections the load opened).
const (
	soakGoroutineSlack = 10
	soakFDSlack        = 10
	soakHeapSlack      = 32 << 20
)

// The operations of the soak test, named so that the server's access log
// and the report show which is which.
const (
	soakSignUpMutation  = `mutation SoakSignUp($input: SignUpInput!) { signUp(input: $input) { viewer { organization { id name } role } } }`
	soakLogInMutation   = `mutation SoakLogIn($i: LogInInput!) { logIn(input: $i) { viewer { role } } }`
	soakKeyMutation     = `mutation SoakCreateApiKey { createApiKey(input: {name: "dashboard", scope: READ}) { secret } }`
	soakConnectMutation = `mutation SoakConnect($i: ConnectIntegrationInput!) { connectIntegration(input: $i) { integration { platform status } } }`
	soakSyncMutation    = `mutation SoakSync($p: Platform!) { syncIntegration(input: {platform: $p}) { sync { id status } } }`
	soakSyncsQuery      = `query %s($first: Int) { integrations { platform status lastError syncs(first: $first) { nodes { id platform status error recordsWritten } } } }`
	soakSummaryQuery    = `query SoakMarketingSummary($f: Date!, $t: Date!) { marketingSummary(from: $f, to: $t) { revenue adSpend orders emailRevenue previousPeriod { revenue } daily { date revenue } } }`
	soakPipelineQuery   = `query SoakPipelineSummary { pipelineSummary { stages { stage count amount } openAmount } }`
	soakDealsQuery      = `query SoakDeals($first: Int, $after: String) { deals(first: $first, after: $after) { nodes { id name amount stage } pageInfo { hasNextPage endCursor } } }`
	soakContactsQuery   = `query SoakContacts($first: Int, $after: String) { contacts(first: $first, after: $after) { nodes { id email } pageInfo { hasNextPage endCursor } } }`
	soakEmailQuery      = `query SoakEmail { emailCampaigns(first: 20) { nodes { id name status } } emailFlows { nodes { name } } }`
	soakDashboardQuery  = `query SoakIntegrations { integrations { platform status lastSyncedAt syncs(first: 3) { nodes { id status } } } }`
	soakEventsOperation = `subscription SoakIntegrationEvents { integrationEvents { platform status sync { id status error recordsWritten } at } }`
)

// TestSoak runs organizations at once through sign-up, connecting
// HubSpot, Klaviyo and Triple Whale, and syncing them over and over, while
// the platforms' fakes inject rate limits, server errors and a revoked key,
// other clients poll the dashboards and WebSocket subscribers hold
// integrationEvents open. The load lasts SOAK_DURATION (a Go duration;
// 1 minute by default; skipped under -short), with one organization per
// soakLoadPerOrg of it (SOAK_ORGS overrides). Then the test waits for the
// queued syncs to end and asserts that no request took longer than the
// deadline, that there was no 5xx and no error code but INTEGRATION_ERROR
// where a fault was injected, that every sync ended SUCCEEDED or FAILED
// with a message (FAILED only for the revoked key), that the dashboards
// show the platforms' figures wherever the last sync succeeded, that each
// subscriber heard only about its organization, and that goroutines, open
// files and heap go back to where they started. It prints what it
// measured.
//
// A stuck server must fail this test, not hang it: every request and every
// WebSocket read has a client-side timeout, each phase a budget, and the
// failure says which requests were stuck and where the goroutines wait.
func TestSoak(t *testing.T) {
	duration, orgs := soakShape(t)
	before := soakMeasure()

	plat := platformtest.Start(t, platformtest.Config{KlaviyoReportLimits: testReportLimits()})
	db, err := mongotest.Start()
	if err != nil {
		t.Fatalf("start the soak's database: %v", err)
	}
	// Its own database server, so that if the load wedges it the other
	// tests of the package still have theirs.
	var closeDB sync.Once
	stopDB := func() error {
		var err error
		closeDB.Do(func() { err = soakBounded(30*time.Second, db.Close) })
		return err
	}
	t.Cleanup(func() { _ = stopDB() })

	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	name := db.DatabaseName(t)
	configure := func(c *config.Config) {
		configurePlatforms(plat)(c)
		c.MongoDatabase, c.SecretKey = name, secret
		c.SyncInterval = 24 * time.Hour // only the test's own syncs run
		c.WebsocketPingInterval = soakPingInterval
	}
	// One process, as `make run` serves: the API and the worker over an
	// embedded database that only this process writes to. (A second worker
	// process would need MongoDB: FerretDB's conditional writes are atomic
	// only within the process that serializes them.)
	api := apptest.Start(t, db, configure)

	s := newSoak(t, api, duration)
	t.Logf("soak: %d organizations for %s; a request may take %s, a client waits %s", orgs, duration, s.deadline, s.timeout)
	// The bound of the whole run; each phase has its own within it.
	ctx, cancel := context.WithTimeout(context.Background(), soakSetupBudget+duration+s.timeout+soakDrainBudget+soakCheckBudget)
	defer cancel()

	var res soakResources
	res.start = before
	s.phase("setup")
	if s.setUp(ctx, plat, orgs) {
		s.tr.CloseIdleConnections()
		res.ready = soakMeasure()
		s.load(ctx)
		res.loaded = soakMeasure()
		for _, o := range s.orgs {
			o.sub.close()
		}
		s.tr.CloseIdleConnections()

		s.phase("drain")
		if s.drain(ctx) {
			s.phase("checks")
			checkCtx, cancelChecks := context.WithTimeout(ctx, soakCheckBudget)
			s.check(checkCtx)
			cancelChecks()
		}
		// The server idles now: no client is connected, and the platforms
		// drop their keep-alive connections as real ones do.
		s.tr.CloseIdleConnections()
		plat.DropConnections()
		res.idle = soakSettle(func(m soakSample) bool { return m.server <= res.ready.server+soakGoroutineSlack })
	}
	if s.stats.stuck() > 0 || s.stats.has("drain") || s.stats.has("setup") {
		s.diagnostics = s.diagnose()
	}

	// Stop everything, then count what is left.
	s.phase("teardown")
	for _, st := range []struct {
		what string
		stop func() error
	}{{"the server", api.Stop}, {"the database", stopDB}} {
		if err := st.stop(); err != nil {
			s.stats.problem("teardown: "+st.what+" did not stop cleanly", err.Error())
		}
	}
	plat.Close()
	res.stopped = soakSettle(func(m soakSample) bool { return m.goroutines <= before.goroutines+soakGoroutineSlack })
	s.checkResources(res)

	report := s.report(res)
	t.Log("\n" + report)
	fmt.Println(report)
	for _, p := range s.stats.problemList() {
		t.Error(p)
	}
}

// The platforms, named as the GraphQL enum names them.
const (
	platformTW = "TRIPLE_WHALE"
	platformHS = "HUBSPOT"
	platformKL = "KLAVIYO"
)

// soakPlatformNames lists the platforms in the order a round of the soak
// test queues their syncs.
var soakPlatformNames = []string{platformTW, platformHS, platformKL}

// soakPlatform returns the fake's name of a platform named as in GraphQL.
func soakPlatform(name string) platformtest.Platform {
	return map[string]platformtest.Platform{
		platformTW: platformtest.TripleWhale, platformHS: platformtest.HubSpot, platformKL: platformtest.Klaviyo,
	}[name]
}

// soakAccount is one store's account on the fake platforms.
type soakAccount struct{ *platformtest.Account }

// addSoakAccount adds account n. It has just over a hundred HubSpot deals,
// so that a sync writes a full page of 100 at once, then a second page; its
// few contacts fit one page, since every record written costs the worker
// time. rateLimitEvery and errorEvery make every n-th call of the account
// to a platform answer 429 (with Retry-After: 1) or 500; 0 never. They are
// coprime, so at most two calls in a row fail and the platform clients'
// retries (four attempts) always get through.
func addSoakAccount(fake *platformtest.Fake, n, rateLimitEvery, errorEvery int) soakAccount {
	cfg := platformtest.AccountConfig{
		Name:             fmt.Sprintf("soak-%d", n),
		N:                n,
		ShopDomain:       fmt.Sprintf("soak-%d.myshopify.com", n),
		OrganizationName: fmt.Sprintf("Soak Store %d", n),
		DealCount:        100 + n,
		ContactCount:     5 + n,
	}
	if rateLimitEvery > 0 {
		cfg.Faults = append(cfg.Faults, platformtest.Fault{Status: http.StatusTooManyRequests, Every: rateLimitEvery, RetryAfter: 1})
	}
	if errorEvery > 0 {
		cfg.Faults = append(cfg.Faults, platformtest.Fault{Status: http.StatusInternalServerError, Every: errorEvery})
	}
	return soakAccount{fake.AddAccount(cfg)}
}

// key returns the account's key of a platform named as in GraphQL.
func (a soakAccount) key(platform string) string { return a.Key(soakPlatform(platform)) }

// revoke makes the platform refuse the account's key from now on.
func (a soakAccount) revoke(platform string) {
	a.Revoke(soakPlatform(platform), http.StatusUnauthorized)
}

// soakPipeline is what the CRM holds, summed the way the dashboard sums it.
type soakPipeline struct {
	deals, contacts int
	stages          map[string]soakStage
	open            float64
}

type soakStage struct {
	count  int
	amount float64
}

// pipeline sums the account's deals the way pipelineSummary does: closed
// deals are left out of the open amount.
func (a soakAccount) pipeline() soakPipeline {
	deals := a.Deals()
	out := soakPipeline{deals: len(deals), contacts: len(a.Contacts()), stages: map[string]soakStage{}}
	for _, d := range deals {
		s := out.stages[d.Stage]
		s.count++
		if d.Amount != nil {
			s.amount += *d.Amount
			if d.Stage != "closedwon" && d.Stage != "closedlost" {
				out.open += *d.Amount
			}
		}
		out.stages[d.Stage] = s
	}
	return out
}

// soakShape reads the load's duration and size.
func soakShape(t *testing.T) (time.Duration, int) {
	t.Helper()
	if testing.Short() {
		t.Skip("a soak test runs for a minute or more; see make soak")
	}
	d := soakDefaultDuration
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			t.Fatalf("SOAK_DURATION=%q: want a positive Go duration such as 90s or 10m", v)
		}
		d = parsed
	}
	orgs := min(max(int(d/soakLoadPerOrg), soakMinOrgs), soakMaxOrgs)
	if v := os.Getenv("SOAK_ORGS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			t.Fatalf("SOAK_ORGS=%q: want a number of organizations, at least 2", v)
		}
		orgs = n
	}
	return d, orgs
}

// soakDeadline returns the longest a request may take: the server's
// database deadline (OMNIFY_MONGODB_OP_TIMEOUT) plus soakMargin.
func soakDeadline(cfg config.Config) time.Duration {
	return cfg.MongoOpTimeout + soakMargin
}

// soak is one run of the soak test.
type soak struct {
	t           *testing.T
	url         string
	duration    time.Duration
	deadline    time.Duration // an answer slower than this fails the test
	timeout     time.Duration // a client gives up waiting for an answer after this
	tr          *http.Transport
	stats       *soakStats
	orgs        []*soakOrg
	loadStart   time.Time
	loadTook    time.Duration
	progress    atomic.Int64 // when a run was last seen ending, in Unix nanoseconds
	diagnostics string
	env         *apptest.Env
	commands    struct{ setup, load int } // database commands the server sent
}

func newSoak(t *testing.T, env *apptest.Env, duration time.Duration) *soak {
	t.Helper()
	deadline := soakDeadline(env.Config)
	s := &soak{
		t:        t,
		url:      env.URL,
		duration: duration,
		deadline: deadline,
		timeout:  2 * deadline,
		tr:       &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
		stats:    newSoakStats(deadline),
		env:      env,
	}
	t.Cleanup(s.tr.CloseIdleConnections)
	return s
}

func (s *soak) phase(p string) { s.stats.setPhase(p) }

// client returns a client with its own cookie jar, like a browser.
func (s *soak) client() *soakClient {
	jar, _ := cookiejar.New(nil)
	return &soakClient{s: s, http: &http.Client{Jar: jar, Transport: s.tr, Timeout: s.timeout}, header: http.Header{}}
}

// soakOrg is one organization and the clients that use it.
type soakOrg struct {
	i        int
	name     string
	email    string
	password string
	acct     soakAccount
	owner    *soakClient // the owner's browser: sign-up, connect, sync
	session  *soakClient // the owner signed in again, in a second browser
	apiKey   string      // a READ key, as a partner's dashboard holds
	reader   *soakClient // polls the dashboards
	sub      *soakSubscriber
	faulty   bool   // the platforms inject faults for it
	revokes  string // the platform whose key is revoked during the load, or ""

	revoked      atomic.Bool // its key was revoked
	connectedAll atomic.Bool // Klaviyo and Triple Whale are connected too

	mu     sync.Mutex
	rounds int
	runs   map[string]*soakSyncView   // every run it saw, by id
	latest map[string]soakIntegration // by platform, from the last listing
}

type soakIntegration struct {
	Platform, Status string
	LastError        *string
	Syncs            soakSyncs
}

// soakSyncs are the runs of one page of Integration.syncs.
type soakSyncs []soakSyncView

// UnmarshalJSON reads the runs from the connection's nodes.
func (s *soakSyncs) UnmarshalJSON(b []byte) error {
	var c struct{ Nodes []soakSyncView }
	err := json.Unmarshal(b, &c)
	*s = c.Nodes
	return err
}

type soakSyncView struct {
	ID, Platform, Status string
	Error                *string
	RecordsWritten       int
}

func soakTerminal(status string) bool { return status == "SUCCEEDED" || status == "FAILED" }

// String describes an integration in a message.
func (in soakIntegration) String() string {
	out := in.Status
	if out == "" {
		out = "not listed"
	}
	if in.LastError != nil && *in.LastError != "" {
		out += fmt.Sprintf(" (%q)", *in.LastError)
	}
	if len(in.Syncs) > 0 {
		out += ", last run " + in.Syncs[0].String()
	}
	return out
}

// String describes a run in a message.
func (r soakSyncView) String() string {
	out := r.ID + " " + r.Status
	if r.Error != nil && *r.Error != "" {
		out += fmt.Sprintf(" (%q)", *r.Error)
	}
	return out
}

// setUp signs every organization up at once, with a second session and a
// READ API key each, connects its HubSpot (the other platforms follow in
// syncLoop) and opens its subscription. It reports whether every
// organization got that far.
func (s *soak) setUp(ctx context.Context, plat *platformtest.Fake, n int) bool {
	ctx, cancel := context.WithTimeout(ctx, soakSetupBudget)
	defer cancel()
	var legal struct{ LegalDocuments []struct{ ID string } }
	if !s.call(ctx, s.client(), "SoakLegalDocuments", `query SoakLegalDocuments { legalDocuments { id } }`, nil, &legal) {
		return false
	}
	var legalIDs []string
	for _, d := range legal.LegalDocuments {
		legalIDs = append(legalIDs, d.ID)
	}

	for i := range n {
		o := &soakOrg{
			i:        i,
			name:     fmt.Sprintf("Soak Store %d", i+1),
			email:    fmt.Sprintf("owner%d@soak.example", i+1),
			password: "correct horse battery",
			runs:     map[string]*soakSyncView{},
			latest:   map[string]soakIntegration{},
		}
		// Faults by organization: none, 429s, 500s, both; the last one
		// also has its HubSpot key revoked during the load.
		rateLimitEvery, errorEvery := 0, 0
		if i%4 == 1 || i%4 == 3 {
			rateLimitEvery = 17
		}
		if i%4 == 2 || i%4 == 3 {
			errorEvery = 13
		}
		if i == n-1 {
			o.revokes = platformHS
		}
		o.faulty = rateLimitEvery > 0 || errorEvery > 0 || o.revokes != ""
		o.acct = addSoakAccount(plat, i+1, rateLimitEvery, errorEvery)
		o.owner, o.session, o.reader = s.client(), s.client(), s.client()
		s.orgs = append(s.orgs, o)
	}

	var wg sync.WaitGroup
	errs := make([]error, len(s.orgs))
	for i, o := range s.orgs {
		wg.Go(func() { errs[i] = s.setUpOrg(ctx, o, legalIDs) })
	}
	wg.Wait()
	ok := true
	for i, err := range errs {
		if err != nil {
			s.stats.problem("setup: an organization could not be set up", fmt.Sprintf("%s: %v", s.orgs[i].name, err))
			ok = false
		}
	}
	if !ok {
		for _, o := range s.orgs {
			if o.sub != nil {
				o.sub.close()
			}
		}
	}
	return ok
}

func (s *soak) setUpOrg(ctx context.Context, o *soakOrg, legalIDs []string) error {
	var up struct {
		SignUp struct{ Viewer struct{ Role string } }
	}
	if !s.call(ctx, o.owner, "SoakSignUp", soakSignUpMutation, map[string]any{"input": map[string]any{
		"email": o.email, "password": o.password, "name": "Owner of " + o.name, "organizationName": o.name,
		"acceptedLegalDocumentIds": legalIDs}}, &up) || up.SignUp.Viewer.Role != "OWNER" {
		return errors.New("sign-up failed")
	}
	if !s.call(ctx, o.session, "SoakLogIn", soakLogInMutation, map[string]any{"i": map[string]any{"email": o.email, "password": o.password}}, nil) {
		return errors.New("log-in failed")
	}
	var key struct{ CreateApiKey struct{ Secret string } }
	if !s.call(ctx, o.owner, "SoakCreateApiKey", soakKeyMutation, nil, &key) {
		return errors.New("API key creation failed")
	}
	o.apiKey = key.CreateApiKey.Secret
	// Even organizations read the dashboards in a browser and subscribe
	// with a key; odd ones the other way round.
	viaKey := o.i%2 == 0
	if viaKey {
		o.reader = o.session
	} else {
		o.reader.header.Set("Authorization", "Bearer "+o.apiKey)
	}
	if !s.connect(ctx, o, platformHS) {
		return fmt.Errorf("connecting %s failed", platformHS)
	}
	sub, err := s.subscribe(ctx, o, viaKey)
	if err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	o.sub = sub
	return nil
}

// watch logs the load's progress every tenth of it (10 s to a minute)
// until it ends, so that a long run shows how it goes.
func (s *soak) watch(load context.Context) {
	every := min(max(s.duration/10, 10*time.Second), time.Minute)
	for soakSleep(load, every) {
		ended, rounds := 0, 0
		for _, o := range s.orgs {
			o.mu.Lock()
			for _, r := range o.runs {
				if soakTerminal(r.Status) {
					ended++
				}
			}
			rounds += o.rounds
			o.mu.Unlock()
		}
		s.stats.mu.Lock()
		requests, problems := s.stats.requests["load"], len(s.stats.order)
		s.stats.mu.Unlock()
		s.t.Logf("soak: %s of %s: %d requests, %d rounds, %d sync runs ended, %d kinds of problems",
			time.Since(s.loadStart).Round(time.Second), s.duration, requests, rounds, ended, problems)
	}
}

// connect connects a platform with the organization's key. A platform
// that injects faults may refuse the check, which the API must then
// answer with INTEGRATION_ERROR; the fakes space their faults so that the
// clients' retries get through, so that does not happen in practice.
func (s *soak) connect(ctx context.Context, o *soakOrg, platforms ...string) bool {
	var allow []string
	if o.faulty {
		allow = []string{"INTEGRATION_ERROR"}
	}
	for _, p := range platforms {
		in := map[string]any{"platform": p, "apiKey": o.acct.key(p)}
		if p == platformTW {
			in["shopDomain"] = o.acct.ShopDomain()
		}
		if !s.call(ctx, o.owner, "SoakConnect", soakConnectMutation, map[string]any{"i": in}, nil, allow...) {
			return false
		}
	}
	return true
}

// load runs the organizations' sync loops and the dashboard readers for the
// duration, then waits for them to stop. Requests run under ctx, not the
// load's own context, so that one in flight when the load ends is
// answered (and measured) or times out rather than being cut short.
func (s *soak) load(ctx context.Context) {
	s.phase("load")
	load, stop := context.WithTimeout(ctx, s.duration)
	defer stop()
	s.loadStart = time.Now()
	s.commands.setup = s.env.Commands.Count()
	var wg sync.WaitGroup
	for _, o := range s.orgs {
		wg.Go(func() { s.syncLoop(ctx, load, o) })
		rng := mathrand.New(mathrand.NewPCG(uint64(o.i), 42))
		wg.Go(func() { s.readLoop(ctx, load, o, rng) })
		if o.revokes != "" {
			wg.Go(func() {
				// As a shop owner deleting the key on the platform would:
				// whatever the organization is doing at the time.
				if soakSleep(load, s.duration*2/5) {
					o.acct.revoke(o.revokes)
					o.revoked.Store(true)
				}
			})
		}
	}
	s.watch(load)
	s.loadTook = time.Since(s.loadStart)
	s.commands.load = s.env.Commands.Count() - s.commands.setup
	if n, summary := s.stats.inflight(); n > 0 {
		s.stats.note(fmt.Sprintf("in flight when the load ended: %d (%s)", n, summary))
	}
	s.phase("after load")
	if !soakWait(&wg, s.timeout+5*time.Second) {
		// Every request is bounded by the client timeout, so this is a bug
		// in the test rather than in the server.
		s.stats.problem("load: clients did not stop within the client timeout", "")
		return
	}
	// Every organization connects all three platforms, even one whose
	// first syncs took the whole load.
	for _, o := range s.orgs {
		if !s.connectRest(ctx, o) {
			s.stats.problem("load: an organization could not connect Klaviyo and Triple Whale", o.name)
		}
	}
}

// syncLoop is one organization's owner at work. HubSpot is connected
// first (in setUp) and synced twice before the other platforms are
// connected: the second sync replaces full pages of existing deals, the
// write that wedges the embedded engine, and waiting for the 90-day first
// syncs of Triple Whale and Klaviyo of every organization first would put
// it minutes into the run. From then on each round changes the CRM, queues
// a sync of every platform and polls until all three ended.
func (s *soak) syncLoop(ctx, load context.Context, o *soakOrg) {
	for round := 1; load.Err() == nil; round++ {
		if round > 1 {
			o.acct.Evolve()
		}
		// Queued under ctx, not load: once the CRM changed, its sync must
		// be queued, or the figures read at the end would be stale.
		var pending map[string]string
		switch {
		case round == 1:
			pending = s.syncAll(ctx, o, platformHS)
		case round == 2:
			pending = s.syncAll(ctx, o, platformHS)
			if !s.connectRest(ctx, o) {
				return
			}
			maps.Copy(pending, s.syncAll(ctx, o, platformKL, platformTW))
		default:
			pending = s.syncAll(ctx, o)
		}
		if !s.await(load, ctx, o, pending) {
			return
		}
		o.mu.Lock()
		o.rounds = round
		o.mu.Unlock()
	}
}

// connectRest connects Klaviyo and Triple Whale, once.
func (s *soak) connectRest(ctx context.Context, o *soakOrg) bool {
	if o.connectedAll.Load() {
		return true
	}
	ok := s.connect(ctx, o, platformKL, platformTW)
	o.connectedAll.Store(ok)
	return ok
}

// syncAll queues a sync of each platform and returns the runs by platform.
func (s *soak) syncAll(ctx context.Context, o *soakOrg, platforms ...string) map[string]string {
	if len(platforms) == 0 {
		platforms = soakPlatformNames
	}
	pending := map[string]string{}
	for _, p := range platforms {
		var out struct {
			SyncIntegration struct{ Sync struct{ ID, Status string } }
		}
		if s.call(ctx, o.owner, "SoakSync", soakSyncMutation, map[string]any{"p": p}, &out) {
			pending[p] = out.SyncIntegration.Sync.ID
			s.see(o, soakSyncView{ID: out.SyncIntegration.Sync.ID, Platform: p, Status: out.SyncIntegration.Sync.Status})
		}
	}
	return pending
}

// await polls until every pending run ended; it reports false when wait
// ended first.
func (s *soak) await(wait, ctx context.Context, o *soakOrg, pending map[string]string) bool {
	for len(pending) > 0 {
		if !soakSleep(wait, soakPollInterval) {
			return false
		}
		if _, ok := s.listSyncs(ctx, o, "SoakSyncs", 5); !ok {
			continue
		}
		o.mu.Lock()
		for p, id := range pending {
			if r := o.runs[id]; r != nil && soakTerminal(r.Status) {
				delete(pending, p)
			}
		}
		o.mu.Unlock()
	}
	return true
}

// readLoop is a dashboard open in a browser or a partner's tool: one of
// the dashboard's queries every 200 to 500 ms.
func (s *soak) readLoop(ctx, load context.Context, o *soakOrg, rng *mathrand.Rand) {
	to := soakToday().AddDate(0, 0, -1)
	from := to.AddDate(0, 0, -29)
	reads := []struct {
		op, query string
		vars      map[string]any
	}{
		{"SoakMarketingSummary", soakSummaryQuery, map[string]any{"f": from.Format(time.DateOnly), "t": to.Format(time.DateOnly)}},
		{"SoakPipelineSummary", soakPipelineQuery, nil},
		{"SoakDeals", soakDealsQuery, map[string]any{"first": 50}},
		{"SoakIntegrations", soakDashboardQuery, nil},
		{"SoakContacts", soakContactsQuery, map[string]any{"first": 20}},
		{"SoakEmail", soakEmailQuery, nil},
	}
	for i := rng.IntN(len(reads)); ; i++ {
		if !soakSleep(load, 200*time.Millisecond+time.Duration(rng.Int64N(int64(300*time.Millisecond)))) {
			return
		}
		r := reads[i%len(reads)]
		s.call(ctx, o.reader, r.op, r.query, r.vars, nil)
	}
}

// listSyncs lists the organization's integrations with their latest runs
// and records what it saw.
func (s *soak) listSyncs(ctx context.Context, o *soakOrg, op string, first int) ([]soakIntegration, bool) {
	var out struct{ Integrations []soakIntegration }
	if !s.call(ctx, o.owner, op, fmt.Sprintf(soakSyncsQuery, op), map[string]any{"first": first}, &out) {
		return nil, false
	}
	for _, in := range out.Integrations {
		for _, r := range in.Syncs {
			s.see(o, r)
		}
		o.mu.Lock()
		o.latest[in.Platform] = in
		o.mu.Unlock()
	}
	return out.Integrations, true
}

// see records the latest known state of a run, and the time when a run
// was first seen ended: the sign that the worker makes progress.
func (s *soak) see(o *soakOrg, r soakSyncView) {
	if r.ID == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	old := o.runs[r.ID]
	if old != nil && soakTerminal(old.Status) {
		return // ended runs do not change; a later answer may be older
	}
	o.runs[r.ID] = &r
	if soakTerminal(r.Status) {
		s.progress.Store(time.Now().UnixNano())
	}
}

// drain waits until no run of any organization is QUEUED or RUNNING; it
// gives up when no run ended for soakStall, or after soakDrainBudget, and
// reports whether the runs all ended.
func (s *soak) drain(ctx context.Context) bool {
	deadline := time.Now().Add(soakDrainBudget)
	s.progress.Store(time.Now().UnixNano())
	silent := 0 // sweeps in a row in which no organization got an answer
	for {
		var mu sync.Mutex
		var active []string
		answered := false
		var wg sync.WaitGroup
		for _, o := range s.orgs {
			wg.Go(func() {
				list, ok := s.listSyncs(ctx, o, "SoakDrain", 5)
				mu.Lock()
				defer mu.Unlock()
				if !ok {
					active = append(active, o.name+": no answer")
					return
				}
				answered = true
				for _, in := range list {
					for _, r := range in.Syncs {
						if !soakTerminal(r.Status) {
							active = append(active, fmt.Sprintf("%s %s %s", o.name, in.Platform, r.Status))
						}
					}
				}
			})
		}
		wg.Wait()
		if len(active) == 0 {
			return true
		}
		silent++
		if answered {
			silent = 0
		}
		stalled := time.Since(time.Unix(0, s.progress.Load()))
		// A server that answers nobody twice in a row will not finish
		// its runs either.
		if silent == 2 || stalled > soakStall || time.Now().After(deadline) || !soakSleep(ctx, 2*time.Second) {
			sort.Strings(active)
			s.stats.problem(fmt.Sprintf("drain: sync runs did not end after the load (no run ended for %s)", stalled.Round(time.Second)), strings.Join(active, "; "))
			return false
		}
	}
}

// check compares every run's outcome with the faults injected, and the
// dashboards with the platforms' figures wherever the last sync succeeded.
func (s *soak) check(ctx context.Context) {
	var wg sync.WaitGroup
	for _, o := range s.orgs {
		wg.Go(func() { s.checkOrg(ctx, o) })
	}
	wg.Wait()
}

func (s *soak) checkOrg(ctx context.Context, o *soakOrg) {
	if o.revoked.Load() {
		s.checkRevoked(ctx, o)
	}
	if _, ok := s.listSyncs(ctx, o, "SoakFinalSyncs", 50); !ok {
		return
	}
	o.mu.Lock()
	runs := make([]soakSyncView, 0, len(o.runs))
	for _, r := range o.runs {
		runs = append(runs, *r)
	}
	latest := map[string]soakIntegration{}
	for k, v := range o.latest {
		latest[k] = v
	}
	o.mu.Unlock()

	for _, r := range runs {
		switch {
		case r.Status == "SUCCEEDED":
		case r.Status == "FAILED" && (r.Error == nil || strings.TrimSpace(*r.Error) == ""):
			s.stats.problem("sync: a FAILED run has no error message", fmt.Sprintf("%s %s run %s", o.name, r.Platform, r.ID))
		case r.Status == "FAILED" && !o.expectFailure(r):
			s.stats.problem("sync: a run FAILED where no key was revoked", fmt.Sprintf("%s %s: %s", o.name, r.Platform, *r.Error))
		case r.Status != "FAILED":
			s.stats.problem("sync: a run did not end", fmt.Sprintf("%s %s run %s is %s", o.name, r.Platform, r.ID, r.Status))
		}
	}
	succeeded := func(p string) bool {
		in := latest[p]
		return len(in.Syncs) > 0 && in.Syncs[0].Status == "SUCCEEDED"
	}
	for _, p := range soakPlatformNames {
		if p == o.revokes && o.revoked.Load() {
			continue
		}
		if in := latest[p]; !succeeded(p) || in.Status != "CONNECTED" {
			s.stats.problem("sync: an integration whose key works did not end CONNECTED with a successful last sync", fmt.Sprintf("%s %s: %s", o.name, p, in))
		}
	}

	// The subscription heard about this organization's runs, and only
	// about them.
	if sub := o.sub; sub != nil {
		sub.mu.Lock()
		events, heard := sub.events, slices.Collect(maps.Keys(sub.runs))
		sub.mu.Unlock()
		o.mu.Lock()
		var foreign []string
		for _, id := range heard {
			if _, ok := o.runs[id]; !ok {
				foreign = append(foreign, id)
			}
		}
		rounds := o.rounds
		o.mu.Unlock()
		if events == 0 && rounds > 0 {
			s.stats.problem("subscription: no event reached a subscriber, although its syncs ran", o.name)
		}
		if len(foreign) > 0 {
			s.stats.problem("subscription: a subscriber heard about runs that are not its organization's", fmt.Sprintf("%s: %v", o.name, foreign))
		}
	}

	// Figures: the last seven full days.
	to := soakToday().AddDate(0, 0, -1)
	from := to.AddDate(0, 0, -6)
	var sum struct {
		MarketingSummary struct {
			Revenue, AdSpend, EmailRevenue float64
			Orders                         int
		}
	}
	if !s.call(ctx, o.owner, "SoakMarketingSummary", soakSummaryQuery, map[string]any{"f": from.Format(time.DateOnly), "t": to.Format(time.DateOnly)}, &sum) {
		return
	}
	ms := sum.MarketingSummary
	if succeeded(platformTW) {
		tw := o.acct.Totals(from, to)
		rev, spend, orders := tw.Revenue, tw.AdSpend, tw.Orders
		if ms.Revenue != rev || ms.AdSpend != spend || float64(ms.Orders) != orders {
			s.stats.problem("figures: marketingSummary differs from Triple Whale", fmt.Sprintf("%s: revenue %v, ad spend %v, orders %d; Triple Whale has %v, %v, %v", o.name, ms.Revenue, ms.AdSpend, ms.Orders, rev, spend, orders))
		}
	}
	if succeeded(platformKL) {
		var email struct {
			EmailCampaigns struct{ Nodes []struct{ Name string } }
		}
		if want := o.acct.Attributed(from, to).Revenue; math.Abs(ms.EmailRevenue-want) > 1e-6 {
			s.stats.problem("figures: marketingSummary differs from Klaviyo", fmt.Sprintf("%s: email revenue %v; Klaviyo attributes %v", o.name, ms.EmailRevenue, want))
		}
		if want := len(o.acct.Campaigns()); s.call(ctx, o.owner, "SoakEmail", soakEmailQuery, nil, &email) && len(email.EmailCampaigns.Nodes) != want {
			s.stats.problem("figures: emailCampaigns differ from Klaviyo", fmt.Sprintf("%s: %d campaigns; Klaviyo has %d", o.name, len(email.EmailCampaigns.Nodes), want))
		}
	}
	if succeeded(platformHS) {
		s.checkCRM(ctx, o)
	}
}

// expectFailure reports whether a FAILED run is the revoked key's: a run
// of that platform, failed with the message to reconnect.
func (o *soakOrg) expectFailure(r soakSyncView) bool {
	return r.Platform == o.revokes && o.revoked.Load() && r.Error != nil && strings.Contains(*r.Error, "Reconnect")
}

// checkRevoked does what the owner of the organization whose key was
// revoked does on seeing the error: sync once more, then paste the same
// key again. The sync must fail with a message to reconnect and leave the
// integration in ERROR, and the platform's refusal must reach the API as
// INTEGRATION_ERROR.
func (s *soak) checkRevoked(ctx context.Context, o *soakOrg) {
	pending := s.syncAll(ctx, o, o.revokes)
	id := pending[o.revokes]
	wait, cancel := context.WithTimeout(ctx, soakStall)
	defer cancel()
	if id == "" || !s.await(wait, ctx, o, pending) {
		s.stats.problem("sync: the sync with a revoked key did not end", o.name)
		return
	}
	o.mu.Lock()
	run, in := *o.runs[id], o.latest[o.revokes]
	o.mu.Unlock()
	if run.Status != "FAILED" || !o.expectFailure(run) || in.Status != "ERROR" || in.LastError == nil || !strings.Contains(*in.LastError, "Reconnect") {
		s.stats.problem("sync: a revoked key did not fail the sync and leave the integration in ERROR with a message to reconnect", fmt.Sprintf("%s: run %s, integration %s", o.name, run, in))
	}
	in2 := map[string]any{"platform": o.revokes, "apiKey": o.acct.key(o.revokes)}
	if r, err := o.owner.do(ctx, "SoakConnect", soakConnectMutation, map[string]any{"i": in2}, "INTEGRATION_ERROR"); err == nil && r.Code() != "INTEGRATION_ERROR" {
		s.stats.problem("sync: reconnecting with a revoked key did not answer INTEGRATION_ERROR", fmt.Sprintf("%s: %s", o.name, r.Data))
	}
}

// checkCRM reads every deal and contact back, page by page, and the
// pipeline summary, and compares them with HubSpot's.
func (s *soak) checkCRM(ctx context.Context, o *soakOrg) {
	want := o.acct.pipeline()
	got := soakPipeline{stages: map[string]soakStage{}}
	for after := (*string)(nil); ; {
		var page struct {
			Deals struct {
				Nodes []struct {
					Stage  string
					Amount *float64
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		if !s.call(ctx, o.owner, "SoakDeals", soakDealsQuery, map[string]any{"first": 100, "after": after}, &page) {
			return
		}
		for _, d := range page.Deals.Nodes {
			st := got.stages[d.Stage]
			st.count++
			if d.Amount != nil {
				st.amount += *d.Amount
			}
			got.stages[d.Stage] = st
			got.deals++
		}
		if !page.Deals.PageInfo.HasNextPage || got.deals > want.deals+100 {
			break
		}
		after = page.Deals.PageInfo.EndCursor
	}
	for after := (*string)(nil); ; {
		var page struct {
			Contacts struct {
				Nodes    []struct{ ID string }
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		if !s.call(ctx, o.owner, "SoakContacts", soakContactsQuery, map[string]any{"first": 100, "after": after}, &page) {
			return
		}
		got.contacts += len(page.Contacts.Nodes)
		if !page.Contacts.PageInfo.HasNextPage || got.contacts > want.contacts+100 {
			break
		}
		after = page.Contacts.PageInfo.EndCursor
	}
	var pipe struct {
		PipelineSummary struct {
			Stages []struct {
				Stage  string
				Count  int
				Amount float64
			}
			OpenAmount float64
		}
	}
	if !s.call(ctx, o.owner, "SoakPipelineSummary", soakPipelineQuery, nil, &pipe) {
		return
	}
	got.open = pipe.PipelineSummary.OpenAmount
	summary := map[string]soakStage{}
	for _, st := range pipe.PipelineSummary.Stages {
		summary[st.Stage] = soakStage{count: st.Count, amount: st.Amount}
	}
	if got.deals != want.deals || got.contacts != want.contacts || got.open != want.open ||
		!reflect.DeepEqual(got.stages, want.stages) || !reflect.DeepEqual(summary, want.stages) {
		s.stats.problem("figures: deals, contacts or pipeline differ from HubSpot",
			fmt.Sprintf("%s: %d deals, %d contacts, open %v, stages %v (summary %v); HubSpot has %d, %d, open %v, stages %v",
				o.name, got.deals, got.contacts, got.open, got.stages, summary, want.deals, want.contacts, want.open, want.stages))
	}
}

// soakClient sends GraphQL over HTTP like apptest.Client, but never stops
// the test from another goroutine: what goes wrong is recorded instead.
type soakClient struct {
	s      *soak
	http   *http.Client
	header http.Header
}

// do posts an operation and records its outcome. allow lists the error
// codes this call may answer without failing the test. The error is for a
// request without a usable answer.
func (c *soakClient) do(ctx context.Context, op, query string, vars map[string]any, allow ...string) (apptest.Response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.s.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return apptest.Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.header {
		req.Header[k] = v
	}
	id, start := c.s.stats.begin(op)
	resp, err := c.http.Do(req)
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	elapsed := time.Since(start)
	c.s.stats.end(id)
	if err != nil {
		c.s.stats.failed(op, err, ctx.Err() != nil)
		return apptest.Response{}, err
	}
	var out apptest.Response
	jsonErr := json.Unmarshal(raw, &out)
	out.Status = resp.StatusCode
	c.s.stats.answered(op, elapsed, out, jsonErr, allow)
	if jsonErr != nil {
		return out, jsonErr
	}
	return out, nil
}

// call runs an operation and decodes its data into dst (when not nil); it
// reports whether there was an answer without errors.
func (s *soak) call(ctx context.Context, c *soakClient, op, query string, vars map[string]any, dst any, allow ...string) bool {
	r, err := c.do(ctx, op, query, vars, allow...)
	if err != nil || len(r.Errors) > 0 {
		return false
	}
	if dst != nil {
		if err := json.Unmarshal(r.Data, dst); err != nil {
			s.stats.problem(op+": data does not decode", err.Error())
			return false
		}
	}
	return true
}

// soakSubscriber holds an integrationEvents subscription open over
// graphql-transport-ws, answering the server's pings.
type soakSubscriber struct {
	s       *soak
	org     *soakOrg
	conn    *websocket.Conn
	writeMu sync.Mutex // gorilla allows one writer at a time
	closing atomic.Bool
	done    chan struct{}

	mu     sync.Mutex
	events int
	runs   map[string]bool // the runs its events were about
}

type soakWSMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (s *soak) subscribe(ctx context.Context, o *soakOrg, viaKey bool) (*soakSubscriber, error) {
	header := http.Header{}
	init := map[string]any{}
	if viaKey {
		init["Authorization"] = "Bearer " + o.apiKey
	} else {
		u, _ := url.Parse(s.url)
		for _, c := range o.session.http.Jar.Cookies(u) {
			header.Add("Cookie", c.Name+"="+c.Value)
		}
	}
	start := time.Now()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: s.timeout}
	conn, _, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/graphql", header)
	if err != nil {
		s.stats.failed("SoakIntegrationEvents", err, ctx.Err() != nil)
		return nil, err
	}
	sub := &soakSubscriber{s: s, org: o, conn: conn, done: make(chan struct{}), runs: map[string]bool{}}
	payload, _ := json.Marshal(init)
	if err := sub.write(soakWSMessage{Type: "connection_init", Payload: payload}); err != nil {
		conn.Close()
		return nil, err
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(s.timeout))
		var m soakWSMessage
		if err := conn.ReadJSON(&m); err != nil {
			conn.Close()
			s.stats.failed("SoakIntegrationEvents", err, false)
			return nil, fmt.Errorf("waiting for connection_ack: %w", err)
		}
		if m.Type == "connection_ack" {
			break
		}
		if m.Type == "ping" {
			_ = sub.write(soakWSMessage{Type: "pong"})
		}
	}
	s.stats.latency("SoakIntegrationEvents (connect)", time.Since(start))
	payload, _ = json.Marshal(map[string]any{"query": soakEventsOperation})
	if err := sub.write(soakWSMessage{ID: "events", Type: "subscribe", Payload: payload}); err != nil {
		conn.Close()
		return nil, err
	}
	go sub.read()
	return sub, nil
}

func (sub *soakSubscriber) write(m soakWSMessage) error {
	sub.writeMu.Lock()
	defer sub.writeMu.Unlock()
	_ = sub.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return sub.conn.WriteJSON(m)
}

// read takes messages until the subscriber closes; silence longer than
// soakSilence, although the server pings every soakPingInterval, is a
// stuck socket.
func (sub *soakSubscriber) read() {
	defer close(sub.done)
	stats := sub.s.stats
	for {
		_ = sub.conn.SetReadDeadline(time.Now().Add(soakSilence))
		var m soakWSMessage
		if err := sub.conn.ReadJSON(&m); err != nil {
			if !sub.closing.Load() {
				stats.problem("subscription: the socket failed during the load", fmt.Sprintf("%s: %s", sub.org.name, soakErrorKind(err)))
			}
			return
		}
		switch {
		case m.Type == "ping":
			_ = sub.write(soakWSMessage{Type: "pong"})
		case m.Type == "next":
			sub.event(m.Payload)
		case m.Type == "pong" || sub.closing.Load():
			// The server may acknowledge the subscriber's complete.
		default:
			stats.problem("subscription: the server ended it", fmt.Sprintf("%s: %s %s", sub.org.name, m.Type, m.Payload))
		}
	}
}

func (sub *soakSubscriber) event(payload json.RawMessage) {
	var p struct {
		Data struct {
			IntegrationEvents *struct {
				Platform, Status string
				Sync             *soakSyncView
			}
		}
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	stats := sub.s.stats
	if err := json.Unmarshal(payload, &p); err != nil {
		stats.problem("subscription: an event does not decode", err.Error())
		return
	}
	for _, e := range p.Errors {
		code, _ := e.Extensions["code"].(string)
		stats.code("SoakIntegrationEvents", code, false, e.Message)
	}
	ev := p.Data.IntegrationEvents
	if ev == nil {
		return
	}
	sub.mu.Lock()
	sub.events++
	if ev.Sync != nil {
		sub.runs[ev.Sync.ID] = true
	}
	sub.mu.Unlock()
	if ev.Sync != nil && ev.Sync.Status == "FAILED" && (ev.Sync.Error == nil || *ev.Sync.Error == "") {
		stats.problem("subscription: an event of a FAILED run has no error message", sub.org.name)
	}
}

// close ends the subscription and the socket politely.
func (sub *soakSubscriber) close() {
	if !sub.closing.CompareAndSwap(false, true) {
		return
	}
	_ = sub.write(soakWSMessage{ID: "events", Type: "complete"})
	_ = sub.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	select {
	case <-sub.done:
	case <-time.After(5 * time.Second):
	}
	sub.conn.Close()
	<-sub.done
}

// soakStats is what the clients measured, and every problem they met.
type soakStats struct {
	deadline time.Duration

	mu        sync.Mutex
	phase     string
	phases    []soakPhase
	requests  map[string]int             // by the phase they started in
	latencies map[string][]time.Duration // answered requests, by operation
	opErrors  map[string]int             // GraphQL errors, by operation
	statuses  map[int]int
	codes     map[string]int // extensions.code of every error
	allowed   map[string]int // the part of codes the test expected
	timedOut  map[string]int // requests without an answer within the client timeout, by operation
	problems  map[string]int
	examples  map[string]string
	order     []string
	notes     []string
	calls     map[uint64]soakCall
	seq       uint64
}

type soakPhase struct {
	name  string
	start time.Time
}

type soakCall struct {
	op    string
	start time.Time
}

func newSoakStats(deadline time.Duration) *soakStats {
	return &soakStats{
		deadline: deadline, phase: "setup",
		requests: map[string]int{}, latencies: map[string][]time.Duration{}, opErrors: map[string]int{},
		statuses: map[int]int{}, codes: map[string]int{}, allowed: map[string]int{}, timedOut: map[string]int{},
		problems: map[string]int{}, examples: map[string]string{}, calls: map[uint64]soakCall{},
	}
}

func (st *soakStats) setPhase(p string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.phase = p
	st.phases = append(st.phases, soakPhase{p, time.Now()})
}

func (st *soakStats) begin(op string) (uint64, time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.seq++
	now := time.Now()
	st.calls[st.seq] = soakCall{op: op, start: now}
	st.requests[st.phase]++
	return st.seq, now
}

func (st *soakStats) end(id uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.calls, id)
}

func (st *soakStats) latency(op string, d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.latencies[op] = append(st.latencies[op], d)
}

// answered records an answer: its time, status and error codes.
func (st *soakStats) answered(op string, elapsed time.Duration, r apptest.Response, jsonErr error, allow []string) {
	st.latency(op, elapsed)
	st.mu.Lock()
	st.statuses[r.Status]++
	st.mu.Unlock()
	if elapsed > st.deadline {
		st.problem(fmt.Sprintf("deadline: %s answered after more than %s", op, st.deadline), elapsed.Round(time.Millisecond).String())
	}
	if r.Status >= 500 {
		st.problem(fmt.Sprintf("status: %s answered HTTP %d", op, r.Status), "")
	}
	if jsonErr != nil {
		st.problem(fmt.Sprintf("status: %s answered HTTP %d with a body that is not JSON", op, r.Status), jsonErr.Error())
	}
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		st.code(op, code, slices.Contains(allow, code), e.Message)
	}
}

func (st *soakStats) code(op, code string, allowed bool, msg string) {
	if code == "" {
		code = "(none)"
	}
	st.mu.Lock()
	st.codes[code]++
	st.opErrors[op]++
	if allowed {
		st.allowed[code]++
	}
	st.mu.Unlock()
	if !allowed {
		st.problem(fmt.Sprintf("errors: %s answered %s", op, code), msg)
	}
}

// failed records a request that got no answer.
func (st *soakStats) failed(op string, err error, abandoned bool) {
	kind := soakErrorKind(err)
	switch {
	case abandoned:
		st.problem(fmt.Sprintf("bound: %s was abandoned when its phase ran out of time", op), kind)
	case kind == "timeout":
		st.mu.Lock()
		st.timedOut[op]++
		st.mu.Unlock()
		st.problem(fmt.Sprintf("stuck: %s got no answer within the client timeout", op), err.Error())
	default:
		st.problem(fmt.Sprintf("transport: %s failed: %s", op, kind), err.Error())
	}
}

// problem records a failure of the test; the same kind is counted, not
// repeated, and its first example kept.
func (st *soakStats) problem(kind, example string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.problems[kind] == 0 {
		st.order = append(st.order, kind)
		st.examples[kind] = example
	}
	st.problems[kind]++
}

func (st *soakStats) note(s string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.notes = append(st.notes, s)
}

// has reports whether a problem of a kind starting with prefix occurred.
func (st *soakStats) has(prefix string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, k := range st.order {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func (st *soakStats) stuck() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for _, v := range st.timedOut {
		n += v
	}
	return n
}

// inflight counts the requests still waiting for an answer, by operation,
// with the age of the oldest.
func (st *soakStats) inflight() (int, string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	by := map[string]int{}
	var oldest time.Time
	for _, c := range st.calls {
		by[c.op]++
		if oldest.IsZero() || c.start.Before(oldest) {
			oldest = c.start
		}
	}
	if len(st.calls) == 0 {
		return 0, ""
	}
	return len(st.calls), fmt.Sprintf("%s; the oldest waits for %s", soakCounts(by), time.Since(oldest).Round(time.Millisecond))
}

func (st *soakStats) problemList() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]string, 0, len(st.order))
	for _, k := range st.order {
		p := k
		if n := st.problems[k]; n > 1 {
			p += fmt.Sprintf(" (%d times)", n)
		}
		if ex := st.examples[k]; ex != "" {
			p += "; first: " + ex
		}
		out = append(out, p)
	}
	return out
}

// soakErrorKind names a transport error without its addresses, so that
// the same failure counts as one kind.
func soakErrorKind(err error) string {
	var ne net.Error
	var ce *websocket.CloseError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &ce):
		return fmt.Sprintf("closed by the server (%d %s)", ce.Code, ce.Text)
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	return fmt.Sprintf("%T", errors.Unwrap(err))
}

// soakResources are the process's goroutines, open files and live heap at
// the points the test compares.
type soakResources struct {
	start, ready, loaded, idle, stopped soakSample
}

type soakSample struct {
	goroutines int
	server     int // goroutines not started by a database connection or pool
	fds        int // -1 where /proc is missing
	heap       uint64
}

func soakMeasure() soakSample {
	// Twice, so that what sync.Pools held is gone too.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds := -1
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = len(entries)
	}
	server := 0
	for _, g := range soakGoroutineGroups() {
		if !g.database() {
			server += g.n
		}
	}
	return soakSample{goroutines: runtime.NumGoroutine(), server: server, fds: fds, heap: m.HeapAlloc}
}

// soakSettle measures until ok holds, for at most ten seconds: closed
// connections and stopped timers take a moment to wind down.
func soakSettle(ok func(soakSample) bool) soakSample {
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := soakMeasure()
		if ok(m) || time.Now().After(deadline) {
			return m
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *soak) checkResources(r soakResources) {
	if r.idle != (soakSample{}) && r.idle.server > r.ready.server+soakGoroutineSlack {
		s.stats.problem("resources: the idle server kept goroutines the load started", fmt.Sprintf("%d before the load, %d once its clients were gone (not counting database connections)", r.ready.server, r.idle.server))
	}
	st, end := r.start, r.stopped
	if end.goroutines > st.goroutines+soakGoroutineSlack {
		s.stats.problem("resources: goroutines did not go back to their start", fmt.Sprintf("%d at the start, %d after everything stopped", st.goroutines, end.goroutines))
		if s.diagnostics == "" {
			s.diagnostics = "goroutines left after everything stopped:\n" + soakGoroutines(12)
		}
	}
	if st.fds >= 0 && end.fds > st.fds+soakFDSlack {
		s.stats.problem("resources: open files did not go back to their start", fmt.Sprintf("%d at the start, %d after everything stopped", st.fds, end.fds))
	}
	if end.heap > st.heap+soakHeapSlack {
		s.stats.problem("resources: the heap did not go back to its start", fmt.Sprintf("%s at the start, %s after everything stopped", soakMB(st.heap), soakMB(end.heap)))
	}
}

// diagnose says where a stuck server waits: what was in flight and which
// stacks most goroutines are parked in.
func (s *soak) diagnose() string {
	var b strings.Builder
	s.stats.mu.Lock()
	if len(s.stats.timedOut) > 0 {
		fmt.Fprintf(&b, "requests without an answer within %s: %s\n", s.timeout, soakCounts(s.stats.timedOut))
	}
	s.stats.mu.Unlock()
	if n, summary := s.stats.inflight(); n > 0 {
		fmt.Fprintf(&b, "still in flight: %d (%s)\n", n, summary)
	}
	for _, o := range s.orgs {
		o.mu.Lock()
		var states []string
		for _, p := range soakPlatformNames {
			in := o.latest[p]
			st := in.Status
			if len(in.Syncs) > 0 {
				st += " (last run " + in.Syncs[0].Status + ")"
			}
			states = append(states, p+" "+st)
		}
		fmt.Fprintf(&b, "%s: %d rounds; %s\n", o.name, o.rounds, strings.Join(states, ", "))
		o.mu.Unlock()
	}
	b.WriteString("goroutines of this process (server, database and test), largest groups:\n")
	b.WriteString(soakGoroutines(12))
	return b.String()
}

// soakGoroutineGroup is a set of goroutines with the same stack.
type soakGoroutineGroup struct {
	n      int
	frames []string // functions, innermost first, runtime's left out
}

// database reports whether the goroutines belong to a database connection
// or pool: started by FerretDB, the SQLite driver or the MongoDB driver.
func (g soakGoroutineGroup) database() bool {
	if len(g.frames) == 0 {
		return false
	}
	root := g.frames[len(g.frames)-1]
	for _, p := range []string{"github.com/FerretDB/", "modernc.org/", "go.mongodb.org/", "database/sql."} {
		if strings.HasPrefix(root, p) {
			return true
		}
	}
	return false
}

// soakGoroutineGroups reads the goroutine profile.
func soakGoroutineGroups() []soakGoroutineGroup {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	var all []soakGoroutineGroup
	for _, block := range strings.Split(buf.String(), "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) < 2 {
			continue
		}
		n, err := strconv.Atoi(strings.Fields(lines[0])[0])
		if err != nil {
			continue
		}
		g := soakGoroutineGroup{n: n}
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			if len(f) < 4 || f[0] != "#" {
				continue
			}
			fn := f[2]
			if i := strings.LastIndex(fn, "+0x"); i > 0 {
				fn = fn[:i]
			}
			if !strings.HasPrefix(fn, "runtime.") {
				g.frames = append(g.frames, fn)
			}
		}
		all = append(all, g)
	}
	return all
}

// soakGoroutines summarizes where this process's goroutines wait: the
// largest groups, then every group running the server's own code (which
// is where a stuck request or sync shows), each as its innermost frames
// and the server's frames below them.
func soakGoroutines(largest int) string {
	groups := soakGoroutineGroups()
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].n > groups[j].n })
	const ours = "github.com/omnify/bff/"
	// The standard library's frames say little about who waits; a
	// function whose path starts with a domain is a module's.
	std := func(f string) bool { return !strings.Contains(strings.SplitN(f, "/", 2)[0], ".") }
	show := func(g soakGoroutineGroup) string {
		var frames []string
		for _, f := range g.frames {
			if !std(f) && !strings.HasPrefix(f, ours) && len(frames) < 3 {
				frames = append(frames, f)
			}
		}
		if len(frames) == 0 {
			frames = g.frames[:min(2, len(g.frames))]
		}
		var own []string
		for _, f := range g.frames {
			if strings.HasPrefix(f, ours) && !strings.HasPrefix(f, ours+"internal/app_test") && len(own) < 4 {
				own = append(own, strings.TrimPrefix(f, ours))
			}
		}
		out := strings.Join(frames, " <- ")
		if len(own) > 0 {
			out += " <- ... <- " + strings.Join(own, " <- ")
		}
		return fmt.Sprintf("  %5d  %s\n", g.n, out)
	}
	var b strings.Builder
	for _, g := range groups[:min(largest, len(groups))] {
		b.WriteString(show(g))
	}
	b.WriteString("  server code:\n")
	shown := 0
	for _, g := range groups[min(largest, len(groups)):] {
		server := false
		for _, f := range g.frames {
			test := strings.HasPrefix(f, ours+"internal/app_test") || strings.HasPrefix(f, ours+"internal/mongodb/mongotest")
			if strings.HasPrefix(f, ours) && !test {
				server = true
			}
		}
		if server && shown < 20 {
			b.WriteString(show(g))
			shown++
		}
	}
	return b.String()
}

// report prints what the run measured.
func (s *soak) report(r soakResources) string {
	st := s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	var b strings.Builder
	total := 0
	for _, n := range st.requests {
		total += n
	}
	fmt.Fprintf(&b, "soak: %d organizations, load for %s, deadline %s per request\n", len(s.orgs), s.loadTook.Round(time.Millisecond), s.deadline)
	var phases []string
	for i, p := range st.phases {
		end := time.Now()
		if i+1 < len(st.phases) {
			end = st.phases[i+1].start
		}
		phases = append(phases, fmt.Sprintf("%s %s", p.name, end.Sub(p.start).Round(100*time.Millisecond)))
	}
	fmt.Fprintf(&b, "phases: %s\n", strings.Join(phases, ", "))
	rate := 0.0
	if s.loadTook > 0 {
		rate = float64(st.requests["load"]) / s.loadTook.Seconds()
	}
	fmt.Fprintf(&b, "requests: %d (setup %d, load %d = %.1f/s, after %d)\n", total, st.requests["setup"], st.requests["load"], rate,
		total-st.requests["setup"]-st.requests["load"])
	var statuses []string
	for code, n := range st.statuses {
		statuses = append(statuses, fmt.Sprintf("%d x%d", code, n))
	}
	sort.Strings(statuses)
	fmt.Fprintf(&b, "HTTP statuses: %s; without an answer within %s: %d\n", strings.Join(statuses, ", "), s.timeout, soakSum(st.timedOut))
	if s.loadTook > 0 {
		fmt.Fprintf(&b, "database commands: %d (setup %d, load %d = %.1f/s)\n", s.env.Commands.Count(), s.commands.setup, s.commands.load, float64(s.commands.load)/s.loadTook.Seconds())
	}

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\tp50\tp99\tmax\terrors\t")
	ops := make([]string, 0, len(st.latencies))
	for op := range st.latencies {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		l := slices.Clone(st.latencies[op])
		slices.Sort(l)
		q := func(p float64) string { return soakMS(l[int(p*float64(len(l)-1))]) }
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t\n", op, len(l), q(0.50), q(0.99), soakMS(l[len(l)-1]), st.opErrors[op])
	}
	_ = tw.Flush()

	var codes []string
	for code, n := range st.codes {
		c := fmt.Sprintf("%s %d", code, n)
		if a := st.allowed[code]; a > 0 {
			c += fmt.Sprintf(" (%d expected: injected faults)", a)
		}
		codes = append(codes, c)
	}
	sort.Strings(codes)
	if len(codes) == 0 {
		codes = []string{"none"}
	}
	fmt.Fprintf(&b, "errors by code: %s\n", strings.Join(codes, ", "))

	outcomes := map[string]int{}
	faults := map[string]int{}
	events, subscribers := 0, 0
	for _, o := range s.orgs {
		o.mu.Lock()
		for _, run := range o.runs {
			k := run.Status
			if run.Status == "FAILED" && o.expectFailure(*run) {
				k = "FAILED (revoked key)"
			}
			outcomes[k]++
		}
		o.mu.Unlock()
		for k, v := range o.acct.FaultsServed() {
			faults[k] += v
		}
		if o.sub != nil {
			o.sub.mu.Lock()
			events += o.sub.events
			subscribers++
			o.sub.mu.Unlock()
		}
	}
	fmt.Fprintf(&b, "syncs by outcome: %s\n", soakCounts(outcomes))
	fmt.Fprintf(&b, "faults the platforms injected: %s\n", soakCounts(faults))
	fmt.Fprintf(&b, "subscriptions: %d held, %d events received\n", subscribers, events)
	for _, n := range st.notes {
		b.WriteString(n + "\n")
	}
	// start: before anything; ready: set up, no load yet; loaded: at the
	// load's end; idle: server up, no clients; stopped: all stopped.
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "resources\tstart\tready\tloaded\tidle\tstopped\t")
	row := func(name string, f func(soakSample) string) {
		cells := []string{name}
		for _, x := range []soakSample{r.start, r.ready, r.loaded, r.idle, r.stopped} {
			if x == (soakSample{}) {
				cells = append(cells, "-") // not reached
			} else {
				cells = append(cells, f(x))
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	row("goroutines", func(x soakSample) string { return strconv.Itoa(x.goroutines) })
	row("not of database connections", func(x soakSample) string { return strconv.Itoa(x.server) })
	row("open files", func(x soakSample) string { return strconv.Itoa(x.fds) })
	row("heap MB", func(x soakSample) string { return fmt.Sprintf("%.1f", float64(x.heap)/(1<<20)) })
	_ = tw.Flush()
	if s.diagnostics != "" {
		b.WriteString("diagnostics:\n" + s.diagnostics)
	}
	if len(st.order) == 0 {
		b.WriteString("result: no problems\n")
	} else {
		fmt.Fprintf(&b, "result: %d kinds of problems (listed as errors below)\n", len(st.order))
	}
	return b.String()
}

func soakCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func soakSum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func soakMS(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func soakMB(n uint64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func soakToday() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

// soakSleep waits for d unless ctx ends first; it reports whether it slept.
func soakSleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// soakWait waits for wg at most d; it reports whether wg finished.
func soakWait(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// soakBounded runs stop, giving up after d: a wedged database must not
// hang the test.
func soakBounded(d time.Duration, stop func()) error {
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(d):
		return fmt.Errorf("still stopping after %s", d)
	}
}
