package app

import (
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/hexauth/hexauth/domain"
)

// ResponseMode is how the authorization response reaches the redirect URI.
type ResponseMode = domain.ResponseMode

// Response modes (see domain.ResponseMode).
const (
	ResponseModeQuery    = domain.ResponseModeQuery
	ResponseModeFormPost = domain.ResponseModeFormPost
	ResponseModeFragment = domain.ResponseModeFragment
)

// ResponseModeOption sets or declares the response mode of an auth-code flow.
type ResponseModeOption struct{ mode ResponseMode }

// WithResponseMode does two things, as MSAL's response_mode does for a flow's two
// halves. On InitiateAuthCodeFlow and AuthorizationURL it sends response_mode (query,
// form_post, or fragment for a public client only; anything else is
// domain.ErrInvalidInput) and the flow records it. On AcquireTokenByAuthCodeFlow it
// says how the response reached the caller — form_post for r.PostForm, query (the
// default) for r.URL.Query() — and must be the flow's: a response that came another
// way is domain.ErrInvalidResponse before the code is redeemed, and the flow stays
// usable. ReadAuthResponse returns both from an *http.Request.
// AcquireTokenInteractive reads the loopback redirect's query and refuses any other mode.
func WithResponseMode(mode ResponseMode) ResponseModeOption { return ResponseModeOption{mode: mode} }

func (o ResponseModeOption) applyAuthCode(r *authCodeCall) { r.AuthCodeRequest.ResponseMode = o.mode }
func (o ResponseModeOption) applyFlow(c *flowCall)         { c.Completion.ResponseMode = o.mode }

// maxFormPostBytes bounds a form_post response body: a code, a state, an id_token or
// client_info and an error description fit many times over.
const maxFormPostBytes = 64 << 10

// authResponseParams are the parameters an authorization response may carry.
var authResponseParams = []string{"code", "state", "iss", "error", "error_description", "error_uri", "suberror", "session_state", "client_info"}

// ReadAuthResponse reads the authorization response the provider sent the browser back
// with: a GET's query (ResponseModeQuery), or a POSTed
// application/x-www-form-urlencoded body (ResponseModeFormPost, read through a 64 KiB
// limit; the URL's query is ignored). Pass both to AcquireTokenByAuthCodeFlow:
//
//	resp, mode, err := app.ReadAuthResponse(r)
//	...
//	res, err := cc.AcquireTokenByAuthCodeFlow(ctx, flow, resp, app.WithResponseMode(mode))
//
// A POST whose URL query also carries response parameters is refused
// (domain.ErrInvalidResponse): which of the two is the provider's cannot be known. Any
// other method, media type or an unreadable body is domain.ErrInvalidResponse too.
func ReadAuthResponse(r *http.Request) (url.Values, ResponseMode, error) {
	switch r.Method {
	case http.MethodGet:
		return r.URL.Query(), ResponseModeQuery, nil
	case http.MethodPost:
	default:
		return nil, "", domain.Errorf(domain.ErrInvalidResponse, "app: an authorization response is a GET or a POST, not a %.16s", r.Method)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, "", domain.Errorf(domain.ErrInvalidResponse, "app: a form_post authorization response must be application/x-www-form-urlencoded")
	}
	q := r.URL.Query()
	for _, p := range authResponseParams {
		if q.Has(p) {
			return nil, "", domain.Errorf(domain.ErrInvalidResponse, "app: a form_post authorization response also carries %s in its URL", p)
		}
	}
	if r.PostForm == nil {
		r.Body = http.MaxBytesReader(nil, r.Body, maxFormPostBytes)
		if err := r.ParseForm(); err != nil {
			// Not wrapped: a parse error quotes bytes of the body, which holds the code.
			return nil, "", domain.Errorf(domain.ErrInvalidResponse, "app: the form_post authorization response cannot be read (%s)", formErrKind(err))
		}
	}
	return r.PostForm, ResponseModeFormPost, nil
}

// formErrKind names a form-parsing failure without quoting the body.
func formErrKind(err error) string {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return "larger than 64 KiB"
	}
	return "not a valid form"
}
