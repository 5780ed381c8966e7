package domain

import (
	"net/url"
	"strconv"
	"strings"
)

// Query returns the authorization request's parameters (RFC 6749 §4.1.1, OIDC Core
// §3.1.2.1, RFC 7636 §4.3): response_type=code, client_id, redirect_uri, scope, state,
// nonce, code_challenge with code_challenge_method=S256, the optional prompt,
// login_hint, domain_hint, claims, max_age (seconds) and response_mode, then Extra.
// Empty fields are left out: without a redirect URI the provider uses the client's
// registered one (RFC 6749 §3.1.2.3), and the token request must then omit it too
// (§4.1.3). It refuses (ErrInvalidInput) a request without a client id, a negative
// max_age, and an Extra parameter that would replace one of the request's.
func (req AuthorizationRequest) Query() (url.Values, error) {
	switch {
	case strings.TrimSpace(req.ClientID) == "":
		return nil, Errorf(ErrInvalidInput, "the authorization request needs a client id")
	case req.MaxAge != nil && *req.MaxAge < 0:
		return nil, Errorf(ErrInvalidInput, "max_age must not be negative")
	}
	if err := CheckExtraParameters("authorization request", req.Extra); err != nil {
		return nil, err
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("response_type", "code")
	set("client_id", req.ClientID)
	set("redirect_uri", req.RedirectURI)
	set("scope", strings.Join(req.Scopes, " "))
	set("state", req.State)
	set("nonce", req.Nonce)
	if req.CodeChallenge != "" {
		set("code_challenge", req.CodeChallenge)
		set("code_challenge_method", PKCEMethod)
	}
	set("prompt", req.Prompt)
	set("login_hint", req.LoginHint)
	set("domain_hint", req.DomainHint)
	set("claims", req.Claims)
	if req.MaxAge != nil {
		q.Set("max_age", strconv.FormatInt(int64(req.MaxAge.Seconds()), 10))
	}
	set("response_mode", string(req.ResponseMode))
	for k, vs := range req.Extra {
		// In any letter case: providers such as Entra read names case-insensitively,
		// and which of two prompts one acts on is the provider's choice, not ours.
		if taken := HasParameterFold(q, k); taken != "" {
			return nil, Errorf(ErrInvalidInput, "extra parameter %q would duplicate the request's %q; use its option instead", k, taken)
		}
		q[k] = append([]string(nil), vs...)
	}
	return q, nil
}

// HasParameterFold returns the name in q that equals name in any letter case, or "".
func HasParameterFold(q url.Values, name string) string {
	for k := range q {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}
