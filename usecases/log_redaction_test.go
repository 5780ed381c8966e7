package usecases_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/usecases"
)

// The proactive-refresh warning logs the error's class and code, never the provider's
// text: that text may echo the request (DESIGN §5).
func TestSilent_Acquire_proactiveRefreshWarningLogsClassNotText(t *testing.T) {
	const echoed = "echoed-free-text-7c1e"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			var buf bytes.Buffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			if format == "json" {
				f.cfg.Logger = slog.New(slog.NewJSONHandler(&buf, opts))
			} else {
				f.cfg.Logger = slog.New(slog.NewTextHandler(&buf, opts))
			}
			at := f.accessToken("read", time.Hour)
			at.RefreshOn = f.clock.Now().Add(-time.Minute)
			f.store.EXPECT().Find(gomock.Any(), gomock.Any()).Return(domain.CacheEntries{
				AccessTokens: []domain.AccessToken{at}, RefreshTokens: []domain.RefreshToken{f.refreshToken(testClient, "", "rt-1")},
				Accounts: []domain.Account{f.account()},
			}, nil).AnyTimes()
			f.lockRunsCallback()
			f.idp.EXPECT().Token(gomock.Any(), gomock.Any()).Return(domain.TokenResponse{}, &domain.Error{
				Class: domain.ErrUnavailable, Code: "temporarily_unavailable", HTTPStatus: 503, Description: "request was " + echoed})
			if _, err := newSilent(t, f).Acquire(testContext(t), usecases.SilentRequest{Scopes: []string{"read"}, Account: f.account()}); err != nil {
				t.Fatalf("Acquire error = %v; want the cached token", err)
			}
			logs := buf.String()
			if !strings.Contains(logs, "proactive refresh failed") || !strings.Contains(logs, "temporarily_unavailable") || !strings.Contains(logs, "unavailable") {
				t.Errorf("logs = %s; want the warning with the class and code", logs)
			}
			if strings.Contains(logs, echoed) {
				t.Errorf("logs = %s; hold the provider's text", logs)
			}
		})
	}
}

// An authorization error response that echoes the flow's verifier and nonce, with a
// terminal escape, is kept scrubbed and escaped (DESIGN §5).
func TestAuthCode_Complete_providerErrorTextIsScrubbed(t *testing.T) {
	f := newFixture(t)
	f.expectMetadata()
	a := newAuthCode(t, f)
	flow := initiate(t, f, a)
	desc := "denied; request had code_verifier=" + string(flow.CodeVerifier) + "&nonce=" + flow.Nonce + " \x1b[2J"
	_, err := a.Complete(testContext(t), flow, url.Values{"state": {flow.State}, "error": {"access_denied"}, "error_description": {desc}})
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrAccessDenied) {
		t.Fatalf("Complete() = %v; want ErrAccessDenied", err)
	}
	for _, s := range []string{string(flow.CodeVerifier), flow.Nonce, "\x1b"} {
		if strings.Contains(de.Description, s) || strings.Contains(err.Error(), s) {
			t.Errorf("the error %q holds %q", de.Description, s)
		}
	}
	if !strings.HasPrefix(de.Description, "denied; request had") {
		t.Errorf("got description %q; want the provider's text kept", de.Description)
	}
}
