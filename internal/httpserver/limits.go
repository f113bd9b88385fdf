package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/omnify/bff/internal/text"
)

// QueryLimits bound what one GraphQL document may ask of the server. Most
// are checked on the parsed document before gqlgen validates it, because
// validation itself is where hostile documents spend the time: merging
// repeated fields is quadratic, and a naive walk of fragments spread in
// fragments is exponential. Zero fields take the defaults in the README's
// configuration table.
type QueryLimits struct {
	// Tokens caps the lexical tokens (comments included) of a document; the
	// parser stops at the first one past it.
	Tokens int
	// Aliases caps the aliased fields of a document.
	Aliases int
	// Directives caps the directives on one field, fragment spread, inline
	// fragment, operation or variable.
	Directives int
	// FieldRepeats caps how often one response name may be selected in one
	// selection set, counting the fields that fragments bring into it.
	FieldRepeats int
	// Depth caps the field nesting of an operation, introspection included.
	Depth int
	// Complexity caps an operation's complexity: each field costs 1 plus
	// what it selects, and a field with a first argument (a list or a
	// connection) 1 plus first times what it selects, unless the schema
	// says otherwise; introspection included.
	Complexity int
	// SchemaFields caps the __schema fields of one operation.
	SchemaFields int
	// Errors caps the errors listed in one response; one more error says
	// how many were left out.
	Errors int
}

// defaultQueryLimits are what a zero QueryLimits field falls back to. The
// standard introspection query of GraphQL tools (graphql-js's
// getIntrospectionQuery) has about 330 tokens and nests 13 levels deep.
func defaultQueryLimits() QueryLimits {
	return QueryLimits{
		Tokens:       3000,
		Aliases:      30,
		Directives:   5,
		FieldRepeats: 16,
		Depth:        15,
		Complexity:   1000,
		SchemaFields: 1,
		Errors:       100,
	}
}

func (l QueryLimits) withDefaults() QueryLimits {
	d := defaultQueryLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.Tokens, &d.Tokens}, {&l.Aliases, &d.Aliases}, {&l.Directives, &d.Directives},
		{&l.FieldRepeats, &d.FieldRepeats}, {&l.Depth, &d.Depth}, {&l.Complexity, &d.Complexity},
		{&l.SchemaFields, &d.SchemaFields}, {&l.Errors, &d.Errors},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// The extensions.code of each refusal. DEPTH_LIMIT_EXCEEDED and
// COMPLEXITY_LIMIT_EXCEEDED keep the names clients already know.
const (
	codeTokenLimit         = "TOKEN_LIMIT_EXCEEDED"
	codeAliasLimit         = "ALIAS_LIMIT_EXCEEDED"
	codeDirectiveLimit     = "DIRECTIVE_LIMIT_EXCEEDED"
	codeFieldRepeatLimit   = "FIELD_REPEAT_LIMIT_EXCEEDED"
	codeDepthLimit         = "DEPTH_LIMIT_EXCEEDED"
	codeComplexityLimit    = "COMPLEXITY_LIMIT_EXCEEDED"
	codeIntrospectionLimit = "INTROSPECTION_LIMIT_EXCEEDED"
	codeTooManyErrors      = "TOO_MANY_ERRORS"
)

// limitError is a refusal that names its limit in extensions.
func limitError(code string, limit int, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": code, "limit": limit},
	}
}

// queryLimits is the gqlgen extension that enforces QueryLimits. It wraps
// automatic persisted queries so that every document is checked once,
// before it is registered or, when it comes from the APQ cache, before it
// is parsed and validated.
type queryLimits struct {
	limits QueryLimits
	apq    extension.AutomaticPersistedQuery
	// parsed is gqlgen's query cache: a document found there has passed
	// these checks and validation already.
	parsed graphql.Cache[*ast.QueryDocument]
	es     graphql.ExecutableSchema
}

var (
	_ graphql.HandlerExtension          = (*queryLimits)(nil)
	_ graphql.OperationParameterMutator = (*queryLimits)(nil)
	_ graphql.OperationContextMutator   = (*queryLimits)(nil)
	_ graphql.ResponseInterceptor       = (*queryLimits)(nil)
)

func (*queryLimits) ExtensionName() string { return "QueryLimits" }

func (q *queryLimits) Validate(es graphql.ExecutableSchema) error {
	q.es = es
	return q.apq.Validate(es)
}

