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

// TestRefreshConflicts_collidingKeyIsAnotherToken: a stored refresh token of subject
// "x-y" on host "z.example" shares its key with the document's token of subject "x" on
// "y-z.example"; it is another person's, so the document's token neither conflicts with
// it nor records its secret as spent.
func TestRefreshConflicts_collidingKeyIsAnotherToken(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	stored := domain.RefreshToken{HomeAccountID: "x-y", Environment: "z.example", ClientID: "app", Secret: "theirs", CachedAt: t0}
	doc := []domain.RefreshToken{{HomeAccountID: "x", Environment: "y-z.example", ClientID: "app", Secret: "mine", CachedAt: t0}}
	if stored.Key() != doc[0].Key() {
		t.Fatalf("fixture: keys %q and %q; want one", stored.Key(), doc[0].Key())
	}
	kept, got := refreshConflicts([]domain.RefreshToken{stored}, doc, t0.Add(time.Hour))
	if len(got) != 0 {
		t.Errorf("conflicts = %v; want none", got)
	}
	if len(kept) != 1 || kept[0].Supersedes(stored.Secret) {
		t.Errorf("kept %d tokens, the document's recording the other person's token as spent: %v; want 1, recording nothing", len(kept), len(kept) == 1 && kept[0].Supersedes(stored.Secret))
	}
}
