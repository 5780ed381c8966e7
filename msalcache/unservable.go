package msalcache

import (
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// knownTokenTypes are the token_type values other than Bearer that MSAL writers are
// known to cache, named in the report as they are. Any other value is described, not
// quoted: a report never repeats a field's value that a writer may have misfiled.
var knownTokenTypes = []string{"pop", "ssh-cert"}

// served reports whether a silent call may return an access token of tokenType: hexauth
// presents bearer tokens only (RFC 6750), and the schema's default is Bearer.
func served(tokenType string) bool { return strings.EqualFold(tokenType, "Bearer") }

// unservable lists the kept access tokens that silent calls will never return (a
// token_type other than Bearer), each under the document key it was filed under.
// They are imported all the same, so that an export gives them back to their writer.
func unservable(kept []domain.AccessToken, cs []candidate[domain.AccessToken]) []Skipped {
	var out []Skipped
	for _, at := range kept {
		if served(at.TokenType) {
			continue
		}
		out = append(out, Skipped{Section: SectionAccessToken, Key: srcKeyOf(at, cs), Reason: unservableReason(at.TokenType)})
	}
	slices.SortFunc(out, func(a, b Skipped) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// srcKeyOf returns the document key of the candidate dedupe kept for at: the best of
// those with at's key and values.
func srcKeyOf(at domain.AccessToken, cs []candidate[domain.AccessToken]) string {
	var best *candidate[domain.AccessToken]
	for i := range cs {
		c := &cs[i]
		if c.id != at.KeyFields() || c.v.TokenType != at.TokenType || !c.v.CachedAt.Equal(at.CachedAt) || c.v.Secret != at.Secret {
			continue
		}
		if best == nil || better(*c, *best, preferAccessToken) {
			best = c
		}
	}
	if best == nil {
		return at.Key()
	}
	return best.srcKey
}

func unservableReason(tokenType string) string {
	name := "a token_type other than Bearer"
	for _, k := range knownTokenTypes {
		if strings.EqualFold(tokenType, k) {
			name = "token_type " + k
		}
	}
	return name + ": hexauth serves Bearer tokens only; the token is kept and exported, never returned by a silent call"
}
