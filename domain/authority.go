package domain

import (
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// AuthorityKind says which family of identity provider an authority belongs to; it
// decides discovery, issuer validation and a few Entra-only behaviours.
type AuthorityKind string

// Authority kinds.
const (
	// AuthorityAuto lets ParseAuthority detect the kind from the URL.
	AuthorityAuto AuthorityKind = ""
	// AuthorityEntra is Microsoft Entra ID: https://login.microsoftonline.com/{tenant}.
	AuthorityEntra AuthorityKind = "entra"
	// AuthorityB2C is Entra B2C: https://{tenant}.b2clogin.com/{tenant}/{policy}.
	AuthorityB2C AuthorityKind = "b2c"
	// AuthorityADFS is Active Directory Federation Services: https://host/adfs.
	AuthorityADFS AuthorityKind = "adfs"
	// AuthorityOIDC is any OpenID Connect issuer; the authority URL is the issuer.
	AuthorityOIDC AuthorityKind = "oidc"
)

// Entra tenant aliases that are not a realm of their own.
const (
	TenantCommon        = "common"
	TenantOrganizations = "organizations"
	TenantConsumers     = "consumers"
)

// entraAliasGroups lists hosts that serve the same Entra cloud and match each other in
// the cache (MSAL's instance-discovery aliases).
var entraAliasGroups = [][]string{
	{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"},
	{"login.partner.microsoftonline.cn", "login.chinacloudapi.cn"},
	{"login.microsoftonline.us", "login.usgovcloudapi.net"},
	{"login-us.microsoftonline.com"},
	{"login.microsoftonline.de"},
}

// Authority is a parsed, validated authority URL.
type Authority struct {
	// URL is the canonical authority: scheme, host and path. Entra, B2C and ADFS paths
	// lose a trailing slash; an OIDC issuer's path is kept as configured, trailing slash
	// included, because the issuer is compared exactly (OIDC Discovery §4.3).
	URL string
	// Host is the cache "environment": the authority's host[:port], lower-cased.
	Host string
	// Tenant is the Entra/B2C tenant path segment ("common", a tenant id or domain); for
	// ADFS it is "adfs"; for OIDC it is empty.
	Tenant string
	// Policy is the B2C user-flow policy (B2C only).
	Policy string
	// Kind is the provider family.
	Kind AuthorityKind
}

// ParseAuthority validates raw and returns the authority it names. HTTPS is required,
// except for loopback hosts (development and tests). kind overrides detection; with
// AuthorityAuto, Entra hosts, b2clogin.com hosts and /adfs paths are recognised and
// anything else is an OIDC issuer.
func ParseAuthority(raw string, kind AuthorityKind) (Authority, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return Authority{}, Errorf(ErrInvalidInput, "authority %q is not an absolute URL", withoutUserInfo(raw))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return Authority{}, Errorf(ErrInvalidInput, "authority %q must not carry a query, fragment or user info", u.Redacted())
	}
	if !asciiHost(u.Host) {
		return Authority{}, Errorf(ErrInvalidInput, "authority %q must name its host in ASCII, without spaces (an internationalised name in its xn-- form)", u.Redacted())
	}
	host := strings.ToLower(u.Host)
	if u.Scheme == "https" && u.Port() == "443" || u.Scheme == "http" && u.Port() == "80" {
		host = strings.ToLower(u.Hostname()) // the default port names the same environment
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return Authority{}, Errorf(ErrInvalidInput, "authority %q must use https (http is allowed only on loopback hosts)", raw)
		}
	default:
		return Authority{}, Errorf(ErrInvalidInput, "authority %q must use https", raw)
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if path == "" {
		segs = nil
	}
	if err := checkAuthorityPathAndPort(u, segs); err != nil {
		return Authority{}, err
	}
	if kind == AuthorityAuto {
		kind = detectKind(host, segs)
	}
	a := Authority{URL: u.Scheme + "://" + host + path, Host: host, Kind: kind}
	if kind == AuthorityOIDC {
		// An OIDC authority is the issuer itself, which discovery and the ID token's iss
		// must match exactly: https://idp/ and https://idp are two issuers.
		a.URL = u.Scheme + "://" + host + u.EscapedPath()
	}
	switch kind {
	case AuthorityEntra:
		if len(segs) == 0 || segs[0] == "" {
			return Authority{}, Errorf(ErrInvalidInput, "Entra authority %q needs a tenant (common, organizations, consumers, a tenant id or domain)", raw)
		}
		if len(segs) > 1 && !(len(segs) == 2 && segs[1] == "v2.0") {
			return Authority{}, Errorf(ErrInvalidInput, "Entra authority %q has an unexpected path", raw)
		}
		a.Tenant = segs[0]
		a.URL = u.Scheme + "://" + host + "/" + a.Tenant
	case AuthorityB2C:
		if len(segs) > 0 && segs[0] == "tfp" {
			segs = segs[1:]
		}
		if len(segs) < 2 || segs[0] == "" || segs[1] == "" {
			return Authority{}, Errorf(ErrInvalidInput, "B2C authority %q needs a tenant and a policy", raw)
		}
		a.Tenant, a.Policy = segs[0], segs[1]
	case AuthorityADFS:
		a.Tenant = "adfs"
	case AuthorityOIDC:
	default:
		return Authority{}, Errorf(ErrInvalidInput, "unknown authority kind %q", string(kind))
	}
	return a, nil
}

// checkAuthorityPathAndPort refuses what would make one authority name another: a
// dot segment ("." or "..") or a percent-encoded dot in the path, which a server or a
// proxy may resolve to another tenant or issuer than the one cached and compared (RFC
// 3986 §5.2.4), and port 0, which no server listens on. The error never quotes the URL.
func checkAuthorityPathAndPort(u *url.URL, segs []string) error {
	for _, s := range segs {
		if s == "." || s == ".." || strings.Contains(strings.ToLower(s), "%2e") {
			return Errorf(ErrInvalidInput, "authority path must not hold dot segments or percent-encoded dots")
		}
	}
	if p := u.Port(); p != "" && strings.Trim(p, "0") == "" {
		return Errorf(ErrInvalidInput, "authority port must not be 0")
	}
	return nil
}

// withoutUserInfo returns raw for an error message with everything before its last "@"
// cut off: an unparsable URL may still carry user info, and with it a password.
func withoutUserInfo(raw string) string {
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		return "…@" + raw[i+1:]
	}
	return raw
}

