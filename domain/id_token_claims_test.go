package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// mustClaims builds claims from a payload with domain.NewIDTokenClaims.
func mustClaims(t testing.TB, payload map[string]any) *domain.IDTokenClaims {
	t.Helper()
	c, err := domain.NewIDTokenClaims(payload)
	if err != nil {
		t.Fatalf("NewIDTokenClaims(%v) error = %v; want nil", payload, err)
	}
	return &c
}

func hasClaim(c domain.IDTokenClaims, name string) bool {
	_, ok := c.Claim(name)
	return ok
}

// nestedPayload has a list, a list of objects and an object: the claims whose copies
// must not share anything with the originals.
func nestedPayload() map[string]any {
	return map[string]any{"iss": "https://idp", "sub": "alice", "aud": []any{"c", "d"}, "azp": "c", "exp": 1700000000,
		"groups": []any{"g1", map[string]any{"id": "g2"}}, "address": map[string]any{"country": "NZ"}}
}

func TestNewIDTokenClaims_readsTheTypedFields(t *testing.T) {
	c := mustClaims(t, map[string]any{"iss": "https://idp", "sub": "alice", "aud": "c", "exp": 1700000000, "iat": 1699996400.5,
		"nonce": "n", "tid": "t", "oid": "o", "preferred_username": "alice@contoso.com", "name": "Alice"})
	if c.Issuer != "https://idp" || c.Subject != "alice" || !reflect.DeepEqual(c.Audience, []string{"c"}) ||
		!c.Expiry.Equal(time.Unix(1700000000, 0)) || !c.IssuedAt.Equal(time.Unix(1699996400, 5e8)) || c.Nonce != "n" ||
		c.TenantID != "t" || c.ObjectID != "o" || c.Username() != "alice@contoso.com" || c.Name != "Alice" {
		t.Errorf("NewIDTokenClaims(...) = %+v; want the typed fields read from the claims", *c)
	}
	// Numbers are held as a parsed token holds them, exactly.
	if v, _ := c.Claim("exp"); v != json.Number("1700000000") {
		t.Errorf("Claim(exp) = %#v; want json.Number(1700000000)", v)
	}
}

func TestNewIDTokenClaims_refused(t *testing.T) {
	base := func(edit func(m map[string]any)) map[string]any {
		m := map[string]any{"iss": "https://idp", "sub": "alice", "aud": "c", "exp": 1700000000}
		edit(m)
		return m
	}
	tests := []struct {
		name   string
		claims map[string]any
		want   error
	}{
		{name: "nil", claims: nil, want: domain.ErrInvalidIDToken},
		{name: "no iss", claims: base(func(m map[string]any) { delete(m, "iss") }), want: domain.ErrInvalidIDToken},
		{name: "no exp", claims: base(func(m map[string]any) { delete(m, "exp") }), want: domain.ErrInvalidIDToken},
		{name: "exp a string", claims: base(func(m map[string]any) { m["exp"] = "soon" }), want: domain.ErrInvalidIDToken},
		{name: "exp a time.Time", claims: base(func(m map[string]any) { m["exp"] = time.Unix(1700000000, 0) }), want: domain.ErrInvalidIDToken},
		{name: "aud of numbers", claims: base(func(m map[string]any) { m["aud"] = []any{1} }), want: domain.ErrInvalidIDToken},
		{name: "not JSON", claims: base(func(m map[string]any) { m["x"] = make(chan int) }), want: domain.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := domain.NewIDTokenClaims(tt.claims); !errors.Is(err, tt.want) {
				t.Errorf("NewIDTokenClaims(%v) error = %v; want %v", tt.claims, err, tt.want)
			}
		})
	}
}

