package domain

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrorCode is an error class of the engine. Each class is an immutable sentinel that
// callers test with errors.Is:
//
//	if errors.Is(err, domain.ErrInteractionRequired) { /* send the user to sign in */ }
//
// A class may belong to a wider one: ErrNoTokens is also ErrInteractionRequired.
type ErrorCode string

// Error classes. The string values are stable and also used as the "error_class" field
// of the command line's JSON output.
const (
	// ErrInteractionRequired: the user must sign in interactively (no usable token, a
	// refused refresh token, multi-factor or consent required).
	ErrInteractionRequired ErrorCode = "interaction_required"
	// ErrNoTokens: nothing usable is cached for the account. It is also
	// ErrInteractionRequired.
	ErrNoTokens ErrorCode = "no_tokens"
	// ErrInvalidGrant: the provider refused the grant (wrong password, a used or expired
	// authorization code, a revoked refresh token).
	ErrInvalidGrant ErrorCode = "invalid_grant"
	// ErrInvalidClient: client authentication failed, or the client is unknown or
	// misconfigured (a grant it may not use, a request the provider cannot read).
	ErrInvalidClient ErrorCode = "invalid_client"
	// ErrInvalidScope: the requested scope is invalid, unknown or malformed.
	ErrInvalidScope ErrorCode = "invalid_scope"
	// ErrAccessDenied: the resource owner or the provider denied the request.
	ErrAccessDenied ErrorCode = "access_denied"
	// ErrStateMismatch: the authorization response's state is not the flow's.
	ErrStateMismatch ErrorCode = "state_mismatch"
	// ErrNonceMismatch: the ID token's nonce is not the one sent.
	ErrNonceMismatch ErrorCode = "nonce_mismatch"
	// ErrInvalidIDToken: an ID token is malformed, unsigned, expired, or names the wrong
	// issuer, audience or subject.
	ErrInvalidIDToken ErrorCode = "invalid_id_token"
	// ErrInvalidFlow: an auth-code flow is incomplete, tampered with, expired or replayed.
	ErrInvalidFlow ErrorCode = "invalid_flow"
	// ErrInvalidInput: the caller passed something unusable (empty scopes, no account).
	ErrInvalidInput ErrorCode = "invalid_input"
	// ErrInvalidResponse: the provider's response could not be used (not JSON, missing
	// access_token, an absurd expires_in).
	ErrInvalidResponse ErrorCode = "invalid_response"
	// ErrThrottled: the provider asked us to wait (HTTP 429 or 503 with Retry-After).
	ErrThrottled ErrorCode = "throttled"
	// ErrUnavailable: the provider could not be reached or kept failing (5xx, timeouts,
	// connection failures after retries, an error body that is not JSON).
	ErrUnavailable ErrorCode = "unavailable"
	// ErrCacheStore: the token cache store failed or is closed.
	ErrCacheStore ErrorCode = "cache_store"
	// ErrDiscovery: the authority's metadata could not be resolved or was refused.
	ErrDiscovery ErrorCode = "discovery"
	// ErrDeviceCodeExpired: a device flow ended before the user approved it (the
	// provider's expired_token, or the flow's expiry passed while polling; RFC 8628
	// §3.5). It is also ErrInteractionRequired: start a new flow. A user who declined
	// is ErrAccessDenied instead.
	ErrDeviceCodeExpired ErrorCode = "device_code_expired"
	// ErrAuthorizationPending: a device-code poll was answered authorization_pending or
	// slow_down (RFC 8628 §3.5): the user has not finished yet. The device flow keeps
	// polling on it; a caller sees it only from ports.IdentityProvider.Token.
	ErrAuthorizationPending ErrorCode = "authorization_pending"
)

// Error implements error.
func (c ErrorCode) Error() string { return "hexauth: " + string(c) }

// Is reports whether c belongs to the class target.
func (c ErrorCode) Is(target error) bool {
	t, ok := target.(ErrorCode)
	if !ok {
		return false
	}
	return c == t || ((c == ErrNoTokens || c == ErrDeviceCodeExpired) && t == ErrInteractionRequired)
}

