// Package apperr defines the one error type that domain modules return and the
// codes a client sees in a GraphQL error's extensions.code.
//
// Modules return *Error for every failure a caller can act on. Anything else
// is treated as a bug or an outage: the API shows it as INTERNAL_SERVER_ERROR
// with a generic message and logs the real error once.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error class, sent to clients as extensions.code.
type Code string

// The codes a client can see. Keep this list in step with the README.
const (
	Unauthenticated         Code = "UNAUTHENTICATED"
	Forbidden               Code = "FORBIDDEN"
	BadUserInput            Code = "BAD_USER_INPUT"
	NotFound                Code = "NOT_FOUND"
	Conflict                Code = "CONFLICT"
	LegalAcceptanceRequired Code = "LEGAL_ACCEPTANCE_REQUIRED"
	RateLimited             Code = "RATE_LIMITED"
	IntegrationError        Code = "INTEGRATION_ERROR"
	// SlowConsumer ends a subscription whose client fell too far behind;
	// the client subscribes again from the last event it received.
	SlowConsumer Code = "SLOW_CONSUMER"
	Internal     Code = "INTERNAL_SERVER_ERROR"
)

// Error is a failure with a code and a message fit to show to the caller.
type Error struct {
	// Code classifies the failure.
	Code Code
	// Message is safe to show to a user: it never contains secrets or internals.
	Message string
	// Field names the input field at fault, when there is one.
	Field string
	// Extensions are extra values sent beside the code (for example retryAfterSeconds).
	Extensions map[string]any
	// Err is the underlying cause, for logs only.
	Err error
}

// Error describes the failure for logs: code, message and cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// With returns a copy of e carrying one more extension value.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Extensions = make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		c.Extensions[k] = v
	}
	c.Extensions[key] = value
	return &c
}

// New returns an error with a code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a BAD_USER_INPUT error about one input field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns the code of err: its *Error's code, or INTERNAL_SERVER_ERROR.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}
