package domain_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

var allClasses = []domain.ErrorCode{
	domain.ErrInteractionRequired, domain.ErrNoTokens, domain.ErrInvalidGrant, domain.ErrInvalidClient,
	domain.ErrInvalidScope, domain.ErrAccessDenied, domain.ErrStateMismatch, domain.ErrNonceMismatch,
	domain.ErrInvalidIDToken, domain.ErrInvalidFlow, domain.ErrInvalidInput, domain.ErrInvalidResponse,
	domain.ErrThrottled, domain.ErrUnavailable, domain.ErrCacheStore, domain.ErrDiscovery,
}

// asDomainError fails unless err is a *domain.Error with one of the known classes.
func asDomainError(t *testing.T, err error) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *domain.Error", err, err)
	}
	if !slices.Contains(allClasses, de.Class) {
		t.Fatalf("error %v has unknown class %q", err, de.Class)
	}
	return de
}

// assertNoSecret fails when the message of de contains secret, unless the text comes
// from a field the provider sent as non-secret (its code, description, suberror,
// correlation id) or from echoed, named in quoted.
func assertNoSecret(t *testing.T, de *domain.Error, secret string, quoted ...string) {
	t.Helper()
	if len(secret) < 8 || !strings.Contains(de.Error(), secret) {
		return
	}
	skeleton := (&domain.Error{Class: de.Class, HTTPStatus: de.HTTPStatus, RetryAfter: de.RetryAfter, Op: de.Op}).Error()
	allowed := strings.Join(append([]string{skeleton, de.Code, de.SubError, de.Description, de.CorrelationID}, quoted...), "\n")
	if !strings.Contains(allowed, secret) {
		t.Fatalf("error %q contains the secret %q", de.Error(), secret)
	}
}

var grants = []domain.GrantKind{domain.GrantAuthorizationCode, domain.GrantPassword, domain.GrantRefreshToken, domain.GrantClientCredentials}

func FuzzParseTokenResponse(f *testing.F) {
	f.Add(uint8(0), 200, []byte(`{"access_token":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln","token_type":"bearer","expires_in":"3599","scope":"User.Read openid"}`))
	f.Add(uint8(2), 200, []byte(`{"access_token":"at-secret-value","refresh_token":"rt-secret-value","expires_in":0}`))
	f.Add(uint8(2), 400, []byte(`{"error":"invalid_grant","suberror":"basic_action","error_codes":[50076,"65001"],"correlation_id":"c","trace_id":"t","refresh_token":"rt-secret-value"}`))
	f.Add(uint8(2), 200, []byte(`{"error":"interaction_required","access_token":"at-secret-value"}`))
	f.Add(uint8(1), 403, []byte(``))
	f.Add(uint8(3), 429, []byte(`{}`))
	f.Add(uint8(0), 503, []byte(`<html>busy</html>`))
	f.Add(uint8(0), 200, []byte("\xef\xbb\xbf{\"access_token\":\"x\",\"expires_in\":1e300,\"ext_expires_in\":\"NaN\",\"refresh_in\":-1}"))
	f.Add(uint8(0), 200, []byte(`null`))
	f.Fuzz(func(t *testing.T, g uint8, status int, body []byte) {
		grant := grants[int(g)%len(grants)]
		r, err := domain.ParseTokenResponse(grant, status, body)
		if err == nil {
			if status < 200 || status > 299 {
				t.Fatalf("ParseTokenResponse succeeded on HTTP %d", status)
			}
			if verr := r.Validate(); verr != nil {
				t.Fatalf("parsed response fails Validate: %v", verr)
			}
			if r.TokenType == "" {
				t.Fatalf("parsed response has no token type")
			}
			return
		}
		de := asDomainError(t, err)
		if de.HTTPStatus != status {
			t.Fatalf("error HTTPStatus = %d; want %d", de.HTTPStatus, status)
		}
		if !reflect.DeepEqual(r, domain.TokenResponse{}) {
			t.Fatalf("ParseTokenResponse returned a response with its error %v", err)
		}
		var m map[string]any
		if json.Unmarshal(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), &m) == nil {
			for _, k := range []string{"access_token", "refresh_token", "id_token"} {
				if s, ok := m[k].(string); ok {
					assertNoSecret(t, de, s)
				}
			}
		}
	})
}

