package integrations

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations/platform/platformtest"
	"github.com/omnify/bff/internal/page"
)

func TestConnectAllThree(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.actor(authz.RoleAdmin)
	tests := []struct {
		platform  Platform
		domain    string
		wantLabel string
		wantShop  string
	}{
		{TripleWhale, "  HTTPS://Acme.MyShopify.com/ ", shopDomain, shopDomain},
		{HubSpot, "ignored.example.com", "HubSpot private app", ""},
		{Klaviyo, "", "Acme Inc.", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.platform), func(t *testing.T) {
			got, err := e.svc.Connect(t.Context(), admin, tt.platform, "  "+keyOf(tt.platform)+"\n", tt.domain)
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if got.Status != StatusConnected || got.AccountLabel != tt.wantLabel || got.ShopDomain != tt.wantShop ||
				got.OrganizationID != e.org || got.ConnectedAt == nil || !got.ConnectedAt.Equal(epoch()) ||
				got.LastSyncedAt != nil || got.LastError != "" || got.NextSyncAt == nil {
				t.Errorf("Connect = %+v", got)
			}
		})
	}
	list, err := e.svc.Integrations(t.Context(), e.actor(authz.RoleViewer))
	if err != nil {
		t.Fatalf("Integrations: %v", err)
	}
	if len(list) != 3 {
		t.Fatalf("Integrations = %d, want 3", len(list))
	}
	for i, p := range Platforms() {
		if list[i].Platform != p || list[i].Status != StatusConnected {
			t.Errorf("integration %d = %s %s, want %s CONNECTED", i, list[i].Platform, list[i].Status, p)
		}
	}
	events := e.events.take()
	if len(events) != 3 || events[0].Status != StatusConnected || events[0].Sync != nil || events[0].OrganizationID != e.org {
		t.Errorf("events = %+v, want one CONNECTED event per platform", events)
	}
}

func TestIntegrationsListsEveryPlatformInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(t, e.actor(authz.RoleOwner), Klaviyo)
	list, err := e.svc.Integrations(t.Context(), e.actor(authz.RoleViewer))
	if err != nil {
		t.Fatal(err)
	}
	want := []Status{StatusDisconnected, StatusDisconnected, StatusConnected}
	for i, p := range Platforms() {
		if list[i].Platform != p || list[i].Status != want[i] || list[i].OrganizationID != e.org {
			t.Errorf("integration %d = %+v, want %s %s", i, list[i], p, want[i])
		}
	}
}

func TestConnectWithRejectedKeyStoresNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		platform Platform
		reason   string
	}{
		{TripleWhale, "Triple Whale rejected the API key (401): Invalid API key"},
		{HubSpot, "HubSpot rejected the API key (401): Authentication credentials not found"},
		{Klaviyo, "Klaviyo rejected the API key (401): Incorrect authentication credentials"},
	}
	for _, tt := range tests {
		t.Run(string(tt.platform), func(t *testing.T) {
			e := newEnv(t)
			const wrong = "wrong_key_0123456789"
			_, err := e.svc.Connect(t.Context(), e.actor(authz.RoleOwner), tt.platform, wrong, shopDomain)
			wantAppErr(t, err, apperr.IntegrationError, "", tt.reason)
			if strings.Contains(err.Error(), wrong) {
				t.Errorf("error leaks the key: %v", err)
			}
			if n := e.count(t, integrationsCollection, nil); n != 0 {
				t.Errorf("%d integrations stored, want 0", n)
			}
			if i := e.integration(t, e.actor(authz.RoleViewer), tt.platform); i.Status != StatusDisconnected {
				t.Errorf("status = %s, want DISCONNECTED", i.Status)
			}
			if ev := e.events.take(); len(ev) != 0 {
				t.Errorf("events = %+v, want none", ev)
			}
		})
	}
}

func TestConnectWhenPlatformIsDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.SetIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		platformtest.WriteError(w, platformtest.HubSpot, http.StatusServiceUnavailable, "", "HubSpot is down for maintenance")
		return true
	})
	_, err := e.svc.Connect(t.Context(), e.actor(authz.RoleOwner), HubSpot, hsKey, "")
	wantAppErr(t, err, apperr.IntegrationError, "", "could not check the key with HubSpot", "HTTP 503", "down for maintenance")
	if n := e.count(t, integrationsCollection, nil); n != 0 {
		t.Errorf("%d integrations stored, want 0", n)
	}
}

func TestConnectRejectsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name     string
		platform Platform
		key      string
		domain   string
		field    string
		parts    []string
	}{
		{"an unknown platform", "SHOPIFY", twKey, shopDomain, "platform", []string{`"SHOPIFY"`}},
		{"an empty key", HubSpot, "", "", "apiKey", []string{"Enter the API key"}},
		{"a whitespace key", HubSpot, " \t\n ", "", "apiKey", []string{"Enter the API key"}},
		{"a 10 KB key", Klaviyo, strings.Repeat("k", 10<<10), "", "apiKey", []string{"too long"}},
		{"a key just over 4 KB", Klaviyo, strings.Repeat("k", MaxAPIKeyBytes+1), "", "apiKey", []string{"too long"}},
		{"a key with a space inside", HubSpot, "pat-na1 1111", "", "apiKey", []string{"spaces or control characters"}},
		{"a key with a control character", HubSpot, "pat\x00na1", "", "apiKey", []string{"spaces or control characters"}},
		{"Triple Whale without a shop domain", TripleWhale, twKey, "  ", "shopDomain", []string{"store.myshopify.com"}},
		{"Triple Whale with a path", TripleWhale, twKey, "acme.myshopify.com/admin", "shopDomain", []string{"not a shop domain"}},
		{"Triple Whale with a single label", TripleWhale, twKey, "localhost", "shopDomain", []string{"not a shop domain"}},
		{"Triple Whale with an IP address", TripleWhale, twKey, "10.0.0.1", "shopDomain", []string{"not a shop domain"}},
		{"Triple Whale with an underscore", TripleWhale, twKey, "my_shop.myshopify.com", "shopDomain", []string{"not a shop domain"}},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			before := e.fake.Total()
			_, err := e.svc.Connect(t.Context(), e.actor(authz.RoleOwner), tt.platform, tt.key, tt.domain)
			wantAppErr(t, err, apperr.BadUserInput, tt.field, tt.parts...)
			if e.fake.Total() != before {
				t.Error("the platform was called before the input was valid")
			}
			if n := e.count(t, integrationsCollection, nil); n != 0 {
				t.Errorf("%d integrations stored, want 0", n)
			}
		})
	}
}

