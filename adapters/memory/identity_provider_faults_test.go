package memory_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/domain"
)

func TestIdentityProvider_FailNext_failsOnceAndCounts(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	want := &domain.Error{Code: "temporarily_unavailable", Description: "try later", HTTPStatus: http.StatusServiceUnavailable, RetryAfter: time.Second}
	p.FailNext(domain.GrantPassword, want)
	want.Code = "mutated after the call"
	req := idpPasswordRequest(a, idpUser, idpPassword)
	req.CorrelationID = "corr-9"
	e := idpRefusal(t, p, req)
	if e.Code != "temporarily_unavailable" || !errors.Is(e, domain.ErrUnavailable) || e.RetryAfter != time.Second || e.CorrelationID != "corr-9" {
		t.Errorf("got %v (class %s, correlation %q); want the scripted temporarily_unavailable, classified ErrUnavailable", e, e.Class, e.CorrelationID)
	}
	idpToken(t, p, req)
	if got := p.Calls(domain.GrantPassword); got != 2 {
		t.Errorf("Calls(password): got %d; want 2 (the failed call counts)", got)
	}
	if got := p.Calls(domain.GrantRefreshToken); got != 0 {
		t.Errorf("Calls(refresh_token): got %d; want 0", got)
	}
}

func TestIdentityProvider_FailNext_queuesPerGrant(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthority(t, idpAuthorityURL)
	p.FailNext(domain.GrantPassword, &domain.Error{Class: domain.ErrThrottled, Code: "slow_down", HTTPStatus: 429})
	p.FailNext(domain.GrantPassword, &domain.Error{Code: "server_error", HTTPStatus: 500})
	p.FailNext(domain.GrantClientCredentials, &domain.Error{Code: "server_error", HTTPStatus: 500})
	req := idpPasswordRequest(a, idpUser, idpPassword)
	if e := idpRefusal(t, p, req); !errors.Is(e, domain.ErrThrottled) {
		t.Errorf("first: got %v; want ErrThrottled", e)
	}
	if e := idpRefusal(t, p, req); !errors.Is(e, domain.ErrUnavailable) {
		t.Errorf("second: got %v; want ErrUnavailable", e)
	}
	idpToken(t, p, req)
	p.FailNext(domain.GrantClientCredentials, nil) // clears
	cc := domain.TokenRequest{Authority: a, ClientID: idpDaemonID, Grant: domain.GrantClientCredentials,
		Scopes: []string{idpDefaultScope}, Credential: domain.ClientCredential{Secret: idpSecret}}
	idpToken(t, p, cc)
}

func TestIdentityProvider_SetIDTokenFault_detected(t *testing.T) {
	a := idpAuthorityFor(t)
	tests := []struct {
		fault memory.IDTokenFault
		want  domain.ErrorCode
	}{
		{memory.IDTokenWrongNonce, domain.ErrNonceMismatch},
		{memory.IDTokenWrongIssuer, domain.ErrInvalidIDToken},
		{memory.IDTokenWrongAudience, domain.ErrInvalidIDToken},
		{memory.IDTokenExpired, domain.ErrInvalidIDToken},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			p, _ := idpNew(t)
			p.SetIDTokenFault(tt.fault)
			v, verifier, nonce := idpSignIn(t, p, a, idpUser)
			resp := idpToken(t, p, idpCodeRequest(a, v.Get("code"), verifier))
			if err := p.VerifyIDTokenSignature(context.Background(), a, string(resp.IDToken)); err != nil {
				t.Errorf("VerifyIDTokenSignature = %v; want nil (only the claims are wrong)", err)
			}
			err := idpCheck(t, p, a, resp.IDToken, nonce, "")
			if !errors.Is(err, tt.want) {
				t.Errorf("Check = %v; want %s", err, tt.want)
			}
			p.SetIDTokenFault(memory.IDTokenOK)
			v, verifier, nonce = idpSignIn(t, p, a, idpUser)
			resp = idpToken(t, p, idpCodeRequest(a, v.Get("code"), verifier))
			if err := idpCheck(t, p, a, resp.IDToken, nonce, ""); err != nil {
				t.Errorf("after IDTokenOK: Check = %v; want nil", err)
			}
		})
	}
}

func TestIdentityProvider_SetIDTokenFault_wrongSignature(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthorityFor(t)
	p.SetIDTokenFault(memory.IDTokenWrongSignature)
	resp := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword))
	if err := idpCheck(t, p, a, resp.IDToken, "", ""); err != nil {
		t.Errorf("Check = %v; want nil (only the signature is wrong)", err)
	}
	err := p.VerifyIDTokenSignature(context.Background(), a, string(resp.IDToken))
	if !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Errorf("VerifyIDTokenSignature = %v; want ErrInvalidIDToken", err)
	}
}

func TestIdentityProvider_SetIDTokenFault_algNone(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthorityFor(t)
	p.SetIDTokenFault(memory.IDTokenAlgNone)
	resp := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword))
	if _, _, err := domain.ParseIDToken(string(resp.IDToken)); !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Errorf("ParseIDToken = %v; want ErrInvalidIDToken", err)
	}
	if err := p.VerifyIDTokenSignature(context.Background(), a, string(resp.IDToken)); !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Errorf("VerifyIDTokenSignature = %v; want ErrInvalidIDToken", err)
	}
}

