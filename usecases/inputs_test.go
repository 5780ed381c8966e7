package usecases_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// flowsOf builds every flow on f's ports (a confidential client, so that client
// credentials exists too).
type flowSet struct {
	silent   *usecases.Silent
	authCode *usecases.AuthCode
	password *usecases.UsernamePassword
	refresh  *usecases.RefreshTokenRedeemer
	code     *usecases.LegacyCode
	client   *usecases.ClientCredentials
	accounts *usecases.Accounts
}

func flowsOf(t *testing.T, f *fixture) flowSet {
	t.Helper()
	f.cfg.Credential = domain.ClientCredential{Secret: "client-secret"}
	var s flowSet
	var err error
	must := func(e error) {
		if e != nil {
			t.Fatal(e)
		}
	}
	s.silent, err = usecases.NewSilent(f.cfg, f.deps())
	must(err)
	s.authCode, err = usecases.NewAuthCode(f.cfg, f.deps())
	must(err)
	s.password, err = usecases.NewUsernamePassword(f.cfg, f.deps())
	must(err)
	s.refresh, err = usecases.NewRefreshTokenRedeemer(f.cfg, f.deps())
	must(err)
	s.code, err = usecases.NewLegacyCode(f.cfg, f.deps())
	must(err)
	s.client, err = usecases.NewClientCredentials(f.cfg, f.deps())
	must(err)
	s.accounts, err = usecases.NewAccounts(f.cfg, f.deps())
	must(err)
	return s
}

// flowCall is one call of a flow, made with ctx.
type flowCall struct {
	name string
	call func(ctx context.Context, s flowSet) error
}

var (
	okScopes = []string{"read"}
	okAcct   = domain.Account{HomeAccountID: testHome}
	okRedir  = "https://app.example/cb"
)

func errOf[T any](_ T, err error) error { return err }

