package httpidp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

var ok200 = status(200, map[string]any{"access_token": "at", "expires_in": 60})

func TestProvider_Token_serverErrorsRetriedThenUnavailable(t *testing.T) {
	for _, code := range []int{500, 502, 503, 504} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(status(code, nil))
			p := newProvider(t, testConfig(newFakeClock()))
			_, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
			de := wantClass(t, err, domain.ErrUnavailable)
			if de.HTTPStatus != code {
				t.Errorf("got HTTP status %d; want %d", de.HTTPStatus, code)
			}
			if n := f.count("token"); n != 4 {
				t.Errorf("got %d token requests; want 4 (1 + MaxRetries 3)", n)
			}
		})
	}
}

func TestProvider_Token_maxRetriesBound(t *testing.T) {
	for _, tt := range []struct{ maxRetries, want int }{{-1, 1}, {1, 2}, {5, 6}} {
		f := newFakeIdP(t)
		f.setToken(status(502, nil))
		cfg := testConfig(newFakeClock())
		cfg.MaxRetries = tt.maxRetries
		p := newProvider(t, cfg)
		_, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
		wantClass(t, err, domain.ErrUnavailable)
		if n := f.count("token"); n != tt.want {
			t.Errorf("MaxRetries %d: got %d token requests; want %d", tt.maxRetries, n, tt.want)
		}
	}
}

func TestProvider_Token_retryThenSuccess(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(sequence(status(502, "<html>bad gateway</html>"), status(504, nil), ok200))
	p := newProvider(t, testConfig(newFakeClock()))
	res, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
	if err != nil || res.AccessToken != "at" {
		t.Fatalf("Token() = %+v, %v; want the token, nil", res, err)
	}
	if n := f.count("token"); n != 3 {
		t.Errorf("got %d token requests; want 3", n)
	}
}

func TestProvider_Token_clientErrorsNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 409} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(status(code, map[string]any{"error": "invalid_request"}))
			p := newProvider(t, testConfig(newFakeClock()))
			_, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
			if err == nil {
				t.Fatal("Token() = nil error; want the provider's refusal")
			}
			if n := f.count("token"); n != 1 {
				t.Errorf("got %d token requests; want 1", n)
			}
		})
	}
}

// dropConnection reads the request (the fake already parsed the form) and closes the
// connection without answering: the provider may have redeemed the grant.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestProvider_Token_singleUseGrantNeverSentTwice(t *testing.T) {
	faults := map[string]http.HandlerFunc{
		"500":                status(500, nil),
		"503 retry-after":    status(503, nil, "Retry-After", "1"),
		"429":                status(429, map[string]any{"error": "slow_down"}),
		"connection dropped": dropConnection,
		"html 502":           status(502, "<html>gateway</html>"),
		"attempt timeout":    blockUntilClientGone,
		"truncated json":     status(200, `{"access_token": "at", "expires_in": 60`),
	}
	grants := map[string]func(domain.Authority) domain.TokenRequest{
		"authorization_code": codeRequest,
		"refresh_token": func(a domain.Authority) domain.TokenRequest {
			return domain.TokenRequest{Authority: a, ClientID: "client-1", Grant: domain.GrantRefreshToken, RefreshToken: "rt-secret-value"}
		},
	}
	for gname, mk := range grants {
		for fname, fault := range faults {
			t.Run(gname+" "+fname, func(t *testing.T) {
				f := newFakeIdP(t)
				f.setToken(sequence(fault, ok200))
				rt := &countingTransport{}
				cfg := testConfig(newFakeClock())
				cfg.AttemptTimeout = 200 * time.Millisecond
				cfg.Transport = rt
				p := newProvider(t, cfg)
				a := f.authority("", domain.AuthorityOIDC)
				if _, err := p.Metadata(t.Context(), a); err != nil {
					t.Fatalf("Metadata() = %v", err)
				}
				before := rt.calls()
				if _, err := p.Token(t.Context(), mk(a)); err == nil {
					t.Fatal("Token() = nil error; want the fault reported, not retried")
				}
				if n := rt.calls() - before; n != 1 {
					t.Errorf("got %d attempts; want 1 (a single-use grant is never resent)", n)
				}
				// A timed-out attempt may not have reached the server at all.
				if n := f.count("token"); n > 1 || (n == 0 && fname != "attempt timeout") {
					t.Errorf("got %d token requests at the server; want 1", n)
				}
			})
		}
	}
}

