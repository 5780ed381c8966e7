package domain_test

import (
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// KeyFields are the fields Key joins, folded as Key folds them.
func TestKeyFields_joinToKey(t *testing.T) {
	at := domain.AccessToken{HomeAccountID: "AAAAAAAA-0000-0000-0000-00000000000A.BBBBBBBB-0000-0000-0000-00000000000B",
		Environment: "Login.Example.com", ClientID: "App-1", Realm: "realms/Acme-Admin", Target: "API Read"}
	rt := domain.RefreshToken{HomeAccountID: "Alice", Environment: "IDP.example", ClientID: "C", Realm: "r-1"}
	idt := domain.IDToken{HomeAccountID: "sub-Bob", Environment: "idp.Example", ClientID: "c-2", Realm: "Tenant"}
	for _, tc := range []struct {
		key    string
		fields [6]string
	}{
		{at.Key(), at.KeyFields()}, {rt.Key(), rt.KeyFields()}, {idt.Key(), idt.KeyFields()},
	} {
		f := tc.fields
		if got := strings.Join([]string{f[1], f[2], f[0], f[3], f[4], f[5]}, "-"); got != tc.key {
			t.Errorf("KeyFields %q join to %q; want the key %q", f, got, tc.key)
		}
	}
}
