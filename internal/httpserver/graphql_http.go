package httpserver

import (
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

// validJSONBody reports whether the request body is one valid JSON value.
// withBodyLimit has already read it into memory.
func validJSONBody(r *http.Request) bool {
	b, ok := r.Body.(*bufferedBody)
	return ok && json.Valid(b.data)
}
