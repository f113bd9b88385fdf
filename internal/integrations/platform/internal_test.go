package platform

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
	}{
		{"seconds", "3", 3 * time.Second},
		{"seconds with spaces", " 10 ", 10 * time.Second},
		{"HTTP date", "Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second},
		{"HTTP date in the past", "Sun, 01 Mar 2026 11:00:00 GMT", 0},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"huge does not overflow", "99999999999999999", time.Duration(int64(1<<63-1)/int64(time.Second)) * time.Second},
		{"garbage", "soon", 0},
		{"absent", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestBackoffStaysWithinBounds(t *testing.T) {
	c := &Caller{opts: Options{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second}.WithDefaults()}
	tests := []struct {
		attempt int
		step    time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{100, time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("attempt %d", tt.attempt), func(t *testing.T) {
			for range 200 {
				if d := c.backoff(tt.attempt); d < tt.step/2 || d > tt.step {
					t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.step/2, tt.step)
				}
			}
		})
	}
}

func TestReasonSanitizes(t *testing.T) {
	c := &Caller{secret: "k3y/with+chars"}
	tests := []struct {
		name, in, want string
	}{
		{"plain", "bad request", "bad request"},
		{"control characters become spaces", "line1\nline2\tend", "line1 line2 end"},
		{"secret redacted", "key k3y/with+chars refused", "key [REDACTED] refused"},
		{"query-escaped secret redacted", "url ?k=k3y%2Fwith%2Bchars", "url ?k=[REDACTED]"},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.reason(tt.in); got != tt.want {
				t.Errorf("reason(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("long text is cut on a rune boundary", func(t *testing.T) {
		got := c.reason(strings.Repeat("é", 600))
		if len(got) > maxReasonBytes+len("…") || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "é") {
			t.Errorf("reason cut badly: %d bytes", len(got))
		}
		for _, r := range got {
			if r == '\uFFFD' {
				t.Fatal("cut split a rune")
			}
		}
	})
}
