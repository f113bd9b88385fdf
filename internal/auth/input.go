package auth

import (
	_ "embed"
	"net/mail"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/omnify/bff/internal/apperr"
	"github.com/omnify/bff/internal/text"
)

// Input limits.
const (
	minPassword = 10
	maxPassword = 256
	maxName     = 200
	maxEmail    = 254
)

// canonicalEmail is the one form an email is stored, looked up and
// throttled under. NFKC turns compatibility forms (full-width letters, a
// full-width @, ligatures) into the plain characters they stand for, so
// "ａｌｉｃｅ@example.com" is alice@example.com and cannot become a second
// account that looks the same.
func canonicalEmail(raw string) string {
	return norm.NFKC.String(strings.ToLower(strings.TrimSpace(norm.NFKC.String(raw))))
}

// invisible reports characters that render as nothing (or change how their
// neighbours render) and would let two different addresses look the same:
// controls, format characters (zero-width spaces and joiners, the byte order
// mark, soft hyphens, direction overrides), default-ignorable characters
// (fillers, the combining grapheme joiner), variation selectors, spaces,
// and private-use and unassigned code points.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Z,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector, unicode.Noncharacter_Code_Point) ||
		!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}

func normalizeEmail(field, raw string) (string, error) {
	email := canonicalEmail(raw)
	if email == "" {
		return "", apperr.Invalid(field, "Enter an email address.")
	}
	if len(email) > maxEmail {
		return "", apperr.Invalid(field, "An email address has at most %d characters.", maxEmail)
	}
	if !utf8.ValidString(email) || strings.ContainsFunc(email, invisible) {
		return "", apperr.Invalid(field, "The email address contains invisible or formatting characters; type it again.")
	}
	addr, err := mail.ParseAddress(email)
	at := strings.LastIndexByte(email, '@')
	if err != nil || addr.Address != email || at < 0 {
		return "", apperr.Invalid(field, "%q is not an email address such as name@example.com.", text.Shorten(email, 60))
	}
	domain := email[at+1:]
	if ipDomain(domain) {
		return "", apperr.Invalid(field, "Use an email address at a domain name, not at an IP address.")
	}
	dot := strings.LastIndexByte(domain, '.')
	if dot < 0 || strings.Trim(domain[dot+1:], "0123456789") == "" {
		// No top-level domain is all digits; "a@example.123" and
		// "a@127.1" are mistakes or addresses in disguise.
		return "", apperr.Invalid(field, "%q is not an email address such as name@example.com.", text.Shorten(email, 60))
	}
	return email, nil
}

// ipDomain reports a domain that is an IP address, bracketed ("[127.0.0.1]",
// "[IPv6:::1]") or bare: mail to such addresses bypasses DNS and can name the
// same mailbox in many spellings.
func ipDomain(domain string) bool {
	if strings.HasPrefix(domain, "[") {
		return true
	}
	_, err := netip.ParseAddr(domain)
	return err == nil
}

func checkName(field, what, raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", apperr.Invalid(field, "Enter %s.", what)
	}
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", apperr.Invalid(field, "The %s contains characters that are not allowed.", strings.TrimPrefix(what, "a "))
	}
	if utf8.RuneCountInString(name) > maxName {
		return "", apperr.Invalid(field, "The %s has at most %d characters.", strings.TrimPrefix(strings.TrimPrefix(what, "a "), "an "), maxName)
	}
	return name, nil
}

// blank reports characters that do not make a password any harder to guess
// on their own: whitespace and invisible characters.
func blank(r rune) bool { return unicode.IsSpace(r) || invisible(r) }

// checkPassword applies the password rules: 10 to 256 characters, not
// counting blank ones at either end (so ten spaces, or a short word padded
// with them, is refused); not the email; not one character repeated; and
// not a common password.
func checkPassword(field, password, email string) error {
	core := strings.TrimFunc(password, blank)
	switch {
	case utf8.RuneCountInString(core) < minPassword:
		return apperr.Invalid(field, "A password has at least %d characters, not counting spaces at the start or end.", minPassword)
	case utf8.RuneCountInString(password) > maxPassword:
		return apperr.Invalid(field, "A password has at most %d characters.", maxPassword)
	case strings.EqualFold(core, email):
		return apperr.Invalid(field, "The password may not be your email address.")
	case commonPassword(core):
		return apperr.Invalid(field, "This password is among the most common ones and easy to guess; choose another.")
	}
	return nil
}

// commonPasswordList is a list of passwords and password stems that are
// among the most used, one a line, lower-case; lines starting with # are
// comments.
//
//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords is commonPasswordList as a set; it is read-only.
var commonPasswords = func() map[string]struct{} {
	set := map[string]struct{}{}
	for line := range strings.Lines(commonPasswordList) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			set[line] = struct{}{}
		}
	}
	return set
}()

// commonPassword reports a password that is on the list, ignoring case, or
// that is a listed word with digits and symbols around it ("Dragon2024!"):
// guessing tools try those first.
func commonPassword(p string) bool {
	p = strings.ToLower(p)
	if _, ok := commonPasswords[p]; ok {
		return true
	}
	stem := strings.TrimFunc(p, func(r rune) bool { return !unicode.IsLetter(r) })
	if _, ok := commonPasswords[stem]; ok && stem != "" {
		return true
	}
	first, _ := utf8.DecodeRuneInString(p)
	return strings.Trim(p, string(first)) == ""
}
