package memory_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// A refusal scripted to echo the request comes back with the provider's text kept and
// the request's password and username scrubbed, as the HTTP adapter scrubs the wire's.
func TestIdentityProvider_FailNextEchoing_scrubsTheRequestsSecrets(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	p.FailNextEchoing(domain.GrantPassword, &domain.Error{Code: "invalid_grant", Description: "AADSTS50126: bad", HTTPStatus: 400})
	e := idpRefusal(t, p, idpPasswordRequest(a, idpUser, idpPassword))
	if !strings.Contains(e.Description, "AADSTS50126") || !strings.Contains(e.Description, "grant_type=password") {
		t.Errorf("got description %q; want the provider's text and the echoed request", e.Description)
	}
	for _, s := range []string{idpPassword, idpUser} {
		for _, f := range []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s))} {
			if strings.Contains(e.Error(), f) {
				t.Errorf("the refusal %q holds %q", e.Error(), f)
			}
		}
	}
}