// MutateOperationParameters checks the raw document before gqlgen parses
// and validates it, around the APQ lookup: a sent document is checked
// before it is registered, a looked-up one before it is used.
func (q *queryLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query != "" {
		if err := q.check(ctx, p); err != nil {
			return err
		}
		return q.apq.MutateOperationParameters(ctx, p)
	}
	if err := q.apq.MutateOperationParameters(ctx, p); err != nil {
		return err
	}
	if p.Query == "" {
		return nil // gqlgen answers "no operation provided"
	}
	return q.check(ctx, p)
}

func (q *queryLimits) check(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	doc, ok := q.parsed.Get(ctx, p.Query)
	if !ok {
		var err error
		doc, err = parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, q.limits.Tokens)
		if err != nil {
			return parseError(err, q.limits.Tokens)
		}
		if gerr := checkDocument(doc, q.limits); gerr != nil {
			return gerr
		}
	}
	return checkOperationName(doc, p.OperationName)
}

// parseError reports a syntax error as gqlgen would, and the token limit
// with its own code.
func parseError(err error, limit int) *gqlerror.Error {
	var gerr *gqlerror.Error
	if !errors.As(err, &gerr) {
		gerr = gqlerror.Wrap(err)
	}
	if strings.HasPrefix(gerr.Message, "exceeded token limit") {
		return limitError(codeTokenLimit, limit, "The document has more than %d tokens.", limit)
	}
	errcode.Set(gerr, errcode.ParseFailed)
	return gerr
}

// maxNameInMessage is how much of a client-chosen name an error repeats.
const maxNameInMessage = 64

// checkOperationName refuses an operationName the document does not
// define. gqlgen would refuse it too, but repeat the whole name, which can
// be as large as the body.
func checkOperationName(doc *ast.QueryDocument, name string) *gqlerror.Error {
	if name == "" || doc.Operations.ForName(name) != nil {
		return nil
	}
	err := gqlerror.Errorf("The document has no operation named %q.", text.Shorten(name, maxNameInMessage))
	errcode.Set(err, errcode.ValidationFailed)
	return err
}

// MutateOperationContext measures the validated operation's complexity.
func (q *queryLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	w := complexityWalker{ctx: ctx, es: q.es, schema: q.es.Schema(), vars: oc.Variables, memo: map[string]int{}}
	if c := w.selectionSet(oc.Operation.SelectionSet); c > q.limits.Complexity {
		return limitError(codeComplexityLimit, q.limits.Complexity,
			"The operation has complexity %d; the limit is %d.", c, q.limits.Complexity)
	}
	return nil
}

// InterceptResponse keeps at most limits.Errors errors and says how many
// more there were: a document can be built to fail validation many times
// over, and every error would otherwise be sent.
func (q *queryLimits) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Errors) <= q.limits.Errors {
		return resp
	}
	dropped := len(resp.Errors) - q.limits.Errors
	kept := make(gqlerror.List, q.limits.Errors, q.limits.Errors+1)
	copy(kept, resp.Errors)
	resp.Errors = append(kept, limitError(codeTooManyErrors, q.limits.Errors,
		"%d more errors were left out; a response lists at most %d.", dropped, q.limits.Errors))
	return resp
}

// docChecker applies the limits that need no schema to a parsed, not yet
// validated document. Every fragment is walked once, however often it is
// spread: what it adds to the selection set it is spread into (its depth,
// its __schema fields, the response names it selects) is remembered.
type docChecker struct {
	limits   QueryLimits
	frags    map[string]*ast.FragmentDefinition
	memo     map[string]*setFacts
	visiting map[string]bool
	aliases  int
	err      *gqlerror.Error
}

// setFacts is what a selection set adds to the one that contains it.
type setFacts struct {
	depth   int
	schemas int
	names   map[string]int
}

// saturated keeps counts of exponentially spread fragments finite.
const saturated = 1 << 30

func satAdd(a, b int) int { return min(a+b, saturated) }

func checkDocument(doc *ast.QueryDocument, l QueryLimits) *gqlerror.Error {
	c := &docChecker{
		limits:   l,
		frags:    make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		memo:     make(map[string]*setFacts, len(doc.Fragments)),
		visiting: map[string]bool{},
	}
	for _, f := range doc.Fragments {
		if _, dup := c.frags[f.Name]; !dup {
			c.frags[f.Name] = f
		}
	}
	for _, op := range doc.Operations {
		c.directives(op.Directives, "the operation")
		for _, v := range op.VariableDefinitions {
			c.directives(v.Directives, "variable $"+v.Variable)
		}
		facts := c.fieldSet(op.SelectionSet)
		if c.err != nil {
			return c.err
		}
		name := "The operation"
		if op.Name != "" {
			name = fmt.Sprintf("Operation %q", text.Shorten(op.Name, maxNameInMessage))
		}
		if facts.depth > l.Depth {
			return limitError(codeDepthLimit, l.Depth, "%s is nested %d levels deep; the limit is %d.", name, facts.depth, l.Depth)
		}
		if facts.schemas > l.SchemaFields {
			return limitError(codeIntrospectionLimit, l.SchemaFields,
				"%s selects __schema %s times; the limit is %d.", name, countText(facts.schemas), l.SchemaFields)
		}
	}
	// Validation looks at every fragment, spread or not.
	for _, f := range doc.Fragments {
		if c.frags[f.Name] == f {
			c.fragment(f.Name)
		} else {
			c.fieldSet(f.SelectionSet)
		}
		if c.err != nil {
			return c.err
		}
	}
	return c.err
}

