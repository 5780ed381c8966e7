package idptest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// rawClient shows bodies as sent: no transparent gzip decoding, no redirects.
var rawClient = &http.Client{
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: noRedirect.CheckRedirect,
	Timeout:       30 * time.Second,
}

func rawPost(t *testing.T, u string, form url.Values) reply {
	t.Helper()
	resp, err := rawClient.PostForm(u, form)
	return read(t, resp, err)
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

func TestServer_Script_entraError(t *testing.T) {
	f := newFixture(t, nil)
	const claims = `{"access_token":{"capolids":{"essential":true,"values":["x"]}}}`
	f.srv.Script(idptest.Fault{Status: 400, Error: &idptest.ErrorResponse{
		Error: "invalid_grant", Description: "AADSTS50076: MFA required", SubError: "basic_action",
		ErrorCodes: []int{50076}, Claims: claims,
	}})
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL()+"/token", strings.NewReader(passwordForm().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("client-request-id", "corr-7")
	resp, err := noRedirect.Do(req)
	r := read(t, resp, err)
	if r.status != 400 {
		t.Fatalf("status = %d; want 400", r.status)
	}
	m := r.json(t)
	if m["error"] != "invalid_grant" || m["suberror"] != "basic_action" || m["claims"] != claims ||
		!slices.Equal(errorCodes(m), []int{50076}) || m["correlation_id"] != "corr-7" {
		t.Errorf("error body = %s; want the scripted Entra error with correlation_id corr-7", r.body)
	}
	if ts, _ := m["timestamp"].(string); ts == "" {
		t.Errorf("timestamp missing")
	} else if _, err := time.Parse("2006-01-02 15:04:05Z", ts); err != nil {
		t.Errorf("timestamp %q is not Entra's layout: %v", ts, err)
	}
	if id, _ := m["trace_id"].(string); len(id) != 36 {
		t.Errorf("trace_id = %q; want a UUID", id)
	}
	e := domain.ParseErrorResponse(domain.GrantPassword, r.status, r.body)
	if e == nil || !errors.Is(e, domain.ErrInteractionRequired) || e.Claims != claims {
		t.Errorf("domain.ParseErrorResponse = %v; want interaction required carrying the claims", e)
	}
}

func TestServer_Script_retryAfterAndHeaders(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script(idptest.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond, Header: http.Header{"X-Test": {"yes"}}})
	r := postForm(t, f.srv.URL()+"/token", passwordForm())
	if r.status != 429 || r.header.Get("Retry-After") != "2" || r.header.Get("X-Test") != "yes" {
		t.Errorf("status %d Retry-After %q X-Test %q; want 429, 2, yes", r.status, r.header.Get("Retry-After"), r.header.Get("X-Test"))
	}
	if len(r.body) != 0 {
		t.Errorf("body = %q; want empty", r.body)
	}
	// Retry-After on a real response.
	f.srv.Script(idptest.Fault{RetryAfter: time.Second})
	if r := postForm(t, f.srv.URL()+"/token", passwordForm()); r.status != 200 || r.header.Get("Retry-After") != "1" {
		t.Errorf("status %d Retry-After %q; want 200 with Retry-After 1", r.status, r.header.Get("Retry-After"))
	}
}

func TestServer_Script_bodies(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name  string
		fault idptest.Fault
		check func(t *testing.T, r reply)
	}{
		{"HTML page", idptest.Fault{Status: 502, Body: idptest.BodyHTML}, func(t *testing.T, r reply) {
			if r.status != 502 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("<html>")) {
				t.Errorf("status %d type %q; want 502 with an HTML page", r.status, r.header.Get("Content-Type"))
			}
		}},
		{"empty despite an error", idptest.Fault{Status: 403, Body: idptest.BodyEmpty, Error: &idptest.ErrorResponse{Error: "x"}}, func(t *testing.T, r reply) {
			if r.status != 403 || len(r.body) != 0 {
				t.Errorf("status %d body %q; want 403 and no body", r.status, r.body)
			}
		}},
		{"malformed JSON", idptest.Fault{Body: idptest.BodyMalformedJSON}, func(t *testing.T, r reply) {
			if r.status != 200 || json.Valid(r.body) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("status %d valid %v; want 200 with invalid JSON labelled application/json", r.status, json.Valid(r.body))
			}
		}},
		{"oversized", idptest.Fault{Body: idptest.BodyOversized}, func(t *testing.T, r reply) {
			if r.status != 200 || len(r.body) != idptest.OversizedBodyBytes || len(r.body) <= 1<<20 || !json.Valid(r.body) {
				t.Errorf("status %d, %d bytes, valid %v; want 200 with a valid JSON body over 1 MiB", r.status, len(r.body), json.Valid(r.body))
			}
		}},
		{"gzip bomb", idptest.Fault{Body: idptest.BodyGzipBomb}, func(t *testing.T, r reply) {
			if r.header.Get("Content-Encoding") != "gzip" || len(r.body) > 64<<10 {
				t.Fatalf("Content-Encoding %q, %d bytes; want gzip under 64 KiB", r.header.Get("Content-Encoding"), len(r.body))
			}
			zr, err := gzip.NewReader(bytes.NewReader(r.body))
			if err != nil {
				t.Fatalf("gzip: %v", err)
			}
			head := make([]byte, 16)
			_, _ = io.ReadFull(zr, head)
			rest, err := io.Copy(io.Discard, zr)
			if n := int(rest) + len(head); err != nil || n != idptest.GzipBombBytes || n <= 1<<20 || string(head) != `{"token_type":"B` {
				t.Errorf("inflates to %d bytes; want %d (over 1 MiB)", n, idptest.GzipBombBytes)
			}
		}},
		{"raw", idptest.Fault{Status: 200, Body: idptest.BodyRaw, RawBody: []byte("access_token=x"), ContentType: "text/plain"}, func(t *testing.T, r reply) {
			if string(r.body) != "access_token=x" || r.header.Get("Content-Type") != "text/plain" {
				t.Errorf("body %q type %q; want the raw body as text/plain", r.body, r.header.Get("Content-Type"))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.srv.Script(tt.fault)
			tt.check(t, rawPost(t, f.srv.URL()+"/token", passwordForm()))
		})
	}
}

