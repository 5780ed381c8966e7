package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

const testDeviceCode = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"

// deviceBody returns a device authorization response with fields replaced by over
// (a nil value removes the field).
func deviceBody(over map[string]any) []byte {
	m := map[string]any{
		"device_code": testDeviceCode, "user_code": "WDJB-MJHT",
		"verification_uri": "https://example.com/device", "expires_in": 1800, "interval": 5,
	}
	for k, v := range over {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return b
}

func TestParseDeviceAuthorization_valid(t *testing.T) {
	d, err := domain.ParseDeviceAuthorization(200, deviceBody(map[string]any{
		"verification_uri_complete": "https://example.com/device?user_code=WDJB-MJHT", "message": "Go to the page"}))
	if err != nil {
		t.Fatal(err)
	}
	if string(d.DeviceCode) != testDeviceCode || d.UserCode != "WDJB-MJHT" || d.VerificationURI != "https://example.com/device" ||
		d.VerificationURIComplete == "" || d.ExpiresIn != 30*time.Minute || d.Interval != 5*time.Second || d.Message != "Go to the page" {
		t.Fatalf("ParseDeviceAuthorization = %#v (%s)", d, d.DeviceCode)
	}
}

func TestParseDeviceAuthorization_verificationURL(t *testing.T) {
	// Entra's v1 endpoint and Google say verification_url.
	d, err := domain.ParseDeviceAuthorization(200, deviceBody(map[string]any{"verification_uri": nil, "verification_url": "https://microsoft.com/devicelogin"}))
	if err != nil || d.VerificationURI != "https://microsoft.com/devicelogin" {
		t.Fatalf("ParseDeviceAuthorization(verification_url) = %v, %v; want its URI", d, err)
	}
}

func TestParseDeviceAuthorization_bounds(t *testing.T) {
	for _, tc := range []struct {
		name         string
		over         map[string]any
		wantInterval time.Duration
		wantExpiry   time.Duration
	}{
		{"absent interval is 5 s", map[string]any{"interval": nil}, 5 * time.Second, 30 * time.Minute},
		{"zero interval is 5 s, not a hot loop", map[string]any{"interval": 0}, 5 * time.Second, 30 * time.Minute},
		{"sub-second interval raised to the minimum", map[string]any{"interval": 0.01}, time.Second, 30 * time.Minute},
		{"huge interval capped", map[string]any{"interval": 1e9}, time.Minute, 30 * time.Minute},
		{"expires_in of years capped", map[string]any{"expires_in": 3 * 365 * 86400}, 5 * time.Second, time.Hour},
		{"numeric strings", map[string]any{"expires_in": "900", "interval": "7"}, 7 * time.Second, 15 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := domain.ParseDeviceAuthorization(200, deviceBody(tc.over))
			if err != nil || d.Interval != tc.wantInterval || d.ExpiresIn != tc.wantExpiry {
				t.Fatalf("got interval %v, expiry %v, %v; want %v, %v", d.Interval, d.ExpiresIn, err, tc.wantInterval, tc.wantExpiry)
			}
		})
	}
}

func TestParseDeviceAuthorization_refused(t *testing.T) {
	for _, tc := range []struct {
		name string
		over map[string]any
	}{
		{"no device_code", map[string]any{"device_code": nil}},
		{"empty device_code", map[string]any{"device_code": ""}},
		{"device_code with a line break", map[string]any{"device_code": "abc\ndef"}},
		{"device_code of megabytes", map[string]any{"device_code": strings.Repeat("a", domain.MaxDeviceCodeBytes+1)}},
		{"no user_code", map[string]any{"user_code": nil}},
		{"user_code of megabytes", map[string]any{"user_code": strings.Repeat("A", 1<<20)}},
		{"user_code with an escape sequence", map[string]any{"user_code": "AB\x1b[2JCD"}},
		{"blank user_code", map[string]any{"user_code": "   "}},
		{"no verification_uri", map[string]any{"verification_uri": nil}},
		{"plain http verification_uri", map[string]any{"verification_uri": "http://evil.example/device"}},
		{"relative verification_uri", map[string]any{"verification_uri": "/device"}},
		{"scheme-less verification_uri", map[string]any{"verification_uri": "evil.example/device"}},
		{"verification_uri without a host", map[string]any{"verification_uri": "https:///device"}},
		{"opaque https verification_uri", map[string]any{"verification_uri": "https:evil.example"}},
		{"javascript verification_uri", map[string]any{"verification_uri": "javascript:alert(1)"}},
		{"verification_uri with credentials", map[string]any{"verification_uri": "https://user:pw@example.com/device"}},
		{"verification_uri with a line break", map[string]any{"verification_uri": "https://example.com/\r\nfake line"}},
		{"verification_uri of megabytes", map[string]any{"verification_uri": "https://example.com/" + strings.Repeat("a", 1<<20)}},
		{"plain http verification_uri_complete", map[string]any{"verification_uri_complete": "http://evil.example/device?c=1"}},
		{"no expires_in", map[string]any{"expires_in": nil}},
		{"zero expires_in", map[string]any{"expires_in": 0}},
		{"negative expires_in", map[string]any{"expires_in": -5}},
		{"non-numeric expires_in", map[string]any{"expires_in": "soon"}},
		{"negative interval", map[string]any{"interval": -1}},
		{"non-numeric interval", map[string]any{"interval": "fast"}},
		{"wrong type", map[string]any{"user_code": 42}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.ParseDeviceAuthorization(200, deviceBody(tc.over))
			if !errors.Is(err, domain.ErrInvalidResponse) {
				t.Fatalf("ParseDeviceAuthorization = %v; want ErrInvalidResponse", err)
			}
			if strings.Contains(err.Error(), testDeviceCode) {
				t.Fatalf("the error quotes the device code: %v", err)
			}
		})
	}
}

