package httpidp_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// During a provider outage, a discovery document past its time to live is still used
// (up to a week past it): without it no cached ID token's issuer is checked and no
// token request sent. The failed refetch is remembered for 10 s, so callers in that
// time — every silent cache hit — get the document without a request, instead of each
// waiting through the retries.
func TestProvider_Metadata_staleDocumentServedDuringAnOutage(t *testing.T) {
	srv, clock, fetch := newDocumentRig(t, documentFetches[0])
	if err := fetch(); err != nil {
		t.Fatalf("first Metadata = %v; want the document", err)
	}
	discovery := func() int { return srv.EndpointRequests(idptest.EndpointDiscovery) }

	clock.Advance(httpidp.DefaultMetadataTTL + time.Minute)
	srv.Script(idptest.Fault{Endpoint: idptest.EndpointDiscovery, Status: 503, Times: -1})
	if err := fetch(); err != nil {
		t.Fatalf("Metadata past the TTL with the provider down = %v; want the stale document", err)
	}
	tried := discovery()
	if tried < 2 {
		t.Fatalf("got %d discovery requests; want the refetch tried", tried)
	}
	clock.Advance(9 * time.Second)
	if err := fetch(); err != nil || discovery() != tried {
		t.Fatalf("Metadata 9 s later = %v after %d more requests; want the stale document without a request", err, discovery()-tried)
	}
	clock.Advance(2 * time.Second)
	if err := fetch(); err != nil || discovery() == tried {
		t.Fatalf("Metadata 11 s later = %v after %d more requests; want the refetch tried again, the stale document served", err, discovery()-tried)
	}

	srv.ClearFaults()
	clock.Advance(11 * time.Second)
	before := discovery()
	if err := fetch(); err != nil || discovery() != before+1 {
		t.Fatalf("Metadata once the provider is back = %v after %d requests; want the document fetched anew", err, discovery()-before)
	}
	if err := fetch(); err != nil || discovery() != before+1 {
		t.Fatalf("Metadata after the new fetch = %v after %d requests; want the fresh document from the cache", err, discovery()-before)
	}

	// A week and a TTL later, with the provider down again: too stale to use.
	clock.Advance(httpidp.DefaultMetadataTTL + 7*24*time.Hour)
	srv.Script(idptest.Fault{Endpoint: idptest.EndpointDiscovery, Status: 503, Times: -1})
	wantOnly(t, fetch(), domain.ErrUnavailable)
}

// A fetch that fails with no document to fall back on is remembered for 10 s: callers
// in that time get its error at once, without a request.
func TestProvider_documentGET_failureRememberedBriefly(t *testing.T) {
	for _, d := range documentFetches {
		t.Run(string(d.endpoint), func(t *testing.T) {
			srv, clock, fetch := newDocumentRig(t, d)
			srv.Script(idptest.Fault{Endpoint: d.endpoint, Status: 503, Times: -1})
			wantOnly(t, fetch(), domain.ErrUnavailable)
			tried := srv.EndpointRequests(d.endpoint)
			clock.Advance(9 * time.Second)
			wantOnly(t, fetch(), domain.ErrUnavailable)
			if n := srv.EndpointRequests(d.endpoint); n != tried {
				t.Fatalf("got %d more %s requests 9 s after a failed fetch; want none", n-tried, d.endpoint)
			}
			srv.ClearFaults()
			clock.Advance(2 * time.Second)
			if err := fetch(); err != nil {
				t.Fatalf("got %v 11 s after the failure, the provider back; want the document", err)
			}
		})
	}
}

// A key set is not used past its time to live when its refetch fails: a token signed
// with a key the provider added meanwhile is not in it, and the caller must see the
// provider as unavailable, not the token as bad.
func TestProvider_VerifyIDTokenSignature_noStaleKeySet(t *testing.T) {
	srv, clock, fetch := newDocumentRig(t, documentFetches[1])
	if err := fetch(); err != nil {
		t.Fatalf("first verification = %v; want it verified", err)
	}
	clock.Advance(httpidp.DefaultJWKSTTL + time.Minute)
	srv.Script(idptest.Fault{Endpoint: idptest.EndpointJWKS, Status: 503, Times: -1})
	wantOnly(t, fetch(), domain.ErrUnavailable)
}

