package httpidp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

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
	// Throttled like a token request (docs/adr/0008): inside a Retry-After window the
	// identical request fails fast, without a network call.
	key := requestKey(meta.DeviceAuthorizationEndpoint, domain.TokenRequest{Grant: domain.GrantDeviceAuthorization,
		ClientID: req.ClientID, Credential: req.Credential, Scopes: req.Scopes, Claims: req.Claims})
	if wait := p.throttle.remaining(key, p.cfg.Clock.Now()); wait > 0 {
		p.cfg.Logger.Info("httpidp: device authorization refused locally inside a Retry-After window", "retry_after", wait)
		return domain.DeviceAuthorization{}, &domain.Error{Class: domain.ErrThrottled, Op: opDevice, RetryAfter: wait, CorrelationID: req.CorrelationID,
			Description: "the provider throttled an identical request; not sent again before its Retry-After"}
	}
	ex, sent, err := p.postClientForm(ctx, clientPost{op: opDevice, endpoint: meta.DeviceAuthorizationEndpoint, tokenEndpoint: meta.TokenEndpoint,
		authority: req.Authority, clientID: req.ClientID, correlationID: req.CorrelationID, method: method, credential: req.Credential,
		form: func() url.Values {
			form := url.Values{"scope": {strings.Join(req.Scopes, " ")}}
			if req.Claims != "" {
				form.Set("claims", req.Claims)
			}
			if isEntra(req.Authority) {
				form.Set("client_info", "1")
			}
			return form
		}})
	if err != nil {
		return domain.DeviceAuthorization{}, err
	}
	return p.deviceResult(req, key, ex, append(domain.TokenRequest{Credential: req.Credential}.Secrets(), sent...))
}

// deviceResult turns the answer into a device authorization or a classified error,
// its provider text scrubbed of what the request sent, opening a throttle window as
// tokenResult does. The answer is classified as an initiation's
// (domain.GrantDeviceAuthorization), never as a poll's.
func (p *Provider) deviceResult(req domain.DeviceAuthorizationRequest, key throttleKey, ex exchange, secrets []string) (domain.DeviceAuthorization, error) {
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
	now := p.cfg.Clock.Now()
	if ra, ok := parseRetryAfter(ex.header, now); ok && (ex.status == http.StatusTooManyRequests || ex.status >= 500) {
		de.RetryAfter = ra
		if ex.status == http.StatusServiceUnavailable && de.Class == domain.ErrUnavailable {
			de.Class = domain.ErrThrottled
		}
		p.throttle.open(key, now, ra)
	} else if ex.status == http.StatusTooManyRequests {
		de.RetryAfter = p.cfg.ThrottleWindow
		p.throttle.open(key, now, p.cfg.ThrottleWindow)
	}
	p.cfg.Logger.Info("httpidp: device authorization refused", "status", ex.status, "class", string(de.Class), "code", de.Code,
		"correlation_id", de.CorrelationID)
	return domain.DeviceAuthorization{}, &de
}
