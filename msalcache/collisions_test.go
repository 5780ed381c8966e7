package msalcache_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// collidingSnapshot holds, in every section, two entries whose keys are one (their
// fields hold dashes) though their fields differ: subject "x" on host "y-z.example"
// and subject "x-y" on host "z.example"; access tokens of realm "a" with target "b-c"
// and of realm "a-b" with target "c"; app metadata of client "c-1" on "idp.example"
// and of client "1" on "idp.example-c".
func collidingSnapshot() domain.CacheSnapshot {
	var s domain.CacheSnapshot
	for _, id := range []struct{ home, env string }{{"x", "y-z.example"}, {"x-y", "z.example"}} {
		s.RefreshTokens = append(s.RefreshTokens, domain.RefreshToken{HomeAccountID: id.home, Environment: id.env, ClientID: "app",
			Target: "read", Secret: domain.Secret("rt-" + id.home), CachedAt: t1000})
		s.IDTokens = append(s.IDTokens, domain.IDToken{HomeAccountID: id.home, Environment: id.env, ClientID: "app", Realm: "r",
			Secret: domain.Secret("idt-" + id.home)})
		s.Accounts = append(s.Accounts, domain.Account{HomeAccountID: id.home, Environment: id.env, Realm: "r", LocalAccountID: id.home,
			Username: id.home + "@example", AuthorityType: domain.AuthorityTypeGeneric})
	}
	for _, at := range []struct{ realm, target string }{{"a", "b-c"}, {"a-b", "c"}} {
		s.AccessTokens = append(s.AccessTokens, domain.AccessToken{HomeAccountID: "x", Environment: "y-z.example", ClientID: "app",
			Realm: at.realm, Target: at.target, Secret: domain.Secret("at-" + at.realm), TokenType: "Bearer", CachedAt: t1000,
			ExpiresOn: t4600, ExtendedExpiresOn: t4600})
	}
	s.AppMetadata = []domain.AppMetadata{{ClientID: "c-1", Environment: "idp.example"}, {ClientID: "1", Environment: "idp.example-c"}}
	return s
}

// TestEncodeDecode_collidingKeysAreTwoEntries: entries whose keys collide are exported
// under distinct document keys (the second with "#2") and read back as two entries,
// none skipped as a duplicate of the other.
func TestEncodeDecode_collidingKeysAreTwoEntries(t *testing.T) {
	s := collidingSnapshot()
	if s.AccessTokens[0].Key() != s.AccessTokens[1].Key() || s.RefreshTokens[0].Key() != s.RefreshTokens[1].Key() ||
		s.IDTokens[0].Key() != s.IDTokens[1].Key() || s.Accounts[0].Key() != s.Accounts[1].Key() || s.AppMetadata[0].Key() != s.AppMetadata[1].Key() {
		t.Fatal("fixture: each section's two entries must share a key")
	}
	doc, err := msalcache.Encode(s)
	if err != nil {
		t.Fatalf("Encode = %v; want nil (two entries of one key are two entries)", err)
	}
	got, rep, err := msalcache.DecodeReport(doc)
	if err != nil {
		t.Fatalf("DecodeReport = %v", err)
	}
	if len(rep.Skipped) != 0 {
		t.Errorf("Skipped = %v; want none", rep.Skipped)
	}
	want := msalcache.Counts{AccessTokens: 2, RefreshTokens: 2, IDTokens: 2, Accounts: 2, AppMetadata: 2}
	if rep.Imported != want {
		t.Errorf("Imported = %+v; want %+v", rep.Imported, want)
	}
	secrets := map[domain.Secret][6]string{}
	for _, at := range got.AccessTokens {
		secrets[at.Secret] = at.KeyFields()
	}
	for _, rt := range got.RefreshTokens {
		secrets[rt.Secret] = rt.KeyFields()
	}
	for _, in := range s.AccessTokens {
		if secrets[in.Secret] != in.KeyFields() {
			t.Errorf("access token %q read back with fields %q; want %q", in.Secret, secrets[in.Secret], in.KeyFields())
		}
	}
	for _, in := range s.RefreshTokens {
		if secrets[in.Secret] != in.KeyFields() {
			t.Errorf("refresh token %q read back with fields %q; want %q", in.Secret, secrets[in.Secret], in.KeyFields())
		}
	}
}

// TestDecodeReport_keyGivenTwice: a section holding one entry key twice (two colliding
// entries merged into one document by hand, or by a writer that files by key) reads the
// last entry, as encoding/json does, and reports the key: nothing is dropped silently.
func TestDecodeReport_keyGivenTwice(t *testing.T) {
	const entry = `{"home_account_id": %q, "environment": %q, "client_id": "app", "realm": "r", "credential_type": "IdToken", "secret": %q}`
	doc := `{"IdToken": {"x-y-z.example-idtoken-app-r-": ` + fmt.Sprintf(entry, "x", "y-z.example", "first") +
		`, "x-y-z.example-idtoken-app-r-": ` + fmt.Sprintf(entry, "x-y", "z.example", "second") + `}}`
	got, rep, err := msalcache.DecodeReport([]byte(doc))
	if err != nil {
		t.Fatalf("DecodeReport = %v; want nil", err)
	}
	if len(got.IDTokens) != 1 || got.IDTokens[0].Secret != "second" {
		t.Errorf("read %d ID tokens; want 1, the last under the key", len(got.IDTokens))
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Key != "x-y-z.example-idtoken-app-r-" || !strings.Contains(rep.Skipped[0].Reason, "more than once") {
		t.Errorf("Skipped = %v; want the key reported as given more than once", rep.Skipped)
	}
}
