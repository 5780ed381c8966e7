package usecases

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// AuthCodeRequest parameterises an authorization request.
type AuthCodeRequest struct {
	Scopes      []string
	RedirectURI string
	Authority   *domain.Authority // nil: the client's authority
	State       string            // empty: random
	Prompt      string
	LoginHint   string
	DomainHint  string
	Claims      string
	MaxAge      *time.Duration
	// CodeChallenge is used by AuthorizationURL only (Initiate always makes its own).
	CodeChallenge string
	// Nonce is sent as nonce when set: by AuthorizationURL, which otherwise sends none
	// (its caller checks it on redemption, LegacyCode's CodeRequest.Nonce), and by
	// Initiate instead of a random one (it must still be unguessable: it binds the ID
	// token to this request).
	Nonce string
	// ExtraQuery are further authorization-request parameters (MSAL's **kwargs),
	// checked with domain.CheckExtraParameters before any call.
	ExtraQuery url.Values
	// ResponseMode is sent as response_mode when set (domain.CheckResponseMode: fragment
	// is refused for a confidential client) and recorded in the flow.
	ResponseMode domain.ResponseMode
}

// AuthCode is the authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636): Initiate
// makes the flow and its URL; Complete checks the redirect and redeems the code.
type AuthCode struct {
	e      *engine
	replay *replayGuard
}

// replayGuard remembers completed flows until they would have expired anyway, so that
// a flow completes at most once.
type replayGuard struct {
	mu        sync.Mutex
	consumed  map[string]time.Time // state and nonce → flow expiry
	nextPrune time.Time
}

