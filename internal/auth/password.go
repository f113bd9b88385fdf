package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/authz"
)

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the user; it returns how many it ended.
// Signed-in users only. Checking the current password is throttled with
// logins, under the same email and address limits, so a stolen session
// cannot be used to guess it.
//
// Returns FORBIDDEN for an API key, UNAUTHENTICATED for a wrong current
// password, RATE_LIMITED after too many failures, and BAD_USER_INPUT for an
// unacceptable new one.
func (s *Service) ChangePassword(ctx context.Context, p *authz.Principal, current, next string) (int64, error) {
	if err := authz.RequireUser(p, authz.RoleViewer); err != nil {
		return 0, err
	}
	u, err := s.self(ctx, p.UserID)
	if err != nil {
		return 0, err
	}
	a, err := s.beginAttempt(ctx, u.Email)
	if err != nil {
		return 0, err
	}
	defer a.release()
	if ok, err := s.hasher.Verify(ctx, u.PasswordHash, current); err != nil && !errors.Is(err, errBadHash) {
		a.forget(ctx)
		return 0, err
	} else if !ok {
		s.opts.Logger.WarnContext(ctx, "password change refused: wrong current password",
			slog.String("user_id", u.ID.Hex()), slog.String("ip", ClientFromContext(ctx).IP))
		return 0, &apperr.Error{Code: apperr.Unauthenticated, Field: "currentPassword", Message: "The current password is incorrect."}
	}
	a.succeeded(ctx)
	if err := checkPassword("newPassword", next, u.Email); err != nil {
		return 0, err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return 0, err
	}
	if err := s.store.SetPassword(ctx, u.ID, hash, s.now()); err != nil {
		return 0, err
	}
	n, err := s.store.DeleteOtherSessions(ctx, u.ID, p.SessionID)
	if err != nil {
		return 0, err
	}
	s.changed(ctx, Change{UserID: u.ID})
	s.opts.Logger.InfoContext(ctx, "password changed", slog.String("user_id", u.ID.Hex()), slog.Int64("sessions_ended", n))
	return n, nil
}

// PasswordParams are the argon2id cost parameters. They are written into
// every hash, so they can be raised later without breaking old hashes.
type PasswordParams struct {
	MemoryKiB   uint32 // memory per hash
	Iterations  uint32 // passes over the memory
	Parallelism uint8  // lanes
	SaltLen     int    // random salt bytes
	KeyLen      uint32 // derived key bytes
}

// DefaultPasswordParams is the OWASP baseline for argon2id: 19 MiB, 2
// iterations, 1 lane.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
}

// Hasher hashes and checks passwords. A semaphore bounds how many hashes run
// at once, so a burst of logins cannot exhaust memory (each takes MemoryKiB).
type Hasher struct {
	params PasswordParams
	slots  chan struct{}
	// dummy is checked against when the user does not exist, so that an
	// unknown email takes as long as a wrong password.
	dummy string
}

// NewHasher returns a hasher running at most concurrency hashes at a time.
func NewHasher(p PasswordParams, concurrency int) *Hasher {
	if concurrency < 1 {
		concurrency = 1
	}
	h := &Hasher{params: p, slots: make(chan struct{}, concurrency)}
	h.dummy, _ = h.hash(context.Background(), "omnify-dummy-password-for-timing")
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("password hashing: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

func (h *Hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.params.Iterations, h.params.MemoryKiB, h.params.Parallelism, h.params.KeyLen)
	h.release()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Iterations, h.params.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Hash returns an encoded argon2id hash of password with a fresh salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	return h.hash(ctx, password)
}

var errBadHash = errors.New("password hash: malformed")

// Verify reports whether password matches the encoded hash. An empty hash
// (unknown user) is checked against a dummy so the time taken is the same.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	if encoded == "" {
		encoded = h.dummy
		password += "\x00never-matches"
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	h.release()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
