package httpidp

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/jose"
)

const opJWKS = "httpidp: jwks"

// keyCache holds key sets by JWKS URI for a TTL, and when an unknown kid last made each
// be fetched again, so that such refetches are rate-limited.
type keyCache struct {
	sets        *ttlCache[jose.KeySet]
	mu          sync.Mutex
	lastRefetch map[string]refetch
}

// refetch is a refetch an unknown kid made, and how it failed for want of an answer
// (ErrUnavailable, ErrThrottled); nil when it did not.
type refetch struct {
	at     time.Time
	outage error
}

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{sets: newTTLCache[jose.KeySet](ttl, 0), lastRefetch: map[string]refetch{}}
}

// claimRefetch reports whether an unknown kid may make uri be fetched again at now (no
// such refetch within interval) and, if so, records it. Only these refetches count: a
// key set fetched for another reason a moment before a rotation (the first sign-in of a
// process, say) must not keep the new key out for the interval; the end-to-end suite
// saw a provider restarted with new keys refused that way. When it may not, outage is
// the error of the refetch that holds the interval if that got no answer: the kid is
// then unknown for want of the provider, not found absent from its key set.
func (c *keyCache) claimRefetch(uri string, now time.Time, interval time.Duration) (ok bool, outage error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.lastRefetch[uri]; ok && now.Sub(last.at) < interval && !now.Before(last.at) {
		return false, last.outage
	}
	if len(c.lastRefetch) >= refetchSweepAt {
		// One entry per JWKS URI ever refetched (a multi-tenant app sees a key set per
		// tenant): forget the ones whose interval is over, which limit nothing any more.
		for u, last := range c.lastRefetch {
			if now.Sub(last.at) >= interval || now.Before(last.at) {
				delete(c.lastRefetch, u)
			}
		}
	}
	c.lastRefetch[uri] = refetch{at: now}
	return true, nil
}

// refetchFailed records that the refetch of uri claimed at failed with err, when err
// is an outage (no answer, or throttled).
func (c *keyCache) refetchFailed(uri string, at time.Time, err error) {
	if !errors.Is(err, domain.ErrUnavailable) && !errors.Is(err, domain.ErrThrottled) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.lastRefetch[uri]; ok && last.at.Equal(at) {
		c.lastRefetch[uri] = refetch{at: at, outage: err}
	}
}

// refetchSweepAt is the size of keyCache.lastRefetch from which a claim sweeps out the
// entries whose interval is over; what stays is bounded by the refetches of one interval.
const refetchSweepAt = 256

// keySet returns the key set at uri, from the cache while it is fresh. With refetch it
// fetches anew (the caller has claimed the refetch).
func (p *Provider) keySet(ctx context.Context, uri string, refetch bool) (jose.KeySet, error) {
	if !refetch {
		if ks, _, ok := p.keys.sets.lookup(uri, p.cfg.Clock.Now()); ok {
			return ks, nil
		}
	}
	ks, err := p.keys.sets.fetch(ctx, uri, p.cfg.Clock.Now, func(ctx context.Context) (jose.KeySet, error) {
		return p.fetchKeySet(ctx, uri)
	})
	if err != nil {
		return jose.KeySet{}, asDomainError(ctx, opJWKS, err)
	}
	return ks, nil
}

// fetchKeySet GETs and parses a key set, its failures classified as discovery's are
// (getDocument).
func (p *Provider) fetchKeySet(ctx context.Context, uri string) (jose.KeySet, error) {
	body, err := p.getDocument(ctx, document{op: opJWKS, name: "the key set", url: uri})
	if err != nil {
		return jose.KeySet{}, err
	}
	ks, err := parseJWKS(body)
	if err != nil {
		return jose.KeySet{}, err
	}
	p.cfg.Logger.Debug("httpidp: key set fetched", "jwks_uri", uri, "keys", ks.Len())
	return ks, nil
}

// parseJWKS parses a JWKS document with internal/jose, which keeps the signing keys
// (RSA of 2048 bits or more, EC P-256/384/521, Ed25519) and skips the rest.
func parseJWKS(body []byte) (jose.KeySet, error) {
	ks, err := jose.ParseKeySet(body)
	if err != nil {
		return jose.KeySet{}, keySetErr("the key set is not a JWKS document")
	}
	if ks.Len() == 0 {
		return jose.KeySet{}, keySetErr("the key set holds no usable signing key (RSA of 2048 bits or more, EC P-256/384/521 or Ed25519)")
	}
	return ks, nil
}

// keySetErr is the error of a key set that was served (HTTP 200) but cannot be used.
func keySetErr(desc string) *domain.Error {
	return &domain.Error{Class: domain.ErrDiscovery, Op: opJWKS, Description: desc, HTTPStatus: http.StatusOK}
}