func TestNormalizeShopDomain(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"acme.myshopify.com", "acme.myshopify.com"},
		{"  Acme.MyShopify.COM  ", "acme.myshopify.com"},
		{"https://acme.myshopify.com/", "acme.myshopify.com"},
		{"http://shop.example.co.uk//", "shop.example.co.uk"},
		{"my-shop-1.myshopify.com", "my-shop-1.myshopify.com"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normalizeShopDomain(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("normalizeShopDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"-acme.myshopify.com", "acme-.myshopify.com", "acme..com", "acme.myshopify.com:443", "ftp://acme.com", strings.Repeat("a", 64) + ".com"} {
		t.Run("rejects "+bad, func(t *testing.T) {
			if got, err := normalizeShopDomain(bad); err == nil {
				t.Errorf("normalizeShopDomain(%q) = %q, want an error", bad, got)
			}
		})
	}
}

func TestRolesGateEachAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(t, e.actor(authz.RoleOwner), HubSpot)
	ctx := t.Context()
	actions := []struct {
		name    string
		minRole authz.Role
		// write marks a change, which a READ API key may not make.
		write bool
		do    func(a *authz.Principal) error
	}{
		{"connect", authz.RoleAdmin, true, func(a *authz.Principal) error { _, err := e.svc.Connect(ctx, a, HubSpot, hsKey, ""); return err }},
		{"disconnect", authz.RoleAdmin, true, func(a *authz.Principal) error { _, err := e.svc.Disconnect(ctx, a, Klaviyo, false); return err }},
		{"request a sync", authz.RoleMember, true, func(a *authz.Principal) error { _, err := e.svc.RequestSync(ctx, a, HubSpot); return err }},
		{"list integrations", authz.RoleViewer, false, func(a *authz.Principal) error { _, err := e.svc.Integrations(ctx, a); return err }},
		{"read an integration", authz.RoleViewer, false, func(a *authz.Principal) error { _, err := e.svc.Integration(ctx, a, HubSpot); return err }},
		{"list sync runs", authz.RoleViewer, false, func(a *authz.Principal) error { _, err := e.svc.SyncRuns(ctx, a, nil); return err }},
		{"read the marketing summary", authz.RoleViewer, false, func(a *authz.Principal) error {
			_, err := e.svc.MarketingSummary(ctx, a, epoch(), epoch())
			return err
		}},
		{"read deals", authz.RoleViewer, false, func(a *authz.Principal) error { _, err := e.svc.Deals(ctx, a, nil, nil, ""); return err }},
		{"read contacts", authz.RoleViewer, false, func(a *authz.Principal) error { _, err := e.svc.Contacts(ctx, a, nil, nil); return err }},
		{"read the pipeline", authz.RoleViewer, false, func(a *authz.Principal) error { _, err := e.svc.PipelineSummary(ctx, a); return err }},
		{"read campaigns", authz.RoleViewer, false, func(a *authz.Principal) error { _, err := e.svc.EmailCampaigns(ctx, a, nil, nil); return err }},
		{"read the email days", authz.RoleViewer, false, func(a *authz.Principal) error {
			_, err := e.svc.EmailDaily(ctx, a, epoch(), epoch())
			return err
		}},
		{"read flows", authz.RoleViewer, false, func(a *authz.Principal) error { _, err := e.svc.EmailFlows(ctx, a, nil, nil); return err }},
	}
	roles := []authz.Role{authz.RoleOwner, authz.RoleAdmin, authz.RoleMember, authz.RoleViewer, "", "SUPERUSER"}
	for _, act := range actions {
		for _, role := range roles {
			allowed := role.AtLeast(act.minRole)
			name := fmt.Sprintf("%s by %q is allowed %v", act.name, role, allowed)
			t.Run(name, func(t *testing.T) {
				err := act.do(e.actor(role))
				if allowed && err != nil {
					t.Fatalf("error = %v, want success", err)
				}
				if !allowed {
					wantAppErr(t, err, apperr.Forbidden, "")
				}
			})
		}
		t.Run(act.name+" without a caller is UNAUTHENTICATED", func(t *testing.T) {
			wantAppErr(t, act.do(nil), apperr.Unauthenticated, "")
		})
		t.Run(fmt.Sprintf("%s by a READ key is allowed %v", act.name, !act.write), func(t *testing.T) {
			key := &authz.Principal{OrganizationID: e.org, APIKeyID: bson.NewObjectID(), Scope: authz.ScopeRead, Role: authz.RoleOwner}
			err := act.do(key)
			if act.write {
				wantAppErr(t, err, apperr.Forbidden, "")
			} else if err != nil {
				t.Fatalf("error = %v, want success", err)
			}
		})
	}
	t.Run("a READ_WRITE API key acting as ADMIN may connect", func(t *testing.T) {
		key := &authz.Principal{OrganizationID: e.org, APIKeyID: bson.NewObjectID(), Scope: authz.ScopeReadWrite, Role: authz.RoleAdmin}
		if _, err := e.svc.Connect(ctx, key, Klaviyo, klKey, ""); err != nil {
			t.Fatalf("Connect: %v", err)
		}
	})
	t.Run("a caller without an organization is forbidden", func(t *testing.T) {
		_, err := e.svc.Integrations(ctx, &authz.Principal{UserID: bson.NewObjectID(), Role: authz.RoleOwner})
		wantAppErr(t, err, apperr.Forbidden, "")
	})
}

