// Package config turns the process environment into a validated Config.
//
// It is the only package that reads environment variables; everything else
// receives the values it needs from the composition root.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Environment names the deployment mode.
type Environment string

const (
	// Development turns on conveniences: introspection for everyone, generated keys.
	Development Environment = "development"
	// Production refuses to start without its secrets and marks cookies Secure.
	Production Environment = "production"
)

// Role selects which parts of the binary run in a process.
type Role string

const (
	// RoleAll serves the API and runs background work in one process.
	RoleAll Role = "all"
	// RoleAPI serves HTTP and GraphQL and queues background work.
	RoleAPI Role = "api"
	// RoleWorker runs background work and serves only health and metrics.
	RoleWorker Role = "worker"
)

// Config is the validated configuration of one omnify process.
type Config struct {
	// HTTPAddr is the address the HTTP server listens on (OMNIFY_HTTP_ADDR).
	HTTPAddr string
	// MongoURI is the MongoDB connection string; empty starts an embedded FerretDB (MONGODB_URI).
	MongoURI string
	// MongoDatabase is the database name used on the server (OMNIFY_MONGODB_DATABASE).
	MongoDatabase string
	// MongoConnectTimeout bounds connecting and the first ping (OMNIFY_MONGODB_CONNECT_TIMEOUT).
	MongoConnectTimeout time.Duration
	// MongoOpTimeout bounds every database call (OMNIFY_MONGODB_OP_TIMEOUT).
	MongoOpTimeout time.Duration
	// RequestTimeout bounds a GraphQL query or mutation over HTTP, from
	// the request to the response; streams are bounded by their own
	// re-checks (OMNIFY_HTTP_REQUEST_TIMEOUT).
	RequestTimeout time.Duration
	// DataDir holds the embedded database files and generated development keys (OMNIFY_DATA_DIR).
	DataDir string
	// Env is the deployment mode (OMNIFY_ENV).
	Env Environment
	// Role selects API, worker or both (OMNIFY_ROLE, or serve --role).
	Role Role
	// LogFormat is "text" or "json" (OMNIFY_LOG_FORMAT).
	LogFormat string
	// LogLevel is the minimum level logged (OMNIFY_LOG_LEVEL).
	LogLevel slog.Level
	// ShutdownTimeout bounds graceful shutdown (OMNIFY_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// DrainDelay is how long /readyz answers 503 before the listener closes,
	// so load balancers stop sending new requests first (OMNIFY_SHUTDOWN_DRAIN_DELAY).
	DrainDelay time.Duration
	// MaxBodyBytes caps a request body (OMNIFY_MAX_BODY_BYTES).
	MaxBodyBytes int64
	// BodyReadTimeout bounds the time a client may take to send a request
	// body, so a trickled body cannot hold a connection open (OMNIFY_HTTP_BODY_TIMEOUT).
	BodyReadTimeout time.Duration
	// MaxQueryTokens caps the lexical tokens of a GraphQL document, checked
	// while parsing, before anything else reads it (OMNIFY_MAX_QUERY_TOKENS).
	MaxQueryTokens int
	// MaxQueryAliases caps the aliased fields of a document (OMNIFY_MAX_QUERY_ALIASES).
	MaxQueryAliases int
	// MaxQueryDirectives caps the directives on one field, fragment or
	// operation (OMNIFY_MAX_QUERY_DIRECTIVES).
	MaxQueryDirectives int
	// MaxQueryFieldRepeats caps how often one response name may be selected
	// in one selection set, fragments included (OMNIFY_MAX_QUERY_FIELD_REPEATS).
	MaxQueryFieldRepeats int
	// MaxQueryDepth caps the selection depth of an operation, introspection
	// included (OMNIFY_MAX_QUERY_DEPTH).
	MaxQueryDepth int
	// MaxQueryComplexity caps the computed complexity of an operation,
	// introspection included (OMNIFY_MAX_QUERY_COMPLEXITY).
	MaxQueryComplexity int
	// MaxQuerySchemaFields caps the __schema fields of one operation
	// (OMNIFY_MAX_QUERY_SCHEMA_FIELDS).
	MaxQuerySchemaFields int
	// MaxResponseErrors caps the errors listed in one response; the rest are
	// summed up in one last error (OMNIFY_MAX_RESPONSE_ERRORS).
	MaxResponseErrors int
	// QueryCacheBytes bounds the memory of parsed and validated documents
	// kept for reuse (OMNIFY_QUERY_CACHE_BYTES).
	QueryCacheBytes int64
	// APQCacheBytes bounds the memory of automatic persisted queries kept
	// (OMNIFY_APQ_CACHE_BYTES).
	APQCacheBytes int64
	// CacheMaxBytes bounds the memory of the organizations' dashboard read
	// models and integration states each process keeps
	// (OMNIFY_CACHE_MAX_BYTES); 0 keeps none.
	CacheMaxBytes int64
	// CacheTTL is how long a kept read model or integration state is
	// served at most, the backstop for a change missed on the bus
	// (OMNIFY_CACHE_TTL).
	CacheTTL time.Duration
	// MetricsOperationNames caps the distinct operation names used as
	// metric labels (OMNIFY_METRICS_MAX_OPERATION_NAMES).
	MetricsOperationNames int
	// MetricsOperationNameLength caps the length of an operation name used
	// as a metric label (OMNIFY_METRICS_MAX_OPERATION_NAME_LENGTH).
	MetricsOperationNameLength int
	// AllowedOrigins are the browser origins allowed for CORS and WebSockets (OMNIFY_ALLOWED_ORIGINS).
	AllowedOrigins []string
	// TrustedProxies are the addresses (CIDRs) of load balancers whose
	// X-Forwarded-For is believed (OMNIFY_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// WebsocketInitTimeout bounds the wait for connection_init (OMNIFY_WS_INIT_TIMEOUT).
	WebsocketInitTimeout time.Duration
	// WebsocketPingInterval is how often the server pings WebSocket clients (OMNIFY_WS_PING_INTERVAL).
	WebsocketPingInterval time.Duration
	// WebsocketRecheckInterval is how often an authenticated WebSocket's session
	// or API key is checked again (OMNIFY_WS_AUTH_RECHECK_INTERVAL).
	WebsocketRecheckInterval time.Duration
	// AuthCacheTTL is how long a process serves a resolved session cookie
	// or API key from memory; 0 looks every request's credential up
	// (OMNIFY_AUTH_CACHE_TTL).
	AuthCacheTTL time.Duration
	// AuthCacheEntries caps the credentials a process keeps resolved
	// (OMNIFY_AUTH_CACHE_ENTRIES).
	AuthCacheEntries int
	// WebsocketMaxSubscriptions caps the operations running at once on one
	// WebSocket (OMNIFY_WS_MAX_SUBSCRIPTIONS).
	WebsocketMaxSubscriptions int
	// WebsocketMaxSocketsPerClient caps the WebSockets open at once for one
	// user or API key, or one address for anonymous clients
	// (OMNIFY_WS_MAX_SOCKETS_PER_CLIENT).
	WebsocketMaxSocketsPerClient int
	// TripleWhaleBaseURL, HubSpotBaseURL and KlaviyoBaseURL are where the
	// platform clients send requests (OMNIFY_TRIPLEWHALE_BASE_URL, ...).
	TripleWhaleBaseURL, HubSpotBaseURL, KlaviyoBaseURL string
	// SyncInterval is how often every connected integration is synced (OMNIFY_SYNC_INTERVAL).
	SyncInterval time.Duration
	// KlaviyoReportLimits are the limits of Klaviyo's reporting endpoints
	// per Klaviyo account, burst, steady and daily, that syncs keep within
	// (OMNIFY_KLAVIYO_REPORT_LIMITS, "1/1s,2/1m,225/24h": Klaviyo's).
	KlaviyoReportLimits [3]CallLimit
	// AgentWorkers is how many agent executions a worker process runs at
	// once (OMNIFY_AGENT_WORKERS).
	AgentWorkers int
	// AgentSubscriptionBuffer is how many events an agent subscription
	// holds for a slow client before it is ended with SLOW_CONSUMER
	// (OMNIFY_AGENT_SUBSCRIPTION_BUFFER).
	AgentSubscriptionBuffer int
	// SecretKey is the 32-byte credential encryption key (OMNIFY_SECRET_KEY, base64); nil when unset.
	SecretKey []byte
	// NATSURL is the NATS server (or comma-separated servers) that carries
	// live events between processes; empty keeps them in the process
	// (OMNIFY_NATS_URL).
	NATSURL string
	// AgentKitURL is the base URL of the agent service that runs EXTERNAL
	// agents (OMNIFY_AGENTKIT_URL); empty offers the built-in agents only.
	AgentKitURL string
	// AgentKitSecret signs requests to the agent service and verifies its
	// reports (OMNIFY_AGENTKIT_SECRET); required with AgentKitURL.
	AgentKitSecret string
	// PublicURL is the address at which the agent service reaches this
	// deployment, for its callback (OMNIFY_PUBLIC_URL).
	PublicURL string
	// Demo creates the demo organization, with its demo user and sample
	// data, when a process starts on a database without any organization
	// (OMNIFY_DEMO; default true in development, false in production
	// unless set to true).
	Demo bool
	// DemoPassword is the demo user's password; empty makes a random one
	// (OMNIFY_DEMO_PASSWORD). Checked like any password when the demo
	// organization is created (app.CheckDemoPassword).
	DemoPassword string
}

