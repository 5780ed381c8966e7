package ports

import (
	"context"

	"github.com/hexauth/hexauth/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=identity_provider.go -destination=mocks/identity_provider.go -package=mocks

// IdentityProvider is an OAuth 2.0 / OpenID Connect provider as the use cases see it.
//
// Implementations are safe for concurrent use. Every method honours ctx: when ctx is
// done the method returns promptly with an error wrapping ctx.Err(). Errors are
// *domain.Error classified for errors.Is (ErrDiscovery, ErrUnavailable, ErrThrottled,
// ErrInvalidResponse, and the provider's own refusals), and never contain a secret.
type IdentityProvider interface {
	// Metadata resolves an authority into its endpoints and issuer. Results may be
	// cached by the implementation and shared by all its callers.
	Metadata(ctx context.Context, authority domain.Authority) (domain.ProviderMetadata, error)

	// AuthorizationURL builds the URL of an authorization request at authority.
	AuthorizationURL(ctx context.Context, authority domain.Authority, req domain.AuthorizationRequest) (string, error)

	// Token redeems a grant at the authority's token endpoint. A successful result has
	// passed domain.TokenResponse.Validate. A refusal is a *domain.Error carrying what the
	// provider said (code, description, suberror, error codes, claims, HTTP status).
	// Implementations never send an authorization code twice once a request carrying it
	// may have reached the provider.
	Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error)

	// DeviceAuthorization requests a device code and a user code at the authority's
	// device authorization endpoint (RFC 8628 §3.1–3.2). A successful result has passed
	// domain.ParseDeviceAuthorization's bounds. An authority whose provider offers no
	// device flow is ErrDiscovery; the poll that follows is Token with
	// domain.GrantDeviceCode, whose RFC 8628 §3.5 answers are classified by
	// domain.Classify (authorization_pending and slow_down as
	// ErrAuthorizationPending, expired_token as ErrDeviceCodeExpired, access_denied as
	// ErrAccessDenied) and never retried as transient.
	DeviceAuthorization(ctx context.Context, req domain.DeviceAuthorizationRequest) (domain.DeviceAuthorization, error)

	// VerifyIDTokenSignature verifies the signature of a raw ID token issued by
	// authority against the provider's keys. It returns ErrInvalidIDToken when the
	// signature is missing, made with "none" or an HMAC, or does not verify. It checks no
	// claims: that is domain.IDTokenClaims.Check.
	VerifyIDTokenSignature(ctx context.Context, authority domain.Authority, rawIDToken string) error
}