func detectKind(host string, segs []string) AuthorityKind {
	h := hostOnly(host)
	switch {
	case len(segs) > 0 && strings.EqualFold(segs[0], "adfs"):
		return AuthorityADFS
	case strings.HasSuffix(h, ".b2clogin.com") || (len(segs) > 0 && segs[0] == "tfp"):
		return AuthorityB2C
	case isEntraHost(h):
		return AuthorityEntra
	}
	return AuthorityOIDC
}

func isEntraHost(host string) bool {
	for _, g := range entraAliasGroups {
		if slices.Contains(g, host) {
			return true
		}
	}
	return false
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// IsLoopbackHost reports whether host (without port) is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// IsLinkLocalHost reports whether host (without port, an IPv6 literal with or without
// brackets) is a link-local address, 169.254.0.0/16 or fe80::/10 (an IPv4-mapped form
// and a zone included), where cloud metadata services answer, or a name that ends in a
// number but is not an IP address in standard form (2852039166, 0xa9.0xfe.0xa9.0xfe,
// 0251.254.169.254): resolvers may read such a name as an IPv4 address (the WHATWG URL
// standard does), and it may be a metadata service in disguise. No DNS is consulted.
func IsLinkLocalHost(host string) bool {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		return ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()
	}
	last := strings.ToLower(host[strings.LastIndex(host, ".")+1:])
	if hex, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// IsOrganizationAlias reports whether the Entra tenant segment is one of the aliases
// that do not name a single tenant.
func (a Authority) IsOrganizationAlias() bool {
	switch strings.ToLower(a.Tenant) {
	case TenantCommon, TenantOrganizations, TenantConsumers:
		return true
	}
	return false
}

// Realm is the realm the authority's entries are cached under (DESIGN §3): for Entra
// and B2C the tenant it names, lower-cased (empty for the common, organizations and
// consumers aliases, whose realm is the account's tenant); "adfs" for ADFS; for an OIDC
// issuer the issuer URL's path without its leading and trailing slash, case kept
// ("realms/a" for https://idp/realms/a, empty for an issuer at the host's root).
func (a Authority) Realm() string {
	switch a.Kind {
	case AuthorityEntra, AuthorityB2C:
		if a.IsOrganizationAlias() {
			return ""
		}
		return strings.ToLower(a.Tenant)
	case AuthorityADFS:
		return "adfs"
	case AuthorityOIDC:
		_, rest, _ := strings.Cut(a.URL, "://")
		_, path, _ := strings.Cut(rest, "/")
		return strings.Trim(path, "/")
	}
	return ""
}

// IsIssuerRealm reports whether the authority's realm is an issuer's path: one OIDC
// issuer per realm, no tenants, and realms compared exactly. For Entra, B2C and ADFS a
// realm is a tenant, compared case-insensitively, and one account spans tenants.
func (a Authority) IsIssuerRealm() bool { return a.Kind == AuthorityOIDC }

// SameRealm reports whether two realms of this authority's entries are one: exactly for
// an OIDC issuer (realm Foo is not foo), case-insensitively for tenants; for ADFS an
// empty realm is "adfs".
func (a Authority) SameRealm(x, y string) bool {
	if a.IsIssuerRealm() {
		return x == y
	}
	if a.Kind == AuthorityADFS {
		// MSAL .NET writes an ADFS entry with an empty realm, others with "adfs": one realm.
		x, y = adfsRealm(x), adfsRealm(y)
	}
	// Cached realms are usually spelled as the authority spells them: an exact match
	// skips EqualFold's byte-by-byte folding, a third of a hit's realm checks.
	return x == y || strings.EqualFold(x, y)
}

// adfsRealm reads an empty ADFS realm as "adfs" (DESIGN §3).
func adfsRealm(r string) string {
	if r == "" {
		return "adfs"
	}
	return r
}

// SameHomeAccountID reports whether two home account ids name one account of this
// authority (DESIGN §3). An OIDC issuer's home account id is its sub, case-sensitive
// whatever it looks like: "Alice" and "alice" are two people, and so are two subjects
// spelled like an Entra uid.utid in two cases (an issuer may derive subjects from user
// input). Microsoft's authorities (Entra, B2C, ADFS) compare as domain.SameHomeAccountID:
// their client_info uid.utid case-insensitively, as MSAL does.
func (a Authority) SameHomeAccountID(x, y string) bool {
	if a.IsIssuerRealm() {
		return x == y
	}
	return SameHomeAccountID(x, y)
}

// FoldHomeAccountID returns the form in which this authority's home account ids compare
// (SameHomeAccountID): the id itself for an OIDC issuer, else domain.FoldHomeAccountID.
func (a Authority) FoldHomeAccountID(id string) string {
	if a.IsIssuerRealm() {
		return id
	}
	return FoldHomeAccountID(id)
}

// IDTokenIsAbout reports whether claims are about the account with home account id
// homeID (localAccountID: its object id in the token's tenant, "" when unknown), as this
// authority compares home account ids: an OIDC issuer's sub exactly, else
// IDTokenClaims.BelongsTo.
func (a Authority) IDTokenIsAbout(c IDTokenClaims, homeID, localAccountID string) bool {
	if a.IsIssuerRealm() {
		return c.Subject != "" && c.Subject == homeID
	}
	return c.BelongsTo(homeID, localAccountID)
}

// RefreshTokenRealm is the realm of the refresh tokens issued through this authority:
// the issuer realm for an OIDC issuer, empty otherwise (an Entra refresh token serves
// every tenant of the account, as MSAL caches it).
func (a Authority) RefreshTokenRealm() string {
	if a.IsIssuerRealm() {
		return a.Realm()
	}
	return ""
}

// CaseInsensitiveScopes reports whether scopes compare case-insensitively on this
// authority (Entra and B2C, as in MSAL).
func (a Authority) CaseInsensitiveScopes() bool {
	return a.Kind == AuthorityEntra || a.Kind == AuthorityB2C
}

// Environments returns the cache environments that match this authority: its host and,
// for Entra clouds, the host's known aliases.
func (a Authority) Environments() []string { return EnvironmentAliases(a.Host) }

// EnvironmentAliases returns host and the hosts known to serve the same cloud, host first.
func EnvironmentAliases(host string) []string {
	host = strings.ToLower(host)
	for _, g := range entraAliasGroups {
		if slices.Contains(g, host) {
			out := []string{host}
			for _, h := range g {
				if h != host {
					out = append(out, h)
				}
			}
			return out
		}
	}
	return []string{host}
}

// entraPublicIssuerHost is the host in the issuer of Entra's v2.0 discovery documents
// and ID tokens in Microsoft's public cloud, whichever of its aliases the authority
// names (login.windows.net, login.microsoft.com).
const entraPublicIssuerHost = "login.microsoftonline.com"

// entraConsumerTenantID is the tenant of Microsoft personal accounts, in the issuer of
// the consumers alias's discovery document and of its ID tokens.
const entraConsumerTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// IssuerWithoutDiscovery returns the issuer this authority's discovery document names,
// when it is known without the document: an OIDC issuer's is its URL (the provider
// adapter refuses a document that says otherwise); Entra's in the public cloud is
// https://login.microsoftonline.com/{tenant id}/v2.0, with Entra's "{tenantid}" template
// for the common and organizations aliases and the personal-account tenant's id for
// consumers, as their documents spell it.
// Anything else is known only from the document (false): a tenant named by a domain,
// whose id the document gives; B2C, whose issuer holds the tenant's id; ADFS; and the
// national clouds, whose issuer hosts the engine does not assume.
func (a Authority) IssuerWithoutDiscovery() (string, bool) {
	switch {
	case a.Kind == AuthorityOIDC:
		return a.URL, true
	case a.Kind != AuthorityEntra || CanonicalEnvironment(a.Host) != entraPublicIssuerHost:
		return "", false
	case strings.EqualFold(a.Tenant, TenantConsumers):
		// Entra's consumers document names the personal-account tenant, not the
		// template: the template would let a work tenant's ID token through.
		return "https://" + entraPublicIssuerHost + "/" + entraConsumerTenantID + "/v2.0", true
	case a.IsOrganizationAlias():
		return "https://" + entraPublicIssuerHost + "/{tenantid}/v2.0", true
	case IsGUID(a.Tenant):
		return "https://" + entraPublicIssuerHost + "/" + strings.ToLower(a.Tenant) + "/v2.0", true
	}
	return "", false
}

// IsGUID reports whether s has the 8-4-4-4-12 hexadecimal form of an Entra tenant id.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// asciiHost reports whether host (with its port) holds only printable ASCII other than
// a space: a host is a cache key and a TLS name, and a look-alike Unicode character or a
// no-break space must not make two hosts of one.
func asciiHost(host string) bool {
	for i := 0; i < len(host); i++ {
		if host[i] <= ' ' || host[i] >= 0x7f {
			return false
		}
	}
	return true
}

// CanonicalURL is the authority's URL with its host replaced by the first of its alias
// group (login.windows.net → login.microsoftonline.com), so that one authority named
// through two aliases is one key: the refresh lock of two processes configured with
// different aliases must be the same lock.
func (a Authority) CanonicalURL() string {
	canonical := a.Host
	for _, g := range entraAliasGroups {
		if slices.Contains(g, a.Host) {
			canonical = g[0]
			break
		}
	}
	u := strings.Replace(a.URL, a.Host, canonical, 1)
	if a.Kind == AuthorityOIDC {
		// An issuer's path is case-sensitive (realm Foo is not realm foo). A trailing
		// slash is dropped: the key follows Realm, which ignores it, so the keys of an
		// issuer did not move when the authority began to keep the slash.
		return strings.TrimRight(u, "/")
	}
	return strings.ToLower(u) // Entra, B2C and ADFS tenants and policies are not
}

// CanonicalEnvironment returns the first host of env's alias group, lower-cased
// (login.windows.net → login.microsoftonline.com); env itself, lower-cased, when it has
// no aliases. Keys that must name one cloud whatever alias a client was configured with
// (refresh locks) use it.
func CanonicalEnvironment(env string) string {
	env = strings.ToLower(env)
	for _, g := range entraAliasGroups {
		if slices.Contains(g, env) {
			return g[0]
		}
	}
	return env
}

// SameEnvironment reports whether two cache environments are one host or aliases of one
// cloud, without allocating for the common case of equal hosts.
func SameEnvironment(a, b string) bool {
	return a == b || strings.EqualFold(a, b) || CanonicalEnvironment(a) == CanonicalEnvironment(b)
}
