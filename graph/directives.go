package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/omnify/bff/graph/generated"
	"github.com/omnify/bff/internal/authz"
)

// Directives implements the schema's access rules. They state in the schema
// what each service enforces again (the services are the authority; these
// refuse early and make the rules visible to clients).
func Directives() generated.DirectiveRoot {
	return generated.DirectiveRoot{
		Authenticated: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if authz.FromContext(ctx) == nil {
				return nil, authz.Unauthenticated()
			}
			return next(ctx)
		},
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role authz.Role) (any, error) {
			if err := authz.Require(authz.FromContext(ctx), role); err != nil {
				return nil, err
			}
			return next(ctx)
		},
		SignedIn: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if err := authz.RequireUser(authz.FromContext(ctx), authz.RoleViewer); err != nil {
				return nil, err
			}
			return next(ctx)
		},
	}
}