func TestServer_Script_gzipRealResponse(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script(idptest.Fault{Gzip: true})
	r := rawPost(t, f.srv.URL()+"/token", passwordForm())
	if r.status != 200 || r.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d Content-Encoding %q; want 200 gzip", r.status, r.header.Get("Content-Encoding"))
	}
	var m map[string]any
	if err := json.Unmarshal(gunzip(t, r.body), &m); err != nil || m["access_token"] == nil {
		t.Errorf("decompressed body is not a token response: %v", err)
	}
}

func TestServer_Script_redirect(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script(idptest.Fault{Redirect: "http://192.0.2.1/steal"}, idptest.Fault{Redirect: "http://192.0.2.1/steal", Status: 307})
	for _, want := range []int{302, 307} {
		r := postForm(t, f.srv.URL()+"/token", passwordForm())
		if r.status != want || r.header.Get("Location") != "http://192.0.2.1/steal" {
			t.Errorf("status %d Location %q; want %d to the other host", r.status, r.header.Get("Location"), want)
		}
	}
}

func TestServer_Script_dropConnection(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script(idptest.Fault{DropConnection: true})
	resp, err := noRedirect.PostForm(f.srv.URL()+"/token", passwordForm())
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (status %d); want the connection dropped", resp.StatusCode)
	}
	if n := f.srv.Requests(domain.GrantPassword); n != 1 {
		t.Errorf("Requests(password) = %d; want 1 (a dropped request counts)", n)
	}
	if r := postForm(t, f.srv.URL()+"/token", passwordForm()); r.status != 200 {
		t.Errorf("next request: status %d; want 200", r.status)
	}
}

func TestServer_Script_delay(t *testing.T) {
	f := newFixture(t, nil)
	const d = 150 * time.Millisecond
	f.srv.Script(idptest.Fault{Delay: d})
	start := time.Now()
	r := postForm(t, f.srv.URL()+"/token", passwordForm())
	if elapsed := time.Since(start); elapsed < d || r.status != 200 {
		t.Errorf("status %d after %v; want 200 after at least %v", r.status, elapsed, d)
	}
}

func TestServer_Script_delayEndsWithTheClient(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script(idptest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.srv.URL()+"/token", strings.NewReader(passwordForm().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := noRedirect.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			resp.Body.Close()
		}
		t.Fatalf("err = %v; want context.DeadlineExceeded", err)
	}
	closed := make(chan struct{})
	go func() { f.srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return: the delayed handler outlived its client")
	}
}

func TestServer_Script_idTokenFaults(t *testing.T) {
	f := newFixture(t, autoApprove)
	tests := []struct {
		fault idptest.IDTokenFault
		bad   func(c domain.IDTokenClaims) bool
	}{
		{idptest.IDTokenWrongNonce, func(c domain.IDTokenClaims) bool { return c.Nonce != "nonce-x" }},
		{idptest.IDTokenWrongIssuer, func(c domain.IDTokenClaims) bool { return c.Issuer != f.srv.Issuer() }},
		{idptest.IDTokenWrongAudience, func(c domain.IDTokenClaims) bool { return !slices.Contains(c.Audience, publicID) }},
		{idptest.IDTokenExpired, func(c domain.IDTokenClaims) bool { return !c.Expiry.After(f.clock.Now()) }},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			f.srv.Script(idptest.Fault{IDToken: tt.fault})
			code, verifier := authCode(t, f.srv.URL()+"/authorize", publicID, "nonce-x")
			if c := idClaims(t, postForm(t, f.srv.URL()+"/token", codeForm(code, verifier)).json(t)); !tt.bad(c) {
				t.Errorf("the scripted ID token is correct; want it %s", tt.fault)
			}
			code, verifier = authCode(t, f.srv.URL()+"/authorize", publicID, "nonce-x")
			if c := idClaims(t, postForm(t, f.srv.URL()+"/token", codeForm(code, verifier)).json(t)); tt.bad(c) {
				t.Errorf("the next ID token is still %s; want the fault used up", tt.fault)
			}
		})
	}
}