func FuzzParseIDToken(f *testing.F) {
	f.Add(makeJWT(f, rs256, `{"iss":"https://idp.example.com","sub":"s","aud":["c","d"],"exp":1.7e9,"iat":"1699990000","nonce":"n"}`))
	f.Add(makeJWT(f, `{"alg":"none"}`, `{"iss":"i","sub":"s","aud":"c","exp":1700000000}`))
	f.Add(makeJWT(f, rs256, `{"iss":"i","sub":"s","aud":"","exp":"1e11"}`))
	f.Add(makeJWT(f, rs256, `{"iss":"i","sub":"s","aud":[1],"exp":-1}`))
	f.Add(b64(f, rs256) + "." + b64(f, `{}`))
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		h, c, err := domain.ParseIDToken(raw)
		if err != nil {
			de := asDomainError(t, err)
			if de.Class != domain.ErrInvalidIDToken {
				t.Fatalf("error class = %q; want %q", de.Class, domain.ErrInvalidIDToken)
			}
			for _, part := range strings.Split(raw, ".")[1:] {
				if len(part) >= 16 && strings.Contains(err.Error(), part) {
					t.Fatalf("error %q quotes part of the token", err)
				}
			}
			return
		}
		if h.Alg == "" || strings.EqualFold(h.Alg, "none") {
			t.Fatalf("accepted alg %q", h.Alg)
		}
		if c.Issuer == "" || c.Subject == "" || len(c.Audience) == 0 || slices.Contains(c.Audience, "") || c.Expiry.IsZero() {
			t.Fatalf("parsed claims lack iss, sub, aud or exp: %+v", c)
		}
	})
}

func FuzzCheckAuthResponse(f *testing.F) {
	f.Add("state=state-123&code=SplxlOBeZQQYbYS6WxSbIA", "", false)
	f.Add("state=state-123&code=SplxlOBeZQQYbYS6WxSbIA&iss=https%3A%2F%2Fidp", "https://idp", true)
	f.Add("state=other&error=access_denied&error_description=no", "", false)
	f.Add("state=state-123&error=login_required&suberror=basic_action&code=SplxlOBeZQQYbYS6WxSbIA", "", false)
	f.Add("state=state-123&state=x&code=&iss=", "https://idp", true)
	f.Add("%zz;state=state-123", "", false)
	f.Fuzz(func(t *testing.T, query, issuer string, required bool) {
		flow := testFlow()
		v, _ := url.ParseQuery(query)
		r := domain.ParseAuthResponse(v)
		err := flow.CheckAuthResponse(r, issuer, required)
		if err == nil {
			issOK := (r.Issuer == "" && !required) || (issuer != "" && r.Issuer == issuer)
			if r.State != flow.State || r.Error != "" || r.Code == "" || !issOK {
				t.Fatalf("CheckAuthResponse accepted %+v (issuer %q, required %v)", r, issuer, required)
			}
			return
		}
		de := asDomainError(t, err)
		issOK := (r.Issuer == "" && !required) || (issuer != "" && r.Issuer == issuer)
		switch {
		case r.State != flow.State:
			if de.Class != domain.ErrStateMismatch {
				t.Fatalf("state %q: class = %q; want %q", r.State, de.Class, domain.ErrStateMismatch)
			}
		case !issOK:
			if de.Class != domain.ErrInvalidResponse || de.Code != "" {
				t.Fatalf("iss %q (issuer %q, required %v) became %+v; want an issuer mismatch, not the provider's error", r.Issuer, issuer, required, de)
			}
		case r.Error != "":
			want := &domain.Error{Code: r.Error, Description: r.ErrorDescription}
			want.Scrub(string(r.Code), string(flow.CodeVerifier))
			if de.Code != want.Code || de.Description != want.Description {
				t.Fatalf("provider error %q/%q became %+v; want it kept, scrubbed of the code and verifier", r.Error, r.ErrorDescription, de)
			}
		}
		assertNoSecret(t, de, string(r.Code), r.Issuer)
		assertNoSecret(t, de, string(flow.CodeVerifier), r.Issuer)
	})
}

