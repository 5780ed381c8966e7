package httpidp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hexauth/hexauth/domain"
)

const opDevice = "httpidp: device authorization"

// entraDeviceEndpoint returns the device authorization endpoint of a discovery
// document: the one it names, else, for Entra and B2C, the token endpoint's sibling
// /oauth2/v2.0/devicecode (as MSAL derives it). The token endpoint has passed the
// origin rules, so the sibling is on an allowed host too.
func entraDeviceEndpoint(a domain.Authority, named, tokenEndpoint string) string {
	if named != "" || (a.Kind != domain.AuthorityEntra && a.Kind != domain.AuthorityB2C) {
		return named
	}
	if base, ok := strings.CutSuffix(tokenEndpoint, "/oauth2/v2.0/token"); ok {
		return base + "/oauth2/v2.0/devicecode"
	}
	return ""
}

// DeviceAuthorization implements ports.IdentityProvider: it posts client_id and scope
// (and the client's authentication, for a confidential client) to the device
// authorization endpoint (RFC 8628 §3.1) named by discovery — for Entra, its
// /oauth2/v2.0/devicecode — and parses the answer strictly
// (domain.ParseDeviceAuthorization). An authority whose discovery names no such
// endpoint is ErrDiscovery. The request holds no single-use grant, so transport failures
// and 5xx are retried like any other; 4xx never are.
func (p *Provider) DeviceAuthorization(ctx context.Context, req domain.DeviceAuthorizationRequest) (domain.DeviceAuthorization, error) {
	if strings.TrimSpace(req.ClientID) == "" {
		return domain.DeviceAuthorization{}, &domain.Error{Class: domain.ErrInvalidInput, Op: opDevice, Description: "the device authorization request needs a client id"}
	}
	meta, err := p.Metadata(ctx, req.Authority)
	if err != nil {
		return domain.DeviceAuthorization{}, err
	}
	if meta.DeviceAuthorizationEndpoint == "" {
		return domain.DeviceAuthorization{}, &domain.Error{Class: domain.ErrDiscovery, Op: opDevice,
			Description: "the provider's discovery document names no device_authorization_endpoint: it offers no device code flow (RFC 8628 §4)"}
	}
	method, err := authMethod(req.Credential, meta.TokenAuthMethods)
	if err != nil {
		return domain.DeviceAuthorization{}, asDomainError(ctx, opDevice, err)
	}
	header := http.Header{}
	body := &formBody{}
	body.build = func() ([]byte, error) {
		form := url.Values{"scope": {strings.Join(req.Scopes, " ")}}
		if req.Claims != "" {
			form.Set("claims", req.Claims)
		}
		if isEntra(req.Authority) {
			form.Set("client_info", "1")
		}
		// The assertion's audience is the token endpoint, as for every request of the
		// client to the provider (RFC 7523 §3).
		if err := p.authenticate(form, header, method, req.ClientID, meta.TokenEndpoint, req.Credential); err != nil {
			return nil, err
		}
		body.derived(header.Get("Authorization"), form.Get("client_assertion"))
		return []byte(form.Encode()), nil
	}
	if err := body.next(); err != nil {
		return domain.DeviceAuthorization{}, asDomainError(ctx, opDevice, err)
	}
	hreq, err := p.newRequest(ctx, http.MethodPost, meta.DeviceAuthorizationEndpoint, retryablehttp.ReaderFunc(body.reader))
	if err != nil {
		return domain.DeviceAuthorization{}, asDomainError(ctx, opDevice, err)
	}
	for k, v := range header {
		hreq.Header[k] = v
	}
	if isEntra(req.Authority) && req.CorrelationID != "" {
		hreq.Header.Set("client-request-id", req.CorrelationID)
		hreq.Header.Set("return-client-request-id", "true")
	}
	var prepare retryablehttp.PrepareRetry
	if method == AuthMethodPrivateKeyJWT {
		prepare = body.prepare
	}
	ex, err := p.send(ctx, hreq, false, prepare)
	if err != nil {
		de := asDomainError(ctx, opDevice, err).(*domain.Error)
		if de.CorrelationID == "" {
			de.CorrelationID = req.CorrelationID
		}
		return domain.DeviceAuthorization{}, de
	}
	return p.deviceResult(req, ex, body.secrets(domain.TokenRequest{Credential: req.Credential}))
}

// deviceResult turns the answer into a device authorization or a classified error,
// its provider text scrubbed of what the request sent.
func (p *Provider) deviceResult(req domain.DeviceAuthorizationRequest, ex exchange, secrets []string) (domain.DeviceAuthorization, error) {
	cid := firstNonEmpty(ex.header.Get("client-request-id"), req.CorrelationID)
	if ex.status >= 300 && ex.status < 400 {
		return domain.DeviceAuthorization{}, &domain.Error{Class: domain.ErrInvalidResponse, Op: opDevice, HTTPStatus: ex.status,
			CorrelationID: cid, Description: "the device authorization endpoint answered with a redirect, which a POST never follows"}
	}
	d, err := domain.ParseDeviceAuthorization(ex.status, ex.body)
	if err == nil {
		p.cfg.Logger.Debug("httpidp: device code issued", "status", ex.status, "expires_in", d.ExpiresIn, "interval", d.Interval)
		return d, nil
	}
	var pe *domain.Error
	if !errors.As(err, &pe) {
		return domain.DeviceAuthorization{}, &domain.Error{Class: domain.ErrInvalidResponse, Op: opDevice, HTTPStatus: ex.status, Err: err}
	}
	de := *pe
	de.Scrub(secrets...)
	de.Op = opDevice
	de.CorrelationID = firstNonEmpty(de.CorrelationID, cid)
	if ra, ok := parseRetryAfter(ex.header, p.cfg.Clock.Now()); ok && (ex.status == http.StatusTooManyRequests || ex.status >= 500) {
		de.RetryAfter = ra
	}
	p.cfg.Logger.Info("httpidp: device authorization refused", "status", ex.status, "class", string(de.Class), "code", de.Code,
		"correlation_id", de.CorrelationID)
	return domain.DeviceAuthorization{}, &de
}
