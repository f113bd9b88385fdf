package integrations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/integrations/platform"
)

// Limits and defaults.
const (
	// MaxAPIKeyBytes is the longest API key accepted; real keys are well
	// under 100 bytes, so anything longer is a paste gone wrong.
	MaxAPIKeyBytes = 4096
	// DefaultRunsPerPlatform is how many runs SyncRuns returns per platform
	// when asked for 0.
	DefaultRunsPerPlatform = 10
	// KeptRunsPerPlatform is how many finished runs of each integration are
	// kept; older ones are deleted when a run finishes. It is also the most
	// SyncRuns returns per platform.
	KeptRunsPerPlatform = 50
	// pointerGrace is how long a run pointer may point at a run that does
	// not exist yet: the pointer is set before the run is inserted, and a
	// pointer older than this lost its run to a crash.
	pointerGrace = time.Minute
)

// ServiceOptions tune the service; zero values take the defaults in brackets.
type ServiceOptions struct {
	// Notify receives every status change and sync progress [no-op].
	Notify Notify
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives failures that are not the caller's [discarded]. It
	// never receives a credential.
	Logger *slog.Logger
}

// Service connects platforms, queues syncs and serves the synced data.
type Service struct {
	store   *Store
	sealer  *Sealer
	clients Clients
	opts    ServiceOptions
}

// NewService returns a Service over store that seals credentials with
// sealer and checks keys with clients (Connect only; the Worker has its
// own clients for syncing).
func NewService(store *Store, sealer *Sealer, clients Clients, opts ServiceOptions) *Service {
	if opts.Notify == nil {
		opts.Notify = func(context.Context, Event) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, sealer: sealer, clients: clients, opts: opts}
}

// now returns the current time in UTC at the precision BSON stores.
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// notify sends an event about doc and, when given, its run.
func (s *Service) notify(ctx context.Context, doc *integrationDoc, run *SyncRun, at time.Time) {
	e := Event{OrganizationID: doc.OrganizationID, Platform: doc.Platform, Status: doc.Status, At: at}
	if run != nil {
		snapshot := *run
		e.Sync = &snapshot
	}
	s.opts.Notify(ctx, e)
}

// require checks that the actor acts in an organization with at least the
// role min.
func require(a Actor, min string) error {
	if a.OrganizationID.IsZero() {
		return apperr.New(apperr.Forbidden, "Choose an organization first.")
	}
	if roleRank(a.Role) < roleRank(min) {
		return apperr.New(apperr.Forbidden, "This needs the %s role or higher in the organization.", min)
	}
	return nil
}

// checkPlatform returns BAD_USER_INPUT on field platform for an unknown platform.
func checkPlatform(p Platform) error {
	if !p.Valid() {
		return apperr.Invalid("platform", "Unknown platform %q; choose TRIPLE_WHALE, HUBSPOT or KLAVIYO.", truncate(string(p), 40))
	}
	return nil
}

// sealContext binds a sealed credential to its integration.
func sealContext(org bson.ObjectID, p Platform) []byte {
	return []byte("integration:" + integrationKey(org, p))
}

// Integrations returns the organization's integration with every platform,
// in Platforms order; a platform never connected is DISCONNECTED.
//
// Returns FORBIDDEN when the actor has no role in an organization.
func (s *Service) Integrations(ctx context.Context, a Actor) ([]Integration, error) {
	if err := require(a, RoleViewer); err != nil {
		return nil, err
	}
	docs, err := s.store.integrationsOf(ctx, a.OrganizationID)
	if err != nil {
		return nil, err
	}
	out := make([]Integration, 0, len(Platforms()))
	for _, p := range Platforms() {
		i := Integration{OrganizationID: a.OrganizationID, Platform: p, Status: StatusDisconnected}
		for _, d := range docs {
			if d.Platform == p {
				i = d.public()
			}
		}
		out = append(out, i)
	}
	return out, nil
}

// Integration returns the organization's integration with p, DISCONNECTED
// when never connected.
//
// Returns FORBIDDEN when the actor has no role in an organization, and
// BAD_USER_INPUT on field platform for an unknown platform.
func (s *Service) Integration(ctx context.Context, a Actor, p Platform) (Integration, error) {
	if err := require(a, RoleViewer); err != nil {
		return Integration{}, err
	}
	if err := checkPlatform(p); err != nil {
		return Integration{}, err
	}
	doc, err := s.store.integration(ctx, a.OrganizationID, p)
	if err != nil {
		return Integration{}, err
	}
	if doc == nil {
		return Integration{OrganizationID: a.OrganizationID, Platform: p, Status: StatusDisconnected}, nil
	}
	return doc.public(), nil
}

