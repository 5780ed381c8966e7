// Command daemon is a service that gets app tokens with the client credentials grant
// and keeps them in memory: the smallest hexauth program. It imports package app and no
// store package, so it links neither modernc.org/sqlite nor pgx (internal/layering's
// TestLinkedPackages checks this with go list -deps, and docs/benchmarks.md compares its
// size with cmd/hexauth's).
//
//	HEXAUTH_CLIENT_SECRET=... daemon -authority https://login.microsoftonline.com/TENANT \
//		-client-id ID -scope api://orders/.default
//
// It acquires a token twice, to show that the second comes from the cache, and prints
// where each came from and when it expires: never the token. A -cache URL of a store it
// did not import (sqlite:///tokens.db) is refused with the package to import.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/hexauth/hexauth/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the program: flags from args, the secret from getenv, results to stdout and
// errors to stderr; it returns the exit code (2 for a usage error).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	fs.SetOutput(stderr)
	authority := fs.String("authority", "", "the authority (issuer) URL")
	clientID := fs.String("client-id", "", "the application (client) id")
	scope := fs.String("scope", "", "the scopes to ask for, space-separated (api://orders/.default)")
	cache := fs.String("cache", "memory:", "the token cache URL")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	secret := getenv("HEXAUTH_CLIENT_SECRET")
	if *authority == "" || *clientID == "" || *scope == "" || secret == "" {
		fmt.Fprintln(stderr, "daemon: -authority, -client-id, -scope and HEXAUTH_CLIENT_SECRET are required")
		return 2
	}
	if err := acquire(ctx, app.Config{ClientID: *clientID, Authority: *authority, Cache: *cache},
		app.ClientSecret(secret), strings.Fields(*scope), stdout); err != nil {
		fmt.Fprintln(stderr, "daemon:", err)
		return 1
	}
	return 0
}

// acquire gets an app token twice and reports each one's source and expiry.
func acquire(ctx context.Context, cfg app.Config, cred app.Credential, scopes []string, stdout io.Writer) (err error) {
	cc, err := app.NewConfidentialClient(ctx, cfg, cred)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cc.Close()) }()
	for range 2 {
		res, err := cc.AcquireTokenForClient(ctx, scopes)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token from %s, expires %s\n", res.TokenSource, res.ExpiresOn.UTC().Format(time.RFC3339))
	}
	return nil
}
