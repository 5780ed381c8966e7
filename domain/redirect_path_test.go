package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

func TestCheckLoopbackRedirectPath(t *testing.T) {
	for _, ok := range []string{"/", "/callback", "/auth/callback", "/oauth2/cb-1_x~y", "/a:b@c!$&'()*+,;="} {
		if err := domain.CheckLoopbackRedirectPath(ok); err != nil {
			t.Errorf("CheckLoopbackRedirectPath(%q) = %v; want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "callback", "//host/cb", "/cb?x=1", "/cb#f", "/./cb", "/a/..", "/a/../b",
		"/c b", "/%2e%2e/cb", "/cb\\x", "/caf\u00e9", "/cb\n", "/" + strings.Repeat("a", domain.MaxRedirectPathBytes)} {
		if err := domain.CheckLoopbackRedirectPath(bad); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("CheckLoopbackRedirectPath(%q) = %v; want ErrInvalidInput", bad, err)
		}
	}
}
