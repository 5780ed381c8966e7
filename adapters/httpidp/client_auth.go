package httpidp

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/jose"
)

// Client authentication methods (RFC 6749 §2.3.1, OIDC Core §9, RFC 7523).
const (
	AuthMethodNone              = "none"
	AuthMethodClientSecretBasic = "client_secret_basic"
	AuthMethodClientSecretPost  = "client_secret_post"
	AuthMethodPrivateKeyJWT     = "private_key_jwt"
)

const (
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// assertionLifetime is how long a client assertion is valid: it is made for one
	// request.
	assertionLifetime = 5 * time.Minute
)

// authMethod picks the client authentication method: the credential's own choice when
// it makes one (checked against what it holds), otherwise none for a public client,
// private_key_jwt for a key, and for a secret client_secret_basic unless the provider
// lists only client_secret_post (RFC 8414 §2: an empty list means basic).
func authMethod(c domain.ClientCredential, supported []string) (string, error) {
	if c.Secret != "" && c.Key != nil {
		return "", domain.Errorf(domain.ErrInvalidInput, "httpidp: a client credential holds either a secret or a key, not both")
	}
	m := c.AuthMethod
	if m == "" {
		switch {
		case c.Key != nil:
			m = AuthMethodPrivateKeyJWT
		case c.Secret == "":
			m = AuthMethodNone
		case len(supported) > 0 && !slices.Contains(supported, AuthMethodClientSecretBasic) &&
			slices.Contains(supported, AuthMethodClientSecretPost):
			m = AuthMethodClientSecretPost
		default:
			m = AuthMethodClientSecretBasic
		}
	}
	ok := false
	switch m {
	case AuthMethodNone:
		ok = c.IsZero()
	case AuthMethodClientSecretBasic, AuthMethodClientSecretPost:
		ok = c.Secret != ""
	case AuthMethodPrivateKeyJWT:
		ok = c.Key != nil
	default:
		return "", domain.Errorf(domain.ErrInvalidInput, "httpidp: unsupported client authentication method %q", m)
	}
	if !ok {
		return "", domain.Errorf(domain.ErrInvalidInput, "httpidp: client authentication method %q does not fit the credential given", m)
	}
	return m, nil
}

// authenticate adds the client's identity and credential to a token request.
func (p *Provider) authenticate(form url.Values, h http.Header, method, clientID, tokenEndpoint string, c domain.ClientCredential) error {
	switch method {
	case AuthMethodClientSecretBasic:
		// RFC 6749 §2.3.1: both parts form-urlencoded before base64.
		raw := url.QueryEscape(clientID) + ":" + url.QueryEscape(string(c.Secret))
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(raw)))
		return nil
	case AuthMethodClientSecretPost:
		form.Set("client_id", clientID)
		form.Set("client_secret", string(c.Secret))
		return nil
	case AuthMethodPrivateKeyJWT:
		a, err := p.clientAssertion(clientID, tokenEndpoint, c)
		if err != nil {
			return err
		}
		form.Set("client_id", clientID)
		form.Set("client_assertion_type", clientAssertionType)
		form.Set("client_assertion", a)
		return nil
	}
	form.Set("client_id", clientID)
	return nil
}

type assertionClaims struct {
	Aud string `json:"aud"`
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Jti string `json:"jti"`
	Iat int64  `json:"iat"`
	Nbf int64  `json:"nbf"`
	Exp int64  `json:"exp"`
}

// clientAssertion builds a private_key_jwt client assertion (RFC 7523 §3): iss = sub =
// the client id, aud = the token endpoint, a random jti, valid for assertionLifetime
// from the Clock's now, its header naming the certificate by x5t#S256 (RFC 7515
// §4.1.8). It is signed through internal/jose: RSA keys with
// Config.ClientAssertionAlg, ECDSA keys with their curve's ES*, Ed25519 with EdDSA.
func (p *Provider) clientAssertion(clientID, audience string, c domain.ClientCredential) (string, error) {
	alg, err := p.assertionAlg(c.Key)
	if err != nil {
		return "", err
	}
	opt := jose.SignOptions{Type: "JWT", Rand: p.rand}
	if len(c.Certificates) > 0 && c.Certificates[0] != nil {
		cert := c.Certificates[0]
		if pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(c.Key.Public()) {
			return "", domain.Errorf(domain.ErrInvalidInput, "httpidp: the client certificate does not hold the signing key's public key")
		}
		opt.Extra = map[string]any{"x5t#S256": jose.CertificateThumbprint(cert.Raw)}
	}
	jti, err := domain.RandomString(p.rand, 16)
	if err != nil {
		return "", err
	}
	now := p.cfg.Clock.Now()
	claims, _ := json.Marshal(assertionClaims{Aud: audience, Iss: clientID, Sub: clientID, Jti: jti,
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(assertionLifetime).Unix()})
	a, err := jose.Sign(c.Key, alg, claims, opt)
	if err != nil {
		return "", &domain.Error{Class: domain.ErrInvalidInput, Description: "httpidp: cannot sign the client assertion", Err: err}
	}
	return a, nil
}

// assertionAlg picks the algorithm of a client key, refusing keys no accepted
// algorithm can use (RSA under 2048 bits, other curves).
func (p *Provider) assertionAlg(key crypto.Signer) (string, error) {
	if pub, ok := key.Public().(*rsa.PublicKey); ok && pub.N.BitLen() < jose.MinRSABits {
		return "", domain.Errorf(domain.ErrInvalidInput, "httpidp: RSA client keys must have at least 2048 bits")
	}
	alg, err := jose.DefaultAlg(key.Public(), p.cfg.ClientAssertionAlg)
	if err != nil {
		return "", domain.Errorf(domain.ErrInvalidInput, "httpidp: client keys must be RSA, ECDSA P-256/384/521 or Ed25519")
	}
	return alg, nil
}