// badInputCalls are calls each refused for one input past its bound or malformed; bad
// is the value refused (it must not appear in the error).
func badInputCalls() []struct {
	flowCall
	bad string
} {
	long := func(n int) string { return strings.Repeat("x", n+1) }
	manyScopes := make([]string, domain.MaxScopeCount+1)
	for i := range manyScopes {
		manyScopes[i] = "s" + strings.Repeat("y", i%7) + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
	}
	type bc = struct {
		flowCall
		bad string
	}
	hugeScope := long(domain.MaxScopesBytes)
	return []bc{
		{flowCall{"silent: scope past the size bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.silent.Acquire(ctx, usecases.SilentRequest{Scopes: []string{hugeScope}, Account: okAcct}))
		}}, hugeScope},
		{flowCall{"silent: too many scopes", func(ctx context.Context, s flowSet) error {
			return errOf(s.silent.Acquire(ctx, usecases.SilentRequest{Scopes: manyScopes, Account: okAcct}))
		}}, ""},
		{flowCall{"silent: scope with a line break", func(ctx context.Context, s flowSet) error {
			return errOf(s.silent.Acquire(ctx, usecases.SilentRequest{Scopes: []string{"read\r\nX-Injected: yes"}, Account: okAcct}))
		}}, "X-Injected"},
		{flowCall{"silent: claims past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.silent.Acquire(ctx, usecases.SilentRequest{Scopes: okScopes, Account: okAcct, Claims: long(domain.MaxClaimsBytes)}))
		}}, long(domain.MaxClaimsBytes)},
		{flowCall{"silent: correlation id with a line break", func(ctx context.Context, s flowSet) error {
			return errOf(s.silent.Acquire(ctx, usecases.SilentRequest{Scopes: okScopes, Account: okAcct, CorrelationID: "id\r\nX-Injected: yes"}))
		}}, "X-Injected"},
		{flowCall{"initiate: http redirect URI to another host", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.Initiate(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: "http://app.example/cb-secret-path"}))
		}}, "cb-secret-path"},
		{flowCall{"initiate: redirect URI past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.Initiate(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir + long(domain.MaxRedirectURIBytes)}))
		}}, long(domain.MaxRedirectURIBytes)},
		{flowCall{"initiate: state past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.Initiate(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir, State: long(domain.MaxStateBytes)}))
		}}, long(domain.MaxStateBytes)},
		{flowCall{"initiate: login hint past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.Initiate(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir, LoginHint: long(domain.MaxHintBytes)}))
		}}, long(domain.MaxHintBytes)},
		{flowCall{"authorization URL: domain hint with a control character", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.AuthorizationURL(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir, DomainHint: "contoso\x1b[31m.com"}))
		}}, "contoso\x1b"},
		{flowCall{"complete: correlation id past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.CompleteWith(ctx, domain.AuthCodeFlow{}, url.Values{}, usecases.Completion{CorrelationID: long(domain.MaxCorrelationIDBytes)}))
		}}, long(domain.MaxCorrelationIDBytes)},
		{flowCall{"password: username past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.password.Acquire(ctx, usecases.PasswordRequest{Username: long(domain.MaxUsernameBytes), Password: "pw", Scopes: okScopes}))
		}}, long(domain.MaxUsernameBytes)},
		{flowCall{"password: password past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.password.Acquire(ctx, usecases.PasswordRequest{Username: "alice", Password: domain.Secret(long(domain.MaxPasswordBytes)), Scopes: okScopes}))
		}}, long(domain.MaxPasswordBytes)},
		{flowCall{"password: claims not UTF-8", func(ctx context.Context, s flowSet) error {
			return errOf(s.password.Acquire(ctx, usecases.PasswordRequest{Username: "alice", Password: "pw", Scopes: okScopes, Claims: "{\xff}"}))
		}}, ""},
		{flowCall{"refresh token: past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.refresh.Acquire(ctx, usecases.RefreshTokenRequest{RefreshToken: domain.Secret(long(domain.MaxRefreshTokenBytes)), Scopes: okScopes}))
		}}, long(domain.MaxRefreshTokenBytes)},
		{flowCall{"refresh token: account without a home account id", func(ctx context.Context, s flowSet) error {
			return errOf(s.refresh.Acquire(ctx, usecases.RefreshTokenRequest{RefreshToken: "rt", Scopes: okScopes, Account: &domain.Account{Username: "alice"}}))
		}}, ""},
		{flowCall{"authorization code: code past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.code.Acquire(ctx, usecases.CodeRequest{Code: domain.Secret(long(domain.MaxCodeBytes)), RedirectURI: okRedir, Scopes: okScopes}))
		}}, long(domain.MaxCodeBytes)},
		{flowCall{"authorization code: code with control bytes", func(ctx context.Context, s flowSet) error {
			return errOf(s.code.Acquire(ctx, usecases.CodeRequest{Code: "code\x00\x01-secret", RedirectURI: okRedir, Scopes: okScopes}))
		}}, "code\x00\x01-secret"},
		{flowCall{"authorization code: code verifier past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.code.Acquire(ctx, usecases.CodeRequest{Code: "c", RedirectURI: okRedir, Scopes: okScopes, CodeVerifier: domain.Secret(long(domain.MaxPKCEBytes))}))
		}}, long(domain.MaxPKCEBytes)},
		{flowCall{"authorization code: nonce with a line break", func(ctx context.Context, s flowSet) error {
			return errOf(s.code.Acquire(ctx, usecases.CodeRequest{Code: "c", RedirectURI: okRedir, Scopes: okScopes, Nonce: "nonce\r\nX-Injected: 1"}))
		}}, "X-Injected"},
		{flowCall{"initiate: prompt with a line break", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.Initiate(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir, Prompt: "login\r\nX-Injected: 1"}))
		}}, "X-Injected"},
		{flowCall{"authorization URL: code challenge past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.AuthorizationURL(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir, CodeChallenge: long(domain.MaxPKCEBytes)}))
		}}, long(domain.MaxPKCEBytes)},
		{flowCall{"authorization code: http redirect URI", func(ctx context.Context, s flowSet) error {
			return errOf(s.code.Acquire(ctx, usecases.CodeRequest{Code: "c", RedirectURI: "http://app.example/cb", Scopes: okScopes}))
		}}, "app.example"},
		{flowCall{"client credentials: scope character outside RFC 6749", func(ctx context.Context, s flowSet) error {
			return errOf(s.client.Acquire(ctx, usecases.ClientRequest{Scopes: []string{`https://graph/"quoted"`}}))
		}}, `"quoted"`},
		{flowCall{"client credentials: claims past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.client.Acquire(ctx, usecases.ClientRequest{Scopes: okScopes, Claims: long(domain.MaxClaimsBytes)}))
		}}, long(domain.MaxClaimsBytes)},
		{flowCall{"accounts: username filter past the bound", func(ctx context.Context, s flowSet) error {
			return errOf(s.accounts.List(ctx, long(domain.MaxUsernameBytes)))
		}}, long(domain.MaxUsernameBytes)},
	}
}

