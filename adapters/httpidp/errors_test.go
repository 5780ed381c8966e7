package httpidp_test

import (
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/domain"
)

func refreshRequest(a domain.Authority) domain.TokenRequest {
	return domain.TokenRequest{Authority: a, ClientID: "client-1", Grant: domain.GrantRefreshToken, RefreshToken: "rt-secret-value"}
}

func TestProvider_Token_errorMapping(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		req        func(domain.Authority) domain.TokenRequest
		wantClass  domain.ErrorCode
		wantCode   string
		wantStatus int
	}{
		{"rfc invalid_grant", status(400, map[string]any{"error": "invalid_grant", "error_description": "code expired"}), codeRequest, domain.ErrInvalidGrant, "invalid_grant", 400},
		{"rfc invalid_client", status(401, map[string]any{"error": "invalid_client"}), clientCredentialsRequest, domain.ErrInvalidClient, "invalid_client", 401},
		{"rfc invalid_scope", status(400, map[string]any{"error": "invalid_scope"}), codeRequest, domain.ErrInvalidScope, "invalid_scope", 400},
		{"refused refresh", status(400, map[string]any{"error": "invalid_grant"}), refreshRequest, domain.ErrInteractionRequired, "invalid_grant", 400},
		{"200 with error", status(200, map[string]any{"error": "invalid_grant", "access_token": "at"}), codeRequest, domain.ErrInvalidGrant, "invalid_grant", 200},
		{"missing access_token", status(200, map[string]any{"token_type": "Bearer", "expires_in": 60}), codeRequest, domain.ErrInvalidResponse, "", 200},
		{"absurd expires_in", status(200, map[string]any{"access_token": "at", "expires_in": -5}), codeRequest, domain.ErrInvalidResponse, "", 200},
		{"html 200", status(200, "<html><body>login page</body></html>"), codeRequest, domain.ErrUnavailable, "", 200}, // DESIGN §5: a provider fault
		{"html 400", status(400, "<html><body>bad request</body></html>"), codeRequest, domain.ErrUnavailable, "", 400},
		{"html 400 refresh", status(400, "<html><body>bad request</body></html>"), refreshRequest, domain.ErrUnavailable, "", 400},
		{"html 401 refresh", status(401, "<html><body>login page</body></html>"), refreshRequest, domain.ErrUnavailable, "", 401},
		{"html 500", status(500, "<html><body>server error</body></html>"), codeRequest, domain.ErrUnavailable, "", 500},
		{"empty 400", status(400, nil), codeRequest, domain.ErrInvalidResponse, "", 400},
		{"empty 400 refresh", status(400, nil), refreshRequest, domain.ErrInteractionRequired, "", 400},
		{"empty 401 refresh", status(401, nil), refreshRequest, domain.ErrInvalidClient, "", 401},
		{"empty 403 refresh", status(403, nil), refreshRequest, domain.ErrAccessDenied, "", 403},
		{"invalid_client refresh", status(401, map[string]any{"error": "invalid_client"}), refreshRequest, domain.ErrInvalidClient, "invalid_client", 401},
		{"unsupported_grant_type refresh", status(400, map[string]any{"error": "unsupported_grant_type"}), refreshRequest, domain.ErrInvalidClient, "unsupported_grant_type", 400},
		{"invalid_request refresh", status(400, map[string]any{"error": "invalid_request"}), refreshRequest, domain.ErrInvalidClient, "invalid_request", 400},
		{"unknown code refresh", status(400, map[string]any{"error": "invalid_request_x42"}), refreshRequest, domain.ErrInvalidGrant, "invalid_request_x42", 400},
		{"empty 401", status(401, nil), clientCredentialsRequest, domain.ErrInvalidClient, "", 401},
		{"empty 403", status(403, nil), codeRequest, domain.ErrAccessDenied, "", 403},
		{"empty 200", status(200, ""), codeRequest, domain.ErrUnavailable, "", 200},
		{"wrong-shape JSON 200", status(200, `{"access_token":42}`), codeRequest, domain.ErrInvalidResponse, "", 200},
		{"DPoP token_type", status(200, map[string]any{"access_token": "at", "token_type": "DPoP"}), codeRequest, domain.ErrInvalidResponse, "", 200},
		{"non-standard code", status(400, map[string]any{"error": "invalid_request_x42"}), codeRequest, domain.ErrInvalidGrant, "invalid_request_x42", 400},
		{"429 json", status(429, map[string]any{"error": "too_many_requests"}), codeRequest, domain.ErrThrottled, "too_many_requests", 429},
		{"interaction via suberror", status(400, map[string]any{"error": "invalid_grant", "suberror": "basic_action"}), codeRequest, domain.ErrInteractionRequired, "invalid_grant", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(tt.handler)
			p := newProvider(t, testConfig(newFakeClock()))
			_, err := p.Token(t.Context(), tt.req(f.authority("", domain.AuthorityOIDC)))
			de := wantClass(t, err, tt.wantClass)
			if de.Code != tt.wantCode || de.HTTPStatus != tt.wantStatus {
				t.Errorf("got code %q status %d; want %q %d", de.Code, de.HTTPStatus, tt.wantCode, tt.wantStatus)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "hexauth: httpidp: token") {
				t.Errorf("got message %q; want it prefixed with the package", msg)
			}
			for _, leak := range []string{"<html", "login page", "code-secret-value", "verifier-secret-value", "rt-secret-value", "cs-secret-value"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q contains %q", msg, leak)
				}
			}
		})
	}
}

