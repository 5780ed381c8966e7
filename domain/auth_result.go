package domain

import "time"

// TokenSource says where a result's access token came from.
type TokenSource string

// Token sources.
const (
	SourceCache            TokenSource = "cache"
	SourceIdentityProvider TokenSource = "identity_provider"
)

// TokenKind says which token an acquisition was for.
type TokenKind string

// Token kinds of AuthResult.For.
const (
	// ForAccessToken: the call asked for scopes of an API; AccessToken is the token
	// to send it.
	ForAccessToken TokenKind = "access_token"
	// ForIDToken: the call asked for no scope beyond openid, profile and
	// offline_access — a sign-in for an ID token only (DESIGN §3). IDToken and
	// IDTokenClaims are the result; ExpiresOn is the ID token's exp. AccessToken is
	// whatever the provider issued besides (a refresh's, for the scopes it names; empty
	// on a cache hit) and is for no API the caller asked for: never send it, nor the ID
	// token, as a bearer token (BearerToken refuses). It stays in the field for a
	// caller that knowingly wants it; MSALResult and MSALJSON leave it out.
	ForIDToken TokenKind = "id_token"
)

// AuthResult is the outcome of a successful token acquisition. It prints (every fmt
// verb), logs and encodes to JSON with its tokens redacted and without the ID token's
// claims; read the tokens from their fields, or all of them with MSALJSON.
type AuthResult struct {
	AccessToken   Secret
	TokenType     string
	ExpiresOn     time.Time
	RefreshOn     time.Time // zero when no proactive refresh is planned
	Scopes        []string  // the granted scopes
	IDToken       Secret    // the raw ID token, when there is one
	IDTokenClaims *IDTokenClaims
	Account       Account // zero for app-only tokens
	// RefreshToken is set only when the provider just issued one in a non-silent flow
	// (the caller may want to keep it elsewhere), or, in any flow, when the cache store
	// could not keep it (the result then comes with an ErrCacheStore error); silent
	// results never expose it otherwise.
	RefreshToken  Secret
	TokenSource   TokenSource
	CorrelationID string
	// For says which token the call was for: ForAccessToken (the zero value reads as
	// it) or ForIDToken for a sign-in without API scopes.
	For TokenKind
}

// IDTokenOnly reports whether r is the result of a sign-in for an ID token only.
func (r AuthResult) IDTokenOnly() bool { return r.For == ForIDToken }

// BearerToken returns the access token to send to an API as a bearer token
// (RFC 6750). An ID-token-only result has none the caller asked for: it is
// ErrInvalidInput, so that an adapter (an oauth2.TokenSource, an http.RoundTripper)
// never sends an ID token, or an access token for scopes nobody asked for, to an API.
// A result without an access token is ErrInvalidInput too.
func (r AuthResult) BearerToken() (Secret, error) {
	switch {
	case r.IDTokenOnly():
		return "", Errorf(ErrInvalidInput, "the result is a sign-in for an ID token only: it holds no access token for an API; ask for the API's scopes")
	case r.AccessToken == "":
		return "", Errorf(ErrInvalidInput, "the result holds no access token")
	}
	return r.AccessToken, nil
}
