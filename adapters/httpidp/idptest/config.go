package idptest

import (
	"net"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

// ProviderConfig configures the protocol engine behind the server: users, clients,
// known scopes, token lifetimes, refresh-token rotation, client_info, RFC 9207 "iss" in
// authorization responses, the ID-token signing key and the clock. Its fields are
// documented on the type it aliases.
type ProviderConfig = fakeidp.Config

// User is an account that can sign in (username, password, subject, tenant, MFA and
// consent behaviour).
type User = fakeidp.User

// Client is a registered application: a public client (no secret, no key), or a
// confidential one with a Secret or a Certificate (or PublicKey) for private_key_jwt.
type Client = fakeidp.Client

// IDTokenFault is a defect of the ID tokens the server issues.
type IDTokenFault = fakeidp.IDTokenFault

// ID token faults, for Fault.IDToken and Server.SetIDTokenFault.
const (
	// IDTokenOK issues correct ID tokens.
	IDTokenOK = fakeidp.IDTokenOK
	// IDTokenWrongNonce sets a nonce other than the authorization request's.
	IDTokenWrongNonce = fakeidp.IDTokenWrongNonce
	// IDTokenWrongIssuer sets an iss other than the server's issuer.
	IDTokenWrongIssuer = fakeidp.IDTokenWrongIssuer
	// IDTokenWrongAudience sets an aud without the client id.
	IDTokenWrongAudience = fakeidp.IDTokenWrongAudience
	// IDTokenExpired sets exp an hour in the past.
	IDTokenExpired = fakeidp.IDTokenExpired
	// IDTokenWrongSignature signs other bytes, so the signature does not verify.
	IDTokenWrongSignature = fakeidp.IDTokenWrongSignature
	// IDTokenOtherSubject names another sub in refresh_token grant responses.
	IDTokenOtherSubject = fakeidp.IDTokenOtherSubject
	// IDTokenAlgNone issues an unsigned ID token (alg "none").
	IDTokenAlgNone = fakeidp.IDTokenAlgNone
	// IDTokenExtraAudience adds a second audience and no azp.
	IDTokenExtraAudience = fakeidp.IDTokenExtraAudience
	// IDTokenWrongAzp sets azp to another party than the client.
	IDTokenWrongAzp = fakeidp.IDTokenWrongAzp
	// IDTokenAccessTokenType issues a correctly signed token typed "at+jwt".
	IDTokenAccessTokenType = fakeidp.IDTokenAccessTokenType
	// IDTokenHMAC MACs the ID token with HS256.
	IDTokenHMAC = fakeidp.IDTokenHMAC
	// IDTokenExtraAudienceWithAzp adds a second audience with azp the client (valid).
	IDTokenExtraAudienceWithAzp = fakeidp.IDTokenExtraAudienceWithAzp
	// IDTokenRefreshAddsAudience sets azp the client, and adds a second audience in
	// refresh_token grant responses.
	IDTokenRefreshAddsAudience = fakeidp.IDTokenRefreshAddsAudience
	// IDTokenRefreshAddsAzp adds azp in refresh_token grant responses.
	IDTokenRefreshAddsAzp = fakeidp.IDTokenRefreshAddsAzp
	// IDTokenRefreshAddsNonce adds a nonce in refresh_token grant responses.
	IDTokenRefreshAddsNonce = fakeidp.IDTokenRefreshAddsNonce
	// IDTokenNoAuthTime leaves auth_time out (a provider ignoring max_age).
	IDTokenNoAuthTime = fakeidp.IDTokenNoAuthTime
	// IDTokenStaleAuthTime sets auth_time a day in the past (an old session reused).
	IDTokenStaleAuthTime = fakeidp.IDTokenStaleAuthTime
)

// DefaultTenantID is the tenant id (tid) of users whose TenantID is empty when they
// sign in through an authority that names no tenant.
const DefaultTenantID = fakeidp.DefaultTenantID

// Config configures a Server. The zero value is valid: a server on a random loopback
// port with no users and no clients, on the wall clock.
type Config struct {
	// Provider configures the protocol engine. A nil Provider.Clock means the wall clock.
	Provider ProviderConfig
	// Addr is the listen address, which must be on a loopback host; empty means
	// "127.0.0.1:0" (a random port).
	Addr string
	// AutoApproveUser, when set, signs this user in at once: GET /authorize redirects
	// to the client with a code without showing the login form. It must name one of
	// Provider.Users.
	AutoApproveUser string
	// ExpiresInAsString sends expires_in, ext_expires_in and refresh_in as JSON strings
	// ("3600") instead of numbers, as some providers do.
	ExpiresInAsString bool
	// TLS serves https with a self-signed certificate for the loopback addresses, made
	// when the server starts (Server.Certificate, CertificatePEM, and Client, which
	// trusts it), for clients that refuse a plain-http authority, as MSAL Go and MSAL
	// Python do. URL, Issuer and every endpoint then start with "https://", without the
	// port when it is 443 (Addr "127.0.0.2:443" serves "https://127.0.0.2": MSAL Python
	// keys its cache by the host without the port, MSAL Go and hexauth with it).
	TLS bool
	// EndSession announces an end_session_endpoint, {base}/logout, in the OIDC layout's
	// discovery document and serves it (OpenID Connect RP-Initiated Logout 1.0): it checks
	// the id_token_hint (signed by the server, issued by it, for client_id when both are
	// sent) and redirects to a post_logout_redirect_uri only when it is one of the
	// client's PostLogoutRedirectURIs exactly, with the state. The server keeps no
	// sessions, so it ends none: Server.EndSessions lists the requests it accepted.
	EndSession bool
}

// Validate reports whether cfg is usable, as a *domain.Error of class ErrInvalidInput.
func (cfg Config) Validate() error {
	pc := cfg.Provider
	if pc.Clock == nil {
		pc.Clock = wallClock{}
	}
	if err := pc.Validate(); err != nil {
		return err
	}
	if cfg.Addr != "" {
		host, _, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return configError("Addr %q is not host:port", cfg.Addr)
		}
		if !domain.IsLoopbackHost(host) {
			return configError("Addr %q is not on a loopback host: a fake provider signs tokens for anyone", cfg.Addr)
		}
	}
	if cfg.AutoApproveUser != "" && !hasUser(pc.Users, cfg.AutoApproveUser) {
		return configError("AutoApproveUser %q is not one of Provider.Users", cfg.AutoApproveUser)
	}
	return nil
}

func hasUser(users []User, name string) bool {
	for _, u := range users {
		if strings.EqualFold(strings.TrimSpace(u.Username), strings.TrimSpace(name)) {
			return true
		}
	}
	return false
}

// wallClock is the clock of a Config without one.
type wallClock struct{}

// Now returns the wall-clock time.
func (wallClock) Now() time.Time { return time.Now() }

// configError is an ErrInvalidInput for a bad Config.
func configError(format string, args ...any) *domain.Error {
	e := domain.Errorf(domain.ErrInvalidInput, format, args...)
	e.Op = "idptest: config"
	return e
}