func TestProvider_Token_entraExtras(t *testing.T) {
	f := newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) { doc["issuer"] = f.srv.URL + "/{tenantid}/v2.0" })
	f.setToken(status(400, map[string]any{
		"error":             "invalid_grant",
		"error_description": "AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.",
		"suberror":          "",
		"error_codes":       []int{50076},
		"timestamp":         "2026-03-01 12:00:00Z",
		"trace_id":          "trace-1",
		"correlation_id":    "corr-from-body",
		"claims":            `{"access_token":{"capolids":{"essential":true,"values":["x"]}}}`,
	}))
	p := newProvider(t, testConfig(newFakeClock()))
	req := codeRequest(f.authority("/organizations", domain.AuthorityEntra))
	req.CorrelationID = "corr-sent"
	_, err := p.Token(t.Context(), req)
	de := wantClass(t, err, domain.ErrInteractionRequired)
	if !errors.Is(err, domain.ErrInvalidGrant) {
		t.Errorf("got %v; want it to match the provider's invalid_grant too", err)
	}
	if len(de.ErrorCodes) != 1 || de.ErrorCodes[0] != 50076 || de.TraceID != "trace-1" || de.CorrelationID != "corr-from-body" ||
		de.Timestamp != "2026-03-01 12:00:00Z" ||
		!strings.Contains(de.Claims, "capolids") || !strings.HasPrefix(de.Description, "AADSTS50076") {
		t.Errorf("got %+v; want error codes, trace id, correlation id, timestamp, claims and description kept", de)
	}
}

func TestProvider_Token_correlationIDOnErrors(t *testing.T) {
	f := newFakeIdP(t)
	f.setDoc(func(_ *http.Request, doc map[string]any) { doc["issuer"] = f.srv.URL + "/{tenantid}/v2.0" })
	f.setToken(status(400, nil))
	p := newProvider(t, testConfig(newFakeClock()))
	req := codeRequest(f.authority("/common", domain.AuthorityEntra))
	req.CorrelationID = "corr-sent"
	_, err := p.Token(t.Context(), req)
	var de *domain.Error
	if !errors.As(err, &de) || de.CorrelationID != "corr-sent" {
		t.Errorf("got %v; want the request's correlation id on an error without one", err)
	}
}

func TestProvider_Token_bodyCap(t *testing.T) {
	padded := func(n int) []byte {
		b := []byte(`{"access_token":"at","expires_in":60}`)
		return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
	}
	tests := []struct {
		name   string
		body   []byte
		wantOK bool
	}{
		{"at the cap", padded(httpidp.MaxBodyBytes), true},
		{"over the cap", padded(httpidp.MaxBodyBytes + 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(tt.body) })
			p := newProvider(t, testConfig(newFakeClock()))
			_, err := p.Token(t.Context(), codeRequest(f.authority("", domain.AuthorityOIDC)))
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Token() = %v; want success", err)
				}
				return
			}
			wantClass(t, err, domain.ErrInvalidResponse)
		})
	}
}