// Connect checks apiKey with the platform and, when the platform accepts
// it, stores it sealed and marks the integration CONNECTED; the worker then
// queues its first sync. shopDomain is required for Triple Whale (the
// Shopify domain it reports on, such as store.myshopify.com) and ignored
// otherwise. Connecting again replaces the key and ends a sync that still
// runs with the old one. Nothing is stored when the key is refused.
//
// Returns FORBIDDEN unless the actor is OWNER or ADMIN; BAD_USER_INPUT on
// field platform, apiKey or shopDomain for an unknown platform, an empty,
// oversized or malformed key, or a missing or malformed shop domain; and
// INTEGRATION_ERROR, with the platform's reason, when the platform refuses
// the key or cannot be reached.
func (s *Service) Connect(ctx context.Context, a Actor, p Platform, apiKey, shopDomain string) (Integration, error) {
	if err := require(a, RoleAdmin); err != nil {
		return Integration{}, err
	}
	if err := checkPlatform(p); err != nil {
		return Integration{}, err
	}
	key, err := checkAPIKey(apiKey)
	if err != nil {
		return Integration{}, err
	}
	var domain string
	if p == TripleWhale {
		if domain, err = normalizeShopDomain(shopDomain); err != nil {
			return Integration{}, err
		}
	}
	label, accountKey, err := s.checkKey(ctx, p, key, domain)
	if err != nil {
		return Integration{}, err
	}
	sealed, err := s.sealer.Seal([]byte(key), sealContext(a.OrganizationID, p))
	if err != nil {
		return Integration{}, err
	}
	existing, err := s.store.integration(ctx, a.OrganizationID, p)
	if err != nil {
		return Integration{}, err
	}

	now := s.now()
	connection := bson.NewObjectID()
	set := bson.D{
		{Key: "organizationId", Value: a.OrganizationID},
		{Key: "platform", Value: p},
		{Key: "status", Value: StatusConnected},
		{Key: "accountLabel", Value: label},
		{Key: "accountKey", Value: accountKey},
		{Key: "shopDomain", Value: domain},
		{Key: "credential", Value: sealed},
		{Key: "connectionId", Value: connection},
		{Key: "connectedAt", Value: now},
		// Due at once: the next worker poll queues the first sync.
		{Key: "nextScheduledAt", Value: now},
		{Key: "lastError", Value: ""},
		{Key: "updatedAt", Value: now},
	}
	// A new connection starts without an active run or lease: a sync
	// still running with the old key is ended below and loses its lease.
	unset := bson.D{
		{Key: "keyRejected", Value: ""},
		{Key: "activeRunId", Value: ""},
		{Key: "activeRunSince", Value: ""},
		{Key: "leaseRunId", Value: ""},
		{Key: "leaseOwner", Value: ""},
		{Key: "leaseExpiresAt", Value: ""},
	}
	if existing != nil && existing.AccountKey != accountKey {
		// Another account: its history starts over with a full first sync.
		unset = append(unset, bson.E{Key: "lastSyncedAt", Value: ""})
	}
	update := bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: unset}}
	doc, err := s.store.updateIntegration(ctx, a.OrganizationID, p, nil, update, true)
	if mongo.IsDuplicateKeyError(err) {
		// A concurrent first connect inserted the document; update it.
		doc, err = s.store.updateIntegration(ctx, a.OrganizationID, p, nil, update, true)
	}
	if err != nil {
		return Integration{}, err
	}
	if existing.connected() {
		msg := "The integration was reconnected; the next sync uses the new key."
		if err := s.store.failActiveRuns(ctx, a.OrganizationID, p, msg, now, connection); err != nil {
			return Integration{}, err
		}
	}
	s.notify(ctx, doc, nil, now)
	return doc.public(), nil
}

// checkAPIKey trims the key and checks its size and characters.
func checkAPIKey(apiKey string) (string, error) {
	key := strings.TrimSpace(apiKey)
	switch {
	case key == "":
		return "", apperr.Invalid("apiKey", "Enter the API key.")
	case len(key) > MaxAPIKeyBytes:
		return "", apperr.Invalid("apiKey", "The API key is too long (%d bytes; at most %d). Copy only the key itself.", len(key), MaxAPIKeyBytes)
	case !utf8.ValidString(key) || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		// Said without echoing the key.
		return "", apperr.Invalid("apiKey", "The API key contains spaces or control characters. Copy only the key itself.")
	}
	return key, nil
}

