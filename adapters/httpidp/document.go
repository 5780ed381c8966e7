package httpidp

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"

	"github.com/hexauth/hexauth/domain"
)

// document names a JSON document the adapter GETs (the discovery document, a key set)
// for error messages and Retry-After windows.
type document struct {
	op   string // the Op of every error about it
	name string // how messages name it: "the discovery document", "the key set"
	url  string
}

// getDocument GETs d with retries and returns the body of its 200 answer. Failures are
// classified so that a caller can tell "try again later" from "this authority is wrong":
//
//   - ErrThrottled, with RetryAfter: a 429, or a 503 with Retry-After. After an answer
//     with Retry-After (or a 429 without one: Config.ThrottleWindow), a GET of the same
//     URL fails so, without a network call, until the window closes (as token requests
//     do).
//   - ErrUnavailable: no answer (refused, reset, timeout, a done context), or a 5xx left
//     after the retries.
//   - ErrDiscovery: any other status, a refused redirect, an oversized or corrupt body.
func (p *Provider) getDocument(ctx context.Context, d document) ([]byte, error) {
	key := documentKey(d.url)
	if wait := p.throttle.remaining(key, p.cfg.Clock.Now()); wait > 0 {
		p.cfg.Logger.Info("httpidp: GET refused locally inside a Retry-After window", "op", d.op, "url", d.url, "retry_after", wait)
		return nil, &domain.Error{Class: domain.ErrThrottled, Op: d.op, RetryAfter: wait,
			Description: "the provider throttled " + d.name + " request; not sent again before its Retry-After"}
	}
	req, err := p.newRequest(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return nil, asDomainError(ctx, d.op, err)
	}
	ex, err := p.send(ctx, req, false, nil)
	if err != nil {
		return nil, documentSendError(ctx, d, err)
	}
	if ex.status == http.StatusOK {
		return ex.body, nil
	}
	de := p.documentStatusError(d, key, ex)
	p.cfg.Logger.Info("httpidp: GET failed", "op", d.op, "url", d.url, "status", ex.status,
		"class", string(de.Class), "retry_after", de.RetryAfter)
	return nil, de
}

// documentSendError classifies a GET that got no usable answer. A refused redirect and
// a body that is too large or not valid gzip say something about the document, not
// about the network, so they are ErrDiscovery; everything else keeps its class
// (ErrUnavailable from transportError or readBody).
func documentSendError(ctx context.Context, d document, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return asDomainError(ctx, d.op, err)
	}
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, errRedirect):
		return &domain.Error{Class: domain.ErrDiscovery, Op: d.op, Err: de.Err,
			Description: d.name + " request was redirected where it may not go"}
	case de.Class == domain.ErrInvalidResponse:
		return &domain.Error{Class: domain.ErrDiscovery, Op: d.op, HTTPStatus: de.HTTPStatus,
			Description: d.name + " could not be read: " + de.Description}
	}
	c := *de
	c.Op = d.op
	return &c
}

// documentStatusError classifies a GET answered with a status other than 200, opening
// the Retry-After window of key when a 429 or 5xx carried one.
func (p *Provider) documentStatusError(d document, key throttleKey, ex exchange) *domain.Error {
	now := p.cfg.Clock.Now()
	ra, hasRA := parseRetryAfter(ex.header, now)
	de := &domain.Error{Op: d.op, HTTPStatus: ex.status}
	switch {
	case ex.status == http.StatusTooManyRequests || (ex.status == http.StatusServiceUnavailable && hasRA):
		de.Class, de.RetryAfter = domain.ErrThrottled, ra
		de.Description = "the provider throttled " + d.name + " request"
	case ex.status >= 500:
		de.Class, de.RetryAfter = domain.ErrUnavailable, ra
		de.Description = "the provider failed to serve " + d.name
	default:
		de.Class = domain.ErrDiscovery
		de.Description = d.name + " is not served at " + quote(d.url)
		return de
	}
	switch {
	case hasRA:
		p.throttle.open(key, now, ra)
	case ex.status == http.StatusTooManyRequests:
		// No Retry-After: the default window, as for token requests.
		de.RetryAfter = p.cfg.ThrottleWindow
		p.throttle.open(key, now, p.cfg.ThrottleWindow)
	}
	return de
}

// documentKey is the Retry-After window key of a GET of url. The leading field keeps
// it apart from every token request's key (requestKey).
func documentKey(url string) throttleKey {
	h := sha256.New()
	writeField(h, "GET document")
	writeField(h, url)
	var k throttleKey
	h.Sum(k[:0])
	return k
}