// TestFlows_inputCheckedBeforeAnyPortCall: every bound is ErrInvalidInput before any
// provider or store call (the gomock ports fail the test on any call), and the error
// never quotes the input.
func TestFlows_inputCheckedBeforeAnyPortCall(t *testing.T) {
	for _, tc := range badInputCalls() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t) // no expectations: any port call fails the test
			err := tc.call(testContext(t), flowsOf(t, f))
			var de *domain.Error
			if !errors.As(err, &de) || de.Class != domain.ErrInvalidInput {
				t.Fatalf("error = %v; want a *domain.Error of class invalid_input", err)
			}
			// The first 32 bytes: a message quoting a long value would be cut short.
			if bad := tc.bad[:min(len(tc.bad), 32)]; bad != "" && strings.Contains(err.Error(), bad) {
				t.Errorf("error %.200q quotes the refused input", err)
			}
		})
	}
}

// everyFlowCall makes one valid call of each flow.
func everyFlowCall() []flowCall {
	return []flowCall{
		{"silent", func(ctx context.Context, s flowSet) error {
			return errOf(s.silent.Acquire(ctx, usecases.SilentRequest{Scopes: okScopes, Account: okAcct}))
		}},
		{"initiate", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.Initiate(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir}))
		}},
		{"authorization URL", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.AuthorizationURL(ctx, usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir}))
		}},
		{"complete", func(ctx context.Context, s flowSet) error {
			return errOf(s.authCode.Complete(ctx, domain.AuthCodeFlow{}, url.Values{}))
		}},
		{"password", func(ctx context.Context, s flowSet) error {
			return errOf(s.password.Acquire(ctx, usecases.PasswordRequest{Username: "alice", Password: "pw", Scopes: okScopes}))
		}},
		{"refresh token", func(ctx context.Context, s flowSet) error {
			return errOf(s.refresh.Acquire(ctx, usecases.RefreshTokenRequest{RefreshToken: "rt", Scopes: okScopes}))
		}},
		{"authorization code", func(ctx context.Context, s flowSet) error {
			return errOf(s.code.Acquire(ctx, usecases.CodeRequest{Code: "c", RedirectURI: okRedir, Scopes: okScopes}))
		}},
		{"client credentials", func(ctx context.Context, s flowSet) error {
			return errOf(s.client.Acquire(ctx, usecases.ClientRequest{Scopes: okScopes}))
		}},
		{"accounts list", func(ctx context.Context, s flowSet) error { return errOf(s.accounts.List(ctx, "")) }},
		{"accounts remove", func(ctx context.Context, s flowSet) error { return s.accounts.Remove(ctx, okAcct) }},
	}
}

