package graph

import (
	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/authz"
	"github.com/omnify/bff/internal/page"
)

// pointers adapts a service's slice of values to gqlgen's slice of pointers.
func pointers[T any](vals []T, err error) ([]*T, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(vals))
	for i := range vals {
		out[i] = &vals[i]
	}
	return out, nil
}

// pointersOf is pointers without an error.
func pointersOf[T any](vals []T) []*T {
	out, _ := pointers(vals, nil)
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// pageInfoOf is the PageInfo of a page of any connection.
func pageInfoOf[T any](p page.Page[T]) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: p.HasNextPage, HasPreviousPage: p.HasPreviousPage}
	if c := p.StartCursor(); c != "" {
		pi.StartCursor = &c
	}
	if c := p.EndCursor(); c != "" {
		pi.EndCursor = &c
	}
	return pi
}

// edgesOf builds a connection's edges with the edge type's constructor.
func edgesOf[T, E any](p page.Page[T], edge func(cursor string, node *T) E) []E {
	out := make([]E, len(p.Items))
	for i := range p.Items {
		out[i] = edge(p.Cursors[i], &p.Items[i])
	}
	return out
}

// nodesOf is a page's items as the connection's nodes.
func nodesOf[T any](p page.Page[T]) []*T { return pointersOf(p.Items) }

func authPayload(p *authz.Principal, err error) (*model.AuthPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{Viewer: &model.Viewer{Principal: p}}, nil
}
