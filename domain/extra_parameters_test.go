package domain_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// Regression (extra parameters): an extra named like a parameter the request sets from
// an option (prompt, login_hint, domain_hint), in another letter case, would be sent
// beside it — and providers such as Entra read names case-insensitively, so which one
// acts is the provider's choice. It is refused, naming the parameter.
func TestAuthorizationRequest_ExtraParameterDuplicatesAnOptionInAnotherCase(t *testing.T) {
	for _, name := range []string{"Prompt", "LOGIN_HINT", "Domain_Hint", "prompt"} {
		req := domain.AuthorizationRequest{ClientID: "c", State: "s", Prompt: "none", LoginHint: "alice@example.com", DomainHint: "example.com",
			Extra: url.Values{name: {"x"}}}
		q, err := req.Query()
		if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), name) {
			t.Errorf("extra %q beside the option's: Query = %s, %v; want ErrInvalidInput naming it", name, q.Encode(), err)
		}
	}
	// An extra of another name is still sent.
	req := domain.AuthorizationRequest{ClientID: "c", State: "s", Prompt: "none", Extra: url.Values{"msafed": {"0"}}}
	if q, err := req.Query(); err != nil || q.Get("msafed") != "0" {
		t.Errorf("Query = %s, %v; want msafed=0 sent", q.Encode(), err)
	}
}