// The claims are read-only shared data: every way to them hands out a copy, so that a
// caller that edits what it got changes neither the claims nor what the next caller
// (or another copy of the struct) sees.
func TestIDTokenClaims_callersCannotChangeTheClaims(t *testing.T) {
	in := nestedPayload()
	c := mustClaims(t, in)
	shared := *c // as a cache hands out a copy of the struct that shares the claims
	in["sub"] = "mallory"
	in["groups"].([]any)[0] = "admins"
	in["address"].(map[string]any)["country"] = "XX"

	all := c.RawClaims()
	all["sub"] = "mallory"
	all["groups"].([]any)[0] = "admins"
	all["groups"].([]any)[1].(map[string]any)["id"] = "admins"
	all["address"].(map[string]any)["country"] = "XX"
	all["aud"].([]any)[1] = "evil"
	g, _ := c.Claim("groups")
	g.([]any)[0] = "admins"
	g.([]any)[1].(map[string]any)["id"] = "admins"
	a, _ := c.Claim("address")
	a.(map[string]any)["country"] = "XX"

	want := map[string]any{"iss": "https://idp", "sub": "alice", "aud": []any{"c", "d"}, "azp": "c", "exp": json.Number("1700000000"),
		"groups": []any{"g1", map[string]any{"id": "g2"}}, "address": map[string]any{"country": "NZ"}}
	for name, got := range map[string]map[string]any{"claims": c.RawClaims(), "copy of the struct": shared.RawClaims()} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: RawClaims() after callers edited earlier results = %v; want %v", name, got, want)
		}
	}
	if v, _ := shared.Claim("groups"); !reflect.DeepEqual(v, []any{"g1", map[string]any{"id": "g2"}}) {
		t.Errorf("Claim(groups) after callers edited earlier results = %v; want [g1 map[id:g2]]", v)
	}
}

func TestIDTokenClaims_Claim(t *testing.T) {
	c := mustClaims(t, nestedPayload())
	if v, ok := c.Claim("sub"); !ok || v != "alice" {
		t.Errorf("Claim(sub) = %v, %t; want alice, true", v, ok)
	}
	if v, ok := c.Claim("missing"); ok || v != nil {
		t.Errorf("Claim(missing) = %v, %t; want nil, false", v, ok)
	}
	var zero domain.IDTokenClaims
	if v, ok := zero.Claim("sub"); ok || v != nil || zero.RawClaims() != nil {
		t.Errorf("zero IDTokenClaims: Claim(sub) = %v, %t, RawClaims() = %v; want nil, false, nil", v, ok, zero.RawClaims())
	}
}

// claimsAsAStruct is how encoding/json wrote IDTokenClaims while the claims were its
// exported field Raw: MarshalJSON keeps that output.
type claimsAsAStruct struct {
	Issuer, Subject                            string
	Audience                                   []string
	Expiry, IssuedAt, NotBefore, AuthTime      time.Time
	Nonce, AuthorizedParty, TenantID, ObjectID string
	PreferredUsername, UPN, Email, Name        string
	Raw                                        map[string]any
}

// asStruct is what a caller reads from c: its fields and every claim.
func asStruct(c domain.IDTokenClaims) claimsAsAStruct {
	return claimsAsAStruct{Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience, Expiry: c.Expiry,
		IssuedAt: c.IssuedAt, NotBefore: c.NotBefore, AuthTime: c.AuthTime, Nonce: c.Nonce, AuthorizedParty: c.AuthorizedParty,
		TenantID: c.TenantID, ObjectID: c.ObjectID, PreferredUsername: c.PreferredUsername, UPN: c.UPN, Email: c.Email,
		Name: c.Name, Raw: c.RawClaims()}
}

func TestIDTokenClaims_JSON(t *testing.T) {
	c := mustClaims(t, nestedPayload())
	c.AuthTime, c.UPN = time.Unix(1699990000, 0).UTC(), "alice@upn" // every field set, as a caller may
	got, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(claimsAsAStruct{Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience, Expiry: c.Expiry,
		IssuedAt: c.IssuedAt, NotBefore: c.NotBefore, AuthTime: c.AuthTime, Nonce: c.Nonce, AuthorizedParty: c.AuthorizedParty,
		TenantID: c.TenantID, ObjectID: c.ObjectID, PreferredUsername: c.PreferredUsername, UPN: c.UPN, Email: c.Email,
		Name: c.Name, Raw: c.RawClaims()})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("json.Marshal(claims) = %s; want %s", got, want)
	}
	var back domain.IDTokenClaims
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("json.Unmarshal(%s) error = %v", got, err)
	}
	// The full set of claims is decoded lazily, so two equal claims may differ in what
	// they have decoded: compare what a caller reads.
	if !reflect.DeepEqual(asStruct(back), asStruct(*c)) {
		t.Errorf("json round trip of %s = %+v with claims %v; want %+v with %v", got, back, back.RawClaims(), *c, c.RawClaims())
	}
	if err := json.Unmarshal([]byte(`{"Raw":[1]}`), &back); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("json.Unmarshal of claims whose Raw is a list error = %v; want ErrInvalidInput", err)
	}
}
