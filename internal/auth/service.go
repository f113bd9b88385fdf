package auth

import (
	"log/slog"
	"time"
)

// Options tune the service; zero values take the defaults in brackets.
type Options struct {
	// SessionTTL is a session's absolute lifetime [30 days].
	SessionTTL time.Duration
	// SessionIdleTTL ends a session not used for this long [7 days].
	SessionIdleTTL time.Duration
	// TouchInterval is how often last use of a session or key is recorded [1 minute].
	TouchInterval time.Duration
	// LoginWindow is the throttling window [15 minutes].
	LoginWindow time.Duration
	// MaxFailuresPerEmail within the window before logins are refused [5].
	MaxFailuresPerEmail int
	// MaxFailuresPerIP within the window before logins are refused [20].
	MaxFailuresPerIP int
	// MaxAPIKeys is how many live keys one organization may have [100].
	MaxAPIKeys int
	// Password are the argon2id parameters [DefaultPasswordParams].
	Password PasswordParams
	// HashConcurrency bounds simultaneous password hashes [4].
	HashConcurrency int
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives security events [discarded].
	Logger *slog.Logger
	// CacheTTL is how long a resolved session or API key is served from the
	// process's cache without reading the database [0: no cache]. Changes of
	// authority drop what they affect at once (see Forget).
	CacheTTL time.Duration
	// CacheEntries caps the principals cached [10,000].
	CacheEntries int
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.SessionTTL, 30*24*time.Hour)
	def(&o.SessionIdleTTL, 7*24*time.Hour)
	def(&o.TouchInterval, time.Minute)
	def(&o.LoginWindow, 15*time.Minute)
	if o.MaxFailuresPerEmail <= 0 {
		o.MaxFailuresPerEmail = 5
	}
	if o.MaxFailuresPerIP <= 0 {
		o.MaxFailuresPerIP = 20
	}
	if o.MaxAPIKeys <= 0 {
		o.MaxAPIKeys = 100
	}
	if o.Password.MemoryKiB == 0 {
		o.Password = DefaultPasswordParams()
	}
	if o.CacheEntries <= 0 {
		o.CacheEntries = 10_000
	}
	if o.HashConcurrency <= 0 {
		o.HashConcurrency = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Service implements sign-up, login, sessions, memberships, invitations and
// API keys. Its methods are split by concern: signup.go, sessions.go,
// password.go, throttle.go, members.go, invitations.go, apikeys.go,
// watch.go (long-lived connections) and cache.go (resolved principals).
type Service struct {
	store    *Store
	hasher   *Hasher
	opts     Options
	watchers watchers
	checks   inFlight
	cache    *principalCache // nil without a cache
	objects  *objectCache    // nil without a cache
}

// New returns a service over store.
func New(store *Store, opts Options) *Service {
	opts.defaults()
	return &Service{store: store, hasher: NewHasher(opts.Password, opts.HashConcurrency), opts: opts,
		cache:   newPrincipalCache(opts.CacheTTL, opts.CacheEntries),
		objects: newObjectCache(opts.CacheTTL, opts.CacheEntries)}
}

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }
