package idptest

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

// tokenError is a refused token request: the HTTP status and the JSON error.
type tokenError struct {
	status int
	body   ErrorResponse
}

// serveToken serves the token endpoint (RFC 6749 §3.2): it authenticates the client,
// redeems the grant with the protocol engine and writes the JSON response (§5.1) or
// error (§5.2, with Entra's fields).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, c call) {
	a, ok := s.authorityOf(w, r)
	if !ok {
		return
	}
	if te := checkTokenRequest(r, c.formErr); te != nil {
		s.writeError(w, r, te.status, te.body)
		return
	}
	clientID, te := s.authenticateRequest(r, s.idp.Metadata(a).TokenEndpoint)
	if te != nil {
		s.writeError(w, r, te.status, te.body)
		return
	}
	form := r.PostForm
	req := domain.TokenRequest{
		Authority:     a,
		ClientID:      clientID,
		Grant:         domain.GrantKind(form.Get("grant_type")),
		Scopes:        domain.ParseScopes(form.Get("scope")),
		Code:          domain.Secret(form.Get("code")),
		CodeVerifier:  domain.Secret(form.Get("code_verifier")),
		RedirectURI:   form.Get("redirect_uri"),
		Username:      form.Get("username"),
		Password:      domain.Secret(form.Get("password")),
		RefreshToken:  domain.Secret(form.Get("refresh_token")),
		DeviceCode:    domain.Secret(form.Get("device_code")),
		Claims:        form.Get("claims"),
		CorrelationID: r.Header.Get("client-request-id"),
	}
	opt := fakeidp.TokenOptions{ClientAuthenticated: true, ClientInfo: form.Get("client_info") == "1"}
	resp, err := s.redeem(req, opt, c.fault)
	if err != nil {
		status, body := providerError(err)
		s.writeError(w, r, status, body)
		return
	}
	asString := s.cfg.ExpiresInAsString || (c.fault != nil && c.fault.ExpiresInAsString)
	if id := r.Header.Get("client-request-id"); id != "" {
		w.Header().Set("client-request-id", id)
	}
	writeJSON(w, encodeTokenResponse(resp, asString))
}

// checkTokenRequest checks the request's form: its media type, that it parsed, and that
// no parameter is repeated.
func checkTokenRequest(r *http.Request, formErr error) *tokenError {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return &tokenError{http.StatusBadRequest, ErrorResponse{Error: "invalid_request",
			Description: "the token request must be application/x-www-form-urlencoded (RFC 6749 §3.2)"}}
	}
	if formErr != nil {
		return &tokenError{http.StatusBadRequest, ErrorResponse{Error: "invalid_request", Description: "the request body is not a valid form"}}
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 {
			return &tokenError{http.StatusBadRequest, ErrorResponse{Error: "invalid_request",
				Description: "parameter " + strconv.Quote(k) + " is repeated (RFC 6749 §3.2)"}}
		}
		if len(vs) == 1 && vs[0] == "" {
			// RFC 6749 §3.1: a parameter sent without a value is treated as omitted by the
			// spec, but providers refuse it; a client must leave it out.
			return &tokenError{http.StatusBadRequest, ErrorResponse{Error: "invalid_request",
				Description: "parameter " + strconv.Quote(k) + " is empty; leave it out"}}
		}
	}
	return nil
}

// tokenResponseJSON is the wire form of a successful token response (RFC 6749 §5.1)
// with Entra's extensions.
type tokenResponseJSON struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    any    `json:"expires_in"`
	ExtExpiresIn any    `json:"ext_expires_in,omitempty"`
	RefreshIn    any    `json:"refresh_in,omitempty"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
	Foci         string `json:"foci,omitempty"`
}

// encodeTokenResponse builds the wire form of r; lifetimes are JSON numbers of seconds,
// or strings holding them when asString.
func encodeTokenResponse(r domain.TokenResponse, asString bool) tokenResponseJSON {
	secs := func(d time.Duration) any {
		if d <= 0 {
			return nil
		}
		n := int64(d / time.Second)
		if asString {
			return strconv.FormatInt(n, 10)
		}
		return n
	}
	return tokenResponseJSON{
		TokenType:    r.TokenType,
		Scope:        strings.Join(r.Scope, " "),
		ExpiresIn:    secs(r.ExpiresIn),
		ExtExpiresIn: secs(r.ExtExpiresIn),
		RefreshIn:    secs(r.RefreshIn),
		AccessToken:  string(r.AccessToken),
		RefreshToken: string(r.RefreshToken),
		IDToken:      string(r.IDToken),
		ClientInfo:   r.ClientInfo,
		Foci:         r.FamilyID,
	}
}
