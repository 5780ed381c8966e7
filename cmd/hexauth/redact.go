package main

import (
	"net/url"
	"strings"
)

// redactedPassword replaces a password in a shown cache URL, as url.URL.Redacted does.
const redactedPassword = "xxxxx"

// redactURL returns the cache URL raw as it may be printed: any password in it
// replaced by "xxxxx", the password of the user information (url.URL.Redacted) and the
// password and sslpassword query parameters libpq and pgx accept. When '@' is present
// but the URL does not parse into user information (a password holding '/', '?' or
// '#' unescaped), where the password ends cannot be known, so everything after the
// scheme is hidden. It does what app.Config's String does for Config.Cache, which app
// does not export.
func redactURL(raw string) string {
	if !strings.Contains(raw, "@") && !strings.Contains(strings.ToLower(raw), "password") {
		return raw // nothing here can be a password
	}
	u, err := url.Parse(raw)
	if err != nil || (u.User == nil && strings.Contains(raw, "@") && (u.Host != "" || u.Opaque != "")) {
		if scheme, _, ok := strings.Cut(raw, ":"); ok && scheme != "" && !strings.ContainsAny(scheme, "/@?#") {
			return scheme + "://" + redactedPassword
		}
		return redactedPassword
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
				q[k] = []string{redactedPassword}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}
