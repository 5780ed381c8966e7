package domain

import "time"

// TokenSource says where a result's access token came from.
type TokenSource string

// Token sources.
const (
	SourceCache            TokenSource = "cache"
	SourceIdentityProvider TokenSource = "identity_provider"
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
}
