package domain

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// The types below hold secrets in fields that are not a Secret (a private key), or
// hold personal data beside their tokens (an ID token's claims, a username). Each
// prints (every fmt verb), encodes (JSON, text) and logs as a redacted summary; their
// secrets are read from their fields, explicitly. A caller that wants a result's
// tokens as JSON uses AuthResult.MSALJSON.

// formatRedacted writes text for every verb of fmt: %#v gets goText, and any other verb
// is applied to text, so no verb reaches the fields.
func formatRedacted(f fmt.State, verb rune, text, goText string) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, goText)
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), text)
}

// GoString implements fmt.GoStringer with the redacted credential.
func (c ClientCredential) GoString() string { return "domain.ClientCredential(" + c.String() + ")" }

// Format implements fmt.Formatter: every verb prints the redacted credential. Without
// it, %#v prints the private key's numbers and %d, say, the secret.
func (c ClientCredential) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.GoString())
}

// MarshalJSON implements json.Marshaler with the redacted credential.
func (c ClientCredential) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// MarshalText implements encoding.TextMarshaler with the redacted credential.
func (c ClientCredential) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// GoString implements fmt.GoStringer with the redacted request.
func (r TokenRequest) GoString() string { return "domain." + r.String() }

// Format implements fmt.Formatter: every verb prints the redacted request (its
// credential's key included).
func (r TokenRequest) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, r.String(), r.GoString())
}

// MarshalJSON implements json.Marshaler with the redacted request.
func (r TokenRequest) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// String describes the result without its tokens, claims or username: the token type,
// expiry, scopes, account id, source and correlation id.
func (r AuthResult) String() string {
	var b strings.Builder
	b.WriteString("AuthResult{AccessToken:")
	b.WriteString(r.AccessToken.String())
	fmt.Fprintf(&b, " TokenType:%s ExpiresOn:%s Scopes:%s", r.TokenType, r.ExpiresOn.Format(time.RFC3339), strings.Join(r.Scopes, " "))
	b.WriteString(" IDToken:" + r.IDToken.String())
	if r.IDTokenClaims != nil {
		b.WriteString(" IDTokenClaims:[redacted]")
	}
	b.WriteString(" Account:" + r.Account.HomeAccountID)
	b.WriteString(" RefreshToken:" + r.RefreshToken.String())
	b.WriteString(" TokenSource:" + string(r.TokenSource) + " CorrelationID:" + r.CorrelationID + "}")
	return b.String()
}

// GoString implements fmt.GoStringer with the redacted result.
func (r AuthResult) GoString() string { return "domain." + r.String() }

// Format implements fmt.Formatter: every verb prints the redacted result.
func (r AuthResult) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, r.String(), r.GoString())
}

// redactedResultJSON is the JSON of an AuthResult: what String shows.
type redactedResultJSON struct {
	AccessToken   Secret    `json:"access_token"`
	TokenType     string    `json:"token_type"`
	ExpiresOn     time.Time `json:"expires_on"`
	Scopes        []string  `json:"scope"`
	IDToken       Secret    `json:"id_token,omitempty"`
	HomeAccountID string    `json:"home_account_id,omitempty"`
	RefreshToken  Secret    `json:"refresh_token,omitempty"`
	TokenSource   string    `json:"token_source"`
	CorrelationID string    `json:"correlation_id,omitempty"`
}

// MarshalJSON implements json.Marshaler with the tokens redacted and without the ID
// token's claims. Use MSALJSON for the tokens themselves.
func (r AuthResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(redactedResultJSON{AccessToken: r.AccessToken, TokenType: r.TokenType, ExpiresOn: r.ExpiresOn,
		Scopes: r.Scopes, IDToken: r.IDToken, HomeAccountID: r.Account.HomeAccountID, RefreshToken: r.RefreshToken,
		TokenSource: string(r.TokenSource), CorrelationID: r.CorrelationID})
}

// MSALResult is an AuthResult shaped like MSAL Python's result dictionary, tokens
// included, for callers that hand results to code written for MSAL. It holds secrets
// in plain strings: keep it out of logs.
type MSALResult struct {
	AccessToken   string         `json:"access_token"`
	TokenType     string         `json:"token_type"`
	ExpiresIn     int64          `json:"expires_in"`
	Scope         string         `json:"scope"`
	IDTokenClaims map[string]any `json:"id_token_claims,omitempty"`
	TokenSource   string         `json:"token_source"`
	RefreshToken  string         `json:"refresh_token,omitempty"`
	IDToken       string         `json:"id_token,omitempty"`
	RefreshIn     int64          `json:"refresh_in,omitempty"`
}

