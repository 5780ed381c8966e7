package usecases_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/aesgcm"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

func newSealed(t *testing.T, key byte) (ports.CacheStore, *memory.Store) {
	t.Helper()
	inner, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	sealer, err := aesgcm.New(bytes.Repeat([]byte{key}, aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return usecases.SealedStore(inner, sealer, nil), inner
}

// The sealing decorator must keep the whole CacheStore contract, with RequireSealed too.
func TestSealedStore_conformance(t *testing.T) {
	conformance.TestCacheStore(t, conformance.Features{}, func(t *testing.T) ports.CacheStore {
		s, _ := newSealed(t, 1)
		return s
	})
}

func TestSealedStore_requireSealed_conformance(t *testing.T) {
	conformance.TestCacheStore(t, conformance.Features{}, func(t *testing.T) ports.CacheStore {
		s, _ := newStrictSealed(t, 1)
		return s
	})
}

func TestSealedStore_innerStoreHoldsNoPlaintextSecret(t *testing.T) {
	ctx := testContext(t)
	s, inner := newSealed(t, 1)
	now := time.Unix(1_800_000_000, 0)
	w := domain.CacheWrite{
		Partition:    "p",
		AccessToken:  &domain.AccessToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Target: "read", Secret: "plain-access", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour)},
		RefreshToken: &domain.RefreshToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Secret: "plain-refresh", CachedAt: now},
		IDToken:      &domain.IDToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Secret: "plain-id"},
	}
	if err := s.Write(ctx, w); err != nil {
		t.Fatal(err)
	}
	raw, err := inner.Export(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []domain.Secret{raw.AccessTokens[0].Secret, raw.RefreshTokens[0].Secret, raw.IDTokens[0].Secret} {
		if strings.Contains(string(secret), "plain") {
			t.Fatalf("inner store holds a plaintext secret")
		}
	}
	got, err := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	if err != nil || len(got.RefreshTokens) != 1 || got.RefreshTokens[0].Secret != "plain-refresh" {
		t.Fatalf("Find through the sealer = %+v, %v; want the opened refresh token", got.RefreshTokens, err)
	}

	// Another key cannot open the entries: they read as misses, never as garbage.
	otherSealer, _ := aesgcm.New(bytes.Repeat([]byte{2}, aesgcm.KeySize))
	other := usecases.SealedStore(inner, otherSealer, nil)
	got, err = other.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	if err != nil || len(got.AccessTokens)+len(got.RefreshTokens)+len(got.IDTokens) != 0 {
		t.Fatalf("Find with the wrong key = %+v, %v; want every token dropped as a miss", got, err)
	}
}

// A foreign section of an imported MSAL document may hold its writer's secrets: the
// inner store holds it sealed, an export opens it byte for byte, and another key
// exports nothing of it rather than garbage.
func TestSealedStore_foreignSectionsAreSealed(t *testing.T) {
	ctx := testContext(t)
	s, inner := newSealed(t, 1)
	value := `{"vendor_token":"plain-foreign-secret","n":[1,2.50]}`
	snap := domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{{Name: "unknownEntity", Value: []byte(value)}}}
	if err := s.Import(ctx, "p", snap); err != nil {
		t.Fatal(err)
	}
	raw, err := inner.Export(ctx, "p")
	if err != nil || len(raw.ForeignSections) != 1 {
		t.Fatalf("inner Export = %d foreign sections, %v; want 1", len(raw.ForeignSections), err)
	}
	if strings.Contains(string(raw.ForeignSections[0].Value), "plain-foreign-secret") {
		t.Fatal("inner store holds a foreign section's value in clear")
	}
	got, err := s.Export(ctx, "p")
	if err != nil || len(got.ForeignSections) != 1 || string(got.ForeignSections[0].Value) != value {
		t.Fatalf("Export through the sealer = %d sections, %v; want the section byte for byte", len(got.ForeignSections), err)
	}
	otherSealer, _ := aesgcm.New(bytes.Repeat([]byte{2}, aesgcm.KeySize))
	got, err = usecases.SealedStore(inner, otherSealer, nil).Export(ctx, "p")
	if err != nil || len(got.ForeignSections) != 0 {
		t.Fatalf("Export with the wrong key = %d foreign sections, %v; want none", len(got.ForeignSections), err)
	}
}

