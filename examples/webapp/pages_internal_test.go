package webapp

import "testing"

// Only an http(s) origin whose host needs no escaping enters the policy: a ";" or a
// space would add a directive or a source of the provider's choosing.
func TestSourceOrigin(t *testing.T) {
	for raw, want := range map[string]string{
		"https://idp.example.com/oauth2/logout?x=1": "https://idp.example.com",
		"http://127.0.0.1:9400/logout":              "http://127.0.0.1:9400",
		"https://[::1]:8443/logout":                 "https://[::1]:8443",
		"javascript:alert(1)":                       "",
		"https://idp.example.com;script-src/x":      "",
		"https://idp%20example.com/":                "",
		"https://user@idp.example.com/":             "https://idp.example.com",
		"":                                          "",
	} {
		if got := sourceOrigin(raw); got != want {
			t.Errorf("sourceOrigin(%q) = %q; want %q", raw, got, want)
		}
	}
}

// The sign-out redirects only to an endpoint that parses as an absolute http(s) URL: an
// IdentityProvider other than httpidp may announce anything, and a URL that does not
// parse would leave endSessionURL nothing to build on.
func TestRedirectableEndpoint(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://idp.example.com/oauth2/logout?x=1": true,
		"http://127.0.0.1:9400/logout":              true,
		"javascript:alert(1)":                       false,
		"/logout":                                   false,
		"https://idp.example.com/%zz":               false,
		"https:///logout":                           false,
		"ftp://idp.example.com/logout":              false,
	} {
		if got := redirectableEndpoint(raw); got != want {
			t.Errorf("redirectableEndpoint(%q) = %v; want %v", raw, got, want)
		}
	}
}
