package app

import (
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// refreshConflicts' order rules, token by token: an undated (stamped) document token
// goes after the live stored token of an alias host, yet still replaces the stored
// token of its own key; a dated newer one goes first; the resolutions say so.
func TestRefreshConflicts_aliasAndOwnKey(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	now := t0.Add(3 * time.Hour)
	rt := func(env, secret string, at time.Time) domain.RefreshToken {
		return domain.RefreshToken{HomeAccountID: "u.t", Environment: env, ClientID: "app", Secret: domain.Secret(secret), CachedAt: at}
	}
	const wn, mo = "login.windows.net", "login.microsoftonline.com"
	for _, tc := range []struct {
		name      string
		stored    []domain.RefreshToken
		doc       domain.RefreshToken
		wantAt    time.Time
		wantAlias string
		wantOwn   string // "" for no conflict of its own key
	}{
		{"undated, live alias stored", []domain.RefreshToken{rt(mo, "live", t0.Add(time.Hour))}, rt(wn, "doc", now),
			t0.Add(time.Hour - time.Second), msalcache.ResolutionAliasStoredFirst, ""},
		{"undated, live alias and an older twin of its key", []domain.RefreshToken{rt(mo, "live", t0.Add(time.Hour)), rt(wn, "old", t0)}, rt(wn, "doc", now),
			t0.Add(time.Hour - time.Second), msalcache.ResolutionAliasStoredFirst, msalcache.ResolutionReplaced},
		{"undated, its own twin newer than the alias", []domain.RefreshToken{rt(mo, "alias", t0), rt(wn, "old", t0.Add(time.Hour))}, rt(wn, "doc", now),
			t0.Add(time.Hour), msalcache.ResolutionAliasDocumentFirst, msalcache.ResolutionReplaced},
		{"dated newer than the alias", []domain.RefreshToken{rt(mo, "live", t0)}, rt(wn, "doc", t0.Add(time.Hour)),
			t0.Add(time.Hour), msalcache.ResolutionAliasDocumentFirst, ""},
		{"dated older than the alias", []domain.RefreshToken{rt(mo, "live", t0.Add(time.Hour))}, rt(wn, "doc", t0),
			t0, msalcache.ResolutionAliasStoredFirst, ""},
		{"same secret under the alias is no conflict", []domain.RefreshToken{rt(mo, "doc", t0)}, rt(wn, "doc", now), now, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := []domain.RefreshToken{tc.doc}
			_, got := refreshConflicts(tc.stored, doc, now)
			if !doc[0].CachedAt.Equal(tc.wantAt) {
				t.Errorf("document token dated %v; want %v", doc[0].CachedAt, tc.wantAt)
			}
			var alias, own string
			for _, c := range got {
				if c.StoredKey != "" {
					alias = c.Resolution
				} else {
					own = c.Resolution
				}
			}
			if alias != tc.wantAlias || own != tc.wantOwn {
				t.Errorf("conflicts = %v; want alias %q, own key %q", got, tc.wantAlias, tc.wantOwn)
			}
		})
	}
}
