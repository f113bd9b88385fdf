package platformtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// tripleWhalePrefix is the path of Triple Whale's API root, which the
// production base URL ends with too.
const tripleWhalePrefix = "/api/v2"

// Config tunes a Fake. The zero value pages as the platforms do.
type Config struct {
	// HubSpotPageSize caps a HubSpot list page below the limit the caller
	// asks for (which HubSpot caps at 100); 0 is 100. A small one makes a
	// test walk several pages.
	HubSpotPageSize int
	// KlaviyoPageSize is how many resources a Klaviyo list page holds; 0 is
	// 10.
	KlaviyoPageSize int
	// MaxLog caps the request log that Requests returns, oldest entries
	// dropped first; 0 is 10,000.
	MaxLog int
	// KlaviyoReportLimits are the limits of Klaviyo's reporting endpoints
	// per account; a zero limit is Klaviyo's (KlaviyoReportLimits). Tests
	// shrink the windows so that syncs need not wait a minute.
	KlaviyoReportLimits ReportLimits
}

// URLs are the base URLs of a Fake's platforms, as the platform clients
// and config.Config take them.
type URLs struct {
	TripleWhale string `json:"tripleWhale"` // ends in /api/v2, like the production URL
	HubSpot     string `json:"hubSpot"`
	Klaviyo     string `json:"klaviyo"`
}

// Of returns the base URL of platform p.
func (u URLs) Of(p Platform) string {
	return Keys{TripleWhale: u.TripleWhale, HubSpot: u.HubSpot, Klaviyo: u.Klaviyo}.Of(p)
}

// Intercept may answer a request before the Fake does; it reports whether
// it did. The request's path is relative to the platform's base URL (so
// "/summary-page/get-data", not "/api/v2/summary-page/get-data").
type Intercept func(w http.ResponseWriter, r *http.Request) bool

// Request is one request a Fake received, as Requests lists it.
type Request struct {
	Platform Platform `json:"platform"`
	Method   string   `json:"method"`
	// Path is relative to the platform's base URL.
	Path  string `json:"path"`
	Query string `json:"query,omitempty"`
	// Account is the name of the account whose key the request carried, or
	// "" for an unknown key.
	Account string `json:"account,omitempty"`
	// Status is the status answered; 0 for a dropped connection or a
	// request still being answered.
	Status int `json:"status"`
	// Body is the request body, up to 64 KiB.
	Body string `json:"body,omitempty"`
}

// Fake serves Triple Whale, HubSpot and Klaviyo on three loopback
// httptest servers. It is safe for concurrent use.
type Fake struct {
	opts    Config
	urls    URLs
	servers []*httptest.Server

	mu        sync.Mutex
	accounts  []*Account
	byName    map[string]*Account
	byKey     map[Platform]map[string]*Account
	counts    map[string]int
	totals    map[Platform]int
	log       []*Request
	intercept Intercept
	closeOnce sync.Once
}

// New starts a Fake; Close stops it.
func New(opts Config) *Fake {
	if opts.HubSpotPageSize <= 0 || opts.HubSpotPageSize > 100 {
		opts.HubSpotPageSize = 100
	}
	if opts.KlaviyoPageSize <= 0 {
		opts.KlaviyoPageSize = 10
	}
	if opts.MaxLog <= 0 {
		opts.MaxLog = 10_000
	}
	f := &Fake{
		opts:   opts,
		byName: map[string]*Account{},
		byKey:  map[Platform]map[string]*Account{},
		counts: map[string]int{},
		totals: map[Platform]int{},
	}
	for _, p := range Platforms() {
		f.byKey[p] = map[string]*Account{}
	}
	tw := httptest.NewServer(f.handler(TripleWhale, f.tripleWhale))
	hs := httptest.NewServer(f.handler(HubSpot, f.hubSpot))
	kl := httptest.NewServer(f.handler(Klaviyo, f.klaviyo))
	f.servers = []*httptest.Server{tw, hs, kl}
	f.urls = URLs{TripleWhale: tw.URL + tripleWhalePrefix, HubSpot: hs.URL, Klaviyo: kl.URL}
	return f
}

// Start starts a Fake that stops when the test ends.
func Start(t testing.TB, opts Config) *Fake {
	t.Helper()
	f := New(opts)
	t.Cleanup(f.Close)
	return f
}

// URLs returns the platforms' base URLs.
func (f *Fake) URLs() URLs { return f.urls }

// Close drops every connection and stops the servers. It may be called
// more than once.
func (f *Fake) Close() {
	f.closeOnce.Do(func() {
		f.DropConnections()
		for _, s := range f.servers {
			s.Close()
		}
	})
}

// DropConnections closes the connections the servers hold, idle or not, as
// platforms' load balancers do.
func (f *Fake) DropConnections() {
	for _, s := range f.servers {
		s.CloseClientConnections()
	}
}

// AddAccount adds an account and returns it. It panics when the account's
// name or one of its keys is taken, which is a mistake in the test.
func (f *Fake) AddAccount(cfg AccountConfig) *Account {
	a, err := f.addAccount(cfg)
	if err != nil {
		panic(err)
	}
	return a
}

func (f *Fake) addAccount(cfg AccountConfig) (*Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cfg.N == 0 {
		cfg.N = len(f.accounts) + 1
	}
	a := newAccount(cfg)
	if f.byName[a.name] != nil {
		return nil, fmt.Errorf("platformtest: an account is named %q already", a.name)
	}
	for _, p := range Platforms() {
		if f.byKey[p][a.keys.Of(p)] != nil {
			return nil, fmt.Errorf("platformtest: the %s key of account %q opens another account", p, a.name)
		}
	}
	f.accounts = append(f.accounts, a)
	f.byName[a.name] = a
	for _, p := range Platforms() {
		f.byKey[p][a.keys.Of(p)] = a
	}
	return a, nil
}