// MaxAuthCacheTTL bounds OMNIFY_AUTH_CACHE_TTL: it is also how long a
// process may act on a credential whose change of authority did not reach
// it through the bus.
const MaxAuthCacheTTL = 5 * time.Minute

// CallLimit allows at most Calls calls in any Window.
type CallLimit struct {
	Calls  int           // calls allowed per window
	Window time.Duration // the window's length
}

// DefaultKlaviyoReportLimits are Klaviyo's documented limits of its
// reporting endpoints: burst, steady, daily.
const DefaultKlaviyoReportLimits = "1/1s,2/1m,225/24h"

// ParseCallLimits reads three limits "calls/window" separated by commas,
// such as "1/1s,2/1m,225/24h".
func ParseCallLimits(v string) ([3]CallLimit, error) {
	var out [3]CallLimit
	parts := strings.Split(v, ",")
	if len(parts) != 3 {
		return out, errors.New("want three limits calls/window, such as 1/1s,2/1m,225/24h (burst, steady, daily)")
	}
	for i, part := range parts {
		calls, window, ok := strings.Cut(strings.TrimSpace(part), "/")
		n, err1 := strconv.Atoi(calls)
		d, err2 := time.ParseDuration(window)
		if !ok || err1 != nil || err2 != nil || n < 1 || d <= 0 {
			return out, fmt.Errorf("%q is not calls/window, such as 2/1m", part)
		}
		out[i] = CallLimit{Calls: n, Window: d}
	}
	return out, nil
}

