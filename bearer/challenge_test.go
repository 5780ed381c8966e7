package bearer_test

import (
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/bearer"
	"github.com/hexauth/hexauth/domain"
)

func header(values ...string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add("WWW-Authenticate", v)
	}
	return h
}

func TestParseChallenges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []string
		want   []bearer.Challenge
	}{
		{"RFC 6750 §3 example", []string{`Bearer realm="example", error="invalid_token", error_description="The access token expired"`},
			[]bearer.Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "example", "error": "invalid_token", "error_description": "The access token expired"}}}},
		{"several challenges in one field", []string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`},
			[]bearer.Challenge{
				{Scheme: "Newauth", Params: map[string]string{"realm": "apps", "type": "1", "title": `Login to "apps"`}},
				{Scheme: "Basic", Params: map[string]string{"realm": "simple"}}}},
		{"several fields", []string{`Negotiate`, `Bearer error="insufficient_claims"`},
			[]bearer.Challenge{{Scheme: "Negotiate"}, {Scheme: "Bearer", Params: map[string]string{"error": "insufficient_claims"}}}},
		{"a bare scheme before another", []string{`Negotiate, Bearer realm=x`},
			[]bearer.Challenge{{Scheme: "Negotiate"}, {Scheme: "Bearer", Params: map[string]string{"realm": "x"}}}},
		{"token68", []string{`Negotiate YIIB+g/x==, Bearer`},
			[]bearer.Challenge{{Scheme: "Negotiate", Token68: "YIIB+g/x=="}, {Scheme: "Bearer"}}},
		{"names fold, whitespace and empty elements", []string{` ,Bearer  REALM = "a,b" ,, Error=x ,`},
			[]bearer.Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "a,b", "error": "x"}}}},
		{"an escaped backslash and comma inside quotes", []string{`Bearer claims="a\\b, c=d"`},
			[]bearer.Challenge{{Scheme: "Bearer", Params: map[string]string{"claims": `a\b, c=d`}}}},
		{"no field", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bearer.ParseChallenges(header(tc.fields...))
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseChallenges(%q) = %#v, %v; want %#v, nil", tc.fields, got, err, tc.want)
			}
		})
	}
}

func TestParseChallenges_malformed(t *testing.T) {
	for _, tc := range []struct{ name, field string }{
		{"unterminated quote", `Bearer realm="abc`},
		{"bad escape at the end", `Bearer realm="abc\`},
		{"control character in quotes", "Bearer realm=\"a\x01b\""},
		{"missing value", `Bearer realm=, error="x"`},
		{"params without commas", `Bearer realm="a" error="b"`},
		{"repeated param", `Bearer error="a", error="b"`},
		{"no scheme", `="x"`},
		{"scheme glued to a quote", `Bearer"x"`},
		{"two bare words", `Bearer abc def`},
		{"too many challenges", strings.Repeat("Basic, ", bearer.MaxChallenges) + "Bearer"},
		{"too many params", "Bearer " + manyParams(bearer.MaxParamsPerChallenge+1)},
		{"too long", `Bearer realm="` + strings.Repeat("a", bearer.MaxChallengeBytes) + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bearer.ParseChallenges(header(tc.field))
			if !errors.Is(err, domain.ErrInvalidResponse) || got != nil {
				t.Fatalf("ParseChallenges(%.60q) = %v, %v; want nil, ErrInvalidResponse", tc.field, got, err)
			}
		})
	}
	// The byte bound counts every field together.
	half := `Bearer realm="` + strings.Repeat("a", bearer.MaxChallengeBytes/2) + `"`
	if _, err := bearer.ParseChallenges(header(half, half)); !errors.Is(err, domain.ErrInvalidResponse) {
		t.Errorf("two fields over the bound together = %v; want ErrInvalidResponse", err)
	}
}

func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("p")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString("=1")
	}
	return b.String()
}

// Entra's CAE challenge: claims in padded standard base64.
const entraChallenge = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="`