// FuzzParseAuthResponseStrict feeds arbitrary redirect queries to the strict parser:
// what it accepts has each response parameter at most once and a bounded, printable
// state and code; what it refuses is a *domain.Error that quotes no value.
func FuzzParseAuthResponseStrict(f *testing.F) {
	f.Add("state=state-123&code=SplxlOBeZQQYbYS6WxSbIA")
	f.Add("state=state-123&state=state-123&code=c")
	f.Add("state=state-123&code=a&code=b")
	f.Add("state=s&error=access_denied&error=server_error&iss=x&iss=y")
	f.Add("state=%00&code=%7f")
	f.Add("state=s&code=" + strings.Repeat("c", domain.MaxCodeBytes+1))
	f.Add("%zz;state=s&code=c")
	f.Fuzz(func(t *testing.T, query string) {
		v, _ := url.ParseQuery(query)
		r, err := domain.ParseAuthResponseStrict(v)
		if err != nil {
			de := asDomainError(t, err)
			if de.Class != domain.ErrStateMismatch && de.Class != domain.ErrInvalidResponse {
				t.Fatalf("class = %q; want state_mismatch or invalid_response", de.Class)
			}
			if !slices.Contains(strictMessages(), err.Error()) {
				t.Fatalf("error %q is not one of the fixed messages (does it quote a value?)", err)
			}
			return
		}
		for _, p := range []string{"code", "state", "iss", "error", "error_description", "error_uri", "suberror", "session_state", "client_info"} {
			if len(v[p]) > 1 {
				t.Fatalf("accepted %s given %d times", p, len(v[p]))
			}
		}
		for name, s := range map[string]string{"state": r.State, "code": string(r.Code)} {
			if len(s) > 4096 {
				t.Fatalf("accepted a %s of %d bytes", name, len(s))
			}
			for i := 0; i < len(s); i++ {
				if s[i] < 0x20 || s[i] > 0x7e {
					t.Fatalf("accepted a %s with byte %#x", name, s[i])
				}
			}
		}
		if r != domain.ParseAuthResponse(v) {
			t.Fatalf("strict parse %+v differs from the plain one", r)
		}
	})
}

// strictMessages lists every message ParseAuthResponseStrict may return: fixed texts,
// so that no value of the response can reach one.
func strictMessages() []string {
	var out []string
	for _, p := range []string{"code", "state", "iss", "error", "error_description", "error_uri", "suberror", "session_state", "client_info"} {
		out = append(out, "hexauth: state_mismatch: authorization response repeats the parameter "+p)
	}
	for _, c := range []string{"state_mismatch: authorization response state", "invalid_response: authorization response code"} {
		out = append(out, "hexauth: "+c+" exceeds 4096 bytes", "hexauth: "+c+" is not printable ASCII (RFC 6749 Appendix A)")
	}
	return out
}

var fuzzKinds = []domain.AuthorityKind{domain.AuthorityAuto, domain.AuthorityEntra, domain.AuthorityB2C,
	domain.AuthorityADFS, domain.AuthorityOIDC, domain.AuthorityKind("saml")}

func FuzzParseAuthority(f *testing.F) {
	for _, s := range []string{"https://login.microsoftonline.com/common/v2.0/", "https://contoso.b2clogin.com/tfp/t/p",
		"https://fs.contoso.com/adfs", "http://[::1]:8080/x", "http://localhost", "https://u:p@h/", "https://h/?q#f",
		"https://H%41ST/%2e%2e/", "login.microsoftonline.com//common", "https://login.microsoftonline.com:443/Common"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, raw string, k uint8) {
		kind := fuzzKinds[int(k)%len(fuzzKinds)]
		a, err := domain.ParseAuthority(raw, kind)
		if err == nil {
			checkAuthority(t, raw, kind, a)
		} else if de := asDomainError(t, err); de.Class != domain.ErrInvalidInput || a != (domain.Authority{}) {
			t.Fatalf("ParseAuthority(%q) = %+v, %v; want zero and ErrInvalidInput", raw, a, err)
		}
		const marker = "pw-MARKER-7f3a"
		if _, err := domain.ParseAuthority("https://user:"+marker+"@"+raw, kind); err == nil || strings.Contains(err.Error(), marker) {
			t.Fatalf("ParseAuthority with user info: error %v; want an error without the password", err)
		}
	})
}

