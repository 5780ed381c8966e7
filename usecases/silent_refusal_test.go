package usecases_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// A refused refresh token is never presented again by this engine, and only a refusal of
// the token itself counts as one (DESIGN §3 "Silent acquisition" step 5).

// refusalScene is a store holding refresh tokens for the fixture's account (none until
// setRefreshTokens) and no access token, so that every silent call refreshes, and a
// provider that answers each refresh token as answer says and records which were sent.
type refusalScene struct {
	f    *fixture
	mu   sync.Mutex
	rts  []domain.RefreshToken
	sent []string
	// scopes are those of the refresh being answered.
	scopes []string
	logs   bytes.Buffer
}

func newRefusalScene(t *testing.T, answer func(sc *refusalScene, secret string) (domain.TokenResponse, error)) *refusalScene {
	t.Helper()
	sc := &refusalScene{f: newFixture(t)}
	f := sc.f
	f.cfg.Logger = slog.New(slog.NewTextHandler(&sc.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.store.EXPECT().Find(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, domain.CacheQuery) (domain.CacheEntries, error) {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		return domain.CacheEntries{RefreshTokens: slices.Clone(sc.rts), Accounts: []domain.Account{f.account()}}, nil
	}).AnyTimes()
	f.store.EXPECT().WithRefreshLock(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.RefreshLockKey, fn func(context.Context) error) error {
			return fn(ctx)
		}).AnyTimes()
	f.store.EXPECT().Write(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.expectMetadata()
	f.idp.EXPECT().VerifyIDTokenSignature(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r domain.TokenRequest) (domain.TokenResponse, error) {
		sc.mu.Lock()
		sc.sent = append(sc.sent, string(r.RefreshToken))
		sc.scopes = r.Scopes
		sc.mu.Unlock()
		return answer(sc, string(r.RefreshToken))
	}).AnyTimes()
	return sc
}

// setRefreshTokens replaces what the store holds (as another process's write would) with
// the app's own refresh token ownRT and, unless empty, a family token familyRT of
// another app.
func (sc *refusalScene) setRefreshTokens(familyRT, ownRT string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.rts = []domain.RefreshToken{sc.f.refreshToken(testClient, "", ownRT)}
	if familyRT != "" {
		sc.rts = append(sc.rts, sc.f.refreshToken("other-app", "1", familyRT))
	}
}

func (sc *refusalScene) sentTokens() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return strings.Join(sc.sent, ",")
}

func (sc *refusalScene) acquire(t *testing.T, s *usecases.Silent) (domain.AuthResult, error) {
	t.Helper()
	return s.Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: sc.f.account()})
}

// refuse answers every refresh as the provider adapter makes of status and body.
func refuse(status int, body string) func(*refusalScene, string) (domain.TokenResponse, error) {
	return func(*refusalScene, string) (domain.TokenResponse, error) {
		return domain.ParseTokenResponse(domain.GrantRefreshToken, status, []byte(body))
	}
}

// refuseOnly refuses refused with invalid_grant and redeems every other refresh token.
func refuseOnly(t *testing.T, refused string) func(*refusalScene, string) (domain.TokenResponse, error) {
	return func(sc *refusalScene, secret string) (domain.TokenResponse, error) {
		if secret == refused {
			return refuse(400, `{"error":"invalid_grant"}`)(sc, secret)
		}
		return sc.f.tokenResponse(t, testHome), nil
	}
}

// wantRememberedRefusal checks the error of a silent call that did not present the
// refused token: interaction required, saying why, and no HTTP status since nothing was
// sent.
func wantRememberedRefusal(t *testing.T, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.As(err, &de) || !strings.Contains(de.Description, "refused earlier") || de.HTTPStatus != 0 {
		t.Fatalf("Acquire error = %v; want ErrInteractionRequired saying the cached refresh token was refused earlier, with no HTTP status", err)
	}
}

func TestSilent_Acquire_refusedRefreshTokenIsNotPresentedAgain(t *testing.T) {
	const secret = "rt-alice-secret"
	for _, tc := range []struct {
		name   string
		status int
		body   string
		code   string
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"AADSTS70008: expired"}`, "invalid_grant"},
		{"expired session", 400, `{"error":"invalid_grant","error_codes":[700082],"suberror":"bad_token"}`, "invalid_grant"},
		{"empty 400", 400, ``, ""},
		{"400 without an error code", 400, `{}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newRefusalScene(t, refuse(tc.status, tc.body))
			sc.setRefreshTokens("", secret)
			s := newSilent(t, sc.f)
			_, err := sc.acquire(t, s)
			var de *domain.Error
			if !errors.Is(err, domain.ErrInteractionRequired) || !errors.As(err, &de) || de.HTTPStatus != tc.status || de.Code != tc.code {
				t.Fatalf("first Acquire error = %v; want ErrInteractionRequired with the provider's code %q and HTTP %d", err, tc.code, tc.status)
			}
			for range 2 {
				_, err = sc.acquire(t, s)
				wantRememberedRefusal(t, err)
			}
			if got := sc.sentTokens(); got != secret {
				t.Fatalf("refresh tokens sent over three silent calls: %q; want the refused token once", got)
			}
			if errors.As(err, &de) && de.Code != tc.code {
				t.Errorf("remembered refusal has code %q; want the provider's %q", de.Code, tc.code)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(sc.logs.String(), secret) {
				t.Errorf("the refresh token appears in the error or the log")
			}
			if !strings.Contains(sc.logs.String(), "not presented again") {
				t.Errorf("log %q; want the skipped refresh token logged", sc.logs.String())
			}
		})
	}
}