// A foreign section within MaxForeignSectionBytes is accepted by a store; sealed, it is
// a JSON string of the base64 of value, nonce and tag, a third larger. The store checks
// the stored bound sized for that, and the sealing store the plaintext bound before
// sealing: turning sealing on must not break the import of a cache the store accepts.
func TestSealedStore_foreignSectionWithinBoundImports(t *testing.T) {
	ctx := t.Context()
	s, raw := newSealed(t, 9)
	quoted := func(n int) json.RawMessage { return json.RawMessage(`"` + strings.Repeat("a", n-2) + `"`) }
	snap := domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{{Name: "ext", Value: quoted(domain.MaxForeignSectionBytes)}}}
	if err := domain.CheckForeignSections(snap.ForeignSections); err != nil {
		t.Fatalf("the section is within the bounds: %v", err)
	}
	if err := raw.Import(ctx, "plain", snap); err != nil {
		t.Fatalf("the store refuses the section: %v", err)
	}
	if err := s.Import(ctx, "sealed", snap); err != nil {
		t.Errorf("sealing store's Import of a foreign section the store accepts = %v; want nil", err)
	}
	got, err := s.Export(ctx, "sealed")
	if err != nil || len(got.ForeignSections) != 1 || len(got.ForeignSections[0].Value) != domain.MaxForeignSectionBytes {
		t.Errorf("Export of the sealed section = %d sections, %v; want it back whole", len(got.ForeignSections), err)
	}
	// The plaintext bound holds before sealing: one byte over it is refused, though
	// sealed it would fit the store's bound.
	over := domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{{Name: "ext", Value: quoted(domain.MaxForeignSectionBytes + 1)}}}
	if err := s.Import(ctx, "over", over); !errors.Is(err, domain.ErrInvalidInput) || !errors.Is(err, domain.ErrCacheStore) {
		t.Errorf("sealing store's Import of a section over MaxForeignSectionBytes = %v; want ErrCacheStore wrapping ErrInvalidInput", err)
	}
}

// A sealed value's associated data names the partition as well as the entry: someone
// who can write the database but has no key — the attacker sealing is for — copies
// another partition's sealed rows into their own (another tenant's, another user's of a
// multi-user server). They must not open there, or an export of that partition through
// the application hands out the victim's refresh token and foreign sections in clear.
func TestSealedStore_rowsCopiedToAnotherPartitionDoNotOpen(t *testing.T) {
	ctx := t.Context()
	sealed, raw := newSealed(t, 9)
	now := time.Unix(1_900_000_000, 0).UTC()
	victim := domain.CacheSnapshot{
		RefreshTokens: []domain.RefreshToken{{HomeAccountID: "victim.sub", Environment: "idp.example", ClientID: "c",
			Secret: "VICTIM-REFRESH-TOKEN", CachedAt: now}},
		ForeignSections: []domain.ForeignSection{{Name: "AppMetadataExt", Value: json.RawMessage(`{"s":"VICTIM-FOREIGN-SECRET"}`)}},
	}
	if err := sealed.Import(ctx, "victim", victim); err != nil {
		t.Fatal(err)
	}
	// The database writer copies the victim's rows, sealed as they are, into their partition.
	rows, err := raw.Export(ctx, "victim")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rows.RefreshTokens[0].Secret), "VICTIM") {
		t.Fatal("the store holds the secret in clear; the test needs a sealing store")
	}
	if err := raw.Import(ctx, "attacker", rows); err != nil {
		t.Fatal(err)
	}
	got, err := sealed.Export(ctx, "attacker")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range got.RefreshTokens {
		if rt.Secret == "VICTIM-REFRESH-TOKEN" {
			t.Error("a refresh token sealed in partition victim opens in partition attacker: the export hands it out in clear")
		}
	}
	for _, f := range got.ForeignSections {
		if bytes.Contains(f.Value, []byte("VICTIM-FOREIGN-SECRET")) {
			t.Error("a foreign section sealed in partition victim opens in partition attacker: the export hands it out in clear")
		}
	}
	// In their own partition they still open.
	back, err := sealed.Export(ctx, "victim")
	if err != nil || len(back.RefreshTokens) != 1 || back.RefreshTokens[0].Secret != "VICTIM-REFRESH-TOKEN" || len(back.ForeignSections) != 1 {
		t.Fatalf("Export(victim) = %d refresh tokens, %d foreign sections, %v; want both, opened", len(back.RefreshTokens), len(back.ForeignSections), err)
	}
}

