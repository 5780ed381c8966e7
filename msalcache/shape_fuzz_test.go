package msalcache_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// FuzzExportShape: whatever shape (msalcache.ShapeMember) a cache row carries, Encode
// writes an entry that decodes back to the very entry it was given (identity, secret,
// dates): a row's recorded shape must never change what an export says.
func FuzzExportShape(f *testing.F) {
	for _, s := range []string{`{"absent":["realm"]}`, `{"written":{"target":"\"b a\""}}`, `{"written":{"secret":"\"x\""}}`,
		`{"absent":["secret","home_account_id"]}`, `{"written":{"cached_at":"1"}}`, `{"written":{"environment":"\"LOGIN.microsoftonline.com\""}}`} {
		f.Add(s, 0)
		f.Add(s, 1)
		f.Add(s, 2)
	}
	now := time.Unix(1_900_000_000, 0).UTC()
	f.Fuzz(func(t *testing.T, shape string, kind int) {
		if !json.Valid([]byte(shape)) {
			return
		}
		extra := map[string]json.RawMessage{msalcache.ShapeMember: json.RawMessage(shape)}
		var snap domain.CacheSnapshot
		switch kind % 3 {
		case 0:
			snap.AccessTokens = []domain.AccessToken{{HomeAccountID: "u.t", Environment: "login.microsoftonline.com", ClientID: "c", Realm: "t",
				Target: "a b", Secret: "AT-SECRET", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour), Extra: extra}}
		case 1:
			snap.RefreshTokens = []domain.RefreshToken{{HomeAccountID: "u.t", Environment: "login.microsoftonline.com", ClientID: "c",
				FamilyID: "1", Secret: "RT-SECRET", CachedAt: now, Extra: extra}}
		default:
			snap.IDTokens = []domain.IDToken{{HomeAccountID: "u.t", Environment: "login.microsoftonline.com", ClientID: "c", Realm: "t",
				Secret: "ID-SECRET", Extra: extra}}
		}
		doc, err := msalcache.Encode(snap)
		if err != nil {
			return
		}
		back, err := msalcache.Decode(doc)
		if err != nil {
			t.Fatalf("Decode(Encode(entry with shape %s)) = %v", shape, err)
		}
		// The shape is consumed; compare without Extra.
		for i := range back.AccessTokens {
			back.AccessTokens[i].Extra = nil
		}
		for i := range back.RefreshTokens {
			back.RefreshTokens[i].Extra = nil
		}
		for i := range back.IDTokens {
			back.IDTokens[i].Extra = nil
		}
		for i := range snap.AccessTokens {
			snap.AccessTokens[i].Extra = nil
		}
		for i := range snap.RefreshTokens {
			snap.RefreshTokens[i].Extra = nil
		}
		for i := range snap.IDTokens {
			snap.IDTokens[i].Extra = nil
		}
		if d := snapshotDiff(back, snap); d != "" {
			t.Fatalf("shape %s changed the entry: %s", shape, d)
		}
	})
}
