package usecases

import (
	"crypto/sha256"
	"errors"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// A usable access token whose refresh_on has passed is refreshed, and served as it is
// when that refresh fails (DESIGN §3, silent acquisition step 2). Without a memory of
// the failure every later call would try again: during a provider outage each call would
// wait through the adapter's retries before getting the cached token it could have had
// at once, and each would be one more request to a provider that is down. So a failed
// proactive refresh is not tried again by this process for proactiveRetryWindow (or the
// provider's Retry-After, when it asked for longer, up to maxProactiveRetryWindow); the
// cached token is served meanwhile. This only delays refreshes that are optional: a
// token inside its expiry buffer is not usable, and its refresh is made whatever was
// remembered. A new process, or another one, may try at once.
//
// The token served meanwhile carries, as its RefreshOn, the end of that wait: when a
// silent call will next try to refresh it. A caller that schedules its own calls by
// RefreshOn (azcore's BearerTokenPolicy, app.TokenSource) then asks again when asking
// can help, not on every request.

// proactiveRetryWindow is how long a failed proactive refresh is not tried again.
const proactiveRetryWindow = time.Minute

// maxProactiveRetryWindow caps a provider's Retry-After: it would otherwise choose how
// long a process keeps serving a token it was told to refresh.
const maxProactiveRetryWindow = 10 * time.Minute

// deferredRefreshes remembers failed proactive refreshes by deferralKey, with the time
// until which they are not tried again. One is shared
// by a Silent flow and its InPartition copies (the single-flight key names the
// partition).
type deferredRefreshes struct{ timedMemory[time.Time] }

// deferralKey is the memory's key of the silent refresh whose single-flight key is
// flight: a digest, so that the memory keeps no account id.
func deferralKey(flight string) [sha256.Size]byte { return sha256.Sum256([]byte(flight)) }

// proactiveRetryWait is how long to wait before trying again a proactive refresh that
// failed with err.
func proactiveRetryWait(err error) time.Duration {
	var de *domain.Error
	if errors.As(err, &de) && de.RetryAfter > proactiveRetryWindow {
		return min(de.RetryAfter, maxProactiveRetryWindow)
	}
	return proactiveRetryWindow
}