func TestProvider_Token_repeatableGrantRetriedAfterDrop(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(sequence(dropConnection, ok200))
	p := newProvider(t, testConfig(newFakeClock()))
	req := domain.TokenRequest{Authority: f.authority("", domain.AuthorityOIDC), ClientID: "client-1", Grant: domain.GrantPassword,
		Username: "ann", Password: "pw-secret-value"}
	if _, err := p.Token(t.Context(), req); err != nil {
		t.Fatalf("Token() = %v; want success after a retry", err)
	}
	if n := f.count("token"); n != 2 {
		t.Errorf("got %d token requests; want 2", n)
	}
}

func TestProvider_Token_dialErrorsRetriedForSingleUse(t *testing.T) {
	f := newFakeIdP(t)
	rt := &countingTransport{}
	cfg := testConfig(newFakeClock())
	cfg.Transport = rt
	p := newProvider(t, cfg)
	a := f.authority("", domain.AuthorityOIDC)
	if _, err := p.Metadata(t.Context(), a); err != nil {
		t.Fatalf("Metadata() = %v", err)
	}
	failures := 2
	rt.setFail(func(*http.Request) error {
		if failures == 0 {
			return nil
		}
		failures--
		return &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	})
	before := rt.calls()
	if _, err := p.Token(t.Context(), codeRequest(a)); err != nil {
		t.Fatalf("Token() = %v; want success after two dial errors", err)
	}
	if got := rt.calls() - before; got != 3 || f.count("token") != 1 {
		t.Errorf("got %d attempts and %d requests at the server; want 3 and 1", got, f.count("token"))
	}
}

func TestProvider_Token_unreachableEndpoint(t *testing.T) {
	// The fake first: started after the dead server closed, it could be given the very
	// port the test needs refused.
	f := newFakeIdP(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	f.setDoc(func(_ *http.Request, doc map[string]any) { doc["token_endpoint"] = deadURL + "/token" })
	rt := &countingTransport{}
	cfg := testConfig(newFakeClock())
	cfg.Transport = rt
	cfg.AllowedHosts = []string{strings.TrimPrefix(deadURL, "http://")} // another origin
	p := newProvider(t, cfg)
	a := f.authority("", domain.AuthorityOIDC)
	if _, err := p.Metadata(t.Context(), a); err != nil {
		t.Fatalf("Metadata() = %v", err)
	}
	before := rt.calls()
	_, err := p.Token(t.Context(), codeRequest(a))
	de := wantClass(t, err, domain.ErrUnavailable)
	if de.HTTPStatus != 0 {
		t.Errorf("got HTTP status %d; want 0 (no answer)", de.HTTPStatus)
	}
	if got := rt.calls() - before; got != 4 {
		t.Errorf("got %d attempts; want 4 (connection refused is a dial error, retried)", got)
	}
}

func TestProvider_Token_retryAfterWithinCapWaits(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(sequence(status(429, map[string]any{"error": "too_many_requests"}, "Retry-After", "1"), ok200))
	p := newProvider(t, testConfig(newFakeClock()))
	start := time.Now()
	if _, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))); err != nil {
		t.Fatalf("Token() = %v; want success after waiting", err)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("got a wait of %s; want the 1s Retry-After honoured", elapsed)
	}
	if n := f.count("token"); n != 2 {
		t.Errorf("got %d token requests; want 2", n)
	}
}

func TestProvider_Token_retryAfterBeyondCapThrottles(t *testing.T) {
	clock := newFakeClock()
	tests := []struct {
		name       string
		code       int
		retryAfter string
		want       time.Duration
	}{
		{"429 seconds", 429, "120", 120 * time.Second},
		{"503 seconds", 503, "120", 120 * time.Second},
		{"429 http date", 429, clock.Now().Add(5 * time.Minute).Format(http.TimeFormat), 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(status(tt.code, map[string]any{"error": "temporarily_unavailable"}, "Retry-After", tt.retryAfter))
			p := newProvider(t, testConfig(clock))
			start := time.Now()
			_, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
			de := wantClass(t, err, domain.ErrThrottled)
			if de.RetryAfter != tt.want || de.HTTPStatus != tt.code {
				t.Errorf("got RetryAfter %s, status %d; want %s, %d", de.RetryAfter, de.HTTPStatus, tt.want, tt.code)
			}
			if n := f.count("token"); n != 1 {
				t.Errorf("got %d token requests; want 1", n)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %s; want an immediate failure, not a wait", elapsed)
			}
		})
	}
}