// FieldError says which variable is wrong and why.
type FieldError struct {
	Var    string // the environment variable
	Reason string // what is wrong with its value
}

// Error names the variable and the problem.
func (e *FieldError) Error() string { return e.Var + ": " + e.Reason }

// Load reads the configuration through getenv and validates it. Every problem
// found is reported, joined, each naming its variable.
func Load(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		HTTPAddr:                     p.str("OMNIFY_HTTP_ADDR", ":8080"),
		MongoURI:                     strings.TrimSpace(getenv("MONGODB_URI")),
		MongoDatabase:                p.str("OMNIFY_MONGODB_DATABASE", "omnify"),
		MongoConnectTimeout:          p.duration("OMNIFY_MONGODB_CONNECT_TIMEOUT", 10*time.Second),
		MongoOpTimeout:               p.duration("OMNIFY_MONGODB_OP_TIMEOUT", 5*time.Second),
		RequestTimeout:               p.duration("OMNIFY_HTTP_REQUEST_TIMEOUT", 30*time.Second),
		DataDir:                      p.str("OMNIFY_DATA_DIR", "./data"),
		Env:                          Environment(p.oneOf("OMNIFY_ENV", "development", "development", "production")),
		Role:                         Role(p.oneOf("OMNIFY_ROLE", "all", "all", "api", "worker")),
		LogFormat:                    p.oneOf("OMNIFY_LOG_FORMAT", "text", "text", "json"),
		LogLevel:                     p.level("OMNIFY_LOG_LEVEL", slog.LevelInfo),
		ShutdownTimeout:              p.duration("OMNIFY_SHUTDOWN_TIMEOUT", 15*time.Second),
		DrainDelay:                   p.durationOrZero("OMNIFY_SHUTDOWN_DRAIN_DELAY"),
		MaxBodyBytes:                 int64(p.intRange("OMNIFY_MAX_BODY_BYTES", 1<<20, 1024, 1<<30)),
		BodyReadTimeout:              p.duration("OMNIFY_HTTP_BODY_TIMEOUT", 10*time.Second),
		MaxQueryTokens:               p.intRange("OMNIFY_MAX_QUERY_TOKENS", 3000, 10, 1_000_000),
		MaxQueryAliases:              p.intRange("OMNIFY_MAX_QUERY_ALIASES", 30, 1, 100_000),
		MaxQueryDirectives:           p.intRange("OMNIFY_MAX_QUERY_DIRECTIVES", 5, 1, 1000),
		MaxQueryFieldRepeats:         p.intRange("OMNIFY_MAX_QUERY_FIELD_REPEATS", 16, 1, 100_000),
		MaxQueryDepth:                p.intRange("OMNIFY_MAX_QUERY_DEPTH", 15, 1, 100),
		MaxQueryComplexity:           p.intRange("OMNIFY_MAX_QUERY_COMPLEXITY", 1000, 1, 1_000_000),
		MaxQuerySchemaFields:         p.intRange("OMNIFY_MAX_QUERY_SCHEMA_FIELDS", 1, 1, 100),
		MaxResponseErrors:            p.intRange("OMNIFY_MAX_RESPONSE_ERRORS", 100, 1, 100_000),
		QueryCacheBytes:              int64(p.intRange("OMNIFY_QUERY_CACHE_BYTES", 6<<20, 1, 1<<34)),
		APQCacheBytes:                int64(p.intRange("OMNIFY_APQ_CACHE_BYTES", 2<<20, 1, 1<<34)),
		CacheMaxBytes:                int64(p.intRange("OMNIFY_CACHE_MAX_BYTES", 64<<20, 0, 1<<36)),
		CacheTTL:                     p.duration("OMNIFY_CACHE_TTL", time.Minute),
		MetricsOperationNames:        p.intRange("OMNIFY_METRICS_MAX_OPERATION_NAMES", 200, 1, 100_000),
		MetricsOperationNameLength:   p.intRange("OMNIFY_METRICS_MAX_OPERATION_NAME_LENGTH", 100, 1, 10_000),
		AllowedOrigins:               p.origins("OMNIFY_ALLOWED_ORIGINS"),
		TrustedProxies:               p.prefixes("OMNIFY_TRUSTED_PROXIES"),
		WebsocketInitTimeout:         p.duration("OMNIFY_WS_INIT_TIMEOUT", 10*time.Second),
		WebsocketPingInterval:        p.duration("OMNIFY_WS_PING_INTERVAL", 25*time.Second),
		WebsocketRecheckInterval:     p.duration("OMNIFY_WS_AUTH_RECHECK_INTERVAL", 30*time.Second),
		AuthCacheTTL:                 p.durationBetween("OMNIFY_AUTH_CACHE_TTL", 5*time.Second, 0, MaxAuthCacheTTL),
		AuthCacheEntries:             p.intRange("OMNIFY_AUTH_CACHE_ENTRIES", 10_000, 1, 1_000_000),
		WebsocketMaxSubscriptions:    p.intRange("OMNIFY_WS_MAX_SUBSCRIPTIONS", 32, 1, 100_000),
		WebsocketMaxSocketsPerClient: p.intRange("OMNIFY_WS_MAX_SOCKETS_PER_CLIENT", 16, 1, 100_000),
		TripleWhaleBaseURL:           p.baseURL("OMNIFY_TRIPLEWHALE_BASE_URL", "https://api.triplewhale.com/api/v2"),
		HubSpotBaseURL:               p.baseURL("OMNIFY_HUBSPOT_BASE_URL", "https://api.hubapi.com"),
		KlaviyoBaseURL:               p.baseURL("OMNIFY_KLAVIYO_BASE_URL", "https://a.klaviyo.com"),
		SyncInterval:                 p.duration("OMNIFY_SYNC_INTERVAL", time.Hour),
		KlaviyoReportLimits:          p.callLimits("OMNIFY_KLAVIYO_REPORT_LIMITS", DefaultKlaviyoReportLimits),
		AgentWorkers:                 p.intRange("OMNIFY_AGENT_WORKERS", 4, 1, 256),
		AgentSubscriptionBuffer:      p.intRange("OMNIFY_AGENT_SUBSCRIPTION_BUFFER", 32, 1, 100_000),
		SecretKey:                    p.key("OMNIFY_SECRET_KEY"),
		NATSURL:                      p.natsURLs("OMNIFY_NATS_URL"),
		AgentKitURL:                  p.optionalBaseURL("OMNIFY_AGENTKIT_URL", "https://agents.example.com"),
		AgentKitSecret:               p.str("OMNIFY_AGENTKIT_SECRET", ""),
		PublicURL:                    p.baseURL("OMNIFY_PUBLIC_URL", "http://localhost:8080"),
		DemoPassword:                 getenv("OMNIFY_DEMO_PASSWORD"),
	}
	// A demo account with a known or printed password has no place in
	// production unless asked for.
	c.Demo = p.boolean("OMNIFY_DEMO", c.Env != Production)
	if c.AgentKitURL != "" && len(c.AgentKitSecret) < 32 {
		p.fail("OMNIFY_AGENTKIT_SECRET", "must be at least 32 characters when OMNIFY_AGENTKIT_URL is set (it signs both directions)")
	}
	if c.HTTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
			p.fail("OMNIFY_HTTP_ADDR", fmt.Sprintf("%q is not host:port (for example :8080)", c.HTTPAddr))
		}
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		p.fail("MONGODB_URI", "must start with mongodb:// or mongodb+srv://")
	}
	if c.RequestTimeout < c.MongoOpTimeout {
		p.fail("OMNIFY_HTTP_REQUEST_TIMEOUT", fmt.Sprintf("must be at least OMNIFY_MONGODB_OP_TIMEOUT (%s), or no request could make one database call", c.MongoOpTimeout))
	}
	if c.DataDir == "" {
		p.fail("OMNIFY_DATA_DIR", "must not be empty")
	}
	if c.Env == Production && c.SecretKey == nil && getenv("OMNIFY_SECRET_KEY") == "" {
		p.fail("OMNIFY_SECRET_KEY", "is required when OMNIFY_ENV=production (32 random bytes, base64)")
	}
	return c, errors.Join(p.errs...)
}

