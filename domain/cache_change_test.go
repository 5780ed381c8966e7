package domain_test

import (
	"slices"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestChangeKey(t *testing.T) {
	k := domain.ChangeKey("p", "Alice")
	if len(k) != domain.ChangeKeyLen {
		t.Fatalf("len(ChangeKey) = %d; want %d", len(k), domain.ChangeKeyLen)
	}
	entra := "0b1c2d3e-0000-4000-8000-000000000001.72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, tt := range []struct {
		name       string
		a, b       [2]string
		wantSameID bool
	}{
		{"an OIDC subject is case-sensitive", [2]string{"p", "Alice"}, [2]string{"p", "alice"}, false},
		{"an Entra id is not", [2]string{"p", entra}, [2]string{"p", "0B1C2D3E-0000-4000-8000-000000000001.72F988BF-86F1-41AF-91AB-2D7CD011DB47"}, true},
		{"partitions apart", [2]string{"p1", "a"}, [2]string{"p2", "a"}, false},
		{"no field passes for another", [2]string{"ab", "c"}, [2]string{"a", "bc"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x, y := domain.ChangeKey(tt.a[0], tt.a[1]), domain.ChangeKey(tt.b[0], tt.b[1])
			if (x == y) != tt.wantSameID {
				t.Errorf("ChangeKey(%q) == ChangeKey(%q) is %v; want %v", tt.a, tt.b, x == y, tt.wantSameID)
			}
		})
	}
}

func TestCacheWrite_ChangedAccounts(t *testing.T) {
	at := domain.AccessToken{HomeAccountID: "Alice", Environment: "login.example.com", ClientID: "c", Realm: "r", Target: "read"}
	own := at
	own.Target = "write"
	other := at
	other.HomeAccountID = "Alice-x"
	otherHost := at
	otherHost.Environment = "login.other.com"
	// Keys join fields with unescaped dashes: this token's key starts as other's does
	// ("Alice-x-login.example.com-accesstoken-"), yet other is another account's.
	collides := at
	collides.Environment = "x-login.example.com"
	for _, tt := range []struct {
		name    string
		w       domain.CacheWrite
		want    []string
		wantAll bool
	}{
		{"the written account", domain.CacheWrite{AccessToken: &at, Account: &domain.Account{HomeAccountID: "Alice"}}, []string{"Alice"}, false},
		{"superseding its own token", domain.CacheWrite{AccessToken: &at, DeleteAccessTokens: [][6]string{own.KeyFields()}}, []string{"Alice"}, false},
		{"superseding another account's token (its id extends this one's)", domain.CacheWrite{AccessToken: &at, DeleteAccessTokens: [][6]string{other.KeyFields()}}, nil, true},
		{"superseding the account's token on another host", domain.CacheWrite{AccessToken: &at, DeleteAccessTokens: [][6]string{otherHost.KeyFields()}}, []string{"Alice"}, false},
		{"deleting another account's token whose key has this one's prefix", domain.CacheWrite{AccessToken: &collides, DeleteAccessTokens: [][6]string{other.KeyFields()}}, nil, true},
		{"deleting with no access token written", domain.CacheWrite{Account: &domain.Account{HomeAccountID: "Alice"}, DeleteAccessTokens: [][6]string{own.KeyFields()}}, nil, true},
		{"two accounts", domain.CacheWrite{AccessToken: &at, IDToken: &domain.IDToken{HomeAccountID: "Bob"}}, []string{"Alice", "Bob"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, all := tt.w.ChangedAccounts()
			if !slices.Equal(got, tt.want) || all != tt.wantAll {
				t.Errorf("ChangedAccounts() = %q, %v; want %q, %v", got, all, tt.want, tt.wantAll)
			}
		})
	}
}
