// Package globalid makes the opaque, globally unique ids of the GraphQL API.
//
// An id names an object's GraphQL type and its key inside that type, so two
// objects of different types never share an id, and `node(id:)` knows where
// to look. Clients must treat ids as opaque strings: the encoding (URL-safe
// base64 of "Type:key") may change, the uniqueness never will.
package globalid

import (
	"encoding/base64"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
)

// MaxLength is the longest id Decode accepts; ids of every type are far
// shorter, so anything longer is refused before it is decoded.
const MaxLength = 512

// Encode returns the id of the object of GraphQL type typ whose key is key.
func Encode(typ, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + key))
}

// EncodeObjectID is Encode for objects keyed by a database ObjectID.
func EncodeObjectID(typ string, id bson.ObjectID) string { return Encode(typ, id.Hex()) }

// Decode returns the type and key of an id made by Encode. A malformed id
// is BAD_USER_INPUT on field.
func Decode(id, field string) (typ, key string, err error) {
	bad := apperr.Invalid(field, "%s is not a valid id.", field)
	if len(id) == 0 || len(id) > MaxLength {
		return "", "", bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
	if err != nil {
		return "", "", bad
	}
	typ, key, ok := strings.Cut(string(raw), ":")
	if !ok || typ == "" || key == "" || Encode(typ, key) != id {
		return "", "", bad
	}
	return typ, key, nil
}

// DecodeAs returns the key of an id that must name an object of type typ.
// A malformed id, or an id of another type, is BAD_USER_INPUT on field.
func DecodeAs(id, typ, field string) (string, error) {
	t, key, err := Decode(id, field)
	if err != nil {
		return "", err
	}
	if t != typ {
		return "", apperr.Invalid(field, "%s is not the id of a %s.", field, typ)
	}
	return key, nil
}

// DecodeObjectID is DecodeAs for objects keyed by a database ObjectID.
func DecodeObjectID(id, typ, field string) (bson.ObjectID, error) {
	key, err := DecodeAs(id, typ, field)
	if err != nil {
		return bson.ObjectID{}, err
	}
	oid, err := bson.ObjectIDFromHex(key)
	if err != nil {
		return bson.ObjectID{}, apperr.Invalid(field, "%s is not a valid id.", field)
	}
	return oid, nil
}