// MSALResult returns r as MSAL Python's result dictionary: expires_in and refresh_in
// count whole seconds from now, scope is space-separated, id_token_claims are the ID
// token's claims. This, and MSALJSON, are the explicit ways to r's tokens in bulk. For
// an ID-token-only sign-in (ForIDToken) access_token, token_type and scope are empty and
// expires_in counts to the ID token's exp, as the CLI prints it.
func (r AuthResult) MSALResult(now time.Time) MSALResult {
	out := MSALResult{AccessToken: string(r.AccessToken), TokenType: r.TokenType,
		ExpiresIn: int64(r.ExpiresOn.Sub(now).Round(time.Second) / time.Second), Scope: strings.Join(r.Scopes, " "),
		TokenSource: string(r.TokenSource), RefreshToken: string(r.RefreshToken), IDToken: string(r.IDToken)}
	if r.IDTokenClaims != nil {
		out.IDTokenClaims = r.IDTokenClaims.RawClaims()
	}
	if r.IDTokenOnly() {
		// A sign-in has no access token the caller asked for: code written for MSAL reads
		// result["access_token"] and would send whatever the provider issued besides
		// (as BearerToken refuses to); expires_in is the ID token's, as ExpiresOn is.
		out.AccessToken, out.TokenType, out.Scope = "", "", ""
	}
	if !r.RefreshOn.IsZero() {
		out.RefreshIn = max(int64(r.RefreshOn.Sub(now).Round(time.Second)/time.Second), 0)
	}
	return out
}

// MSALJSON returns r, tokens included, as the JSON of MSAL Python's result dictionary
// (access_token, token_type, expires_in, scope, id_token_claims, token_source, and
// refresh_token, id_token and refresh_in when set); see MSALResult. json.Marshal of an
// AuthResult redacts instead.
func (r AuthResult) MSALJSON(now time.Time) ([]byte, error) { return json.Marshal(r.MSALResult(now)) }

// MarshalJSON implements json.Marshaler with the code verifier in clear: a flow is
// meant to be serialised into the caller's session (DESIGN §3) and completed from it.
// The PKCE verifier is what makes a stolen authorization code useless, so keep the
// serialised flow server-side or sealed, never in a cookie in the clear.
func (f AuthCodeFlow) MarshalJSON() ([]byte, error) {
	type plain AuthCodeFlow // without this method
	type withVerifier struct {
		plain
		CodeVerifier string `json:"code_verifier"`
	}
	return json.Marshal(withVerifier{plain: plain(f), CodeVerifier: string(f.CodeVerifier)})
}

// String describes the flow without its one-time values: the code verifier, state and
// nonce show as "[redacted]" and the authorization URL, which carries the state and
// nonce, without its query. Its JSON keeps them all (MarshalJSON).
func (f AuthCodeFlow) String() string {
	return fmt.Sprintf("AuthCodeFlow{AuthURI:%s State:%s Nonce:%s CodeVerifier:%s RedirectURI:%s Scopes:%s ClaimsChallenge:%t Authority:%s CreatedAt:%s}",
		withoutQuery(f.AuthURI), Secret(f.State).String(), Secret(f.Nonce).String(), f.CodeVerifier.String(), f.RedirectURI,
		strings.Join(f.Scopes, " "), f.ClaimsChallenge != "", f.Authority, f.CreatedAt.Format(time.RFC3339))
}

// GoString implements fmt.GoStringer with the redacted flow.
func (f AuthCodeFlow) GoString() string { return "domain." + f.String() }

// Format implements fmt.Formatter: every verb prints the redacted flow.
func (f AuthCodeFlow) Format(s fmt.State, verb rune) {
	formatRedacted(s, verb, f.String(), f.GoString())
}

// String describes the claims without their values beyond the issuer, the number of
// audiences and the expiry: an ID token's claims hold personal data (names, e-mail
// addresses, the subject) and the nonce, which logs and error reports must not carry.
// Read the fields, Claim or RawClaims for the values.
func (c IDTokenClaims) String() string {
	return fmt.Sprintf("IDTokenClaims{Issuer:%s Audiences:%d Expiry:%s Claims:%d [redacted]}",
		c.Issuer, len(c.Audience), c.Expiry.UTC().Format(time.RFC3339), c.claimCount())
}

// GoString implements fmt.GoStringer with the redacted claims.
func (c IDTokenClaims) GoString() string { return "domain." + c.String() }

// Format implements fmt.Formatter: every verb prints the redacted claims.
func (c IDTokenClaims) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.GoString())
}
