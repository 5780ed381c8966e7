package app

import (
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// withTenant returns authority a with its tenant replaced by tenant (WithTenantID): the
// same scheme and host, and for B2C the same policy. Only Entra and B2C authorities
// have tenants; tenant must be one path segment, so that it cannot change the host or
// the path the token request goes to.
func withTenant(a domain.Authority, tenant string) (domain.Authority, error) {
	if a.Kind != domain.AuthorityEntra && a.Kind != domain.AuthorityB2C {
		return domain.Authority{}, domain.Errorf(domain.ErrInvalidInput, "app: WithTenantID needs an Entra or B2C authority; %s is a %s authority, which has no tenants", a.URL, a.Kind)
	}
	if !validTenant(tenant) {
		return domain.Authority{}, domain.Errorf(domain.ErrInvalidInput, "app: WithTenantID's tenant is not a tenant id or domain (at most 256 letters, digits, '.', '-' and '_')")
	}
	scheme, _, _ := strings.Cut(a.URL, "://")
	raw := scheme + "://" + a.Host + "/" + tenant
	if a.Kind == domain.AuthorityB2C {
		raw += "/" + a.Policy
	}
	return domain.ParseAuthority(raw, a.Kind)
}

// validTenant reports whether t is a tenant id (a GUID), a tenant domain or one of
// Entra's organisation aliases: a non-empty segment of ASCII letters, digits, '.', '-'
// and '_' that is not a dot path.
func validTenant(t string) bool {
	if t == "" || len(t) > 256 || t == "." || t == ".." {
		return false
	}
	for _, r := range t {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}
