package domain_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func ExampleParseAuthority() {
	a, err := domain.ParseAuthority("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/", domain.AuthorityAuto)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Kind, a.URL, a.Realm())
	fmt.Println(a.Environments())

	_, err = domain.ParseAuthority("http://login.example.com/", domain.AuthorityAuto)
	fmt.Println(errors.Is(err, domain.ErrInvalidInput))
	// Output:
	// entra https://login.microsoftonline.com/contoso.onmicrosoft.com contoso.onmicrosoft.com
	// [login.microsoftonline.com login.windows.net login.microsoft.com sts.windows.net]
	// true
}

func ExampleScopeMatcher_Contains() {
	cached := domain.ParseScopes("User.Read Mail.Read openid profile")
	want := []string{"user.read", "offline_access"}

	entra := domain.ScopeMatcher{CaseInsensitive: true} // Authority.CaseInsensitiveScopes()
	oidc := domain.ScopeMatcher{}
	fmt.Println(entra.Contains(cached, want))
	fmt.Println(oidc.Contains(cached, want))
	// Output:
	// true
	// false
}

func ExampleNewPKCE() {
	// Production code passes crypto/rand.Reader; this example reads the 32 octets of
	// RFC 7636 Appendix B, so its output is that appendix's challenge.
	random := bytes.NewReader([]byte{116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
		22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121})
	p, err := domain.NewPKCE(random)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(p.Verifier), p.Challenge)
	fmt.Println(p.Verifier)
	// Output:
	// 43 E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
	// [redacted]
}

func ExampleParseTokenResponse() {
	body := []byte(`{"error":"invalid_grant","error_description":"AADSTS70008: The refresh token has expired.","error_codes":[70008]}`)
	_, err := domain.ParseTokenResponse(domain.GrantRefreshToken, 400, body)
	fmt.Println(errors.Is(err, domain.ErrInteractionRequired), errors.Is(err, domain.ErrInvalidGrant))
	fmt.Println(err)
	// Output:
	// true true
	// hexauth: interaction_required (invalid_grant): AADSTS70008: The refresh token has expired. [HTTP 400]
}

// An AuthResult prints and encodes without its tokens; MSALJSON is the explicit way to
// them, shaped like MSAL Python's result.
func ExampleAuthResult_MSALJSON() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	res := domain.AuthResult{AccessToken: "eyJ-access", TokenType: "Bearer", ExpiresOn: now.Add(time.Hour),
		Scopes: []string{"api://orders/read"}, TokenSource: domain.SourceIdentityProvider}
	fmt.Printf("%v\n", res)
	b, _ := res.MSALJSON(now)
	fmt.Println(string(b))
	// Output:
	// AuthResult{AccessToken:[redacted] TokenType:Bearer ExpiresOn:2026-01-01T13:00:00Z Scopes:api://orders/read IDToken: Account: RefreshToken: TokenSource:identity_provider CorrelationID:}
	// {"access_token":"eyJ-access","token_type":"Bearer","expires_in":3600,"scope":"api://orders/read","token_source":"identity_provider"}
}

// A failure as MSAL Python's error dictionary: the provider's error code and fields,
// plus hexauth's errors.Is class.
func ExampleMSALErrorJSON() {
	body := []byte(`{"error":"invalid_grant","error_description":"AADSTS50076: MFA required.","error_codes":[50076],"suberror":"basic_action","claims":"{\"access_token\":{}}"}`)
	_, err := domain.ParseTokenResponse(domain.GrantRefreshToken, 400, body)
	b, _ := domain.MSALErrorJSON(err)
	fmt.Println(string(b))
	// Output:
	// {"error":"invalid_grant","error_class":"interaction_required","error_description":"AADSTS50076: MFA required.","suberror":"basic_action","error_codes":[50076],"claims":"{\"access_token\":{}}"}
}

// Provider text is scrubbed of the request's secrets, in any encoding, before an error
// keeps it.
func ExampleScrubProviderText() {
	fmt.Println(domain.ScrubProviderText("bad request: password=p%40ss+word&x=1\x1b[2J", 4096, "p@ss word"))
	// Output:
	// bad request: password=[redacted]&x=1\x1b[2J
}

func ExampleIDTokenClaims_Claim() {
	claims, err := domain.NewIDTokenClaims(map[string]any{
		"iss": "https://login.example.com", "sub": "alice", "aud": "my-client", "exp": 1900000000,
		"groups": []any{"admins", "staff"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(claims.Subject, claims.Audience) // the claims the engine reads are fields

	// Any other claim: a list or an object comes back as a copy of its own.
	groups, _ := claims.Claim("groups")
	groups.([]any)[0] = "guests"
	again, _ := claims.Claim("groups")
	fmt.Println(groups, again)

	_, err = domain.NewIDTokenClaims(map[string]any{"sub": "alice", "aud": "my-client", "exp": 1900000000})
	fmt.Println(errors.Is(err, domain.ErrInvalidIDToken))
	// Output:
	// alice [my-client]
	// [guests staff] [admins staff]
	// true
}
