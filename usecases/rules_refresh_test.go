package usecases_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// Which refresh token a silent refresh redeems, and what it accepts back (DESIGN §3
// "Silent acquisition" step 3 and "Every ID token").

// A refresh for an Entra account whose client_info names the same home account but
// whose ID token names another sub is refused: the cached account's subject is checked
// on its own, not only through the home account id.
func TestSilent_Acquire_refreshKeepingHomeAccountButChangingSubIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sub    string
		stored bool
	}{
		{"same sub is stored", "sub-alice", true},
		{"other sub stores nothing", "sub-mallory", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := entraFixture(t, "https://login.microsoftonline.com/"+tenantA)
			const env = "login.microsoftonline.com"
			acct := domain.Account{HomeAccountID: entraID, Environment: env, Realm: tenantA, Username: "alice@a.example"}
			cachedClaims := f.claimsFor("sub-alice", "")
			cachedClaims["tid"], cachedClaims["oid"] = tenantA, entraUID
			rt := f.refreshToken(testClient, "", "rt-1")
			rt.HomeAccountID, rt.Environment = entraID, env
			f.find(domain.CacheEntries{
				RefreshTokens: []domain.RefreshToken{rt}, Accounts: []domain.Account{acct},
				IDTokens: []domain.IDToken{{HomeAccountID: entraID, Environment: env, ClientID: testClient, Realm: tenantA, Secret: idToken(t, cachedClaims)}},
			}).AnyTimes()
			f.expectMetadata()
			f.lockRunsCallback()
			claims := f.claimsFor(tc.sub, "")
			claims["tid"], claims["oid"] = tenantA, entraUID
			resp := f.tokenResponse(t, tc.sub)
			resp.IDToken = idToken(t, claims)
			resp.ClientInfo = clientInfo(t, entraUID, tenantA) // the same home account: entraID
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(resp, nil)
			f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			// Writes are counted rather than refused by the mock: a mock failure inside the
			// shared refresh would leave the caller waiting for its deadline.
			var writes atomic.Int32
			f.store.EXPECT().Write(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.CacheWrite) error {
				writes.Add(1)
				return nil
			}).AnyTimes()
			res, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: acct})
			if tc.stored {
				if err != nil || res.AccessToken != "new-at" || writes.Load() != 1 {
					t.Fatalf("Acquire = (%q, %v) after %d writes; want the refreshed token, stored once", string(res.AccessToken), err, writes.Load())
				}
				return
			}
			if !errors.Is(err, domain.ErrInvalidIDToken) || res.AccessToken != "" || writes.Load() != 0 {
				t.Fatalf("Acquire = (%q, %v) after %d writes; want ErrInvalidIDToken and nothing stored: the ID token names sub %q, the cached account sub-alice",
					string(res.AccessToken), err, writes.Load(), tc.sub)
			}
		})
	}
}

// Only invalid_grant on the family refresh token falls back to the app's own (DESIGN §3
// step 3). A provider that is down or throttling is not asked again with another token:
// the caller gets the provider's error after one request.
func TestSilent_Acquire_familyTokenFailingOtherwiseThanInvalidGrantIsNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   domain.ErrorCode
	}{
		{"503", 503, ``, domain.ErrUnavailable},
		{"429", 429, `{"error":"temporarily_unavailable"}`, domain.ErrThrottled},
		// Interaction required, not a refused token: the app's own token would meet the
		// same requirement.
		{"interaction_required", 400, `{"error":"interaction_required","error_description":"AADSTS50079: MFA enrollment required"}`, domain.ErrInteractionRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.find(domain.CacheEntries{
				RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "own-rt"), f.refreshToken("other-app", "1", "family-rt")},
				Accounts:      []domain.Account{f.account()},
			}).AnyTimes()
			f.lockRunsCallback()
			var sent []string
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
				sent = append(sent, string(r.RefreshToken))
				// What the provider adapter makes of the answer (an empty body included).
				return domain.ParseTokenResponse(domain.GrantRefreshToken, tc.status, []byte(tc.body))
			}).AnyTimes()
			_, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
			if strings.Join(sent, ",") != "family-rt" {
				t.Fatalf("refresh tokens sent: %v; want the family token only", sent)
			}
			var de *domain.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &de) || de.HTTPStatus != tc.status {
				t.Fatalf("Acquire error = %v; want %v with HTTP %d from the one request", err, tc.want, tc.status)
			}
		})
	}
}

// When the app's metadata says it is in family "1", a refresh token of family "2" (another
// family of apps) is never sent: it is not this app's family's token.
func TestSilent_Acquire_refreshTokenOfAnotherFamilyIsNotUsed(t *testing.T) {
	meta := func(f *fixture) []domain.AppMetadata {
		return []domain.AppMetadata{{ClientID: testClient, Environment: f.authority.Host, FamilyID: "1"}}
	}
	t.Run("with the app's own token", func(t *testing.T) {
		f := newFixture(t)
		f.find(domain.CacheEntries{
			RefreshTokens: []domain.RefreshToken{f.refreshToken("other-app", "2", "family-2-rt"), f.refreshToken(testClient, "", "own-rt")},
			Accounts:      []domain.Account{f.account()}, AppMetadata: meta(f),
		}).AnyTimes()
		f.expectMetadata()
		f.lockRunsCallback()
		var sent []string
		f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
			sent = append(sent, string(r.RefreshToken))
			return f.tokenResponse(t, testHome), nil
		})
		f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
		f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil)
		if _, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(sent, ",") != "own-rt" {
			t.Fatalf("refresh tokens sent: %v; want only the app's own (family 2 is not the app's family 1)", sent)
		}
	})
	t.Run("alone", func(t *testing.T) {
		f := newFixture(t)
		f.find(domain.CacheEntries{
			RefreshTokens: []domain.RefreshToken{f.refreshToken("other-app", "2", "family-2-rt")},
			Accounts:      []domain.Account{f.account()}, AppMetadata: meta(f),
		}).AnyTimes()
		f.lockRunsCallback()
		var sent []string
		f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
			sent = append(sent, string(r.RefreshToken))
			return domain.TokenResponse{}, &domain.Error{Class: domain.ErrInteractionRequired, Code: "invalid_grant"}
		}).AnyTimes()
		_, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()})
		if len(sent) != 0 || !errors.Is(err, domain.ErrNoTokens) {
			t.Fatalf("sent %v, error %v; want no request and ErrNoTokens: the only refresh token is of another family", sent, err)
		}
	})
}
