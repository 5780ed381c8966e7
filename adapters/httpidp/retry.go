package httpidp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// maxRetryAfter bounds a parsed Retry-After so that arithmetic on it cannot overflow.
const maxRetryAfter = 7 * 24 * time.Hour

// retryAfterNotice is the Retry-After wait past which the adapter logs, at info, that
// it is waiting: a caller staring at a silent command deserves to know why.
const retryAfterNotice = 2 * time.Second

// RetryAfterWaitMessage is the message of the info record logged before a Retry-After
// wait longer than 2 seconds, so that a program (the CLI) can show it to its user.
const RetryAfterWaitMessage = "httpidp: waiting for the provider's Retry-After"

// retryableStatus reports whether an answer with this status may be retried: too many
// requests, or a server error that may be transient.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryPolicy returns go-retryablehttp's CheckRetry for one kind of request.
//
// For a single-use request (an authorization code or a refresh token in the body) only
// dial errors are retried: nothing was sent, so the grant cannot have been consumed.
// Any answer, a dropped connection or a timeout may mean the provider saw the grant, so
// it is never sent again.
//
// For other requests, transport errors and 429/500/502/503/504 are retried, except an
// answer whose Retry-After exceeds the cap: it stops at once and becomes ErrThrottled.
// A 429 without Retry-After is not retried either (MSAL): the provider said "too many"
// without saying when, so the caller gets ErrThrottled and a fail-fast window
// (Config.ThrottleWindow). Other statuses are final. A done context stops everything.
func (p *Provider) retryPolicy(singleUse bool) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			if singleUse {
				return isDialError(err), nil
			}
			return retryableTransportError(err), nil
		}
		if singleUse || !retryableStatus(resp.StatusCode) {
			return false, nil
		}
		ra, ok := parseRetryAfter(resp.Header, p.cfg.Clock.Now())
		switch {
		case ok && ra > p.cfg.RetryAfterCap:
			return false, nil
		case !ok && resp.StatusCode == http.StatusTooManyRequests:
			return false, nil
		}
		return true, nil
	}
}

// isDialError reports whether err happened while connecting, before any byte of the
// request was written (DNS failures and refused or timed-out connections included).
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
}

// retryableTransportError reports whether a transport error may be transient. Invalid
// certificates, unsupported schemes and refused redirects are not.
func retryableTransportError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		verification     *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &verification):
		return false
	case errors.Is(err, errRedirect), strings.Contains(err.Error(), "unsupported protocol scheme"):
		return false
	}
	return true
}

// backoff is go-retryablehttp's Backoff: the provider's Retry-After when it sent one
// with a retryable status (the retry policy already refused one past the cap), else a
// jittered exponential wait.
func (p *Provider) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && retryableStatus(resp.StatusCode) {
		if ra, ok := parseRetryAfter(resp.Header, p.cfg.Clock.Now()); ok {
			wait := min(ra, p.cfg.RetryAfterCap)
			if wait > retryAfterNotice {
				p.cfg.Logger.Info(RetryAfterWaitMessage, "status", resp.StatusCode, "retry_after", wait)
			}
			return wait
		}
	}
	return jitteredBackoff(minWait, maxWait, attempt)
}

// jitteredBackoff returns a wait in [d/2, d] where d = minWait·2^attempt capped at
// maxWait ("equal jitter"), so that clients failing together do not retry together.
func jitteredBackoff(minWait, maxWait time.Duration, attempt int) time.Duration {
	d := maxWait
	if attempt < 30 && minWait<<attempt < maxWait && minWait<<attempt > 0 {
		d = minWait << attempt
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay seconds or an
// HTTP date, the latter measured from now. A date in the past is a zero wait.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}
