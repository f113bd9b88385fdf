package integrations

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/text"
)

// Integrations returns the organization's integration with every platform,
// in Platforms order; a platform never connected is DISCONNECTED.
//
// Returns UNAUTHENTICATED without a caller and FORBIDDEN without a role in an organization.
func (s *Service) Integrations(ctx context.Context, p *authz.Principal) ([]Integration, error) {
	list, _, err := s.IntegrationState(ctx, p, false)
	return list, err
}

// Integration returns the organization's integration with p, DISCONNECTED
// when never connected, settled as IntegrationState settles it.
//
// Returns UNAUTHENTICATED without a caller and FORBIDDEN without a role in an organization, and
// BAD_USER_INPUT on field platform for an unknown platform.
func (s *Service) Integration(ctx context.Context, p *authz.Principal, pl Platform) (Integration, error) {
	if err := require(p, readRole); err != nil {
		return Integration{}, err
	}
	if err := checkPlatform(pl); err != nil {
		return Integration{}, err
	}
	list, _, err := s.IntegrationState(ctx, p, false)
	if err != nil {
		return Integration{}, err
	}
	for _, in := range list {
		if in.Platform == pl {
			return in, nil
		}
	}
	return Integration{OrganizationID: p.OrganizationID, Platform: pl, Status: StatusDisconnected}, nil
}

// Connect checks apiKey with the platform and, when the platform accepts
// it, stores it sealed and marks the integration CONNECTED; the worker then
// queues its first sync. shopDomain is required for Triple Whale (the
// Shopify domain it reports on, such as store.myshopify.com) and ignored
// otherwise. Connecting again replaces the key and ends a sync that still
// runs with the old one. Nothing is stored when the key is refused.
//
// Returns FORBIDDEN unless the caller is OWNER or ADMIN (or a READ_WRITE API key); BAD_USER_INPUT on
// field platform, apiKey or shopDomain for an unknown platform, an empty,
// oversized or malformed key, or a missing or malformed shop domain; and
// INTEGRATION_ERROR, with the platform's reason, when the platform refuses
// the key or cannot be reached.
func (s *Service) Connect(ctx context.Context, p *authz.Principal, pl Platform, apiKey, shopDomain string) (Integration, error) {
	if err := requireWrite(p, manageRole); err != nil {
		return Integration{}, err
	}
	if err := checkPlatform(pl); err != nil {
		return Integration{}, err
	}
	key, err := checkAPIKey(apiKey)
	if err != nil {
		return Integration{}, err
	}
	var domain string
	if pl == TripleWhale {
		if domain, err = normalizeShopDomain(shopDomain); err != nil {
			return Integration{}, err
		}
	}
	label, accountKey, err := s.checkKey(ctx, pl, key, domain)
	if err != nil {
		return Integration{}, err
	}
	org := p.OrganizationID
	sealed, err := s.opts.Sealer.Seal([]byte(key), sealContext(org, pl))
	if err != nil {
		return Integration{}, err
	}
	existing, err := s.store.integration(ctx, org, pl)
	if err != nil {
		return Integration{}, err
	}
	now := s.now()
	c := connection{
		org: org, platform: pl, label: label, accountKey: accountKey, shopDomain: domain,
		credential: sealed, id: bson.NewObjectID(), at: now,
		// Another account: its history starts over with a full first sync.
		newAccount: existing != nil && existing.AccountKey != accountKey,
	}
	doc, err := s.store.connect(ctx, c)
	if err != nil {
		return Integration{}, err
	}
	if existing.connected() {
		msg := "The integration was reconnected; the next sync uses the new key."
		if err := s.store.failActiveRuns(ctx, org, pl, msg, now, c.id); err != nil {
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
		return "", apperr.Invalid("shopDomain", "%q is not a shop domain; enter one such as store.myshopify.com.", text.Shorten(raw, 80))
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
		c, err := s.opts.Clients.TripleWhale(key)
		if err != nil {
			return "", "", fmt.Errorf("integrations: triple whale client: %w", err)
		}
		if err := c.CheckKey(ctx); err != nil {
			return fail(err)
		}
		return shopDomain, shopDomain, nil
	case HubSpot:
		c, err := s.opts.Clients.HubSpot(key)
		if err != nil {
			return "", "", fmt.Errorf("integrations: hubspot client: %w", err)
		}
		if err := c.CheckKey(ctx); err != nil {
			return fail(err)
		}
		// The CRM API does not name the portal; the token is all we know.
		return "HubSpot private app", "", nil
	case Klaviyo:
		c, err := s.opts.Clients.Klaviyo(key)
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
// Returns FORBIDDEN unless the caller is OWNER or ADMIN (or a READ_WRITE API key), and BAD_USER_INPUT
// on field platform for an unknown platform.
func (s *Service) Disconnect(ctx context.Context, p *authz.Principal, pl Platform, purgeData bool) (Integration, error) {
	if err := requireWrite(p, manageRole); err != nil {
		return Integration{}, err
	}
	if err := checkPlatform(pl); err != nil {
		return Integration{}, err
	}
	org, now := p.OrganizationID, s.now()
	doc, err := s.store.disconnect(ctx, org, pl, now, purgeData)
	if err != nil {
		return Integration{}, err
	}
	// Runs are ended after the credential is gone, so none can be queued
	// in between; a worker executing one stops at its next checkpoint.
	if err := s.store.failActiveRuns(ctx, org, pl, "The integration was disconnected.", now, bson.ObjectID{}); err != nil {
		return Integration{}, err
	}
	if purgeData {
		if err := s.store.purge(ctx, org, pl); err != nil {
			return Integration{}, err
		}
		// The read models follow before the disconnect is published.
		if err := s.refreshRollup(ctx, org); err != nil {
			return Integration{}, err
		}
	}
	if doc == nil {
		return Integration{OrganizationID: org, Platform: pl, Status: StatusDisconnected}, nil
	}
	s.notify(ctx, doc, nil, now)
	return doc.public(), nil
}