// The memory is short: once the window has passed, the token is presented again.
func TestSilent_Acquire_refusedRefreshTokenIsPresentedAgainAfterTheWindow(t *testing.T) {
	sc := newRefusalScene(t, refuse(400, `{"error":"invalid_grant"}`))
	sc.setRefreshTokens("", "rt-1")
	s := newSilent(t, sc.f)
	if _, err := sc.acquire(t, s); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("first Acquire error = %v; want ErrInteractionRequired", err)
	}
	sc.f.clock.Advance(usecases.RefusalWindow - time.Second)
	_, err := sc.acquire(t, s)
	wantRememberedRefusal(t, err)
	sc.f.clock.Advance(time.Second)
	if _, err := sc.acquire(t, s); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("Acquire after the window = %v; want the provider's refusal again", err)
	}
	if got := sc.sentTokens(); got != "rt-1,rt-1" {
		t.Fatalf("refresh tokens sent: %q; want rt-1 at first and again once the window passed", got)
	}
}

// Another process rotated the refresh token: the store holds a new secret, which was
// never refused, so it is presented.
func TestSilent_Acquire_refreshTokenRotatedElsewhereIsPresented(t *testing.T) {
	sc := newRefusalScene(t, refuseOnly(t, "rt-old"))
	sc.setRefreshTokens("", "rt-old")
	s := newSilent(t, sc.f)
	if _, err := sc.acquire(t, s); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("first Acquire error = %v; want ErrInteractionRequired", err)
	}
	sc.setRefreshTokens("", "rt-new")
	res, err := sc.acquire(t, s)
	if err != nil || res.AccessToken != "new-at" {
		t.Fatalf("Acquire after another process rotated the token = (%q, %v); want the rotated token redeemed", string(res.AccessToken), err)
	}
	if got := sc.sentTokens(); got != "rt-old,rt-new" {
		t.Fatalf("refresh tokens sent: %q; want rt-old, then the rotated rt-new", got)
	}
}

// A failure that says nothing of the token — the provider down or throttling, the client
// misconfigured, an answer nobody can read — or a challenge that a later request may
// satisfy keeps its class, and the token is presented again on the next call.
func TestSilent_Acquire_failuresThatDoNotRefuseTheTokenLeaveItInUse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   domain.ErrorCode
	}{
		{"503", 503, ``, domain.ErrUnavailable},
		{"503 HTML", 503, `<html><body>Service Unavailable</body></html>`, domain.ErrUnavailable},
		{"429", 429, `{"error":"invalid_grant"}`, domain.ErrThrottled},
		{"invalid_client", 401, `{"error":"invalid_client"}`, domain.ErrInvalidClient},
		{"unauthorized_client", 400, `{"error":"unauthorized_client"}`, domain.ErrInvalidClient},
		{"unsupported_grant_type", 400, `{"error":"unsupported_grant_type"}`, domain.ErrInvalidClient},
		{"invalid_request", 400, `{"error":"invalid_request","error_description":"AADSTS900144: missing parameter"}`, domain.ErrInvalidClient},
		{"empty 401", 401, ``, domain.ErrInvalidClient},
		{"empty 403", 403, ``, domain.ErrAccessDenied},
		{"unknown code", 400, `{"error":"weird_code"}`, domain.ErrInvalidGrant},
		{"HTML 400", 400, `<html><body>Bad Request</body></html>`, domain.ErrUnavailable},
		{"MFA challenge", 400, `{"error":"invalid_grant","suberror":"basic_action","error_codes":[50076]}`, domain.ErrInteractionRequired},
		{"consent for these scopes", 400, `{"error":"invalid_grant","suberror":"consent_required","error_codes":[65001]}`, domain.ErrInteractionRequired},
		{"claims challenge", 400, `{"error":"interaction_required","claims":"{\"access_token\":{}}"}`, domain.ErrInteractionRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newRefusalScene(t, refuse(tc.status, tc.body))
			sc.setRefreshTokens("", "rt-1")
			s := newSilent(t, sc.f)
			for i := range 2 {
				_, err := sc.acquire(t, s)
				var de *domain.Error
				if !errors.Is(err, tc.want) || !errors.As(err, &de) || de.HTTPStatus != tc.status {
					t.Fatalf("Acquire %d error = %v; want %v with HTTP %d", i+1, err, tc.want, tc.status)
				}
				if tc.want != domain.ErrInteractionRequired && errors.Is(err, domain.ErrInteractionRequired) {
					t.Fatalf("Acquire %d error = %v; want it not interaction required: signing in again cannot cure it", i+1, err)
				}
			}
			if got := sc.sentTokens(); got != "rt-1,rt-1" {
				t.Fatalf("refresh tokens sent over two silent calls: %q; want rt-1 each time", got)
			}
		})
	}
}

