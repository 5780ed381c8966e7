// Command webapp serves the example web application (package webapp) against an OpenID
// Connect provider: sign-in with the authorization-code flow and PKCE, the ID-token
// claims, a downstream API called with the user's token, and sign-out.
//
// Every setting is a flag or an environment variable (the flag wins); the client secret
// and the cookie key are environment variables only, so that they never show in a
// process list:
//
//	WEBAPP_AUTHORITY=http://127.0.0.1:9400 WEBAPP_CLIENT_ID=webapp \
//	WEBAPP_CLIENT_SECRET=... WEBAPP_COOKIE_KEY=$(head -c32 /dev/urandom | base64) \
//	go run ./cmd/webapp -tenants acme,globex -scopes api://orders/read
//
// Without -api-url it also serves a demo API on a loopback port of its own and calls
// that. See README.md.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hexauth/hexauth/app"
	_ "github.com/hexauth/hexauth/app/postgresstore" // -cache postgres://...
	_ "github.com/hexauth/hexauth/app/sqlitestore"   // -cache sqlite:///...
	"github.com/hexauth/hexauth/examples/webapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
}

// settings are the parsed flags and environment.
type settings struct {
	listen, publicURL, authority, clientID, clientSecret string
	tenants, scopes                                      []string
	apiURL, cache                                        string
	cookieKey                                            []byte // nil: a random key for this run
}

// parseSettings reads args and the environment (getenv). Flags win over variables.
func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var s settings
	var tenants, scopes string
	fs.StringVar(&s.listen, "listen", env("WEBAPP_LISTEN", "127.0.0.1:8080"), "address to listen on (WEBAPP_LISTEN)")
	fs.StringVar(&s.publicURL, "public-url", env("WEBAPP_PUBLIC_URL", ""), "external base URL; the redirect URI is this + /callback (WEBAPP_PUBLIC_URL; default http://LISTEN)")
	fs.StringVar(&s.authority, "authority", env("WEBAPP_AUTHORITY", ""), "the provider's authority or issuer URL (WEBAPP_AUTHORITY); required")
	fs.StringVar(&s.clientID, "client-id", env("WEBAPP_CLIENT_ID", ""), "the application's client id (WEBAPP_CLIENT_ID); required")
	fs.StringVar(&tenants, "tenants", env("WEBAPP_TENANTS", "default"), "comma-separated tenants, each served at /t/NAME/ from its own cache partition (WEBAPP_TENANTS)")
	fs.StringVar(&scopes, "scopes", env("WEBAPP_SCOPES", ""), "space- or comma-separated scopes of the downstream API (WEBAPP_SCOPES)")
	fs.StringVar(&s.apiURL, "api-url", env("WEBAPP_API_URL", ""), "the downstream API to GET (WEBAPP_API_URL); empty serves and calls the demo API")
	fs.StringVar(&s.cache, "cache", env("WEBAPP_CACHE", "memory:"), "token cache URL: memory:, sqlite:///path, postgres://... (WEBAPP_CACHE)")
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if fs.NArg() > 0 {
		return settings{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	s.clientSecret = getenv("WEBAPP_CLIENT_SECRET")
	switch {
	case s.authority == "":
		return settings{}, errors.New("-authority (or WEBAPP_AUTHORITY) is required")
	case s.clientID == "":
		return settings{}, errors.New("-client-id (or WEBAPP_CLIENT_ID) is required")
	case s.clientSecret == "":
		return settings{}, errors.New("WEBAPP_CLIENT_SECRET is required: a web app is a confidential client")
	}
	if s.publicURL == "" {
		s.publicURL = "http://" + s.listen
	}
	s.tenants = splitList(tenants)
	s.scopes = splitList(scopes)
	if k := getenv("WEBAPP_COOKIE_KEY"); k != "" {
		key, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(key) != 32 {
			return settings{}, errors.New("WEBAPP_COOKIE_KEY must be 32 bytes in standard base64 (head -c32 /dev/urandom | base64)")
		}
		s.cookieKey = key
	}
	return s, nil
}

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
}

// run serves the application until ctx ends. It prints the URL it serves on stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s, err := parseSettings(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if s.cookieKey == nil {
		logger.Warn("webapp: WEBAPP_COOKIE_KEY is not set: using a random key, so sessions end when the process stops")
		s.cookieKey = make([]byte, 32)
		if _, err := rand.Read(s.cookieKey); err != nil {
			return err
		}
	}
	client, err := app.NewConfidentialClient(ctx, app.Config{ClientID: s.clientID, Authority: s.authority, Cache: s.cache, Logger: logger}, app.ClientSecret(s.clientSecret))
	if err != nil {
		return err
	}
	defer client.Close()

	servers := []*http.Server{}
	if s.apiURL == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		api := &http.Server{Handler: webapp.NewDemoAPI(webapp.CacheTokenChecker(client, s.tenants, s.scopes)), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = api.Serve(ln) }()
		servers = append(servers, api)
		s.apiURL = "http://" + ln.Addr().String() + "/hello"
	}
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return err
	}
	if strings.HasSuffix(s.publicURL, ":0") { // -listen 127.0.0.1:0: the port is known now
		s.publicURL = "http://" + ln.Addr().String()
	}
	srv, err := webapp.New(webapp.Config{
		Client: client, PublicURL: s.publicURL, Tenants: s.tenants, CookieKey: s.cookieKey,
		Scopes: s.scopes, APIURL: s.apiURL, Logger: logger,
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	web := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	servers = append(servers, web)
	fmt.Fprintf(stdout, "webapp: serving %s (redirect URI %s; post-logout redirect URI %s; API %s)\n", s.publicURL, srv.RedirectURI(), srv.PostLogoutRedirectURI(), s.apiURL)
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, hs := range servers {
		_ = hs.Shutdown(shutdown)
	}
	return nil
}