// Account returns the account named name, or nil.
func (f *Fake) Account(name string) *Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byName[name]
}

// Accounts returns every account, in the order they were added.
func (f *Fake) Accounts() []*Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.accounts)
}

// SetIntercept makes fn see every request first (nil removes it); it runs
// before the key is checked and before faults.
func (f *Fake) SetIntercept(fn Intercept) {
	f.mu.Lock()
	f.intercept = fn
	f.mu.Unlock()
}

// Count returns how many requests "METHOD path" got, with the path
// relative to the platform's base URL ("GET /crm/v3/objects/deals",
// "POST /api/metric-aggregates"), whatever key they carried.
func (f *Fake) Count(methodPath string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[methodPath]
}

// Counts returns the request counts by "METHOD path".
func (f *Fake) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.counts)
}

// Total returns how many requests the platforms got.
func (f *Fake) Total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.counts {
		n += v
	}
	return n
}

// TotalOf returns how many requests platform p got.
func (f *Fake) TotalOf(p Platform) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.totals[p]
}

// Requests returns the latest requests (Config.MaxLog of them), oldest
// first.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Request, len(f.log))
	for i, r := range f.log {
		out[i] = *r
	}
	return out
}

// recorder notes the status a handler answers.
type recorder struct {
	http.ResponseWriter
	f   *Fake
	req *Request
}

func (w *recorder) WriteHeader(status int) {
	w.f.mu.Lock()
	if w.req.Status == 0 {
		w.req.Status = status
	}
	w.f.mu.Unlock()
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	w.f.mu.Lock()
	if w.req.Status == 0 {
		w.req.Status = http.StatusOK
	}
	w.f.mu.Unlock()
	return w.ResponseWriter.Write(b)
}

// Hijack lets a fault or an intercept drop the connection.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("platformtest: connection cannot be hijacked")
	}
	return h.Hijack()
}

// Flush passes a flush on.
func (w *recorder) Flush() {
	if fl, ok := w.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// keyOf reads the credential of a request to p.
func keyOf(p Platform, r *http.Request) string {
	switch p {
	case TripleWhale:
		return r.Header.Get("X-Api-Key")
	case HubSpot:
		return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	default:
		return strings.TrimPrefix(r.Header.Get("Authorization"), "Klaviyo-API-Key ")
	}
}

// handler counts and logs a request, lets the intercept answer it, checks
// its key, applies the account's revocation and faults, and hands it to
// serve with the account it opened.
func (f *Fake) handler(p Platform, serve func(http.ResponseWriter, *http.Request, *Account)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		path := r.URL.Path
		routed := true
		if p == TripleWhale {
			path, routed = strings.CutPrefix(path, tripleWhalePrefix)
			if !routed {
				path = r.URL.Path
			}
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = path, ""
		r2.Body = io.NopCloser(bytes.NewReader(body))
		methodPath := r.Method + " " + path
		key := keyOf(p, r)

		entry := &Request{Platform: p, Method: r.Method, Path: path, Query: r.URL.RawQuery, Body: string(body[:min(len(body), 64<<10)])}
		f.mu.Lock()
		a := f.byKey[p][key]
		if key == "" {
			a = nil
		}
		if a != nil {
			entry.Account = a.name
		}
		f.counts[methodPath]++
		f.totals[p]++
		if len(f.log) >= f.opts.MaxLog {
			f.log = slices.Delete(f.log, 0, len(f.log)-f.opts.MaxLog+1)
		}
		f.log = append(f.log, entry)
		intercept := f.intercept
		f.mu.Unlock()
		rec := &recorder{ResponseWriter: w, f: f, req: entry}

		if intercept != nil && intercept(rec, r2) {
			return
		}
		if a == nil {
			WriteError(rec, p, http.StatusUnauthorized, "", rejectMessage(p, r))
			return
		}
		if p == Klaviyo && r.Header.Get("Revision") == "" {
			WriteError(rec, p, http.StatusBadRequest, "invalid", "Missing revision header.")
			return
		}
		v := a.gate(p, methodPath, path)
		switch {
		case v.drop:
			drop(rec)
			return
		case v.status == http.StatusTooManyRequests:
			rec.Header().Set("Retry-After", fmt.Sprint(v.retryAfter))
			WriteError(rec, p, v.status, "", "")
			return
		case v.status != 0:
			WriteError(rec, p, v.status, "", "")
			return
		}
		if !routed {
			WriteError(rec, p, http.StatusNotFound, "", "no route "+r.Method+" "+r.URL.Path)
			return
		}
		serve(rec, r2, a)
	})
}

// drop closes the request's connection without an answer.
func drop(w http.ResponseWriter) {
	if h, ok := w.(http.Hijacker); ok {
		if conn, _, err := h.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// rejectMessage is a platform's message for a key it does not know. Each
// quotes the credential, as real platforms sometimes do, so that tests see
// that the clients redact it.
func rejectMessage(p Platform, r *http.Request) string {
	switch p {
	case TripleWhale:
		return "Invalid API key " + r.Header.Get("X-Api-Key")
	case HubSpot:
		return "Authentication credentials not found for " + r.Header.Get("Authorization")
	default:
		return "Incorrect authentication credentials: " + r.Header.Get("Authorization")
	}
}
