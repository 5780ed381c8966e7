package app

import (
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// TestWithTenant_invalidTenantIsNotQuoted: a refused tenant is not echoed in the error
// (it may be a megabyte, or a terminal escape).
func TestWithTenant_invalidTenantIsNotQuoted(t *testing.T) {
	a, err := domain.ParseAuthority("https://login.microsoftonline.com/common", domain.AuthorityAuto)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"tenant\x1b[2J", "evil-" + strings.Repeat("t", 300)} {
		_, err := withTenant(a, bad)
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Fatalf("withTenant(%.20q) = %v; want invalid_input", bad, err)
		}
		if strings.Contains(err.Error(), "[2J") || strings.Contains(err.Error(), "evil-") {
			t.Errorf("withTenant error %.100q quotes the tenant", err)
		}
	}
}
