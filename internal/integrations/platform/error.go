package platform

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error is a call a platform refused or that could not complete. Every string
// field is redacted of the credential before the Error is built, so it is
// safe to log and to show, in part, to the shop owner.
type Error struct {
	// Platform names the platform, lowercase ("hubspot").
	Platform string
	// Op is the method and path of the failed request ("GET /api/flows").
	Op string
	// Status is the HTTP status of the last attempt; 0 means no response
	// arrived (network failure or timeout).
	Status int
	// Code is the platform's machine-readable reason, when it sent one.
	Code string
	// Message is the platform's human-readable reason, or ours when the
	// platform sent none.
	Message string
	// RetryAfter is how long the platform asked us to wait before calling
	// again; 0 when it did not say.
	RetryAfter time.Duration
	// Attempts is how many requests were made before giving up.
	Attempts int
	// KeyRejected marks a refused credential the status alone does not show,
	// such as Klaviyo answering a malformed key with 400.
	KeyRejected bool
	// Err is the underlying cause, for errors.Is and errors.As; its text is
	// not part of Error() because it may hold unredacted details.
	Err error
}

// Error names the platform, the request, the status and the platform's
// reason.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Platform)
	if e.Op != "" {
		b.WriteString(": ")
		b.WriteString(e.Op)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case e.Status != 0:
		b.WriteString(": ")
		b.WriteString(strings.ToLower(http.StatusText(e.Status)))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter.Round(time.Millisecond))
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Rejected reports whether the platform refused the credential or its scope,
// which no retry fixes: the shop owner has to supply a new key.
func (e *Error) Rejected() bool {
	return e.KeyRejected || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// Temporary reports whether the same call may succeed later: a network
// failure, a timeout, a rate limit or a server error.
func (e *Error) Temporary() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// IsRejected reports whether err carries an *Error whose credential was
// refused.
func IsRejected(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Rejected()
}

// IsTemporary reports whether err carries an *Error that may clear on its
// own.
func IsTemporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary()
}

// constError is an error that can be a constant, so sentinels cannot be
// reassigned by another package.
type constError string

func (e constError) Error() string { return string(e) }

// Sentinel causes, matched with errors.Is.
const (
	// ErrForeignURL means a platform handed us a link to another origin;
	// following it would send the credential there.
	ErrForeignURL = constError("link leads to another host; refusing to send the credential there")
	// ErrPageLoop means a platform returned a pagination cursor it had
	// already returned, so following it would never end.
	ErrPageLoop = constError("pagination loop: a cursor was returned twice")
	// ErrTooManyPages means a listing reached Options.MaxPages.
	ErrTooManyPages = constError("pagination stopped at the page limit")
)
