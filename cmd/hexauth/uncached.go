package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// acquired prints the outcome of a token command. Tokens the cache did not keep — a
// refresh response that named no account, or tokens the library returned with an
// ErrCacheStore error — are printed with their refresh token, because the provider may
// have rotated it and revoked the one the cache or the user holds: under
// "refresh_token" in JSON mode, in a new private file in text mode (stdout keeps the
// access token alone, for $(hexauth ...)). A warning on stderr says so, never quoting
// the token. A store failure still exits 1, its tokens on stdout.
func (p printer) acquired(s settings, res app.AuthResult, err error) error {
	// A sign-in without scopes answered without an ID token (and so cached under no
	// account) comes back as interaction required with the tokens: its new refresh
	// token is held nowhere else.
	noIDToken := res.IDTokenOnly() && res.RefreshToken != "" && res.Account.HomeAccountID == "" && errors.Is(err, domain.ErrInteractionRequired)
	if err != nil && !(errors.Is(err, domain.ErrCacheStore) && res.AccessToken != "") && !noIDToken {
		return err
	}
	if err == nil && res.Account.HomeAccountID != "" {
		p.token(res)
		return nil
	}
	why := "the provider's response names no account (no ID token): name a cached account with --username to cache it"
	if errors.Is(err, domain.ErrCacheStore) {
		why = "the cache store failed"
	}
	if res.RefreshToken == "" {
		fmt.Fprintf(p.e.stderr, "hexauth: warning: the tokens were not cached (%s)\n", why)
	} else if p.json {
		fmt.Fprintf(p.e.stderr, "hexauth: warning: the tokens were not cached (%s); the new refresh token is in the JSON result under refresh_token: keep it, the one redeemed may no longer work\n", why)
	} else {
		path, serr := saveRefreshToken(s.cache, res.RefreshToken, p.now().UTC().Format("20060102T150405.000000000Z"))
		if serr != nil {
			fmt.Fprintf(p.e.stderr, "hexauth: warning: the tokens were not cached (%s), and the new refresh token could not be saved: %v\n", why, serr)
		} else {
			fmt.Fprintf(p.e.stderr, "hexauth: warning: the tokens were not cached (%s); the new refresh token was saved to %s (readable by you only): keep it, the one redeemed may no longer work, and delete the file once it is stored elsewhere (--output json prints it instead)\n", why, path)
		}
	}
	if p.json {
		out := newTokenJSON(res, p.now())
		out.RefreshToken = string(res.RefreshToken)
		p.value(out)
	} else if !noIDToken { // stdout stays empty: there is no ID token to print
		p.token(res)
	}
	if err != nil {
		return &reportedError{err: err}
	}
	return nil
}

// reportedError is a failure whose result was already printed: fail reports it on
// stderr and in the exit code, without a JSON error object after the result.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// saveRefreshToken writes rt to a new file, mode 0600, named after stamp: beside the
// SQLite cache file, whose directory already holds the user's tokens, else in the user's
// cache directory (created 0700). It returns the file's path.
func saveRefreshToken(cache string, rt domain.Secret, stamp string) (string, error) {
	dir := ""
	if u, err := resolveCache(cache); err == nil && strings.HasPrefix(u, "sqlite://") {
		dir = filepath.Dir(filepath.FromSlash(strings.TrimPrefix(u, "sqlite://")))
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no user cache directory: %w", err)
		}
		dir = filepath.Join(base, "hexauth")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "refresh-token-"+stamp+".txt")
	return path, writePrivateFile(path, []byte(string(rt)+"\n"), false)
}
