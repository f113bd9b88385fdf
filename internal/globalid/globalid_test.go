package globalid

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/omnify/bff/internal/apperr"
)

func TestRoundTripAndTypeCheck(t *testing.T) {
	oid := bson.NewObjectID()
	id := EncodeObjectID("User", oid)
	got, err := DecodeObjectID(id, "User", "userId")
	if err != nil || got != oid {
		t.Fatalf("DecodeObjectID = %v, %v; want %v", got, err, oid)
	}
	if _, err := DecodeObjectID(id, "ApiKey", "id"); !isInvalid(err, "id") {
		t.Fatalf("an id of another type: err = %v, want BAD_USER_INPUT on id", err)
	}
	if id == EncodeObjectID("ApiKey", oid) {
		t.Fatal("two types share an id")
	}
	typ, key, err := Decode(Encode("Deal", "org:with:colons"), "id")
	if err != nil || typ != "Deal" || key != "org:with:colons" {
		t.Fatalf("Decode = %q, %q, %v", typ, key, err)
	}
}

func TestMalformed(t *testing.T) {
	for _, id := range []string{"", "!!", Encode("", "x"), Encode("User", ""), "VXNlcg", strings.Repeat("A", MaxLength+1)} {
		if _, _, err := Decode(id, "id"); !isInvalid(err, "id") {
			t.Errorf("Decode(%q) err = %v, want BAD_USER_INPUT", id, err)
		}
	}
	if _, err := DecodeObjectID(Encode("User", "not-hex"), "User", "id"); !isInvalid(err, "id") {
		t.Errorf("a key that is not an ObjectID: err = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(EncodeObjectID("User", bson.NewObjectID()))
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		typ, key, err := Decode(id, "id")
		if err == nil && Encode(typ, key) != id {
			t.Fatalf("Decode(%q) = %q, %q, which encodes differently", id, typ, key)
		}
	})
}

func isInvalid(err error, field string) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == apperr.BadUserInput && e.Field == field
}
