package fakeidp

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// Entra error numbers of the device flow.
const (
	aadDevicePending = 70016 // authorization pending
	aadDeviceExpired = 70019 // the device code expired
)

// maxDevicePolls bounds the poll times a Provider remembers (DevicePolls).
const maxDevicePolls = 1024

// userCodeAlphabet is RFC 8628 §6.1's example: 20 consonants, no vowels (no words) and
// no look-alike digits.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// deviceGrant is what a device code is bound to (RFC 8628 §3.2).
type deviceGrant struct {
	clientID string
	issuer   string // issuerOf the authority it was issued at
	scopes   []string
	userCode string // normalised
	expires  time.Time
	interval time.Duration
	lastPoll time.Time
	user     string // lower-cased username, once approved
	denied   bool
}

// deviceGrants holds the live device codes, by device code and by user code.
type deviceGrants struct {
	mu     sync.Mutex
	byCode map[string]*deviceGrant
	byUser map[string]string // user code → device code
	polls  []time.Time
}

func newDeviceGrants() deviceGrants {
	return deviceGrants{byCode: map[string]*deviceGrant{}, byUser: map[string]string{}}
}

// DeviceAuthorize answers a device authorization request (RFC 8628 §3.1–3.2) of client
// clientID for scopes at authority a: a random device code, an 8-letter user code
// (XXXX-XXXX), verificationURI (the front's page where the user enters the code) and its
// _complete form, Config.DeviceCodeLifetime and Config.DeviceInterval. A front
// authenticates a confidential client first (or sets opt.ClientAuthenticated), as for
// Token; an unknown client is invalid_client, an unknown scope invalid_scope.
func (p *Provider) DeviceAuthorize(a domain.Authority, req domain.DeviceAuthorizationRequest, opt TokenOptions, verificationURI string) (domain.DeviceAuthorization, error) {
	g := domain.GrantDeviceCode
	if _, e := p.authenticate(domain.TokenRequest{Grant: g, ClientID: req.ClientID, Credential: req.Credential}, opt); e != nil {
		return domain.DeviceAuthorization{}, e
	}
	scopes := domain.NormalizeScopes(req.Scopes)
	if bad := p.unknownScope(a, scopes); bad != "" {
		return domain.DeviceAuthorization{}, invalidScope(g, bad)
	}
	code, err := p.random(32)
	if err != nil {
		return domain.DeviceAuthorization{}, err
	}
	user, err := p.userCode()
	if err != nil {
		return domain.DeviceAuthorization{}, err
	}
	now := p.Now()
	dg := &deviceGrant{clientID: req.ClientID, issuer: issuerOf(a), scopes: scopes, userCode: normalizeUserCode(user),
		expires: now.Add(p.cfg.DeviceCodeLifetime), interval: p.cfg.DeviceInterval}
	p.devices.mu.Lock()
	for c, old := range p.devices.byCode {
		if now.After(old.expires.Add(time.Minute)) {
			delete(p.devices.byUser, old.userCode)
			delete(p.devices.byCode, c)
		}
	}
	p.devices.byCode[code] = dg
	p.devices.byUser[dg.userCode] = code
	p.devices.mu.Unlock()
	return domain.DeviceAuthorization{
		DeviceCode: domain.Secret(code), UserCode: user, VerificationURI: verificationURI,
		VerificationURIComplete: verificationURI + "?user_code=" + user,
		ExpiresIn:               p.cfg.DeviceCodeLifetime, Interval: p.cfg.DeviceInterval,
		Message: "To sign in, use a web browser to open the page " + verificationURI + " and enter the code " + user + " to authenticate.",
	}, nil
}

// userCode returns a random user code "XXXX-XXXX" from userCodeAlphabet (about 34
// bits; RFC 8628 §5.1 pairs that with the code's short life and rate limits).
func (p *Provider) userCode() (string, error) {
	raw, err := p.random(8)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < 8; i++ {
		if i == 4 {
			b.WriteByte('-')
		}
		b.WriteByte(userCodeAlphabet[int(raw[i])%len(userCodeAlphabet)])
	}
	return b.String(), nil
}

// normalizeUserCode is how a typed user code is compared (RFC 8628 §6.1): case and
// dashes and spaces do not matter.
func normalizeUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// ApproveDevice approves the device flow of userCode (any case, dashes optional) as
// username: the next poll of its device code gets tokens for that user. It returns
// ErrInvalidInput for an unknown, expired or already decided code, or an unknown user.
func (p *Provider) ApproveDevice(userCode, username string) error {
	u, ok := p.User(username)
	if !ok {
		return domain.Errorf(domain.ErrInvalidInput, "fakeidp: no user named %q is configured", username)
	}
	return p.decideDevice(userCode, func(g *deviceGrant) { g.user = strings.ToLower(strings.TrimSpace(u.Username)) })
}

