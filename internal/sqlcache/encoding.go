package sqlcache

import (
	"strings"
	"time"
)

// zeroUnix is the Unix time of time.Time{}: the zero time is stored as this value and
// read back as time.Time{}, so that "no refresh_on" survives a round trip and still
// orders before every real time.
var zeroUnix = time.Time{}.Unix()

// FromUnix decodes a time stored as t.Unix() (second precision), in UTC; the value
// time.Time{}.Unix() decodes as the zero time.
func FromUnix(s int64) time.Time {
	if s == zeroUnix {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// Fold is the case folding of the *_folded columns: that of cache keys, so that ids
// stored in any case match.
func Fold(s string) string { return strings.ToLower(s) }
