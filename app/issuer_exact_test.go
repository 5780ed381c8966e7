package app_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// The issuer is compared exactly, end to end: the fake announces its issuer without a
// trailing slash, so an authority configured with one fails discovery — before any
// token request — with a message that points at the slash.
func TestConfig_Authority_issuerComparedExactly(t *testing.T) {
	ctx := testContext(t)
	srv := newIdPServer(t)
	for _, tc := range []struct {
		authority string
		wantErr   bool
	}{
		{srv.Issuer(), false},
		{srv.Issuer() + "/", true},
	} {
		cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "daemon", Authority: tc.authority}, app.ClientSecret("s3cret"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = cc.AcquireTokenForClient(ctx, []string{"api://x/.default"})
		cc.Close()
		if !tc.wantErr {
			if err != nil {
				t.Errorf("authority %q: AcquireTokenForClient() = %v; want nil", tc.authority, err)
			}
			continue
		}
		if !errors.Is(err, domain.ErrDiscovery) || !strings.Contains(err.Error(), "trailing slash") {
			t.Errorf("authority %q: AcquireTokenForClient() = %v; want ErrDiscovery naming the trailing slash", tc.authority, err)
		}
	}
	if n := srv.Requests(domain.GrantClientCredentials); n != 1 {
		t.Errorf("got %d token requests; want 1 (none for the mismatched issuer)", n)
	}
}