func countText(n int) string {
	if n >= saturated {
		return "more than a billion"
	}
	return fmt.Sprint(n)
}

// fieldSet measures the selection set of a field or an operation, where
// response names are merged, and checks how often each is repeated.
func (c *docChecker) fieldSet(set ast.SelectionSet) *setFacts {
	f := &setFacts{names: map[string]int{}}
	c.collect(set, f)
	c.checkRepeats(f.names)
	return f
}

func (c *docChecker) checkRepeats(names map[string]int) {
	if c.err != nil {
		return
	}
	for name, n := range names {
		if n > c.limits.FieldRepeats {
			c.err = limitError(codeFieldRepeatLimit, c.limits.FieldRepeats,
				"The field %q is selected %s times in one selection set; the limit is %d.",
				text.Shorten(name, maxNameInMessage), countText(n), c.limits.FieldRepeats)
			return
		}
	}
}

// collect adds the selections of set to f. Inline fragments and fragment
// spreads select into the same set, so their names count with the set's own.
func (c *docChecker) collect(set ast.SelectionSet, f *setFacts) {
	for _, sel := range set {
		if c.err != nil {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			c.directives(s.Directives, fmt.Sprintf("the field %q", text.Shorten(s.Alias, maxNameInMessage)))
			if s.Alias != s.Name {
				if c.aliases++; c.aliases > c.limits.Aliases {
					c.err = limitError(codeAliasLimit, c.limits.Aliases,
						"The document has more than %d aliases.", c.limits.Aliases)
					return
				}
			}
			f.names[s.Alias] = satAdd(f.names[s.Alias], 1)
			if s.Name == "__schema" {
				f.schemas = satAdd(f.schemas, 1)
			}
			depth := 1
			if len(s.SelectionSet) > 0 {
				child := c.fieldSet(s.SelectionSet)
				depth = satAdd(depth, child.depth)
				f.schemas = satAdd(f.schemas, child.schemas)
			}
			f.depth = max(f.depth, depth)
		case *ast.InlineFragment:
			c.directives(s.Directives, "an inline fragment")
			c.collect(s.SelectionSet, f)
		case *ast.FragmentSpread:
			c.directives(s.Directives, fmt.Sprintf("the spread of %q", text.Shorten(s.Name, maxNameInMessage)))
			spread := c.fragment(s.Name)
			if spread == nil {
				continue
			}
			f.depth = max(f.depth, spread.depth)
			f.schemas = satAdd(f.schemas, spread.schemas)
			for name, n := range spread.names {
				f.names[name] = satAdd(f.names[name], n)
			}
		}
	}
}

// fragment returns what the named fragment adds where it is spread, walking
// it the first time only. Unknown fragments and cycles add nothing here;
// validation refuses them.
func (c *docChecker) fragment(name string) *setFacts {
	if f, ok := c.memo[name]; ok {
		return f
	}
	def, ok := c.frags[name]
	if !ok || c.visiting[name] {
		return nil
	}
	c.visiting[name] = true
	defer delete(c.visiting, name)
	c.directives(def.Directives, fmt.Sprintf("the fragment %q", text.Shorten(name, maxNameInMessage)))
	f := &setFacts{names: map[string]int{}}
	c.collect(def.SelectionSet, f)
	c.checkRepeats(f.names)
	c.memo[name] = f
	return f
}

func (c *docChecker) directives(list ast.DirectiveList, where string) {
	if c.err == nil && len(list) > c.limits.Directives {
		c.err = limitError(codeDirectiveLimit, c.limits.Directives,
			"%s has %d directives; the limit is %d.", capitalize(where), len(list), c.limits.Directives)
	}
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// complexityWalker computes an operation's complexity the way gqlgen's
// complexity package does (the schema's complexity functions, 1 plus the
// children otherwise, the costliest implementation for interface fields),
// with three differences: introspection fields count like any other, a
// fragment is computed once however often it is spread, and a field that
// takes a first argument costs what it selects once per item it may
// return (see pageSize); on a connection only edges and nodes are paid
// per item, pageInfo and totalCount once.
type complexityWalker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
	// memo holds each fragment's cost. A fragment costs the same wherever
	// it is spread: what a list multiplies it by is applied by the field
	// above the spread, and the variables are the operation's.
	memo map[string]int
}