// TestFlows_nilContextIsInvalidInput: a nil context is the caller's mistake, reported
// as ErrInvalidInput before any port call, never a panic in an adapter.
func TestFlows_nilContextIsInvalidInput(t *testing.T) {
	for _, tc := range everyFlowCall() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var nilCtx context.Context
			if err := tc.call(nilCtx, flowsOf(t, f)); !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("error = %v; want invalid_input", err)
			}
		})
	}
}

// TestFlows_doneContextIsUnavailableBeforeAnyPortCall: a context already past its
// deadline (or cancelled) is ErrUnavailable wrapping it, and no port is called.
func TestFlows_doneContextIsUnavailableBeforeAnyPortCall(t *testing.T) {
	for _, tc := range everyFlowCall() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx, cancel := context.WithDeadline(context.Background(), t0)
			defer cancel()
			err := tc.call(ctx, flowsOf(t, f))
			if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error = %v; want unavailable wrapping context.DeadlineExceeded", err)
			}
			cctx, ccancel := context.WithCancel(context.Background())
			ccancel()
			if err := tc.call(cctx, flowsOf(t, f)); !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.Canceled) {
				t.Fatalf("error = %v; want unavailable wrapping context.Canceled", err)
			}
		})
	}
}

// TestAuthCode_Complete_repeatedParameterRefusedBeforeNetwork: a redirect that repeats a
// parameter is ErrStateMismatch before any provider call, and does not use the flow up:
// the real redirect still completes it.
func TestAuthCode_Complete_repeatedParameterRefusedBeforeNetwork(t *testing.T) {
	f := newFixture(t)
	a := newAuthCode(t, f)
	flow := initiate(t, f, a)
	for _, q := range []url.Values{
		{"state": {flow.State, flow.State}, "code": {"the-code"}},
		{"state": {flow.State}, "code": {"attacker-code", "the-code"}},
		{"state": {flow.State}, "code": {"the-code"}, "iss": {testIssuer, "https://evil.example/"}},
		{"state": {flow.State}, "error": {"access_denied", "server_error"}},
		{"state": {flow.State + strings.Repeat("s", domain.MaxStateBytes)}, "code": {"the-code"}},
	} {
		_, err := a.Complete(testContext(t), flow, q) // no Metadata expected yet: a call fails the test
		if !errors.Is(err, domain.ErrStateMismatch) {
			t.Fatalf("Complete(%.100v) = %v; want state_mismatch", q, err)
		}
		if strings.Contains(err.Error(), "attacker-code") || strings.Contains(err.Error(), "evil") {
			t.Errorf("Complete error %q quotes a value of the response", err)
		}
	}
	f.expectMetadata()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		resp := f.tokenResponse(t, testHome)
		resp.IDToken = idToken(t, f.claimsFor(testHome, flow.Nonce))
		return resp, nil
	})
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, nil)
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
	if _, err := a.Complete(testContext(t), flow, okQuery(flow)); err != nil {
		t.Fatalf("Complete with the real redirect after refused ones = %v; want nil (the flow must still be usable)", err)
	}
}

// TestAuthCode_Complete_errorResponseIssuer: an error response is the provider's only
// when its iss is the provider's (RFC 9207): a foreign iss, or none where the provider
// says it sends one, is an issuer mismatch, and nothing is redeemed.
func TestAuthCode_Complete_errorResponseIssuer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		iss       []string
		required  bool
		wantClass domain.ErrorCode
	}{
		{name: "foreign iss", iss: []string{"https://evil.example/"}, wantClass: domain.ErrInvalidResponse},
		{name: "iss required, absent", required: true, wantClass: domain.ErrInvalidResponse},
		{name: "iss required, the provider's", iss: []string{testIssuer}, required: true, wantClass: domain.ErrAccessDenied},
		{name: "iss optional, absent", wantClass: domain.ErrAccessDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a := newAuthCode(t, f)
			flow := initiate(t, f, a)
			f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).Return(domain.ProviderMetadata{
				Authority: f.authority, Issuer: testIssuer, TokenEndpoint: f.authority.URL + "/token",
				AuthorizationEndpoint: f.authority.URL + "/authorize", IssuerInResponse: tc.required,
			}, nil).AnyTimes()
			q := url.Values{"state": {flow.State}, "error": {"access_denied"}, "error_description": {"declined"}}
			if tc.iss != nil {
				q["iss"] = tc.iss
			}
			_, err := a.Complete(testContext(t), flow, q)
			var de *domain.Error
			if !errors.As(err, &de) || de.Class != tc.wantClass {
				t.Fatalf("Complete = %v; want class %q", err, tc.wantClass)
			}
			if tc.wantClass == domain.ErrInvalidResponse && de.Code != "" {
				t.Errorf("issuer mismatch carries the response's error code %q; want none (it is not the provider's error)", de.Code)
			}
		})
	}
}