func TestStoredCredentialIsSealed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	for _, p := range Platforms() {
		e.connect(t, owner, p)
	}
	cur, err := e.db.Collection(integrationsCollection).Find(t.Context(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var raws []bson.Raw
	if err := cur.All(t.Context(), &raws); err != nil {
		t.Fatal(err)
	}
	if len(raws) != 3 {
		t.Fatalf("%d documents, want 3", len(raws))
	}
	for _, raw := range raws {
		p := Platform(raw.Lookup("platform").StringValue())
		t.Run(string(p), func(t *testing.T) {
			key := []byte(keyOf(p))
			if bytes.Contains(raw, key) {
				t.Fatalf("the raw document contains the API key in plain text")
			}
			for _, part := range [][]byte{key[:len(key)/2], key[len(key)/2:]} {
				if bytes.Contains(raw, part) {
					t.Errorf("the raw document contains half of the API key: %q", part)
				}
			}
			sealed := raw.Lookup("credential").StringValue()
			if !strings.HasPrefix(sealed, "v1:"+e.sealer.KeyID()+":") {
				t.Errorf("credential = %q, want a sealed value", sealed)
			}
			got, err := e.sealer.Open(sealed, sealContext(e.org, p))
			if err != nil || string(got) != keyOf(p) {
				t.Errorf("the sealed credential opens to %q, %v", got, err)
			}
		})
	}
	t.Run("no result carries the key", func(t *testing.T) {
		list, _ := e.svc.Integrations(t.Context(), owner)
		text := fmt.Sprintf("%+v", list)
		for _, p := range Platforms() {
			if strings.Contains(text, keyOf(p)) {
				t.Errorf("Integrations shows the %s key", p)
			}
		}
	})
}

func TestDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	for _, p := range []Platform{HubSpot, Klaviyo} {
		e.connect(t, owner, p)
		if r := e.sync(t, owner, p); r.Status != SyncSucceeded {
			t.Fatalf("%s sync = %+v", p, r)
		}
	}
	deals := e.count(t, dealsCollection, nil)
	if deals != int64(len(e.acct.Deals())) {
		t.Fatalf("%d deals synced, want %d", deals, len(e.acct.Deals()))
	}

	t.Run("keeps the data without purge", func(t *testing.T) {
		e.events.take()
		got, err := e.svc.Disconnect(t.Context(), e.actor(authz.RoleAdmin), HubSpot, false)
		if err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		if got.Status != StatusDisconnected || got.ConnectedAt != nil || got.NextSyncAt != nil || got.LastSyncedAt == nil {
			t.Errorf("Disconnect = %+v, want DISCONNECTED keeping the last sync time", got)
		}
		raw, err := e.db.Collection(integrationsCollection).FindOne(t.Context(), bson.D{{Key: "_id", Value: integrationKey(e.org, HubSpot)}}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.LookupErr("credential"); err == nil {
			t.Error("the credential is still stored")
		}
		if n := e.count(t, dealsCollection, nil); n != deals {
			t.Errorf("%d deals left, want %d", n, deals)
		}
		p, _ := e.svc.Deals(t.Context(), owner, nil, nil, "")
		if len(p.Items) != int(deals) {
			t.Errorf("Deals after disconnect = %d, want %d", len(p.Items), deals)
		}
		_, err = e.svc.RequestSync(t.Context(), owner, HubSpot)
		wantAppErr(t, err, apperr.BadUserInput, "platform", "HubSpot is not connected")
		if ev := e.events.take(); len(ev) != 1 || ev[0].Status != StatusDisconnected || ev[0].Platform != HubSpot {
			t.Errorf("events = %+v, want one DISCONNECTED", ev)
		}
	})
	t.Run("purging later deletes the data kept", func(t *testing.T) {
		got, err := e.svc.Disconnect(t.Context(), owner, HubSpot, true)
		if err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		if got.LastSyncedAt != nil {
			t.Errorf("LastSyncedAt = %v after purge, want nil", got.LastSyncedAt)
		}
		for _, c := range []string{dealsCollection, contactsCollection} {
			if n := e.count(t, c, nil); n != 0 {
				t.Errorf("%d documents left in %s, want 0", n, c)
			}
		}
	})
	t.Run("purge deletes only that platform's data", func(t *testing.T) {
		klaviyoDays := e.count(t, dailyCollection, bson.D{{Key: "platform", Value: Klaviyo}})
		if klaviyoDays == 0 || e.count(t, flowsCollection, nil) == 0 {
			t.Fatal("no Klaviyo data synced")
		}
		if _, err := e.svc.Disconnect(t.Context(), owner, Klaviyo, true); err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		for _, c := range []string{dailyCollection, campaignsCollection, flowsCollection} {
			if n := e.count(t, c, nil); n != 0 {
				t.Errorf("%d documents left in %s, want 0", n, c)
			}
		}
	})
	t.Run("disconnecting a platform never connected succeeds", func(t *testing.T) {
		got, err := e.svc.Disconnect(t.Context(), owner, TripleWhale, true)
		if err != nil || got.Status != StatusDisconnected || got.Platform != TripleWhale {
			t.Errorf("Disconnect = %+v, %v", got, err)
		}
	})
	t.Run("an unknown platform is bad input", func(t *testing.T) {
		_, err := e.svc.Disconnect(t.Context(), owner, "MAILCHIMP", false)
		wantAppErr(t, err, apperr.BadUserInput, "platform")
	})
}

func TestDisconnectEndsTheActiveRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	run, err := e.svc.RequestSync(t.Context(), owner, HubSpot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Disconnect(t.Context(), owner, HubSpot, false); err != nil {
		t.Fatal(err)
	}
	got := e.run(t, run.ID)
	if got.Status != SyncFailed || !strings.Contains(got.Error, "disconnected") {
		t.Errorf("run = %+v, want FAILED because of the disconnect", got)
	}
	if ran, err := e.worker("w").RunOnce(t.Context()); err != nil || ran {
		t.Errorf("RunOnce = %v, %v; want nothing to run", ran, err)
	}
}

func TestReconnectEndsTheRunOfTheOldKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, Klaviyo)
	old, err := e.svc.RequestSync(t.Context(), owner, Klaviyo)
	if err != nil {
		t.Fatal(err)
	}
	e.connect(t, owner, Klaviyo)
	if got := e.run(t, old.ID); got.Status != SyncFailed || !strings.Contains(got.Error, "reconnected") {
		t.Errorf("old run = %+v, want FAILED because of the reconnect", got)
	}
	fresh, err := e.svc.RequestSync(t.Context(), owner, Klaviyo)
	if err != nil || fresh.ID == old.ID || fresh.Status != SyncQueued {
		t.Fatalf("RequestSync after reconnect = %+v, %v; want a new queued run", fresh, err)
	}
	if r := e.sync(t, owner, Klaviyo); r.ID != fresh.ID || r.Status != SyncSucceeded {
		t.Errorf("run = %+v, want the new run SUCCEEDED", r)
	}
}

func TestRequestSyncReturnsTheActiveRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	member := e.actor(authz.RoleMember)
	e.connect(t, e.actor(authz.RoleOwner), TripleWhale)
	first, err := e.svc.RequestSync(t.Context(), member, TripleWhale)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != SyncQueued || first.Trigger != TriggerManual || !first.QueuedAt.Equal(epoch()) || first.Platform != TripleWhale {
		t.Errorf("RequestSync = %+v, want a manual QUEUED run", first)
	}
	t.Run("while queued", func(t *testing.T) {
		again, err := e.svc.RequestSync(t.Context(), member, TripleWhale)
		if err != nil || again.ID != first.ID {
			t.Errorf("RequestSync = %+v, %v; want the queued run %s", again, err, first.ID.Hex())
		}
	})
	t.Run("while running", func(t *testing.T) {
		w := e.worker("w1")
		run, err := w.claim(t.Context())
		if err != nil || run == nil || run.ID != first.ID {
			t.Fatalf("claim = %+v, %v", run, err)
		}
		again, err := e.svc.RequestSync(t.Context(), member, TripleWhale)
		if err != nil || again.ID != first.ID || again.Status != SyncRunning {
			t.Errorf("RequestSync = %+v, %v; want the running run", again, err)
		}
	})
	if n := e.count(t, runsCollection, nil); n != 1 {
		t.Errorf("%d runs stored, want 1", n)
	}
	t.Run("of an unconnected platform", func(t *testing.T) {
		_, err := e.svc.RequestSync(t.Context(), member, Klaviyo)
		wantAppErr(t, err, apperr.BadUserInput, "platform", "Klaviyo is not connected")
	})
	t.Run("of an unknown platform", func(t *testing.T) {
		_, err := e.svc.RequestSync(t.Context(), member, "FACEBOOK")
		wantAppErr(t, err, apperr.BadUserInput, "platform")
	})
}