func checkAuthority(t *testing.T, raw string, kind domain.AuthorityKind, a domain.Authority) {
	t.Helper()
	if a.Host == "" || a.Host != strings.ToLower(a.Host) {
		t.Fatalf("ParseAuthority(%q).Host = %q; want non-empty, lower case", raw, a.Host)
	}
	u, err := url.Parse(a.URL)
	// An OIDC issuer keeps the trailing slash it was configured with (its issuer is
	// compared exactly); every other kind loses it.
	if err != nil || u.RawQuery != "" || u.Fragment != "" || u.User != nil || a.Kind != domain.AuthorityOIDC && strings.HasSuffix(a.URL, "/") {
		t.Fatalf("ParseAuthority(%q).URL = %q; want a clean URL (without trailing slash but for an OIDC issuer)", raw, a.URL)
	}
	if in, perr := url.Parse(strings.TrimSpace(raw)); perr == nil && a.Kind == domain.AuthorityOIDC &&
		strings.HasSuffix(a.URL, "/") != strings.HasSuffix(in.EscapedPath(), "/") {
		t.Fatalf("ParseAuthority(%q).URL = %q; want the OIDC issuer's trailing slash kept as configured", raw, a.URL)
	}
	if r := a.Realm(); strings.HasPrefix(r, "/") || strings.HasSuffix(r, "/") {
		t.Fatalf("ParseAuthority(%q).Realm() = %q; want no leading or trailing slash", raw, r)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && domain.IsLoopbackHost(u.Hostname())) {
		t.Fatalf("ParseAuthority(%q).URL = %q; want https or loopback http", raw, a.URL)
	}
	switch {
	case kind != domain.AuthorityAuto && a.Kind != kind,
		a.Kind == domain.AuthorityEntra && a.Tenant == "",
		a.Kind == domain.AuthorityB2C && (a.Tenant == "" || a.Policy == ""),
		a.Kind == domain.AuthorityADFS && a.Tenant != "adfs",
		!slices.Contains(fuzzKinds[1:5], a.Kind):
		t.Fatalf("ParseAuthority(%q, %q) = %+v; inconsistent kind and tenant", raw, kind, a)
	}
	again, err := domain.ParseAuthority(a.URL, a.Kind)
	if err != nil || again != a {
		t.Fatalf("ParseAuthority(%q) = %+v, but its URL parses to %+v, %v", raw, a, again, err)
	}
}

func FuzzParseClientInfo(f *testing.F) {
	f.Add(makeClientInfo("uid", "utid"))
	f.Add(base64.StdEncoding.EncodeToString([]byte(clientInfoJSON)))
	f.Add(base64.URLEncoding.EncodeToString([]byte(`{"uid":"","utid":"t"}`)))
	f.Add("e30")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, s string) {
		ci, err := domain.ParseClientInfo(s)
		if err != nil {
			if de := asDomainError(t, err); de.Class != domain.ErrInvalidResponse {
				t.Fatalf("error class = %q; want %q", de.Class, domain.ErrInvalidResponse)
			}
			return
		}
		if ci.UID == "" || ci.UTID == "" {
			t.Fatalf("ParseClientInfo(%q) = %+v; want uid and utid", s, ci)
		}
		if home, err := domain.HomeAccountID(s, &domain.IDTokenClaims{Subject: "sub"}); err != nil || home != ci.UID+"."+ci.UTID {
			t.Fatalf("HomeAccountID(%q) = %q, %v; want %q", s, home, err, ci.UID+"."+ci.UTID)
		}
	})
}
