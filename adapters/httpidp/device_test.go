package httpidp_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

const deviceCodeSecret = "dc-secret-value-0123456789"

func deviceRequest(a domain.Authority) domain.DeviceAuthorizationRequest {
	return domain.DeviceAuthorizationRequest{Authority: a, ClientID: "client-1", Scopes: []string{"openid", "read"}}
}

func devicePoll(a domain.Authority) domain.TokenRequest {
	return domain.TokenRequest{Authority: a, ClientID: "client-1", Grant: domain.GrantDeviceCode, DeviceCode: deviceCodeSecret}
}

// withDeviceEndpoint serves a device authorization endpoint at path, named by discovery.
func withDeviceEndpoint(f *fakeIdP, path string, h http.HandlerFunc) {
	f.setDoc(func(_ *http.Request, doc map[string]any) { doc["device_authorization_endpoint"] = f.srv.URL + path })
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paths == nil {
		f.paths = map[string]http.HandlerFunc{}
	}
	f.paths[path] = h
}

func TestProvider_DeviceAuthorization_fromDiscovery(t *testing.T) {
	f := newFakeIdP(t)
	var form string
	withDeviceEndpoint(f, "/device", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		form = r.PostForm.Encode()
		writeJSON(w, 200, map[string]any{"device_code": deviceCodeSecret, "user_code": "ABCD-EFGH",
			"verification_uri": "https://idp.example/device", "expires_in": 900})
	})
	p := newProvider(t, testConfig(newFakeClock()))
	d, err := p.DeviceAuthorization(t.Context(), deviceRequest(f.authority("", domain.AuthorityOIDC)))
	if err != nil || string(d.DeviceCode) != deviceCodeSecret || d.Interval != 5*time.Second || d.ExpiresIn != 15*time.Minute {
		t.Fatalf("DeviceAuthorization = %v, %v; want the code, a 5 s default interval, 15 min", d, err)
	}
	if form != "client_id=client-1&scope=openid+read" {
		t.Errorf("form sent = %q; want client_id and scope (RFC 8628 §3.1)", form)
	}
}

func TestProvider_DeviceAuthorization_notOffered(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	_, err := p.DeviceAuthorization(t.Context(), deviceRequest(f.authority("", domain.AuthorityOIDC)))
	de := wantClass(t, err, domain.ErrDiscovery)
	if !strings.Contains(de.Description, "device_authorization_endpoint") {
		t.Errorf("error = %v; want it to name device_authorization_endpoint", err)
	}
}

func TestProvider_DeviceAuthorization_endpointOffOrigin(t *testing.T) {
	for _, ep := range []string{"https://evil.example/device", "http://10.0.0.8/device", "ftp://idp/device", "/device"} {
		f := newFakeIdP(t)
		f.setDoc(func(_ *http.Request, doc map[string]any) { doc["device_authorization_endpoint"] = ep })
		p := newProvider(t, testConfig(newFakeClock()))
		_, err := p.DeviceAuthorization(t.Context(), deviceRequest(f.authority("", domain.AuthorityOIDC)))
		wantClass(t, err, domain.ErrDiscovery)
	}
}

func TestProvider_DeviceAuthorization_malformed(t *testing.T) {
	for name, body := range map[string]map[string]any{
		"no device_code":      {"user_code": "A", "verification_uri": "https://idp.example/d", "expires_in": 900},
		"no user_code":        {"device_code": deviceCodeSecret, "verification_uri": "https://idp.example/d", "expires_in": 900},
		"no verification_uri": {"device_code": deviceCodeSecret, "user_code": "A", "expires_in": 900},
		"http verification":   {"device_code": deviceCodeSecret, "user_code": "A", "verification_uri": "http://evil.example/d", "expires_in": 900},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeIdP(t)
			withDeviceEndpoint(f, "/device", status(200, body))
			p := newProvider(t, testConfig(newFakeClock()))
			_, err := p.DeviceAuthorization(t.Context(), deviceRequest(f.authority("", domain.AuthorityOIDC)))
			wantClass(t, err, domain.ErrInvalidResponse)
		})
	}
}

// Entra's device endpoint is /oauth2/v2.0/devicecode beside the token endpoint, and its
// v1 responses say verification_url.
func TestProvider_DeviceAuthorization_entra(t *testing.T) {
	srv := idptest.NewTestServer(t, idptest.Config{Provider: fakeidp.Config{
		Users: []fakeidp.User{{Username: "ada@example.com", Password: "pw"}}, Clients: []fakeidp.Client{{ID: "client-1"}}}})
	a, err := domain.ParseAuthority(srv.EntraAuthority("organizations"), domain.AuthorityEntra)
	if err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, testConfig(newFakeClock()))
	d, err := p.DeviceAuthorization(t.Context(), deviceRequest(a))
	if err != nil || d.UserCode == "" {
		t.Fatalf("DeviceAuthorization(Entra layout) = %v, %v", d, err)
	}
	if n := srv.EndpointRequests(idptest.EndpointDevice); n != 1 {
		t.Errorf("device endpoint requests = %d; want 1", n)
	}
	if err := srv.ApproveDevice(d.UserCode, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	req := devicePoll(a)
	req.DeviceCode = d.DeviceCode
	req.Scopes = []string{"openid", "read"}
	if resp, err := p.Token(t.Context(), req); err != nil || resp.AccessToken == "" {
		t.Fatalf("poll after approval = %v; want tokens", err)
	}
}