// bareDeadline is what an adapter that returns ctx.Err() as is hands back.
var bareDeadline = context.DeadlineExceeded

// wantUnavailable fails unless err is ErrUnavailable and still matches cause.
func wantUnavailable(t *testing.T, call string, err, cause error) {
	t.Helper()
	if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, cause) {
		t.Fatalf("%s = %v (%T); want unavailable wrapping %v", call, err, err, cause)
	}
}

// TestFlows_deadlineFromTheProviderIsUnavailable: a provider call that ends with a bare
// context error is ErrUnavailable on every flow that redeems a grant, the error still
// matching the context error (the CLI exits 5 on every one of them).
func TestFlows_deadlineFromTheProviderIsUnavailable(t *testing.T) {
	for _, cause := range []error{context.DeadlineExceeded, context.Canceled} {
		t.Run("silent refresh/"+cause.Error(), func(t *testing.T) {
			f := newFixture(t)
			s := flowsOf(t, f)
			rt := f.refreshToken(testClient, "", "rt-1")
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{RefreshTokens: []domain.RefreshToken{rt}, Accounts: []domain.Account{f.account()}}, nil).AnyTimes()
			f.lockRunsCallback()
			f.expectMetadata()
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{}, cause)
			_, err := s.silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: okScopes, Account: f.account()})
			wantUnavailable(t, "silent.Acquire", err, cause)
		})
		t.Run("client credentials/"+cause.Error(), func(t *testing.T) {
			f := newFixture(t)
			s := flowsOf(t, f)
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, nil).AnyTimes()
			f.lockRunsCallback()
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{}, cause)
			_, err := s.client.Acquire(testContext(t), usecases.ClientRequest{Scopes: okScopes})
			wantUnavailable(t, "client.Acquire", err, cause)
		})
		t.Run("password/"+cause.Error(), func(t *testing.T) {
			f := newFixture(t)
			s := flowsOf(t, f)
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{}, cause)
			_, err := s.password.Acquire(testContext(t), usecases.PasswordRequest{Username: "alice", Password: "pw", Scopes: okScopes})
			wantUnavailable(t, "password.Acquire", err, cause)
		})
		t.Run("auth code metadata/"+cause.Error(), func(t *testing.T) {
			f := newFixture(t)
			a := newAuthCode(t, f)
			flow := initiate(t, f, a)
			f.idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).Return(domain.ProviderMetadata{}, cause)
			_, err := a.Complete(testContext(t), flow, okQuery(flow))
			wantUnavailable(t, "authCode.Complete", err, cause)
		})
		t.Run("initiate/"+cause.Error(), func(t *testing.T) {
			f := newFixture(t)
			a := newAuthCode(t, f)
			f.idp.EXPECT().AuthorizationURL(gomock.Any(), gomock.Any(), gomock.Any()).Return("", cause)
			_, err := a.Initiate(testContext(t), usecases.AuthCodeRequest{Scopes: okScopes, RedirectURI: okRedir})
			wantUnavailable(t, "authCode.Initiate", err, cause)
		})
	}
}

