package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// defaultTimeout bounds a command that does not wait for a user.
const defaultTimeout = 2 * time.Minute

// flowCommand is what the commands that open a client share: parse the flags, load
// the settings, bound the context, open the client, run body, report the outcome.
type flowCommand struct {
	fs      *flag.FlagSet
	flags   *clientFlags
	timeout time.Duration
	browser func(settings) ports.Browser // nil: no interactive sign-in
	operand *operand                     // the positional argument; nil: none
}

// run runs body with an open session and returns the exit code.
func (c flowCommand) run(ctx context.Context, e *env, args []string, body func(context.Context, settings, *session, printer) error) int {
	if code, ok := parseArgs(e, c.fs, args, c.operand); !ok {
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
func runROPC(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "ropc", "--client-id ID --authority URL --scopes SCOPES --username NAME [flags]")
	cmd := flowCommand{fs: fs, flags: addClientFlags(fs, setScopes, setUsername), timeout: defaultTimeout}
	pw := secretSource{what: "password", env: "HEXAUTH_PASSWORD", flag: "password", prompt: true}
	pw.register(fs, true)
	return cmd.run(ctx, e, args, func(ctx context.Context, s settings, sess *session, p printer) error {
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
}

// runRefresh redeems a refresh token obtained elsewhere; the tokens it returns are
// cached under the account the response names, else under the cached account
// --username names. A new refresh token the cache could not keep is handed over
// instead of dropped (printer.acquired): the one presented may be spent.
func runRefresh(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "refresh", "--client-id ID --authority URL --scopes SCOPES [--username NAME] [flags]  (refresh token in HEXAUTH_REFRESH_TOKEN, a file or stdin)")
	cmd := flowCommand{fs: fs, flags: addClientFlags(fs, setScopes, setUsername), timeout: defaultTimeout}
	rt := secretSource{what: "refresh token", env: "HEXAUTH_REFRESH_TOKEN", flag: "refresh-token"}
	rt.register(fs, true)
	return cmd.run(ctx, e, args, func(ctx context.Context, s settings, sess *session, p printer) error {
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
}

// runToken returns a token for a cached account: from the cache, or refreshed
// silently. Without scopes, or with --id-token, it is the account's ID token (an
// ID-token-only sign-in, DESIGN §3): what kubectl's OIDC authentication sends.
func runToken(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "token", "--client-id ID --authority URL [--scopes SCOPES | --id-token] [--username NAME] [flags]")
	cmd := flowCommand{fs: fs, flags: addClientFlags(fs, setScopes, setUsername), timeout: defaultTimeout}
	idToken := fs.Bool("id-token", false, "print the account's ID token (cached while valid, else refreshed), whatever scopes are configured; the same as no scopes")
	force := fs.Bool("force-refresh", false, "skip the cached access token and ask the provider for a new one")
	claims := fs.String("claims", "", "claims challenge or request (JSON, OIDC Core §5.5) to send; implies --force-refresh")
	return cmd.run(ctx, e, args, func(ctx context.Context, s settings, sess *session, p printer) error {
		var opts []app.SilentOption
		if *force {
			opts = append(opts, app.WithForceRefresh())
		}
		if *claims != "" {
			if !json.Valid([]byte(*claims)) {
				return usageErrorf("--claims is not JSON")
			}
			opts = append(opts, app.WithClaims(*claims))
		}
		account, err := pickAccount(ctx, sess, s.username)
		if err != nil {
			return err
		}
		scopes := s.scopes
		if *idToken {
			scopes = nil // a sign-in: the ID token, never an API's access token
		}
		res, err := sess.AcquireTokenSilent(ctx, scopes, account, opts...)
		return p.acquired(s, res, err)
	})
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
		names[i] = a.Username + " (" + a.Environment + ")"
	}
	return app.Account{}, usageErrorf("%d accounts match (%s): pick one with --username", len(list), strings.Join(names, ", "))
}