// DenyDevice declines the device flow of userCode: the next poll of its device code is
// answered access_denied.
func (p *Provider) DenyDevice(userCode string) error {
	return p.decideDevice(userCode, func(g *deviceGrant) { g.denied = true })
}

func (p *Provider) decideDevice(userCode string, decide func(*deviceGrant)) error {
	now := p.Now()
	p.devices.mu.Lock()
	defer p.devices.mu.Unlock()
	code, ok := p.devices.byUser[normalizeUserCode(userCode)]
	g := p.devices.byCode[code]
	switch {
	case !ok || g == nil:
		return domain.Errorf(domain.ErrInvalidInput, "fakeidp: no device flow has that user code")
	case now.After(g.expires):
		return domain.Errorf(domain.ErrInvalidInput, "fakeidp: that user code has expired")
	case g.user != "" || g.denied:
		return domain.Errorf(domain.ErrInvalidInput, "fakeidp: that user code was already used")
	}
	decide(g)
	return nil
}

// DevicePolls returns the provider-clock times of the device-code token requests it
// has received (scripted failures included), oldest first: tests read the polling
// interval from them.
func (p *Provider) DevicePolls() []time.Time {
	p.devices.mu.Lock()
	defer p.devices.mu.Unlock()
	return append([]time.Time(nil), p.devices.polls...)
}

// redeemDeviceCode answers a device access token request (RFC 8628 §3.4–3.5):
// authorization_pending until the user decides, slow_down (and 5 more seconds of
// interval) for a poll sooner than the interval, access_denied once declined,
// expired_token after expiry, and the tokens once approved — once: the code is spent.
func (p *Provider) redeemDeviceCode(req domain.TokenRequest, opt TokenOptions, c *Client) (domain.TokenResponse, *domain.Error) {
	g := domain.GrantDeviceCode
	if req.DeviceCode == "" {
		return domain.TokenResponse{}, invalidRequest(g, "The request body must contain the following parameter: 'device_code'.")
	}
	now := p.Now()
	p.devices.mu.Lock()
	dg, ok := p.devices.byCode[string(req.DeviceCode)]
	foreign := ok && (dg.clientID != c.ID || dg.issuer != issuerOf(req.Authority))
	var tooSoon bool
	if ok && !foreign { // a poll by another client or at another issuer changes nothing
		tooSoon = !dg.lastPoll.IsZero() && now.Sub(dg.lastPoll) < dg.interval
		dg.lastPoll = now
		if tooSoon {
			dg.interval += 5 * time.Second
		}
		if dg.user != "" || dg.denied || now.After(dg.expires) {
			delete(p.devices.byCode, string(req.DeviceCode))
			delete(p.devices.byUser, dg.userCode)
		}
	}
	p.devices.mu.Unlock()
	switch {
	case !ok:
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70000: The provided value for the 'device_code' parameter is not valid.", aadInvalidGrantValue)
	case foreign:
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70000: The device code was issued to another application or issuer.", aadInvalidGrantValue)
	case now.After(dg.expires):
		return domain.TokenResponse{}, refusal(g, http.StatusBadRequest, "expired_token", "AADSTS70019: The device code has expired.", aadDeviceExpired)
	case dg.denied:
		return domain.TokenResponse{}, refusal(g, http.StatusBadRequest, "access_denied", "The user declined the sign-in request.")
	case dg.user == "" && tooSoon:
		return domain.TokenResponse{}, refusal(g, http.StatusBadRequest, "slow_down", "Polled sooner than the interval: slow down.")
	case dg.user == "":
		return domain.TokenResponse{}, refusal(g, http.StatusBadRequest, "authorization_pending", "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.", aadDevicePending)
	}
	u, ok := p.users[dg.user]
	if !ok {
		return domain.TokenResponse{}, invalidGrant(g, "AADSTS70000: The user of the device code no longer exists.", aadInvalidGrantValue)
	}
	return p.issue(issueInput{req: req, opt: opt, client: c, user: *u, scopes: dg.scopes})
}

// recordDevicePoll records the time of a device-code token request.
func (p *Provider) recordDevicePoll() {
	now := p.Now()
	p.devices.mu.Lock()
	defer p.devices.mu.Unlock()
	if len(p.devices.polls) < maxDevicePolls {
		p.devices.polls = append(p.devices.polls, now)
	}
}
