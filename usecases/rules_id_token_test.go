package usecases_test

import (
	"errors"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// Every ID token the engine receives, from any flow, is checked for iss, aud, azp and
// exp (DESIGN §3 "Every ID token"); silent and auth-code flows have tests of their own.

// userFlow redeems one grant through a user flow that returns the provider's ID token.
type userFlow struct {
	name  string
	nonce string // the nonce the flow sends, if any
	run   func(t *testing.T, f *fixture) (domain.AuthResult, error)
}

func userFlows() []userFlow {
	return []userFlow{
		{name: "username/password", run: func(t *testing.T, f *fixture) (domain.AuthResult, error) {
			u, err := usecases.NewUsernamePassword(f.cfg, f.deps())
			if err != nil {
				t.Fatal(err)
			}
			return u.Acquire(testContext(t), usecases.PasswordRequest{Username: "alice", Password: "pw", Scopes: []string{"read"}})
		}},
		{name: "refresh token", run: func(t *testing.T, f *fixture) (domain.AuthResult, error) {
			r, err := usecases.NewRefreshTokenRedeemer(f.cfg, f.deps())
			if err != nil {
				t.Fatal(err)
			}
			return r.Acquire(testContext(t), usecases.RefreshTokenRequest{RefreshToken: "migrated-rt", Scopes: []string{"read"}})
		}},
		{name: "legacy code", nonce: "nonce-1", run: func(t *testing.T, f *fixture) (domain.AuthResult, error) {
			l, err := usecases.NewLegacyCode(f.cfg, f.deps())
			if err != nil {
				t.Fatal(err)
			}
			return l.Acquire(testContext(t), usecases.CodeRequest{Code: "the-code", RedirectURI: "https://app.example/cb", Scopes: []string{"read"}, Nonce: "nonce-1"})
		}},
	}
}

func TestUserFlows_refuseAnIDTokenFailingItsClaimChecksAndStoreNothing(t *testing.T) {
	for _, flow := range userFlows() {
		for _, tc := range []struct {
			name   string
			mutate func(map[string]any)
			want   domain.ErrorCode // "" : accepted and stored
		}{
			{name: "valid", mutate: func(map[string]any) {}},
			{name: "another issuer", mutate: func(c map[string]any) { c["iss"] = "https://evil.example/" }, want: domain.ErrInvalidIDToken},
			{name: "another audience", mutate: func(c map[string]any) { c["aud"] = "another-client" }, want: domain.ErrInvalidIDToken},
			{name: "audiences without the client", mutate: func(c map[string]any) { c["aud"] = []string{"a", "b"} }, want: domain.ErrInvalidIDToken},
			{name: "extra audience with azp the client", mutate: func(c map[string]any) { c["aud"], c["azp"] = []string{testClient, "api"}, testClient }},
			{name: "extra audience without azp", mutate: func(c map[string]any) { c["aud"] = []string{testClient, "api"} }, want: domain.ErrInvalidIDToken},
			{name: "azp another party", mutate: func(c map[string]any) { c["azp"] = "api" }, want: domain.ErrInvalidIDToken},
			{name: "expired", mutate: func(c map[string]any) { c["exp"] = t0.Add(-time.Hour).Unix() }, want: domain.ErrInvalidIDToken},
		} {
			t.Run(flow.name+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t)
				f.expectMetadata()
				claims := f.claimsFor(testHome, flow.nonce)
				tc.mutate(claims)
				resp := f.tokenResponse(t, testHome)
				resp.IDToken = idToken(t, claims)
				f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
				f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
				if tc.want == "" {
					f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{}, nil)
					f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
				} // else no store call: the strict mock fails the test on a Find or a Write
				res, err := flow.run(t, f)
				if tc.want == "" {
					if err != nil || res.AccessToken != "new-at" {
						t.Fatalf("Acquire = (%q, %v); want the new token", string(res.AccessToken), err)
					}
					return
				}
				if !errors.Is(err, tc.want) || res.AccessToken != "" || res.RefreshToken != "" {
					t.Fatalf("Acquire = (token returned %v, %v); want %v and no token", res.AccessToken != "", err, tc.want)
				}
			})
		}
	}
}