func (w complexityWalker) selectionSet(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = satAdd(total, w.field(s))
		case *ast.InlineFragment:
			total = satAdd(total, w.selectionSet(s.SelectionSet))
		case *ast.FragmentSpread:
			c, ok := w.memo[s.Name]
			if !ok && s.Definition != nil {
				c = w.selectionSet(s.Definition.SelectionSet)
				w.memo[s.Name] = c
			}
			total = satAdd(total, c)
		}
	}
	return total
}

func (w complexityWalker) field(f *ast.Field) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 1
	}
	def := w.schema.Types[f.Definition.Type.Name()]
	args := f.ArgumentMap(w.vars)
	if n, ok := pageSize(f.Definition, args); ok && isConnection(def) {
		// A connection's items cost once per item; its pageInfo and
		// totalCount once per page.
		perItem, once := w.connectionSelections(f.SelectionSet)
		return satAdd(satAdd(1, satMul(n, perItem)), once)
	}
	child := 0
	if def != nil && (def.Kind == ast.Object || def.Kind == ast.Interface || def.Kind == ast.Union) {
		child = w.selectionSet(f.SelectionSet)
	}
	if f.ObjectDefinition.Kind != ast.Interface {
		return w.fieldComplexity(f.ObjectDefinition.Name, f.Definition, child, args)
	}
	worst := 0
	for _, t := range w.schema.GetPossibleTypes(f.ObjectDefinition) {
		worst = max(worst, w.fieldComplexity(t.Name, f.Definition, child, args))
	}
	return worst
}

// isConnection reports whether def is a connection type: one with edges,
// nodes and pageInfo.
func isConnection(def *ast.Definition) bool {
	return def != nil && def.Kind == ast.Object &&
		def.Fields.ForName("edges") != nil && def.Fields.ForName("nodes") != nil && def.Fields.ForName("pageInfo") != nil
}

// connectionSelections splits what an operation selects on a connection
// into what is paid per item (edges and nodes) and once per page (the
// rest). Fragments spread on the connection count as per item, which
// never undercounts.
func (w complexityWalker) connectionSelections(set ast.SelectionSet) (perItem, once int) {
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		switch {
		case !ok:
			perItem = satAdd(perItem, w.selectionSet(ast.SelectionSet{sel}))
		case f.Name == "edges" || f.Name == "nodes":
			perItem = satAdd(perItem, w.field(f))
		default:
			once = satAdd(once, w.field(f))
		}
	}
	return perItem, once
}

func (w complexityWalker) fieldComplexity(typeName string, field *ast.FieldDefinition, child int, args map[string]any) int {
	if c, ok := w.es.Complexity(w.ctx, typeName, field.Name, child, args); ok && c >= 1 {
		return c
	}
	if n, ok := pageSize(field, args); ok {
		return satAdd(1, satMul(n, child))
	}
	return satAdd(1, child)
}

// defaultPageSize is the page size assumed for a first argument that is
// neither given nor defaulted in the schema. It is the largest default page
// of our resolvers (deals, contacts, email campaigns and legal acceptances
// return 20 when first is left out, sync runs 10), so leaving first out
// never costs less than the page a client actually gets.
const defaultPageSize = 20

// pageSize is how many items a field that takes a first argument may return:
// the argument's value (variables and the schema's default applied), or
// defaultPageSize when it has neither. A negative value counts as 0; the
// resolver refuses it anyway. Fields without a first argument have no page.
func pageSize(field *ast.FieldDefinition, args map[string]any) (int, bool) {
	if field.Arguments.ForName("first") == nil {
		return 0, false
	}
	n, ok := intValue(args["first"])
	if !ok {
		return defaultPageSize, true
	}
	return max(n, 0), true
}

// intValue reads an Int argument as gqlparser leaves it: an int64 from the
// document or a default, and from variables whatever JSON decoding and
// coercion produced.
func intValue(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		return int(min(max(n, -saturated), saturated)), true
	case float64:
		return int(min(max(n, -saturated), saturated)), true
	case json.Number:
		i, err := n.Int64()
		return int(min(max(i, -saturated), saturated)), err == nil
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return int(min(max(i, -saturated), saturated)), err == nil
	}
	return 0, false
}

// satMul multiplies two non-negative counts, saturating like satAdd.
func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a >= saturated/b {
		return saturated
	}
	return a * b
}
