package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/spf13/cobra"
)

// loginTimeout is how long login waits for the user by default.
const loginTimeout = 5 * time.Minute

// runLogin signs a user in with the authorization-code flow and PKCE on a loopback
// redirect (RFC 8252 §7.3), or with --device-code the device code flow (RFC 8628). The
// URL always goes to stderr; a browser is started too unless --no-browser, the path for
// SSH sessions: the user opens the URL on any machine, and the final redirect to this
// machine's loopback listener arrives through a forwarded port or a copied address (see
// cliBrowser). The device code flow needs neither: the user enters a code on any
// device.
func newLoginCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("login --client-id ID --authority URL [--scopes SCOPES] [--username HINT] [--redirect-port PORT] [--redirect-path PATH] [--device-code] [flags]",
		"sign in with the authorization code flow and PKCE on a loopback redirect, or a device code (without --scopes: sign-in only, for an ID token)",
		"  hexauth login --scopes User.Read\n"+
			"  hexauth login --no-browser --redirect-port 8400   # over SSH: forward port 8400\n"+
			"  hexauth login --redirect-port 8400 --redirect-path /callback   # registered http://127.0.0.1:8400/callback\n"+
			"  hexauth login --device-code                        # enter a code on another device")
	noBrowser := fs.Bool("no-browser", false, "only print the sign-in URL; do not start a browser")
	prompt := fs.String("prompt", "", "prompt parameter: login, consent, select_account or none")
	device := fs.Bool("device-code", false, "sign in with the device code flow (RFC 8628): enter a code shown here on any other device")
	cmd := flowCommand{flags: addClientFlags(fs, setScopes, setUsername, setRedirectPort, setRedirectPath), timeout: loginTimeout,
		browser: func(settings) ports.Browser { return &cliBrowser{w: e.stderr, start: !*noBrowser} }}
	c.RunE = runE(func(args []string) int {
		if code, ok := takeOperand(e, args, nil); !ok {
			return code
		}
		s, err := cmd.flags.load(e)
		if err != nil {
			return newPrinter(e, settings{}).fail(err)
		}
		if *device {
			// The provider's expiry ends the wait (15 minutes at Entra); --timeout may
			// shorten it.
			cmd.timeout, cmd.browser = domain.MaxDeviceFlowLifetime, nil
			if s.redirectPort != 0 || s.redirectPath != "" || *prompt != "" {
				return newPrinter(e, s).fail(usageErrorf("--device-code takes none of --redirect-port, --redirect-path and --prompt"))
			}
			return cmd.runParsed(ctx, e, s, func(ctx context.Context, s settings, sess *session, p printer) error {
				return deviceLogin(ctx, e, s, sess, p)
			})
		}
		return cmd.runParsed(ctx, e, s, loginBody(e, prompt))
	})
	return c
}

// loginBody is login's auth-code sign-in with the --prompt flag's value.
func loginBody(e *env, prompt *string) func(context.Context, settings, *session, printer) error {
	return func(ctx context.Context, s settings, sess *session, p printer) error {
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
		opts = append(opts, redirectOptions(s)...)
		res, err := sess.public.AcquireTokenInteractive(ctx, s.scopes, opts...)
		if err != nil {
			if s.redirectPort != 0 && isListenError(err) {
				return &hintedError{err: err, msg: fmt.Sprintf("login: port %d is not available: is another process using it?", s.redirectPort),
					hint: fmt.Sprintf("login cannot listen on port %d: free it, or pass another "+
						"--redirect-port PORT whose http://127.0.0.1:PORT%s is registered with the provider", s.redirectPort, redirectPathOf(s))}
			}
			if werr := waitEnded(ctx, err, s); werr != nil {
				return werr
			}
		}
		return p.acquired(s, res, err)
	}
}

// redirectOptions are the loopback redirect's port and path options of s.
func redirectOptions(s settings) []app.AuthCodeOption {
	var opts []app.AuthCodeOption
	if s.redirectPort != 0 {
		opts = append(opts, app.WithRedirectPort(s.redirectPort))
	}
	if s.redirectPath != "" {
		opts = append(opts, app.WithRedirectPath(s.redirectPath))
	}
	return opts
}

// redirectPathOf is the loopback redirect path of s.
func redirectPathOf(s settings) string {
	if s.redirectPath == "" {
		return "/"
	}
	return s.redirectPath
}

// deviceLogin runs the device code flow: the provider's message (which names the page
// and the user code) goes to stderr, stdout keeps only the result. The user declining
// exits 4 (access_denied), the code expiring or --timeout passing exits 3.
func deviceLogin(ctx context.Context, e *env, s settings, sess *session, p printer) error {
	if sess.public == nil {
		return usageErrorf("login signs users in with a public client: unset HEXAUTH_CLIENT_SECRET and --client-secret-file")
	}
	flow, err := sess.public.InitiateDeviceFlow(ctx, s.scopes)
	if err != nil {
		return p.acquired(s, app.AuthResult{}, err)
	}
	// The message is the provider's text, bounded and control-escaped by
	// domain.ParseDeviceAuthorization: no provider can drive the terminal.
	fmt.Fprintf(e.stderr, "%s\n", flow.Message)
	fmt.Fprintf(e.stderr, "Waiting for the sign-in to complete (the code expires at %s)...\n", flow.ExpiresOn.Local().Format("15:04:05"))
	res, err := sess.public.AcquireTokenByDeviceFlow(ctx, flow)
	return p.acquired(s, res, err)
}

// waitEnded says why a sign-in that ended with ctx ended: timed out (--timeout) or
// interrupted, rather than "sign in again", which is what the user was doing. It
// returns nil when ctx is live.
func waitEnded(ctx context.Context, err error, s settings) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &hintedError{err: err, msg: fmt.Sprintf("login: timed out after %s waiting for the sign-in to complete", s.timeout),
			hint: "run it again, and finish the sign-in in the browser sooner (or give a longer --timeout)"}
	case ctx.Err() != nil:
		return &hintedError{err: err, msg: "login: interrupted before the sign-in completed", hint: "run it again to sign in"}
	}
	return nil
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
		if err := app.OpenSystemBrowser(ctx, u); err != nil {
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
