package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

func refreshOrderCases() []storeCase {
	order := func(storedAt, incomingAt time.Time, wantIncoming bool, rule string) func(*testing.T, ports.CacheStore) {
		return func(t *testing.T, s ports.CacheStore) {
			a := who{partition: "p", home: "h", env: "login.example.com", realm: "r", client: "c"}
			stored := a.refreshToken("stored", storedAt)
			mustWrite(t, s, domain.CacheWrite{Partition: "p", RefreshToken: &stored})
			incoming := a.refreshToken("incoming", incomingAt)
			at := a.accessToken("read", "with-incoming")
			w := domain.CacheWrite{Partition: "p", RefreshToken: &incoming, AccessToken: &at}
			mustWrite(t, s, w)
			want := stored
			if wantIncoming {
				want = incoming
			}
			call := fmt.Sprintf("Find(%+v) after writing a refresh token cached at %s over one cached at %s (%s)",
				a.query(), show(incomingAt), show(storedAt), rule)
			got := mustFind(t, s, a.query())
			sameEntries(t, call, "refresh token", got.RefreshTokens, []domain.RefreshToken{want})
			sameEntries(t, call+"; the rest of the write lands", "access token", got.AccessTokens, []domain.AccessToken{at})
		}
	}
	return []storeCase{
		{"OlderNeverReplacesNewer", order(base.Add(time.Hour), base, false, "an older refresh token never replaces a newer one")},
		{"NewerReplaces", order(base, base.Add(time.Second), true, "a newer refresh token replaces an older one")},
		{"EqualReplaces", order(base, base, true, "equal CachedAt replaces")},
		{"ComparedAtSecondPrecision", order(base.Add(900*time.Millisecond), base.Add(100*time.Millisecond), true,
			"CachedAt is compared at second precision, so the same second replaces")},
	}
}
