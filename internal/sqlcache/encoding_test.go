package sqlcache

import (
	"testing"
	"time"
)

func TestFromUnix_roundTrip(t *testing.T) {
	zone := time.FixedZone("x", 3600)
	tests := []struct {
		name string
		in   time.Time
	}{
		{"zero time", time.Time{}},
		{"epoch", time.Unix(0, 0)},
		{"future with nanoseconds in a zone", time.Date(2031, 3, 4, 5, 6, 7, 999_999_999, zone)},
		{"before the epoch", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromUnix(tt.in.Unix())
			if got.IsZero() != tt.in.IsZero() || got.Unix() != tt.in.Unix() {
				t.Errorf("FromUnix(%d) = %v; want the second of %v", tt.in.Unix(), got, tt.in)
			}
			if !got.IsZero() && got.Location() != time.UTC {
				t.Errorf("FromUnix(%d) is in %v; want UTC", tt.in.Unix(), got.Location())
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Login.MicrosoftOnline.COM", "login.microsoftonline.com"},
		{"uid.UTID", "uid.utid"},
		{"ÉCOLE", "école"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
