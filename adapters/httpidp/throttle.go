package httpidp

import (
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// maxThrottleWindows bounds the open Retry-After windows kept in memory. Past it the
// windows closest to closing are dropped first.
const maxThrottleWindows = 10000

// throttleKey identifies "the same request" for Retry-After windows: for a token
// request a SHA-256 over the endpoint, grant, client, sorted scopes, claims and a
// SHA-256 of the secret material, so that no secret is kept in clear (nor as a plain
// hash of one field) (requestKey); for a discovery or key-set GET, over its URL
// (documentKey).
type throttleKey [sha256.Size]byte

// throttleWindows remembers, per request, until when the provider asked us to wait
// (MSAL's throttling: after a 429 or 5xx with Retry-After, an identical request fails
// fast until the window closes). It is safe for concurrent use.
type throttleWindows struct {
	mu    sync.Mutex
	until map[throttleKey]time.Time
}

func newThrottleWindows() *throttleWindows {
	return &throttleWindows{until: map[throttleKey]time.Time{}}
}

// remaining returns how long the window of k stays open at now (zero when closed).
func (w *throttleWindows) remaining(k throttleKey, now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.until[k]
	if !ok {
		return 0
	}
	if !now.Before(t) {
		delete(w.until, k)
		return 0
	}
	return t.Sub(now)
}

// open opens (or extends) the window of k until now+d.
func (w *throttleWindows) open(k throttleKey, now time.Time, d time.Duration) {
	if d <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if t, ok := w.until[k]; ok && t.After(now.Add(d)) {
		return
	}
	w.until[k] = now.Add(d)
	if len(w.until) > maxThrottleWindows {
		w.prune(now)
	}
}

// prune drops closed windows, then the soonest-closing ones down to the bound.
func (w *throttleWindows) prune(now time.Time) {
	for k, t := range w.until {
		if !now.Before(t) {
			delete(w.until, k)
		}
	}
	if excess := len(w.until) - maxThrottleWindows; excess > 0 {
		type kv struct {
			k throttleKey
			t time.Time
		}
		all := make([]kv, 0, len(w.until))
		for k, t := range w.until {
			all = append(all, kv{k, t})
		}
		slices.SortFunc(all, func(a, b kv) int { return a.t.Compare(b.t) })
		for _, e := range all[:excess] {
			delete(w.until, e.k)
		}
	}
}

// requestKey computes the throttle key of a token request sent to endpoint.
func requestKey(endpoint string, r domain.TokenRequest) throttleKey {
	secret := sha256.New()
	for _, s := range []string{string(r.Code), string(r.CodeVerifier), r.Username, string(r.Password),
		string(r.RefreshToken), string(r.DeviceCode), string(r.Credential.Secret)} {
		writeField(secret, s)
	}
	scopes := slices.Clone(r.Scopes)
	slices.Sort(scopes)
	h := sha256.New()
	for _, s := range []string{endpoint, string(r.Grant), r.ClientID, r.RedirectURI, r.Claims} {
		writeField(h, s)
	}
	for _, s := range scopes {
		writeField(h, s)
	}
	// Extra parameters change the request: another set is another request. Their
	// values may be secrets, so they go into the hashed part only.
	names := slices.Sorted(maps.Keys(r.Extra))
	for _, k := range names {
		writeField(secret, k)
		for _, v := range r.Extra[k] {
			writeField(secret, v)
		}
	}
	h.Write(secret.Sum(nil))
	var k throttleKey
	h.Sum(k[:0])
	return k
}

// writeField writes s length-prefixed, so that field boundaries cannot be shifted.
func writeField(h interface{ Write([]byte) (int, error) }, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