// normalizeShopDomain trims and lower-cases a shop domain, drops a scheme
// and trailing slashes, and checks that what is left is a host name.
func normalizeShopDomain(raw string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(raw))
	for _, scheme := range []string{"https://", "http://"} {
		d = strings.TrimPrefix(d, scheme)
	}
	d = strings.TrimRight(d, "/")
	if d == "" {
		return "", apperr.Invalid("shopDomain", "Enter your shop's domain, such as store.myshopify.com.")
	}
	if !isHostname(d) {
		return "", apperr.Invalid("shopDomain", "%q is not a shop domain; enter one such as store.myshopify.com.", truncate(raw, 80))
	}
	return d, nil
}

// isHostname reports whether d is a DNS name of at least two labels, each
// of letters, digits and inner hyphens, that is not an IP address.
func isHostname(d string) bool {
	if len(d) > 253 || net.ParseIP(d) != nil {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// checkKey asks the platform whether key is valid and returns the account
// label to show and the key identifying the account.
func (s *Service) checkKey(ctx context.Context, p Platform, key, shopDomain string) (label, accountKey string, err error) {
	fail := func(err error) (string, string, error) {
		if ctx.Err() != nil {
			return "", "", fmt.Errorf("integrations: check %s key: %w", p.Label(), ctx.Err())
		}
		return "", "", checkKeyError(p, key, err)
	}
	switch p {
	case TripleWhale:
		c, err := s.clients.TripleWhale(key)
		if err != nil {
			return "", "", fmt.Errorf("integrations: triple whale client: %w", err)
		}
		if err := c.CheckKey(ctx); err != nil {
			return fail(err)
		}
		return shopDomain, shopDomain, nil
	case HubSpot:
		c, err := s.clients.HubSpot(key)
		if err != nil {
			return "", "", fmt.Errorf("integrations: hubspot client: %w", err)
		}
		if err := c.CheckKey(ctx); err != nil {
			return fail(err)
		}
		// The CRM API does not name the portal; the token is all we know.
		return "HubSpot private app", "", nil
	case Klaviyo:
		c, err := s.clients.Klaviyo(key)
		if err != nil {
			return "", "", fmt.Errorf("integrations: klaviyo client: %w", err)
		}
		account, err := c.CheckKey(ctx)
		if err != nil {
			return fail(err)
		}
		return account.Name, account.ID, nil
	}
	return "", "", checkPlatform(p)
}

// checkKeyError turns a failed key check into INTEGRATION_ERROR carrying
// the platform's reason (already redacted by the client; key is removed
// once more in case a reason quoted it in another form).
func checkKeyError(p Platform, key string, err error) error {
	var msg string
	if platform.IsRejected(err) {
		msg = rejectedMessage(p, err) + " Check that you copied the whole key and that it has the read permissions Omnify needs."
	} else {
		msg = fmt.Sprintf("Omnify could not check the key with %s: %s. Try again in a few minutes.", p.Label(), platformReason(err))
	}
	return &apperr.Error{Code: apperr.IntegrationError, Message: redactKey(msg, key), Err: err}
}

// rejectedMessage says that p refused the key, with its status and reason.
func rejectedMessage(p Platform, err error) string {
	var pe *platform.Error
	if !errors.As(err, &pe) {
		return fmt.Sprintf("%s rejected the API key.", p.Label())
	}
	reason := pe.Message
	if reason == "" {
		reason = strings.ToLower(http.StatusText(pe.Status))
	}
	if pe.Status == 0 {
		return fmt.Sprintf("%s rejected the API key: %s.", p.Label(), strings.TrimSuffix(reason, "."))
	}
	return fmt.Sprintf("%s rejected the API key (%d): %s.", p.Label(), pe.Status, strings.TrimSuffix(reason, "."))
}

// platformReason is the text of a failed platform call, fit for a shop
// owner: the platform error's own text, which the client built redacted.
func platformReason(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return strings.TrimSuffix(pe.Error(), ".")
	}
	return strings.TrimSuffix(err.Error(), ".")
}

// Disconnect forgets the credential and marks the integration
// DISCONNECTED; a queued or running sync ends as FAILED. The synced data
// stays, and the dashboard keeps showing it, unless purgeData, which
// deletes everything synced from the platform for the organization.
// Disconnecting an integration that is not connected succeeds, and still
// purges when asked to.
//
// Returns FORBIDDEN unless the actor is OWNER or ADMIN, and BAD_USER_INPUT
// on field platform for an unknown platform.
func (s *Service) Disconnect(ctx context.Context, a Actor, p Platform, purgeData bool) (Integration, error) {
	if err := require(a, RoleAdmin); err != nil {
		return Integration{}, err
	}
	if err := checkPlatform(p); err != nil {
		return Integration{}, err
	}
	now := s.now()
	unset := bson.D{}
	for _, f := range []string{"credential", "connectionId", "connectedAt", "nextScheduledAt", "keyRejected",
		"activeRunId", "activeRunSince", "leaseRunId", "leaseOwner", "leaseExpiresAt"} {
		unset = append(unset, bson.E{Key: f, Value: ""})
	}
	if purgeData {
		unset = append(unset, bson.E{Key: "lastSyncedAt", Value: ""})
	}
	doc, err := s.store.updateIntegration(ctx, a.OrganizationID, p, nil, bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "status", Value: StatusDisconnected},
			{Key: "lastError", Value: ""},
			{Key: "updatedAt", Value: now},
		}},
		{Key: "$unset", Value: unset},
	}, false)
	if err != nil {
		return Integration{}, err
	}
	// Runs are ended after the credential is gone, so none can be queued
	// in between; a worker executing one stops at its next checkpoint.
	if err := s.store.failActiveRuns(ctx, a.OrganizationID, p, "The integration was disconnected.", now, bson.ObjectID{}); err != nil {
		return Integration{}, err
	}
	if purgeData {
		if err := s.store.purge(ctx, a.OrganizationID, p); err != nil {
			return Integration{}, err
		}
	}
	if doc == nil {
		return Integration{OrganizationID: a.OrganizationID, Platform: p, Status: StatusDisconnected}, nil
	}
	s.notify(ctx, doc, nil, now)
	return doc.public(), nil
}

