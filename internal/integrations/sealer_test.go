package integrations

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealerRoundTrip(t *testing.T) {
	s, err := NewSealer("", testKey(1), nil)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	if s.KeyID() != KeyID(testKey(1)) || len(s.KeyID()) != 8 {
		t.Errorf("key id = %q, want the 8 hex digits of KeyID", s.KeyID())
	}
	tests := []struct {
		name      string
		plaintext string
	}{
		{"api key", hsKey},
		{"empty value", ""},
		{"long value", strings.Repeat("k", MaxAPIKeyBytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ad := []byte("integration:org/HUBSPOT")
			sealed, err := s.Seal([]byte(tt.plaintext), ad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if !strings.HasPrefix(sealed, "v1:"+s.KeyID()+":") {
				t.Errorf("sealed = %q, want the v1:<keyID>: prefix", sealed)
			}
			if tt.plaintext != "" && strings.Contains(sealed, tt.plaintext) {
				t.Errorf("sealed value contains the plaintext")
			}
			again, _ := s.Seal([]byte(tt.plaintext), ad)
			if again == sealed {
				t.Errorf("two seals of the same value are equal; the nonce must be fresh")
			}
			got, err := s.Open(sealed, ad)
			if err != nil || string(got) != tt.plaintext {
				t.Errorf("Open = %q, %v; want the plaintext", got, err)
			}
		})
	}
}

func TestSealerDetectsTampering(t *testing.T) {
	s, _ := NewSealer("", testKey(1), nil)
	ad := []byte("integration:a/KLAVIYO")
	sealed, err := s.Seal([]byte(klKey), ad)
	if err != nil {
		t.Fatal(err)
	}
	prefix := sealed[:strings.LastIndex(sealed, ":")+1]
	payload, _ := base64.RawURLEncoding.DecodeString(sealed[len(prefix):])
	flipped := bytes.Clone(payload)
	flipped[len(flipped)-1] ^= 1
	other, _ := NewSealer("", testKey(9), nil)
	sealedByOther, _ := other.Seal([]byte(klKey), ad)

	tests := []struct {
		name   string
		sealed string
		ad     string
		want   error
	}{
		{"a flipped ciphertext bit", prefix + base64.RawURLEncoding.EncodeToString(flipped), string(ad), ErrSealedTampered},
		{"another record's associated data", sealed, "integration:b/KLAVIYO", ErrSealedTampered},
		{"a truncated payload", prefix + "AAAA", string(ad), ErrSealedMalformed},
		{"another format version", "v2" + sealed[2:], string(ad), ErrSealedMalformed},
		{"no key id", "v1:" + sealed[len(prefix):], string(ad), ErrSealedMalformed},
		{"a payload that is not base64", prefix + "!!!", string(ad), ErrSealedMalformed},
		{"plain text", klKey, string(ad), ErrSealedMalformed},
		{"a key the sealer does not hold", sealedByOther, string(ad), ErrSealedUnknownKey},
		{"a known key id on a value sealed with another key", "v1:" + s.KeyID() + sealedByOther[strings.LastIndex(sealedByOther, ":"):], string(ad), ErrSealedTampered},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			got, err := s.Open(tt.sealed, []byte(tt.ad))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %q, %v; want %v", got, err, tt.want)
			}
			if strings.Contains(err.Error(), klKey) {
				t.Errorf("error leaks the plaintext: %v", err)
			}
		})
	}
}

func TestSealerRotation(t *testing.T) {
	oldKey, newKey := testKey(1), testKey(2)
	old, _ := NewSealer("", oldKey, nil)
	ad := []byte("integration:x/TRIPLE_WHALE")
	sealedOld, _ := old.Seal([]byte(twKey), ad)

	rotated, err := NewSealer("2026-03", newKey, map[string][]byte{KeyID(oldKey): oldKey})
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	t.Run("a value sealed with the old key still opens", func(t *testing.T) {
		got, err := rotated.Open(sealedOld, ad)
		if err != nil || string(got) != twKey {
			t.Fatalf("Open = %q, %v", got, err)
		}
		if rotated.IsCurrent(sealedOld) {
			t.Error("IsCurrent = true for a value sealed with the old key")
		}
	})
	t.Run("new values are sealed with the new key under its given id", func(t *testing.T) {
		sealed, _ := rotated.Seal([]byte(twKey), ad)
		if !strings.HasPrefix(sealed, "v1:2026-03:") || !rotated.IsCurrent(sealed) {
			t.Errorf("sealed = %q, want it sealed with key 2026-03", sealed)
		}
		if _, err := old.Open(sealed, ad); !errors.Is(err, ErrSealedUnknownKey) {
			t.Errorf("the old sealer opened a value of the new key: %v", err)
		}
	})
	t.Run("without the old key the old value does not open", func(t *testing.T) {
		alone, _ := NewSealer("2026-03", newKey, nil)
		if _, err := alone.Open(sealedOld, ad); !errors.Is(err, ErrSealedUnknownKey) {
			t.Errorf("Open = %v, want ErrSealedUnknownKey", err)
		}
	})
}

func TestNewSealerRejectsBadKeys(t *testing.T) {
	tests := []struct {
		name  string
		id    string
		key   []byte
		older map[string][]byte
	}{
		{"a short key", "", make([]byte, 16), nil},
		{"an id with a colon", "a:b", testKey(1), nil},
		{"a short older key", "", testKey(1), map[string][]byte{"old": make([]byte, 31)}},
		{"an older key with an empty id", "", testKey(1), map[string][]byte{"": testKey(2)}},
		{"one id for two keys", "k", testKey(1), map[string][]byte{"k": testKey(2)}},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			if _, err := NewSealer(tt.id, tt.key, tt.older); err == nil {
				t.Error("NewSealer succeeded, want an error")
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Run("creates a 0600 file of 32 random bytes, then reuses it", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		key, created, err := LoadOrCreateKeyFile(dir)
		if err != nil || !created || len(key) != KeySize {
			t.Fatalf("LoadOrCreateKeyFile = %d bytes, created %v, %v", len(key), created, err)
		}
		path := filepath.Join(dir, "secret.key")
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v, want 0600", info.Mode().Perm())
		}
		data, _ := os.ReadFile(path)
		if decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data))); err != nil || !bytes.Equal(decoded, key) {
			t.Errorf("file holds %q, want the key in base64", data)
		}
		again, created, err := LoadOrCreateKeyFile(dir)
		if err != nil || created || !bytes.Equal(again, key) {
			t.Errorf("second call = created %v, %v, same key %v; want the same key reused", created, err, bytes.Equal(again, key))
		}
	})
	for _, tt := range []struct {
		name    string
		content string
	}{
		{"not base64", "this is not a key\n"},
		{"too short", base64.StdEncoding.EncodeToString(make([]byte, 16))},
		{"empty", ""},
	} {
		t.Run("a malformed file ("+tt.name+") is an error and is left alone", func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "secret.key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := LoadOrCreateKeyFile(dir); err == nil || !strings.Contains(err.Error(), "malformed") {
				t.Errorf("error = %v, want one saying the file is malformed", err)
			}
			if data, _ := os.ReadFile(path); string(data) != tt.content {
				t.Errorf("the file was changed to %q", data)
			}
		})
	}
}