func TestServer_SetIDTokenFault_persists(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.SetIDTokenFault(idptest.IDTokenWrongAudience)
	for i := range 2 {
		if c := idClaims(t, postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)); slices.Contains(c.Audience, publicID) {
			t.Errorf("request %d: aud %v contains the client; want the persistent fault", i, c.Audience)
		}
	}
	f.srv.Script(idptest.Fault{IDToken: idptest.IDTokenExpired})
	if c := idClaims(t, postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)); c.Expiry.After(f.clock.Now()) {
		t.Errorf("the scripted fault did not override the persistent one")
	}
	if c := idClaims(t, postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)); slices.Contains(c.Audience, publicID) {
		t.Errorf("after a scripted fault the persistent one was lost")
	}
	f.srv.SetIDTokenFault(idptest.IDTokenOK)
	if c := idClaims(t, postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)); !slices.Contains(c.Audience, publicID) {
		t.Errorf("IDTokenOK did not restore correct tokens")
	}
}

func TestServer_Script_idTokenFaultHitsOneConcurrentRequest(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script(idptest.Fault{IDToken: idptest.IDTokenWrongAudience})
	const n = 16
	var wg sync.WaitGroup
	bad := make(chan bool, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := noRedirect.PostForm(f.srv.URL()+"/token", passwordForm())
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			raw, _ := m["id_token"].(string)
			_, c, err := domain.ParseIDToken(raw)
			if err != nil {
				t.Error(err)
				return
			}
			bad <- !slices.Contains(c.Audience, publicID)
		}()
	}
	wg.Wait()
	close(bad)
	count := 0
	for b := range bad {
		if b {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d of %d concurrent responses carry the fault; want exactly 1", count, n)
	}
}

func TestServer_Script_refuseRefresh(t *testing.T) {
	f := newFixture(t, nil)
	rt := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)["refresh_token"].(string)
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {publicID}, "refresh_token": {rt}}
	f.srv.Script(idptest.Fault{RefuseRefresh: true})
	r := postForm(t, f.srv.URL()+"/token", form)
	m := r.json(t)
	if r.status != 400 || m["error"] != "invalid_grant" || !slices.Contains(errorCodes(m), 70008) {
		t.Errorf("status %d error %v codes %v; want 400 invalid_grant [70008]", r.status, m["error"], errorCodes(m))
	}
	if e := domain.ParseErrorResponse(domain.GrantRefreshToken, r.status, r.body); !errors.Is(e, domain.ErrInteractionRequired) {
		t.Errorf("classified as %v; want interaction required", e)
	}
	if r := postForm(t, f.srv.URL()+"/token", form); r.status != 200 {
		t.Errorf("next refresh: status %d; want 200 (the token was refused once, not revoked)", r.status)
	}
}

func TestServer_Script_refuseRefreshHitsOneConcurrentRequest(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.SetIDTokenFault(idptest.IDTokenWrongAudience) // a persistent fault the one-off must not disturb
	rt := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t)["refresh_token"].(string)
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {publicID}, "refresh_token": {rt}}
	f.srv.Script(idptest.Fault{RefuseRefresh: true})
	const n = 16
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := noRedirect.PostForm(f.srv.URL()+"/token", form)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			if resp.StatusCode == http.StatusOK {
				raw, _ := m["id_token"].(string)
				if _, c, err := domain.ParseIDToken(raw); err != nil || slices.Contains(c.Audience, publicID) {
					t.Errorf("a refresh lost the persistent ID-token fault: aud %v, %v", c.Audience, err)
				}
			}
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	refused := 0
	for st := range statuses {
		switch st {
		case http.StatusBadRequest:
			refused++
		case http.StatusOK:
		default:
			t.Errorf("status %d; want 200 or 400", st)
		}
	}
	if refused != 1 {
		t.Errorf("%d of %d concurrent refreshes were refused; want exactly 1", refused, n)
	}
}

func TestServer_Script_expiresInAsString(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Script(idptest.Fault{ExpiresInAsString: true})
	if m := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t); m["expires_in"] != "3600" {
		t.Errorf("expires_in = %#v; want \"3600\"", m["expires_in"])
	}
	if m := postForm(t, f.srv.URL()+"/token", passwordForm()).json(t); m["expires_in"] != 3600.0 {
		t.Errorf("next expires_in = %#v; want the number 3600", m["expires_in"])
	}
}
