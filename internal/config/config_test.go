package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.MongoURI != "" || c.DataDir != "./data" || c.Env != Development ||
		c.Role != RoleAll || c.LogFormat != "text" || c.LogLevel != slog.LevelInfo ||
		c.ShutdownTimeout != 15*time.Second || c.MaxBodyBytes != 1<<20 || c.MaxQueryDepth != 15 ||
		c.MaxQueryComplexity != 1000 || c.SecretKey != nil ||
		c.MongoOpTimeout != 5*time.Second || c.RequestTimeout != 30*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	limits := Config{
		MaxBodyBytes: 1 << 20, BodyReadTimeout: 10 * time.Second,
		MaxQueryTokens: 3000, MaxQueryAliases: 30, MaxQueryDirectives: 5, MaxQueryFieldRepeats: 16,
		MaxQueryDepth: 15, MaxQueryComplexity: 1000, MaxQuerySchemaFields: 1, MaxResponseErrors: 100,
		QueryCacheBytes: 6 << 20, APQCacheBytes: 2 << 20,
		MetricsOperationNames: 200, MetricsOperationNameLength: 100,
		WebsocketMaxSubscriptions: 32, WebsocketMaxSocketsPerClient: 16,
	}
	got := Config{
		MaxBodyBytes: c.MaxBodyBytes, BodyReadTimeout: c.BodyReadTimeout,
		MaxQueryTokens: c.MaxQueryTokens, MaxQueryAliases: c.MaxQueryAliases, MaxQueryDirectives: c.MaxQueryDirectives,
		MaxQueryFieldRepeats: c.MaxQueryFieldRepeats, MaxQueryDepth: c.MaxQueryDepth, MaxQueryComplexity: c.MaxQueryComplexity,
		MaxQuerySchemaFields: c.MaxQuerySchemaFields, MaxResponseErrors: c.MaxResponseErrors,
		QueryCacheBytes: c.QueryCacheBytes, APQCacheBytes: c.APQCacheBytes,
		MetricsOperationNames: c.MetricsOperationNames, MetricsOperationNameLength: c.MetricsOperationNameLength,
		WebsocketMaxSubscriptions: c.WebsocketMaxSubscriptions, WebsocketMaxSocketsPerClient: c.WebsocketMaxSocketsPerClient,
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", limits) {
		t.Fatalf("limit defaults:\n got %+v\nwant %+v", got, limits)
	}
	if !c.RunsAPI() || !c.RunsWorker() || c.Production() {
		t.Fatal("default role should run everything in development")
	}
}

func TestValidValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"OMNIFY_HTTP_ADDR":        "127.0.0.1:9000",
		"MONGODB_URI":             "mongodb://db:27017",
		"OMNIFY_ENV":              "Production",
		"OMNIFY_SECRET_KEY":       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"OMNIFY_LOG_LEVEL":        "debug",
		"OMNIFY_LOG_FORMAT":       "json",
		"OMNIFY_ROLE":             "worker",
		"OMNIFY_ALLOWED_ORIGINS":  "https://app.omnify.io/, http://localhost:5173",
		"OMNIFY_SHUTDOWN_TIMEOUT": "3s",
		"OMNIFY_TRUSTED_PROXIES":  "10.0.0.0/8, 192.168.1.1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Production() || c.RunsAPI() || !c.RunsWorker() || len(c.SecretKey) != 32 || c.LogLevel != slog.LevelDebug ||
		strings.Join(c.AllowedOrigins, ",") != "https://app.omnify.io,http://localhost:5173" || c.ShutdownTimeout != 3*time.Second ||
		len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.168.1.1/32" {
		t.Fatalf("parsed: %+v", c)
	}
}

