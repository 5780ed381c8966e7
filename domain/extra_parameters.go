package domain

import (
	"net/url"
	"strings"
)

// Bounds of the extra parameters a caller adds to an authorization or token request
// (MSAL's **kwargs): enough for any provider's extension, small enough that a caller's
// bug cannot build an unbounded request.
const (
	MaxExtraParameters      = 32   // distinct names
	MaxExtraParameterName   = 64   // bytes of one name
	MaxExtraParameterValues = 8    // values of one name
	MaxExtraParameterBytes  = 8192 // bytes of all names and values together
)

// protocolParameters are the parameters hexauth sets, or deliberately leaves out, for the
// protocol: an extra parameter may not replace them. Each would break a guarantee —
// client_id, redirect_uri and scope decide who gets what; state, nonce and the PKCE
// pair bind the response to the flow; response_type and response_mode decide how the
// code comes back (and the flow records the mode); max_age and claims are checked
// against the ID token and the flow; grant_type, code, code_verifier, refresh_token,
// username, password, device_code and the client's credentials are the grant itself;
// request and request_uri (OIDC Core §6) would carry all of them in a request object
// that supersedes the query.
var protocolParameters = []string{
	"client_id", "redirect_uri", "scope", "state", "nonce", "response_type", "response_mode",
	"max_age", "claims", "grant_type", "code", "code_verifier", "refresh_token", "username",
	"password", "device_code", "client_secret", "assertion", "request", "request_uri",
	"client_info", // Entra: hexauth asks for it to key the account
}

// protocolPrefixes are families of protocol parameters: code_challenge and
// code_challenge_method (RFC 7636), client_assertion and client_assertion_type (RFC 7521).
var protocolPrefixes = []string{"code_challenge", "client_assertion"}

// CheckExtraParameters checks extra parameters a caller adds to a request: at most
// MaxExtraParameters names of printable ASCII (no space, '&', '=' or '#'), each at most
// MaxExtraParameterName bytes with at most MaxExtraParameterValues values, all within
// MaxExtraParameterBytes, and none a protocol parameter hexauth sets (client_id,
// redirect_uri, scope, state, nonce, code_challenge*, response_type, response_mode,
// max_age, claims, grant_type, code, code_verifier, refresh_token, username, password,
// device_code, client_secret, assertion, client_assertion*, request, request_uri,
// client_info), in
// any letter case: providers such as Entra read names case-insensitively. Failures are
// ErrInvalidInput naming the parameter, never quoting a value: a value may be a secret.
func CheckExtraParameters(what string, v url.Values) error {
	if len(v) > MaxExtraParameters {
		return Errorf(ErrInvalidInput, "%s: %d extra parameters; the limit is %d", what, len(v), MaxExtraParameters)
	}
	total := 0
	for name, values := range v {
		if err := checkExtraName(what, name); err != nil {
			return err
		}
		if len(values) == 0 || len(values) > MaxExtraParameterValues {
			return Errorf(ErrInvalidInput, "%s: extra parameter %q has %d values; want 1 to %d", what, name, len(values), MaxExtraParameterValues)
		}
		total += len(name)
		for _, s := range values {
			total += len(s)
		}
		if total > MaxExtraParameterBytes {
			return Errorf(ErrInvalidInput, "%s: extra parameters exceed %d bytes", what, MaxExtraParameterBytes)
		}
	}
	return nil
}

func checkExtraName(what, name string) error {
	if name == "" || len(name) > MaxExtraParameterName {
		return Errorf(ErrInvalidInput, "%s: an extra parameter name is empty or longer than %d bytes", what, MaxExtraParameterName)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' || c == '&' || c == '=' || c == '#' {
			return Errorf(ErrInvalidInput, "%s: an extra parameter name has a character that is not printable ASCII or is reserved", what)
		}
	}
	lower := strings.ToLower(name)
	for _, p := range protocolParameters {
		if lower == p {
			return Errorf(ErrInvalidInput, "%s: extra parameter %q would override the protocol parameter hexauth sets; use its option instead", what, name)
		}
	}
	for _, p := range protocolPrefixes {
		if strings.HasPrefix(lower, p) {
			return Errorf(ErrInvalidInput, "%s: extra parameter %q would override the protocol parameter hexauth sets", what, name)
		}
	}
	return nil
}

// minExtraSecret is the shortest extra value treated as a possible secret.
const minExtraSecret = 8

// ExtraSecrets returns the values of extra parameters that may be secrets, for
// scrubbing provider text: the engine cannot know which of a caller's extensions carry
// one (an API key, a signed assertion), so every value of at least 8 bytes is treated
// as one. Shorter values ("1", "true", "login") are no credential, and scrubbing them
// would wipe out the provider's whole message.
func ExtraSecrets(v url.Values) []string {
	var out []string
	for _, values := range v {
		for _, s := range values {
			if len(s) >= minExtraSecret {
				out = append(out, s)
			}
		}
	}
	return out
}