// Production reports whether the process runs in production mode.
func (c Config) Production() bool { return c.Env == Production }

// RunsAPI reports whether this process serves the GraphQL API.
func (c Config) RunsAPI() bool { return c.Role == RoleAll || c.Role == RoleAPI }

// RunsWorker reports whether this process runs background work.
func (c Config) RunsWorker() bool { return c.Role == RoleAll || c.Role == RoleWorker }

// CheckRole reports a configuration that cannot work for the process's
// role: a process that serves only the API or only background work shares
// live events with the other processes through NATS, so it needs
// OMNIFY_NATS_URL. Without it, what a worker reports (sync progress) would
// never reach the subscribers connected to API processes, and a change of
// authority made on one API process would not reach the others at once.
// Call it once the role is final (after serve --role).
func (c Config) CheckRole() error {
	if c.Role != RoleAll && c.NATSURL == "" {
		return &FieldError{Var: "OMNIFY_NATS_URL", Reason: fmt.Sprintf("is required with role %q: a process that runs only "+
			"the API or only the worker shares live events with the other processes through NATS; without it, "+
			"the events of worker processes (sync progress) would never reach the subscribers on API processes. "+
			"Set OMNIFY_NATS_URL (for example nats://nats:4222) on every process, or run one process with role all", c.Role)}
	}
	return nil
}

