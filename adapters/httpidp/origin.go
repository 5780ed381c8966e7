package httpidp

import (
	"net/url"
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// A discovery document decides where the engine sends passwords, codes and client
// secrets, so where it may point is checked (docs/adr/0007): an endpoint must use https
// (http only on loopback hosts) and, except for Entra's own clouds, be on the issuer's
// origin or a host of Config.AllowedHosts; a link-local host (a cloud metadata service)
// is refused unless allow-listed. No name is resolved: the rules read the URL only.

// hostKey returns u's host as domain.ParseAuthority writes Authority.Host: lower-cased,
// the scheme's default port dropped.
func hostKey(u *url.URL) string {
	host := strings.ToLower(u.Host)
	if u.Scheme == "https" && u.Port() == "443" || u.Scheme == "http" && u.Port() == "80" {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return host
}

// sameOrigin reports whether a and b have one origin (RFC 6454): scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && hostKey(a) == hostKey(b)
}

// allowedHost reports whether u's host is in Config.AllowedHosts: an entry with a port
// matches that host and port, one without matches the host on any port.
func (p *Provider) allowedHost(u *url.URL) bool {
	name := strings.ToLower(strings.Trim(u.Hostname(), "[]"))
	hostport := hostKey(u)
	return slices.ContainsFunc(p.cfg.AllowedHosts, func(e string) bool {
		e = strings.ToLower(e)
		return e == hostport || strings.Trim(e, "[]") == name || e == strings.ToLower(u.Host)
	})
}

// checkAuthorityHost refuses (ErrInvalidInput) an authority on a link-local host that
// Config.AllowedHosts does not name, before any request is made.
func (p *Provider) checkAuthorityHost(a domain.Authority) error {
	u, err := url.Parse(a.URL)
	if err != nil || !domain.IsLinkLocalHost(u.Hostname()) || p.allowedHost(u) {
		return nil // an unparsable URL is discoveryURL's to refuse
	}
	return &domain.Error{Class: domain.ErrInvalidInput, Op: opDiscovery,
		Description: "authority host " + quote(u.Host) + " is link-local (a cloud metadata service?); add it to AllowedHosts if it is meant"}
}

// checkEndpoint applies the rules above to the endpoint called name in the discovery
// document of a. Its errors name the field and the host, never the whole URL.
func (p *Provider) checkEndpoint(a domain.Authority, name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !secureURL(u) || u.Fragment != "" || u.User != nil {
		return discoveryErr("the discovery document's " + name + " is missing, or neither https nor loopback")
	}
	auth, err := url.Parse(a.URL)
	if err != nil {
		return discoveryErr("the authority URL does not parse")
	}
	switch {
	case p.allowedHost(u):
		return nil
	case domain.IsLinkLocalHost(u.Hostname()):
		return discoveryErr("the discovery document's " + name + " is on link-local host " + quote(u.Host) + " (a cloud metadata service?); add it to AllowedHosts if it is meant")
	case sameOrigin(u, auth):
		return nil
	case a.Kind == domain.AuthorityEntra && u.Scheme == "https" && domain.SameEnvironment(a.Host, hostKey(u)):
		// Entra names its endpoints on any host of the authority's cloud
		// (login.windows.net answers with login.microsoftonline.com).
		return nil
	}
	return discoveryErr("the discovery document's " + name + " is on host " + quote(u.Host) +
		", not on the issuer's origin " + quote(auth.Scheme+"://"+a.Host) + "; add the host to AllowedHosts if it is meant")
}
