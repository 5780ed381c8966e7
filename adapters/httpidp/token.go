package httpidp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hexauth/hexauth/domain"
)

const opToken = "httpidp: token"

// Token implements ports.IdentityProvider: it redeems req at the authority's token
// endpoint (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6), authenticating the client as its
// credential and the provider's metadata say. An identical request inside an open
// Retry-After window fails fast with ErrThrottled without a network call. Authorization
// codes and refresh tokens are never sent twice once a request carrying them may have
// reached the provider.
func (p *Provider) Token(ctx context.Context, req domain.TokenRequest) (domain.TokenResponse, error) {
	op := opToken + " " + string(req.Grant)
	if err := checkTokenRequest(req); err != nil {
		err.Op = op
		return domain.TokenResponse{}, err
	}
	meta, err := p.Metadata(ctx, req.Authority)
	if err != nil {
		return domain.TokenResponse{}, err
	}
	method, err := authMethod(req.Credential, meta.TokenAuthMethods)
	if err != nil {
		return domain.TokenResponse{}, asDomainError(ctx, op, err)
	}
	key := requestKey(meta.TokenEndpoint, req)
	if wait := p.throttle.remaining(key, p.cfg.Clock.Now()); wait > 0 {
		p.cfg.Logger.Info("httpidp: token request refused locally inside a Retry-After window", "grant", string(req.Grant), "retry_after", wait)
		return domain.TokenResponse{}, &domain.Error{Class: domain.ErrThrottled, Op: op, RetryAfter: wait, CorrelationID: req.CorrelationID,
			Description: "the provider throttled an identical request; not sent again before its Retry-After"}
	}
	// A device code is spent by the poll that returns the tokens: once a poll may have
	// reached the provider, a retry could only lose them. Pending and slow_down answers
	// are 400s, which are never retried anyway; the use case paces the polls.
	singleUse := req.Grant == domain.GrantAuthorizationCode || req.Grant == domain.GrantRefreshToken || req.Grant == domain.GrantDeviceCode
	ex, sent, err := p.postClientForm(ctx, clientPost{op: op, endpoint: meta.TokenEndpoint, tokenEndpoint: meta.TokenEndpoint,
		authority: req.Authority, clientID: req.ClientID, correlationID: req.CorrelationID, method: method, credential: req.Credential,
		singleUse: singleUse, form: func() url.Values {
			form := grantForm(req)
			for k, vs := range req.Extra { // checked: none is a parameter hexauth sets
				form[k] = slices.Clone(vs)
			}
			return form
		}})
	if err != nil {
		return domain.TokenResponse{}, err
	}
	return p.tokenResult(op, req, key, ex, append(req.Secrets(), sent...))
}

// clientPost is one form the client posts to the provider with its authentication.
type clientPost struct {
	op, endpoint, tokenEndpoint string
	authority                   domain.Authority
	clientID, correlationID     string
	method                      string
	credential                  domain.ClientCredential
	singleUse                   bool              // never resent once it may have arrived
	form                        func() url.Values // the request's own parameters
}

// postClientForm posts c's form with the client's authentication (the assertion's
// audience is the token endpoint, as for every request of the client, RFC 7523 §3; a
// private_key_jwt assertion is made afresh, new jti, iat and exp, per attempt) and
// Entra's correlation headers, under the transport's retry rules. It returns the
// exchange and the secret-bearing values its attempts sent besides the request's own
// (Basic credentials, assertions), for scrubbing the provider's text; errors are
// classified *domain.Error carrying the correlation id.
func (p *Provider) postClientForm(ctx context.Context, c clientPost) (exchange, []string, error) {
	header := http.Header{}
	body := &formBody{}
	body.build = func() ([]byte, error) {
		form := c.form()
		if err := p.authenticate(form, header, c.method, c.clientID, c.tokenEndpoint, c.credential); err != nil {
			return nil, err
		}
		body.derived(header.Get("Authorization"), form.Get("client_assertion"))
		return []byte(form.Encode()), nil
	}
	if err := body.next(); err != nil {
		return exchange{}, nil, asDomainError(ctx, c.op, err)
	}
	hreq, err := p.newRequest(ctx, http.MethodPost, c.endpoint, retryablehttp.ReaderFunc(body.reader))
	if err != nil {
		return exchange{}, nil, asDomainError(ctx, c.op, err)
	}
	for k, v := range header {
		hreq.Header[k] = v
	}
	if isEntra(c.authority) && c.correlationID != "" {
		hreq.Header.Set("client-request-id", c.correlationID)
		hreq.Header.Set("return-client-request-id", "true")
	}
	var prepare retryablehttp.PrepareRetry
	if c.method == AuthMethodPrivateKeyJWT {
		prepare = body.prepare
	}
	ex, err := p.send(ctx, hreq, c.singleUse, prepare)
	if err != nil {
		de := asDomainError(ctx, c.op, err).(*domain.Error)
		if de.CorrelationID == "" {
			de.CorrelationID = c.correlationID
		}
		return exchange{}, nil, de
	}
	return ex, body.sentSecrets(), nil
}

