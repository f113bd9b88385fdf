package platform

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxReasonBytes caps the platform's reason copied into an Error, so a huge
// error body cannot bloat logs.
const maxReasonBytes = 512

// Config describes one platform to a Caller.
type Config struct {
	// Platform is the lowercase name that prefixes every error ("klaviyo").
	Platform string
	// BaseURL is the API root the request paths are appended to. It must be
	// https, or http to a loopback host (tests and local mocks), so the
	// credential never crosses a network in clear text.
	BaseURL string
	// Secret is the credential; it is redacted from every error and checked
	// for characters that could corrupt a header.
	Secret string
	// Header is sent with every request and carries the credential.
	Header http.Header
	// ContentType labels request bodies; empty means application/json.
	ContentType string
	// Diagnose reads the platform's error body; nil leaves Code and Message
	// empty, so errors show only the status.
	Diagnose func(FailedResponse) Diagnosis
}

// FailedResponse is a non-2xx response, handed to Config.Diagnose.
type FailedResponse struct {
	// Status is the HTTP status code.
	Status int
	// Header is the response header.
	Header http.Header
	// Body is the response body, capped at Options.MaxBodyBytes.
	Body []byte
	// Attempt counts the attempts so far, this one included.
	Attempt int
	// RetryAfter is the parsed Retry-After header; 0 when absent.
	RetryAfter time.Duration
	// Now is the Caller's clock reading.
	Now time.Time
}

// Diagnosis is a platform's reading of a FailedResponse. Code and Message
// are sanitized and redacted by the Caller, so Diagnose may copy them
// straight from the body.
type Diagnosis struct {
	// Code is the platform's machine-readable reason.
	Code string
	// Message is the platform's human-readable reason.
	Message string
	// RetryAfter, when positive, replaces the Retry-After header, for
	// platforms that state their limits in the body instead.
	RetryAfter time.Duration
	// Final stops retries of a status that is normally retried, such as a
	// daily quota that no wait within MaxElapsed can clear.
	Final bool
	// KeyRejected marks the credential as refused whatever the status.
	KeyRejected bool
}

// Request is one API call.
type Request struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// Path is appended to the base URL's path.
	Path string
	// Query is encoded into the URL.
	Query url.Values
	// URL, when set, replaces Path and Query: a link the platform returned,
	// absolute or relative. It is refused with ErrForeignURL unless it shares
	// the base URL's scheme, host and port.
	URL string
	// Body, when non-nil, is encoded as JSON and sent with every attempt.
	Body any
}

// Caller sends requests to one platform. It is safe for concurrent use.
type Caller struct {
	platform    string
	base        *url.URL
	secret      string
	header      http.Header
	contentType string
	diagnose    func(FailedResponse) Diagnosis
	opts        Options
	client      *http.Client
}

// NewCaller checks cfg and returns a Caller for it.
func NewCaller(cfg Config, opts Options) (*Caller, error) {
	if cfg.Platform == "" {
		return nil, errors.New("platform: missing platform name")
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Platform, err)
	}
	if cfg.Secret == "" {
		return nil, fmt.Errorf("%s: missing credential", cfg.Platform)
	}
	if strings.ContainsFunc(cfg.Secret, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		// Said without echoing the secret: it may be a pasted key with a stray newline.
		return nil, fmt.Errorf("%s: credential contains whitespace or control characters", cfg.Platform)
	}
	opts = opts.WithDefaults()
	client := *opts.HTTPClient
	client.CheckRedirect = sameOriginRedirects(base)
	c := &Caller{
		platform:    cfg.Platform,
		base:        base,
		secret:      cfg.Secret,
		header:      cfg.Header.Clone(),
		contentType: cfg.ContentType,
		diagnose:    cfg.Diagnose,
		opts:        opts,
		client:      &client,
	}
	if c.header == nil {
		c.header = http.Header{}
	}
	if c.contentType == "" {
		c.contentType = "application/json"
	}
	c.header.Set("User-Agent", opts.UserAgent)
	return c, nil
}