const entraClaims = `{"access_token":{"nbf":{"essential":true, "value":"1604106651"}}}`

func TestInsufficientClaims(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []string
		want   string
		ok     bool
	}{
		{"Entra CAE", []string{entraChallenge}, entraClaims, true},
		{"after another challenge, in a second field", []string{`Basic realm="x"`, entraChallenge}, entraClaims, true},
		{"raw base64url", []string{`Bearer error="insufficient_claims", claims="eyJhIjoxfQ"`}, `{"a":1}`, true},
		{"JSON as is", []string{`Bearer error="insufficient_claims", claims="{\"a\":1}"`}, `{"a":1}`, true},
		{"another error", []string{`Bearer error="invalid_token", claims="eyJhIjoxfQ"`}, "", false},
		{"RFC 9470 step-up is not a claims challenge", []string{`Bearer error="insufficient_user_authentication", acr_values="mfa"`}, "", false},
		{"not Bearer", []string{`PoP error="insufficient_claims", claims="eyJhIjoxfQ"`}, "", false},
		{"claims not JSON", []string{`Bearer error="insufficient_claims", claims="bm90IGpzb24"`}, "", false},
		{"claims a JSON array", []string{`Bearer error="insufficient_claims", claims="WzFd"`}, "", false},
		{"no claims", []string{`Bearer error="insufficient_claims"`}, "", false},
		{"malformed field", []string{`Bearer error="insufficient_claims", claims="eyJhIjoxfQ`}, "", false},
		{"claims over the bound", []string{`Bearer error="insufficient_claims", claims="{\"a\":\"` + strings.Repeat("b", bearer.MaxClaimsBytes) + `\"}"`}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := bearer.InsufficientClaims(header(tc.fields...))
			if got != tc.want || ok != tc.ok {
				t.Fatalf("InsufficientClaims = %.80q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// render writes challenges back in canonical syntax, every value quoted and escaped.
func render(cs []bearer.Challenge) string {
	var parts []string
	for _, c := range cs {
		s := c.Scheme
		if c.Token68 != "" {
			s += " " + c.Token68
		}
		names := make([]string, 0, len(c.Params))
		for n := range c.Params {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			sep := ", "
			if i == 0 {
				sep = " "
			}
			v := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(c.Params[n])
			s += sep + n + `="` + v + `"`
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// FuzzParseChallenges: any input parses within the bounds or fails with
// ErrInvalidResponse, never panics; what parses renders and parses back the same.
func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{entraChallenge, `Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
		`Negotiate YIIB+g/x==, Bearer`, ` ,Bearer  REALM = "a,b" ,, Error=x ,`, `Bearer realm="abc\`, "Bearer a=\"\x80\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := bearer.ParseChallenges(header(s))
		if err != nil {
			if !errors.Is(err, domain.ErrInvalidResponse) {
				t.Fatalf("ParseChallenges(%q) error %v; want ErrInvalidResponse", s, err)
			}
			return
		}
		if len(cs) > bearer.MaxChallenges {
			t.Fatalf("%d challenges; the bound is %d", len(cs), bearer.MaxChallenges)
		}
		for _, c := range cs {
			if len(c.Params) > bearer.MaxParamsPerChallenge {
				t.Fatalf("%d params; the bound is %d", len(c.Params), bearer.MaxParamsPerChallenge)
			}
		}
		if len(render(cs)) > bearer.MaxChallengeBytes {
			return
		}
		again, err := bearer.ParseChallenges(header(render(cs)))
		if err != nil || !reflect.DeepEqual(normal(again), normal(cs)) {
			t.Fatalf("ParseChallenges(%q) = %#v; its rendering %q parses as %#v, %v", s, cs, render(cs), again, err)
		}
	})
}

// normal makes an empty param map and none compare equal.
func normal(cs []bearer.Challenge) []bearer.Challenge {
	out := make([]bearer.Challenge, len(cs))
	for i, c := range cs {
		if len(c.Params) == 0 {
			c.Params = nil
		}
		out[i] = c
	}
	return out
}