// checkTokenRequest refuses a request that lacks what its grant needs.
func checkTokenRequest(r domain.TokenRequest) *domain.Error {
	missing := ""
	switch {
	case strings.TrimSpace(r.ClientID) == "":
		missing = "a client id"
	case r.Grant == domain.GrantAuthorizationCode && r.Code == "":
		missing = "an authorization code"
	case r.Grant == domain.GrantPassword && (r.Username == "" || r.Password == ""):
		missing = "a username and a password"
	case r.Grant == domain.GrantRefreshToken && r.RefreshToken == "":
		missing = "a refresh token"
	case r.Grant == domain.GrantClientCredentials && r.Credential.IsZero():
		missing = "a client credential (client credentials is a confidential-client grant)"
	case r.Grant == domain.GrantDeviceCode && r.DeviceCode == "":
		missing = "a device code"
	}
	if err := domain.CheckExtraParameters("token request", r.Extra); err != nil {
		return err.(*domain.Error)
	}
	switch r.Grant {
	case domain.GrantAuthorizationCode, domain.GrantPassword, domain.GrantRefreshToken, domain.GrantClientCredentials, domain.GrantDeviceCode:
	default:
		return &domain.Error{Class: domain.ErrInvalidInput, Description: "unsupported grant " + quote(string(r.Grant))}
	}
	if missing != "" {
		return &domain.Error{Class: domain.ErrInvalidInput, Description: "the token request needs " + missing}
	}
	return nil
}

// grantForm returns the grant's form parameters (without client authentication).
func grantForm(r domain.TokenRequest) url.Values {
	f := url.Values{"grant_type": {string(r.Grant)}}
	switch r.Grant {
	case domain.GrantAuthorizationCode:
		f.Set("code", string(r.Code))
		if r.RedirectURI != "" {
			// RFC 6749 §4.1.3: required when the authorization request carried one,
			// and then identical; an authorization request without one has none here.
			f.Set("redirect_uri", r.RedirectURI)
		}
		if r.CodeVerifier != "" {
			f.Set("code_verifier", string(r.CodeVerifier))
		}
	case domain.GrantPassword:
		f.Set("username", r.Username)
		f.Set("password", string(r.Password))
	case domain.GrantRefreshToken:
		f.Set("refresh_token", string(r.RefreshToken))
	case domain.GrantDeviceCode:
		f.Set("device_code", string(r.DeviceCode))
	}
	if len(r.Scopes) > 0 {
		f.Set("scope", strings.Join(r.Scopes, " "))
	}
	if r.Claims != "" {
		f.Set("claims", r.Claims)
	}
	if isEntra(r.Authority) {
		f.Set("client_info", "1")
	}
	return f
}

// isEntra reports whether the authority is Entra ID or B2C, which take client_info and
// correlation-id headers.
func isEntra(a domain.Authority) bool {
	return a.Kind == domain.AuthorityEntra || a.Kind == domain.AuthorityB2C
}

// formBody is a request body rebuilt before each retry (a private_key_jwt assertion
// must not be replayed).
type formBody struct {
	build func() ([]byte, error)
	mu    sync.Mutex
	cur   []byte
	sent  []string // secrets derived from the request's: Basic headers, assertions
}