// parseBaseURL accepts an absolute https URL, or http to a loopback host,
// with no credentials, query or fragment.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("base URL %q must use https (http only to a loopback host)", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %q must not contain credentials, a query or a fragment", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// origin is scheme://host:port with the default port made explicit, so that
// "https://a.klaviyo.com" and "https://a.klaviyo.com:443" compare equal.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// sameOriginRedirects follows redirects only within the base origin: the
// standard library strips Authorization on a cross-host redirect but would
// forward a custom header such as x-api-key.
func sameOriginRedirects(base *url.URL) func(*http.Request, []*http.Request) error {
	want := origin(base)
	return func(req *http.Request, via []*http.Request) error {
		if origin(req.URL) != want || len(via) >= 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

// Redact replaces every form of the credential in s, so a client can build
// its own messages from platform data safely.
func (c *Caller) Redact(s string) string {
	for _, form := range []string{c.secret, url.QueryEscape(c.secret), url.PathEscape(c.secret)} {
		s = strings.ReplaceAll(s, form, "[REDACTED]")
	}
	return s
}

// NewPager returns a Pager bounded by Options.MaxPages.
func (c *Caller) NewPager() *Pager {
	return &Pager{max: c.opts.MaxPages, seen: map[string]struct{}{}}
}

// Do sends r, retrying as Options allow, and decodes a 2xx JSON body into
// out (skipped when out is nil). A failed call returns an *Error, except that
// a done ctx returns an error wrapping ctx.Err(), and a bad Request a plain
// error. Any request may be sent more than once, so r must be safe to
// repeat: every call the platform clients make is a read, the POST queries
// included.
func (c *Caller) Do(ctx context.Context, r Request, out any) error {
	u, err := c.resolve(r)
	if err != nil {
		return err
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	op := c.Redact(method + " " + u.EscapedPath())
	if _, err := http.NewRequest(method, u.String(), nil); err != nil {
		// Caught once here so that a bad method is not retried as if the
		// network had failed.
		return fmt.Errorf("%s: %s: invalid request", c.platform, op)
	}
	var body []byte
	if r.Body != nil {
		if body, err = json.Marshal(r.Body); err != nil {
			return fmt.Errorf("%s: %s: encode request: %w", c.platform, op, err)
		}
	}
	deadline := c.opts.Now().Add(c.opts.MaxElapsed)
	var last *Error
	for attempt := 1; attempt <= c.opts.MaxAttempts; attempt++ {
		timeout := min(c.opts.Timeout, deadline.Sub(c.opts.Now()))
		if timeout <= 0 {
			break
		}
		res := c.send(ctx, method, u, body, timeout)
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %s: %w", c.platform, op, ctx.Err())
		}
		e, retry := c.judge(res, op, attempt)
		if e == nil {
			return c.decode(res, op, attempt, out)
		}
		e.Attempts = attempt
		last = e
		if !retry || attempt == c.opts.MaxAttempts {
			break
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		if c.opts.Now().Add(wait).After(deadline) {
			break
		}
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %s: waiting to retry: %w", c.platform, op, err)
		}
	}
	if last == nil {
		// Only reachable with a clock that jumps past the budget before the first attempt.
		return &Error{Platform: c.platform, Op: op, Message: "time budget exhausted before the first attempt"}
	}
	return last
}

// resolve builds the URL of r, refusing links to another origin.
func (c *Caller) resolve(r Request) (*url.URL, error) {
	if r.URL == "" {
		u := *c.base
		u.Path = c.base.Path + r.Path
		u.RawQuery = r.Query.Encode()
		return &u, nil
	}
	link, err := url.Parse(r.URL)
	if err != nil {
		// url.Parse quotes the link, which came from the platform; keep it out.
		return nil, fmt.Errorf("%s: link is not a valid URL", c.platform)
	}
	u := c.base.ResolveReference(link)
	if origin(u) != origin(c.base) || u.User != nil {
		return nil, fmt.Errorf("%s: link to %s: %w", c.platform, c.Redact(origin(u)), ErrForeignURL)
	}
	return u, nil
}

// result is the outcome of one attempt.
type result struct {
	status   int
	header   http.Header
	body     []byte
	err      error // no usable response
	timeout  time.Duration
	tooLarge bool
}

// send makes one attempt and reads the whole body within timeout, so a
// server that stalls mid-body counts as a timeout too.
func (c *Caller) send(ctx context.Context, method string, u *url.URL, body []byte, timeout time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return result{err: err, timeout: timeout}
	}
	req.Header = c.header.Clone()
	if body != nil {
		req.Header.Set("Content-Type", c.contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return result{err: err, timeout: timeout}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return result{err: err, timeout: timeout}
	}
	return result{
		status:   resp.StatusCode,
		header:   resp.Header,
		body:     data,
		tooLarge: int64(len(data)) > c.opts.MaxBodyBytes,
	}
}

// judge turns an attempt into nil (success) or an *Error, and says whether
// the failure is worth another attempt.
func (c *Caller) judge(res result, op string, attempt int) (*Error, bool) {
	e := &Error{Platform: c.platform, Op: op, Status: res.status}
	switch {
	case res.err != nil:
		e.Err = res.err
		if isTimeout(res.err) {
			e.Message = fmt.Sprintf("no response within %s", res.timeout)
		} else {
			e.Message = "request failed: " + networkReason(res.err)
		}
		return e, true
	case res.tooLarge:
		e.Message = fmt.Sprintf("response body exceeds %d bytes", c.opts.MaxBodyBytes)
		return e, false
	case res.status >= 200 && res.status < 300:
		return nil, false
	case res.status >= 300 && res.status < 400:
		e.Message = "unexpected redirect; not followed"
		return e, false
	}
	now := c.opts.Now()
	f := FailedResponse{
		Status:     res.status,
		Header:     res.header,
		Body:       res.body,
		Attempt:    attempt,
		RetryAfter: parseRetryAfter(res.header.Get("Retry-After"), now),
		Now:        now,
	}
	var d Diagnosis
	if c.diagnose != nil {
		d = c.diagnose(f)
	}
	e.Code = c.reason(d.Code)
	e.Message = c.reason(d.Message)
	e.RetryAfter = f.RetryAfter
	if d.RetryAfter > 0 {
		e.RetryAfter = d.RetryAfter
	}
	e.KeyRejected = d.KeyRejected
	retry := (res.status == http.StatusTooManyRequests || res.status >= 500) && !d.Final
	return e, retry
}

// decode unmarshals a 2xx body into out.
func (c *Caller) decode(res result, op string, attempt int, out any) error {
	if out == nil {
		return nil
	}
	e := &Error{Platform: c.platform, Op: op, Status: res.status, Attempts: attempt}
	if len(bytes.TrimSpace(res.body)) == 0 {
		e.Message = "empty response body where JSON was expected"
		return e
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		e.Message = "invalid JSON in response: " + c.reason(err.Error())
		e.Err = err
		return e
	}
	return nil
}

// reason makes text from a platform safe to put in an Error: valid UTF-8,
// one line, no credential, bounded length. Redaction runs after the other
// steps so that none of them can reassemble the secret.
func (c *Caller) reason(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(c.Redact(s))
	if len(s) > maxReasonBytes {
		cut := maxReasonBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// backoff returns the wait after the given failed attempt: exponential,
// capped, with "equal jitter" so it never drops below half the step.
func (c *Caller) backoff(attempt int) time.Duration {
	d := c.opts.BackoffMax
	if shift := attempt - 1; shift < 32 {
		if step := c.opts.BackoffBase << shift; step > 0 && step < d {
			d = step
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date; a
// missing, malformed or past value is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// networkReason says what kind of network failure err is, in words that
// may be shown to a shop owner. The error's own text is not used: it names
// this machine's resolver and the addresses dialled ("lookup a.klaviyo.com
// on 10.0.0.2:53"), which are none of a client's business.
func networkReason(err error) string {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var hostname x509.HostnameError
	var unknownAuthority x509.UnknownAuthorityError
	switch {
	case errors.As(err, &dns):
		return "the platform's host name " + dns.Name + " could not be resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed before a response"
	case errors.As(err, &cert), errors.As(err, &hostname), errors.As(err, &unknownAuthority):
		return "the platform's TLS certificate was not accepted"
	}
	return "network error"
}
