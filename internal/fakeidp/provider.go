package fakeidp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// Provider is the fake identity provider's engine. Create one with New. It is safe for
// concurrent use.
type Provider struct {
	cfg     Config
	users   map[string]*User // by lower-cased username
	clients map[string]*Client
	key     signingKey
	// anyTenant holds the lower-cased usernames of users configured without a TenantID:
	// members of whichever tenant they first sign in at (see homeTenant).
	anyTenant map[string]bool
	// tenantDomains is Config.TenantDomains by lower-cased tenant name.
	tenantDomains map[string]string

	randMu sync.Mutex
	rand   io.Reader

	mu      sync.Mutex
	codes   map[string]*codeGrant
	devices deviceGrants
	refresh map[string]*refreshGrant
	// spent maps each rotated-away refresh token to its chain (nil unless
	// Config.DetectRefreshTokenReuse); reuses counts the reuses detected.
	spent    map[string]string
	reuses   int
	calls    map[domain.GrantKind]int
	failNext map[domain.GrantKind][]*domain.Error
	echoing  map[*domain.Error]bool // queued failures that echo the request
	idFault  IDTokenFault
}

// New returns a Provider configured by cfg after validating it (see Config.Validate).
// It generates the signing key unless cfg.SigningKey is set.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	key, err := newSigningKey(cfg.SigningAlg, cfg.SigningKey)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		cfg:      cfg,
		users:    make(map[string]*User, len(cfg.Users)),
		clients:  make(map[string]*Client, len(cfg.Clients)),
		key:      key,
		rand:     cfg.Rand,
		codes:    map[string]*codeGrant{},
		devices:  newDeviceGrants(),
		refresh:  map[string]*refreshGrant{},
		calls:    map[domain.GrantKind]int{},
		failNext: map[domain.GrantKind][]*domain.Error{},
		echoing:  map[*domain.Error]bool{},
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	if cfg.DetectRefreshTokenReuse {
		p.spent = map[string]string{}
	}
	p.anyTenant = map[string]bool{}
	for _, u := range cfg.Users {
		name := strings.ToLower(strings.TrimSpace(u.Username))
		if u.TenantID == "" {
			p.anyTenant[name] = true
		}
		u := completeUser(u)
		p.users[name] = &u
	}
	for _, c := range cfg.Clients {
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		if c.PublicKey == nil && c.Certificate != nil {
			c.PublicKey = c.Certificate.PublicKey
		}
		p.clients[c.ID] = &c
	}
	p.tenantDomains = make(map[string]string, len(cfg.TenantDomains))
	for name, id := range cfg.TenantDomains {
		p.tenantDomains[strings.ToLower(strings.TrimSpace(name))] = id
	}
	return p, nil
}

// completeUser fills in the derived identifiers of a user.
func completeUser(u User) User {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(u.Username))))
	h := hex.EncodeToString(sum[:])
	if u.ObjectID == "" {
		u.ObjectID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
	if u.Subject == "" {
		u.Subject = "sub-" + h[32:64]
	}
	if u.TenantID == "" {
		u.TenantID = DefaultTenantID
	}
	return u
}

// Now returns the time of the provider's clock.
func (p *Provider) Now() time.Time { return p.cfg.Clock.Now() }

// User returns the user named username (case-insensitively), with its derived Subject,
// ObjectID and TenantID filled in.
func (p *Provider) User(username string) (User, bool) {
	u, ok := p.users[strings.ToLower(strings.TrimSpace(username))]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// Client returns the registered client id, for a front that authenticates clients
// itself (its Secret, or its PublicKey for private_key_jwt assertions).
func (p *Provider) Client(id string) (Client, bool) {
	c, ok := p.clients[id]
	if !ok {
		return Client{}, false
	}
	cp := *c
	cp.RedirectURIs = slices.Clone(c.RedirectURIs)
	cp.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	return cp, true
}

// CheckPassword reports whether username exists and password is its password, in
// constant time with respect to the password.
func (p *Provider) CheckPassword(username, password string) bool {
	u, ok := p.users[strings.ToLower(strings.TrimSpace(username))]
	return ok && u.Password != "" && domain.ConstantTimeEqual(string(u.Password), password)
}

// CheckClientSecret reports whether secret is the secret of the confidential client id,
// in constant time with respect to the secret.
func (p *Provider) CheckClientSecret(id, secret string) bool {
	c, ok := p.clients[id]
	return ok && c.Secret != "" && domain.ConstantTimeEqual(string(c.Secret), secret)
}

// Calls returns how many Token requests of grant the provider has received, failed
// ones included.
func (p *Provider) Calls(grant domain.GrantKind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[grant]
}

// FailNext makes the next Token request of grant fail with a copy of err (which is
// still counted as a call). Calls queue: two calls fail the next two requests. An err
// without a Class is classified with domain.Classify from its Code, SubError,
// ErrorCodes and HTTPStatus. A nil err clears the queue of grant.
func (p *Provider) FailNext(grant domain.GrantKind, err *domain.Error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		for _, e := range p.failNext[grant] {
			delete(p.echoing, e)
		}
		delete(p.failNext, grant)
		return
	}
	p.failNext[grant] = append(p.failNext[grant], copyFault(grant, err))
}

// FailNextEchoing is FailNext with the request appended to err's description (its
// form, secrets included, and its Basic credentials), as providers that echo requests
// do. The refusal comes back scrubbed, as from the HTTP adapter: tests use it to check
// that no secret travels further.
func (p *Provider) FailNextEchoing(grant domain.GrantKind, err *domain.Error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := copyFault(grant, err)
	p.failNext[grant] = append(p.failNext[grant], e)
	p.echoing[e] = true
}

// RevokeRefreshTokens revokes every refresh token issued to username: redeeming one
// then fails with invalid_grant (AADSTS70008).
func (p *Provider) RevokeRefreshTokens(username string) {
	name := strings.ToLower(strings.TrimSpace(username))
	p.mu.Lock()
	defer p.mu.Unlock()
	for tok, g := range p.refresh {
		if g.user == name {
			delete(p.refresh, tok)
		}
	}
}

// RefreshTokenReuses returns how many redemptions of a rotated-away refresh token the
// provider has seen (with Config.DetectRefreshTokenReuse; each revoked its chain).
func (p *Provider) RefreshTokenReuses() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reuses
}

// SetIDTokenFault makes every ID token issued from now on carry fault f, until it is
// set again (IDTokenOK restores correct tokens).
func (p *Provider) SetIDTokenFault(f IDTokenFault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idFault = f
}

// idTokenFault returns the current ID token fault.
func (p *Provider) idTokenFault() IDTokenFault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idFault
}

// random returns n random bytes from the configured source, base64url-encoded.
func (p *Provider) random(n int) (string, error) {
	p.randMu.Lock()
	defer p.randMu.Unlock()
	return domain.RandomString(p.rand, n)
}
