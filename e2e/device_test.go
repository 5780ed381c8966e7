//go:build e2e

package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The device authorization grant (RFC 8628) is enabled at both issuers for the public
// clients. hexauth's device flow (issue 14 part 1) is built on another branch; its
// scenario here is one more test function that calls InitiateDeviceFlow, approves the
// user code with approveDeviceCode, and then AcquireTokenByDeviceFlow (docs/e2e.md).

// approveDeviceCode is the user on another device: it opens the verification URI
// (verification_uri_complete carries the user code; with the plain verification_uri it
// types userCode), confirms the code on node-oidc-provider's own confirmation page, and
// signs in through the login and consent pages. It returns the final page, which says
// "Sign-in Success" when the grant was approved.
func approveDeviceCode(t *testing.T, realm, verificationURI, userCode, user string) page {
	t.Helper()
	b := newBrowser(t, "")
	p := b.get(verificationURI)
	fields := url.Values{}
	if userCode != "" {
		fields.Set("user_code", userCode)
	}
	// The input page (the plain URI), or with the complete URI a page whose script posts
	// the code at once (a browser without script shows its Continue button): either way
	// the form that carries user_code and the anti-forgery xsrf field.
	p = b.submitWhere(p, func(f htmlForm) bool {
		return f.fields.Has("user_code") && f.fields.Has("xsrf") && !f.fields.Has("confirm")
	},
		"user code", fields)
	// node-oidc-provider asks to confirm the code first, then signs the user in.
	for range 4 {
		switch {
		case strings.Contains(p.body, `id="op.deviceConfirmForm"`):
			p = b.submitID(p, "op.deviceConfirmForm", nil)
		case strings.Contains(p.body, `name="prompt" value="login"`):
			p = b.submit(p, "login", url.Values{"login": {user}, "password": {passwords[realm][user]}})
		case strings.Contains(p.body, `name="prompt" value="consent"`):
			p = b.submit(p, "consent", nil)
		default:
			return p
		}
	}
	return p
}

// TestDeviceFlow_providerApprovesOverHTTP proves the set-up the device scenario will
// use, with plain HTTP in place of hexauth's device flow (not on this branch): device
// authorization, approval through the provider's pages, the device_code grant.
func TestDeviceFlow_providerApprovesOverHTTP(t *testing.T) {
	resp, err := http.PostForm(issuers["a"]+"/device/auth", url.Values{"client_id": {"public-pkce"}, "scope": {"openid offline_access " + apiRead}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var da struct {
		DeviceCode              string `json:"device_code"`
		UserCode                string `json:"user_code"`
		VerificationURI         string `json:"verification_uri"`
		VerificationURIComplete string `json:"verification_uri_complete"`
		Interval                int    `json:"interval"`
		ExpiresIn               int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&da); err != nil || da.DeviceCode == "" {
		t.Fatalf("device authorization: %s, %v", resp.Status, err)
	}
	poll := func() map[string]any {
		r, err := http.PostForm(issuers["a"]+"/token", url.Values{"client_id": {"public-pkce"},
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da.DeviceCode}})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(r.Body).Decode(&v)
		return v
	}
	if v := poll(); v["error"] != "authorization_pending" {
		t.Fatalf("poll before approval = %v; want authorization_pending", v["error"])
	}
	p := approveDeviceCode(t, "a", da.VerificationURIComplete, "", alice)
	if !strings.Contains(p.body, "Sign-in Success") {
		t.Fatalf("approval ended at %s:\n%s", p, p.body)
	}
	v := poll()
	if v["access_token"] == nil || v["refresh_token"] == nil || v["id_token"] == nil {
		t.Fatalf("poll after approval: %v; want access, refresh and ID tokens", v["error"])
	}
}