// Values sealed before the partition joined the associated data (version 1: the entry's
// key alone) still open, so turning the new version on loses no token, and are sealed as
// version 3 on their next write.
func TestSealedStore_version1ValuesOpenAndAreResealedOnWrite(t *testing.T) {
	ctx := t.Context()
	sealed, raw := newSealed(t, 9)
	sealer, err := aesgcm.New(bytes.Repeat([]byte{9}, aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	w := domain.CacheWrite{
		Partition:    "p",
		AccessToken:  &domain.AccessToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Target: "read", Secret: "plain-access", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour)},
		RefreshToken: &domain.RefreshToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Secret: "plain-refresh", CachedAt: now},
	}
	v1 := func(secret domain.Secret, key string) domain.Secret {
		b, err := sealer.Seal([]byte(secret), []byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return domain.Secret("hexauth-sealed:v1:" + base64.RawURLEncoding.EncodeToString(b))
	}
	old := w
	at, rt := *w.AccessToken, *w.RefreshToken
	at.Secret, rt.Secret = v1(at.Secret, at.Key()), v1(rt.Secret, rt.Key())
	old.AccessToken, old.RefreshToken = &at, &rt
	if err := raw.Write(ctx, old); err != nil {
		t.Fatal(err)
	}
	got, err := sealed.Export(ctx, w.Partition)
	if err != nil || len(got.AccessTokens) != 1 || got.AccessTokens[0].Secret != w.AccessToken.Secret ||
		len(got.RefreshTokens) != 1 || got.RefreshTokens[0].Secret != w.RefreshToken.Secret {
		t.Fatalf("Export of version-1 sealed entries = %+v, %v; want them opened", got, err)
	}
	if err := sealed.Write(ctx, w); err != nil {
		t.Fatal(err)
	}
	stored, err := raw.Export(ctx, w.Partition)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []domain.Secret{stored.AccessTokens[0].Secret, stored.RefreshTokens[0].Secret} {
		if !strings.HasPrefix(string(s), "hexauth-sealed:v3:") {
			t.Errorf("a secret after its next write is stored as %.20q...; want version 3", s)
		}
	}
}