func TestInvalidValuesNameTheirVariable(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"address without port", map[string]string{"OMNIFY_HTTP_ADDR": "localhost"}, "OMNIFY_HTTP_ADDR"},
		{"no database deadline", map[string]string{"OMNIFY_MONGODB_OP_TIMEOUT": "0"}, "OMNIFY_MONGODB_OP_TIMEOUT"},
		{"request deadline shorter than one database call", map[string]string{"OMNIFY_MONGODB_OP_TIMEOUT": "10s", "OMNIFY_HTTP_REQUEST_TIMEOUT": "9s"}, "OMNIFY_HTTP_REQUEST_TIMEOUT"},
		{"URI with the wrong scheme", map[string]string{"MONGODB_URI": "postgres://x"}, "MONGODB_URI"},
		{"unknown environment", map[string]string{"OMNIFY_ENV": "staging"}, "OMNIFY_ENV"},
		{"unknown log format", map[string]string{"OMNIFY_LOG_FORMAT": "xml"}, "OMNIFY_LOG_FORMAT"},
		{"unknown log level", map[string]string{"OMNIFY_LOG_LEVEL": "loud"}, "OMNIFY_LOG_LEVEL"},
		{"duration without unit", map[string]string{"OMNIFY_SHUTDOWN_TIMEOUT": "15"}, "OMNIFY_SHUTDOWN_TIMEOUT"},
		{"negative duration", map[string]string{"OMNIFY_SHUTDOWN_TIMEOUT": "-1s"}, "OMNIFY_SHUTDOWN_TIMEOUT"},
		{"body limit not a number", map[string]string{"OMNIFY_MAX_BODY_BYTES": "1MB"}, "OMNIFY_MAX_BODY_BYTES"},
		{"depth out of range", map[string]string{"OMNIFY_MAX_QUERY_DEPTH": "0"}, "OMNIFY_MAX_QUERY_DEPTH"},
		{"complexity out of range", map[string]string{"OMNIFY_MAX_QUERY_COMPLEXITY": "-5"}, "OMNIFY_MAX_QUERY_COMPLEXITY"},
		{"origin with a path", map[string]string{"OMNIFY_ALLOWED_ORIGINS": "https://app.omnify.io/login"}, "OMNIFY_ALLOWED_ORIGINS"},
		{"origin without scheme", map[string]string{"OMNIFY_ALLOWED_ORIGINS": "app.omnify.io"}, "OMNIFY_ALLOWED_ORIGINS"},
		{"short secret key", map[string]string{"OMNIFY_SECRET_KEY": "c2hvcnQ="}, "OMNIFY_SECRET_KEY"},
		{"production without secret key", map[string]string{"OMNIFY_ENV": "production"}, "OMNIFY_SECRET_KEY"},
		{"unknown role", map[string]string{"OMNIFY_ROLE": "cron"}, "OMNIFY_ROLE"},
		{"proxy that is not an address", map[string]string{"OMNIFY_TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"}, "OMNIFY_TRUSTED_PROXIES"},
		{"negative drain delay", map[string]string{"OMNIFY_SHUTDOWN_DRAIN_DELAY": "-5s"}, "OMNIFY_SHUTDOWN_DRAIN_DELAY"},
		{"platform URL without scheme", map[string]string{"OMNIFY_HUBSPOT_BASE_URL": "api.hubapi.com"}, "OMNIFY_HUBSPOT_BASE_URL"},
		{"NATS URL without scheme", map[string]string{"OMNIFY_NATS_URL": "nats:4222"}, "OMNIFY_NATS_URL"},
		{"NATS URL of another protocol", map[string]string{"OMNIFY_NATS_URL": "nats://a:4222, http://b:4222"}, "OMNIFY_NATS_URL"},
		{"agent service without a secret", map[string]string{"OMNIFY_AGENTKIT_URL": "https://agents.internal"}, "OMNIFY_AGENTKIT_SECRET"},
		{"agent service secret one short", map[string]string{"OMNIFY_AGENTKIT_URL": "https://agents.internal", "OMNIFY_AGENTKIT_SECRET": strings.Repeat("s", 31)}, "OMNIFY_AGENTKIT_SECRET"},
		{"agent service URL without scheme", map[string]string{"OMNIFY_AGENTKIT_URL": "agents.internal", "OMNIFY_AGENTKIT_SECRET": strings.Repeat("s", 32)}, "OMNIFY_AGENTKIT_URL"},
		{"public URL without scheme", map[string]string{"OMNIFY_PUBLIC_URL": "omnify.example.com"}, "OMNIFY_PUBLIC_URL"},
		{"negative auth cache TTL", map[string]string{"OMNIFY_AUTH_CACHE_TTL": "-1s"}, "OMNIFY_AUTH_CACHE_TTL"},
		{"auth cache TTL over its bound", map[string]string{"OMNIFY_AUTH_CACHE_TTL": "6m"}, "OMNIFY_AUTH_CACHE_TTL"},
		{"auth cache TTL without unit", map[string]string{"OMNIFY_AUTH_CACHE_TTL": "5"}, "OMNIFY_AUTH_CACHE_TTL"},
		{"auth cache without entries", map[string]string{"OMNIFY_AUTH_CACHE_ENTRIES": "0"}, "OMNIFY_AUTH_CACHE_ENTRIES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Var != tt.wantVar || !strings.Contains(err.Error(), tt.wantVar) {
				t.Fatalf("err = %v, want one naming %s", err, tt.wantVar)
			}
		})
	}
}