// Error is an error the engine or the identity provider reported. It keeps what the
// provider said so that callers can act on it, and it is classified into one ErrorCode
// (Class) for errors.Is; it also matches the sentinel named by the provider's own code
// when that code is one of the RFC 6749 codes above.
//
// Error never holds a token, password, authorization code, code verifier or client
// secret, and its message never quotes a whole response body.
type Error struct {
	Class         ErrorCode     // the engine's classification
	Code          string        // the provider's "error", verbatim (may be empty)
	Description   string        // the provider's "error_description"
	SubError      string        // Entra's "suberror"
	ErrorCodes    []int         // Entra's "error_codes" (AADSTS numbers)
	Claims        string        // a claims challenge to pass back with WithClaims
	CorrelationID string        // the provider's or the request's correlation id
	TraceID       string        // Entra's "trace_id"
	Timestamp     string        // Entra's "timestamp" (the server's time of the error), verbatim
	HTTPStatus    int           // the HTTP status, when the error came over HTTP
	RetryAfter    time.Duration // how long the provider asked us to wait, when it did
	Op            string        // what the engine was doing ("silent", "redeem code", ...)
	Err           error         // the underlying cause, if any
}

// Error implements error. The message names the class, the provider's code and
// description and the HTTP status; it never contains secrets. The provider's text is
// bounded and has its control characters escaped (EscapeControl) even when it was set
// without ScrubProviderText, so that no message can drive the terminal it is shown on.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hexauth: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Class))
	if e.Code != "" && e.Code != string(e.Class) {
		b.WriteString(" (")
		b.WriteString(EscapeControl(truncate(e.Code, maxErrorField)))
		if e.SubError != "" {
			b.WriteString("/")
			b.WriteString(EscapeControl(truncate(e.SubError, maxErrorField)))
		}
		b.WriteString(")")
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(EscapeControl(truncate(e.Description, 300)))
	}
	if e.HTTPStatus != 0 {
		b.WriteString(" [HTTP ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
		b.WriteString("]")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " [retry after %s]", e.RetryAfter)
	}
	if e.CorrelationID != "" {
		b.WriteString(" [correlation id ")
		b.WriteString(EscapeControl(truncate(e.CorrelationID, maxErrorField)))
		b.WriteString("]")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e belongs to the class target, or whether target is the sentinel of
// the provider's own RFC 6749 code (a refused refresh token is both
// ErrInteractionRequired and ErrInvalidGrant).
func (e *Error) Is(target error) bool {
	t, ok := target.(ErrorCode)
	if !ok {
		return false
	}
	if e.Class.Is(t) {
		return true
	}
	switch ErrorCode(e.Code) {
	case ErrInvalidGrant, ErrInvalidClient, ErrInvalidScope, ErrAccessDenied, ErrInteractionRequired:
		return ErrorCode(e.Code) == t
	}
	return false
}

// Errorf returns an *Error of the given class with a message of the engine's own. The
// message must not contain secrets.
func Errorf(class ErrorCode, format string, args ...any) *Error {
	return &Error{Class: class, Description: fmt.Sprintf(format, args...)}
}

// GrantKind names the OAuth 2.0 grant a token request used; classification of provider
// errors depends on it.
type GrantKind string

// Grant kinds (RFC 6749 §4 and §6).
const (
	GrantAuthorizationCode GrantKind = "authorization_code"
	GrantPassword          GrantKind = "password"
	GrantRefreshToken      GrantKind = "refresh_token"
	GrantClientCredentials GrantKind = "client_credentials"
	// GrantDeviceCode (RFC 8628 §3.4) is declared in device_flow.go.
)

// interactionCodes are provider "error" values that a user can resolve by signing in.
var interactionCodes = []string{
	"interaction_required", "login_required", "consent_required",
	"account_selection_required", "mfa_required",
}

// interactionSubErrors are Entra ID "suberror" values that mean the user must interact
// (the values MSAL treats as UI-required).
var interactionSubErrors = []string{
	"basic_action", "additional_action", "message_only", "consent_required",
	"user_password_expired", "bad_token", "token_expired",
}

// interactionAADSTS are Entra ID error codes that mean interaction is required:
// 50076/50079/50158 multi-factor or external challenge, 50072/50074 enrollment, 65001
// consent, 50173/50133/70043/700082 expired or revoked session, 50078 expired MFA,
// 53003 conditional access.
var interactionAADSTS = []int{50072, 50074, 50076, 50078, 50079, 50133, 50158, 50173, 53003, 65001, 70043, 700082}

// Classify assigns the engine's class to an error a provider reported in response to a
// grant. The provider's code wins; Entra suberrors and error codes refine it; when the
// body said nothing, the HTTP status decides. A refused refresh token (invalid_grant, or
// a 400 that names no code) is ErrInteractionRequired, and so is invalid_scope on a
// refresh (a scope beyond the user's grant); a refusal that signing in again
// cannot cure keeps the class it has on any grant (DESIGN §3 "Silent acquisition" step
// 5): invalid_client, unauthorized_client, unsupported_grant_type and invalid_request
// say the client or its configuration is wrong (ErrInvalidClient), a 401 that the
// client failed to authenticate, a 403 that access is denied.
func Classify(grant GrantKind, code, subError string, errorCodes []int, httpStatus int) ErrorCode {
	if grant == GrantDeviceCode {
		// RFC 8628 §3.5, whatever the status (some providers answer slow_down with a
		// 429); Entra says authorization_declined where the RFC says access_denied.
		switch code {
		case "authorization_pending", "slow_down":
			return ErrAuthorizationPending
		case "expired_token":
			return ErrDeviceCodeExpired
		case "access_denied", "authorization_declined":
			return ErrAccessDenied
		}
	}
	if slices.Contains(interactionCodes, code) || slices.Contains(interactionSubErrors, subError) {
		return ErrInteractionRequired
	}
	for _, c := range errorCodes {
		if slices.Contains(interactionAADSTS, c) {
			return ErrInteractionRequired
		}
	}
	switch {
	case httpStatus == 429:
		return ErrThrottled
	case httpStatus >= 500:
		return ErrUnavailable
	}
	switch code {
	case "invalid_grant":
		if grant == GrantRefreshToken {
			return ErrInteractionRequired
		}
		return ErrInvalidGrant
	case "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_request":
		// RFC 6749 §5.2: the client may not use this grant here, or sent a request the
		// provider cannot read. Only its configuration (or the engine) can fix that.
		return ErrInvalidClient
	case "invalid_scope":
		if grant == GrantRefreshToken {
			// RFC 6749 §6: a refresh may not ask for more than the user granted, so on a
			// refresh this is a scope the user has not consented to (node-oidc-provider
			// answers so; Entra sends invalid_grant with AADSTS65001): signing in again
			// with it is the cure. The code stays invalid_scope (errors.Is ErrInvalidScope), and
			// the refresh token, still good for what was granted, is not refused.
			return ErrInteractionRequired
		}
		return ErrInvalidScope
	case "access_denied":
		return ErrAccessDenied
	case "temporarily_unavailable", "server_error":
		return ErrUnavailable
	case "slow_down":
		return ErrThrottled
	}
	if grant == GrantRefreshToken && code == "" && httpStatus == 400 {
		// Providers that refuse a dead refresh token with an empty 400 (DESIGN §3).
		return ErrInteractionRequired
	}
	switch httpStatus {
	case 401:
		return ErrInvalidClient
	case 403:
		return ErrAccessDenied
	}
	if code != "" {
		// A code outside the RFC on a 4xx: the provider refused the request.
		return ErrInvalidGrant
	}
	return ErrInvalidResponse
}

// challengeSubErrors and challengeAADSTS mark a refusal that asks for something this
// request lacked — multi-factor, consent, a conditional-access challenge — rather than
// refusing the refresh token itself: the token still serves other scopes, and these once
// the user complies.
var (
	challengeSubErrors = []string{"basic_action", "additional_action", "message_only", "consent_required"}
	challengeAADSTS    = []int{50072, 50074, 50076, 50078, 50079, 50158, 53003, 65001}
)

// RefreshTokenRefused reports whether err is a provider's refusal of a refresh token
// itself: ErrInteractionRequired with the code invalid_grant or no code at all (an empty
// 400), and no claims challenge, challenge suberror or challenge AADSTS code. Such a token
// is dead, and presenting it again only repeats the refusal (DESIGN §3 step 5). A
// throttled, failing or misconfigured request says nothing about the token, and neither
// does a challenge that a later request may satisfy, so none of those is a refusal.
func RefreshTokenRefused(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e == nil || e.Class != ErrInteractionRequired || (e.Code != "invalid_grant" && e.Code != "") {
		return false
	}
	if e.Code == "" && e.HTTPStatus != 400 {
		return false
	}
	if e.Claims != "" || slices.Contains(challengeSubErrors, e.SubError) {
		return false
	}
	for _, c := range e.ErrorCodes {
		if slices.Contains(challengeAADSTS, c) {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
