package httpidp

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/hexauth/hexauth/domain"
)

// maxRedirects bounds the redirects a GET (discovery, JWKS) follows.
const maxRedirects = 5

// errRedirect marks a redirect the adapter refused to follow.
var errRedirect = errors.New("httpidp: redirect refused")

// newHTTPClient returns the client every attempt goes through: the per-attempt timeout,
// and redirects followed only for GETs, only within the origin they started on and only
// to secure URLs. A POST (a token request) follows none, so it never reaches another
// host; a GET (discovery, a key set) never brings back a document from an origin the
// caller did not name, whose endpoints would then be trusted. With Config.HTTPClient the
// caller's client is copied, never modified, and its own CheckRedirect runs after ours.
func newHTTPClient(cfg Config) *http.Client {
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		if c.Timeout == 0 || c.Timeout > cfg.AttemptTimeout {
			c.Timeout = cfg.AttemptTimeout
		}
		next := cfg.HTTPClient.CheckRedirect
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if err := checkRedirect(req, via); err != nil || next == nil {
				return err
			}
			return next(req, via)
		}
		return &c
	}
	t := cfg.Transport
	if t == nil {
		t = cleanhttp.DefaultPooledTransport()
	}
	return &http.Client{Transport: t, Timeout: cfg.AttemptTimeout, CheckRedirect: checkRedirect}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	switch {
	case via[0].Method != http.MethodGet:
		return http.ErrUseLastResponse
	case len(via) >= maxRedirects:
		return fmt.Errorf("%w: more than %d redirects", errRedirect, maxRedirects)
	case !secureURL(req.URL):
		return fmt.Errorf("%w: redirect to a URL that is neither https nor loopback", errRedirect)
	case !sameOrigin(req.URL, via[0].URL):
		return fmt.Errorf("%w: redirect from %s to another origin, %s", errRedirect, via[0].URL.Host, req.URL.Host)
	}
	return nil
}

// secureURL reports whether u uses https, or http on a loopback host.
func secureURL(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		return domain.IsLoopbackHost(u.Hostname())
	}
	return false
}

// newRetryClient returns a go-retryablehttp client over the adapter's HTTP client with
// the retry policy for single-use or repeatable requests, and prepare (may be nil) run
// before each retry. Errors pass through with the last response, so the provider's
// error JSON is kept. A client is made per request: it is a small struct, and this keeps
// per-request hooks out of shared state.
func (p *Provider) newRetryClient(singleUse bool, prepare retryablehttp.PrepareRetry) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   p.httpClient,
		Logger:       leveledLogger{p.cfg.Logger},
		RetryWaitMin: p.cfg.RetryWaitMin,
		RetryWaitMax: p.cfg.RetryWaitMax,
		RetryMax:     p.cfg.MaxRetries,
		CheckRetry:   p.retryPolicy(singleUse),
		Backoff:      p.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		PrepareRetry: prepare,
	}
}

// exchange is a response read in full (within MaxBodyBytes).
type exchange struct {
	status int
	header http.Header
	body   []byte
}

// newRequest builds a request with the adapter's headers. body is nil for a GET, else
// a []byte or a retryablehttp.ReaderFunc (a body rebuilt before each retry).
func (p *Provider) newRequest(ctx context.Context, method, target string, body any) (*retryablehttp.Request, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Description: "cannot build a request", Err: err}
	}
	req.Header.Set("User-Agent", p.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// send runs req with retries (prepare, when set, runs before each retry) and reads the final response. Transport failures become
// ErrUnavailable (wrapping ctx.Err() when the context is done); an unreadable or
// oversized body becomes ErrUnavailable or ErrInvalidResponse.
func (p *Provider) send(ctx context.Context, req *retryablehttp.Request, singleUse bool, prepare retryablehttp.PrepareRetry) (exchange, error) {
	resp, err := p.newRetryClient(singleUse, prepare).Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return exchange{}, transportError(ctx, err)
	}
	body, err := readBody(resp)
	if err != nil {
		if ctx.Err() != nil {
			return exchange{}, transportError(ctx, err)
		}
		return exchange{}, err
	}
	return exchange{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// transportError classifies a failure to get an answer. Its message says whether the
// request may have reached the provider: a failure while connecting ("could not
// connect") means nothing was sent, while a failure after that ("outcome unknown") may
// mean the provider acted on it — a code redeemed, a refresh token rotated — so a caller
// must not assume the grant is still unused.
func transportError(ctx context.Context, err error) *domain.Error {
	const unknown = " (outcome unknown: the request may have reached the provider)"
	dial := isDialError(err)
	if cerr := ctx.Err(); cerr != nil {
		if !errors.Is(err, cerr) {
			err = cerr
		}
		d := "request abandoned: the context is done" + unknown
		if dial {
			d = "request abandoned: the context is done (could not connect: nothing was sent)"
		}
		return &domain.Error{Class: domain.ErrUnavailable, Description: d, Err: err}
	}
	if dial {
		return &domain.Error{Class: domain.ErrUnavailable, Description: "could not connect to the provider (nothing was sent)", Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &domain.Error{Class: domain.ErrUnavailable, Description: "the provider did not answer in time" + unknown, Err: err}
	}
	return &domain.Error{Class: domain.ErrUnavailable, Description: "the connection failed before an answer" + unknown, Err: err}
}

// readBody reads and closes resp's body through the MaxBodyBytes cap, inflating a gzip
// body the transport left compressed. Nothing past the cap is read, so a body that
// inflates to gigabytes costs at most MaxBodyBytes of memory.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if !resp.Uncompressed && strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, &domain.Error{Class: domain.ErrInvalidResponse, HTTPStatus: resp.StatusCode, Description: "response body is not valid gzip"}
		}
		defer zr.Close()
		r = zr
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, MaxBodyBytes+1))
	switch {
	case n > MaxBodyBytes:
		return nil, &domain.Error{Class: domain.ErrInvalidResponse, HTTPStatus: resp.StatusCode, Description: "response body exceeds 1 MiB"}
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return nil, &domain.Error{Class: domain.ErrInvalidResponse, HTTPStatus: resp.StatusCode, Description: "response body is not valid gzip"}
	case err != nil:
		return nil, &domain.Error{Class: domain.ErrUnavailable, HTTPStatus: resp.StatusCode, Description: "reading the response body failed", Err: err}
	}
	return buf.Bytes(), nil
}
