package httpidp_test

import (
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// Many callers during an outage send one fetch's requests, not one per caller that
// checked for a remembered failure just before the failing fetch recorded it. Review 7.
func TestProvider_documentGET_concurrentCallersDuringAnOutage(t *testing.T) {
	for _, d := range documentFetches {
		t.Run(string(d.endpoint), func(t *testing.T) {
			srv := newIDPTest(t)
			clock := newFakeClock()
			p := newProvider(t, testConfig(clock))
			fetch := d.fetcher(t, p, srv)
			srv.Script(idptest.Fault{Endpoint: d.endpoint, Status: 503, Times: -1})
			wantOnly(t, fetch(), domain.ErrUnavailable)
			one := srv.EndpointRequests(d.endpoint) // one failed fetch's requests, retries included
			clock.Advance(11 * time.Second)
			srv.ResetCounts()
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range 64 {
				wg.Go(func() {
					<-start
					for range 20 {
						wantOnly(t, fetch(), domain.ErrUnavailable)
					}
				})
			}
			close(start)
			wg.Wait()
			if n := srv.EndpointRequests(d.endpoint); n != one {
				t.Fatalf("64 callers x 20 within the failure memory sent %d %s requests; want %d (one fetch)", n, d.endpoint, one)
			}
		})
	}
}
