package domain_test

import (
	"errors"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// User flows accept a scope list that is empty after the reserved scopes are removed
// (a sign-in), with the same character and size checks; RequestScopes (client
// credentials) still refuses it.
func TestUserFlowScopes(t *testing.T) {
	for _, in := range [][]string{nil, {}, {"openid"}, {"OpenID Profile", "offline_access"}} {
		got, err := domain.UserFlowScopes(in)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("UserFlowScopes(%q) = %q, %v; want an empty, non-nil list", in, got, err)
		}
		if _, err := domain.RequestScopes(in); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("RequestScopes(%q) = %v; want ErrInvalidInput", in, err)
		}
	}
	if got, err := domain.UserFlowScopes([]string{"openid", "email"}); err != nil || len(got) != 1 || got[0] != "email" {
		t.Errorf("UserFlowScopes(openid email) = %q, %v; want [email]", got, err)
	}
	if _, err := domain.UserFlowScopes([]string{"openid\nx"}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("UserFlowScopes with a line break = %v; want ErrInvalidInput", err)
	}
}

// BearerToken hands out the access token of a result for scopes only.
func TestAuthResult_BearerToken(t *testing.T) {
	for _, c := range []struct {
		name string
		res  domain.AuthResult
		want error
	}{
		{"for scopes", domain.AuthResult{AccessToken: "at", For: domain.ForAccessToken}, nil},
		{"zero For reads as for scopes", domain.AuthResult{AccessToken: "at"}, nil},
		{"sign-in", domain.AuthResult{AccessToken: "at", IDToken: "idt", For: domain.ForIDToken}, domain.ErrInvalidInput},
		{"no access token", domain.AuthResult{IDToken: "idt"}, domain.ErrInvalidInput},
	} {
		tok, err := c.res.BearerToken()
		if !errors.Is(err, c.want) || (c.want == nil && (err != nil || tok != "at")) || (c.want != nil && tok != "") {
			t.Errorf("%s: BearerToken = %q, %v; want %v", c.name, tok, err, c.want)
		}
	}
}