// TestFlows_deadlineInAStoreCallIsCacheStore: a context error from a store call is
// ErrCacheStore wrapping it, whether the store wrapped it already or returned it bare,
// so that every store reports a deadline the same way; a context error from the
// provider under the store's refresh lock stays the provider's (ErrUnavailable).
func TestFlows_deadlineInAStoreCallIsCacheStore(t *testing.T) {
	wantStore := func(t *testing.T, call string, err error) {
		t.Helper()
		if !errors.Is(err, domain.ErrCacheStore) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s = %v; want cache_store wrapping context.DeadlineExceeded", call, err)
		}
	}
	t.Run("silent read", func(t *testing.T) {
		f := newFixture(t)
		s := flowsOf(t, f)
		f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, bareDeadline)
		_, err := s.silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: okScopes, Account: f.account()})
		wantStore(t, "silent.Acquire", err)
	})
	t.Run("client credentials lock", func(t *testing.T) {
		f := newFixture(t)
		s := flowsOf(t, f)
		f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, nil)
		f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).Return(bareDeadline)
		_, err := s.client.Acquire(testContext(t), usecases.ClientRequest{Scopes: okScopes})
		wantStore(t, "client.Acquire", err)
	})
	t.Run("silent lock", func(t *testing.T) {
		f := newFixture(t)
		s := flowsOf(t, f)
		rt := f.refreshToken(testClient, "", "rt-1")
		f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{RefreshTokens: []domain.RefreshToken{rt}}, nil)
		f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).Return(bareDeadline)
		_, err := s.silent.Acquire(testContext(t), usecases.SilentRequest{Scopes: okScopes, Account: f.account()})
		wantStore(t, "silent.Acquire", err)
	})
	t.Run("refresh token account read", func(t *testing.T) {
		f := newFixture(t)
		s := flowsOf(t, f)
		f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, bareDeadline)
		acct := f.account()
		_, err := s.refresh.Acquire(testContext(t), usecases.RefreshTokenRequest{RefreshToken: "rt", Scopes: okScopes, Account: &acct})
		wantStore(t, "refresh.Acquire", err)
	})
}

// TestSilent_waiterWhoseDeadlinePassesIsUnavailable: a caller waiting on another's
// shared refresh whose own deadline passes gets ErrUnavailable wrapping
// context.DeadlineExceeded, not the bare context error.
func TestSilent_waiterWhoseDeadlinePassesIsUnavailable(t *testing.T) {
	f := newFixture(t)
	s := flowsOf(t, f)
	rt := f.refreshToken(testClient, "", "rt-1")
	// The waiter's context ends right after its cache read, so that it is waiting on the
	// shared refresh (not refused at the start) when it ends.
	type cancelKey struct{}
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, _ domain.CacheQuery) (domain.CacheEntries, error) {
		if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
			cancel()
		}
		return domain.CacheEntries{RefreshTokens: []domain.RefreshToken{rt}, Accounts: []domain.Account{f.account()}}, nil
	}).AnyTimes()
	f.lockRunsCallback()
	f.expectMetadata()
	entered, release := make(chan struct{}), make(chan struct{})
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.TokenRequest) (domain.TokenResponse, error) {
		close(entered)
		<-release
		return domain.TokenResponse{}, domain.Errorf(domain.ErrUnavailable, "test: the first call fails")
	})
	req := usecases.SilentRequest{Scopes: okScopes, Account: f.account()}
	first := make(chan error, 1)
	go func() {
		_, err := s.silent.Acquire(testContext(t), req)
		first <- err
	}()
	<-entered
	ctx, cancel := context.WithCancel(testContext(t))
	_, err := s.silent.Acquire(context.WithValue(ctx, cancelKey{}, cancel), req)
	close(release)
	<-first
	if !errors.Is(err, domain.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter's Acquire = %v (%T); want unavailable wrapping context.Canceled", err, err)
	}
}
