package graph

import (
	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/auth"
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

func authPayload(p *auth.Principal, err error) (*model.AuthPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{Viewer: &model.Viewer{Principal: p}}, nil
}
