package sqlcache

import (
	"slices"
	"testing"
)

func TestSplitFields(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want []string
	}{
		{"a\x1fb\x1fc", 3, []string{"a", "b", "c"}},
		{"\x1f\x1f", 3, []string{"", "", ""}},
		{"only", 1, []string{"only"}},
		{"a\x1fb", 3, nil},           // too few
		{"a\x1fb\x1fc\x1fd", 3, nil}, // too many: a separator inside a field
		{"a\x1fb", 1, nil},
	}
	for _, tt := range tests {
		f := make([]string, tt.n)
		ok := SplitFields(tt.in, f)
		if ok != (tt.want != nil) || (ok && !slices.Equal(f, tt.want)) {
			t.Errorf("SplitFields(%q, %d) = %q, %v; want %q", tt.in, tt.n, f, ok, tt.want)
		}
	}
}
