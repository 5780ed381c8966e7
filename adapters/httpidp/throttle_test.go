package httpidp_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// A 429 without Retry-After is not retried (MSAL): it fails with ErrThrottled carrying
// the default window, and identical requests fail fast until the window closes.
func TestProvider_Token_429WithoutRetryAfterOpensDefaultWindow(t *testing.T) {
	for _, tt := range []struct {
		name   string
		window time.Duration
		want   time.Duration
	}{
		{"default", 0, httpidp.DefaultThrottleWindow},
		{"configured", 10 * time.Second, 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.setToken(status(429, map[string]any{"error": "too_many_requests"}))
			clock := newFakeClock()
			cfg := testConfig(clock)
			cfg.ThrottleWindow = tt.window
			p := newProvider(t, cfg)
			req := clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))
			_, err := p.Token(t.Context(), req)
			de := wantClass(t, err, domain.ErrThrottled)
			if de.RetryAfter != tt.want || de.HTTPStatus != 429 {
				t.Errorf("got RetryAfter %s, status %d; want %s, 429", de.RetryAfter, de.HTTPStatus, tt.want)
			}
			if n := f.count("token"); n != 1 {
				t.Fatalf("got %d token requests; want 1 (a 429 without Retry-After is not retried)", n)
			}
			clock.Advance(tt.want - time.Second)
			_, err = p.Token(t.Context(), req)
			if de := wantClass(t, err, domain.ErrThrottled); de.RetryAfter != time.Second {
				t.Errorf("got RetryAfter %s inside the window; want the 1s left", de.RetryAfter)
			}
			if n := f.count("token"); n != 1 {
				t.Fatalf("got %d token requests; want 1 (identical request refused locally)", n)
			}
			f.setToken(ok200)
			clock.Advance(time.Second)
			if _, err := p.Token(t.Context(), req); err != nil {
				t.Fatalf("Token() after the window = %v; want success", err)
			}
			if n := f.count("token"); n != 2 {
				t.Errorf("got %d token requests; want 2", n)
			}
		})
	}
}

func TestConfig_Validate_negativeThrottleWindow(t *testing.T) {
	if err := (httpidp.Config{ThrottleWindow: -time.Second}).Validate(); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Validate() = %v; want ErrInvalidInput", err)
	}
}

// Discovery and key-set GETs answered 429 without Retry-After open the same window.
func TestProvider_documentGET_429WithoutRetryAfterOpensDefaultWindow(t *testing.T) {
	for _, d := range documentFetches {
		t.Run(string(d.endpoint), func(t *testing.T) {
			srv := newIDPTest(t)
			clock := newFakeClock()
			p := newProvider(t, testConfig(clock))
			fetch := d.fetcher(t, p, srv)
			srv.Script(idptest.Fault{Endpoint: d.endpoint, Status: 429})
			de := wantOnly(t, fetch(), domain.ErrThrottled)
			if de.RetryAfter != httpidp.DefaultThrottleWindow {
				t.Errorf("got RetryAfter %s; want the default window %s", de.RetryAfter, httpidp.DefaultThrottleWindow)
			}
			clock.Advance(30 * time.Second)
			wantOnly(t, fetch(), domain.ErrThrottled)
			if n := srv.EndpointRequests(d.endpoint); n != 1 {
				t.Fatalf("got %d %s requests; want 1 (not retried, then refused locally)", n, d.endpoint)
			}
			clock.Advance(30 * time.Second)
			if err := fetch(); err != nil {
				t.Fatalf("got %v after the window; want the document fetched", err)
			}
		})
	}
}

// cancelOn is a slog handler that records messages and cancels a context when it sees
// one, so a test can stop a Retry-After wait right after its notice without sleeping.
type cancelOn struct {
	msg    string
	cancel context.CancelFunc
	seen   chan slog.Record
}

func (h *cancelOn) Enabled(context.Context, slog.Level) bool { return true }
func (h *cancelOn) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.seen <- r:
		default:
		}
		h.cancel()
	}
	return nil
}
func (h *cancelOn) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *cancelOn) WithGroup(string) slog.Handler      { return h }

// A Retry-After wait longer than 2 s is logged at info before the adapter waits.
func TestProvider_Token_longRetryAfterLoggedBeforeWaiting(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(sequence(status(503, nil, "Retry-After", "30"), ok200))
	// The timeout only bounds a broken run; the log handler cancels at once.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	h := &cancelOn{msg: httpidp.RetryAfterWaitMessage, cancel: cancel, seen: make(chan slog.Record, 1)}
	cfg := testConfig(newFakeClock())
	cfg.RetryAfterCap = time.Minute
	cfg.Logger = slog.New(h)
	p := newProvider(t, cfg)
	_, err := p.Token(ctx, clientCredentialsRequest(f.authority("", domain.AuthorityOIDC)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Token() = %v; want the wait cancelled by the log handler (no notice before waiting?)", err)
	}
	select {
	case r := <-h.seen:
		if r.Level != slog.LevelInfo {
			t.Errorf("got level %s; want INFO", r.Level)
		}
		var wait time.Duration
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "retry_after" {
				wait = a.Value.Duration()
			}
			return true
		})
		if wait != 30*time.Second {
			t.Errorf("got retry_after %s; want 30s", wait)
		}
	default:
		t.Fatal("no record before the wait; want an info record")
	}
	if n := f.count("token"); n != 1 {
		t.Errorf("got %d token requests; want 1 (the wait was cut short)", n)
	}
}

// A short Retry-After is waited out silently.
func TestProvider_Token_shortRetryAfterNotLogged(t *testing.T) {
	f := newFakeIdP(t)
	f.setToken(sequence(status(503, nil, "Retry-After", "0"), ok200))
	logger, buf := captureLogs()
	cfg := testConfig(newFakeClock())
	cfg.Logger = logger
	p := newProvider(t, cfg)
	if _, err := p.Token(t.Context(), clientCredentialsRequest(f.authority("", domain.AuthorityOIDC))); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), httpidp.RetryAfterWaitMessage) {
		t.Errorf("logs %q; want no wait notice for a 0s Retry-After", buf.String())
	}
}