// TestProvider_Token_gzipBomb serves a gzip body inflating to 64 MiB. The adapter must
// refuse it after reading 1 MiB: the memory it allocates stays far below the inflated
// size.
func TestProvider_Token_gzipBomb(t *testing.T) {
	// Concatenated gzip members (RFC 1952 §2.2) inflate as one stream: one compressed
	// MiB repeated 64 times keeps the test fast.
	member := func(b []byte) []byte {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(b)
		_ = zw.Close()
		return z.Bytes()
	}
	bomb := member([]byte(`{"access_token":"at","expires_in":60,"pad":"`))
	mib := member(bytes.Repeat([]byte("a"), 1<<20))
	for range 64 {
		bomb = append(bomb, mib...)
	}
	bomb = append(bomb, member([]byte(`"}`))...)
	for _, tt := range []struct {
		name    string
		encoded bool // the transport asked for gzip itself and decompresses transparently
	}{{"transport decompresses", true}, {"adapter decompresses", false}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(bomb)
			})
			cfg := testConfig(newFakeClock())
			if !tt.encoded {
				cfg.Transport = &http.Transport{DisableCompression: true}
			}
			p := newProvider(t, cfg)
			a := f.authority("", domain.AuthorityOIDC)
			if _, err := p.Metadata(t.Context(), a); err != nil {
				t.Fatalf("Metadata() = %v", err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := p.Token(t.Context(), codeRequest(a))
			runtime.ReadMemStats(&after)
			wantClass(t, err, domain.ErrInvalidResponse)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("allocated %d bytes for a body inflating to 64 MiB; want it read through the 1 MiB cap", alloc)
			}
		})
	}
}

// TestProvider_noSecretsInErrorsOrLogs runs failing requests of every grant and client
// authentication method with debug logging and checks that no secret appears in an
// error string or a log line.
func TestProvider_noSecretsInErrorsOrLogs(t *testing.T) {
	keys := testKeys()
	logger, logs := captureLogs()
	f := newFakeIdP(t)
	p := func() *httpidp.Provider {
		cfg := testConfig(newFakeClock())
		cfg.Logger = logger
		return newProvider(t, cfg)
	}()
	a := f.authority("", domain.AuthorityOIDC)
	secretClient := domain.ClientCredential{Secret: "cs-secret-value"}
	keyClient := domain.ClientCredential{Key: keys.rsa, Certificates: []*x509.Certificate{keys.rsaCert}}
	reqs := []domain.TokenRequest{
		codeRequest(a),
		{Authority: a, ClientID: "client-1", Grant: domain.GrantPassword, Username: "ann", Password: "pw-secret-value", Credential: secretClient},
		{Authority: a, ClientID: "client-1", Grant: domain.GrantRefreshToken, RefreshToken: "rt-secret-value", Credential: keyClient},
		{Authority: a, ClientID: "client-1", Grant: domain.GrantClientCredentials, Credential: secretClient},
		{Authority: a, ClientID: "client-1", Grant: domain.GrantClientCredentials, Credential: domain.ClientCredential{Secret: "cs-secret-value", AuthMethod: "client_secret_post"}},
	}
	var msgs []string
	for _, h := range []http.HandlerFunc{
		status(400, map[string]any{"error": "invalid_grant", "error_description": "nope"}),
		status(500, "<html>down</html>"),
		status(429, nil, "Retry-After", "300"),
		dropConnection,
		status(200, map[string]any{"token_type": "Bearer"}),
	} {
		f.setToken(h)
		for _, r := range reqs {
			r.Scopes = []string{"scope-" + strconv.Itoa(len(msgs))} // distinct, outside any Retry-After window
			_, err := p.Token(t.Context(), r)
			if err == nil {
				t.Fatalf("Token() = nil error; want a failure")
			}
			msgs = append(msgs, err.Error(), strings.ReplaceAll(strings.ReplaceAll(err.Error(), "%", ""), " ", ""))
		}
	}
	out := logs.String()
	if !strings.Contains(out, "httpidp") {
		t.Fatalf("got no log output; want the adapter's debug logs captured")
	}
	var assertions []string
	for _, r := range f.tokenRequests() {
		if a := r.Form.Get("client_assertion"); a != "" {
			assertions = append(assertions, a)
		}
	}
	if len(assertions) == 0 {
		t.Fatal("no request carried a client assertion; want the private_key_jwt cases covered")
	}
	for _, secret := range []string{"code-secret-value", "verifier-secret-value", "pw-secret-value", "rt-secret-value", "cs-secret-value", "at-secret-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q", secret)
		}
		for _, m := range msgs {
			if strings.Contains(m, secret) {
				t.Errorf("error %q contains %q", m, secret)
			}
		}
	}
	for _, a := range assertions {
		sig := a[strings.LastIndex(a, ".")+1:]
		if strings.Contains(out, sig) || strings.Contains(strings.Join(msgs, "\n"), sig) {
			t.Errorf("logs or errors contain a client assertion")
		}
	}
}
