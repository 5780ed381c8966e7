package domain_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// printVerbs are the fmt verbs a secret-bearing value is printed with in the wild.
var printVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"}

// shownEverywhere returns v as every fmt verb, JSON, text and a slog record show it.
func shownEverywhere(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	for _, verb := range printVerbs {
		fmt.Fprintf(&b, verb+"\n", v)
		fmt.Fprintf(&b, verb+"\n", []any{v})
		fmt.Fprintf(&b, verb+"\n", struct{ V any }{v})
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%T) = %v", v, err)
	}
	b.Write(j)
	if m, ok := v.(interface{ MarshalText() ([]byte, error) }); ok {
		txt, _ := m.MarshalText()
		b.Write(txt)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "v", v)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "v", v)
	b.Write(logs.Bytes())
	return b.String()
}

func TestSecretBearingTypes_neverPrintTheirSecrets(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const (
		sec   = "Canary-Secret-5d1f"
		tok   = "Canary-Token-8e2a"
		nonce = "Canary-Nonce-3b7c"
		user  = "canary-user-6a4d@example.com"
	)
	claims := mustClaims(t, map[string]any{"iss": "https://idp", "sub": "s", "aud": "c", "exp": 1700000000, "nonce": nonce, "preferred_username": user})
	values := map[string]any{
		"Secret":                domain.Secret(sec),
		"ClientCredential":      domain.ClientCredential{Secret: sec},
		"ClientCredential(key)": domain.ClientCredential{Key: key},
		"TokenRequest": domain.TokenRequest{Grant: domain.GrantPassword, Username: user, Password: sec, Code: sec, CodeVerifier: sec,
			RefreshToken: sec, Credential: domain.ClientCredential{Key: key}},
		"TokenResponse": domain.TokenResponse{AccessToken: tok, RefreshToken: tok, IDToken: tok},
		"AuthResult": domain.AuthResult{AccessToken: tok, IDToken: tok, RefreshToken: tok, IDTokenClaims: claims,
			Account: domain.Account{HomeAccountID: "home", Username: user}, ExpiresOn: time.Unix(0, 0)},
		"*AuthResult": &domain.AuthResult{AccessToken: tok, IDTokenClaims: claims},
	}
	flow := domain.AuthCodeFlow{AuthURI: "https://idp/authorize?state=" + sec + "&nonce=" + nonce, State: sec, Nonce: nonce, CodeVerifier: sec}
	var flowShown strings.Builder
	for _, verb := range printVerbs {
		fmt.Fprintf(&flowShown, verb+" ", flow)
		fmt.Fprintf(&flowShown, verb+" ", &flow)
	}
	var flowLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&flowLog, nil)).Info("x", "flow", flow)
	if out := flowShown.String() + flowLog.String(); strings.Contains(out, sec) || strings.Contains(out, nonce) {
		t.Errorf("an AuthCodeFlow shows its state, nonce or verifier:\n%s", out)
	}
	keyD := fmt.Sprint(key.D)
	for name, v := range values {
		shown := shownEverywhere(t, v)
		for _, s := range []string{sec, tok, nonce, user, keyD, fmt.Sprintf("%x", key.D.Bytes())} {
			if strings.Contains(shown, s) {
				t.Errorf("%s shows %q:\n%s", name, s, shown)
			}
		}
	}
}

func TestAuthResult_MSALJSON_hasTheTokens(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	r := domain.AuthResult{AccessToken: "at", TokenType: "Bearer", ExpiresOn: now.Add(time.Hour), Scopes: []string{"a", "b"},
		IDToken: "idt", RefreshToken: "rt", IDTokenClaims: mustClaims(t, map[string]any{"iss": "https://idp", "sub": "s", "aud": "c", "exp": 1700000000}),
		TokenSource: domain.SourceIdentityProvider}
	b, err := r.MSALJSON(now)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600.0, "scope": "a b",
		"id_token": "idt", "refresh_token": "rt", "token_source": "identity_provider"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("MSALJSON()[%q] = %v; want %v (in %s)", k, got[k], v, b)
		}
	}
	if c, _ := got["id_token_claims"].(map[string]any); c["sub"] != "s" {
		t.Errorf("MSALJSON() id_token_claims = %v; want the claims", got["id_token_claims"])
	}
}

func TestAuthCodeFlow_JSON_keepsTheVerifier(t *testing.T) {
	f := domain.AuthCodeFlow{State: "st", CodeVerifier: "the-verifier", Scopes: []string{"a"}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back domain.AuthCodeFlow
	if err := json.Unmarshal(b, &back); err != nil || back.CodeVerifier != "the-verifier" || back.State != "st" {
		t.Errorf("json round trip of %s = %+v, %v; want the verifier and state back", b, back, err)
	}
	if strings.Count(string(b), "code_verifier") != 1 {
		t.Errorf("json.Marshal(AuthCodeFlow) = %s; want one code_verifier", b)
	}
}

func TestIDTokenClaims_printsNoClaimValue(t *testing.T) {
	c := *mustClaims(t, map[string]any{"iss": "https://idp", "aud": "c", "exp": 1700000000,
		"sub": "sub-secret-person", "nonce": "nonce-canary", "email": "ada@example.com"})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for _, v := range []any{c, &c} {
			got := fmt.Sprintf(verb, v)
			for _, secret := range []string{"sub-secret-person", "nonce-canary", "ada@example.com"} {
				if strings.Contains(got, secret) {
					t.Errorf("Sprintf(%s, claims) = %q; holds %q", verb, got, secret)
				}
			}
		}
	}
}
