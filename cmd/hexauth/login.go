package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/ports"
	"github.com/spf13/cobra"
)

// loginTimeout is how long login waits for the user by default.
const loginTimeout = 5 * time.Minute

// runLogin signs a user in with the authorization-code flow and PKCE on a loopback
// redirect (RFC 8252 §7.3). The URL always goes to stderr; a browser is started too
// unless --no-browser, the path for SSH sessions: the user opens the URL on any
// machine, and the final redirect to this machine's loopback listener arrives through
// a forwarded port or a copied address (see cliBrowser).
func newLoginCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("login --client-id ID --authority URL --scopes SCOPES [--username HINT] [--redirect-port PORT] [flags]", "sign in with the authorization code flow and PKCE on a loopback redirect", "  hexauth login --scopes User.Read\n  hexauth login --no-browser --redirect-port 8400   # over SSH: forward port 8400")
	noBrowser := fs.Bool("no-browser", false, "only print the sign-in URL; do not start a browser")
	prompt := fs.String("prompt", "", "prompt parameter: login, consent, select_account or none")
	cmd := flowCommand{flags: addClientFlags(fs, setScopes, setUsername, setRedirectPort), timeout: loginTimeout,
		browser: func(settings) ports.Browser { return &cliBrowser{w: e.stderr, start: !*noBrowser} }}
	c.RunE = cmd.runE(ctx, e, func(ctx context.Context, s settings, sess *session, p printer) error {
		if err := s.requireScopes(); err != nil {
			return err
		}
		if sess.public == nil {
			return usageErrorf("login signs users in with a public client: unset HEXAUTH_CLIENT_SECRET, --client-secret-file and --client-certificate")
		}
		var opts []app.AuthCodeOption
		if s.username != "" {
			opts = append(opts, app.WithLoginHint(s.username))
		}
		if *prompt != "" {
			opts = append(opts, app.WithPrompt(*prompt))
		}
		if s.redirectPort != 0 {
			opts = append(opts, app.WithRedirectPort(s.redirectPort))
		}
		res, err := sess.public.AcquireTokenInteractive(ctx, s.scopes, opts...)
		if err != nil {
			if s.redirectPort != 0 && isListenError(err) {
				return &hintedError{err: err, hint: fmt.Sprintf("login cannot listen on port %d: free it, or pass another "+
					"--redirect-port PORT whose http://127.0.0.1:PORT/ is registered with the provider", s.redirectPort)}
			}
		}
		return p.acquired(s, res, err)
	})
	return c
}

// isListenError reports whether err is the loopback listener's failure to listen (a
// port in use, or one this user may not open): it exits 5 like an unreachable
// provider, but "try again later" is not its remedy.
func isListenError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "listen"
}

// cliBrowser is login's ports.Browser: it prints the sign-in URL to w and, when start
// is set, opens it with the operating system's browser.
type cliBrowser struct {
	w     io.Writer
	start bool
}

// Open implements ports.Browser. Without start it explains how to finish a sign-in
// made in a browser on another machine, whose redirect to this machine's loopback
// address cannot load there.
func (b *cliBrowser) Open(ctx context.Context, u string) error {
	fmt.Fprintf(b.w, "Open this URL in a browser to sign in:\n\n%s\n\n", u)
	if b.start {
		if err := startBrowser(ctx, u); err != nil {
			fmt.Fprintf(b.w, "(no browser could be started: %v)\n", err)
		}
	} else if port := redirectPort(u); port != "" {
		fmt.Fprintf(b.w, "If that browser runs on another machine, forward the port first (ssh -L %s:127.0.0.1:%s ...),\n"+
			"or copy the address its last page fails to load (http://127.0.0.1:%s/?code=...) and\n"+
			"open it on this machine with curl.\n", port, port, port)
	}
	fmt.Fprintln(b.w, "Waiting for the sign-in to complete...")
	return nil
}

// redirectPort returns the port of the authorization URL's redirect_uri.
func redirectPort(authURL string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		return ""
	}
	r, err := url.Parse(u.Query().Get("redirect_uri"))
	if err != nil {
		return ""
	}
	return r.Port()
}

// startBrowser opens u with the operating system's browser.
func startBrowser(ctx context.Context, u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", u)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", u)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return fmt.Errorf("no display")
		}
		cmd = exec.CommandContext(ctx, "xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