// A refused family token still falls back to the app's own (DESIGN §3 step 3); once
// remembered, it is skipped and the app's own presented first.
func TestSilent_Acquire_rememberedFamilyTokenIsSkippedForTheAppsOwn(t *testing.T) {
	sc := newRefusalScene(t, refuseOnly(t, "family-rt"))
	sc.setRefreshTokens("family-rt", "own-rt")
	s := newSilent(t, sc.f)
	for i := range 2 {
		if res, err := sc.acquire(t, s); err != nil || res.AccessToken != "new-at" {
			t.Fatalf("Acquire %d = (%q, %v); want the token redeemed with the app's own refresh token", i+1, string(res.AccessToken), err)
		}
	}
	if got := sc.sentTokens(); got != "family-rt,own-rt,own-rt" {
		t.Fatalf("refresh tokens sent: %q; want the family token once, then the app's own each time", got)
	}
}

// When every candidate was refused, a silent call sends nothing.
func TestSilent_Acquire_everyRefreshTokenRefusedSendsNothing(t *testing.T) {
	sc := newRefusalScene(t, refuse(400, `{"error":"invalid_grant"}`))
	sc.setRefreshTokens("family-rt", "own-rt")
	s := newSilent(t, sc.f)
	if _, err := sc.acquire(t, s); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("first Acquire error = %v; want ErrInteractionRequired", err)
	}
	_, err := sc.acquire(t, s)
	wantRememberedRefusal(t, err)
	if got := sc.sentTokens(); got != "family-rt,own-rt" {
		t.Fatalf("refresh tokens sent: %q; want each once, on the first call", got)
	}
}

// The memory is shared by the flow's partitions and keyed by partition: a copy for the
// same partition skips the token, one for another partition presents its own.
func TestSilent_InPartition_sharesTheRefusalMemoryByPartition(t *testing.T) {
	sc := newRefusalScene(t, refuse(400, `{"error":"invalid_grant"}`))
	sc.setRefreshTokens("", "rt-1")
	s := newSilent(t, sc.f)
	if _, err := sc.acquire(t, s.InPartition("p1")); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("first Acquire error = %v; want ErrInteractionRequired", err)
	}
	_, err := sc.acquire(t, s.InPartition("p1"))
	wantRememberedRefusal(t, err)
	if _, err := sc.acquire(t, s.InPartition("p2")); !errors.Is(err, domain.ErrInteractionRequired) || strings.Contains(err.Error(), "refused earlier") {
		t.Fatalf("Acquire in another partition = %v; want the provider's refusal", err)
	}
	if got := sc.sentTokens(); got != "rt-1,rt-1" {
		t.Fatalf("refresh tokens sent: %q; want one request in p1 and one in p2", got)
	}
}

// A refusal the provider sent during this call says more than a remembered one: when the
// family token is refused now and the app's own was refused earlier, the caller gets the
// provider's answer.
func TestSilent_Acquire_freshRefusalWinsOverARememberedOne(t *testing.T) {
	sc := newRefusalScene(t, refuse(400, `{"error":"invalid_grant","error_description":"revoked"}`))
	sc.setRefreshTokens("", "own-rt")
	s := newSilent(t, sc.f)
	if _, err := sc.acquire(t, s); !errors.Is(err, domain.ErrInteractionRequired) {
		t.Fatalf("first Acquire error = %v; want ErrInteractionRequired", err)
	}
	sc.setRefreshTokens("family-rt", "own-rt") // a sibling app signed in meanwhile
	_, err := sc.acquire(t, s)
	var de *domain.Error
	if !errors.Is(err, domain.ErrInteractionRequired) || !errors.As(err, &de) || de.HTTPStatus != 400 || de.Description != "revoked" {
		t.Fatalf("Acquire error = %v; want the provider's refusal of the family token (HTTP 400, \"revoked\")", err)
	}
	if got := sc.sentTokens(); got != "own-rt,family-rt" {
		t.Fatalf("refresh tokens sent: %q; want own-rt, then only the family token", got)
	}
}
