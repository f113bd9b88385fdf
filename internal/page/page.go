// Package page is the one pager of Omnify's connections (the GraphQL Cursor
// Connections shape): every store and service that returns a list that can
// grow takes a Request and returns a Page.
//
// A cursor is opaque to clients. Inside it is the sort key of the last item
// a client saw, as a few strings; a store continues strictly after that key,
// so a page stays correct when items before the cursor are added or removed.
// Stores fetch Request.First+1 items to learn whether another page follows
// (Make), or page an in-memory list that is already sorted (Slice).
package page

import (
	"encoding/base64"
	"strings"

	"github.com/omnify/bff/internal/apperr"
)

// The page sizes of every connection: first defaults to DefaultFirst (the
// schema says so too) and must be between 1 and MaxFirst.
const (
	DefaultFirst = 20
	MaxFirst     = 100
	// maxCursor bounds a cursor's length before it is decoded.
	maxCursor = 512
)

// Request is a validated page request.
type Request struct {
	// First is how many items the page holds at most.
	First int
	// After is the sort key of the item the page continues after; nil for
	// the first page.
	After []string
}

// New validates a connection's arguments. first nil means def; after nil
// or empty means the first page; a cursor must carry keyParts strings.
// Errors are BAD_USER_INPUT on field first or after.
func New(first *int, after *string, def, max, keyParts int) (Request, error) {
	r := Request{First: def}
	if first != nil {
		r.First = *first
	}
	if r.First < 1 || r.First > max {
		return Request{}, apperr.Invalid("first", "first must be between 1 and %d, got %d.", max, r.First)
	}
	if after != nil && *after != "" {
		key, err := DecodeCursor(*after, keyParts)
		if err != nil {
			return Request{}, err
		}
		r.After = key
	}
	return r, nil
}

// Default is New with DefaultFirst and MaxFirst.
func Default(first *int, after *string, keyParts int) (Request, error) {
	return New(first, after, DefaultFirst, MaxFirst, keyParts)
}

// Page is one page of a connection.
type Page[T any] struct {
	// Items are the page's items, in the connection's order.
	Items []T
	// Cursors[i] is the cursor of Items[i].
	Cursors []string
	// HasNextPage is true when more items follow the last one.
	HasNextPage bool
	// HasPreviousPage is true when the page continues after a cursor.
	HasPreviousPage bool
	// TotalCount is the number of items in the whole connection.
	TotalCount int
}

// StartCursor is the cursor of the first item; empty on an empty page.
func (p Page[T]) StartCursor() string {
	if len(p.Cursors) == 0 {
		return ""
	}
	return p.Cursors[0]
}

// EndCursor is the cursor of the last item; empty on an empty page.
func (p Page[T]) EndCursor() string {
	if len(p.Cursors) == 0 {
		return ""
	}
	return p.Cursors[len(p.Cursors)-1]
}

// Make builds a page from the items a store fetched after r.After, at most
// r.First+1 of them (the extra one only tells that another page follows).
// key returns an item's sort key, which its cursor carries.
func Make[T any](r Request, fetched []T, total int, key func(T) []string) Page[T] {
	p := Page[T]{HasPreviousPage: r.After != nil, TotalCount: total}
	if len(fetched) > r.First {
		fetched, p.HasNextPage = fetched[:r.First], true
	}
	p.Items = fetched
	p.Cursors = make([]string, len(fetched))
	for i, it := range fetched {
		p.Cursors[i] = EncodeCursor(key(it)...)
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}

// Slice pages a whole list that is already in the connection's order.
// after reports whether an item comes after the sort key in r.After.
func Slice[T any](r Request, all []T, key func(T) []string, after func(item T, cursor []string) bool) Page[T] {
	start := 0
	if r.After != nil {
		start = len(all)
		for i, it := range all {
			if after(it, r.After) {
				start = i
				break
			}
		}
	}
	end := min(len(all), start+r.First+1)
	return Make(r, all[start:end], len(all), key)
}

// EncodeCursor returns the cursor carrying a sort key.
func EncodeCursor(key ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(key, "\x00")))
}

// DecodeCursor returns the sort key in a cursor made by EncodeCursor with
// parts strings. A malformed cursor is BAD_USER_INPUT on field after.
func DecodeCursor(cursor string, parts int) ([]string, error) {
	bad := apperr.Invalid("after", "The cursor is not valid; start again from the first page.")
	if len(cursor) > maxCursor {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	key := strings.Split(string(raw), "\x00")
	if len(key) != parts || EncodeCursor(key...) != cursor {
		return nil, bad
	}
	return key, nil
}
