package usecases_test

import (
	"bytes"
	"log/slog"
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
