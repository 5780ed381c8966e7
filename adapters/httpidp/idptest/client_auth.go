package idptest

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Client authentication methods (RFC 6749 §2.3, OIDC Core §9), as named in discovery.
const (
	AuthNone              = "none"
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthPrivateKeyJWT     = "private_key_jwt"
)

// jwtBearerAssertion is the client_assertion_type of private_key_jwt (RFC 7523 §2.2).
const jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientCredentials is how a token request authenticated its client, as sent.
type clientCredentials struct {
	clientID  string
	method    string
	secret    string // client_secret_basic and client_secret_post
	assertion string // private_key_jwt
}

// readClientCredentials reads the client's authentication from a parsed token request.
// More than one method in a request is refused (RFC 6749 §2.3).
func readClientCredentials(r *http.Request) (clientCredentials, *ErrorResponse) {
	form := r.PostForm
	var methods []clientCredentials
	if user, pass, ok := basicAuth(r); ok {
		methods = append(methods, clientCredentials{clientID: user, method: AuthClientSecretBasic, secret: pass})
	} else if r.Header.Get("Authorization") != "" {
		return clientCredentials{}, &ErrorResponse{Error: "invalid_client", Description: "the Authorization header is not HTTP Basic client authentication"}
	}
	if form.Has("client_secret") {
		methods = append(methods, clientCredentials{clientID: form.Get("client_id"), method: AuthClientSecretPost, secret: form.Get("client_secret")})
	}
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		if form.Get("client_assertion_type") != jwtBearerAssertion {
			return clientCredentials{}, &ErrorResponse{Error: "invalid_client", Description: "client_assertion_type must be " + jwtBearerAssertion}
		}
		methods = append(methods, clientCredentials{clientID: form.Get("client_id"), method: AuthPrivateKeyJWT, assertion: form.Get("client_assertion")})
	}
	switch len(methods) {
	case 0:
		id := form.Get("client_id")
		if id == "" {
			return clientCredentials{}, &ErrorResponse{Error: "invalid_request", Description: "client_id is missing"}
		}
		return clientCredentials{clientID: id, method: AuthNone}, nil
	case 1:
	default:
		return clientCredentials{}, &ErrorResponse{Error: "invalid_request", Description: "the request uses more than one client authentication method (RFC 6749 §2.3)"}
	}
	c := methods[0]
	if formID := form.Get("client_id"); formID != "" && c.clientID != "" && formID != c.clientID {
		return clientCredentials{}, &ErrorResponse{Error: "invalid_client", Description: "client_id does not match the client's credentials"}
	}
	if c.clientID == "" && c.method == AuthPrivateKeyJWT {
		c.clientID = assertionSubject(c.assertion)
	}
	if c.clientID == "" {
		return clientCredentials{}, &ErrorResponse{Error: "invalid_request", Description: "client_id is missing"}
	}
	return c, nil
}

// basicAuth reads HTTP Basic credentials, form-decoding both parts (RFC 6749 §2.3.1).
func basicAuth(r *http.Request) (user, pass string, ok bool) {
	h := r.Header.Get("Authorization")
	const prefix = "Basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if u, err = url.QueryUnescape(u); err != nil {
		return "", "", false
	}
	if p, err = url.QueryUnescape(p); err != nil {
		return "", "", false
	}
	return u, p, true
}

// authenticateRequest authenticates the client of a token request against its
// registration (RFC 6749 §2.3) and returns its id. tokenEndpoint is the URL the request
// was sent to, the audience a client assertion must name. Failures are invalid_client
// (HTTP 401) or invalid_request (400) and never quote the credential.
func (s *Server) authenticateRequest(r *http.Request, tokenEndpoint string) (string, *tokenError) {
	creds, e := readClientCredentials(r)
	if e != nil {
		status := http.StatusBadRequest
		if e.Error == "invalid_client" {
			status = http.StatusUnauthorized
		}
		return "", &tokenError{status, *e}
	}
	client, ok := s.idp.Client(creds.clientID)
	if !ok {
		return "", unauthorized(700016, "AADSTS700016: Application with identifier "+strconv.Quote(creds.clientID)+" was not found in the directory.")
	}
	if e := s.checkCredentials(creds, client, tokenEndpoint); e != nil {
		return "", e
	}
	return client.ID, nil
}

// checkCredentials checks creds against the registered client c.
func (s *Server) checkCredentials(creds clientCredentials, c Client, tokenEndpoint string) *tokenError {
	switch {
	case !c.Confidential() && creds.method == AuthNone:
		return nil
	case !c.Confidential():
		return unauthorized(700025, "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
	case creds.method == AuthNone:
		return unauthorized(7000218, "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	case creds.method == AuthPrivateKeyJWT:
		if c.PublicKey == nil {
			return unauthorized(700027, "AADSTS700027: The client has no registered certificate or key for private_key_jwt.")
		}
		if err := s.verifyAssertion(creds.assertion, c, tokenEndpoint); err != nil {
			return unauthorized(700027, "AADSTS700027: The client assertion is not valid: "+err.Error()+".")
		}
		return nil
	}
	if !s.idp.CheckClientSecret(c.ID, creds.secret) {
		return unauthorized(7000215, "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.")
	}
	return nil
}

// unauthorized is a 401 invalid_client with an Entra error number.
func unauthorized(code int, desc string) *tokenError {
	return &tokenError{http.StatusUnauthorized, ErrorResponse{Error: "invalid_client", Description: desc, ErrorCodes: []int{code}}}
}
