package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/ports"
	"github.com/spf13/pflag"
)

// flowClient is what public and confidential clients share and the commands use.
type flowClient interface {
	AcquireTokenSilent(ctx context.Context, scopes []string, account app.Account, opts ...app.SilentOption) (app.AuthResult, error)
	AcquireTokenByUsernamePassword(ctx context.Context, username, password string, scopes []string, opts ...app.PasswordOption) (app.AuthResult, error)
	AcquireTokenByRefreshToken(ctx context.Context, refreshToken string, scopes []string, opts ...app.RefreshTokenOption) (app.AuthResult, error)
	Accounts(ctx context.Context, opts ...app.AccountsOption) ([]app.Account, error)
	RemoveAccount(ctx context.Context, account app.Account) error
	ImportCache(ctx context.Context, r io.Reader) (app.CacheReport, error)
	ExportCache(ctx context.Context, w io.Writer) error
}

// session is an open client in the configured partition.
type session struct {
	flowClient
	public       *app.PublicClient       // nil for a confidential client
	confidential *app.ConfidentialClient // nil for a public client
	close        func() error
}

// clientFlags are the flags of every command that opens a client.
type clientFlags struct {
	*configFlags
	secret secretSource
}

// clientSettings are the settings of every command that opens a client.
var clientSettings = []setting{setClientID, setAuthority, setAuthorityKind, setCache, setPartition, setAllowedHosts,
	setClientCert, setClientKey, setClientAuth}

// addClientFlags registers the flags of a command that opens a client: the client's
// settings, the extra settings the command reads, and --client-secret-file.
func addClientFlags(fs *pflag.FlagSet, extra ...setting) *clientFlags {
	c := &clientFlags{
		configFlags: addConfigFlags(fs, slices.Concat(clientSettings, extra)...),
		secret:      secretSource{what: "client secret", env: "HEXAUTH_CLIENT_SECRET", flag: "client-secret"},
	}
	fs.StringVar(&c.secret.file, "client-secret-file", "", "read the client secret of a confidential client from this `file` (env HEXAUTH_CLIENT_SECRET)")
	return c
}

// openSession opens a client for s: confidential when a client secret or certificate
// is given, public otherwise. browser, when not nil, opens interactive sign-ins.
func openSession(ctx context.Context, e *env, s settings, c *clientFlags, browser ports.Browser) (*session, error) {
	if err := s.requireClient(); err != nil {
		return nil, err
	}
	cache, err := resolveCache(s.cache)
	if err != nil {
		return nil, err
	}
	secret, err := c.secret.read(ctx, e, true)
	if err != nil {
		return nil, err
	}
	cfg := app.Config{
		ClientID: s.clientID, Authority: s.authority, AuthorityKind: s.authorityKind,
		Cache: cache, Logger: newLogger(e.stderr, s.verbose), Browser: browser,
		AllowedHosts: s.allowedHosts,
	}
	cred, confidential, err := clientCredential(s, secret)
	if err != nil {
		return nil, err
	}
	if confidential {
		cc, err := app.NewConfidentialClient(ctx, cfg, cred)
		if err != nil {
			return nil, cacheHint(err)
		}
		p := cc.Partition(s.partition)
		return &session{flowClient: p, confidential: p, close: cc.Close}, nil
	}
	pc, err := app.NewPublicClient(ctx, cfg)
	if err != nil {
		return nil, cacheHint(err)
	}
	p := pc.Partition(s.partition)
	return &session{flowClient: p, public: p, close: pc.Close}, nil
}

// resolveCache turns the --cache setting into an app.Config.Cache URL: empty means a
// SQLite file under the user's cache directory (its directory created 0700, the file
// 0600 by the store, both narrowed to those modes when they exist wider); a value
// without a scheme is a SQLite file path.
func resolveCache(raw string) (string, error) {
	switch {
	case raw == "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return "", usageErrorf("no user cache directory (%v): give --cache", err)
		}
		dir = filepath.Join(dir, "hexauth")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", &hintedError{err: fmt.Errorf("hexauth: create the cache directory: %w", err),
				hint: "give a cache hexauth can write: --cache memory: (nothing kept), or --cache PATH in a writable directory (or HEXAUTH_CACHE)"}
		}
		db := filepath.Join(dir, "tokens.db")
		if err := tightenDefaultCache(dir, db); err != nil {
			return "", err
		}
		return "sqlite://" + filepath.ToSlash(db), nil
	case raw == "memory:", strings.HasPrefix(raw, "memory://"), strings.HasPrefix(raw, "sqlite:"),
		strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return raw, nil
	case strings.HasPrefix(raw, "file:"):
		// A file: URL is the file it names, never a file named "file:...".
		path, err := fileURLPath(raw)
		if err != nil {
			return "", err
		}
		raw = path
	case strings.Contains(raw, "://"):
		return "", usageErrorf("--cache: unsupported scheme (want a file path, file:///path, sqlite:///path, memory: or postgres://...)")
	case raw == "~" || strings.HasPrefix(raw, "~/") || strings.HasPrefix(raw, `~\`):
		// The shell expands ~ in a flag's own word only: --cache=~/x.db, a config file
		// and HEXAUTH_CACHE reach hexauth with it.
		home, err := os.UserHomeDir()
		if err != nil {
			return "", usageErrorf("--cache %s: no home directory to expand ~ to (%v)", raw, err)
		}
		raw = filepath.Join(home, raw[1:])
	}
	abs, err := filepath.Abs(raw)
	if err != nil {
		return "", usageErrorf("--cache: %v", err) // not raw: it may be a mistyped URL with a password
	}
	return "sqlite://" + filepath.ToSlash(abs), nil
}

// cacheHint adds a remedy to a cache that cannot be opened for want of permission.
func cacheHint(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return &hintedError{err: err, hint: "give a cache hexauth can write: --cache memory: (nothing kept), or --cache PATH in a writable directory (or HEXAUTH_CACHE)"}
	}
	return err
}

// fileURLPath returns the local path of a file: URL (RFC 8089): file:///abs/path or
// file://localhost/abs/path; anything else is refused rather than guessed.
func fileURLPath(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || (u.Host != "" && u.Host != "localhost") || u.Path == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", usageErrorf("--cache: a file: URL must be file:///absolute/path (or give the path itself)")
	}
	p := filepath.FromSlash(u.Path)
	if runtime.GOOS == "windows" && len(p) > 2 && p[0] == '\\' && p[2] == ':' {
		p = p[1:] // file:///C:/x is C:\x
	}
	return p, nil
}

// newLogger returns a debug logger on w when verbose; otherwise one that shows only
// the provider's Retry-After waits, so that a command that pauses says why.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	if !verbose {
		return slog.New(noticeHandler{w: w})
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// noticeHandler writes one line for httpidp's Retry-After wait notice and drops every
// other record (they are for --verbose).
type noticeHandler struct{ w io.Writer }

func (noticeHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h noticeHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != httpidp.RetryAfterWaitMessage {
		return nil
	}
	var wait time.Duration
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "retry_after" {
			wait = a.Value.Duration()
		}
		return true
	})
	_, err := fmt.Fprintf(h.w, "hexauth: the provider asked to wait %s before retrying; waiting\n", wait)
	return err
}

func (h noticeHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h noticeHandler) WithGroup(string) slog.Handler      { return h }
