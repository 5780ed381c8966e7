// Command hexauth gets OAuth 2.0 / OpenID Connect tokens from the command line with
// the hexauth engine, and demonstrates it offline.
//
//	hexauth demo                      every flow against a built-in fake provider
//	hexauth fake-idp                  serve the fake provider for local development
//	hexauth login | ropc | refresh    sign in (auth code + PKCE, password, refresh token)
//	hexauth token                     a cached token, refreshed silently when needed
//	hexauth accounts list | remove    the accounts in the token cache
//	hexauth cache import | export     an MSAL token cache (the Azure CLI's, say) in or out
//	hexauth version
//
// Configuration comes from flags, HEXAUTH_* environment variables and an optional JSON
// file (--config or HEXAUTH_CONFIG); flags win over the environment, which wins over the
// file. Standard output carries only the result (--output text or json); prompts and
// notices go to standard error. Passwords and secrets are never read from flag values.
//
// Exit codes: 0 success, 2 usage, 3 interaction required, 4 refused by the provider,
// 5 provider unreachable or throttled, 130 interrupted (SIGINT; 143 SIGTERM), 1 anything
// else. See docs/cli.md.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	// Every cache store, as go-cloud's anyblob links every driver: --cache takes any
	// of their URLs, and the command's default cache is a SQLite file.
	_ "github.com/hexauth/hexauth/app/postgresstore"
	_ "github.com/hexauth/hexauth/app/sqlitestore"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got atomic.Value // the first signal
	go func() {
		sig := <-sigs
		got.Store(sig)
		cancel()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	signal.Stop(sigs)
	os.Exit(exitAfterSignal(code, got.Load()))
}

// exitAfterSignal is the exit code of a command that ended with code after sig (nil:
// none): a command that failed because it was interrupted exits 130 for SIGINT and 143
// for SIGTERM, as shells report them, so that scripts tell "interrupted" from
// "refused"; one that ends normally on a signal (fake-idp) keeps its code.
func exitAfterSignal(code int, sig any) int {
	if code == exitOK || sig == nil {
		return code
	}
	if sig == syscall.SIGTERM {
		return 128 + 15
	}
	return exitInterrupted
}

// run executes the command line args and returns the process's exit code. ctx ends
// when the process is interrupted.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, args, &env{stdin: stdin, stdout: stdout, stderr: stderr, lookup: os.LookupEnv})
}

// env is what a command reads and writes besides its arguments.
type env struct {
	stdin  io.Reader
	stdout io.Writer // the result only
	stderr io.Writer // prompts, notices and error messages
	// lookup reads an environment variable (os.LookupEnv outside tests).
	lookup func(string) (string, bool)
}

// getenv returns the environment variable name, or "".
func (e *env) getenv(name string) string {
	v, _ := e.lookup(name)
	return v
}
