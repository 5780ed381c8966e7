package main

import (
	"context"
	"fmt"

	"github.com/hexauth/hexauth/app"
	"github.com/spf13/cobra"
)

// runAccountsList lists the cached accounts of the client's partition, optionally
// only those named --username (case-insensitively). Without --authority it needs no
// client and lists every account record of the partition, with its environment and
// realm, whichever client and cloud it belongs to.
func newAccountsListCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("list [--client-id ID --authority URL] [--username NAME] [flags]", "list the accounts in the token cache", "  hexauth accounts list\n  hexauth accounts list --username ada@example.com -o json")
	cmd := storeCommand{flags: addClientFlags(fs, setUsername), timeout: defaultTimeout}
	withUsername := func(s settings) []app.AccountsOption {
		if s.username == "" {
			return nil
		}
		return []app.AccountsOption{app.WithUsername(s.username)}
	}
	asClient := func(ctx context.Context, s settings, sess *session, p printer) error {
		list, err := sess.Accounts(ctx, withUsername(s)...)
		if err != nil {
			return err
		}
		p.accounts(list)
		return nil
	}
	c.RunE = cmd.runE(ctx, e, asClient, func(ctx context.Context, s settings, cache *app.Cache, p printer) error {
		if s.authority != "" {
			return s.requireClient() // an authority names a client's view: it needs the client id
		}
		list, err := cache.Accounts(ctx, s.partition, withUsername(s)...)
		if err != nil {
			return err
		}
		p.accounts(list)
		return nil
	})
	return c
}

// runAccountsRemove removes the accounts named --username, and the tokens this client
// holds for them, from the client's partition.
func newAccountsRemoveCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("remove --client-id ID --authority URL --username NAME [flags]", "remove an account and its tokens from the token cache", "  hexauth accounts remove --username ada@example.com")
	cmd := flowCommand{flags: addClientFlags(fs, setUsername), timeout: defaultTimeout}
	strict := fs.Bool("strict", false, "exit 2 when no account of that name is cached (default: a notice, exit 0)")
	c.RunE = cmd.runE(ctx, e, func(ctx context.Context, s settings, sess *session, p printer) error {
		if s.username == "" {
			return usageErrorf("missing --username (or HEXAUTH_USERNAME): name the account to remove")
		}
		return removeAccounts(ctx, e, sess, p, s.username, *strict)
	})
	return c
}

// newLogoutCmd signs accounts out of this machine: it removes them and this client's
// tokens from the cache, as az logout does (the provider's session is not ended).
func newLogoutCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("logout --client-id ID --authority URL (--username NAME | --all) [flags]",
		"remove an account (or every account) and this client's tokens from the token cache",
		"  hexauth logout --username ada@example.com\n  hexauth logout --all")
	cmd := flowCommand{flags: addClientFlags(fs, setUsername), timeout: defaultTimeout}
	all := fs.Bool("all", false, "remove every account this client sees in the partition")
	strict := fs.Bool("strict", false, "exit 2 when no account of that name is cached (default: a notice, exit 0)")
	c.RunE = cmd.runE(ctx, e, func(ctx context.Context, s settings, sess *session, p printer) error {
		switch {
		case *all && s.username != "" && cmd.flags.given[setUsername.key] != "":
			return usageErrorf("give --username NAME or --all, not both")
		case *all:
			return removeAccounts(ctx, e, sess, p, "", false)
		case s.username == "":
			return usageErrorf("missing --username NAME (or HEXAUTH_USERNAME), or --all: name the accounts to sign out")
		}
		return removeAccounts(ctx, e, sess, p, s.username, *strict)
	})
	return c
}

// removeAccounts removes the accounts named username (every account the client sees
// when username is empty) and this client's tokens for them, and prints them. None
// cached is what the user asked for (a second logout, a script run twice): a notice
// and success, or with strict a usage error for scripts that must know.
func removeAccounts(ctx context.Context, e *env, sess *session, p printer, username string, strict bool) error {
	var opts []app.AccountsOption
	if username != "" {
		opts = append(opts, app.WithUsername(username))
	}
	list, err := sess.Accounts(ctx, opts...)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		what := "no account is cached in this partition"
		if username != "" {
			what = "no account named " + username + " is cached in this partition"
		}
		if strict {
			return usageErrorf("%s", what)
		}
		fmt.Fprintf(e.stderr, "hexauth: %s: nothing to remove\n", what)
		p.accounts(nil)
		return nil
	}
	for _, a := range list {
		if err := sess.RemoveAccount(ctx, a); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "hexauth: removed %s (%s)\n", termText(a.Username), termText(a.HomeAccountID))
	}
	p.accounts(list)
	return nil
}
