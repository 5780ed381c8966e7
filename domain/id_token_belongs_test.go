package domain_test

import (
	"errors"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// An ID token filed under an account must be about that account: for OIDC its sub is the
// home account id; for Entra the home tenant's token carries oid=uid and tid=utid, and a
// guest tenant's token the object id of the account entry in that tenant.
func TestIDTokenClaims_BelongsTo(t *testing.T) {
	const (
		uid   = "11111111-1111-1111-1111-111111111111"
		utid  = "22222222-2222-2222-2222-222222222222"
		guest = "33333333-3333-3333-3333-333333333333"
		goid  = "44444444-4444-4444-4444-444444444444"
		other = "55555555-5555-5555-5555-555555555555"
	)
	home := uid + "." + utid
	for _, tc := range []struct {
		name   string
		c      domain.IDTokenClaims
		homeID string
		local  string
		want   bool
	}{
		{"oidc sub", domain.IDTokenClaims{Subject: "alice"}, "alice", "", true},
		{"oidc other sub", domain.IDTokenClaims{Subject: "bob"}, "alice", "", false},
		{"oidc sub is case-sensitive", domain.IDTokenClaims{Subject: "Alice"}, "alice", "", false},
		{"entra home tenant", domain.IDTokenClaims{Subject: "pairwise", ObjectID: uid, TenantID: utid}, home, "", true},
		{"entra ids match in any case", domain.IDTokenClaims{Subject: "pairwise", ObjectID: "AAAAAAAA-1111-1111-1111-111111111111", TenantID: utid}, "aaaaaaaa-1111-1111-1111-111111111111." + utid, "", true},
		{"entra another user", domain.IDTokenClaims{Subject: "pairwise", ObjectID: other, TenantID: utid}, home, "", false},
		{"entra no oid", domain.IDTokenClaims{Subject: "pairwise", TenantID: utid}, home, "", false},
		{"entra guest tenant", domain.IDTokenClaims{ObjectID: goid, TenantID: guest}, home, goid, true},
		{"entra guest, another user", domain.IDTokenClaims{ObjectID: other, TenantID: guest}, home, goid, false},
		{"entra guest, no account entry", domain.IDTokenClaims{ObjectID: goid, TenantID: guest}, home, "", false},
		{"entra no tid", domain.IDTokenClaims{ObjectID: uid}, home, "", false},
		{"b2c sub is the object id", domain.IDTokenClaims{Subject: uid}, uid + "-b2c_1_signin." + utid, "", true},
		{"b2c another user", domain.IDTokenClaims{Subject: other}, uid + "-b2c_1_signin." + utid, "", false},
	} {
		if got := tc.c.BelongsTo(tc.homeID, tc.local); got != tc.want {
			t.Errorf("%s: BelongsTo = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// The issuer of a cached or issued ID token is the provider's; Entra's multi-tenant
// template "{tenantid}" stands for the token's own tid and nothing else.
func TestIDTokenClaims_CheckIssuer(t *testing.T) {
	const tmpl = "https://login.microsoftonline.com/{tenantid}/v2.0"
	const tid = "22222222-2222-2222-2222-222222222222"
	for _, tc := range []struct {
		name, iss, tid, want string
		ok                   bool
	}{
		{"template", "https://login.microsoftonline.com/" + tid + "/v2.0", tid, tmpl, true},
		{"template, another tenant's issuer", "https://login.microsoftonline.com/33333333-3333-3333-3333-333333333333/v2.0", tid, tmpl, false},
		{"template, another host", "https://evil.example/" + tid + "/v2.0", tid, tmpl, false},
		{"template, longer path", "https://login.microsoftonline.com/" + tid + "/x/v2.0", tid, tmpl, false},
		{"template, prefix and suffix overlap", "https://login.microsoftonline.com/v2.0", tid, tmpl, false},
		{"template, no tid", "https://login.microsoftonline.com/" + tid + "/v2.0", "", tmpl, false},
		{"exact", "https://idp.example/realms/a", "", "https://idp.example/realms/a", true},
		{"exact, another", "https://idp.example/realms/b", "", "https://idp.example/realms/a", false},
		{"empty expectation", "", "", "", false},
	} {
		err := domain.IDTokenClaims{Issuer: tc.iss, TenantID: tc.tid}.CheckIssuer(tc.want)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, domain.ErrInvalidIDToken) {
			t.Errorf("%s: CheckIssuer = %v; want ok %v", tc.name, err, tc.ok)
		}
	}
}
