package idptest

import (
	"errors"
	"net/http"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

// refusedRefresh is the provider's answer to a refresh token it refuses (Fault.RefuseRefresh).
var refusedRefresh = domain.Error{
	Code:        "invalid_grant",
	Description: "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity or has been revoked.",
	ErrorCodes:  []int{70008},
	HTTPStatus:  http.StatusBadRequest,
}

// redeem calls the engine's Token with the token-level effects of fault f, passed as
// per-call options so that they touch this request only: f.IDToken overrides the
// persistent ID-token fault, and f.RefuseRefresh answers a refresh_token grant with
// refusedRefresh.
func (s *Server) redeem(req domain.TokenRequest, opt fakeidp.TokenOptions, f *Fault) (domain.TokenResponse, error) {
	if f != nil {
		opt.IDTokenFault = f.IDToken
		if f.RefuseRefresh && req.Grant == domain.GrantRefreshToken {
			e := refusedRefresh
			opt.Fail = &e
		}
	}
	return s.idp.Token(req, opt)
}

// SetIDTokenFault makes every ID token the server issues from now on carry fault f,
// until it is set again (IDTokenOK restores correct tokens). A Fault's IDToken
// overrides it for one request.
func (s *Server) SetIDTokenFault(f IDTokenFault) { s.idp.SetIDTokenFault(f) }

// RevokeRefreshTokens revokes every refresh token issued to username: redeeming one then
// fails with invalid_grant.
func (s *Server) RevokeRefreshTokens(username string) { s.idp.RevokeRefreshTokens(username) }

// JWKS returns the JSON Web Key Set that verifies the server's ID tokens, as served.
func (s *Server) JWKS() []byte { return s.idp.JWKS() }

// providerError turns an engine refusal into the HTTP status and JSON error of the
// response. An error that did not come from the provider's protocol (HTTPStatus 0) is
// a 500 server_error that does not repeat the cause.
func providerError(err error) (int, ErrorResponse) {
	var e *domain.Error
	if !errors.As(err, &e) || e.HTTPStatus == 0 || e.Code == "" {
		return http.StatusInternalServerError, ErrorResponse{Error: "server_error",
			Description: "idptest: the fake provider failed to answer the request"}
	}
	return e.HTTPStatus, ErrorResponse{
		Error:         e.Code,
		Description:   e.Description,
		ErrorCodes:    e.ErrorCodes,
		SubError:      e.SubError,
		Claims:        e.Claims,
		TraceID:       e.TraceID,
		CorrelationID: e.CorrelationID,
	}
}
