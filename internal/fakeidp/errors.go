package fakeidp

import (
	"net/http"
	"slices"

	"github.com/hexauth/hexauth/domain"
)

// Entra error numbers (AADSTS codes) the fake answers with.
const (
	aadInvalidPassword     = 50126   // wrong username or password
	aadMFARequired         = 50076   // multi-factor authentication required
	aadConsentRequired     = 65001   // the user has not consented
	aadExpiredGrant        = 70008   // code or refresh token expired or revoked
	aadCodeRedeemed        = 54005   // authorization code already redeemed
	aadRedirectMismatch    = 50148   // redirect_uri differs from the authorization request's
	aadPKCEMismatch        = 501481  // code_verifier does not match code_challenge
	aadInvalidGrantValue   = 70000   // unknown grant, or issued to another client
	aadInvalidScope        = 70011   // unknown scope
	aadClientNotFound      = 700016  // unknown client id
	aadBadSecret           = 7000215 // wrong client secret
	aadNoClientCredential  = 7000218 // confidential client without credential
	aadPublicClientSecret  = 700025  // credential presented by a public client
	aadRedirectNotListed   = 50011   // redirect_uri not registered
	aadBadCertificate      = 700027  // client assertion key mismatch
	aadBadScopeValue       = 1002012 // a scope not valid for the grant
	aadUnsupportedGrant    = 70003   // unknown grant_type
	aadInvalidRequestInput = 900144  // a required parameter is missing
)

// mfaClaimsChallenge is the claims challenge sent with AADSTS50076, to be passed back in
// the claims parameter (OIDC Core §5.5) of an interactive request.
const mfaClaimsChallenge = `{"access_token":{"capolids":{"essential":true,"values":["c1a5e9d3-fa4e-4c1b-8a54-6f7f2f1d4a01"]}}}`

// refusal returns the provider error of a refused grant, classified with
// domain.Classify as the engine would classify it from the wire.
func refusal(grant domain.GrantKind, status int, code, desc string, codes ...int) *domain.Error {
	return &domain.Error{
		Class:       domain.Classify(grant, code, "", codes, status),
		Code:        code,
		Description: desc,
		ErrorCodes:  slices.Clone(codes),
		HTTPStatus:  status,
	}
}

// invalidGrant is a 400 invalid_grant (RFC 6749 §5.2).
func invalidGrant(grant domain.GrantKind, desc string, codes ...int) *domain.Error {
	return refusal(grant, http.StatusBadRequest, "invalid_grant", desc, codes...)
}

// invalidClient is a 401 invalid_client (RFC 6749 §5.2).
func invalidClient(grant domain.GrantKind, desc string, codes ...int) *domain.Error {
	return refusal(grant, http.StatusUnauthorized, "invalid_client", desc, codes...)
}

// invalidRequest is a 400 invalid_request (RFC 6749 §5.2).
func invalidRequest(grant domain.GrantKind, desc string) *domain.Error {
	return refusal(grant, http.StatusBadRequest, "invalid_request", "AADSTS900144: "+desc, aadInvalidRequestInput)
}

// mfaRequired is Entra's answer to a password grant for a user who must use MFA.
func mfaRequired() *domain.Error {
	codes := []int{aadMFARequired}
	return &domain.Error{
		Class: domain.Classify(domain.GrantPassword, "invalid_grant", "basic_action", codes, http.StatusBadRequest),
		Code:  "invalid_grant",
		Description: "AADSTS50076: Due to a configuration change made by your administrator, or because you " +
			"moved to a new location, you must use multi-factor authentication to access this resource.",
		SubError:   "basic_action",
		ErrorCodes: codes,
		Claims:     mfaClaimsChallenge,
		HTTPStatus: http.StatusBadRequest,
	}
}

// consentRequired is Entra's answer to a password grant for a user who has not
// consented to the application.
func consentRequired() *domain.Error {
	codes := []int{aadConsentRequired}
	return &domain.Error{
		Class: domain.Classify(domain.GrantPassword, "invalid_grant", "consent_required", codes, http.StatusBadRequest),
		Code:  "invalid_grant",
		Description: "AADSTS65001: The user or administrator has not consented to use the application. " +
			"Send an interactive authorization request for this user and resource.",
		SubError:   "consent_required",
		ErrorCodes: codes,
		HTTPStatus: http.StatusBadRequest,
	}
}
