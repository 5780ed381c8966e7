package httpidp

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"17", 17 * time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"-3", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999", maxRetryAfter, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		got, ok := parseRetryAfter(h, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.value, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestJitteredBackoff_bounds(t *testing.T) {
	minWait, maxWait := 10*time.Millisecond, 80*time.Millisecond
	for attempt := range 40 {
		want := maxWait
		if attempt < 3 {
			want = minWait << attempt
		}
		for range 50 {
			got := jitteredBackoff(minWait, maxWait, attempt)
			if got < want/2 || got > want {
				t.Fatalf("jitteredBackoff(attempt %d) = %s; want within [%s, %s]", attempt, got, want/2, want)
			}
		}
	}
}

func TestIsDialError(t *testing.T) {
	dial := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}}
	read := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("reset")}}
	if !isDialError(dial) || isDialError(read) || isDialError(errors.New("EOF")) {
		t.Errorf("isDialError: got dial %v, read %v; want true, false", isDialError(dial), isDialError(read))
	}
	if retryableTransportError(fmt.Errorf("x: %w", x509.UnknownAuthorityError{})) || !retryableTransportError(read) {
		t.Errorf("retryableTransportError: want certificate errors final and resets retried")
	}
}

func TestThrottleWindows_boundedAndExpiring(t *testing.T) {
	w := newThrottleWindows()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range maxThrottleWindows + 50 {
		k := requestKey("https://idp/token", domain.TokenRequest{ClientID: fmt.Sprint(i), Grant: domain.GrantClientCredentials})
		w.open(k, now, time.Duration(i+1)*time.Second)
	}
	if n := len(w.until); n > maxThrottleWindows {
		t.Errorf("got %d windows; want at most %d", n, maxThrottleWindows)
	}
	last := requestKey("https://idp/token", domain.TokenRequest{ClientID: fmt.Sprint(maxThrottleWindows + 49), Grant: domain.GrantClientCredentials})
	if got := w.remaining(last, now); got != time.Duration(maxThrottleWindows+50)*time.Second {
		t.Errorf("remaining(latest) = %s; want the longest window kept", got)
	}
	if got := w.remaining(last, now.Add(100*time.Hour)); got != 0 {
		t.Errorf("remaining(after close) = %s; want 0", got)
	}
}

func TestRequestKey_distinguishesSecretsWithoutKeepingThem(t *testing.T) {
	base := domain.TokenRequest{ClientID: "c", Grant: domain.GrantRefreshToken, RefreshToken: "rt-1", Scopes: []string{"b", "a"}}
	same := base
	same.Scopes = []string{"a", "b"}
	other := base
	other.RefreshToken = "rt-2"
	k := requestKey("e", base)
	if k != requestKey("e", same) {
		t.Errorf("scope order changed the key; want scopes compared as a set")
	}
	if k == requestKey("e", other) || k == requestKey("f", base) {
		t.Errorf("different secrets or endpoints gave the same key")
	}
}

// Extra body parameters are part of the request: a Retry-After window opened for one
// set does not refuse a request with another (or none), and their order does not matter.
func TestRequestKey_extraParameters(t *testing.T) {
	base := domain.TokenRequest{ClientID: "c", Grant: domain.GrantClientCredentials, Scopes: []string{"a"}}
	one, two, both := base, base, base
	one.Extra = url.Values{"tenant_hint": {"contoso"}}
	two.Extra = url.Values{"tenant_hint": {"fabrikam"}}
	both.Extra = url.Values{"a": {"1"}, "b": {"2"}}
	swapped := base
	swapped.Extra = url.Values{"b": {"2"}, "a": {"1"}}
	if k := requestKey("e", one); k == requestKey("e", base) || k == requestKey("e", two) {
		t.Errorf("requests with other extra parameters share a throttle key")
	}
	if requestKey("e", both) != requestKey("e", swapped) {
		t.Errorf("the order of extra parameters changed the key")
	}
}
