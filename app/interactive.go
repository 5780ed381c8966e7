package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// AcquireTokenInteractive signs a user in with the authorization-code flow and PKCE on
// a loopback redirect (RFC 8252 §7.3): it listens on 127.0.0.1 at a random port, opens
// the authorization URL with Config.Browser, waits for the provider to redirect the
// browser back, and completes the flow with every check of AcquireTokenByAuthCodeFlow.
// Register "http://127.0.0.1" (any port) as a redirect URI of the app. ctx bounds the
// wait: give it a deadline.
func (c *PublicClient) AcquireTokenInteractive(ctx context.Context, scopes []string, opts ...AuthCodeOption) (AuthResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return AuthResult{}, &domain.Error{Class: domain.ErrUnavailable, Op: "interactive: listen on loopback", Err: err}
	}
	defer ln.Close()
	redirectURI := fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port)
	flow, err := c.InitiateAuthCodeFlow(ctx, scopes, redirectURI, opts...)
	if err != nil {
		return AuthResult{}, err
	}
	responses := make(chan url.Values, 1)
	srv := &http.Server{Handler: redirectHandler(flow.State, responses), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown below
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	browser := c.env.browser
	if browser == nil {
		browser = systemBrowser{}
	}
	if err := browser.Open(ctx, flow.AuthURI); err != nil {
		return AuthResult{}, &domain.Error{Class: domain.ErrInvalidInput, Op: "interactive: open the browser", Err: err}
	}
	select {
	case q := <-responses:
		return c.AcquireTokenByAuthCodeFlow(ctx, flow, q)
	case <-ctx.Done():
		return AuthResult{}, &domain.Error{Class: domain.ErrInteractionRequired, Op: "interactive", Description: "no redirect arrived before the context ended", Err: ctx.Err()}
	}
}

// redirectHandler hands the first redirect that carries this flow's state (or any
// provider error) to responses, and tells the browser the outcome.
func redirectHandler(state string, responses chan<- url.Values) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("state") == "" && q.Get("code") == "" && q.Get("error") == "" {
			http.Error(w, "not an authorization response", http.StatusBadRequest)
			return
		}
		select {
		case responses <- q:
		default: // a response was already taken; ignore repeats
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if q.Get("error") != "" {
			fmt.Fprint(w, "<!doctype html><title>hexauth</title><p>Sign-in failed. You can close this window.</p>")
			return
		}
		fmt.Fprint(w, "<!doctype html><title>hexauth</title><p>Signed in. You can close this window.</p>")
	})
}

// systemBrowser opens URLs with the operating system's browser, and prints the URL to
// standard error when it cannot (a server, an SSH session).
type systemBrowser struct{}

func (systemBrowser) Open(ctx context.Context, u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", u)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", u)
	default:
		if os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" {
			cmd = exec.CommandContext(ctx, "xdg-open", u)
		}
	}
	if cmd == nil || cmd.Start() != nil {
		fmt.Fprintf(os.Stderr, "Open this URL in a browser to sign in:\n\n  %s\n\n", u)
		return nil
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
