package main

import (
	"context"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/spf13/cobra"
)

// storeCommand is what the commands share that read or write a cache document or list
// accounts without a client: a document holds every client's entries, so cache import
// and export need neither --client-id nor --authority, and accounts list without an
// authority lists the whole partition. It parses the flags, loads the settings, bounds
// the context and opens the cache (app.OpenCache); body runs with it.
type storeCommand struct {
	flags   *clientFlags
	timeout time.Duration
	operand *operand
}

// hasClient reports whether s names a client fully, so that a command can act as that
// client (its own view of the partition) rather than on the whole cache.
func (s settings) hasClient() bool { return s.clientID != "" && s.authority != "" }

// runE returns the cobra RunE of run.
func (c storeCommand) runE(ctx context.Context, e *env,
	asClient func(context.Context, settings, *session, printer) error,
	body func(context.Context, settings, *app.Cache, printer) error) func(*cobra.Command, []string) error {
	return runE(func(args []string) int { return c.run(ctx, e, args, asClient, body) })
}

// run runs body with the open cache, or client, when s names a client fully and a
// client body is given, and returns the exit code.
func (c storeCommand) run(ctx context.Context, e *env, args []string,
	asClient func(context.Context, settings, *session, printer) error,
	body func(context.Context, settings, *app.Cache, printer) error) int {
	if code, ok := takeOperand(e, args, c.operand); !ok {
		return code
	}
	s, err := c.flags.load(e)
	if err != nil {
		return newPrinter(e, settings{}).fail(err)
	}
	if asClient != nil && s.hasClient() {
		return flowCommand{flags: c.flags, timeout: c.timeout, operand: c.operand}.runParsed(ctx, e, s, asClient)
	}
	p := newPrinter(e, s)
	if s.timeout == 0 {
		s.timeout = c.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cache, err := openCache(ctx, e, s)
	if err != nil {
		return p.fail(err)
	}
	err = body(ctx, s, cache, p)
	if cerr := cache.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return p.fail(err)
	}
	return exitOK
}

// openCache opens the cache s names, with s's authority when it gives one (an OIDC
// issuer's realm is then adopted on import, as a client's import does).
func openCache(ctx context.Context, e *env, s settings) (*app.Cache, error) {
	cache, err := resolveCache(s.cache)
	if err != nil {
		return nil, err
	}
	c, err := app.OpenCache(ctx, app.Config{
		Cache: cache, Authority: s.authority, AuthorityKind: s.authorityKind, Logger: newLogger(e.stderr, s.verbose),
	})
	return c, cacheHint(err)
}
