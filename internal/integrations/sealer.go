package integrations

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a sealing key: AES-256.
const KeySize = 32

// sealedVersion prefixes every sealed value, so the format can change
// later without guessing what an old value is.
const sealedVersion = "v1"

// Errors of Sealer.Open, matched with errors.Is. None of them says anything
// about the plaintext.
const (
	// ErrSealedMalformed means the value is not in the sealed format.
	ErrSealedMalformed = constError("integrations: sealed value is malformed")
	// ErrSealedUnknownKey means the value was sealed with a key the Sealer
	// does not hold (an old key dropped from the rotation too early).
	ErrSealedUnknownKey = constError("integrations: sealed value names an unknown key")
	// ErrSealedTampered means authentication failed: the value was altered,
	// moved to another record, or sealed with another key of the same id.
	ErrSealedTampered = constError("integrations: sealed value failed authentication")
)

// Sealer encrypts credentials with AES-256-GCM. A sealed value is
// "v1:<keyID>:<base64url(nonce||ciphertext)>": it names the key it was
// sealed with, so keys can be rotated by sealing with a new current key
// while older keys still open what they sealed.
type Sealer struct {
	current string
	aeads   map[string]cipher.AEAD
}

// KeyID derives a key's id: the first 8 hex digits of the SHA-256 of the
// key. The id is stored beside each sealed value and reveals nothing usable
// about the key.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// NewSealer returns a Sealer that seals with key, known as keyID (derived
// with KeyID when empty), and opens values sealed with key or with any key
// of older, which maps key ids to keys. Every key must be KeySize bytes; an
// id must not contain ':' and must not name two different keys.
func NewSealer(keyID string, key []byte, older map[string][]byte) (*Sealer, error) {
	if keyID == "" {
		keyID = KeyID(key)
	}
	s := &Sealer{current: keyID, aeads: make(map[string]cipher.AEAD, len(older)+1)}
	add := func(id string, k []byte) error {
		if id == "" || strings.Contains(id, ":") {
			return fmt.Errorf("integrations: sealing key id %q must be non-empty and contain no ':'", id)
		}
		if len(k) != KeySize {
			return fmt.Errorf("integrations: sealing key %s has %d bytes, want %d", id, len(k), KeySize)
		}
		aead, err := newAEAD(k)
		if err != nil {
			return err
		}
		s.aeads[id] = aead
		return nil
	}
	if err := add(keyID, key); err != nil {
		return nil, err
	}
	for id, k := range older {
		if id == keyID {
			if string(k) != string(key) {
				return nil, fmt.Errorf("integrations: sealing key id %s names two different keys", id)
			}
			continue
		}
		if err := add(id, k); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("integrations: sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("integrations: sealing key: %w", err)
	}
	return aead, nil
}

// KeyID returns the id of the key the Sealer seals with.
func (s *Sealer) KeyID() string { return s.current }

// Seal encrypts plaintext with the current key and a fresh random nonce.
// additionalData is authenticated but not stored: Open must be given the
// same bytes, which binds the sealed value to its record (the service uses
// the integration's organization and platform), so a sealed credential
// copied into another organization's document does not open.
func (s *Sealer) Seal(plaintext, additionalData []byte) (string, error) {
	aead := s.aeads[s.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("integrations: seal: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, additionalData)
	return sealedVersion + ":" + s.current + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same additionalData, with
// whichever known key sealed it. It returns ErrSealedMalformed,
// ErrSealedUnknownKey or ErrSealedTampered when it cannot.
func (s *Sealer) Open(sealed string, additionalData []byte) ([]byte, error) {
	version, rest, ok := strings.Cut(sealed, ":")
	if !ok || version != sealedVersion {
		return nil, ErrSealedMalformed
	}
	keyID, payload, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, ErrSealedMalformed
	}
	aead, ok := s.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("%w (%s)", ErrSealedUnknownKey, keyID)
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrSealedMalformed
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], additionalData)
	if err != nil {
		return nil, ErrSealedTampered
	}
	return plain, nil
}

// IsCurrent reports whether sealed was sealed with the current key; a value
// sealed with an older key should be sealed again so that the older key can
// eventually be retired.
func (s *Sealer) IsCurrent(sealed string) bool {
	return strings.HasPrefix(sealed, sealedVersion+":"+s.current+":")
}

// keyFileName is the development key's file in the data directory.
const keyFileName = "secret.key"

// LoadOrCreateKeyFile returns the development sealing key kept in
// <dataDir>/secret.key, creating the file with 32 random bytes in base64
// and mode 0600 when it does not exist (created is then true). A file that
// does not hold exactly 32 bytes in base64 is an error rather than being
// replaced, because replacing it would make every stored credential
// unreadable. Production passes its key in through configuration instead.
func LoadOrCreateKeyFile(dataDir string) (key []byte, created bool, err error) {
	if dataDir == "" {
		return nil, false, errors.New("integrations: key file: no data directory")
	}
	path := filepath.Join(dataDir, keyFileName)
	key, err = readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("integrations: key file: %w", err)
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("integrations: key file: %w", err)
	}
	// O_EXCL: when two processes start on one data directory, the second
	// reads the first one's key instead of overwriting it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		key, err = readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("integrations: key file: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, false, fmt.Errorf("integrations: key file: %w", werr)
	}
	return key, true, nil
}

// readKeyFile reads a key written by LoadOrCreateKeyFile.
func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("integrations: key file: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("integrations: key file %s is malformed: want %d random bytes in base64; restore it from a backup, or delete it (credentials sealed with it can then no longer be read and must be reconnected)", path, KeySize)
	}
	return key, nil
}
