package httpserver

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// byteCache is a least-recently-used cache bounded by the memory its
// entries hold rather than by their number: clients choose what goes in
// (a document of any size up to the body limit), so a count alone would let
// a thousand one-megabyte comments stay in memory.
type byteCache[T any] struct {
	max   int64
	size  func(key string, v T) int64
	gauge func(float64) // reports the bytes held; may be nil

	mu    sync.Mutex
	used  int64
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type cacheEntry[T any] struct {
	key  string
	val  T
	size int64
}

var _ graphql.Cache[string] = (*byteCache[string])(nil)

func newByteCache[T any](maxBytes int64, size func(string, T) int64, gauge func(float64)) *byteCache[T] {
	return &byteCache[T]{max: maxBytes, size: size, gauge: gauge, order: list.New(), items: map[string]*list.Element{}}
}

// Get returns the value stored under key and marks it recently used.
func (c *byteCache[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cacheEntry[T]).val, true
	}
	var zero T
	return zero, false
}

// Add stores value under key, evicting the least recently used entries
// until everything fits. A value larger than the whole cache is not stored.
func (c *byteCache[T]) Add(_ context.Context, key string, value T) {
	n := c.size(key, value)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	if n > c.max {
		c.report()
		return
	}
	for c.used+n > c.max {
		c.remove(c.order.Back())
	}
	c.items[key] = c.order.PushFront(&cacheEntry[T]{key: key, val: value, size: n})
	c.used += n
	c.report()
}

// Bytes is the memory the cache accounts for.
func (c *byteCache[T]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

func (c *byteCache[T]) remove(el *list.Element) {
	e := c.order.Remove(el).(*cacheEntry[T])
	delete(c.items, e.key)
	c.used -= e.size
}

func (c *byteCache[T]) report() {
	if c.gauge != nil {
		c.gauge(float64(c.used))
	}
}

// entryOverhead approximates what the cache's own bookkeeping costs per
// entry (list element, map slot, entry struct).
const entryOverhead = 160

// persistedQuerySize is what an APQ entry holds: the hash and the document.
func persistedQuerySize(key, query string) int64 {
	return int64(len(key) + len(query) + entryOverhead)
}

// bytesPerNode approximates the memory of one parsed and validated AST
// node (a field with its position, definition pointers and slices, an
// argument, a value), measured on this schema's documents at 120 to 230
// bytes; the estimate errs high.
const bytesPerNode = 256

// documentSize estimates what a cached document holds: its source text,
// which the AST keeps, and its nodes.
func documentSize(query string, doc *ast.QueryDocument) int64 {
	nodes := 0
	var values func(v *ast.Value)
	values = func(v *ast.Value) {
		if v == nil {
			return
		}
		nodes++
		for _, c := range v.Children {
			values(c.Value)
		}
	}
	directives := func(list ast.DirectiveList) {
		for _, d := range list {
			nodes++
			for _, a := range d.Arguments {
				nodes++
				values(a.Value)
			}
		}
	}
	var set func(ast.SelectionSet)
	set = func(s ast.SelectionSet) {
		for _, sel := range s {
			nodes++
			switch s := sel.(type) {
			case *ast.Field:
				directives(s.Directives)
				for _, a := range s.Arguments {
					nodes++
					values(a.Value)
				}
				set(s.SelectionSet)
			case *ast.InlineFragment:
				directives(s.Directives)
				set(s.SelectionSet)
			case *ast.FragmentSpread:
				directives(s.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		nodes++
		directives(op.Directives)
		for _, v := range op.VariableDefinitions {
			nodes += 2
			directives(v.Directives)
			values(v.DefaultValue)
		}
		set(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		nodes++
		directives(f.Directives)
		set(f.SelectionSet)
	}
	return int64(len(query)) + int64(nodes)*bytesPerNode + entryOverhead
}