func TestParseDeviceAuthorization_loopbackHTTPAllowed(t *testing.T) {
	if _, err := domain.ParseDeviceAuthorization(200, deviceBody(map[string]any{"verification_uri": "http://127.0.0.1:8080/device"})); err != nil {
		t.Fatalf("loopback http verification URI (local fakes) = %v; want accepted", err)
	}
}

func TestParseDeviceAuthorization_message(t *testing.T) {
	d, err := domain.ParseDeviceAuthorization(200, deviceBody(map[string]any{"message": "Open \x1b]8;;https://evil\x07here\x1b[0m " + strings.Repeat("x", 10000)}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(d.Message, 0x1b) || strings.ContainsRune(d.Message, 0x07) {
		t.Errorf("message keeps control characters: %q", d.Message[:40])
	}
	if len(d.Message) > domain.MaxDeviceMessageBytes*2 {
		t.Errorf("message is %d bytes; want it cut near %d", len(d.Message), domain.MaxDeviceMessageBytes)
	}
}

func TestParseDeviceAuthorization_errors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   domain.ErrorCode
	}{
		{"invalid_client", 401, `{"error":"invalid_client"}`, domain.ErrInvalidClient},
		{"invalid_scope", 400, `{"error":"invalid_scope"}`, domain.ErrInvalidScope},
		{"an HTML page", 200, `<html>proxy</html>`, domain.ErrUnavailable},
		{"an HTML error page", 502, `<html>bad gateway</html>`, domain.ErrUnavailable},
		{"a JSON array", 200, `[1,2]`, domain.ErrInvalidResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.ParseDeviceAuthorization(tc.status, []byte(tc.body))
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseDeviceAuthorization(%d, %s) = %v; want %v", tc.status, tc.body, err, tc.want)
			}
		})
	}
}

func TestClassify_deviceCodeErrors(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		want   domain.ErrorCode
	}{
		{"authorization_pending", 400, domain.ErrAuthorizationPending},
		{"slow_down", 400, domain.ErrAuthorizationPending},
		{"slow_down", 429, domain.ErrAuthorizationPending},
		{"access_denied", 400, domain.ErrAccessDenied},
		{"authorization_declined", 400, domain.ErrAccessDenied},
		{"expired_token", 400, domain.ErrDeviceCodeExpired},
		{"bad_verification_code", 400, domain.ErrInvalidGrant},
		{"invalid_grant", 400, domain.ErrInvalidGrant},
	} {
		if got := domain.Classify(domain.GrantDeviceCode, tc.code, "", nil, tc.status); got != tc.want {
			t.Errorf("Classify(device_code, %s, %d) = %s; want %s", tc.code, tc.status, got, tc.want)
		}
	}
	// Denial and expiry are distinct classes: a caller can tell them apart.
	expired := &domain.Error{Class: domain.ErrDeviceCodeExpired, Code: "expired_token"}
	if !errors.Is(expired, domain.ErrInteractionRequired) || errors.Is(expired, domain.ErrAccessDenied) {
		t.Errorf("expired_token: Is(interaction required) %t, Is(access denied) %t; want true, false",
			errors.Is(expired, domain.ErrInteractionRequired), errors.Is(expired, domain.ErrAccessDenied))
	}
	denied := &domain.Error{Class: domain.ErrAccessDenied, Code: "access_denied"}
	if errors.Is(denied, domain.ErrInteractionRequired) || errors.Is(denied, domain.ErrDeviceCodeExpired) {
		t.Errorf("access_denied matches interaction required or expiry")
	}
	// Other grants keep their classes.
	if got := domain.Classify(domain.GrantPassword, "slow_down", "", nil, 400); got != domain.ErrThrottled {
		t.Errorf("Classify(password, slow_down) = %s; want throttled", got)
	}
}

func deviceFlow() domain.DeviceFlow {
	d, _ := domain.ParseDeviceAuthorization(200, deviceBody(nil))
	return domain.NewDeviceFlow(d, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "https://idp.example/", "client-1", []string{"read"})
}

