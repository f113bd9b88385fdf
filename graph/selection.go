package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// selects reports whether the field being resolved selects any of paths
// below it (each a chain of field names, such as "nodes", "user"), through
// fragments of any type. A list resolver asks it before preloading what its
// items' resolvers would otherwise each load.
func selects(ctx context.Context, paths ...[]string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx)
	for _, path := range paths {
		if selectsPath(op, fc.Field.Selections, path) {
			return true
		}
	}
	return false
}

func selectsPath(op *graphql.OperationContext, sels ast.SelectionSet, path []string) bool {
	if len(path) == 0 {
		return true
	}
	for _, f := range graphql.CollectFields(op, sels, nil) {
		if f.Name == path[0] && selectsPath(op, f.Selections, path[1:]) {
			return true
		}
	}
	return false
}