// newStrictSealed is newSealed with RequireSealed.
func newStrictSealed(t *testing.T, key byte) (ports.CacheStore, *memory.Store) {
	t.Helper()
	inner, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	sealer, err := aesgcm.New(bytes.Repeat([]byte{key}, aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return usecases.SealedStore(inner, sealer, nil, usecases.RequireSealed()), inner
}

// A database writer without the key copies a victim's version-1 sealed refresh token
// (bound to its entry key only; an idle account's row written before version 2) into
// their own partition. Without RequireSealed it opens there (the documented migration
// path); with it, it is a miss, and so is the victim's own version-1 row.
func TestSealedStore_requireSealed_version1RowCopiedToAnotherPartitionDoesNotOpen(t *testing.T) {
	ctx := t.Context()
	sealer, err := aesgcm.New(bytes.Repeat([]byte{9}, aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_900_000_000, 0).UTC()
	rt := domain.RefreshToken{HomeAccountID: "victim.sub", Environment: "idp.example", ClientID: "c", Secret: "VICTIM-REFRESH-TOKEN", CachedAt: now}
	b, err := sealer.Seal([]byte(rt.Secret), []byte(rt.Key()))
	if err != nil {
		t.Fatal(err)
	}
	rt.Secret = domain.Secret("hexauth-sealed:v1:" + base64.RawURLEncoding.EncodeToString(b))
	for _, strict := range []bool{false, true} {
		var sealed ports.CacheStore
		var raw *memory.Store
		if strict {
			sealed, raw = newStrictSealed(t, 9)
		} else {
			sealed, raw = newSealed(t, 9)
		}
		if err := raw.Import(ctx, "victim", domain.CacheSnapshot{RefreshTokens: []domain.RefreshToken{rt}}); err != nil {
			t.Fatal(err)
		}
		rows, err := raw.Export(ctx, "victim")
		if err != nil {
			t.Fatal(err)
		}
		if err := raw.Import(ctx, "attacker", rows); err != nil {
			t.Fatal(err)
		}
		got, err := sealed.Export(ctx, "attacker")
		if err != nil {
			t.Fatal(err)
		}
		opened := slices.ContainsFunc(got.RefreshTokens, func(r domain.RefreshToken) bool { return r.Secret == "VICTIM-REFRESH-TOKEN" })
		if opened != !strict {
			t.Errorf("RequireSealed %v: the victim's version-1 token opened in another partition = %v; want %v", strict, opened, !strict)
		}
	}
}

// With RequireSealed, an unsealed secret planted by a database writer (their own access
// token in the victim's entry) is a miss, never served; a foreign section stored
// unsealed is left out of the export.
func TestSealedStore_requireSealed_unsealedRowIsAMiss(t *testing.T) {
	ctx := t.Context()
	sealed, raw := newStrictSealed(t, 9)
	now := time.Unix(1_900_000_000, 0).UTC()
	at := domain.AccessToken{HomeAccountID: "victim.sub", Environment: "idp.example", ClientID: "c", Target: "read",
		Secret: "ATTACKER-PLANTED-ACCESS-TOKEN", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour)}
	if err := raw.Write(ctx, domain.CacheWrite{Partition: "victim", AccessToken: &at}); err != nil {
		t.Fatal(err)
	}
	if err := raw.Import(ctx, "victim", domain.CacheSnapshot{ForeignSections: []domain.ForeignSection{{Name: "planted", Value: []byte(`{"k":"v"}`)}}}); err != nil {
		t.Fatal(err)
	}
	got, err := sealed.Export(ctx, "victim")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got.AccessTokens {
		if a.Secret == "ATTACKER-PLANTED-ACCESS-TOKEN" {
			t.Error("an unsealed access token planted in a RequireSealed cache is read as a token")
		}
	}
	if len(got.ForeignSections) != 0 {
		t.Errorf("foreign sections = %+v; want the unsealed one left out", got.ForeignSections)
	}
	found, err := sealed.Find(ctx, domain.CacheQuery{Partition: "victim", HomeAccountID: "victim.sub", ClientID: "c", Environments: []string{"idp.example"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range found.AccessTokens {
		if a.Secret == "ATTACKER-PLANTED-ACCESS-TOKEN" {
			t.Error("Find served the planted access token")
		}
	}
	// What the sealed store writes itself still opens.
	own := at
	own.Secret = "OWN-ACCESS-TOKEN"
	own.Target = "write"
	if err := sealed.Write(ctx, domain.CacheWrite{Partition: "victim", AccessToken: &own}); err != nil {
		t.Fatal(err)
	}
	got, err = sealed.Export(ctx, "victim")
	if err != nil || !slices.ContainsFunc(got.AccessTokens, func(a domain.AccessToken) bool { return a.Secret == "OWN-ACCESS-TOKEN" }) {
		t.Errorf("Export after a sealed write = %+v, %v; want its own token opened", got.AccessTokens, err)
	}
}

// TestSealedStore_rowsMovedAcrossKeyFieldsDoNotOpen: a sealed access token moved by a
// database writer to a row of another issuer and scope whose fields join to the same
// unified-cache key must not open there. The associated data is the partition and the
// entry's Key(), whose fields are joined with "-" unescaped, so realm "realms/acme" with
// target "admin-api" and realm "realms/acme-admin" with target "api" (two Keycloak realms
// on one host) are one key: for a user with one subject in both (an IdP whose subjects
// come from one directory), the token of issuer acme, scope admin-api, opens as issuer
// acme-admin's token for scope api, and a silent call there would serve it. The same
// shift exists between home account id and environment, and between client id and
// realm (ids with dashes). Review 5 finding; fixed by seal version 3, whose associated
// data is the partition and the entry's kind and identity fields, each length-prefixed.
func TestSealedStore_rowsMovedAcrossKeyFieldsDoNotOpen(t *testing.T) {
	ctx := t.Context()
	sealed, raw := newSealed(t, 9)
	now := time.Unix(1_900_000_000, 0).UTC()
	at := domain.AccessToken{HomeAccountID: "user-1", Environment: "kc.example.com", ClientID: "app", Realm: "realms/acme",
		Target: "admin-api", Secret: "ACME-ADMIN-API-TOKEN", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour),
		ExtendedExpiresOn: now.Add(time.Hour), RefreshOn: now.Add(30 * time.Minute)}
	if err := sealed.Import(ctx, "p", domain.CacheSnapshot{AccessTokens: []domain.AccessToken{at}}); err != nil {
		t.Fatal(err)
	}
	rows, err := raw.Export(ctx, "p")
	if err != nil || len(rows.AccessTokens) != 1 {
		t.Fatalf("raw Export = %d access tokens, %v; want 1", len(rows.AccessTokens), err)
	}
	moved := rows.AccessTokens[0] // the sealed secret, under another issuer and scope
	moved.Realm, moved.Target = "realms/acme-admin", "api"
	if moved.Key() != at.Key() {
		t.Fatalf("keys %q and %q differ; the test needs two rows of one key", moved.Key(), at.Key())
	}
	if err := raw.Import(ctx, "p", domain.CacheSnapshot{AccessTokens: []domain.AccessToken{moved}}); err != nil {
		t.Fatal(err)
	}
	got, err := sealed.Export(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	for _, t2 := range got.AccessTokens {
		if t2.Realm == "realms/acme-admin" && t2.Secret == "ACME-ADMIN-API-TOKEN" {
			t.Errorf("issuer acme's token for scope admin-api, moved to issuer acme-admin's row for scope api, opens there (%s)", t2.Key())
		}
	}
}

// Version-2 values (the partition, length-prefixed, then the entry's key, as associated
// data) still open, with and without RequireSealed — refusing them would sign out every
// user of a cache sealed before version 3 — and are sealed as version 3 on their next
// write.
func TestSealedStore_version2ValuesOpenAndAreResealedOnWrite(t *testing.T) {
	ctx := t.Context()
	sealer, err := aesgcm.New(bytes.Repeat([]byte{9}, aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_900_000_000, 0).UTC()
	rt := domain.RefreshToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Secret: "plain-refresh", CachedAt: now}
	stored := rt
	stored.Secret = sealV2(t, sealer, rt.Key(), rt.Secret)
	for _, strict := range []bool{false, true} {
		sealed, raw := newSealed(t, 9)
		if strict {
			sealed, raw = newStrictSealed(t, 9)
		}
		if err := raw.Import(ctx, "p", domain.CacheSnapshot{RefreshTokens: []domain.RefreshToken{stored}}); err != nil {
			t.Fatal(err)
		}
		got, err := sealed.Export(ctx, "p")
		if err != nil || len(got.RefreshTokens) != 1 || got.RefreshTokens[0].Secret != rt.Secret {
			t.Fatalf("strict %v: Export of a version-2 sealed refresh token = %+v, %v; want it opened", strict, got.RefreshTokens, err)
		}
		if err := sealed.Write(ctx, domain.CacheWrite{Partition: "p", RefreshToken: &rt}); err != nil {
			t.Fatal(err)
		}
		after, err := raw.Export(ctx, "p")
		if err != nil || len(after.RefreshTokens) != 1 || !strings.HasPrefix(string(after.RefreshTokens[0].Secret), "hexauth-sealed:v3:") {
			t.Fatalf("strict %v: after a write the refresh token is stored as %+v, %v; want version 3", strict, after.RefreshTokens, err)
		}
	}
}

// Version 2 bound the dash-joined key, so a row sealed for realm acme and target
// admin-api opened in realm acme-admin for target api (review 7). Under RequireSealed a
// version-2 value opens only where its entry's key has one reading: no dash in the realm
// or target. Without RequireSealed every version-2 value still opens (the compatibility
// the option exists to give up).
func TestSealedStore_requireSealed_version2RowMovedAcrossKeyFields(t *testing.T) {
	ctx := t.Context()
	sealer, err := aesgcm.New(bytes.Repeat([]byte{9}, aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_900_000_000, 0).UTC()
	at := domain.AccessToken{HomeAccountID: "user-1", Environment: "kc.example.com", ClientID: "app", Realm: "realms/acme",
		Target: "admin-api", Secret: "ACME-ADMIN-API-TOKEN", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour),
		ExtendedExpiresOn: now.Add(time.Hour), RefreshOn: now.Add(30 * time.Minute)}
	moved := at
	moved.Realm, moved.Target = "realms/acme-admin", "api"
	moved.Secret = sealV2(t, sealer, at.Key(), at.Secret)
	if moved.Key() != at.Key() {
		t.Fatalf("keys %q and %q differ; the test needs two rows of one key", moved.Key(), at.Key())
	}
	sealed, raw := newStrictSealed(t, 9)
	if err := raw.Import(ctx, "p", domain.CacheSnapshot{AccessTokens: []domain.AccessToken{moved}}); err != nil {
		t.Fatal(err)
	}
	got, err := sealed.Export(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	for _, t2 := range got.AccessTokens {
		if t2.Secret == at.Secret {
			t.Errorf("under RequireSealed, a version-2 token of realm acme for admin-api opens in realm acme-admin for api (%s)", t2.Key())
		}
	}

	// The rule's edges: a version-2 value whose realm and target hold no dash still opens
	// under RequireSealed (refusing every version-2 value would sign everyone out), and
	// without RequireSealed a version-2 value opens whatever its fields.
	plain, dashedRealm := at, at
	plain.Realm, plain.Target = "realms/acme", "api"
	dashedRealm.Realm, dashedRealm.Target = "realms/acme-admin", "api" // sealed in its own place this time
	for _, c := range []struct {
		name   string
		entry  domain.AccessToken
		strict bool
		opens  bool
	}{
		{"no dash, RequireSealed", plain, true, true},
		{"dash in the target, RequireSealed", at, true, false},
		{"dash in the realm, RequireSealed", dashedRealm, true, false},
		{"dash in the target, without RequireSealed", at, false, true},
	} {
		stored := c.entry
		stored.Secret = sealV2(t, sealer, c.entry.Key(), c.entry.Secret)
		sealed, raw := newSealed(t, 9)
		if c.strict {
			sealed, raw = newStrictSealed(t, 9)
		}
		if err := raw.Import(ctx, "p", domain.CacheSnapshot{AccessTokens: []domain.AccessToken{stored}}); err != nil {
			t.Fatal(err)
		}
		got, err := sealed.Export(ctx, "p")
		if err != nil {
			t.Fatal(err)
		}
		opened := len(got.AccessTokens) == 1 && got.AccessTokens[0].Secret == c.entry.Secret
		if opened != c.opens {
			t.Errorf("%s: version-2 value of %s opened = %v; want %v", c.name, c.entry.Key(), opened, c.opens)
		}
	}
}

// sealV2 seals secret as version 2 did for the entry of key in partition "p": bound to
// the partition, length-prefixed, and the entry's joined key.
func sealV2(t *testing.T, sealer ports.Sealer, key string, secret domain.Secret) domain.Secret {
	t.Helper()
	b, err := sealer.Seal([]byte(secret), []byte("hexauth-sealed:v2\x00"+"1\x00p\x00"+key))
	if err != nil {
		t.Fatal(err)
	}
	return domain.Secret("hexauth-sealed:v2:" + base64.RawURLEncoding.EncodeToString(b))
}
