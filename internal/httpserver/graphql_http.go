package httpserver

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/omnify/bff/internal/apperr"
)

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// responseContentType picks the media type of a GraphQL response from the
// Accept header: application/graphql-response+json when the client asks for
// it, application/json otherwise (what older clients expect).
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		case mediaJSON, "*/*", "application/*":
			return mediaJSON
		}
	}
	return mediaJSON
}

// getTransport serves queries over GET, as GraphQL over HTTP allows. Any
// other operation over GET is refused with 405, so a link or an image tag can
// never change data.
type getTransport struct{}

var _ graphql.Transport = getTransport{}

// Supports picks GET requests that are not WebSocket upgrades.
func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

// Do reads the request's parameters from the URL and serves it.
func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	q := r.URL.Query()
	params := &graphql.RawParams{
		Query:         q.Get("query"),
		OperationName: q.Get("operationName"),
		Headers:       r.Header,
	}
	params.ReadTime.Start = graphql.Now()
	for _, f := range []struct {
		name string
		dst  any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		if v := q.Get(f.name); v != "" {
			if err := decodeJSON(v, f.dst); err != nil {
				writeRequestError(w, r, http.StatusBadRequest, f.name+" is not a JSON object")
				return
			}
		}
	}
	params.ReadTime.End = graphql.Now()
	serveGraphQL(w, r, exec, params, true)
}

// postTransport serves JSON POSTs. It replaces gqlgen's POST transport,
// whose status codes and response bodies follow gqlgen's own rules rather
// than GraphQL over HTTP's (422 for a document that does not parse, a data
// entry in a response to a request that never ran). The endpoint has already
// checked the content type and the shape of the body (checkJSONBody).
type postTransport struct{}

var _ graphql.Transport = postTransport{}

// Supports picks POSTs of application/json that are not WebSocket upgrades.
func (postTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("Upgrade") == "" && isJSON(r.Header.Get("Content-Type"))
}

// Do decodes the body and serves the request.
func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	params := &graphql.RawParams{Headers: r.Header}
	params.ReadTime.Start = graphql.Now()
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		writeRequestError(w, r, http.StatusBadRequest, "the request body is not a GraphQL request")
		return
	}
	params.ReadTime.End = graphql.Now()
	serveGraphQL(w, r, exec, params, false)
}

// serveGraphQL runs one request read from GET or POST and answers it as
// GraphQL over HTTP prescribes:
//
//   - A request that runs gets 200, whatever errors its fields raised.
//   - A request without a query (and no persisted query to look up) is
//     malformed: 400 whatever the client accepts.
//   - A request refused before it runs (a document that does not parse or
//     validate, variables that do not fit their types, a limit, a gate) has
//     no data entry. With application/json it gets 200, which is what
//     clients of that media type expect; with
//     application/graphql-response+json a 4xx (or 5xx) that says why, see
//     refusalStatus.
//   - Over GET only queries run; anything else gets 405.
func serveGraphQL(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, queriesOnly bool) {
	contentType := responseContentType(r)
	noQuery := params.Query == "" && params.Extensions["persistedQuery"] == nil
	oc, gerrs := exec.CreateOperationContext(r.Context(), params)
	if gerrs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(r.Context(), oc), gerrs)
		status := http.StatusOK
		switch {
		case noQuery:
			status = http.StatusBadRequest
		case contentType == mediaGraphQLResponse:
			status = refusalStatus(resp.Errors)
		}
		writeRefusal(w, contentType, status, resp)
		return
	}
	if queriesOnly && oc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		writeRequestError(w, r, http.StatusMethodNotAllowed,
			"only queries can be sent with GET; send "+string(oc.Operation.Operation)+"s with POST")
		return
	}
	w.Header().Set("Content-Type", contentType)
	responses, ctx := exec.DispatchOperation(r.Context(), oc)
	writeResponse(w, responses(ctx))
}

// refusalStatus is the status of a request refused before it ran, answered
// as application/graphql-response+json, by the code of its first error: 401
// for a caller who must authenticate, 403 for one who may not, 429 for one
// who must wait, 500 when the check itself failed, and 400 for everything
// the request itself got wrong (syntax, validation, variables, limits,
// persisted queries).
func refusalStatus(errs gqlerror.List) int {
	if len(errs) == 0 {
		return http.StatusBadRequest
	}
	code, _ := errs[0].Extensions["code"].(string)
	switch apperr.Code(code) {
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden, apperr.LegalAcceptanceRequired:
		return http.StatusForbidden
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.Internal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// refusal is the body of a response to a request that never ran: GraphQL
// leaves out the data entry then, where graphql.Response would write null.
type refusal struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func writeRefusal(w http.ResponseWriter, contentType string, status int, resp *graphql.Response) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="omnify"`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	b, err := json.Marshal(refusal{Errors: resp.Errors, Extensions: resp.Extensions})
	if err != nil {
		b = []byte(`{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	}
	_, _ = w.Write(b)
}

// writeRequestError answers a request that is not a GraphQL request the
// server can run (bad JSON, a wrong method) with status and one error, in
// the media type the client accepts. The message is fixed text: nothing the
// client sent is repeated.
func writeRequestError(w http.ResponseWriter, r *http.Request, status int, message string) {
	writeRefusal(w, responseContentType(r), status, &graphql.Response{Errors: gqlerror.List{{Message: message}}})
}

func decodeJSON(s string, dst any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	return dec.Decode(dst)
}

func writeResponse(w http.ResponseWriter, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	}
	_, _ = w.Write(b)
}

// checkJSONBody returns what is wrong with a GraphQL request body, or "":
// it must be one JSON object whose query and operationName are strings and
// whose variables and extensions are objects (each may be null or absent).
// The messages are fixed, so nothing the client sent is repeated.
// withBodyLimit has already read the body into memory.
func checkJSONBody(r *http.Request) string {
	b, ok := r.Body.(*bufferedBody)
	if !ok || !json.Valid(b.data) {
		return "the request body is not valid JSON"
	}
	dec := json.NewDecoder(bytes.NewReader(b.data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "the request body must be a JSON object"
	}
	// Every member is looked at, so a repeated key cannot hide a bad value;
	// names match case-insensitively, as they do in gqlgen's decoder.
	for dec.More() {
		tok, err := dec.Token()
		key, _ := tok.(string)
		var value json.RawMessage
		if err != nil || dec.Decode(&value) != nil {
			return "the request body is not valid JSON"
		}
		want := byte(0)
		switch {
		case strings.EqualFold(key, "query"), strings.EqualFold(key, "operationName"):
			want = '"'
		case strings.EqualFold(key, "variables"), strings.EqualFold(key, "extensions"):
			want = '{'
		}
		if want != 0 && value[0] != want && string(value) != "null" {
			return "query and operationName must be strings, variables and extensions JSON objects"
		}
	}
	return ""
}
