package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// sessionTokenBytes is the entropy of a session token.
const sessionTokenBytes = 32

// newSessionToken returns a random token for the cookie and the hash that is
// stored in its place.
func newSessionToken() (token, hash string) {
	b := make([]byte, sessionTokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ParseSessionToken checks the shape of a cookie value and returns the hash
// under which its session is stored. Anything that a newSessionToken could
// not have produced is refused without a database lookup.
func ParseSessionToken(token string) (hash string, ok bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(sessionTokenBytes) {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return "", false
	}
	return hashToken(token), true
}

// APIKeyPrefix starts every API key secret, so leaked keys are easy to spot
// by secret scanners.
const APIKeyPrefix = "omk_"

const apiKeySecretBytes = 32

// newAPIKeySecret returns a secret that embeds the key's id, so a request
// finds its key by primary key, and the hash that is stored.
//
//	omk_<24 hex digits of the id>_<43 characters of base64url randomness>
func newAPIKeySecret(id bson.ObjectID) (secret, hash string) {
	b := make([]byte, apiKeySecretBytes)
	_, _ = rand.Read(b)
	secret = APIKeyPrefix + id.Hex() + "_" + base64.RawURLEncoding.EncodeToString(b)
	return secret, hashToken(secret)
}

// ParseAPIKey checks the shape of a bearer secret and returns the id of its
// key and the hash to compare with the stored one.
func ParseAPIKey(secret string) (id bson.ObjectID, hash string, ok bool) {
	rest, found := strings.CutPrefix(secret, APIKeyPrefix)
	if !found || len(rest) != 24+1+base64.RawURLEncoding.EncodedLen(apiKeySecretBytes) || rest[24] != '_' {
		return bson.ObjectID{}, "", false
	}
	id, err := bson.ObjectIDFromHex(rest[:24])
	if err != nil {
		return bson.ObjectID{}, "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(rest[25:]); err != nil {
		return bson.ObjectID{}, "", false
	}
	return id, hashToken(secret), true
}

// ParseBearer extracts the credential of an Authorization header value
// ("Bearer <secret>", scheme case-insensitive).
func ParseBearer(header string) (string, bool) {
	scheme, cred, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

// keyPrefix is the part of a secret shown in listings to tell keys apart:
// the fixed prefix and the key's id, none of the secret's randomness.
func keyPrefix(secret string) string {
	return secret[:len(APIKeyPrefix)+24]
}