// derived records the secret-bearing values an attempt sends besides the request's own
// secrets: the Basic credentials (a provider may echo the header) and the client
// assertion, whole and its signature alone.
func (b *formBody) derived(authorization, assertion string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cred, ok := strings.CutPrefix(authorization, "Basic "); ok {
		b.sent = append(b.sent, cred)
	}
	if assertion != "" {
		b.sent = append(b.sent, assertion, assertion[strings.LastIndexByte(assertion, '.')+1:])
	}
}

// sentSecrets returns the secret-bearing values the attempts sent besides the
// request's own.
func (b *formBody) sentSecrets() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sent)
}

func (b *formBody) next() error {
	buf, err := b.build()
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.cur = buf
	b.mu.Unlock()
	return nil
}

func (b *formBody) reader() (io.Reader, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.NewReader(b.cur), nil
}

func (b *formBody) prepare(r *http.Request) error {
	if err := b.next(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r.ContentLength = int64(len(b.cur))
	return nil
}

// tokenResult turns the final answer into a token response or a classified error,
// opening a Retry-After window when the provider asked for one. The provider's text is
// scrubbed of secrets, the request's secrets that were sent: some providers echo the
// request, or its Authorization header, in error_description (DESIGN §5).
func (p *Provider) tokenResult(op string, req domain.TokenRequest, key throttleKey, ex exchange, secrets []string) (domain.TokenResponse, error) {
	headerCID := ex.header.Get("client-request-id")
	if ex.status >= 300 && ex.status < 400 {
		return domain.TokenResponse{}, &domain.Error{Class: domain.ErrInvalidResponse, Op: op, HTTPStatus: ex.status,
			CorrelationID: firstNonEmpty(headerCID, req.CorrelationID), Description: "the token endpoint answered with a redirect, which a token request never follows"}
	}
	res, err := domain.ParseTokenResponse(req.Grant, ex.status, ex.body)
	if err == nil {
		if res.CorrelationID == "" {
			res.CorrelationID = headerCID
		}
		p.cfg.Logger.Debug("httpidp: token issued", "grant", string(req.Grant), "status", ex.status, "correlation_id", res.CorrelationID)
		return res, nil
	}
	var pe *domain.Error
	if !errors.As(err, &pe) {
		return domain.TokenResponse{}, &domain.Error{Class: domain.ErrInvalidResponse, Op: op, HTTPStatus: ex.status, Err: err}
	}
	de := *pe
	de.Scrub(secrets...)
	de.Op = op
	de.CorrelationID = firstNonEmpty(de.CorrelationID, headerCID, req.CorrelationID)
	now := p.cfg.Clock.Now()
	if de.Class == domain.ErrAuthorizationPending {
		// RFC 8628 §3.5's "keep polling" answers, even when sent with a 429: the use case
		// paces the next poll (slow_down widens its interval). A fail-fast window here
		// would refuse that poll locally, and the flow would end in ErrThrottled.
		p.cfg.Logger.Debug("httpidp: device code poll answered", "code", de.Code, "status", ex.status)
		return domain.TokenResponse{}, &de
	}
	if ra, ok := parseRetryAfter(ex.header, now); ok && (ex.status == http.StatusTooManyRequests || ex.status >= 500) {
		de.RetryAfter = ra
		if ex.status == http.StatusServiceUnavailable && de.Class == domain.ErrUnavailable {
			de.Class = domain.ErrThrottled
		}
		p.throttle.open(key, now, ra)
	} else if ex.status == http.StatusTooManyRequests {
		// No Retry-After: MSAL's default window, so that a loop of identical calls does
		// not keep hitting a provider that is shedding load.
		de.RetryAfter = p.cfg.ThrottleWindow
		p.throttle.open(key, now, p.cfg.ThrottleWindow)
	}
	p.cfg.Logger.Info("httpidp: token request refused", "grant", string(req.Grant), "status", ex.status,
		"class", string(de.Class), "code", de.Code, "suberror", de.SubError, "correlation_id", de.CorrelationID, "trace_id", de.TraceID)
	return domain.TokenResponse{}, &de
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
