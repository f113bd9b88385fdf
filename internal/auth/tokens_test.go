package auth

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestSessionTokens(t *testing.T) {
	token, hash := newSessionToken()
	got, ok := ParseSessionToken(token)
	if !ok || got != hash || len(hash) != 64 || strings.Contains(hash, token) {
		t.Fatalf("token %q hash %q parsed %q %v", token, hash, got, ok)
	}
	other, _ := newSessionToken()
	if other == token {
		t.Fatal("two tokens are equal")
	}
	for _, bad := range []string{"", "short", token + "x", token[:len(token)-1] + "!", strings.Repeat("é", 22)} {
		if _, ok := ParseSessionToken(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestAPIKeySecrets(t *testing.T) {
	id := bson.NewObjectID()
	secret, hash := newAPIKeySecret(id)
	gotID, gotHash, ok := ParseAPIKey(secret)
	if !ok || gotID != id || gotHash != hash {
		t.Fatalf("parse %q: %v %v %v", secret, gotID, gotHash, ok)
	}
	if p := keyPrefix(secret); p != APIKeyPrefix+id.Hex() || strings.Contains(secret[len(p)+1:], p) {
		t.Fatalf("prefix %q", p)
	}
	for _, bad := range []string{"", "omk_", secret[:len(secret)-1], "omx" + secret[3:], strings.Replace(secret, "_", "-", 2),
		APIKeyPrefix + "zzzzzzzzzzzzzzzzzzzzzzzz" + secret[28:]} {
		if _, _, ok := ParseAPIKey(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseBearer(t *testing.T) {
	tests := []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer   abc  ", "abc", true},
		{"BEARER abc", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseBearer(tt.header)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseBearer(%q) = %q %v, want %q %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzCredentialParsers feeds arbitrary bytes to everything that reads a
// credential from a request: none may panic, and whatever they accept must
// be well-formed.
func FuzzCredentialParsers(f *testing.F) {
	secret, _ := newAPIKeySecret(bson.NewObjectID())
	token, _ := newSessionToken()
	for _, s := range []string{"", "Bearer " + secret, secret, token, "Bearer \x00", "omk_" + strings.Repeat("f", 24) + "_", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if cred, ok := ParseBearer(s); ok && (cred == "" || strings.ContainsAny(cred[:1], " \t")) {
			t.Fatalf("ParseBearer(%q) accepted %q", s, cred)
		}
		if id, hash, ok := ParseAPIKey(s); ok && (id.IsZero() && s[4:28] != "000000000000000000000000" || len(hash) != 64 || !strings.HasPrefix(s, APIKeyPrefix)) {
			t.Fatalf("ParseAPIKey(%q) accepted", s)
		}
		if hash, ok := ParseSessionToken(s); ok && (len(hash) != 64 || !utf8.ValidString(s)) {
			t.Fatalf("ParseSessionToken(%q) accepted", s)
		}
	})
}

func TestPasswordHashing(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(DefaultPasswordParams(), 2)
	hash, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not record the OWASP baseline parameters", hash)
	}
	again, _ := h.Hash(ctx, "correct horse battery")
	if again == hash {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		name     string
		encoded  string
		password string
		want     bool
		wantErr  bool
	}{
		{"right password", hash, "correct horse battery", true, false},
		{"wrong password", hash, "correct horse batterY", false, false},
		{"unknown user (empty hash)", "", "correct horse battery", false, false},
		{"older, cheaper parameters still verify", mustHash(t, NewHasher(PasswordParams{MemoryKiB: 8, Iterations: 1, Parallelism: 1, SaltLen: 8, KeyLen: 16}, 1), "pw"), "pw", true, false},
		{"malformed hash", "$argon2id$v=19$m=x$y$z", "pw", false, true},
		{"other algorithm", "$2a$10$abcdefghijklmnopqrstuv", "pw", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, tt.encoded, tt.password)
			if ok != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("Verify = %v, %v", ok, err)
			}
		})
	}
}

func mustHash(t *testing.T, h *Hasher, pw string) string {
	t.Helper()
	s, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHashingIsBoundedAndCancellable(t *testing.T) {
	h := NewHasher(DefaultPasswordParams(), 1)
	h.slots <- struct{}{} // every slot busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "some password"); err == nil {
		t.Fatal("hashing went past the semaphore")
	}
	<-h.slots
}
