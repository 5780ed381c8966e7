package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/spf13/cobra"
)

// defaultTimeout bounds a command that does not wait for a user.
const defaultTimeout = 2 * time.Minute

// flowCommand is what the commands that open a client share: parse the flags, load
// the settings, bound the context, open the client, run body, report the outcome.
type flowCommand struct {
	flags   *clientFlags
	timeout time.Duration
	browser func(settings) ports.Browser // nil: no interactive sign-in
	operand *operand                     // the positional argument; nil: none
}

// runE returns the cobra RunE that runs body with an open session.
func (c flowCommand) runE(ctx context.Context, e *env, body func(context.Context, settings, *session, printer) error) func(*cobra.Command, []string) error {
	return runE(func(args []string) int { return c.run(ctx, e, args, body) })
}

// run runs body with an open session and returns the exit code.
func (c flowCommand) run(ctx context.Context, e *env, args []string, body func(context.Context, settings, *session, printer) error) int {
	if code, ok := takeOperand(e, args, c.operand); !ok {
		return code
	}
	s, err := c.flags.load(e)
	if err != nil {
		return newPrinter(e, settings{}).fail(err)
	}
	return c.runParsed(ctx, e, s, body)
}

// runParsed is run once the arguments are parsed and the settings loaded.
func (c flowCommand) runParsed(ctx context.Context, e *env, s settings, body func(context.Context, settings, *session, printer) error) int {
	p := newPrinter(e, s)
	if s.timeout == 0 {
		s.timeout = c.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var browser ports.Browser
	if c.browser != nil {
		browser = c.browser(s)
	}
	sess, err := openSession(ctx, e, s, c.flags, browser)
	if err != nil {
		return p.fail(err)
	}
	err = body(ctx, s, sess, p)
	if cerr := sess.close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return p.fail(err)
	}
	return exitOK
}

// runROPC signs a user in with a username and password.
func newROPCCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("ropc --client-id ID --authority URL --scopes SCOPES --username NAME [flags]", "sign in with a username and password (resource owner password credentials)", "  HEXAUTH_PASSWORD=... hexauth ropc --username ada@example.com --scopes api://orders/read\n  hexauth ropc --username ada@example.com --password-file ~/.pw -o json")
	cmd := flowCommand{flags: addClientFlags(fs, setScopes, setUsername), timeout: defaultTimeout}
	pw := secretSource{what: "password", env: "HEXAUTH_PASSWORD", flag: "password", prompt: true}
	pw.register(fs, true)
	c.RunE = cmd.runE(ctx, e, func(ctx context.Context, s settings, sess *session, p printer) error {
		if s.username == "" {
			return usageErrorf("missing --username (or HEXAUTH_USERNAME)")
		}
		password, err := pw.read(ctx, e, false)
		if err != nil {
			return err
		}
		res, err := sess.AcquireTokenByUsernamePassword(ctx, s.username, password, s.scopes)
		return p.acquired(s, res, err)
	})
	return c
}

// runRefresh redeems a refresh token obtained elsewhere; the tokens it returns are
// cached under the account the response names, else under the cached account
// --username names. A new refresh token the cache could not keep is handed over
// instead of dropped (printer.acquired): the one presented may be spent.
func newRefreshCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("refresh --client-id ID --authority URL --scopes SCOPES [--username NAME] [flags]  (refresh token in HEXAUTH_REFRESH_TOKEN, a file or stdin)", "redeem a refresh token obtained elsewhere and cache the result", "  hexauth refresh --refresh-token-file rt.txt --username ada@example.com\n  printf %s \"$RT\" | hexauth refresh --refresh-token-stdin -o json")
	cmd := flowCommand{flags: addClientFlags(fs, setScopes, setUsername), timeout: defaultTimeout}
	rt := secretSource{what: "refresh token", env: "HEXAUTH_REFRESH_TOKEN", flag: "refresh-token"}
	rt.register(fs, true)
	c.RunE = cmd.runE(ctx, e, func(ctx context.Context, s settings, sess *session, p printer) error {
		token, err := rt.read(ctx, e, false)
		if err != nil {
			return err
		}
		var opts []app.RefreshTokenOption
		if s.username != "" {
			account, err := pickAccount(ctx, sess, s.username)
			switch {
			case errors.Is(err, domain.ErrNoTokens):
				// Not cached yet: the response is cached if it names its account.
				fmt.Fprintf(e.stderr, "hexauth: no account named %s is cached: the tokens are cached only if the provider's response names the account\n", s.username)
			case err != nil:
				return err
			default:
				opts = append(opts, app.WithAccount(account))
			}
		}
		res, err := sess.AcquireTokenByRefreshToken(ctx, token, s.scopes, opts...)
		return p.acquired(s, res, err)
	})
	return c
}

