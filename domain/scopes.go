package domain

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reserved OpenID Connect scopes. The engine adds them to every user-flow request,
// ignores them when matching the cache, and accepts them from callers without error.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeOfflineAccess = "offline_access"
)

// ReservedScopes lists the scopes the engine manages itself.
func ReservedScopes() []string { return []string{ScopeOpenID, ScopeProfile, ScopeOfflineAccess} }

// IsReservedScope reports whether s is one of the reserved scopes, ignoring case
// (DESIGN §3): a caller's "OpenID" is the engine's openid, not a resource scope that
// would make every request ask for it twice and never match the cache.
func IsReservedScope(s string) bool {
	return strings.EqualFold(s, ScopeOpenID) || strings.EqualFold(s, ScopeProfile) || strings.EqualFold(s, ScopeOfflineAccess)
}

// NormalizeScopes splits each element on whitespace, drops empty strings and
// duplicates (exact duplicates; see ScopeMatcher for case rules) and returns the result
// sorted. It is the canonical form of a scope set (RFC 6749 §3.3: order-free).
func NormalizeScopes(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if indexSpace(s) >= 0 {
			out = append(out, strings.Fields(s)...)
		} else if s != "" {
			out = append(out, s) // one scope: no need to split it (an allocation a call)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// indexSpace is strings.IndexFunc(s, unicode.IsSpace), with ASCII bytes checked in
// the loop rather than through a function call per byte: scopes are ASCII, and a silent
// hit looks for spaces in each requested scope and in the cached token's target.
func indexSpace(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			if j := strings.IndexFunc(s[i:], unicode.IsSpace); j >= 0 {
				return i + j
			}
			return -1
		}
		if c == ' ' || '\t' <= c && c <= '\r' { // unicode.IsSpace's ASCII spaces
			return i
		}
	}
	return -1
}

// ParseScopes parses a space-delimited scope string (an entry's target or a token
// response's scope).
func ParseScopes(s string) []string {
	out := strings.Fields(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// JoinScopes returns the canonical space-delimited form of a scope set.
func JoinScopes(scopes []string) string { return strings.Join(NormalizeScopes(scopes), " ") }

// RequestScopes validates the scopes a caller asked for and returns them without the
// reserved ones. An empty result is ErrInvalidInput; so is a scope with a character
// outside RFC 6749 §3.3 (scope tokens are %x21 / %x23-5B / %x5D-7E, separated by
// spaces: a tab or a line break would otherwise split or forge a token), more than
// MaxScopeCount scopes or more than MaxScopesBytes in all. The errors never quote a
// scope.
func RequestScopes(in []string) ([]string, error) {
	if err := checkScopeChars(in); err != nil {
		return nil, err
	}
	all := NormalizeScopes(in)
	if len(all) > MaxScopeCount {
		return nil, Errorf(ErrInvalidInput, "more than %d scopes", MaxScopeCount)
	}
	out := slices.DeleteFunc(all, IsReservedScope)
	if len(out) == 0 {
		return nil, Errorf(ErrInvalidInput, "at least one scope other than openid, profile and offline_access is required")
	}
	return out, nil
}

// UserFlowScopes is RequestScopes for user flows (auth code, interactive, device,
// password, refresh token, legacy code, silent), where a list that is empty after the
// reserved scopes are removed is allowed (DESIGN §3 "Scopes"): it is a sign-in for an ID
// token only, and the request carries the reserved scopes alone. The same characters
// and bounds are checked; the result is empty, never nil, for such a sign-in.
func UserFlowScopes(in []string) ([]string, error) {
	if err := checkScopeChars(in); err != nil {
		return nil, err
	}
	all := NormalizeScopes(in)
	if len(all) > MaxScopeCount {
		return nil, Errorf(ErrInvalidInput, "more than %d scopes", MaxScopeCount)
	}
	return slices.DeleteFunc(all, IsReservedScope), nil
}

// checkScopeChars refuses a scope element with a byte that is neither a scope-token
// character (RFC 6749 §3.3) nor the space that separates tokens, and scopes whose
// lengths add up to more than MaxScopesBytes (checked first, so that a huge element is
// not scanned).
func checkScopeChars(in []string) error {
	total := 0
	for _, s := range in {
		total += len(s)
	}
	if total > MaxScopesBytes {
		return Errorf(ErrInvalidInput, "scopes exceed %d bytes in all", MaxScopesBytes)
	}
	for _, s := range in {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c != ' ' && !isScopeChar(c) {
				return Errorf(ErrInvalidInput, "a scope contains a character RFC 6749 §3.3 does not allow")
			}
		}
	}
	return nil
}

// isScopeChar reports whether c may appear in a scope token: %x21 / %x23-5B / %x5D-7E.
func isScopeChar(c byte) bool {
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e)
}

// WithReservedScopes returns scopes plus the reserved OpenID Connect scopes, as sent to
// the provider on user flows.
func WithReservedScopes(scopes []string) []string {
	return NormalizeScopes(append(slices.Clone(scopes), ReservedScopes()...))
}

// ScopeMatcher compares scope sets. Scopes are case-sensitive (RFC 6749 §3.3) unless
// CaseInsensitive is set, as it is for Microsoft Entra authorities (MSAL's behaviour).
// Reserved scopes are ignored on both sides.
type ScopeMatcher struct {
	CaseInsensitive bool
}

func (m ScopeMatcher) norm(s string) string {
	if m.CaseInsensitive {
		return strings.ToLower(s)
	}
	return s
}

// Contains reports whether have covers every non-reserved scope of want.
func (m ScopeMatcher) Contains(have, want []string) bool {
	set := m.set(have)
	for _, w := range want {
		if IsReservedScope(w) {
			continue
		}
		if _, ok := set[m.norm(w)]; !ok {
			return false
		}
	}
	return true
}

// TargetContains reports whether the space-delimited scope string target (an access
// token's) covers every non-reserved scope of want, as Contains(ParseScopes(target),
// want) does, without allocating: a silent cache hit runs it on every cached token.
func (m ScopeMatcher) TargetContains(target string, want []string) bool {
	for _, w := range want {
		if IsReservedScope(w) {
			continue
		}
		if !m.targetHas(target, w) {
			return false
		}
	}
	return true
}

// targetHas reports whether one of target's space-delimited scopes is w.
func (m ScopeMatcher) targetHas(target, w string) bool {
	for rest := target; rest != ""; {
		i := indexSpace(rest)
		var f string
		if i < 0 {
			f, rest = rest, ""
		} else {
			f, rest = rest[:i], rest[i+1:]
		}
		if f != "" && (f == w || (m.CaseInsensitive && strings.EqualFold(f, w))) {
			return true
		}
	}
	return false
}

// Intersects reports whether a and b share a non-reserved scope.
func (m ScopeMatcher) Intersects(a, b []string) bool {
	set := m.set(a)
	for _, s := range b {
		if IsReservedScope(s) {
			continue
		}
		if _, ok := set[m.norm(s)]; ok {
			return true
		}
	}
	return false
}

func (m ScopeMatcher) set(scopes []string) map[string]struct{} {
	set := make(map[string]struct{}, len(scopes))
	for _, s := range scopes {
		set[m.norm(s)] = struct{}{}
	}
	return set
}
