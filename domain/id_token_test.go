package domain_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

const testSignature = "c2lnbmF0dXJlLW5vdC1jaGVja2VkLWJ5LXRoZS1kb21haW4"

// b64 encodes v (a string of JSON, or a value to marshal) as an unpadded base64url segment.
func b64(t testing.TB, v any) string {
	t.Helper()
	b, ok := v.(string)
	if !ok {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%v) error = %v", v, err)
		}
		b = string(raw)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(b))
}

// makeJWT returns a compact JWS with the given header and payload (JSON strings or
// values to marshal) and a fixed signature.
func makeJWT(t testing.TB, header, payload any) string {
	t.Helper()
	return b64(t, header) + "." + b64(t, payload) + "." + testSignature
}

var rs256 = map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}

func TestParseIDToken_refused(t *testing.T) {
	claims := `{"iss":"https://idp.example.com","sub":"s","aud":"c","exp":1700000000}`
	tests := []struct {
		name string
		raw  string
	}{
		{name: "alg none", raw: makeJWT(t, `{"alg":"none"}`, claims)},
		{name: "alg None", raw: makeJWT(t, `{"alg":"None"}`, claims)},
		{name: "empty alg", raw: makeJWT(t, `{"alg":""}`, claims)},
		{name: "no alg", raw: makeJWT(t, `{"typ":"JWT"}`, claims)},
		{name: "alg HS256", raw: makeJWT(t, `{"alg":"HS256"}`, claims)},
		{name: "alg HS384", raw: makeJWT(t, `{"alg":"HS384"}`, claims)},
		{name: "alg hs512", raw: makeJWT(t, `{"alg":"hs512"}`, claims)},
		{name: "typ at+jwt", raw: makeJWT(t, `{"alg":"RS256","typ":"at+jwt"}`, claims)},
		{name: "typ AT+JWT", raw: makeJWT(t, `{"alg":"RS256","typ":"AT+JWT"}`, claims)},
		{name: "typ application/at+jwt", raw: makeJWT(t, `{"alg":"ES256","typ":"application/at+jwt"}`, claims)},
		{name: "azp not a string", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c","azp":["c"],"exp":1700000000}`)},
		// RFC 7519 §2: a NumericDate is a JSON number, never a string.
		{name: "exp numeric string", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c","exp":"1700000000"}`)},
		{name: "iat string", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c","exp":1700000000,"iat":"1699996400"}`)},
		{name: "nbf string", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c","exp":1700000000,"nbf":"soon"}`)},
		// RFC 7515 §4.1.11: crit names extensions this verifier does not understand.
		{name: "crit header", raw: makeJWT(t, `{"alg":"RS256","kid":"k1","crit":["exp"],"exp":1}`, claims)},
		{name: "empty crit header", raw: makeJWT(t, `{"alg":"RS256","kid":"k1","crit":[]}`, claims)},
		{name: "kid over 256 bytes", raw: makeJWT(t, map[string]any{"alg": "RS256", "kid": strings.Repeat("k", 257)}, claims)},
		{name: "empty", raw: ""},
		{name: "two parts", raw: b64(t, rs256) + "." + b64(t, claims)},
		{name: "four parts", raw: makeJWT(t, rs256, claims) + ".x"},
		{name: "empty signature", raw: b64(t, rs256) + "." + b64(t, claims) + "."},
		{name: "header not base64url", raw: "e30*." + b64(t, claims) + "." + testSignature},
		{name: "payload not base64url", raw: b64(t, rs256) + ".!!!." + testSignature},
		{name: "payload standard base64 alphabet", raw: b64(t, rs256) + "." + base64.StdEncoding.EncodeToString([]byte(`{"iss":"???>>>"}`)) + "." + testSignature},
		{name: "header not JSON", raw: makeJWT(t, `not json`, claims)},
		{name: "payload not JSON", raw: makeJWT(t, rs256, `not json`)},
		{name: "payload a JSON array", raw: makeJWT(t, rs256, `["iss"]`)},
		{name: "payload null", raw: makeJWT(t, rs256, `null`)},
		{name: "missing iss", raw: makeJWT(t, rs256, `{"sub":"s","aud":"c","exp":1700000000}`)},
		{name: "missing sub", raw: makeJWT(t, rs256, `{"iss":"i","aud":"c","exp":1700000000}`)},
		{name: "missing aud", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","exp":1700000000}`)},
		{name: "empty aud array", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":[],"exp":1700000000}`)},
		{name: "empty aud string", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"","exp":1700000000}`)},
		{name: "aud array of empty strings", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":["",""],"exp":1700000000}`)},
		{name: "aud holds a number", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":["c",7],"exp":1700000000}`)},
		{name: "missing exp", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c"}`)},
		{name: "exp not numeric", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c","exp":"tomorrow"}`)},
		{name: "exp negative", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c","exp":-5}`)},
		{name: "exp boolean", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c","exp":true}`)},
		{name: "iat not numeric", raw: makeJWT(t, rs256, `{"iss":"i","sub":"s","aud":"c","exp":1700000000,"iat":"x"}`)},
		{name: "iss not a string", raw: makeJWT(t, rs256, `{"iss":5,"sub":"s","aud":"c","exp":1700000000}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, err := domain.ParseIDToken(tt.raw)
			var de *domain.Error
			if !errors.Is(err, domain.ErrInvalidIDToken) || !errors.As(err, &de) {
				t.Fatalf("ParseIDToken = %+v, %v; want a *domain.Error of ErrInvalidIDToken", c, err)
			}
			for _, part := range strings.Split(tt.raw, ".") {
				if len(part) >= 16 && strings.Contains(err.Error(), part) {
					t.Errorf("error %q quotes part of the token", err)
				}
			}
		})
	}
}

func TestParseIDToken_claims(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    func(domain.IDTokenClaims) bool
	}{
		{name: "aud string", payload: `{"iss":"i","sub":"s","aud":"client","exp":1700000000}`,
			want: func(c domain.IDTokenClaims) bool { return slices.Equal(c.Audience, []string{"client"}) }},
		{name: "aud array", payload: `{"iss":"i","sub":"s","aud":["client","api"],"exp":1700000000}`,
			want: func(c domain.IDTokenClaims) bool { return slices.Equal(c.Audience, []string{"client", "api"}) }},
		{name: "empty audiences skipped", payload: `{"iss":"i","sub":"s","aud":["","client"],"exp":1700000000}`,
			want: func(c domain.IDTokenClaims) bool { return slices.Equal(c.Audience, []string{"client"}) }},
		{name: "exp integer", payload: `{"iss":"i","sub":"s","aud":"c","exp":1700000000}`,
			want: func(c domain.IDTokenClaims) bool { return c.Expiry.Equal(time.Unix(1700000000, 0)) }},
		{name: "exp float", payload: `{"iss":"i","sub":"s","aud":"c","exp":1700000000.5}`,
			want: func(c domain.IDTokenClaims) bool { return c.Expiry.Equal(time.Unix(1700000000, 5e8)) }},
		{name: "exp exponent", payload: `{"iss":"i","sub":"s","aud":"c","exp":1.7e9}`,
			want: func(c domain.IDTokenClaims) bool { return c.Expiry.Equal(time.Unix(1700000000, 0)) }},
		{name: "iat and nbf float and integer", payload: `{"iss":"i","sub":"s","aud":"c","exp":1700000000,"iat":1699996400.25,"nbf":1699996400}`,
			want: func(c domain.IDTokenClaims) bool {
				return c.IssuedAt.Equal(time.Unix(1699996400, 25e7)) && c.NotBefore.Equal(time.Unix(1699996400, 0))
			}},
		{name: "no iat or nbf", payload: `{"iss":"i","sub":"s","aud":"c","exp":1700000000}`,
			want: func(c domain.IDTokenClaims) bool { return c.IssuedAt.IsZero() && c.NotBefore.IsZero() }},
		{name: "azp", payload: `{"iss":"i","sub":"s","aud":["c","api"],"azp":"c","exp":1700000000}`,
			want: func(c domain.IDTokenClaims) bool { return c.AuthorizedParty == "c" }},
		{name: "entra claims", payload: `{"iss":"i","sub":"s","aud":"c","exp":1700000000,"nonce":"n","tid":"t","oid":"o",
			"preferred_username":"alice@contoso.com","upn":"alice@upn","email":"alice@mail","name":"Alice","custom":{"x":1}}`,
			want: func(c domain.IDTokenClaims) bool {
				return c.Issuer == "i" && c.Subject == "s" && c.Nonce == "n" && c.TenantID == "t" && c.ObjectID == "o" &&
					c.PreferredUsername == "alice@contoso.com" && c.UPN == "alice@upn" && c.Email == "alice@mail" &&
					c.Name == "Alice" && hasClaim(c, "custom")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c, err := domain.ParseIDToken(makeJWT(t, rs256, tt.payload))
			if err != nil {
				t.Fatalf("ParseIDToken(%s) error = %v; want nil", tt.payload, err)
			}
			if h.Alg != "RS256" || h.Kid != "k1" || h.Typ != "JWT" {
				t.Errorf("header = %+v; want RS256, k1, JWT", h)
			}
			if !tt.want(c) {
				t.Errorf("ParseIDToken(%s) claims = %+v; not as expected", tt.payload, c)
			}
		})
	}
}

func TestParseIDToken_paddedSegments(t *testing.T) {
	pad := func(s string) string { return s + strings.Repeat("=", (4-len(s)%4)%4) }
	header := b64(t, rs256)
	payload := b64(t, `{"iss":"i","sub":"s","aud":"c","exp":1700000000}`)
	if _, _, err := domain.ParseIDToken(pad(header) + "." + pad(payload) + "." + testSignature); err != nil {
		t.Errorf("ParseIDToken with padded segments error = %v; want nil", err)
	}
}

func TestIDTokenClaims_Username_order(t *testing.T) {
	tests := []struct {
		c    domain.IDTokenClaims
		want string
	}{
		{c: domain.IDTokenClaims{PreferredUsername: "p", UPN: "u", Email: "e"}, want: "p"},
		{c: domain.IDTokenClaims{UPN: "u", Email: "e"}, want: "u"},
		{c: domain.IDTokenClaims{Email: "e"}, want: "e"},
		{c: domain.IDTokenClaims{}, want: ""},
	}
	for _, tt := range tests {
		if got := tt.c.Username(); got != tt.want {
			t.Errorf("%+v.Username() = %q; want %q", tt.c, got, tt.want)
		}
	}
}

// previous returns an expectation that the token continues prev, changed by edit.
func previous(prev domain.IDTokenClaims, edit func(*domain.IDTokenClaims)) func(*domain.IDTokenExpectations) {
	return func(e *domain.IDTokenExpectations) {
		p := prev
		p.Audience = slices.Clone(prev.Audience)
		if edit != nil {
			edit(&p)
		}
		e.Previous = &p
	}
}

func TestIDTokenClaims_Check(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	base := domain.IDTokenClaims{
		Issuer: "https://login.microsoftonline.com/" + tid + "/v2.0", Subject: "sub-1", Audience: []string{"client"},
		Expiry: now.Add(time.Hour), IssuedAt: now, Nonce: "nonce-1", TenantID: tid,
	}
	exp := domain.IDTokenExpectations{Issuer: base.Issuer, ClientID: "client", Nonce: "nonce-1", Now: now}
	tests := []struct {
		name   string
		claims func(*domain.IDTokenClaims)
		expect func(*domain.IDTokenExpectations)
		want   error // nil, ErrInvalidIDToken or ErrNonceMismatch
	}{
		{name: "valid"},
		{name: "issuer differs by a trailing slash", expect: func(e *domain.IDTokenExpectations) { e.Issuer += "/" }, want: domain.ErrInvalidIDToken},
		{name: "issuer differs by case", claims: func(c *domain.IDTokenClaims) { c.Issuer = strings.ToUpper(c.Issuer) }, want: domain.ErrInvalidIDToken},
		{name: "no expected issuer", expect: func(e *domain.IDTokenExpectations) { e.Issuer = "" }, want: domain.ErrInvalidIDToken},
		{name: "tenant template", expect: func(e *domain.IDTokenExpectations) { e.Issuer = "https://login.microsoftonline.com/{tenantid}/v2.0" }},
		{name: "tenant template without tid", claims: func(c *domain.IDTokenClaims) { c.TenantID = "" },
			expect: func(e *domain.IDTokenExpectations) { e.Issuer = "https://login.microsoftonline.com/{tenantid}/v2.0" }, want: domain.ErrInvalidIDToken},
		{name: "tenant template with another tid", claims: func(c *domain.IDTokenClaims) { c.TenantID = "other" },
			expect: func(e *domain.IDTokenExpectations) { e.Issuer = "https://login.microsoftonline.com/{tenantid}/v2.0" }, want: domain.ErrInvalidIDToken},
		{name: "audience among several with azp", claims: func(c *domain.IDTokenClaims) { c.Audience, c.AuthorizedParty = []string{"api", "client"}, "client" }},
		{name: "audience among several without azp", claims: func(c *domain.IDTokenClaims) { c.Audience = []string{"api", "client"} }, want: domain.ErrInvalidIDToken},
		{name: "audience among several, azp another party", claims: func(c *domain.IDTokenClaims) { c.Audience, c.AuthorizedParty = []string{"api", "client"}, "api" }, want: domain.ErrInvalidIDToken},
		{name: "one audience, azp the client", claims: func(c *domain.IDTokenClaims) { c.AuthorizedParty = "client" }},
		{name: "one audience, azp another party", claims: func(c *domain.IDTokenClaims) { c.AuthorizedParty = "api" }, want: domain.ErrInvalidIDToken},
		{name: "audience lacks client", claims: func(c *domain.IDTokenClaims) { c.Audience = []string{"api"} }, want: domain.ErrInvalidIDToken},
		{name: "audience differs by case", claims: func(c *domain.IDTokenClaims) { c.Audience = []string{"CLIENT"} }, want: domain.ErrInvalidIDToken},
		{name: "expired beyond default skew", claims: func(c *domain.IDTokenClaims) { c.Expiry = now.Add(-6 * time.Minute) }, want: domain.ErrInvalidIDToken},
		{name: "expired within default skew", claims: func(c *domain.IDTokenClaims) { c.Expiry = now.Add(-4 * time.Minute) }},
		{name: "expired exactly by the skew", claims: func(c *domain.IDTokenClaims) { c.Expiry = now.Add(-domain.DefaultClockSkew) }},
		{name: "expired beyond a custom skew", claims: func(c *domain.IDTokenClaims) { c.Expiry = now.Add(-2 * time.Minute) },
			expect: func(e *domain.IDTokenExpectations) { e.Skew = time.Minute }, want: domain.ErrInvalidIDToken},
		{name: "nbf beyond skew", claims: func(c *domain.IDTokenClaims) { c.NotBefore = now.Add(10 * time.Minute) }, want: domain.ErrInvalidIDToken},
		{name: "nbf within skew", claims: func(c *domain.IDTokenClaims) { c.NotBefore = now.Add(4 * time.Minute) }},
		{name: "nonce mismatch", claims: func(c *domain.IDTokenClaims) { c.Nonce = "other" }, want: domain.ErrNonceMismatch},
		{name: "nonce missing from token", claims: func(c *domain.IDTokenClaims) { c.Nonce = "" }, want: domain.ErrNonceMismatch},
		{name: "no nonce sent", expect: func(e *domain.IDTokenExpectations) { e.Nonce = "" }},
		{name: "subject matches", expect: func(e *domain.IDTokenExpectations) { e.Subject = "sub-1" }},
		{name: "subject mismatch", expect: func(e *domain.IDTokenExpectations) { e.Subject = "sub-2" }, want: domain.ErrInvalidIDToken},
		{name: "previous token continued", expect: previous(base, nil)},
		{name: "previous token, audiences in another order", claims: func(c *domain.IDTokenClaims) { c.Audience, c.AuthorizedParty = []string{"api", "client"}, "client" },
			expect: previous(base, func(p *domain.IDTokenClaims) {
				p.Audience, p.AuthorizedParty = []string{"client", "api", "client"}, "client"
			})},
		{name: "previous token, another issuer", claims: func(c *domain.IDTokenClaims) {
			c.TenantID = "other"
			c.Issuer = "https://login.microsoftonline.com/other/v2.0"
		},
			expect: func(e *domain.IDTokenExpectations) {
				e.Issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
				previous(base, nil)(e)
			}, want: domain.ErrInvalidIDToken},
		{name: "previous token, another subject", claims: func(c *domain.IDTokenClaims) { c.Subject = "sub-2" }, expect: previous(base, nil), want: domain.ErrInvalidIDToken},
		{name: "previous token, an audience added", claims: func(c *domain.IDTokenClaims) { c.Audience, c.AuthorizedParty = []string{"client", "api"}, "client" },
			expect: previous(base, func(p *domain.IDTokenClaims) { p.AuthorizedParty = "client" }), want: domain.ErrInvalidIDToken},
		{name: "previous token, an audience dropped", claims: func(c *domain.IDTokenClaims) { c.AuthorizedParty = "client" },
			expect: previous(base, func(p *domain.IDTokenClaims) { p.Audience, p.AuthorizedParty = []string{"client", "api"}, "client" }), want: domain.ErrInvalidIDToken},
		{name: "previous token, azp added", claims: func(c *domain.IDTokenClaims) { c.AuthorizedParty = "client" }, expect: previous(base, nil), want: domain.ErrInvalidIDToken},
		{name: "previous token, azp dropped", expect: previous(base, func(p *domain.IDTokenClaims) { p.AuthorizedParty = "client" }), want: domain.ErrInvalidIDToken},
		{name: "previous token, a nonce added", expect: previous(base, func(p *domain.IDTokenClaims) { p.Nonce = "" }), want: domain.ErrInvalidIDToken},
		{name: "previous token, another nonce", expect: previous(base, func(p *domain.IDTokenClaims) { p.Nonce = "nonce-0" }), want: domain.ErrInvalidIDToken},
		{name: "previous token, nonce dropped", claims: func(c *domain.IDTokenClaims) { c.Nonce = "" },
			expect: func(e *domain.IDTokenExpectations) { e.Nonce = ""; previous(base, nil)(e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, e := base, exp
			c.Audience = slices.Clone(base.Audience)
			if tt.claims != nil {
				tt.claims(&c)
			}
			if tt.expect != nil {
				tt.expect(&e)
			}
			err := c.Check(e)
			if err != nil && strings.Contains(err.Error(), "nonce-1") {
				t.Errorf("Check() = %q; quotes the nonce", err)
			}
			if tt.want == nil {
				if err != nil {
					t.Errorf("Check() = %v; want nil", err)
				}
				return
			}
			var de *domain.Error
			if !errors.Is(err, tt.want) || !errors.As(err, &de) {
				t.Errorf("Check() = %v; want a *domain.Error of %v", err, tt.want)
			}
		})
	}
}
