package fakeidp

import (
	"crypto"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"

	"github.com/hexauth/hexauth/domain"
)

// TokenOptions are how a front calls Provider.Token.
type TokenOptions struct {
	// ClientAuthenticated says the front has already authenticated the client named by
	// the request's ClientID (client_secret_basic, client_secret_post or private_key_jwt
	// over HTTP); Token then ignores req.Credential. Without it Token authenticates the
	// client with req.Credential itself.
	ClientAuthenticated bool
	// ClientInfo makes a user-grant response carry client_info even when
	// Config.ClientInfo is off (Entra sends it when the request says client_info=1).
	ClientInfo bool
	// IDTokenFault, when not IDTokenOK, replaces the provider's ID token fault (see
	// SetIDTokenFault) for this call only, so a front can script one faulty response
	// without affecting concurrent requests.
	IDTokenFault IDTokenFault
	// Fail, when set, answers this call with a copy of it instead of redeeming the grant,
	// like a fault queued with FailNext (which takes precedence) but for this call only.
	// The call is counted.
	Fail *domain.Error
}

// Token redeems a grant at the token endpoint (RFC 6749 §3.2) and returns the token
// response or the provider's refusal as a *domain.Error (see the package doc). Every
// call counts toward Calls(req.Grant), and a fault queued with FailNext is answered
// before anything else is checked.
//
// The grants are authorization_code (§4.1.3, with PKCE, RFC 7636 §4.6), password
// (§4.3), refresh_token (§6) and client_credentials (§4.4, confidential clients only).
// A confidential client must authenticate on every grant (unless
// opt.ClientAuthenticated): its Secret in req.Credential.Secret, or a req.Credential.Key
// whose public key is the client's PublicKey; a public client must present no
// credential. Failed client authentication is invalid_client with HTTP status 401.
//
// A successful user grant returns an opaque random access token, a refresh token when
// offline_access was requested (refresh_token grants always return one), an ID token
// when openid was requested, Scope (unless Config.OmitScopeInResponse), the client's
// FamilyID, client_info when configured and RefreshIn when configured.
func (p *Provider) Token(req domain.TokenRequest, opt TokenOptions) (domain.TokenResponse, error) {
	if req.Grant == domain.GrantDeviceCode {
		p.recordDevicePoll()
	}
	e, echo := p.countCall(req.Grant)
	if e == nil && opt.Fail != nil {
		e = copyFault(req.Grant, opt.Fail)
	}
	if e != nil {
		if echo {
			e.Description += " request: " + echoForm(req)
		}
		// As the HTTP adapter does with the wire's text (DESIGN §5).
		e.Scrub(req.Secrets()...)
		return domain.TokenResponse{}, withCorrelation(e, req.CorrelationID)
	}
	resp, err := p.token(req, opt)
	if err != nil {
		return domain.TokenResponse{}, withCorrelation(err, req.CorrelationID)
	}
	return resp, nil
}

// echoForm is req as a provider that echoes requests writes it back: the form, and the
// Basic credentials of a client secret.
func echoForm(req domain.TokenRequest) string {
	f := url.Values{"grant_type": {string(req.Grant)}, "client_id": {req.ClientID}}
	for k, v := range map[string]string{"code": string(req.Code), "code_verifier": string(req.CodeVerifier),
		"username": req.Username, "password": string(req.Password), "refresh_token": string(req.RefreshToken),
		"device_code": string(req.DeviceCode)} {
		if v != "" {
			f.Set(k, v)
		}
	}
	out := f.Encode()
	if req.Credential.Secret != "" {
		basic := url.QueryEscape(req.ClientID) + ":" + url.QueryEscape(string(req.Credential.Secret))
		out += " Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(basic)) + " (" + basic + ")"
	}
	return out
}

// countCall counts a Token request of grant and returns the fault queued for it, if
// any, and whether it was scripted to echo the request.
func (p *Provider) countCall(grant domain.GrantKind) (*domain.Error, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[grant]++
	q := p.failNext[grant]
	if len(q) == 0 {
		return nil, false
	}
	e := q[0]
	if len(q) == 1 {
		delete(p.failNext, grant)
	} else {
		p.failNext[grant] = q[1:]
	}
	echo := p.echoing[e]
	delete(p.echoing, e)
	return copyFault(grant, e), echo
}

