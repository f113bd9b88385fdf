package httpserver

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
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

// statusForErrors is the HTTP status of a request refused before execution:
// with application/graphql-response+json the spec asks for 4xx, with
// application/json clients expect a 200-range or 422 answer as gqlgen's POST
// transport gives.
func statusForErrors(errs gqlerror.List, contentType string) int {
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if contentType == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
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

func writeGraphQLErrors(w http.ResponseWriter, message string) {
	writeResponse(w, &graphql.Response{Errors: gqlerror.List{{Message: message}}})
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