// Pending and slow_down are answers to keep polling: never retried by the HTTP layer,
// and never a fail-fast window, even when a provider sends them with a 429.
func TestProvider_Token_devicePollNotThrottledOrRetried(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
	}{{"authorization_pending", 400}, {"slow_down", 400}, {"slow_down", 429}, {"authorization_pending", 429}} {
		t.Run(tc.code+"/"+http.StatusText(tc.status), func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(status(tc.status, map[string]any{"error": tc.code}))
			p := newProvider(t, testConfig(newFakeClock()))
			req := devicePoll(f.authority("", domain.AuthorityOIDC))
			for i := 1; i <= 3; i++ {
				_, err := p.Token(t.Context(), req)
				de := wantClass(t, err, domain.ErrAuthorizationPending)
				if de.Code != tc.code || de.RetryAfter != 0 {
					t.Fatalf("poll %d = %v; want %s without a Retry-After window", i, err, tc.code)
				}
				if n := f.count("token"); n != i {
					t.Fatalf("token requests after %d polls = %d; want %d (each poll sent once, none refused locally)", i, n, i)
				}
			}
			if got := f.lastToken().Form.Get("grant_type"); got != string(domain.GrantDeviceCode) {
				t.Errorf("grant_type = %q; want the RFC 8628 URN", got)
			}
		})
	}
}

// A poll that may have reached the provider is never sent again: the answer it lost may
// have carried the tokens, and the device code is spent.
func TestProvider_Token_devicePollNotRetriedOn5xx(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(status(503, map[string]any{"error": "temporarily_unavailable"}))
	p := newProvider(t, testConfig(newFakeClock()))
	_, err := p.Token(t.Context(), devicePoll(f.authority("", domain.AuthorityOIDC)))
	wantClass(t, err, domain.ErrUnavailable)
	if n := f.count("token"); n != 1 {
		t.Errorf("token requests = %d; want 1 (a device-code poll is single use)", n)
	}
}

func TestProvider_Token_devicePollErrorsScrubbed(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(status(400, map[string]any{"error": "expired_token", "error_description": "code " + deviceCodeSecret + " expired"}))
	p := newProvider(t, testConfig(newFakeClock()))
	_, err := p.Token(t.Context(), devicePoll(f.authority("", domain.AuthorityOIDC)))
	wantClass(t, err, domain.ErrDeviceCodeExpired)
	if strings.Contains(err.Error(), deviceCodeSecret) {
		t.Fatalf("error echoes the device code: %v", err)
	}
	var de *domain.Error
	if errors.As(err, &de) && !errors.Is(err, domain.ErrInteractionRequired) {
		t.Errorf("expired_token is not interaction required: %v", err)
	}
}

func TestProvider_Token_devicePollNeedsCode(t *testing.T) {
	f := newFakeIdP(t)
	p := newProvider(t, testConfig(newFakeClock()))
	req := devicePoll(f.authority("", domain.AuthorityOIDC))
	req.DeviceCode = ""
	_, err := p.Token(t.Context(), req)
	wantClass(t, err, domain.ErrInvalidInput)
	if n := f.count("token"); n != 0 {
		t.Errorf("token requests = %d; want none", n)
	}
}

// An Entra discovery document without device_authorization_endpoint: the endpoint is
// the token endpoint's sibling, /oauth2/v2.0/devicecode, as MSAL derives it.
func TestProvider_DeviceAuthorization_entraDerivedEndpoint(t *testing.T) {
	f := newFakeIdP(t)
	const tenant = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
	f.setDoc(func(_ *http.Request, doc map[string]any) {
		doc["token_endpoint"] = f.srv.URL + "/" + tenant + "/oauth2/v2.0/token"
	})
	f.mu.Lock()
	f.paths = map[string]http.HandlerFunc{"/" + tenant + "/oauth2/v2.0/devicecode": status(200, map[string]any{
		"device_code": deviceCodeSecret, "user_code": "ABCD-EFGH", "verification_url": "https://microsoft.com/devicelogin",
		"expires_in": "900", "interval": "5", "message": "To sign in, use a web browser..."})}
	f.mu.Unlock()
	p := newProvider(t, testConfig(newFakeClock()))
	d, err := p.DeviceAuthorization(t.Context(), deviceRequest(f.authority("/"+tenant, domain.AuthorityEntra)))
	if err != nil || d.VerificationURI != "https://microsoft.com/devicelogin" {
		t.Fatalf("DeviceAuthorization(Entra, no device endpoint in discovery) = %v, %v", d, err)
	}
	if n := f.count("/" + tenant + "/oauth2/v2.0/devicecode"); n != 1 {
		t.Errorf("devicecode requests = %d; want 1", n)
	}
}

// A plain 429 on one device code's poll opens a window for that poll only: another
// flow's device code (another user at the same client) is still sent.
func TestProvider_Token_throttleWindowIsPerDeviceCode(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(status(429, map[string]any{"error": "too_many_requests"}))
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	_, err := p.Token(t.Context(), devicePoll(a))
	wantClass(t, err, domain.ErrThrottled)
	f.setToken(status(400, map[string]any{"error": "authorization_pending"}))
	other := devicePoll(a)
	other.DeviceCode = "another-users-device-code"
	_, err = p.Token(t.Context(), other)
	wantClass(t, err, domain.ErrAuthorizationPending)
	if n := f.count("token"); n != 2 {
		t.Fatalf("token requests = %d; want 2 (the window is the first code's only)", n)
	}
}