// NewAuthCode returns the auth-code flow.
func NewAuthCode(cfg Config, deps Deps) (*AuthCode, error) {
	e, err := newEngine(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &AuthCode{e: e, replay: &replayGuard{consumed: map[string]time.Time{}}}, nil
}

// Initiate starts a flow: a random state (unless given) and nonce, a PKCE S256 pair,
// and the authorization URL. The caller keeps the returned flow until the redirect.
func (a *AuthCode) Initiate(ctx context.Context, req AuthCodeRequest) (domain.AuthCodeFlow, error) {
	scopes, err := a.checkRequest(ctx, "auth code: initiate", req)
	if err != nil {
		return domain.AuthCodeFlow{}, err
	}
	pkce, err := domain.NewPKCE(a.e.cfg.Rand)
	if err != nil {
		return domain.AuthCodeFlow{}, err
	}
	state := req.State
	if state == "" {
		if state, err = domain.RandomString(a.e.cfg.Rand, 24); err != nil {
			return domain.AuthCodeFlow{}, err
		}
	}
	nonce := req.Nonce
	if nonce == "" {
		if nonce, err = domain.RandomString(a.e.cfg.Rand, 24); err != nil {
			return domain.AuthCodeFlow{}, err
		}
	}
	// The flow records the claims as sent, capabilities merged, so that its completion
	// sends the same and the flow still matches its URL.
	if req.Claims, err = a.e.requestClaims(req.Claims); err != nil {
		return domain.AuthCodeFlow{}, err
	}
	authority := a.e.authority(req.Authority)
	req.CodeChallenge = pkce.Challenge
	uri, err := a.e.idp.AuthorizationURL(ctx, authority, a.authorizationRequest(req, scopes, state, nonce))
	if err != nil {
		return domain.AuthCodeFlow{}, classifyDone("auth code: initiate", err)
	}
	flow := domain.AuthCodeFlow{
		AuthURI: uri, State: state, Nonce: nonce, CodeVerifier: pkce.Verifier, RedirectURI: req.RedirectURI,
		Scopes: scopes, ClaimsChallenge: req.Claims, Authority: authority.URL, CreatedAt: a.e.clock.Now().UTC(),
		ResponseMode: req.ResponseMode,
	}
	if req.MaxAge != nil {
		sec := int64(req.MaxAge.Seconds()) // as the authorization request sends it
		flow.MaxAge = &sec
	}
	return flow, nil
}

// AuthorizationURL returns an authorization URL without keeping a flow (MSAL's
// get_authorization_request_url); the code is later redeemed with LegacyCode. A random
// state is sent unless req.State is given (read it back from the URL's query to check the
// redirect); PKCE only when req.CodeChallenge is set; a nonce only when req.Nonce is
// (providers that require one, such as many OIDC providers for a request with openid,
// refuse a request without it; redeem with the same nonce to have it checked).
func (a *AuthCode) AuthorizationURL(ctx context.Context, req AuthCodeRequest) (string, error) {
	scopes, err := a.checkRequest(ctx, "auth code: authorization URL", req)
	if err != nil {
		return "", err
	}
	if req.MaxAge != nil {
		// Without a flow nothing records max_age: the redemption could not check the
		// auth_time it asks for, and a stale sign-in would pass for a fresh one.
		return "", domain.Errorf(domain.ErrInvalidInput, "auth code: authorization URL: max_age needs the auth-code flow (Initiate), whose completion checks auth_time")
	}
	if req.Claims, err = a.e.requestClaims(req.Claims); err != nil {
		return "", err
	}
	state := req.State
	if state == "" {
		if state, err = domain.RandomString(a.e.cfg.Rand, 24); err != nil {
			return "", err
		}
	}
	uri, err := a.e.idp.AuthorizationURL(ctx, a.e.authority(req.Authority), a.authorizationRequest(req, scopes, state, req.Nonce))
	return uri, classifyDone("auth code: authorization URL", err)
}

// checkRequest checks an authorization request's input before any port is called and
// returns its non-reserved scopes.
func (a *AuthCode) checkRequest(ctx context.Context, op string, req AuthCodeRequest) ([]string, error) {
	scopes, err := domain.UserFlowScopes(req.Scopes)
	if err != nil {
		return nil, err
	}
	in := domain.AuthRequestInputs{
		RedirectURI: req.RedirectURI, State: req.State, Nonce: req.Nonce, LoginHint: req.LoginHint, DomainHint: req.DomainHint,
		Claims: req.Claims, Prompt: req.Prompt, CodeChallenge: req.CodeChallenge,
	}
	if err := firstErr(in.Check(), a.e.checkOptional(req.Claims, ""), domain.CheckExtraParameters(op, req.ExtraQuery),
		domain.CheckResponseMode(req.ResponseMode, !a.e.cfg.Credential.IsZero()), checkContext(ctx, op)); err != nil {
		return nil, err
	}
	return scopes, nil
}

func (a *AuthCode) authorizationRequest(req AuthCodeRequest, scopes []string, state, nonce string) domain.AuthorizationRequest {
	return domain.AuthorizationRequest{
		ClientID: a.e.cfg.ClientID, RedirectURI: req.RedirectURI, Scopes: domain.WithReservedScopes(scopes),
		State: state, Nonce: nonce, CodeChallenge: req.CodeChallenge, Prompt: req.Prompt,
		LoginHint: req.LoginHint, DomainHint: req.DomainHint, Claims: req.Claims, MaxAge: req.MaxAge,
		Extra: req.ExtraQuery, ResponseMode: req.ResponseMode,
	}
}

// Complete finishes a flow with the redirect's query. It checks, in order, and fails
// closed: the flow is whole, untampered, unexpired and not already completed
// (ErrInvalidFlow); the state (ErrStateMismatch); an error in the response (classified);
// the issuer when present or required (RFC 9207); the code. It then redeems the code
// with the verifier and the same redirect URI, and checks the ID token (nonce, aud, iss,
// exp, signature). Nothing is cached unless every check passes.
func (a *AuthCode) Complete(ctx context.Context, flow domain.AuthCodeFlow, response url.Values) (domain.AuthResult, error) {
	return a.CompleteWith(ctx, flow, response, Completion{})
}

// Completion is what a completion may add to the flow and the redirect's response.
type Completion struct {
	// Scopes, when set, redeems the code for these of the flow's scopes only (MSAL's
	// scopes argument); each must be one the flow asked for, else ErrInvalidInput.
	Scopes        []string
	CorrelationID string
	// Authority must be given to complete a flow initiated with another authority than
	// the client's (AuthCodeRequest.Authority); the flow's must then be this one.
	Authority *domain.Authority
	// ExtraBody are further token-request parameters (MSAL's **kwargs), checked with
	// domain.CheckExtraParameters before any call.
	ExtraBody url.Values
	// ResponseMode is how the response reached the caller: empty or query for the
	// redirect's query, form_post for a POSTed form (r.PostForm), fragment for values a
	// user agent read from the fragment. It must be the flow's (ErrInvalidResponse).
	ResponseMode domain.ResponseMode
}

// CompleteWith is Complete with the options of c.
//
// A parameter the response repeats, or a state that is oversized or not printable, is
// ErrStateMismatch before any network call, and leaves the flow usable
// (domain.ParseAuthResponseStrict).
func (a *AuthCode) CompleteWith(ctx context.Context, flow domain.AuthCodeFlow, response url.Values, c Completion) (domain.AuthResult, error) {
	return a.e.observe(ctx, ports.FlowAuthCode, c.Authority, func(ctx context.Context) (domain.AuthResult, error) {
		res, err := a.complete(ctx, flow, response, c)
		return res, classifyDone("auth code", err)
	})
}

func (a *AuthCode) complete(ctx context.Context, flow domain.AuthCodeFlow, response url.Values, c Completion) (domain.AuthResult, error) {
	scopes := flow.Scopes
	if c.Scopes != nil {
		var err error
		if scopes, err = domain.UserFlowScopes(c.Scopes); err != nil {
			return domain.AuthResult{}, err
		}
		if !a.e.matcher.Contains(flow.Scopes, scopes) {
			return domain.AuthResult{}, domain.Errorf(domain.ErrInvalidInput, "auth code: the scopes to redeem must be among the flow's")
		}
	}
	if err := firstErr(domain.CheckCorrelationID(c.CorrelationID), domain.CheckExtraParameters("auth code", c.ExtraBody), checkContext(ctx, "auth code")); err != nil {
		return domain.AuthResult{}, err
	}
	now := a.e.clock.Now()
	if err := flow.CheckIntegrity(now, a.e.cfg.FlowMaxAge); err != nil {
		return domain.AuthResult{}, err
	}
	authority, err := a.flowAuthority(flow, a.e.authority(c.Authority))
	if err != nil {
		return domain.AuthResult{}, err
	}
	// A completed flow is refused first, whatever the response; it is marked completed
	// only once the response has passed the state, error and issuer checks, so that a
	// forged response cannot use up a user's flow.
	if a.replay.completed(flow) {
		return domain.AuthResult{}, errReplay()
	}
	// Before the response is read: one that came another way than the flow asked is
	// refused whatever it holds, and does not use the flow up.
	if err := flow.CheckResponseArrival(c.ResponseMode); err != nil {
		return domain.AuthResult{}, err
	}
	resp, err := domain.ParseAuthResponseStrict(response)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if resp.State == "" || !domain.ConstantTimeEqual(resp.State, flow.State) {
		return domain.AuthResult{}, flow.CheckAuthResponse(resp, "", false)
	}
	meta, err := a.e.idp.Metadata(ctx, authority)
	if err != nil {
		return domain.AuthResult{}, err
	}
	if !sameEndpoint(flow.AuthURI, meta.AuthorizationEndpoint) {
		return domain.AuthResult{}, domain.Errorf(domain.ErrInvalidFlow, "auth code flow's authorization URL is not its authority's authorization endpoint (tampered with?)")
	}
	if err := flow.CheckAuthResponse(resp, meta.Issuer, meta.IssuerInResponse); err != nil {
		return domain.AuthResult{}, scrubFlowError(err, flow)
	}
	if err := a.replay.consume(flow, now, a.e.cfg.FlowMaxAge); err != nil {
		return domain.AuthResult{}, err
	}
	return a.e.redeem(ctx, redemption{
		op: "auth code",
		req: domain.TokenRequest{
			Grant: domain.GrantAuthorizationCode, Code: resp.Code, CodeVerifier: flow.CodeVerifier,
			RedirectURI: flow.RedirectURI, Claims: flow.ClaimsChallenge, CorrelationID: c.CorrelationID, Extra: c.ExtraBody,
		},
		authority: authority, scopes: scopes, nonce: flow.Nonce, maxAge: flow.MaxAgeDuration(), exposeRefreshToken: true,
	})
}

// flowAuthority returns the flow's authority after checking that the flow was made by
// this client for want (the client's authority, or the one the completion names): a flow
// is often kept where a user can edit it (a cookie), and an edited authority or client id
// would send the code and verifier to another issuer — another realm or tenant on the
// same host included — whose ID tokens would then be trusted.
func (a *AuthCode) flowAuthority(flow domain.AuthCodeFlow, want domain.Authority) (domain.Authority, error) {
	authority, err := domain.ParseAuthority(flow.Authority, want.Kind)
	if err != nil {
		return domain.Authority{}, &domain.Error{Class: domain.ErrInvalidFlow, Description: "auth code flow has an invalid authority", Err: err}
	}
	if authority.CanonicalURL() != want.CanonicalURL() {
		return domain.Authority{}, domain.Errorf(domain.ErrInvalidFlow, "auth code flow names another authority than the one completing it (tampered with, or initiated with another authority: name it when completing)")
	}
	if u, err := url.Parse(flow.AuthURI); err != nil || u.Query().Get("client_id") != a.e.cfg.ClientID {
		return domain.Authority{}, domain.Errorf(domain.ErrInvalidFlow, "auth code flow was made for another client (tampered with?)")
	}
	return authority, nil
}

// sameEndpoint reports whether rawURL addresses endpoint (same scheme, host and path;
// the query aside).
func sameEndpoint(rawURL, endpoint string) bool {
	u, err1 := url.Parse(rawURL)
	e, err2 := url.Parse(endpoint)
	return err1 == nil && err2 == nil && strings.EqualFold(u.Scheme, e.Scheme) &&
		strings.EqualFold(u.Host, e.Host) && u.Path == e.Path
}

// consume marks the flow completed; a second completion is a replay. Entries are
// dropped once the flow would have expired anyway, so the set holds at most the flows
// completed in the last FlowMaxAge plus a minute. The guard is per process: across
// processes, the provider's single use of each code is what stops a replay.
func (g *replayGuard) consume(flow domain.AuthCodeFlow, now time.Time, maxAge time.Duration) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.After(g.nextPrune) {
		// At most one sweep a minute: a sweep per completion would make a busy web app's
		// completions quadratic.
		for key, until := range g.consumed {
			if now.After(until) {
				delete(g.consumed, key)
			}
		}
		g.nextPrune = now.Add(time.Minute)
	}
	key := replayKey(flow)
	if _, ok := g.consumed[key]; ok {
		return errReplay()
	}
	g.consumed[key] = flow.CreatedAt.Add(maxAge)
	return nil
}

// completed reports whether the flow was already completed, without marking it.
func (g *replayGuard) completed(flow domain.AuthCodeFlow) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.consumed[replayKey(flow)]
	return ok
}

// replayKey names a flow in the replay guard; the state may be the caller's text, so the
// fields are length-prefixed (domain.JoinKey), never separated by a byte it may hold.
func replayKey(flow domain.AuthCodeFlow) string { return domain.JoinKey(flow.State, flow.Nonce) }

func errReplay() error {
	return domain.Errorf(domain.ErrInvalidFlow, "auth code flow was already completed (replay)")
}

// scrubFlowError scrubs the provider's text in an authorization error response of the
// flow's secrets (DESIGN §5): the text came through the browser and may echo the
// request, and it is unbounded until scrubbed.
func scrubFlowError(err error, flow domain.AuthCodeFlow) error {
	var de *domain.Error
	if errors.As(err, &de) {
		de.Scrub(string(flow.CodeVerifier), flow.Nonce, flow.State)
	}
	return err
}