// ParseRole validates a role given on the command line.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAll, RoleAPI, RoleWorker:
		return r, nil
	}
	return "", fmt.Errorf("--role: %q is not one of all, api, worker", s)
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, reason string) {
	p.errs = append(p.errs, &FieldError{Var: name, Reason: reason})
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(p.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (p *parser) boolean(name string, def bool) bool {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, fmt.Sprintf("%q is not true or false", v))
		return def
	}
	return b
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, fmt.Sprintf("%q is not a positive duration (for example 15s)", v))
		return def
	}
	return d
}

// durationOrZero is a duration that may be 0 (off), unlike duration.
func (p *parser) durationOrZero(name string) time.Duration {
	v := p.str(name, "")
	if v == "" || v == "0" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		p.fail(name, fmt.Sprintf("%q is not a duration such as 5s (or 0)", v))
		return 0
	}
	return d
}

// durationBetween is a duration from lo to hi, 0 included when lo is 0.
func (p *parser) durationBetween(name string, def, lo, hi time.Duration) time.Duration {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		p.fail(name, fmt.Sprintf("%q is not a duration from %s to %s", v, lo, hi))
		return def
	}
	return d
}

func (p *parser) intRange(name string, def, lo, hi int) int {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail(name, fmt.Sprintf("%q is not an integer between %d and %d", v, lo, hi))
		return def
	}
	return n
}