func TestRequestSyncClearsAPointerLeftByACrash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	e.connect(t, owner, HubSpot)
	// A replica set the pointer, then died before inserting the run.
	lost := bson.NewObjectID()
	if _, err := e.store.updateIntegration(t.Context(), e.org, HubSpot, nil, bson.D{{Key: "$set", Value: bson.D{
		{Key: "activeRunId", Value: lost}, {Key: "activeRunSince", Value: epoch()},
	}}}, false); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * pointerGrace)
	run, err := e.svc.RequestSync(t.Context(), owner, HubSpot)
	if err != nil || run.ID == lost || run.Status != SyncQueued {
		t.Fatalf("RequestSync = %+v, %v; want a new queued run", run, err)
	}
}

func TestSyncRunsInOneQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.actor(authz.RoleOwner)
	for _, p := range []Platform{HubSpot, Klaviyo} {
		e.connect(t, owner, p)
	}
	var hubspotRuns []SyncRun
	for range 3 {
		hubspotRuns = append(hubspotRuns, e.sync(t, owner, HubSpot))
		e.clock.Advance(time.Minute)
	}
	klaviyoRun := e.sync(t, owner, Klaviyo)
	e.clock.Advance(time.Minute)
	queued, err := e.svc.RequestSync(t.Context(), owner, HubSpot)
	if err != nil {
		t.Fatal(err)
	}

	e.counter.Reset()
	all, err := e.svc.SyncRuns(t.Context(), e.actor(authz.RoleViewer), []Platform{HubSpot, Klaviyo, TripleWhale})
	if err != nil {
		t.Fatalf("SyncRuns: %v", err)
	}
	if n, finds := e.counter.Count(), e.counter.Count("find"); n != 1 || finds != 1 {
		t.Errorf("SyncRuns sent %d commands (%d finds), want one find", n, finds)
	}
	ids := func(runs []SyncRun) []bson.ObjectID {
		var out []bson.ObjectID
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		platform Platform
		want     []bson.ObjectID
	}{
		{HubSpot, []bson.ObjectID{queued.ID, hubspotRuns[2].ID, hubspotRuns[1].ID, hubspotRuns[0].ID}},
		{Klaviyo, []bson.ObjectID{klaviyoRun.ID}},
		{TripleWhale, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.platform)+" newest first", func(t *testing.T) {
			runs, ok := all[tt.platform]
			if !ok {
				t.Fatal("platform missing from the result")
			}
			if !slices.Equal(ids(runs), tt.want) {
				t.Errorf("runs = %v, want %v", ids(runs), tt.want)
			}
		})
	}
	t.Run("pages of one integration's runs", func(t *testing.T) {
		runs := all[HubSpot]
		for first := 1; first <= len(runs)+1; first++ {
			var got []SyncRun
			var after *string
			for {
				p, err := SyncRunPage(runs, &first, after)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.Items...)
				if p.TotalCount != len(runs) || !p.HasNextPage {
					break
				}
				end := p.EndCursor()
				after = &end
			}
			if !slices.Equal(ids(got), ids(runs)) {
				t.Errorf("pages of %d = %v, want %v", first, ids(got), ids(runs))
			}
		}
		p, err := SyncRunPage(runs, nil, nil)
		if err != nil || len(p.Items) != DefaultRunsPerPage || !p.HasNextPage {
			t.Errorf("default page = %+v, %v", p, err)
		}
	})
	for _, first := range []int{0, KeptRunsPerPlatform + 1} {
		t.Run(fmt.Sprintf("first %d is refused", first), func(t *testing.T) {
			_, err := SyncRunPage(all[HubSpot], &first, nil)
			wantAppErr(t, err, apperr.BadUserInput, "first")
		})
	}
	t.Run("a bad cursor is refused", func(t *testing.T) {
		for _, c := range []string{"nope!", page.EncodeCursor("soon", queued.ID.Hex())} {
			_, err := SyncRunPage(all[HubSpot], nil, &c)
			wantAppErr(t, err, apperr.BadUserInput, "after")
		}
	})
	t.Run("a run by id", func(t *testing.T) {
		r, err := e.svc.SyncRun(t.Context(), owner, klaviyoRun.ID)
		if err != nil || r.ID != klaviyoRun.ID {
			t.Errorf("SyncRun = %+v, %v", r, err)
		}
		other := &authz.Principal{OrganizationID: bson.NewObjectID(), Role: authz.RoleOwner}
		_, err = e.svc.SyncRun(t.Context(), other, klaviyoRun.ID)
		wantAppErr(t, err, apperr.NotFound, "")
	})
	t.Run("unknown platform", func(t *testing.T) {
		_, err := e.svc.SyncRuns(t.Context(), owner, []Platform{"X"})
		wantAppErr(t, err, apperr.BadUserInput, "platform")
	})
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ownerA := e.actor(authz.RoleOwner)
	// Triple Whale's days share the collection and the queries of Klaviyo's.
	for _, p := range []Platform{HubSpot, Klaviyo} {
		e.connect(t, ownerA, p)
		if r := e.sync(t, ownerA, p); r.Status != SyncSucceeded {
			t.Fatalf("%s sync of org A = %+v", p, r)
		}
	}
	b := &authz.Principal{OrganizationID: bson.NewObjectID(), UserID: bson.NewObjectID(), Role: authz.RoleOwner}
	ctx := t.Context()

	list, err := e.svc.Integrations(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range list {
		if i.Status != StatusDisconnected || i.OrganizationID != b.OrganizationID {
			t.Errorf("org B sees %+v", i)
		}
	}
	runs, _ := e.svc.SyncRuns(ctx, b, nil)
	for p, rs := range runs {
		if len(rs) != 0 {
			t.Errorf("org B sees %d %s runs", len(rs), p)
		}
	}
	sum, _ := e.svc.MarketingSummary(ctx, b, epoch().AddDate(0, 0, -30), epoch())
	if sum.Totals != (Totals{}) || sum.Previous != (Totals{}) {
		t.Errorf("org B's summary = %+v, want zeros", sum.Totals)
	}
	deals, _ := e.svc.Deals(ctx, b, nil, nil, "")
	contacts, _ := e.svc.Contacts(ctx, b, nil, nil)
	campaigns, _ := e.svc.EmailCampaigns(ctx, b, nil, nil)
	flows, _ := e.svc.EmailFlows(ctx, b, nil, nil)
	pipeline, _ := e.svc.PipelineSummary(ctx, b)
	if len(deals.Items)+len(contacts.Items)+len(campaigns.Items)+len(flows.Items)+len(pipeline.Stages) != 0 ||
		deals.TotalCount+contacts.TotalCount+campaigns.TotalCount+flows.TotalCount != 0 {
		t.Errorf("org B sees A's records: %d deals, %d contacts, %d campaigns, %d flows, %d stages",
			len(deals.Items), len(contacts.Items), len(campaigns.Items), len(flows.Items), len(pipeline.Stages))
	}
	t.Run("a cursor of org A pages nothing of A for B", func(t *testing.T) {
		pageA, _ := e.svc.Deals(ctx, ownerA, ptr(1), nil, "")
		end := pageA.EndCursor()
		pageB, err := e.svc.Deals(ctx, b, ptr(1), &end, "")
		if err != nil || len(pageB.Items) != 0 {
			t.Errorf("Deals for B with A's cursor = %+v, %v", pageB, err)
		}
	})
	t.Run("B cannot read A's records by their keys", func(t *testing.T) {
		for _, err := range []error{
			second(e.svc.Deal(ctx, b, recordKey(e.org, "101"))),
			second(e.svc.Contact(ctx, b, recordKey(e.org, "201"))),
			second(e.svc.Campaign(ctx, b, recordKey(e.org, "c1"))),
			second(e.svc.Flow(ctx, b, recordKey(e.org, "f1"))),
		} {
			wantAppErr(t, err, apperr.NotFound, "")
		}
	})
	t.Run("B cannot sync or disconnect A's integrations", func(t *testing.T) {
		_, err := e.svc.RequestSync(ctx, b, HubSpot)
		wantAppErr(t, err, apperr.BadUserInput, "platform", "not connected")
		if _, err := e.svc.Disconnect(ctx, b, HubSpot, true); err != nil {
			t.Fatal(err)
		}
		if i := e.integration(t, ownerA, HubSpot); i.Status != StatusConnected {
			t.Errorf("A's HubSpot = %s after B's disconnect, want CONNECTED", i.Status)
		}
		if n := e.count(t, dealsCollection, nil); n != int64(len(e.acct.Deals())) {
			t.Errorf("%d deals left after B's purge, want %d", n, len(e.acct.Deals()))
		}
	})
	t.Run("a credential copied to another organization does not open", func(t *testing.T) {
		doc, _ := e.store.integration(ctx, e.org, HubSpot)
		if _, err := e.sealer.Open(doc.Credential, sealContext(b.OrganizationID, HubSpot)); err == nil {
			t.Error("A's sealed credential opened in B's context")
		}
	})
}

