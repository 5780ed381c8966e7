package conformance

import (
	"fmt"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// The hosts of one Entra cloud, as MSAL .NET spreads one account over them: the account
// record under login.microsoft.com, its tokens under login.windows.net and
// sts.windows.net (DESIGN §3: aliases match each other on every path).
const (
	aliasAccountEnv = "login.microsoft.com"
	aliasTokenEnv   = "login.windows.net"
	aliasIDTokenEnv = "sts.windows.net"
	aliasConfigured = "login.microsoftonline.com"
	// otherCloud is another Entra cloud: never an alias of the hosts above.
	otherCloud = "login.microsoftonline.us"
)

// dotnetShaped writes, for client, an account of home spread over three alias hosts as
// MSAL .NET leaves it, and returns what was written.
func dotnetShaped(t *testing.T, s ports.CacheStore, home, client string) domain.CacheWrite {
	t.Helper()
	a := who{partition: "p", home: home, env: aliasAccountEnv, realm: "tenant", client: client, username: home + "@x"}
	tok := a
	tok.env = aliasTokenEnv
	idw := a
	idw.env = aliasIDTokenEnv
	acct, at, rt, idt := a.account(), tok.accessToken("read", home), tok.refreshToken(home, base), idw.idToken(home)
	w := domain.CacheWrite{Partition: "p", Account: &acct, AccessToken: &at, RefreshToken: &rt, IDToken: &idt}
	mustWrite(t, s, w)
	return w
}

func aliasCases() []storeCase {
	return []storeCase{
		{"AccountsClientFilterAcrossAliases", func(t *testing.T, s ports.CacheStore) {
			dotnetShaped(t, s, "h", "c")
			rule := "the client's tokens under an alias of the account's host count (DESIGN §3)"
			want := "h@" + aliasAccountEnv
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c"}, rule, want)
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c", Environments: []string{aliasConfigured}}, rule+", filtered by another alias", want)
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c", Username: "H@x"}, rule+", with the username filter", want)
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "other"}, "another client's tokens do not count")
		}},
		{"AccountsOfAnotherCloudAreNotAliases", func(t *testing.T, s ports.CacheStore) {
			a := who{partition: "p", home: "h", env: otherCloud, realm: "tenant", username: "h@x"}.account()
			tok := who{partition: "p", home: "h", env: aliasTokenEnv, realm: "tenant", client: "c"}.refreshToken("x", base)
			mustWrite(t, s, domain.CacheWrite{Partition: "p", Account: &a, RefreshToken: &tok})
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "c"}, "a token of another cloud does not make the account the client's")
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", Environments: []string{aliasConfigured}}, "another cloud is not an alias")
		}},
		{"FindThroughAnyAlias", func(t *testing.T, s ports.CacheStore) {
			w := dotnetShaped(t, s, "h", "c")
			for _, env := range []string{aliasConfigured, aliasAccountEnv, aliasTokenEnv, "STS.Windows.NET"} {
				q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", Environments: []string{env}, ClientID: "c"}
				sameFound(t, fmt.Sprintf("Find(%+v) (every alias of the host matches)", q), mustFind(t, s, q), entriesOf(w))
			}
			q := domain.CacheQuery{Partition: "p", HomeAccountID: "h", Environments: []string{otherCloud}, ClientID: "c"}
			sameFound(t, fmt.Sprintf("Find(%+v) (another cloud is not an alias)", q), mustFind(t, s, q), domain.CacheEntries{})
		}},
		{"RemoveAccountThroughEitherAlias", func(t *testing.T, s ports.CacheStore) {
			for _, env := range []string{aliasAccountEnv, aliasTokenEnv, aliasConfigured} {
				t.Run(env, func(t *testing.T) {
					home := "h-" + env
					w := dotnetShaped(t, s, home, "c")
					theirs := who{partition: "p", home: home, env: aliasTokenEnv, realm: "tenant", client: "theirs"}.refreshToken("theirs", base)
					mustWrite(t, s, domain.CacheWrite{Partition: "p", RefreshToken: &theirs})
					r := domain.AccountRemoval{Partition: "p", HomeAccountID: home, Environments: []string{env}, ClientID: "c"}
					mustRemove(t, s, r)
					q := domain.CacheQuery{Partition: "p", HomeAccountID: home}
					sameFound(t, fmt.Sprintf("Find(%+v) after RemoveAccount(%+v) (the client's tokens removed under every alias; another client's kept, and the record it keeps under an alias, ADR 0020)", q, r),
						mustFind(t, s, q), domain.CacheEntries{RefreshTokens: []domain.RefreshToken{theirs}, Accounts: []domain.Account{*w.Account}})
					r.ClientID = "theirs"
					mustRemove(t, s, r)
					sameFound(t, fmt.Sprintf("Find(%+v) after RemoveAccount(%+v) too (every alias removed)", q, r),
						mustFind(t, s, q), domain.CacheEntries{})
				})
			}
		}},
		{"AccountsFamilyRefreshTokenOfAnotherClient", func(t *testing.T, s ports.CacheStore) {
			fam := who{partition: "p", home: "fam", env: aliasAccountEnv, realm: "tenant", username: "fam@x"}.account()
			frt := who{partition: "p", home: "fam", env: aliasTokenEnv, client: "office"}.refreshToken("fam", base)
			frt.FamilyID = "1"
			own := who{partition: "p", home: "own", env: aliasAccountEnv, realm: "tenant", username: "own@x"}.account()
			ort := who{partition: "p", home: "own", env: aliasTokenEnv, client: "office"}.refreshToken("own", base)
			mustWrite(t, s, domain.CacheWrite{Partition: "p", Account: &fam, RefreshToken: &frt})
			mustWrite(t, s, domain.CacheWrite{Partition: "p", Account: &own, RefreshToken: &ort})
			rule := "a family refresh token of another client, under an alias, makes the account visible to the family"
			for _, family := range []string{"1", domain.AnyFamily} {
				wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "teams", Family: family}, rule, "fam@"+aliasAccountEnv)
			}
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "teams", Family: "2"}, "another family's token does not")
			wantAccounts(t, s, domain.AccountFilter{Partition: "p", ClientID: "teams"}, "without Family, only the client's own tokens count")
		}},
		{"RemoveAccountSparesAnotherCloud", func(t *testing.T, s ports.CacheStore) {
			us := who{partition: "p", home: "h", env: otherCloud, realm: "tenant", client: "c", username: "h@x"}
			w := us.write("us")
			w.AppMetadata = nil
			mustWrite(t, s, w)
			r := domain.AccountRemoval{Partition: "p", HomeAccountID: "h", Environments: []string{aliasConfigured}, ClientID: "c"}
			mustRemove(t, s, r)
			q := domain.CacheQuery{Partition: "p", HomeAccountID: "h"}
			sameFound(t, fmt.Sprintf("Find(%+v) after RemoveAccount(%+v) (another cloud is not an alias)", q, r), mustFind(t, s, q), entriesOf(w))
		}},
	}
}
