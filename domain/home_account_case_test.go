package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// entraShaped is a home account id in Entra's uid.utid shape.
const entraShaped = "0000aaaa-0000-4000-8000-00000000000a.72f988bf-86f1-41af-91ab-2d7cd011db47"

func TestAuthority_SameHomeAccountID(t *testing.T) {
	for _, tc := range []struct {
		authority string
		kind      domain.AuthorityKind
		x, y      string
		want      bool
	}{
		{"https://login.microsoftonline.com/common", domain.AuthorityAuto, entraShaped, strings.ToUpper(entraShaped), true},
		{"https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/b2c_1_signin", domain.AuthorityAuto, entraShaped, strings.ToUpper(entraShaped), true},
		// DESIGN §3: an OIDC sub is case-sensitive, whatever it looks like.
		{"https://idp.example/realms/a", domain.AuthorityOIDC, entraShaped, strings.ToUpper(entraShaped), false},
		{"https://idp.example/realms/a", domain.AuthorityOIDC, "Alice", "alice", false},
		{"https://idp.example/realms/a", domain.AuthorityOIDC, entraShaped, entraShaped, true},
	} {
		a, err := domain.ParseAuthority(tc.authority, tc.kind)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.SameHomeAccountID(tc.x, tc.y); got != tc.want {
			t.Errorf("%s: SameHomeAccountID(%q, %q) = %v; want %v", tc.authority, tc.x, tc.y, got, tc.want)
		}
		if got := a.FoldHomeAccountID(tc.x) == a.FoldHomeAccountID(tc.y); got != tc.want {
			t.Errorf("%s: FoldHomeAccountID(%q) == FoldHomeAccountID(%q) is %v; want %v", tc.authority, tc.x, tc.y, got, tc.want)
		}
		claims := domain.IDTokenClaims{Subject: tc.y}
		if got := a.IDTokenIsAbout(claims, tc.x, ""); got != tc.want {
			t.Errorf("%s: IDTokenIsAbout(sub %q, %q) = %v; want %v", tc.authority, tc.y, tc.x, got, tc.want)
		}
	}
}

// A refresh response about another subject than the account refreshed is refused on an
// OIDC issuer even when the two differ only in case and look like Entra ids.
func TestBuildCacheWrite_OIDCSubjectInAnotherCaseIsAnotherAccount(t *testing.T) {
	oidc, err := domain.ParseAuthority("https://idp.example/realms/a", domain.AuthorityOIDC)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	acct := domain.Account{HomeAccountID: entraShaped, Environment: oidc.Host, Realm: "realms/a"}
	resp := domain.TokenResponse{AccessToken: "at", TokenType: "Bearer", ExpiresIn: time.Hour}
	for _, sub := range []string{strings.ToUpper(entraShaped), entraShaped} {
		claims := domain.IDTokenClaims{Issuer: "https://idp.example/realms/a", Subject: sub, Audience: []string{"c"}, Expiry: now.Add(time.Hour)}
		_, _, err = domain.BuildCacheWrite(resp, domain.ResponseContext{Authority: oidc, ClientID: "c", Account: &acct, Claims: &claims, Now: now})
		if want := sub != entraShaped; errors.Is(err, domain.ErrInvalidIDToken) != want {
			t.Errorf("BuildCacheWrite for %q with an ID token about %q = %v; want refused: %v", entraShaped, sub, err, want)
		}
	}
}

func TestIDTokenClaims_Servable(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const skew = 5 * time.Minute
	for _, tc := range []struct {
		name     string
		iat, exp time.Time
		want     bool
	}{
		{"an hour", now, now.Add(time.Hour), true},
		{"no iat, an hour", time.Time{}, now.Add(time.Hour), true},
		{"iat within the skew", now.Add(skew), now.Add(time.Hour), true},
		{"lifetime at the cap", now, now.Add(domain.MaxTokenLifetime), true},
		{"iat in the future", now.Add(skew + time.Second), now.Add(time.Hour), false},
		{"lifetime over the cap", now, now.Add(domain.MaxTokenLifetime + time.Second), false},
		{"no iat, exp beyond the cap", time.Time{}, now.Add(domain.MaxTokenLifetime + time.Second), false},
		{"old iat, a lifetime over the cap", now.Add(-domain.MaxTokenLifetime), now.Add(time.Hour), false},
	} {
		c := domain.IDTokenClaims{IssuedAt: tc.iat, Expiry: tc.exp}
		if why := c.Servable(now, skew); (why == "") != tc.want {
			t.Errorf("%s: Servable = %q; want servable %v", tc.name, why, tc.want)
		}
	}
}

// JoinKey never makes two different field lists one key, whatever bytes the fields hold
// (a separator, a digit and colon that look like a length prefix).
func TestJoinKey_isUnambiguous(t *testing.T) {
	lists := [][]string{
		{"a\x1fb", "h"}, {"a", "b\x1fh"}, {"a\x1fb\x1fh"},
		{"1:a", ""}, {"", "1:a"}, {"1:a"}, {"", "", "a"},
		{}, {""}, {"", ""},
	}
	seen := map[string][]string{}
	for _, l := range lists {
		k := domain.JoinKey(l...)
		if prev, ok := seen[k]; ok {
			t.Errorf("JoinKey(%q) = JoinKey(%q) = %q; want distinct keys", l, prev, k)
		}
		seen[k] = l
	}
}