func (p *parser) callLimits(name, def string) [3]CallLimit {
	v := p.str(name, def)
	l, err := ParseCallLimits(v)
	if err != nil {
		p.fail(name, err.Error())
		l, _ = ParseCallLimits(def)
	}
	return l
}

func (p *parser) level(name string, def slog.Level) slog.Level {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		p.fail(name, fmt.Sprintf("%q is not one of debug, info, warn, error", v))
		return def
	}
	return l
}

func (p *parser) origins(name string) []string {
	v := p.str(name, "")
	if v == "" {
		return nil
	}
	var out []string
	for o := range strings.SplitSeq(v, ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			p.fail(name, fmt.Sprintf("%q is not an origin such as https://app.example.com", o))
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out
}

func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for part := range strings.SplitSeq(p.str(name, ""), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(part)
		if err != nil {
			addr, aerr := netip.ParseAddr(part)
			if aerr != nil {
				p.fail(name, fmt.Sprintf("%q is not an IP address or CIDR such as 10.0.0.0/8", part))
				continue
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, pfx.Masked())
	}
	return out
}

func (p *parser) baseURL(name, def string) string {
	v := strings.TrimRight(p.str(name, def), "/")
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		p.fail(name, fmt.Sprintf("%q is not an http(s) base URL such as %s", v, def))
		return def
	}
	return v
}

// optionalBaseURL is baseURL with no default: empty stays empty.
func (p *parser) optionalBaseURL(name, example string) string {
	if p.str(name, "") == "" {
		return ""
	}
	return p.baseURL(name, example)
}

// natsURLs is a comma-separated list of NATS server URLs (nats://, tls://,
// ws:// or wss://), returned as given with blanks removed.
func (p *parser) natsURLs(name string) string {
	v := p.str(name, "")
	if v == "" {
		return ""
	}
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") {
			shown := "a part" // that cannot be parsed, and may hold a password
			if err == nil {
				shown = fmt.Sprintf("%q", u.Redacted())
			}
			p.fail(name, fmt.Sprintf("%s is not a NATS server URL such as nats://nats:4222 (several are separated by commas)", shown))
			continue
		}
		out = append(out, part)
	}
	return strings.Join(out, ",")
}

func (p *parser) key(name string) []byte {
	v := p.str(name, "")
	if v == "" {
		return nil
	}
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		k, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
	}
	if err != nil || len(k) != 32 {
		p.fail(name, "must be 32 bytes encoded in base64 (openssl rand -base64 32)")
		return nil
	}
	return k
}
