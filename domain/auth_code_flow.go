package domain

import (
	cryptorand "crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// DefaultFlowMaxAge is how long an initiated auth-code flow may be completed.
const DefaultFlowMaxAge = 15 * time.Minute

// AuthCodeFlow is the state of an authorization-code flow between its two halves
// (initiate, then complete with the redirect's query). The caller keeps it, for example
// in a server-side web session; it serialises to JSON. It holds the PKCE code verifier, a
// secret: keep it where the user agent cannot read it.
type AuthCodeFlow struct {
	AuthURI         string    `json:"auth_uri"`
	State           string    `json:"state"`
	Nonce           string    `json:"nonce"`
	CodeVerifier    Secret    `json:"code_verifier"`
	RedirectURI     string    `json:"redirect_uri"`
	Scopes          []string  `json:"scope"`
	ClaimsChallenge string    `json:"claims_challenge,omitempty"`
	Authority       string    `json:"authority"`
	CreatedAt       time.Time `json:"created_at"`
	// MaxAge is the max_age the authorization request sent, in seconds (nil: none);
	// the ID token's auth_time is then checked against it (OIDC Core §3.1.3.7 item 13).
	MaxAge *int64 `json:"max_age,omitempty"`
	// ResponseMode is the response_mode the authorization request sent (empty: none,
	// which is query); the response must arrive that way (CheckResponseArrival).
	ResponseMode ResponseMode `json:"response_mode,omitempty"`
}

// MaxAgeDuration returns the flow's max_age as a duration, or nil when none was sent.
func (f AuthCodeFlow) MaxAgeDuration() *time.Duration {
	if f.MaxAge == nil {
		return nil
	}
	d := time.Duration(*f.MaxAge) * time.Second
	return &d
}

// PKCE is a Proof Key for Code Exchange pair (RFC 7636) using the S256 method.
type PKCE struct {
	Verifier  Secret
	Challenge string
}

// PKCEMethod is the only code challenge method hexauth sends (RFC 7636 §4.2).
const PKCEMethod = "S256"

// NewPKCE reads 32 random bytes from rand (crypto/rand.Reader when nil) and returns
// a 43-character verifier and its S256 challenge.
func NewPKCE(rand io.Reader) (PKCE, error) {
	v, err := RandomString(rand, 32)
	if err != nil {
		return PKCE{}, err
	}
	return PKCE{Verifier: Secret(v), Challenge: S256Challenge(v)}, nil
}

// S256Challenge returns BASE64URL(SHA256(verifier)) (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RandomString returns n random bytes from rand (crypto/rand.Reader when nil),
// base64url-encoded without padding.
func RandomString(rand io.Reader, n int) (string, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", &Error{Class: ErrInvalidInput, Description: "cannot read random bytes", Err: err}
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ConstantTimeEqual compares two strings in time independent of where they differ.
func ConstantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// CheckIntegrity verifies that the flow is whole and consistent, that it has not expired
// at now, and that its fields agree with the authorization URL it produced (state,
// nonce, redirect URI, scopes, claims challenge and the S256 challenge of its verifier),
// so that a flow edited after initiation is refused. All failures are ErrInvalidFlow.
func (f AuthCodeFlow) CheckIntegrity(now time.Time, maxAge time.Duration) error {
	if f.AuthURI == "" || f.State == "" || f.Nonce == "" || f.CodeVerifier == "" || f.CreatedAt.IsZero() {
		return Errorf(ErrInvalidFlow, "auth code flow is incomplete")
	}
	if maxAge <= 0 {
		maxAge = DefaultFlowMaxAge
	}
	if now.After(f.CreatedAt.Add(maxAge)) {
		return Errorf(ErrInvalidFlow, "auth code flow expired (older than %s)", maxAge)
	}
	if f.CreatedAt.After(now.Add(DefaultClockSkew)) {
		return Errorf(ErrInvalidFlow, "auth code flow was created in the future")
	}
	if len(f.CodeVerifier) < 43 || len(f.CodeVerifier) > 128 {
		return Errorf(ErrInvalidFlow, "auth code flow has a code verifier of the wrong length")
	}
	u, err := url.Parse(f.AuthURI)
	if err != nil {
		return Errorf(ErrInvalidFlow, "auth code flow has an unparsable auth_uri")
	}
	q := u.Query()
	// The token request carries the flow's redirect URI, or none when the authorization
	// request had none (RFC 6749 §4.1.3), so it must be the URL's: a flow edited to add,
	// drop or change it is refused before the code is sent.
	if q.Get("state") != f.State || q.Get("nonce") != f.Nonce || q.Get("redirect_uri") != f.RedirectURI ||
		q.Get("code_challenge_method") != PKCEMethod || !ConstantTimeEqual(q.Get("code_challenge"), S256Challenge(string(f.CodeVerifier))) {
		return Errorf(ErrInvalidFlow, "auth code flow does not match its authorization URL (tampered with?)")
	}
	// The scopes and claims challenge decide what the code is redeemed for: they must be
	// the ones the user was asked to consent to.
	sent := ParseScopes(q.Get("scope"))
	for _, s := range f.Scopes {
		if !slices.Contains(sent, s) {
			return Errorf(ErrInvalidFlow, "auth code flow asks for a scope its authorization URL did not (tampered with?)")
		}
	}
	if q.Get("claims") != f.ClaimsChallenge {
		return Errorf(ErrInvalidFlow, "auth code flow's claims challenge differs from its authorization URL (tampered with?)")
	}
	// max_age decides whether auth_time is checked: a flow that dropped it would accept
	// an old session the user was asked to re-authenticate.
	sentMaxAge := ""
	if f.MaxAge != nil {
		sentMaxAge = strconv.FormatInt(*f.MaxAge, 10)
	}
	if q.Get("max_age") != sentMaxAge {
		return Errorf(ErrInvalidFlow, "auth code flow's max_age differs from its authorization URL (tampered with?)")
	}
	// The response mode decides how the response must arrive: a flow edited to another
	// mode would accept a code from where the provider was told not to put it.
	if q.Get("response_mode") != string(f.ResponseMode) {
		return Errorf(ErrInvalidFlow, "auth code flow's response_mode differs from its authorization URL (tampered with?)")
	}
	return nil
}

// AuthResponse is the part of an authorization response (RFC 6749 §4.1.2) the engine
// reads from the redirect's query.
type AuthResponse struct {
	Code             Secret
	State            string
	Issuer           string // RFC 9207 "iss", when present
	Error            string
	ErrorDescription string
	ErrorURI         string
	SubError         string
}

// authResponseParams are the parameters of an authorization response the engine acts
// on (RFC 6749 §4.1.2 and §4.1.2.1, RFC 9207, OIDC Session Management, Entra's
// suberror and client_info). Each must appear at most once.
var authResponseParams = []string{
	"code", "state", "iss", "error", "error_description", "error_uri", "suberror",
	"session_state", "client_info",
}

// ParseAuthResponseStrict reads an authorization response as the engine must: a
// parameter of authResponseParams given twice is refused (RFC 6749 §3.1: "parameters
// MUST NOT be included more than once"), since which of two states or codes is the
// provider's cannot be known and "first value wins" lets an attacker who can append to
// the redirect choose (parameter pollution); the state must be at most MaxStateBytes of
// printable ASCII. Both failures are ErrStateMismatch: like a foreign state, the
// response cannot be bound to the flow, so it is refused before any network call and
// does not use the flow up. A code past MaxCodeBytes or not printable ASCII is
// ErrInvalidResponse. No error quotes a value.
func ParseAuthResponseStrict(v url.Values) (AuthResponse, error) {
	for _, p := range authResponseParams {
		if len(v[p]) > 1 {
			return AuthResponse{}, Errorf(ErrStateMismatch, "authorization response repeats the parameter %s", p)
		}
	}
	r := ParseAuthResponse(v)
	if err := CheckVSChars(ErrStateMismatch, "authorization response state", r.State, MaxStateBytes); err != nil {
		return AuthResponse{}, err
	}
	if err := checkCode(r.Code); err != nil {
		return AuthResponse{}, err
	}
	return r, nil
}

// checkCode bounds an authorization code from a redirect: RFC 6749 Appendix A makes it
// VSCHARs, and nothing larger than MaxCodeBytes is sent to a token endpoint.
func checkCode(code Secret) error {
	return CheckVSChars(ErrInvalidResponse, "authorization response code", string(code), MaxCodeBytes)
}

// ParseAuthResponse reads an authorization response from the redirect's query or form,
// keeping the first value of a repeated parameter and checking nothing. The engine uses
// ParseAuthResponseStrict; this is for fakes and tests that inspect a redirect.
func ParseAuthResponse(v url.Values) AuthResponse {
	return AuthResponse{
		Code:             Secret(v.Get("code")),
		State:            v.Get("state"),
		Issuer:           v.Get("iss"),
		Error:            v.Get("error"),
		ErrorDescription: v.Get("error_description"),
		ErrorURI:         v.Get("error_uri"),
		SubError:         v.Get("suberror"),
	}
}

// CheckAuthResponse applies the checks of an authorization response against its flow,
// in order, failing closed: the state (ErrStateMismatch), the issuer when present or
// required (RFC 9207, ErrInvalidResponse), an error the provider returned (classified
// like a token error), and a code that is present and well-formed (ErrInvalidResponse).
// The issuer is checked before the error: an error response from a mix-up attacker's
// issuer (RFC 9207 §2.4) is an issuer mismatch, not the real provider's refusal.
func (f AuthCodeFlow) CheckAuthResponse(r AuthResponse, issuer string, issuerRequired bool) error {
	if r.State == "" || !ConstantTimeEqual(r.State, f.State) {
		return &Error{Class: ErrStateMismatch, Description: "authorization response state does not match the flow"}
	}
	if r.Issuer != "" || issuerRequired {
		if issuer == "" || !ConstantTimeEqual(r.Issuer, issuer) {
			return Errorf(ErrInvalidResponse, "authorization response iss is missing or is not the authority's issuer (RFC 9207)")
		}
	}
	if r.Error != "" {
		e := &Error{
			Class:       Classify(GrantAuthorizationCode, r.Error, r.SubError, nil, 0),
			Code:        r.Error,
			Description: r.ErrorDescription,
			SubError:    r.SubError,
			Op:          "authorization",
		}
		// The text came through the browser and may carry the response's code or the
		// flow's verifier (an echo, or a forged response): neither may reach the error.
		e.Scrub(string(r.Code), string(f.CodeVerifier))
		return e
	}
	if r.Code == "" {
		return Errorf(ErrInvalidResponse, "authorization response has no code")
	}
	return checkCode(r.Code)
}
