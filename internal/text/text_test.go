package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateNeverBreaksUTF8(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	for n := 0; n <= 21; n++ {
		got := Truncate(s, n)
		if !utf8.ValidString(got) || len(got) > n || len(got) < n-1 {
			t.Errorf("Truncate(%d) = %q (%d bytes)", n, got, len(got))
		}
	}
	if got := Truncate("a\xffb", 10); got != "a\uFFFDb" {
		t.Errorf("invalid bytes: %q", got)
	}
}

func TestShorten(t *testing.T) {
	if got := Shorten("abc", 3); got != "abc" {
		t.Errorf("at the edge: %q", got)
	}
	if got := Shorten("abcd", 3); got != "abc…" {
		t.Errorf("one past: %q", got)
	}
}
