package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// AcquireTokenInteractive signs a user in with the authorization-code flow and PKCE on
// a loopback redirect (RFC 8252 §7.3): it listens on 127.0.0.1 at a random port (or the
// one WithRedirectPort names), opens the authorization URL with Config.Browser, waits
// for the provider to redirect the browser back, and completes the flow with every
// check of AcquireTokenByAuthCodeFlow. Only a redirect carrying the flow's state is
// taken: any other request to the port is answered 400 and the wait goes on, so a
// forged redirect cannot take the real one's place. Register "http://127.0.0.1" (any
// port) as a redirect URI of the app, or "http://127.0.0.1:{port}/" with
// WithRedirectPort ("http://127.0.0.1:{port}{path}" with WithRedirectPath too). ctx
// bounds the wait: give it a deadline.
//
// On domain.ErrCacheStore the result is populated (see "Tokens returned with an
// error" in the package doc): keep its RefreshToken.
func (c *PublicClient) AcquireTokenInteractive(ctx context.Context, scopes []string, opts ...AuthCodeOption) (AuthResult, error) {
	if err := checkContext(ctx, "AcquireTokenInteractive"); err != nil {
		return AuthResult{}, err
	}
	call, err := c.authCodeCall(scopes, "", opts)
	if err != nil {
		return AuthResult{}, err
	}
	if call.ResponseMode.Effective() != ResponseModeQuery {
		return AuthResult{}, domain.Errorf(domain.ErrInvalidInput, "app: AcquireTokenInteractive reads the loopback redirect's query: response_mode %s is not supported", call.ResponseMode)
	}
	path := "/"
	if call.redirectPath != nil {
		if err := domain.CheckLoopbackRedirectPath(*call.redirectPath); err != nil {
			return AuthResult{}, err
		}
		path = *call.redirectPath
	}
	ln, err := listenLoopback(call.redirectPort)
	if err != nil {
		return AuthResult{}, err
	}
	defer ln.Close()
	call.RedirectURI = fmt.Sprintf("http://127.0.0.1:%d%s", ln.Addr().(*net.TCPAddr).Port, path)
	flow, err := c.authCode.Initiate(ctx, call.AuthCodeRequest)
	if err != nil {
		return AuthResult{}, err
	}
	responses := make(chan url.Values, 1)
	log := c.env.cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{Handler: redirectHandler(path, flow.State, responses, log), ReadHeaderTimeout: 10 * time.Second}
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

// listenLoopback listens on 127.0.0.1 at port, or at a port the system picks when port
// is nil. The IP literal, not "localhost", so that no resolver or IPv6 preference can
// send the redirect elsewhere (RFC 8252 §8.3).
func listenLoopback(port *int) (net.Listener, error) {
	addr := "127.0.0.1:0"
	if port != nil {
		if *port < 1 || *port > 65535 {
			return nil, domain.Errorf(domain.ErrInvalidInput, "app: WithRedirectPort(%d): the port must be in 1..65535", *port)
		}
		addr = "127.0.0.1:" + strconv.Itoa(*port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		e := &domain.Error{Class: domain.ErrUnavailable, Op: "interactive: listen on loopback", Err: err}
		if port != nil {
			e.Description = fmt.Sprintf("port %d (WithRedirectPort) is not available: is another process using it?", *port)
		}
		return nil, e
	}
	return ln, nil
}

// redirectHandler serves path only. It hands responses the first redirect whose state is this flow's, and
// answers every other request 400 without taking it. Anything on the machine (another
// process, a web page the user has open) can send a request to the loopback port; if
// the first request won, a forged redirect raced ahead of the provider's would make the
// real one be ignored. A provider's error redirect carries the state too (RFC 6749
// §4.1.2.1), so it must match as well. The comparison is constant-time.
func redirectHandler(path, state string, responses chan<- url.Values, log *slog.Logger) http.Handler {
	want := []byte(state)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The raw path, so an escaped form of the path is not taken for it (the
		// provider redirects to the URI as registered).
		if r.URL.EscapedPath() != path {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		got := q["state"]
		switch {
		case len(got) == 0 || got[0] == "":
			http.Error(w, "not an authorization response: state is missing", http.StatusBadRequest)
			return
		case len(got) != 1 || len(want) == 0 || subtle.ConstantTimeCompare([]byte(got[0]), want) != 1:
			// Never log the state received: it may be the real one sent twice.
			log.Warn("interactive: refused a redirect whose state is not this sign-in's", "remote", r.RemoteAddr)
			http.Error(w, "not an authorization response for this sign-in: state does not match", http.StatusBadRequest)
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

// systemBrowser opens URLs with OpenSystemBrowser, and prints the URL to standard
// error when it cannot (a server, an SSH session).
type systemBrowser struct{}

func (systemBrowser) Open(ctx context.Context, u string) error {
	if OpenSystemBrowser(ctx, u) != nil {
		fmt.Fprintf(os.Stderr, "Open this URL in a browser to sign in:\n\n  %s\n\n", u)
	}
	return nil
}

// OpenSystemBrowser starts the operating system's browser at u: open on macOS, the URL
// handler of Windows (rundll32 url.dll,FileProtocolHandler) and xdg-open elsewhere,
// when a display is set. It returns once the browser is started, without waiting for
// it, and an error when none can be. Only an absolute http or https URL is opened: the
// authorization endpoint comes from the provider's discovery document, and a handler
// given a file: or another scheme's URL would open a local file or program instead.
func OpenSystemBrowser(ctx context.Context, u string) error {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		return domain.Errorf(domain.ErrInvalidInput, "app: open the browser: not an http or https URL")
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", u)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", u)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("no display")
		}
		cmd = exec.CommandContext(ctx, "xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