// RequestSync queues a sync of the organization's integration with p and
// returns the run; when a run is already QUEUED or RUNNING it returns that
// one instead of queuing another.
//
// Returns FORBIDDEN unless the actor is MEMBER or above, and BAD_USER_INPUT
// on field platform for an unknown or unconnected platform.
func (s *Service) RequestSync(ctx context.Context, a Actor, p Platform) (SyncRun, error) {
	if err := require(a, RoleMember); err != nil {
		return SyncRun{}, err
	}
	if err := checkPlatform(p); err != nil {
		return SyncRun{}, err
	}
	run, _, err := s.enqueue(ctx, a.OrganizationID, p, TriggerManual, a.UserID, 0, s.opts.Now)
	return run, err
}

// enqueue queues a run or returns the integration's active run; created
// says which. A scheduled run (interval > 0) is queued only when the
// integration is due, and then pushes the next due time interval ahead in
// the same write, so that of several replicas scheduling at once exactly
// one queues it; when not due, enqueue returns created false and no run.
// clock is the caller's: the service's for a member, the worker's for the
// schedule.
func (s *Service) enqueue(ctx context.Context, org bson.ObjectID, p Platform, trigger Trigger, requestedBy bson.ObjectID, interval time.Duration, clock func() time.Time) (SyncRun, bool, error) {
	const attempts = 5
	for range attempts {
		now := clock().UTC().Truncate(time.Millisecond)
		id := bson.NewObjectID()
		cond := bson.D{
			{Key: "connectionId", Value: bson.D{{Key: "$exists", Value: true}}},
			{Key: "activeRunId", Value: bson.D{{Key: "$exists", Value: false}}},
		}
		set := bson.D{
			{Key: "activeRunId", Value: id},
			{Key: "activeRunSince", Value: now},
			{Key: "updatedAt", Value: now},
		}
		if trigger == TriggerSchedule {
			cond = append(cond,
				bson.E{Key: "nextScheduledAt", Value: bson.D{{Key: "$lte", Value: now}}},
				bson.E{Key: "keyRejected", Value: bson.D{{Key: "$ne", Value: true}}})
			set = append(set, bson.E{Key: "nextScheduledAt", Value: now.Add(interval)})
		}
		doc, err := s.store.updateIntegration(ctx, org, p, cond, bson.D{{Key: "$set", Value: set}}, false)
		if err != nil {
			return SyncRun{}, false, err
		}
		if doc != nil {
			run := runDoc{
				SyncRun: SyncRun{
					ID: id, OrganizationID: org, Platform: p, Status: SyncQueued, Trigger: trigger, QueuedAt: now,
				},
				ConnectionID: doc.ConnectionID,
				RequestedBy:  requestedBy,
			}
			if err := s.store.insertRun(ctx, run); err != nil {
				// Free the pointer, so that the next request can queue again.
				_, _ = s.store.updateIntegration(context.WithoutCancel(ctx), org, p,
					bson.D{{Key: "activeRunId", Value: id}}, unsetPointer(), false)
				return SyncRun{}, false, err
			}
			s.notify(ctx, doc, &run.SyncRun, now)
			return run.SyncRun, true, nil
		}
		if trigger == TriggerSchedule {
			return SyncRun{}, false, nil
		}

		doc, err = s.store.integration(ctx, org, p)
		if err != nil {
			return SyncRun{}, false, err
		}
		if !doc.connected() {
			return SyncRun{}, false, apperr.Invalid("platform", "%s is not connected. Connect it before syncing.", p.Label())
		}
		if doc.ActiveRunID.IsZero() {
			continue // its active run ended just now
		}
		active, err := s.store.run(ctx, org, doc.ActiveRunID)
		if err != nil {
			return SyncRun{}, false, err
		}
		switch {
		case active != nil && active.Status.Active():
			return active.SyncRun, false, nil
		case active == nil && doc.ActiveRunSince != nil && now.Sub(*doc.ActiveRunSince) < pointerGrace:
			// Another request set the pointer and is inserting the run.
			if err := platform.Sleep(ctx, 20*time.Millisecond); err != nil {
				return SyncRun{}, false, err
			}
			continue
		}
		// The pointer outlived its run (a worker stopped between ending the
		// run and releasing the integration): clear it and try again.
		if _, err := s.store.updateIntegration(ctx, org, p,
			bson.D{{Key: "activeRunId", Value: doc.ActiveRunID}}, unsetPointer(), false); err != nil {
			return SyncRun{}, false, err
		}
	}
	return SyncRun{}, false, fmt.Errorf("integrations: queue %s sync: the integration kept changing; gave up after %d attempts", p, attempts)
}

