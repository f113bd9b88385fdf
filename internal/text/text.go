// Package text holds the string helpers every module needs when it stores
// or quotes what a client sent: cutting to a byte budget without breaking
// UTF-8 (Truncate), with a mark where it was cut for messages (Shorten).
package text

import (
	"strings"
	"unicode/utf8"
)

// QuoteBytes is how much of a client's input a message quotes.
const QuoteBytes = 40

// Truncate returns s as valid UTF-8 of at most n bytes, cut at a rune
// boundary; invalid bytes become U+FFFD first. Use it before storing.
func Truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Shorten is Truncate with "…" appended when s was cut. Use it in messages.
func Shorten(s string, n int) string {
	t := Truncate(s, n)
	if len(t) < len(strings.ToValidUTF8(s, "\uFFFD")) {
		return t + "…"
	}
	return t
}
