package auth

import (
	"strings"
	"testing"

	"github.com/omnify/bff/internal/apperr"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" means refused
	}{
		{"plain", "alice@example.com", "alice@example.com"},
		{"trimmed and lower-cased", "  Alice@Example.COM ", "alice@example.com"},
		{"full-width letters become plain ones", "\uff41\uff4c\uff49\uff43\uff45@example.com", "alice@example.com"},
		{"full-width at sign", "alice\uff20example.com", "alice@example.com"},
		{"letters of other scripts stay", "jos\u00e9@example.com", "jos\u00e9@example.com"},
		{"decomposed accent is composed", "jose\u0301@example.com", "jos\u00e9@example.com"},
		{"zero-width space", "ali\u200bce@example.com", ""},
		{"zero-width non-joiner", "ali\u200cce@example.com", ""},
		{"zero-width joiner", "alice@exam\u200dple.com", ""},
		{"word joiner", "alice\u2060@example.com", ""},
		{"byte order mark", "\ufeffalice@example.com", ""},
		{"soft hyphen", "ali\u00adce@example.com", ""},
		{"right-to-left override", "alice@\u202eexample.com", ""},
		{"variation selector", "alice\ufe0f@example.com", ""},
		{"Hangul filler", "alice\u3164@example.com", ""},
		{"combining grapheme joiner", "alice\u034f@example.com", ""},
		{"control character", "alice\x01@example.com", ""},
		{"IPv4 domain", "alice@127.0.0.1", ""},
		{"short IPv4 domain", "alice@127.1", ""},
		{"IPv4 literal", "alice@[127.0.0.1]", ""},
		{"IPv6 literal", "alice@[IPv6:::1]", ""},
		{"numeric top-level domain", "alice@example.123", ""},
		{"no dot in the domain", "alice@localhost", ""},
		{"display name", "Alice <alice@example.com>", ""},
		{"too long", strings.Repeat("a", 250) + "@example.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeEmail("email", tt.in)
			if tt.want == "" {
				if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != "email" {
					t.Fatalf("normalizeEmail(%q) = %q, %v; want BAD_USER_INPUT on email", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("normalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"ten characters", "tide pools", true},
		{"nine characters", "tide pool", false},
		{"ten spaces", strings.Repeat(" ", 10), false},
		{"ten tabs and newlines", "\t\n\t\n\t\n\t\n\t\n", false},
		{"ten zero-width spaces", strings.Repeat("\u200b", 10), false},
		{"nine characters padded with spaces", " tide pool ", false},
		{"spaces inside count", "tide  pool", true},
		{"256 characters", strings.Repeat("xy", 128), true},
		{"257 characters", strings.Repeat("xy", 128) + "z", false},
		{"the email", "dana@example.com", false},
		{"the email, other case", "Dana@Example.com", false},
		{"common", "1234567890", false},
		{"common, other case", "PassWord123", false},
		{"common with spaces around", "  qwertyuiop  ", false},
		{"common word with digits and symbols appended", "Dragon2024!!", false},
		{"common word with digits prepended", "123monkey456", false},
		{"the product's name", "omnify2026!", false},
		{"one character repeated", "aaaaaaaaaaaa", false},
		{"one digit repeated", "0000000000", false},
		{"uncommon phrase", "lantern of the eastern pier", true},
		{"common word inside a longer phrase", "password of the eastern pier", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPassword("password", tt.password, "dana@example.com")
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput || ae.Field != "password" {
				t.Fatalf("checkPassword(%q) = %v; want BAD_USER_INPUT on password", tt.password, err)
			}
		})
	}
}

func TestCommonPasswordListIsUsable(t *testing.T) {
	n := 0
	for p := range commonPasswords {
		n++
		if p != strings.ToLower(strings.TrimSpace(p)) || p == "" {
			t.Errorf("list entry %q is not in the form it is compared in", p)
		}
	}
	if n < 300 {
		t.Fatalf("%d common passwords; the list is meant to hold a few hundred at least", n)
	}
}