// A discovery document is used past its time to live only when its refetch gets no
// answer (ErrUnavailable) or is throttled: an outage. A provider that answers — with a
// document naming another issuer, or a 404 for a tenant it no longer serves — has said
// the old document is wrong, and a week of it would hide that behind the old issuer and
// endpoints (stale-if-error, RFC 5861 §4, is for 5xx answers). Review 7.
func TestProvider_Metadata_noStaleDocumentWhenTheProviderAnswers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(f *fakeIdP)
	}{
		{"issuer changed", func(f *fakeIdP) {
			f.setDoc(func(_ *http.Request, doc map[string]any) { doc["issuer"] = f.srv.URL + "/moved" })
		}},
		{"not found", func(f *fakeIdP) { f.setRaw(http.NotFound) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIdP(t)
			clock := newFakeClock()
			p := newProvider(t, testConfig(clock))
			a := f.authority("", domain.AuthorityOIDC)
			if _, err := p.Metadata(t.Context(), a); err != nil {
				t.Fatalf("first Metadata = %v", err)
			}
			clock.Advance(httpidp.DefaultMetadataTTL + time.Minute)
			tc.breakIt(f)
			wantOnly(t, metadataErr(p, t, a), domain.ErrDiscovery)
			clock.Advance(time.Second) // the remembered failure, too
			wantOnly(t, metadataErr(p, t, a), domain.ErrDiscovery)
		})
	}
}

func metadataErr(p *httpidp.Provider, t *testing.T, a domain.Authority) error {
	_, err := p.Metadata(t.Context(), a)
	return err
}

// A throttled refetch is an outage too: the stale document is served.
func TestProvider_Metadata_staleDocumentServedWhenThrottled(t *testing.T) {
	srv, clock, fetch := newDocumentRig(t, documentFetches[0])
	if err := fetch(); err != nil {
		t.Fatalf("first Metadata = %v; want the document", err)
	}
	clock.Advance(httpidp.DefaultMetadataTTL + time.Minute)
	srv.Script(idptest.Fault{Endpoint: idptest.EndpointDiscovery, Status: 429, Times: -1})
	if err := fetch(); err != nil {
		t.Fatalf("Metadata past the TTL, the provider throttling = %v; want the stale document", err)
	}
}

// A failure is remembered for 10 s of the clock, not until the clock next reaches the
// time it was remembered at: an adapter clock set back an hour (Config.Clock need not
// be monotonic) must not keep the provider unasked for that hour. Review 7.
func TestProvider_documentGET_failureForgottenWhenTheClockGoesBack(t *testing.T) {
	for _, d := range documentFetches {
		t.Run(string(d.endpoint), func(t *testing.T) {
			srv, clock, fetch := newDocumentRig(t, d)
			srv.Script(idptest.Fault{Endpoint: d.endpoint, Status: 503, Times: -1})
			wantOnly(t, fetch(), domain.ErrUnavailable)
			srv.ClearFaults()
			clock.Advance(-time.Hour)
			if err := fetch(); err != nil {
				t.Fatalf("got %v with the clock set back an hour, the provider back; want the document", err)
			}
		})
	}
}

// A remembered throttling answer lasts as long as its Retry-After, not the failure
// memory's 10 s, and says what is left of it: a caller told to retry after 2 s that
// does so is not refused again with "retry after 2 s" until 10 s have passed. Review 7.
func TestProvider_documentGET_rememberedThrottlingKeepsItsRetryAfter(t *testing.T) {
	for _, d := range documentFetches {
		t.Run(string(d.endpoint), func(t *testing.T) {
			srv, clock, fetch := newDocumentRig(t, d)
			srv.Script(idptest.Fault{Endpoint: d.endpoint, Status: 429, Times: -1, Header: http.Header{"Retry-After": {"4"}}})
			if de := wantOnly(t, fetch(), domain.ErrThrottled); de.RetryAfter != 4*time.Second {
				t.Fatalf("RetryAfter = %s; want 4s", de.RetryAfter)
			}
			clock.Advance(time.Second)
			if de := wantOnly(t, fetch(), domain.ErrThrottled); de.RetryAfter != 3*time.Second {
				t.Fatalf("RetryAfter a second later = %s; want the 3s left", de.RetryAfter)
			}
			srv.ClearFaults()
			clock.Advance(3 * time.Second)
			if err := fetch(); err != nil {
				t.Fatalf("got %v once the Retry-After passed, the provider back; want the document", err)
			}
		})
	}
}

// newDocumentRig returns the HTTP fake provider, the adapter's clock and a call that
// makes a new adapter fetch d's document from it (documentFetch.fetcher).
func newDocumentRig(t *testing.T, d documentFetch) (*idptest.Server, *fakeClock, func() error) {
	t.Helper()
	srv := newIDPTest(t)
	clock := newFakeClock()
	p := newProvider(t, testConfig(clock))
	return srv, clock, d.fetcher(t, p, srv)
}