// runToken returns a token for a cached account: from the cache, or refreshed
// silently. Without scopes, or with --id-token, it is the account's ID token (an
// ID-token-only sign-in, DESIGN §3): what kubectl's OIDC authentication sends.
func newTokenCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("token --client-id ID --authority URL [--scopes SCOPES | --id-token] [--username NAME] [flags]",
		"print a token from the cache, refreshed silently when needed",
		"  hexauth token --scopes api://orders/read\n"+
			"  curl -H \"Authorization: Bearer $(hexauth token)\" https://api.example.com/\n"+
			"  hexauth token -o json --force-refresh\n"+
			"  hexauth token --exec-credential --interactive   # a kubeconfig exec plugin, as kubelogin\n"+
			"  hexauth token --app --client-certificate app.pem --scopes api://orders/.default")
	var cmd flowCommand
	appToken := fs.Bool("app", false, "get an app token with the client credentials grant (a confidential client: a client secret or --client-certificate), cached per client and tenant")
	force := fs.Bool("force-refresh", false, "skip the cached access token and ask the provider for a new one")
	claims := fs.String("claims", "", "claims challenge or request (JSON, OIDC Core §5.5) to send; implies --force-refresh")
	var out tokenOutput
	fs.BoolVar(&out.idToken, "id-token", false, "print the account's ID token (cached while valid, else refreshed), whatever scopes are configured; the same as no scopes")
	fs.BoolVar(&out.execCredential, "exec-credential", false, "print a Kubernetes client.authentication.k8s.io/v1 ExecCredential (token and expirationTimestamp), for a kubeconfig exec entry")
	interactive := fs.Bool("interactive", false, "when no token can be had silently, sign in as login does (one browser for parallel calls: the others wait, then use its tokens)")
	noBrowser := fs.Bool("no-browser", false, "with --interactive: only print the sign-in URL; do not start a browser")
	cmd = flowCommand{flags: addClientFlags(fs, setScopes, setUsername, setRedirectPort, setRedirectPath), timeout: defaultTimeout,
		browser: func(settings) ports.Browser {
			if !*interactive {
				return nil
			}
			return &cliBrowser{w: e.stderr, start: !*noBrowser}
		}}
	body := func(ctx context.Context, s settings, sess *session, p printer) error {
		if *claims != "" && !json.Valid([]byte(*claims)) {
			return usageErrorf("--claims is not JSON")
		}
		p.out = out
		if *appToken {
			if out.idToken || *interactive {
				return usageErrorf("--app gets the application's own token: it has no ID token and no sign-in (drop --id-token and --interactive)")
			}
			if len(s.scopes) == 0 {
				return usageErrorf("missing --scopes (or HEXAUTH_SCOPES): an app token is for an API (api://orders/.default, say)")
			}
			// --username (HEXAUTH_USERNAME, often exported for the user commands) names
			// no account here: an app token has none.
			var opts []app.ClientOption
			if *force {
				opts = append(opts, app.WithForceRefresh())
			}
			if *claims != "" {
				opts = append(opts, app.WithClaims(*claims))
			}
			res, err := acquireForClient(ctx, sess, s, opts)
			return p.appAcquired(res, err)
		}
		if out.idToken {
			s.scopes = nil // a sign-in: the ID token, never an API's access token
		}
		var opts []app.SilentOption
		if *force {
			opts = append(opts, app.WithForceRefresh())
		}
		if *claims != "" {
			opts = append(opts, app.WithClaims(*claims))
		}
		res, err := silentToken(ctx, sess, s, opts)
		if *interactive && errors.Is(err, domain.ErrInteractionRequired) {
			res, err = signInForToken(ctx, e, sess, s, opts)
		}
		return p.acquired(s, res, err)
	}
	c.RunE = func(cc *cobra.Command, args []string) error {
		if *interactive {
			cmd.timeout = loginTimeout // it may wait for the user
		}
		return cmd.runE(ctx, e, body)(cc, args)
	}
	return c
}

// silentToken is token's silent call for the cached account s names.
func silentToken(ctx context.Context, sess *session, s settings, opts []app.SilentOption) (app.AuthResult, error) {
	account, err := pickAccount(ctx, sess, s.username)
	if err != nil {
		return app.AuthResult{}, err
	}
	return sess.AcquireTokenSilent(ctx, s.scopes, account, opts...)
}

// signInForToken is token --interactive's fallback to login, under the sign-in lock:
// a call that waited for another's sign-in finds its tokens with a silent call.
func signInForToken(ctx context.Context, e *env, sess *session, s settings, opts []app.SilentOption) (app.AuthResult, error) {
	if sess.public == nil {
		return app.AuthResult{}, usageErrorf("token --interactive signs users in with a public client: unset HEXAUTH_CLIENT_SECRET, --client-secret-file and --client-certificate")
	}
	lock, err := lockLogin(ctx, s)
	if err != nil {
		return app.AuthResult{}, err
	}
	defer lock.unlock()
	res, err := silentToken(ctx, sess, s, opts)
	if !errors.Is(err, domain.ErrInteractionRequired) {
		return res, err
	}
	fmt.Fprintln(e.stderr, "hexauth: no token can be had silently: signing in")
	var lopts []app.AuthCodeOption
	if s.username != "" {
		lopts = append(lopts, app.WithLoginHint(s.username))
	}
	lopts = append(lopts, redirectOptions(s)...)
	return sess.public.AcquireTokenInteractive(ctx, s.scopes, lopts...)
}

// pickAccount returns the cached account named username, or the only cached account
// when username is empty.
func pickAccount(ctx context.Context, sess *session, username string) (app.Account, error) {
	var opts []app.AccountsOption
	if username != "" {
		opts = append(opts, app.WithUsername(username))
	}
	list, err := sess.Accounts(ctx, opts...)
	if err != nil {
		return app.Account{}, err
	}
	switch len(list) {
	case 0:
		desc := "no account is cached in this partition"
		if username != "" {
			desc = "no account named " + username + " is cached in this partition"
		}
		return app.Account{}, &domain.Error{Class: domain.ErrNoTokens, Op: "token", Description: desc}
	case 1:
		return list[0], nil
	}
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = termText(a.Username) + " (" + termText(a.Environment) + ")"
	}
	return app.Account{}, usageErrorf("%d accounts match (%s): pick one with --username", len(list), strings.Join(names, ", "))
}
