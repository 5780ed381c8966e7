package httpidp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
)

const (
	opJWKS = "httpidp: jwks"
	// minRSABits is the smallest RSA modulus accepted from a key set.
	minRSABits = 2048
	// maxJWKSKeys bounds the keys kept from one key set.
	maxJWKSKeys = 100
)

// publicKey is one usable signing key of a JSON Web Key Set (RFC 7517).
type publicKey struct {
	kid string
	alg string // the key's "alg", empty when it did not say
	pub crypto.PublicKey
}

// keySet is a parsed JWKS.
type keySet struct{ keys []publicKey }

// candidates returns the keys that may have made a signature with alg: the key with
// that kid when kid is set, else every key; either way only keys whose type fits alg
// and whose own "alg", when given, is alg.
func (s keySet) candidates(kid, alg string) []publicKey {
	var out []publicKey
	for _, k := range s.keys {
		if (kid != "" && k.kid != kid) || (k.alg != "" && k.alg != alg) {
			continue
		}
		switch k.pub.(type) {
		case *rsa.PublicKey:
			if alg != algRS256 && alg != algPS256 {
				continue
			}
		case *ecdsa.PublicKey:
			if alg != algES256 {
				continue
			}
		}
		out = append(out, k)
	}
	return out
}

// keyCache holds key sets by JWKS URI for a TTL, and when each was last fetched so that
// unknown-kid refetches are rate-limited.
type keyCache struct {
	sets      *ttlCache[keySet]
	mu        sync.Mutex
	lastFetch map[string]time.Time
}

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{sets: newTTLCache[keySet](ttl), lastFetch: map[string]time.Time{}}
}

// claimRefetch reports whether uri may be fetched again at now (not fetched within
// interval) and, if so, records the fetch.
func (c *keyCache) claimRefetch(uri string, now time.Time, interval time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.lastFetch[uri]; ok && now.Sub(last) < interval && !now.Before(last) {
		return false
	}
	c.lastFetch[uri] = now
	return true
}

func (c *keyCache) noteFetch(uri string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastFetch[uri] = now
}

// keySet returns the key set at uri, from the cache while it is fresh. With refetch it
// fetches anew (the caller has claimed the refetch).
func (p *Provider) keySet(ctx context.Context, uri string, refetch bool) (keySet, error) {
	if !refetch {
		if ks, _, ok := p.keys.sets.lookup(uri, p.cfg.Clock.Now()); ok {
			return ks, nil
		}
	}
	ks, err := p.keys.sets.fetch(ctx, uri, p.cfg.Clock.Now, func(ctx context.Context) (keySet, error) {
		p.keys.noteFetch(uri, p.cfg.Clock.Now())
		return p.fetchKeySet(ctx, uri)
	})
	if err != nil {
		return keySet{}, asDomainError(ctx, opJWKS, err)
	}
	return ks, nil
}

// fetchKeySet GETs and parses a key set, its failures classified as discovery's are
// (getDocument).
func (p *Provider) fetchKeySet(ctx context.Context, uri string) (keySet, error) {
	body, err := p.getDocument(ctx, document{op: opJWKS, name: "the key set", url: uri})
	if err != nil {
		return keySet{}, err
	}
	ks, err := parseJWKS(body)
	if err != nil {
		return keySet{}, err
	}
	p.cfg.Logger.Debug("httpidp: key set fetched", "jwks_uri", uri, "keys", len(ks.keys))
	return ks, nil
}

type jwkJSON struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS parses a JWKS document, keeping the RSA (2048 bits or more) and EC P-256
// signing keys and skipping the rest (encryption keys, other curves, symmetric keys).
func parseJWKS(body []byte) (keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Keys == nil {
		return keySet{}, keySetErr("the key set is not a JWKS document")
	}
	var ks keySet
	for _, raw := range doc.Keys {
		var j jwkJSON
		if json.Unmarshal(raw, &j) != nil || (j.Use != "" && j.Use != "sig") {
			continue
		}
		pub := j.publicKey()
		if pub == nil || len(ks.keys) == maxJWKSKeys {
			continue
		}
		ks.keys = append(ks.keys, publicKey{kid: j.Kid, alg: j.Alg, pub: pub})
	}
	if len(ks.keys) == 0 {
		return keySet{}, keySetErr("the key set holds no usable signing key (RSA of 2048 bits or more, or EC P-256)")
	}
	return ks, nil
}

// keySetErr is the error of a key set that was served (HTTP 200) but cannot be used.
func keySetErr(desc string) *domain.Error {
	return &domain.Error{Class: domain.ErrDiscovery, Op: opJWKS, Description: desc, HTTPStatus: http.StatusOK}
}

// publicKey returns the key j describes (RFC 7518 §6.2, §6.3), or nil when it is not a
// usable signing key.
func (j jwkJSON) publicKey() crypto.PublicKey {
	switch j.Kty {
	case "RSA":
		n, err1 := base64.RawURLEncoding.DecodeString(j.N)
		e, err2 := base64.RawURLEncoding.DecodeString(j.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < minRSABits || pub.E < 3 || pub.E%2 == 0 {
			return nil
		}
		return pub
	case "EC":
		x, err1 := base64.RawURLEncoding.DecodeString(j.X)
		y, err2 := base64.RawURLEncoding.DecodeString(j.Y)
		if j.Crv != "P-256" || err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil
		}
		return pub
	}
	return nil
}
