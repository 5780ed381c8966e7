//go:build e2e

package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The device authorization grant (RFC 8628) is enabled at both issuers for the public
// clients. This file pins the provider's own answers over plain HTTP; hexauth's device
// flow against it is in device_flow_test.go.

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

// deviceAuthorization is what the device authorization endpoint answered (RFC 8628 §3.2).
type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	Interval                int    `json:"interval"`
	ExpiresIn               int    `json:"expires_in"`
}

func authorizeDevice(t *testing.T, clientID string) deviceAuthorization {
	t.Helper()
	resp, err := http.PostForm(issuers["a"]+"/device/auth", url.Values{"client_id": {clientID}, "scope": {"openid offline_access " + apiRead}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var da deviceAuthorization
	if err := json.NewDecoder(resp.Body).Decode(&da); err != nil || da.DeviceCode == "" {
		t.Fatalf("device authorization: %s, %v", resp.Status, err)
	}
	return da
}

// pollDevice is one device_code grant request; it returns the JSON answer.
func pollDevice(t *testing.T, clientID, deviceCode string) map[string]any {
	t.Helper()
	r, err := http.PostForm(issuers["a"]+"/token", url.Values{"client_id": {clientID},
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(r.Body).Decode(&v)
	return v
}

// TestDeviceFlow_providerOverHTTP proves the set-up the device scenario will use, with
// plain HTTP (hexauth's own client is device_flow_test.go's), and pins what the
// provider answers: authorization_pending, then tokens after approval through its
// pages (the code in the complete URI, or typed); access_denied after Abort;
// expired_token once the code has expired.
func TestDeviceFlow_providerOverHTTP(t *testing.T) {
	t.Run("approved", func(t *testing.T) {
		da := authorizeDevice(t, "public-pkce")
		// node-oidc-provider sends no interval (RFC 8628 §3.2: optional, 5 s when absent)
		// and never slow_down: a client must wait its default 5 s between polls.
		if da.Interval != 0 || da.ExpiresIn != 600 || da.VerificationURI != issuers["a"]+"/device" {
			t.Errorf("device authorization: interval %d, expires_in %d, verification_uri %q; want none, 600 and %s/device (update docs/e2e.md)",
				da.Interval, da.ExpiresIn, da.VerificationURI, issuers["a"])
		}
		if v := pollDevice(t, "public-pkce", da.DeviceCode); v["error"] != "authorization_pending" {
			t.Fatalf("poll before approval = %v; want authorization_pending", v["error"])
		}
		p := approveDeviceCode(t, "a", da.VerificationURIComplete, "", alice)
		if !strings.Contains(p.body, "Sign-in Success") {
			t.Fatalf("approval ended at %s:\n%s", p, p.body)
		}
		v := pollDevice(t, "public-pkce", da.DeviceCode)
		if v["access_token"] == nil || v["refresh_token"] == nil || v["id_token"] == nil {
			t.Fatalf("poll after approval: %v; want access, refresh and ID tokens", v["error"])
		}
	})
	t.Run("typed user code", func(t *testing.T) {
		da := authorizeDevice(t, "public-pkce")
		p := approveDeviceCode(t, "a", da.VerificationURI, da.UserCode, alice)
		if !strings.Contains(p.body, "Sign-in Success") {
			t.Fatalf("approval ended at %s:\n%s", p, p.body)
		}
	})
	t.Run("aborted", func(t *testing.T) {
		da := authorizeDevice(t, "public-pkce")
		b := newBrowser(t, "")
		p := b.get(da.VerificationURIComplete)
		p = b.submitWhere(p, func(f htmlForm) bool { return f.fields.Has("user_code") && f.fields.Has("xsrf") }, "user code", nil)
		b.submitID(p, "op.deviceConfirmForm", url.Values{"abort": {"yes"}, "confirm": nil})
		if v := pollDevice(t, "public-pkce", da.DeviceCode); v["error"] != "access_denied" {
			t.Fatalf("poll after Abort = %v; want access_denied", v)
		}
	})
	t.Run("expired", func(t *testing.T) {
		da := authorizeDevice(t, "device-expiring")
		time.Sleep(time.Duration(da.ExpiresIn)*time.Second + 500*time.Millisecond)
		if v := pollDevice(t, "device-expiring", da.DeviceCode); v["error"] != "expired_token" {
			t.Fatalf("poll after expiry = %v; want expired_token", v)
		}
	})
}
