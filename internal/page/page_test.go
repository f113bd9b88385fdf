package page

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/omnify/bff/internal/apperr"
)

func ptr[T any](v T) *T { return &v }

func TestNewValidatesAtTheEdges(t *testing.T) {
	for _, tc := range []struct {
		first *int
		after *string
		want  int
		field string
	}{
		{nil, nil, DefaultFirst, ""},
		{ptr(1), nil, 1, ""},
		{ptr(MaxFirst), nil, MaxFirst, ""},
		{ptr(0), nil, 0, "first"},
		{ptr(MaxFirst + 1), nil, 0, "first"},
		{ptr(-1), nil, 0, "first"},
		{nil, ptr(""), DefaultFirst, ""},
		{nil, ptr("not a cursor!"), 0, "after"},
		{nil, ptr(EncodeCursor("a")), 0, "after"}, // one part where two are expected
		{nil, ptr(strings.Repeat("A", maxCursor+1)), 0, "after"},
		{nil, ptr(EncodeCursor("a", "b")), DefaultFirst, ""},
	} {
		r, err := Default(tc.first, tc.after, 2)
		if tc.field != "" {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != tc.field {
				t.Errorf("Default(%v, %v): err = %v, want BAD_USER_INPUT on %s", tc.first, tc.after, err, tc.field)
			}
			continue
		}
		if err != nil || r.First != tc.want {
			t.Errorf("Default(%v, %v) = %+v, %v", tc.first, tc.after, r, err)
		}
	}
}

// TestSliceWalksEveryItemOnce walks a list page by page, removing an item
// already seen between pages, and sees every other item exactly once.
func TestSliceWalksEveryItemOnce(t *testing.T) {
	var all []int
	for i := range 47 {
		all = append(all, i*2)
	}
	key := func(n int) []string { return []string{strconv.Itoa(n)} }
	after := func(n int, c []string) bool { k, _ := strconv.Atoi(c[0]); return n > k }
	var seen []int
	r, _ := Default(ptr(10), nil, 1)
	for pages := 0; ; pages++ {
		p := Slice(r, all, key, after)
		if p.TotalCount != len(all) || p.HasPreviousPage != (pages > 0) {
			t.Fatalf("page %d: total %d, hasPrevious %v", pages, p.TotalCount, p.HasPreviousPage)
		}
		seen = append(seen, p.Items...)
		if !p.HasNextPage {
			break
		}
		all = slices.DeleteFunc(all, func(n int) bool { return n == p.Items[0] })
		cursor := p.EndCursor()
		r, _ = Default(ptr(10), &cursor, 1)
	}
	if len(seen) != 47 || !slices.IsSorted(seen) || slices.Compact(slices.Clone(seen))[46] != seen[46] {
		t.Fatalf("saw %d items: %v", len(seen), seen)
	}
}

func TestEmptyPage(t *testing.T) {
	p := Make(Request{First: 5}, []string(nil), 0, func(s string) []string { return []string{s} })
	if p.Items == nil || len(p.Items) != 0 || p.HasNextPage || p.StartCursor() != "" || p.EndCursor() != "" {
		t.Fatalf("empty page = %+v", p)
	}
}
