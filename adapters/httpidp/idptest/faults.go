package idptest

import (
	"net/http"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// Endpoint names one of the server's endpoints, for fault matching and request counts.
type Endpoint string

// The server's endpoints.
const (
	// EndpointAny matches every endpoint in a Fault.
	EndpointAny Endpoint = "*"
	// EndpointDiscovery is the OpenID Connect discovery document, in both styles.
	EndpointDiscovery Endpoint = "discovery"
	// EndpointJWKS is the JSON Web Key Set that verifies the server's ID tokens.
	EndpointJWKS Endpoint = "jwks"
	// EndpointAuthorize is the authorization endpoint (GET and the login form's POST).
	EndpointAuthorize Endpoint = "authorize"
	// EndpointToken is the token endpoint.
	EndpointToken Endpoint = "token"
	// EndpointDevice is the device authorization endpoint (RFC 8628 §3.1).
	EndpointDevice Endpoint = "device_authorization"
	// EndpointDevicePage is the page where a user enters a user code (GET, and its
	// form's POST).
	EndpointDevicePage Endpoint = "device"
	// EndpointEndSession is the end-session endpoint (Config.EndSession), GET and POST.
	EndpointEndSession Endpoint = "end_session"
)

// BodyKind selects the body of a scripted fault response.
type BodyKind int

// Fault response bodies.
const (
	// BodyDefault is the JSON of Fault.Error when it is set, otherwise an empty body
	// (or, with no Status either, the real response).
	BodyDefault BodyKind = iota
	// BodyEmpty is an empty body, even when Fault.Error is set.
	BodyEmpty
	// BodyHTML is a small HTML error page, as proxies and gateways send.
	BodyHTML
	// BodyMalformedJSON is a truncated JSON object that no parser accepts.
	BodyMalformedJSON
	// BodyOversized is a well-formed token response larger than 1 MiB (OversizedBodyBytes),
	// so a client that does not cap what it reads would accept it.
	BodyOversized
	// BodyGzipBomb is a well-formed token response that inflates to GzipBombBytes (past
	// 1 MiB) from a few kilobytes, sent with Content-Encoding: gzip.
	BodyGzipBomb
	// BodyRaw is Fault.RawBody verbatim.
	BodyRaw
)

// Sizes of the oversized bodies, both past the 1 MiB cap clients are expected to apply.
const (
	OversizedBodyBytes = 1<<20 + 64<<10
	GzipBombBytes      = 16 << 20
)

// Fault is a scripted misbehaviour of the server, queued with Server.Script. Each
// request takes the first queued fault that matches it (Endpoint and Grant) and consumes
// one of its Times; a request that takes no fault is served normally. A request that
// takes a fault is still counted.
//
// Effects apply in this order: Delay; then DropConnection, Redirect, or a scripted
// response (Status, Body, Error) replacing the real one; otherwise the real response,
// with the token-level faults (IDToken, RefuseRefresh, ExpiresInAsString) applied by the
// protocol engine. Header, RetryAfter and Gzip apply to every response written.
type Fault struct {
	// Endpoint is the endpoint the fault applies to; empty means EndpointToken, and
	// EndpointAny matches all of them.
	Endpoint Endpoint
	// Grant, when set, restricts a token-endpoint fault to requests of that grant_type.
	Grant domain.GrantKind
	// Times is how many matching requests take the fault: 0 means 1, a negative number
	// means every matching request until ClearFaults.
	Times int

	// Delay holds the response back. The wait ends early, with no response, when the
	// client goes away (the request's context is done).
	Delay time.Duration
	// DropConnection reads the whole request, then closes the connection without
	// writing a response.
	DropConnection bool
	// Redirect answers with a redirect to this URL (302 Found unless Status is another
	// 3xx), as a misconfigured or hostile front end would for a token POST.
	Redirect string

	// Status, when set, replaces the real response with this HTTP status and the body
	// chosen by Body. A Body other than BodyDefault, or an Error, with no Status answers
	// 200 (a 200 carrying an error is a failure clients must recognise).
	Status int
	// Body selects the scripted body.
	Body BodyKind
	// Error is the JSON error of a scripted response (Entra style: timestamp, trace_id
	// and correlation_id are filled in when empty).
	Error *ErrorResponse
	// EchoRequest appends the request to Error's description: its form (URL-encoded and
	// decoded) and its Authorization header (raw and decoded), as providers that echo
	// requests do, so tests can check that no secret comes back out of the client.
	EchoRequest bool
	// RawBody is the body sent for BodyRaw, with ContentType.
	RawBody []byte
	// ContentType overrides the scripted body's Content-Type.
	ContentType string

	// Header is added to the response, scripted or real.
	Header http.Header
	// RetryAfter, when positive, sets the Retry-After header in whole seconds (rounded up).
	RetryAfter time.Duration
	// Gzip compresses the response body, scripted or real, with Content-Encoding: gzip,
	// whether or not the client asked for it.
	Gzip bool

	// IDToken corrupts the ID token of a successful token response (wrong nonce, issuer,
	// audience, azp or signature, expired, unsigned, HMAC, typed at+jwt, ...; see the
	// IDToken* constants), overriding SetIDTokenFault for this request.
	IDToken IDTokenFault
	// RefuseRefresh makes a refresh_token grant fail with invalid_grant (AADSTS70008), as
	// for a revoked refresh token; it has no effect on other grants.
	RefuseRefresh bool
	// ExpiresInAsString sends expires_in (and ext_expires_in, refresh_in) as JSON
	// strings, as some providers do.
	ExpiresInAsString bool
}

// matches reports whether f applies to a request at endpoint e with grant g.
func (f *Fault) matches(e Endpoint, g string) bool {
	want := f.Endpoint
	if want == "" {
		want = EndpointToken
	}
	if want != EndpointAny && want != e {
		return false
	}
	return f.Grant == "" || string(f.Grant) == g
}

// replaces reports whether f replaces the real response with a scripted one.
func (f *Fault) replaces() bool {
	return f.Status != 0 || f.Body != BodyDefault || f.Error != nil
}

// Script queues faults; each applies to the next requests that match it, in order.
// It is safe to call while requests are being served.
func (s *Server) Script(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		if f.Times == 0 {
			f.Times = 1
		}
		s.faults = append(s.faults, &f)
	}
}

// FailNext makes the next token request fail with status and the JSON error code (an
// empty code sends an empty body). It is Script(Fault{Status: status, Error: ...}).
func (s *Server) FailNext(status int, code string) {
	f := Fault{Status: status}
	if code != "" {
		f.Error = &ErrorResponse{Error: code}
	}
	s.Script(f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults returns how many queued faults have uses left.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// takeFault removes one use of the first queued fault matching the request and returns
// a copy of it, or nil.
func (s *Server) takeFault(e Endpoint, grant string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(e, grant) {
			continue
		}
		taken := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &taken
	}
	return nil
}
