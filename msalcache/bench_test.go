package msalcache_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// bigSnapshot has n accounts, each with an access, refresh and ID token.
func bigSnapshot(n int) domain.CacheSnapshot {
	var s domain.CacheSnapshot
	now := time.Unix(1_700_000_000, 0).UTC()
	for i := range n {
		home := fmt.Sprintf("uid-%06d.utid", i)
		env := "login.microsoftonline.com"
		s.AccessTokens = append(s.AccessTokens, domain.AccessToken{HomeAccountID: home, Environment: env, ClientID: "app",
			Realm: "utid", Target: "User.Read Mail.Read", Secret: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.access.token", TokenType: "Bearer",
			CachedAt: now, ExpiresOn: now.Add(time.Hour), ExtendedExpiresOn: now.Add(time.Hour)})
		s.RefreshTokens = append(s.RefreshTokens, domain.RefreshToken{HomeAccountID: home, Environment: env, ClientID: "app",
			Target: "User.Read Mail.Read", Secret: "0.AAAA-refresh-token", CachedAt: now})
		s.IDTokens = append(s.IDTokens, domain.IDToken{HomeAccountID: home, Environment: env, ClientID: "app", Realm: "utid",
			Secret: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.id.token"})
		s.Accounts = append(s.Accounts, domain.Account{HomeAccountID: home, Environment: env, Realm: "utid",
			LocalAccountID: home[:10], Username: home + "@example.com", AuthorityType: "MSSTS"})
	}
	return s
}

func BenchmarkEncode_1000Accounts(b *testing.B) {
	s := bigSnapshot(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msalcache.Encode(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode_1000Accounts(b *testing.B) {
	doc, err := msalcache.Encode(bigSnapshot(1000))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msalcache.Decode(doc); err != nil {
			b.Fatal(err)
		}
	}
}