// second returns the error of a call's two results.
func second[T any](_ T, err error) error { return err }

// TestTwoOrganizationsSyncingOneAccount connects the same platform accounts
// to two organizations: each keeps its own records, under keys that differ.
func TestTwoOrganizationsSyncingOneAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.actor(authz.RoleOwner)
	b := &authz.Principal{OrganizationID: bson.NewObjectID(), UserID: bson.NewObjectID(), Role: authz.RoleOwner}
	for _, p := range []Platform{HubSpot, Klaviyo} {
		e.connect(t, a, p)
		if r := e.sync(t, a, p); r.Status != SyncSucceeded {
			t.Fatalf("%s sync of A = %+v", p, r)
		}
		if _, err := e.svc.Connect(t.Context(), b, p, keyOf(p), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RequestSync(t.Context(), b, p); err != nil {
			t.Fatal(err)
		}
		if ran, err := e.worker("w1").RunOnce(t.Context()); err != nil || !ran {
			t.Fatalf("RunOnce = %v, %v", ran, err)
		}
	}
	dealsA, _ := e.svc.Deals(t.Context(), a, nil, nil, "")
	dealsB, _ := e.svc.Deals(t.Context(), b, nil, nil, "")
	if len(dealsA.Items) != len(e.acct.Deals()) || len(dealsB.Items) != len(dealsA.Items) {
		t.Fatalf("deals: A %d, B %d, want %d each", len(dealsA.Items), len(dealsB.Items), len(e.acct.Deals()))
	}
	for i := range dealsA.Items {
		da, db := dealsA.Items[i], dealsB.Items[i]
		if da.HubSpotID != db.HubSpotID || da.Key == db.Key {
			t.Errorf("deal %d: A %q/%q, B %q/%q; want one HubSpot id under two keys", i, da.HubSpotID, da.Key, db.HubSpotID, db.Key)
		}
		if _, err := e.svc.Deal(t.Context(), b, da.Key); err == nil {
			t.Errorf("B reads A's deal %s", da.Key)
		}
		if got, err := e.svc.Deal(t.Context(), b, db.Key); err != nil || got.Key != db.Key {
			t.Errorf("B's deal %s = %+v, %v", db.Key, got, err)
		}
	}
	flowsA, _ := e.svc.EmailFlows(t.Context(), a, nil, nil)
	flowsB, _ := e.svc.EmailFlows(t.Context(), b, nil, nil)
	if len(flowsA.Items) != 2 || len(flowsB.Items) != 2 || flowsA.Items[0].Key == flowsB.Items[0].Key {
		t.Errorf("flows: A %+v, B %+v", flowsA.Items, flowsB.Items)
	}
}
