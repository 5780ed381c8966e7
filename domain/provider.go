package domain

import (
	"crypto"
	"crypto/x509"
	"net/url"
	"time"
)

// ProviderMetadata is what the engine needs to know about an authority, from OIDC
// discovery or Entra tenant discovery.
type ProviderMetadata struct {
	Authority             Authority
	Issuer                string // may hold Entra's "{tenantid}" template
	AuthorizationEndpoint string
	TokenEndpoint         string
	JWKSURI               string
	EndSessionEndpoint    string
	// DeviceAuthorizationEndpoint is RFC 8628 §4's device_authorization_endpoint; empty
	// when the provider offers no device flow.
	DeviceAuthorizationEndpoint string
	// TokenAuthMethods are token_endpoint_auth_methods_supported; empty means the
	// provider did not say (client_secret_basic is then assumed, RFC 8414 §2).
	TokenAuthMethods []string
	// IssuerInResponse is authorization_response_iss_parameter_supported (RFC 9207): the
	// authorization response must carry "iss".
	IssuerInResponse bool
	// IDTokenSigningAlgs are id_token_signing_alg_values_supported (OIDC Discovery §3):
	// an ID token signed with another algorithm is refused. Empty: not said.
	IDTokenSigningAlgs []string
}

// AuthorizationRequest is an authorization request (RFC 6749 §4.1.1, OIDC Core
// §3.1.2.1) with PKCE (RFC 7636 §4.3).
type AuthorizationRequest struct {
	ClientID      string
	RedirectURI   string
	Scopes        []string // sent as given (the engine adds the reserved scopes)
	State         string
	Nonce         string
	CodeChallenge string // S256 only
	Prompt        string
	LoginHint     string
	DomainHint    string
	Claims        string
	MaxAge        *time.Duration // OIDC max_age, when set
	ResponseMode  ResponseMode   // not sent when empty (query)
	Extra         url.Values     // further parameters, added last
}

// ClientCredential authenticates a confidential client at the token endpoint. Exactly
// one of Secret and Key is set; a public client has none.
type ClientCredential struct {
	// Secret is the client secret (client_secret_basic or client_secret_post).
	Secret Secret
	// Key signs a private_key_jwt assertion (RFC 7523); Certificates[0] is its certificate,
	// whose thumbprint goes in the assertion header.
	Key          crypto.Signer
	Certificates []*x509.Certificate
	// AuthMethod forces a method ("client_secret_basic", "client_secret_post",
	// "private_key_jwt"); empty lets the adapter pick from the provider's metadata.
	AuthMethod string
}

// IsZero reports whether c holds no credential (a public client).
func (c ClientCredential) IsZero() bool { return c.Secret == "" && c.Key == nil }

// String redacts the credential.
func (c ClientCredential) String() string {
	switch {
	case c.Secret != "":
		return "ClientCredential(secret [redacted])"
	case c.Key != nil:
		return "ClientCredential(private key)"
	}
	return "ClientCredential(none)"
}

// TokenRequest is one grant redeemed at the token endpoint (RFC 6749 §4 and §6).
type TokenRequest struct {
	Authority  Authority
	ClientID   string
	Credential ClientCredential
	Grant      GrantKind
	Scopes     []string // sent as given

	Code         Secret // authorization_code
	CodeVerifier Secret // authorization_code with PKCE
	RedirectURI  string // authorization_code
	Username     string // password
	Password     Secret // password
	RefreshToken Secret // refresh_token
	DeviceCode   Secret // urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4)

	Claims        string // a claims challenge or request (OIDC Core §5.5)
	CorrelationID string // sent as client-request-id to Entra

	// Extra are further body parameters (MSAL's **kwargs), checked with
	// CheckExtraParameters; their values are treated as secrets (ExtraSecrets).
	Extra url.Values
}

// String describes the request without its secrets.
func (r TokenRequest) String() string {
	return "TokenRequest(" + string(r.Grant) + " for " + r.ClientID + " at " + r.Authority.URL + ")"
}
