package idptest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

type deviceReply struct {
	DeviceCode, UserCode, VerificationURI, VerificationURIComplete string
	ExpiresIn, Interval                                            int
}

// startDevice asks srv for a device code over HTTP, as a public client.
func startDevice(t *testing.T, srv *idptest.Server) deviceReply {
	t.Helper()
	resp, err := http.PostForm(srv.URL()+"/device_authorization", url.Values{"client_id": {"app"}, "scope": {"openid offline_access read"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != 200 {
		t.Fatalf("device authorization: %d, %v", resp.StatusCode, err)
	}
	s := func(k string) string { v, _ := raw[k].(string); return v }
	n := func(k string) int { v, _ := raw[k].(float64); return int(v) }
	return deviceReply{s("device_code"), s("user_code"), s("verification_uri"), s("verification_uri_complete"), n("expires_in"), n("interval")}
}

func pollDevice(t *testing.T, srv *idptest.Server, code string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(srv.URL()+"/token", url.Values{"client_id": {"app"}, "grant_type": {string(domain.GrantDeviceCode)}, "device_code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func deviceServer(t *testing.T) *idptest.Server {
	return idptest.NewTestServer(t, idptest.Config{Provider: fakeidp.Config{
		Users: []fakeidp.User{{Username: "ada@example.com", Password: "pw"}}, Clients: []fakeidp.Client{{ID: "app"}}}})
}

// The verification page (what `hexauth fake-idp` serves) takes the user code, checks
// the password and approves: the next poll gets the tokens, once.
func TestServer_devicePage_approves(t *testing.T) {
	srv := deviceServer(t)
	d := startDevice(t, srv)
	if d.VerificationURI != srv.URL()+"/device" || d.ExpiresIn != 900 || d.Interval != 5 || !strings.Contains(d.VerificationURIComplete, d.UserCode) {
		t.Fatalf("device authorization = %+v", d)
	}
	if st, body := pollDevice(t, srv, d.DeviceCode); st != 400 || body["error"] != "authorization_pending" {
		t.Fatalf("poll before approval = %d %v; want 400 authorization_pending", st, body)
	}
	page, err := http.Get(d.VerificationURIComplete)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(html), `value="`+d.UserCode+`"`) {
		t.Fatalf("the page does not prefill the user code:\n%s", html)
	}
	post := func(password, decision string) int {
		resp, err := http.PostForm(srv.URL()+"/device", url.Values{"user_code": {strings.ToLower(d.UserCode)},
			"username": {"ada@example.com"}, "password": {password}, "decision": {decision}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post("wrong", "approve"); st != http.StatusUnauthorized {
		t.Fatalf("approval with a wrong password = %d; want 401", st)
	}
	if st := post("pw", "approve"); st != http.StatusOK {
		t.Fatalf("approval = %d; want 200", st)
	}
	if st, body := pollDevice(t, srv, d.DeviceCode); st != 200 || body["access_token"] == nil || body["refresh_token"] == nil {
		t.Fatalf("poll after approval = %d %v; want tokens", st, body)
	}
	if st, body := pollDevice(t, srv, d.DeviceCode); st != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("second redemption = %d %v; want invalid_grant (the code is spent)", st, body)
	}
}

func TestServer_devicePage_declines(t *testing.T) {
	srv := deviceServer(t)
	d := startDevice(t, srv)
	resp, err := http.PostForm(srv.URL()+"/device", url.Values{"user_code": {d.UserCode},
		"username": {"ada@example.com"}, "password": {"pw"}, "decision": {"deny"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if st, body := pollDevice(t, srv, d.DeviceCode); st != 400 || body["error"] != "access_denied" {
		t.Fatalf("poll after declining = %d %v; want access_denied", st, body)
	}
}

// A poll sooner than the interval after the previous one is slow_down (RFC 8628 §3.5).
func TestServer_devicePoll_slowDown(t *testing.T) {
	srv := deviceServer(t)
	d := startDevice(t, srv)
	pollDevice(t, srv, d.DeviceCode)
	if st, body := pollDevice(t, srv, d.DeviceCode); st != 400 || body["error"] != "slow_down" {
		t.Fatalf("an immediate second poll = %d %v; want slow_down", st, body)
	}
}