func TestAuthCache(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 5 * time.Second, "0": 0, "0s": 0, "250ms": 250 * time.Millisecond, "5m": MaxAuthCacheTTL} {
		c, err := Load(env(map[string]string{"OMNIFY_AUTH_CACHE_TTL": v}))
		if err != nil || c.AuthCacheTTL != want {
			t.Errorf("OMNIFY_AUTH_CACHE_TTL=%q: %v, %v; want %v", v, c.AuthCacheTTL, err, want)
		}
	}
	c, err := Load(env(map[string]string{"OMNIFY_AUTH_CACHE_ENTRIES": "500"}))
	if err != nil || c.AuthCacheEntries != 500 {
		t.Fatalf("entries: %d, %v", c.AuthCacheEntries, err)
	}
	if c, _ := Load(env(nil)); c.AuthCacheEntries != 10_000 {
		t.Fatalf("default entries %d", c.AuthCacheEntries)
	}
}

func TestAgentService(t *testing.T) {
	c, err := Load(env(map[string]string{"OMNIFY_AGENTKIT_URL": "https://agents.internal/", "OMNIFY_AGENTKIT_SECRET": strings.Repeat("s", 32),
		"OMNIFY_PUBLIC_URL": "https://omnify.example.com"}))
	if err != nil || c.AgentKitURL != "https://agents.internal" || c.PublicURL != "https://omnify.example.com" {
		t.Fatalf("Load = %+v, %v", c, err)
	}
	if c, err := Load(env(nil)); err != nil || c.AgentKitURL != "" || c.PublicURL != "http://localhost:8080" {
		t.Fatalf("defaults: %q %q %v", c.AgentKitURL, c.PublicURL, err)
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	_, err := Load(env(map[string]string{"OMNIFY_ENV": "x", "OMNIFY_LOG_LEVEL": "y"}))
	if err == nil || !strings.Contains(err.Error(), "OMNIFY_ENV") || !strings.Contains(err.Error(), "OMNIFY_LOG_LEVEL") {
		t.Fatalf("err = %v", err)
	}
}

func TestNATSURL(t *testing.T) {
	c, err := Load(env(map[string]string{"OMNIFY_NATS_URL": " nats://a:4222, tls://user:pw@b:4222 ,"}))
	if err != nil || c.NATSURL != "nats://a:4222,tls://user:pw@b:4222" {
		t.Fatalf("NATSURL %q, err %v", c.NATSURL, err)
	}
	_, err = Load(env(map[string]string{"OMNIFY_NATS_URL": "http://user:hunter2@b:4222"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("a bad URL's error shows its password, or none: %v", err)
	}
}

func TestSplitRolesNeedNATS(t *testing.T) {
	for _, role := range []Role{RoleAPI, RoleWorker} {
		c, err := Load(env(map[string]string{"OMNIFY_ROLE": string(role)}))
		if err != nil {
			t.Fatal(err)
		}
		err = c.CheckRole()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Var != "OMNIFY_NATS_URL" || !strings.Contains(err.Error(), "never reach the subscribers") {
			t.Fatalf("role %s without NATS: %v", role, err)
		}
		c.NATSURL = "nats://nats:4222"
		if err := c.CheckRole(); err != nil {
			t.Fatalf("role %s with NATS: %v", role, err)
		}
	}
	c, _ := Load(env(nil))
	if err := c.CheckRole(); err != nil {
		t.Fatalf("role all without NATS: %v", err)
	}
}

func TestParseRole(t *testing.T) {
	if r, err := ParseRole("api"); err != nil || r != RoleAPI {
		t.Fatalf("api: %v %v", r, err)
	}
	if _, err := ParseRole("everything"); err == nil {
		t.Fatal("accepted an unknown role")
	}
}

// TestLimitSettingsAtTheirBounds sets every limit to the smallest and the
// largest value it accepts, then one past each.
func TestLimitSettingsAtTheirBounds(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi string
		get    func(Config) int64
	}{
		{"OMNIFY_MAX_BODY_BYTES", "1024", "1073741824", func(c Config) int64 { return c.MaxBodyBytes }},
		{"OMNIFY_MAX_QUERY_TOKENS", "10", "1000000", func(c Config) int64 { return int64(c.MaxQueryTokens) }},
		{"OMNIFY_MAX_QUERY_ALIASES", "1", "100000", func(c Config) int64 { return int64(c.MaxQueryAliases) }},
		{"OMNIFY_MAX_QUERY_DIRECTIVES", "1", "1000", func(c Config) int64 { return int64(c.MaxQueryDirectives) }},
		{"OMNIFY_MAX_QUERY_FIELD_REPEATS", "1", "100000", func(c Config) int64 { return int64(c.MaxQueryFieldRepeats) }},
		{"OMNIFY_MAX_QUERY_DEPTH", "1", "100", func(c Config) int64 { return int64(c.MaxQueryDepth) }},
		{"OMNIFY_MAX_QUERY_COMPLEXITY", "1", "1000000", func(c Config) int64 { return int64(c.MaxQueryComplexity) }},
		{"OMNIFY_MAX_QUERY_SCHEMA_FIELDS", "1", "100", func(c Config) int64 { return int64(c.MaxQuerySchemaFields) }},
		{"OMNIFY_MAX_RESPONSE_ERRORS", "1", "100000", func(c Config) int64 { return int64(c.MaxResponseErrors) }},
		{"OMNIFY_QUERY_CACHE_BYTES", "1", "17179869184", func(c Config) int64 { return c.QueryCacheBytes }},
		{"OMNIFY_APQ_CACHE_BYTES", "1", "17179869184", func(c Config) int64 { return c.APQCacheBytes }},
		{"OMNIFY_CACHE_MAX_BYTES", "0", "68719476736", func(c Config) int64 { return c.CacheMaxBytes }},
		{"OMNIFY_METRICS_MAX_OPERATION_NAMES", "1", "100000", func(c Config) int64 { return int64(c.MetricsOperationNames) }},
		{"OMNIFY_METRICS_MAX_OPERATION_NAME_LENGTH", "1", "10000", func(c Config) int64 { return int64(c.MetricsOperationNameLength) }},
		{"OMNIFY_WS_MAX_SUBSCRIPTIONS", "1", "100000", func(c Config) int64 { return int64(c.WebsocketMaxSubscriptions) }},
		{"OMNIFY_WS_MAX_SOCKETS_PER_CLIENT", "1", "100000", func(c Config) int64 { return int64(c.WebsocketMaxSocketsPerClient) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range []string{tt.lo, tt.hi} {
				c, err := Load(env(map[string]string{tt.name: v}))
				if err != nil || fmt.Sprint(tt.get(c)) != v {
					t.Fatalf("%s=%s: got %d, err %v", tt.name, v, tt.get(c), err)
				}
			}
			var lo, hi int64
			fmt.Sscan(tt.lo, &lo)
			fmt.Sscan(tt.hi, &hi)
			for _, v := range []int64{lo - 1, hi + 1} {
				_, err := Load(env(map[string]string{tt.name: fmt.Sprint(v)}))
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Var != tt.name {
					t.Fatalf("%s=%d: err = %v, want one naming the variable", tt.name, v, err)
				}
			}
		})
	}
	t.Run("OMNIFY_HTTP_BODY_TIMEOUT", func(t *testing.T) {
		c, err := Load(env(map[string]string{"OMNIFY_HTTP_BODY_TIMEOUT": "1ms"}))
		if err != nil || c.BodyReadTimeout != time.Millisecond {
			t.Fatalf("1ms: %v %v", c.BodyReadTimeout, err)
		}
		for _, v := range []string{"0", "-1s", "10"} {
			if _, err := Load(env(map[string]string{"OMNIFY_HTTP_BODY_TIMEOUT": v})); err == nil {
				t.Fatalf("%s accepted", v)
			}
		}
	})
}

func TestDemo(t *testing.T) {
	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"OMNIFY_DEMO": "false"}, false},
		{map[string]string{"OMNIFY_DEMO": "0"}, false},
		{map[string]string{"OMNIFY_DEMO": "true"}, true},
		{map[string]string{"OMNIFY_ENV": "production", "OMNIFY_SECRET_KEY": key}, false},
		{map[string]string{"OMNIFY_ENV": "production", "OMNIFY_SECRET_KEY": key, "OMNIFY_DEMO": "true"}, true},
	} {
		c, err := Load(env(tc.env))
		if err != nil || c.Demo != tc.want {
			t.Errorf("%v: Demo %v, %v; want %v", tc.env, c.Demo, err, tc.want)
		}
	}
	_, err := Load(env(map[string]string{"OMNIFY_DEMO": "maybe"}))
	if err == nil || !strings.Contains(err.Error(), "OMNIFY_DEMO:") {
		t.Fatalf("OMNIFY_DEMO=maybe: %v", err)
	}
	if c, _ := Load(env(map[string]string{"OMNIFY_DEMO_PASSWORD": "  a long demo password "})); c.DemoPassword != "  a long demo password " {
		t.Fatalf("DemoPassword %q", c.DemoPassword)
	}
}