// unsetPointer clears an integration's active run pointer.
func unsetPointer() bson.D {
	return bson.D{{Key: "$unset", Value: bson.D{{Key: "activeRunId", Value: ""}, {Key: "activeRunSince", Value: ""}}}}
}

// SyncRuns returns the organization's latest runs of each of the platforms
// (every platform when none are given), newest first, at most perPlatform
// (0 means DefaultRunsPerPlatform) each, in one database query, so a
// dataloader can batch a page's requests. Every requested platform is a key
// of the result, with an empty list when it has no runs.
//
// Returns FORBIDDEN when the actor has no role in an organization, and
// BAD_USER_INPUT on field platform for an unknown platform and on field
// first when perPlatform is out of 1..KeptRunsPerPlatform.
func (s *Service) SyncRuns(ctx context.Context, a Actor, platforms []Platform, perPlatform int) (map[Platform][]SyncRun, error) {
	if err := require(a, RoleViewer); err != nil {
		return nil, err
	}
	if perPlatform == 0 {
		perPlatform = DefaultRunsPerPlatform
	}
	if perPlatform < 1 || perPlatform > KeptRunsPerPlatform {
		return nil, apperr.Invalid("first", "Ask for 1 to %d sync runs per platform, not %d.", KeptRunsPerPlatform, perPlatform)
	}
	if len(platforms) == 0 {
		platforms = Platforms()
	}
	var ps []Platform
	for _, p := range platforms {
		if err := checkPlatform(p); err != nil {
			return nil, err
		}
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	// Pruning keeps KeptRunsPerPlatform finished runs and there is at most
	// one active run per integration, so this limit loses none.
	runs, err := s.store.runsOf(ctx, a.OrganizationID, ps, len(ps)*(KeptRunsPerPlatform+2))
	if err != nil {
		return nil, err
	}
	out := make(map[Platform][]SyncRun, len(ps))
	for _, p := range ps {
		out[p] = []SyncRun{}
	}
	for _, r := range runs {
		if len(out[r.Platform]) < perPlatform {
			out[r.Platform] = append(out[r.Platform], r)
		}
	}
	return out, nil
}

// truncate returns s as valid UTF-8 of at most n bytes, cut at a rune
// boundary, for quoting user input in a message.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