func TestIdentityProvider_SetIDTokenFault_otherSubjectOnRefresh(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthorityFor(t)
	p.SetIDTokenFault(memory.IDTokenOtherSubject)
	first := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword))
	_, c, _ := domain.ParseIDToken(string(first.IDToken))
	if u, _ := p.User(idpUser); c.Subject != u.Subject {
		t.Fatalf("password grant sub: got %q; want %q (the fault applies to refreshes only)", c.Subject, u.Subject)
	}
	refreshed := idpToken(t, p, idpRefreshRequest(a, idpPublicID, first.RefreshToken))
	err := idpCheck(t, p, a, refreshed.IDToken, "", c.Subject)
	if !errors.Is(err, domain.ErrInvalidIDToken) {
		t.Errorf("Check(subject %q) = %v; want ErrInvalidIDToken", c.Subject, err)
	}
}

// idpAuthorityFor is the authority of the fault tests.
func idpAuthorityFor(t testing.TB) domain.Authority { return idpAuthority(t, idpAuthorityURL) }

// idpCheck parses raw and checks it as the engine would: issuer from metadata, the
// client, the nonce sent and the account's subject (when given).
func idpCheck(t testing.TB, p *memory.IdentityProvider, a domain.Authority, raw domain.Secret, nonce, subject string) error {
	t.Helper()
	_, c, err := domain.ParseIDToken(string(raw))
	if err != nil {
		return err
	}
	meta, err := p.Metadata(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return c.Check(domain.IDTokenExpectations{Issuer: meta.Issuer, ClientID: idpPublicID, Nonce: nonce, Subject: subject, Now: idpStart})
}

func TestIdentityProvider_VerifyIDTokenSignature_refusesTampering(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthorityFor(t)
	raw := string(idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword)).IDToken)
	parts := strings.Split(raw, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), idpUser, "mallory@contoso.example", 1)
	enc := base64.RawURLEncoding.EncodeToString
	other, _ := idpNew(t)
	foreign := string(idpToken(t, other, idpPasswordRequest(a, idpUser, idpPassword)).IDToken)
	tests := []struct{ name, token string }{
		{"payload changed", parts[0] + "." + enc([]byte(forged)) + "." + parts[2]},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:20]},
		{"signature empty", parts[0] + "." + parts[1] + "."},
		{"alg none", enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."},
		{"alg HS256", enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]},
		{"alg RS256", enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]},
		{"another provider's key", foreign},
		{"not a JWS", "abc"},
		{"header not JSON", enc([]byte("{")) + "." + parts[1] + "." + parts[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.VerifyIDTokenSignature(context.Background(), a, tt.token)
			if !errors.Is(err, domain.ErrInvalidIDToken) {
				t.Fatalf("VerifyIDTokenSignature = %v; want ErrInvalidIDToken", err)
			}
			if !strings.Contains(err.Error(), "memory: verify ID token") || strings.Contains(err.Error(), parts[2]) {
				t.Errorf("error %q: want the operation named and no token quoted", err)
			}
		})
	}
	if err := p.VerifyIDTokenSignature(context.Background(), a, raw); err != nil {
		t.Errorf("VerifyIDTokenSignature(untouched) = %v; want nil", err)
	}
}

func TestIdentityProvider_VerifyIDTokenSignature_RS256(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := idpNew(t, func(c *memory.ProviderConfig) { c.SigningAlg, c.SigningKey = memory.AlgRS256, key })
	a := idpAuthorityFor(t)
	raw := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword)).IDToken
	if h, _, err := domain.ParseIDToken(string(raw)); err != nil || h.Alg != "RS256" || h.Kid == "" {
		t.Fatalf("header = %+v, %v; want alg RS256 with a kid", h, err)
	}
	if err := p.VerifyIDTokenSignature(context.Background(), a, string(raw)); err != nil {
		t.Errorf("VerifyIDTokenSignature = %v; want nil", err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clock := memory.NewClock(idpStart)
	cfg := idpConfig(clock)
	cfg.SigningAlg, cfg.SigningKey = memory.AlgRS256, ec
	if _, err := memory.NewIdentityProvider(cfg); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("NewIdentityProvider(RS256 with an EC key) = %v; want ErrInvalidInput", err)
	}
}

func TestIdentityProvider_Token_concurrent(t *testing.T) {
	p, _ := idpNew(t)
	a := idpAuthorityFor(t)
	rt := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword)).RefreshToken
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var req domain.TokenRequest
			switch i % 3 {
			case 0:
				req = idpPasswordRequest(a, idpUser, idpPassword)
			case 1:
				req = idpRefreshRequest(a, idpPublicID, rt)
			default:
				req = domain.TokenRequest{Authority: a, ClientID: idpDaemonID, Grant: domain.GrantClientCredentials,
					Scopes: []string{idpDefaultScope}, Credential: domain.ClientCredential{Secret: idpSecret}}
			}
			if i%10 == 0 {
				p.FailNext(domain.GrantClientCredentials, &domain.Error{Code: "server_error", HTTPStatus: 500})
				p.SetIDTokenFault(memory.IDTokenOK)
			}
			if _, err := p.Token(context.Background(), req); err != nil && !errors.Is(err, domain.ErrUnavailable) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Token = %v; want success or the scripted failure", err)
	}
	total := p.Calls(domain.GrantPassword) + p.Calls(domain.GrantRefreshToken) + p.Calls(domain.GrantClientCredentials)
	if total != n+1 {
		t.Errorf("calls: got %d; want %d", total, n+1)
	}
}

func TestIdentityProvider_Token_concurrentRotation(t *testing.T) {
	p, _ := idpNew(t, func(c *memory.ProviderConfig) { c.RotateRefreshTokens = true })
	a := idpAuthorityFor(t)
	rt := idpToken(t, p, idpPasswordRequest(a, idpUser, idpPassword)).RefreshToken
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Token(context.Background(), idpRefreshRequest(a, idpPublicID, rt))
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, domain.ErrInteractionRequired) {
				t.Errorf("Token = %v; want success or a refused refresh", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("redemptions of one rotating refresh token: got %d successes; want exactly 1", won)
	}
}
