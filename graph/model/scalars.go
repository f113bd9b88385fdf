// Package model holds the GraphQL-only types: the models gqlgen generates
// from the schema and the hand-written scalars.
package model

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/text"
)

// DateTime is the GraphQL DateTime scalar: a time.Time rendered as RFC 3339 in UTC.
type DateTime = time.Time

// dateTimeLayout is RFC 3339 with milliseconds, the precision MongoDB keeps.
const dateTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalDateTime renders t as RFC 3339 in UTC with millisecond precision.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(dateTimeLayout)))
	})
}

// UnmarshalDateTime accepts an RFC 3339 string.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.Invalid("", "a DateTime must be an RFC 3339 string such as 2026-11-26T09:30:00Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, apperr.Invalid("", "%q is not an RFC 3339 time such as 2026-11-26T09:30:00Z", text.Shorten(s, text.QuoteBytes))
	}
	return t.UTC(), nil
}

// Date is the GraphQL Date scalar: a calendar day, held as midnight UTC.
type Date = time.Time

// DateLayout is the wire form of a Date.
const DateLayout = "2006-01-02"

// MarshalDate renders the calendar day of t (in UTC) as YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(DateLayout)))
	})
}

// UnmarshalDate accepts a YYYY-MM-DD string and returns midnight UTC of that day.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.Invalid("", "a Date must be a string such as 2026-11-26")
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, apperr.Invalid("", "%q is not a date such as 2026-11-26", text.Shorten(s, text.QuoteBytes))
	}
	return t, nil
}

// JSON is the GraphQL JSON scalar: any JSON value (agent parameters and
// results, event data, JSON Schemas).
type JSON = any

// MarshalJSON writes v as JSON; a value that cannot be written is null.
func MarshalJSON(v any) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		b, err := json.Marshal(v)
		if err != nil {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(b)
	})
}

// UnmarshalJSON accepts any input value as it was sent.
func UnmarshalJSON(v any) (any, error) { return v, nil }