// copyFault returns a copy of a scripted failure of grant, classified with
// domain.Classify when it has no Class.
func copyFault(grant domain.GrantKind, err *domain.Error) *domain.Error {
	e := *err
	e.ErrorCodes = slices.Clone(err.ErrorCodes)
	if e.Class == "" {
		e.Class = domain.Classify(grant, e.Code, e.SubError, e.ErrorCodes, e.HTTPStatus)
	}
	return &e
}

// withCorrelation sets the request's correlation id on a refusal that has none.
func withCorrelation(e *domain.Error, id string) *domain.Error {
	if e.CorrelationID == "" {
		e.CorrelationID = id
	}
	return e
}

// token dispatches req by grant after authenticating its client.
func (p *Provider) token(req domain.TokenRequest, opt TokenOptions) (domain.TokenResponse, *domain.Error) {
	if req.Authority.URL == "" {
		return domain.TokenResponse{}, &domain.Error{Class: domain.ErrInvalidInput, Op: "fakeidp: token", Description: "the token request has no authority"}
	}
	switch req.Grant {
	case domain.GrantAuthorizationCode, domain.GrantPassword, domain.GrantRefreshToken, domain.GrantClientCredentials, domain.GrantDeviceCode:
	case "":
		return domain.TokenResponse{}, invalidRequest(req.Grant, "The request body must contain the following parameter: 'grant_type'.")
	default:
		return domain.TokenResponse{}, refusal(req.Grant, http.StatusBadRequest, "unsupported_grant_type",
			"AADSTS70003: The app requested an unsupported grant type '"+string(req.Grant)+"'.", aadUnsupportedGrant)
	}
	client, e := p.authenticate(req, opt)
	if e != nil {
		return domain.TokenResponse{}, e
	}
	switch req.Grant {
	case domain.GrantAuthorizationCode:
		return p.redeemCode(req, opt, client)
	case domain.GrantPassword:
		return p.redeemPassword(req, opt, client)
	case domain.GrantRefreshToken:
		return p.redeemRefreshToken(req, opt, client)
	case domain.GrantDeviceCode:
		return p.redeemDeviceCode(req, opt, client)
	default:
		return p.redeemClientCredentials(req, client)
	}
}

// authenticate finds the request's client and checks its credential (RFC 6749 §2.3).
func (p *Provider) authenticate(req domain.TokenRequest, opt TokenOptions) (*Client, *domain.Error) {
	g := req.Grant
	c, ok := p.clients[req.ClientID]
	if !ok {
		return nil, invalidClient(g, "AADSTS700016: Application with identifier '"+req.ClientID+"' was not found in the directory.", aadClientNotFound)
	}
	if !c.Confidential() {
		switch {
		case g == domain.GrantClientCredentials:
			return nil, invalidClient(g, "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'. Only confidential clients may use the client_credentials grant.", aadNoClientCredential)
		case !opt.ClientAuthenticated && !req.Credential.IsZero():
			return nil, invalidClient(g, "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.", aadPublicClientSecret)
		}
		return c, nil
	}
	if opt.ClientAuthenticated {
		return c, nil
	}
	cred := req.Credential
	switch {
	case cred.Secret != "":
		if c.Secret == "" || !domain.ConstantTimeEqual(string(c.Secret), string(cred.Secret)) {
			return nil, invalidClient(g, "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.", aadBadSecret)
		}
	case cred.Key != nil:
		pub, ok := cred.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
		if c.PublicKey == nil || !ok || !pub.Equal(c.PublicKey) {
			return nil, invalidClient(g, "AADSTS700027: Client assertion contains an invalid signature: the key is not registered for the application.", aadBadCertificate)
		}
	default:
		return nil, invalidClient(g, "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", aadNoClientCredential)
	}
	return c, nil
}
