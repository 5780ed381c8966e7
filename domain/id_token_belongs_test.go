package domain_test

import (
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
