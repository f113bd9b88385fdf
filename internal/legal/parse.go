package legal

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/omnify/bff/internal/apperr"
)

// Limits on published documents.
const (
	// MaxTitleLength is the longest title, in characters.
	MaxTitleLength = 200
	// MaxBodyBytes is the largest body, in bytes.
	MaxBodyBytes = 512 << 10
)

// Header is the optional header of a document file:
//
//	---
//	kind: TERMS_OF_SERVICE
//	version: 1
//	title: Omnify Terms of Service
//	---
//
// Fields absent from the header are zero.
type Header struct {
	// Kind is the document's kind.
	Kind Kind
	// Version is the document's version; 0 when not given.
	Version int
	// Title is the document's title.
	Title string
}

// ParseDocument splits a document file into its header and Markdown body.
// A file whose first line is not "---" has no header and is all body. The
// header holds "key: value" lines with the keys kind, version and title, each
// at most once, and ends with a line "---". The body has its line endings
// normalized to "\n", leading blank lines and trailing white space removed,
// and ends with one newline.
//
// Errors are BAD_USER_INPUT with a message naming the line at fault: an
// unclosed header, an unknown or repeated key, an unknown kind, a version
// that is not a positive integer, an empty title or body, a body that is not
// UTF-8 or larger than MaxBodyBytes.
func ParseDocument(data []byte) (Header, string, error) {
	var h Header
	text := strings.ReplaceAll(string(bytes.TrimPrefix(data, []byte("\uFEFF"))), "\r\n", "\n")
	if !utf8.ValidString(text) {
		return h, "", apperr.Invalid("body", "the document is not valid UTF-8 text")
	}
	lines := strings.Split(text, "\n")
	bodyStart := 0
	if strings.TrimRight(lines[0], " \t") == "---" {
		closed := false
		seen := map[string]bool{}
		for i := 1; i < len(lines); i++ {
			line := strings.TrimSpace(lines[i])
			n := i + 1
			if line == "---" {
				closed = true
				bodyStart = i + 1
				break
			}
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, value, ok := strings.Cut(line, ":")
			if !ok {
				return h, "", apperr.Invalid("body", "line %d: want \"key: value\" in the header, got %q", n, line)
			}
			key, value = strings.ToLower(strings.TrimSpace(key)), unquote(strings.TrimSpace(value))
			if seen[key] {
				return h, "", apperr.Invalid("body", "line %d: %q appears twice in the header", n, key)
			}
			seen[key] = true
			switch key {
			case "kind":
				h.Kind = Kind(value)
				if !h.Kind.Valid() {
					return h, "", apperr.Invalid("body", "line %d: unknown kind %q; want one of %s", n, value, kindList())
				}
			case "version":
				v, err := strconv.Atoi(value)
				if err != nil || v < 1 {
					return h, "", apperr.Invalid("body", "line %d: version must be a positive integer, got %q", n, value)
				}
				h.Version = v
			case "title":
				if err := checkTitle(value); err != nil {
					return h, "", apperr.Invalid("body", "line %d: %s", n, err.Message)
				}
				h.Title = value
			default:
				return h, "", apperr.Invalid("body", "line %d: unknown header key %q; want kind, version or title", n, key)
			}
		}
		if !closed {
			return h, "", apperr.Invalid("body", "the header that starts on line 1 is not closed by a line \"---\"")
		}
	}
	body := normalizeBody(strings.Join(lines[bodyStart:], "\n"))
	if err := checkBody(body); err != nil {
		return h, "", err
	}
	return h, body, nil
}

// normalizeBody turns CRLF line endings into LF, drops leading blank lines
// and trailing white space, and ends the text with one newline. A body of
// only white space becomes empty.
func normalizeBody(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.TrimRight(body, " \t\r\n")
	for {
		first, rest, ok := strings.Cut(body, "\n")
		if !ok || strings.TrimSpace(first) != "" {
			break
		}
		body = rest
	}
	if strings.TrimSpace(body) == "" {
		return ""
	}
	return body + "\n"
}

// checkBody validates a normalized body.
func checkBody(body string) *apperr.Error {
	switch {
	case body == "":
		return apperr.Invalid("body", "the document body is empty")
	case !utf8.ValidString(body):
		return apperr.Invalid("body", "the document body is not valid UTF-8 text")
	case len(body) > MaxBodyBytes:
		return apperr.Invalid("body", "the document body has %d bytes; the limit is %d", len(body), MaxBodyBytes)
	}
	return nil
}

// checkTitle validates a trimmed title.
func checkTitle(title string) *apperr.Error {
	switch {
	case title == "":
		return apperr.Invalid("title", "the title is empty")
	case !utf8.ValidString(title):
		return apperr.Invalid("title", "the title is not valid UTF-8 text")
	case utf8.RuneCountInString(title) > MaxTitleLength:
		return apperr.Invalid("title", "the title is longer than %d characters", MaxTitleLength)
	case strings.ContainsAny(title, "\n\r"):
		return apperr.Invalid("title", "the title must be a single line")
	}
	return nil
}

// unquote removes one pair of matching surrounding quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// kindList names the known kinds for messages.
func kindList() string {
	ks := Kinds()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// checkKind returns BAD_USER_INPUT on field "kind" for an unknown kind.
func checkKind(kind Kind) *apperr.Error {
	if !kind.Valid() {
		return apperr.Invalid("kind", "unknown document kind %q; want one of %s", kind, kindList())
	}
	return nil
}
