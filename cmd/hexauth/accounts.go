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
		list, err := sess.Accounts(ctx, app.WithUsername(s.username))
		if err != nil {
			return err
		}
		if len(list) == 0 {
			// Already gone is what the user asked for (a second logout, a script run
			// twice): a notice, exit 0; --strict makes it a usage error for scripts
			// that must know.
			if *strict {
				return usageErrorf("no account named %s is cached in this partition", s.username)
			}
			fmt.Fprintf(e.stderr, "hexauth: no account named %s is cached in this partition: nothing to remove\n", s.username)
			p.accounts(nil)
			return nil
		}
		for _, a := range list {
			if err := sess.RemoveAccount(ctx, a); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "hexauth: removed %s (%s)\n", a.Username, a.HomeAccountID)
		}
		p.accounts(list)
		return nil
	})
	return c
}
