package model

import (
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
)

// ObjectID is the GraphQL ID scalar for fields backed by a MongoDB ObjectID,
// rendered as 24 hex digits.
type ObjectID = bson.ObjectID

// MarshalObjectID renders id as its hex string.
func MarshalObjectID(id bson.ObjectID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(id.Hex()))
	})
}

// UnmarshalObjectID parses a hex string; BAD_USER_INPUT when malformed.
func UnmarshalObjectID(v any) (bson.ObjectID, error) {
	s, ok := v.(string)
	if !ok {
		return bson.ObjectID{}, apperr.Invalid("", "an id must be a string")
	}
	id, err := bson.ObjectIDFromHex(s)
	if err != nil {
		return bson.ObjectID{}, apperr.Invalid("", "%q is not a valid id", truncate(s))
	}
	return id, nil
}
