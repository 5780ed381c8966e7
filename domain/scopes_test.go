package domain_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/hexauth/hexauth/domain"
)

func TestNormalizeScopes_canonicalForm(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{name: "nil", in: nil, want: nil},
		{name: "duplicates removed", in: []string{"b", "a", "b", "a"}, want: []string{"a", "b"}},
		{name: "whitespace split", in: []string{" User.Read \tMail.Read\n", "Files.Read"}, want: []string{"Files.Read", "Mail.Read", "User.Read"}},
		{name: "blank elements dropped", in: []string{"", "   ", "\t"}, want: nil},
		{name: "duplicates across elements", in: []string{"a b", "b c"}, want: []string{"a", "b", "c"}},
		{name: "case kept, not merged", in: []string{"User.Read", "user.read"}, want: []string{"User.Read", "user.read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.NormalizeScopes(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("NormalizeScopes(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeScopes_orderFree(t *testing.T) {
	a := domain.JoinScopes([]string{"c", "a b"})
	b := domain.JoinScopes([]string{"b", "c", "a", "c"})
	if a != b || a != "a b c" {
		t.Errorf("JoinScopes of the same set in two orders = %q, %q; want both %q", a, b, "a b c")
	}
	if got := domain.ParseScopes("  b a  a "); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("ParseScopes(%q) = %q; want [a b]", "  b a  a ", got)
	}
}

func TestRequestScopes_reservedAndEmpty(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr bool
	}{
		{name: "nil", in: nil, wantErr: true},
		{name: "blank", in: []string{" ", ""}, wantErr: true},
		{name: "only reserved", in: []string{"openid", "profile offline_access"}, wantErr: true},
		{name: "reserved removed", in: []string{"openid User.Read", "offline_access", "profile"}, want: []string{"User.Read"}},
		{name: "deduplicated and sorted", in: []string{"b a", "a"}, want: []string{"a", "b"}},
		{name: "reserved names ignore case", in: []string{"OpenID Offline_Access", "PROFILE"}, wantErr: true},
		{name: "reserved names ignore case beside a resource scope", in: []string{"OpenID User.Read"}, want: []string{"User.Read"}},
		{name: "tab is not a separator", in: []string{"User.Read\tMail.Read"}, wantErr: true},
		{name: "line break", in: []string{"User.Read\nX-Injected: 1"}, wantErr: true},
		{name: "double quote", in: []string{`a"b`}, wantErr: true},
		{name: "backslash", in: []string{`a\b`}, wantErr: true},
		{name: "non-ASCII", in: []string{"lecture.é"}, wantErr: true},
		{name: "every allowed character", in: []string{"!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~"}, want: []string{"!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~"}},
		{name: "at the count bound", in: numberedScopes(domain.MaxScopeCount), want: normalized(numberedScopes(domain.MaxScopeCount))},
		{name: "past the count bound", in: numberedScopes(domain.MaxScopeCount + 1), wantErr: true},
		{name: "duplicates do not count twice", in: append(numberedScopes(domain.MaxScopeCount), numberedScopes(domain.MaxScopeCount)...), want: normalized(numberedScopes(domain.MaxScopeCount))},
		{name: "at the size bound", in: []string{strings.Repeat("a", domain.MaxScopesBytes)}, want: []string{strings.Repeat("a", domain.MaxScopesBytes)}},
		{name: "past the size bound", in: []string{strings.Repeat("a", domain.MaxScopesBytes/2), strings.Repeat("b", domain.MaxScopesBytes/2+1)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got, err := domain.RequestScopes(tt.in)
			if tt.wantErr {
				var de *domain.Error
				if !errors.Is(err, domain.ErrInvalidInput) || !errors.As(err, &de) {
					t.Fatalf("RequestScopes(%q) error = %v; want *domain.Error of ErrInvalidInput", tt.in, err)
				}
				for _, s := range tt.in {
					if len(s) > 8 && strings.Contains(err.Error(), s[:min(len(s), 32)]) {
						t.Errorf("RequestScopes error %q quotes the input", err)
					}
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("RequestScopes(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("RequestScopes modified its input: got %q; want %q", tt.in, in)
			}
		})
	}
}

func TestWithReservedScopes_addsReserved(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{name: "nil", in: nil, want: []string{"offline_access", "openid", "profile"}},
		{name: "added once", in: []string{"User.Read", "openid"}, want: []string{"User.Read", "offline_access", "openid", "profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.WithReservedScopes(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("WithReservedScopes(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWithReservedScopes_doesNotWriteIntoInput(t *testing.T) {
	backing := make([]string, 4)
	in := backing[:1]
	in[0] = "User.Read"
	domain.WithReservedScopes(in)
	if !slices.Equal(backing, []string{"User.Read", "", "", ""}) {
		t.Errorf("WithReservedScopes wrote into the caller's spare capacity: got %q; want [User.Read   ]", backing)
	}
}

func TestIsReservedScope_names(t *testing.T) {
	for _, s := range domain.ReservedScopes() {
		if !domain.IsReservedScope(s) {
			t.Errorf("IsReservedScope(%q) = false; want true", s)
		}
	}
	for _, s := range []string{"OPENID", "OpenId", "Profile", "OFFLINE_ACCESS"} {
		if !domain.IsReservedScope(s) {
			t.Errorf("IsReservedScope(%q) = false; want true (reserved scopes ignore case, DESIGN §3)", s)
		}
	}
	for _, s := range []string{"", "email", "openid ", "openid2"} {
		if domain.IsReservedScope(s) {
			t.Errorf("IsReservedScope(%q) = true; want false", s)
		}
	}
}

func TestScopeMatcher_Contains(t *testing.T) {
	tests := []struct {
		name            string
		caseInsensitive bool
		have, want      []string
		wantOK          bool
	}{
		{name: "superset", have: []string{"a", "b", "c"}, want: []string{"c", "a"}, wantOK: true},
		{name: "missing one", have: []string{"a"}, want: []string{"a", "b"}, wantOK: false},
		{name: "empty want", have: []string{"a"}, want: nil, wantOK: true},
		{name: "empty have", have: nil, want: []string{"a"}, wantOK: false},
		{name: "case differs, sensitive", have: []string{"User.Read"}, want: []string{"user.read"}, wantOK: false},
		{name: "case differs, insensitive", caseInsensitive: true, have: []string{"User.Read"}, want: []string{"user.READ"}, wantOK: true},
		{name: "reserved in want ignored", have: []string{"a"}, want: []string{"a", "openid", "profile", "offline_access"}, wantOK: true},
		{name: "only reserved wanted", have: nil, want: []string{"openid"}, wantOK: true},
		{name: "reserved in have does not satisfy", have: []string{"openid"}, want: []string{"a"}, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := domain.ScopeMatcher{CaseInsensitive: tt.caseInsensitive}
			if got := m.Contains(tt.have, tt.want); got != tt.wantOK {
				t.Errorf("%+v.Contains(%q, %q) = %v; want %v", m, tt.have, tt.want, got, tt.wantOK)
			}
		})
	}
}

func TestScopeMatcher_Intersects(t *testing.T) {
	tests := []struct {
		name            string
		caseInsensitive bool
		a, b            []string
		want            bool
	}{
		{name: "shared scope", a: []string{"a", "b"}, b: []string{"b", "c"}, want: true},
		{name: "disjoint", a: []string{"a"}, b: []string{"c"}, want: false},
		{name: "empty", a: nil, b: []string{"c"}, want: false},
		{name: "only reserved shared", a: []string{"openid", "a"}, b: []string{"openid", "profile", "b"}, want: false},
		{name: "case differs, sensitive", a: []string{"User.Read"}, b: []string{"user.read"}, want: false},
		{name: "case differs, insensitive", caseInsensitive: true, a: []string{"User.Read"}, b: []string{"USER.read"}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := domain.ScopeMatcher{CaseInsensitive: tt.caseInsensitive}
			if got := m.Intersects(tt.a, tt.b); got != tt.want {
				t.Errorf("%+v.Intersects(%q, %q) = %v; want %v", m, tt.a, tt.b, got, tt.want)
			}
			if got := m.Intersects(tt.b, tt.a); got != tt.want {
				t.Errorf("%+v.Intersects(%q, %q) = %v; want %v (symmetric)", m, tt.b, tt.a, got, tt.want)
			}
		})
	}
}

// numberedScopes returns n distinct scopes.
func numberedScopes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("api://x/s%d", i)
	}
	return out
}

func normalized(in []string) []string { return domain.NormalizeScopes(in) }

// TestScopeMatcher_TargetContains checks the allocation-free match against Contains on
// the parsed target, which it must agree with, case rules included.
func TestScopeMatcher_TargetContains(t *testing.T) {
	cases := []struct {
		target string
		want   []string
	}{
		{"read write", []string{"read"}},
		{"read write", []string{"write", "read"}},
		{"read  write\tdelete", []string{"delete"}},
		{"read write", []string{"Read"}},
		{"READ", []string{"read"}},
		{"readwrite", []string{"read"}},
		{"read", []string{"rea"}},
		{"api://orders/read", []string{"api://orders/read", "openid", "profile"}},
		{"", []string{"read"}},
		{"", []string{"offline_access"}},
		{"read", []string{"read", "write"}},
		{" read ", []string{"read"}},
	}
	for _, ci := range []bool{false, true} {
		m := domain.ScopeMatcher{CaseInsensitive: ci}
		for _, c := range cases {
			want := m.Contains(domain.ParseScopes(c.target), c.want)
			if got := m.TargetContains(c.target, c.want); got != want {
				t.Errorf("ScopeMatcher{CaseInsensitive: %v}.TargetContains(%q, %q) = %v; want %v, as Contains", ci, c.target, c.want, got, want)
			}
		}
	}
	if (domain.ScopeMatcher{}).TargetContains("READ", []string{"read"}) {
		t.Error("a case-sensitive matcher matched READ to read; want no match (RFC 6749 §3.3)")
	}
	if !(domain.ScopeMatcher{CaseInsensitive: true}).TargetContains("READ", []string{"read"}) {
		t.Error("a case-insensitive matcher did not match READ to read; want a match (Entra)")
	}
}

// indexSpace must find what strings.IndexFunc(s, unicode.IsSpace) finds: ASCII spaces
// in the loop, every other Unicode space (NEL, NBSP, the ideographic space) through it.
func TestIndexSpace_matchesUnicodeIsSpace(t *testing.T) {
	for _, s := range []string{"", "User.Read", "a b", "a\tb", "a\nb", "a\vb", "a\fb", "a\rb", "\x1fb\x0e",
		"é\u0085x", "ab\u00a0c", "日本\u3000語", "x\u2028", "\u200bnot-a-space", "api://x/y.z offline_access"} {
		if got, want := domain.IndexSpaceForTest(s), strings.IndexFunc(s, unicode.IsSpace); got != want {
			t.Errorf("indexSpace(%q) = %d; want %d", s, got, want)
		}
	}
}
