package platform

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// LooseString decodes a JSON string, number or boolean into its text, and
// null, an object or an array into "". The platforms document most fields as
// strings but do not promise it, and one odd value must not fail a page of
// otherwise good records.
type LooseString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *LooseString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		*s = ""
		return nil
	}
	switch data[0] {
	case '"':
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*s = LooseString(v)
	case 'n', '{', '[':
		*s = ""
	default:
		*s = LooseString(data)
	}
	return nil
}

// ParseTime reads the timestamp forms these platforms send: RFC 3339 with or
// without fractional seconds, the same without a zone (taken as UTC), a bare
// date (midnight UTC), or Unix milliseconds (12 digits or more, so a bare
// year is not mistaken for 1970). ok is false for anything else,
// so a caller can leave the field empty instead of failing.
func ParseTime(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) >= 12 {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}