func TestProvider_Token_failFastInsideRetryAfterWindow(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(status(429, nil, "Retry-After", "120"))
	clock := newFakeClock()
	p := newProvider(t, testConfig(clock))
	req := clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))
	if _, err := p.Token(t.Context(), req); !errors.Is(err, domain.ErrThrottled) {
		t.Fatalf("Token() = %v; want ErrThrottled", err)
	}
	clock.Advance(60 * time.Second)
	_, err := p.Token(t.Context(), req)
	de := wantClass(t, err, domain.ErrThrottled)
	if de.RetryAfter != 60*time.Second {
		t.Errorf("got RetryAfter %s; want the 60s left in the window", de.RetryAfter)
	}
	if n := f.count("token"); n != 1 {
		t.Fatalf("got %d token requests; want 1 (identical request refused without a network call)", n)
	}
	other := req
	other.Scopes = []string{"api://y/.default"}
	_, _ = p.Token(t.Context(), other)
	if n := f.count("token"); n != 2 {
		t.Fatalf("got %d token requests; want 2 (a different request is sent)", n)
	}
	f.setToken(ok200)
	clock.Advance(61 * time.Second)
	if _, err := p.Token(t.Context(), req); err != nil {
		t.Fatalf("Token() after the window = %v; want success", err)
	}
	if n := f.count("token"); n != 3 {
		t.Errorf("got %d token requests; want 3", n)
	}
}

func TestProvider_Token_redirectNotFollowed(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			other := newFakeIdP(t)
			f := newFakeIdP(t)
			f.setToken(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.srv.URL+"/token", code)
			})
			p := newProvider(t, testConfig(newFakeClock()))
			_, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
			de := wantClass(t, err, domain.ErrInvalidResponse)
			if de.HTTPStatus != code {
				t.Errorf("got HTTP status %d; want %d", de.HTTPStatus, code)
			}
			if n := other.count("token"); n != 0 {
				t.Errorf("the other host got %d token requests; want 0", n)
			}
		})
	}
}

// blockUntilClientGone answers nothing until the client gives up.
func blockUntilClientGone(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func TestProvider_Token_contextCanceled(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(blockUntilClientGone)
	p := newProvider(t, testConfig(newFakeClock()))
	a := f.authority("", domain.AuthorityOIDC)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Token(ctx, clientCredentialsRequest(a))
	wantClass(t, err, domain.ErrUnavailable)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v; want it to wrap context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s; want a prompt return", elapsed)
	}
}

func TestProvider_Token_contextCanceledDuringBackoff(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(status(503, nil, "Retry-After", "20"))
	cfg := testConfig(newFakeClock())
	cfg.RetryAfterCap = time.Minute
	p := newProvider(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := p.Token(ctx, clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("got %v; want ErrUnavailable wrapping context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s; want a return as soon as the context is canceled, not the 20s Retry-After", elapsed)
	}
}

func TestProvider_Token_attemptTimeout(t *testing.T) {
	for _, tt := range []struct {
		name string
		req  func(domain.Authority) domain.TokenRequest
		want int
	}{
		{"authorization code", codeRequest, 1},
		{"client credentials", clientCredentialsRequest, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(blockUntilClientGone)
			rt := &countingTransport{}
			cfg := testConfig(newFakeClock())
			cfg.AttemptTimeout = 100 * time.Millisecond
			cfg.Transport = rt
			p := newProvider(t, cfg)
			a := f.authority("", domain.AuthorityOIDC)
			if _, err := p.Metadata(t.Context(), a); err != nil {
				t.Fatalf("Metadata() = %v", err)
			}
			before := rt.calls()
			_, err := p.Token(t.Context(), tt.req(a))
			wantClass(t, err, domain.ErrUnavailable)
			if errors.Is(err, context.Canceled) {
				t.Errorf("got %v; want a timeout, not a canceled context", err)
			}
			if n := rt.calls() - before; n != tt.want {
				t.Errorf("got %d attempts; want %d", n, tt.want)
			}
		})
	}
}