func TestDeviceFlow_redacted(t *testing.T) {
	f := deviceFlow()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("flow", "flow", f, "auth", domain.DeviceAuthorization{DeviceCode: testDeviceCode})
	slog.New(slog.NewTextHandler(&logs, nil)).Info("flow", "flow", f)
	js, _ := json.Marshal(f)
	jsPtr, _ := json.Marshal(&struct{ F *domain.DeviceFlow }{&f})
	out := []string{fmt.Sprint(f), fmt.Sprintf("%v %+v %#v %s %q %x %d", f, f, f, f, f, f, f), f.String(), f.GoString(),
		string(js), string(jsPtr), logs.String(), fmt.Sprintf("%+v", domain.DeviceAuthorization{DeviceCode: testDeviceCode}),
		fmt.Sprintf("%#v", domain.TokenRequest{Grant: domain.GrantDeviceCode, DeviceCode: testDeviceCode})}
	for _, s := range out {
		if strings.Contains(s, testDeviceCode) || strings.Contains(s, fmt.Sprintf("%x", testDeviceCode)) {
			t.Fatalf("device code printed: %s", s)
		}
	}
	if !strings.Contains(fmt.Sprint(f), "WDJB-MJHT") {
		t.Errorf("String() = %s; want the user code (it is shown to the user)", f)
	}
}

func TestDeviceFlow_SessionJSON_roundTrip(t *testing.T) {
	f := deviceFlow()
	b, err := f.SessionJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back domain.DeviceFlow
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.DeviceCode != f.DeviceCode || back.Interval != f.Interval || !back.ExpiresOn.Equal(f.ExpiresOn) ||
		back.ClientID != f.ClientID || back.Authority != f.Authority || back.UserCode != f.UserCode || back.Check() != nil {
		t.Fatalf("round trip = %v; want %v", back, f)
	}
	// json.Marshal redacts, so a flow that went through it cannot be polled.
	red, _ := json.Marshal(f)
	var fromRedacted domain.DeviceFlow
	if err := json.Unmarshal(red, &fromRedacted); err != nil {
		t.Fatal(err)
	}
	if err := fromRedacted.Check(); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("Check of a redacted flow = %v; want ErrInvalidFlow", err)
	}
	if err := json.Unmarshal([]byte(`{"interval": 100000}`), &back); !errors.Is(err, domain.ErrInvalidFlow) {
		t.Fatalf("Unmarshal of an out-of-bounds interval = %v; want ErrInvalidFlow", err)
	}
}

func TestNewDeviceFlow_messageAndExpiry(t *testing.T) {
	f := deviceFlow()
	if !strings.Contains(f.Message, "https://example.com/device") || !strings.Contains(f.Message, "WDJB-MJHT") {
		t.Errorf("Message = %q; want the URI and the user code when the provider sent no message", f.Message)
	}
	if want := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC); !f.ExpiresOn.Equal(want) {
		t.Errorf("ExpiresOn = %v; want %v (the clock before the request + expires_in)", f.ExpiresOn, want)
	}
}

// FuzzParseDeviceAuthorization: whatever a provider sends, parsing never panics, and an
// accepted answer is within every bound the poll loop and the terminal rely on.
func FuzzParseDeviceAuthorization(f *testing.F) {
	f.Add(200, deviceBody(nil))
	f.Add(200, deviceBody(map[string]any{"interval": 0, "expires_in": "1e9", "message": "a\x1bb"}))
	f.Add(200, deviceBody(map[string]any{"verification_uri": nil, "verification_url": "http://127.0.0.1/d"}))
	f.Add(400, []byte(`{"error":"slow_down"}`))
	f.Add(200, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		d, err := domain.ParseDeviceAuthorization(status, body)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *domain.Error", err)
			}
			return
		}
		if d.Interval < domain.MinDevicePollInterval || d.Interval > domain.MaxDevicePollInterval {
			t.Fatalf("interval %v out of bounds", d.Interval)
		}
		if d.ExpiresIn <= 0 || d.ExpiresIn > domain.MaxDeviceFlowLifetime {
			t.Fatalf("expires_in %v out of bounds", d.ExpiresIn)
		}
		if d.DeviceCode == "" || d.UserCode == "" || len(d.UserCode) > domain.MaxUserCodeBytes {
			t.Fatalf("accepted a device code %d bytes, user code %d bytes", len(d.DeviceCode), len(d.UserCode))
		}
		if domain.EscapeControl(d.Message) != d.Message || domain.EscapeControl(d.UserCode) != d.UserCode {
			t.Fatalf("accepted text with control characters: %q", d.Message)
		}
		if !strings.HasPrefix(strings.ToLower(d.VerificationURI), "https://") && !strings.HasPrefix(strings.ToLower(d.VerificationURI), "http://") {
			t.Fatalf("accepted verification URI %q", d.VerificationURI)
		}
	})
}
