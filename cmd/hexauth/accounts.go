package main

import (
	"context"
	"fmt"

	"github.com/hexauth/hexauth/app"
)

// runAccountsList lists the cached accounts of the client's partition, optionally
// only those named --username (case-insensitively). Without --authority it needs no
// client and lists every account record of the partition, with its environment and
// realm, whichever client and cloud it belongs to.
func runAccountsList(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "accounts list", "[--client-id ID --authority URL] [--username NAME] [flags]")
	cmd := storeCommand{fs: fs, flags: addClientFlags(fs, setUsername), timeout: defaultTimeout}
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
	return cmd.run(ctx, e, args, asClient, func(ctx context.Context, s settings, cache *app.Cache, p printer) error {
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
}

// runAccountsRemove removes the accounts named --username, and the tokens this client
// holds for them, from the client's partition.
func runAccountsRemove(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "accounts remove", "--client-id ID --authority URL --username NAME [flags]")
	cmd := flowCommand{fs: fs, flags: addClientFlags(fs, setUsername), timeout: defaultTimeout}
	return cmd.run(ctx, e, args, func(ctx context.Context, s settings, sess *session, p printer) error {
		if s.username == "" {
			return usageErrorf("missing --username (or HEXAUTH_USERNAME): name the account to remove")
		}
		list, err := sess.Accounts(ctx, app.WithUsername(s.username))
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return usageErrorf("no account named %s is cached in this partition", s.username)
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
}
