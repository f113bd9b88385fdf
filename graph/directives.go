package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/omnify/bff/graph/generated"
	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/auth"
)

// Directives implements the schema's coarse access rules. Services check
// organization scoping and roles again; these gates make the rules visible
// in the schema and refuse early.
func Directives() generated.DirectiveRoot {
	return generated.DirectiveRoot{
		Authenticated: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if auth.FromContext(ctx) == nil {
				return nil, apperr.New(apperr.Unauthenticated, "Log in to continue.")
			}
			return next(ctx)
		},
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role auth.Role) (any, error) {
			p := auth.FromContext(ctx)
			switch {
			case p == nil:
				return nil, apperr.New(apperr.Unauthenticated, "Log in to continue.")
			case p.IsAPIKey():
				return nil, apperr.New(apperr.Forbidden, "This needs a signed-in user; API keys cannot do it.")
			case !p.Role.AtLeast(role):
				return nil, apperr.New(apperr.Forbidden, "This needs the %s role or higher in the organization.", role)
			}
			return next(ctx)
		},
	}
}
