package integrations

import (
	"context"
	"time"

	"github.com/omnify/bff/internal/integrations/hubspot"
	"github.com/omnify/bff/internal/integrations/klaviyo"
	"github.com/omnify/bff/internal/integrations/platform"
	"github.com/omnify/bff/internal/integrations/triplewhale"
)

// TripleWhaleAPI is what the service uses of a Triple Whale client;
// *triplewhale.Client satisfies it.
type TripleWhaleAPI interface {
	CheckKey(ctx context.Context) error
	Summary(ctx context.Context, shopDomain string, start, end time.Time) (triplewhale.Summary, error)
}

// HubSpotAPI is what the service uses of a HubSpot client;
// *hubspot.Client satisfies it.
type HubSpotAPI interface {
	CheckKey(ctx context.Context) error
	Deals(ctx context.Context, fn func(page []hubspot.Deal) error) error
	Contacts(ctx context.Context, fn func(page []hubspot.Contact) error) error
}

// KlaviyoAPI is what the service uses of a Klaviyo client; *klaviyo.Client
// satisfies it.
type KlaviyoAPI interface {
	CheckKey(ctx context.Context) (klaviyo.Account, error)
	Campaigns(ctx context.Context, fn func(page []klaviyo.Campaign) error) error
	Flows(ctx context.Context, fn func(page []klaviyo.Flow) error) error
	FindMetrics(ctx context.Context, names ...string) (map[string]klaviyo.Metric, error)
	DailyValues(ctx context.Context, metricID string, start, end time.Time) ([]klaviyo.DailyValue, error)
	CampaignValues(ctx context.Context, gate klaviyo.Gate, q klaviyo.ReportQuery) ([]klaviyo.CampaignValue, error)
	FlowValues(ctx context.Context, gate klaviyo.Gate, q klaviyo.ReportQuery) ([]klaviyo.FlowValue, error)
	FlowSeries(ctx context.Context, gate klaviyo.Gate, q klaviyo.ReportQuery) ([]klaviyo.FlowDayValue, error)
}

// Clients builds platform clients for one API key each. It is a struct of
// constructors rather than a fixed set of clients so that a test points
// them at its own servers and the API and worker roles can tune them apart
// (a quick key check on a request path, patient retries in a sync).
type Clients struct {
	TripleWhale func(apiKey string) (TripleWhaleAPI, error) // builds a Triple Whale client for a key
	HubSpot     func(apiKey string) (HubSpotAPI, error)     // builds a HubSpot client for a token
	Klaviyo     func(apiKey string) (KlaviyoAPI, error)     // builds a Klaviyo client for a key
}

// BaseURLs are the platforms' API roots; an empty one means the platform's
// production URL.
type BaseURLs struct {
	TripleWhale string // Triple Whale API root
	HubSpot     string // HubSpot API root
	Klaviyo     string // Klaviyo API root
}

// NewClients returns constructors of the real clients for urls, all sharing
// opts.
func NewClients(urls BaseURLs, opts platform.Options) Clients {
	or := func(url, def string) string {
		if url == "" {
			return def
		}
		return url
	}
	tw := or(urls.TripleWhale, triplewhale.DefaultBaseURL)
	hs := or(urls.HubSpot, hubspot.DefaultBaseURL)
	kl := or(urls.Klaviyo, klaviyo.DefaultBaseURL)
	// Each constructor returns a nil interface on error, never an interface
	// holding a nil *Client.
	return Clients{
		TripleWhale: func(apiKey string) (TripleWhaleAPI, error) {
			c, err := triplewhale.New(tw, apiKey, opts)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		HubSpot: func(apiKey string) (HubSpotAPI, error) {
			c, err := hubspot.New(hs, apiKey, opts)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		Klaviyo: func(apiKey string) (KlaviyoAPI, error) {
			c, err := klaviyo.New(kl, apiKey, opts)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}
