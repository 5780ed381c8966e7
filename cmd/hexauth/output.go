package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// tokenJSON is the JSON of a successful acquisition: MSAL Python's result dictionary
// (domain.AuthResult.MSALResult), so scripts written for it port over. It holds a
// refresh token only when the cache could not keep it (see printer.acquired), never the
// raw ID token (its claims are enough) nor refresh_in (docs/cli.md).
//
// expires_on is the absolute expiry (RFC 3339, UTC) beside expires_in, for scripts that
// keep the result: expires_in is only true at the moment it is printed.
type tokenJSON struct {
	domain.MSALResult
	ExpiresOn string `json:"expires_on"`
}

// errorJSON is the JSON of a failure: MSAL Python's error result
// (domain.MSALErrorOf), the one shape the Go API and the CLI share.
type errorJSON = domain.MSALError

// accountJSON is an account, with MSAL Python's get_accounts keys.
type accountJSON struct {
	HomeAccountID  string `json:"home_account_id"`
	Environment    string `json:"environment"`
	Realm          string `json:"realm"`
	LocalAccountID string `json:"local_account_id"`
	Username       string `json:"username"`
	Name           string `json:"name,omitempty"`
	AuthorityType  string `json:"authority_type"`
}

// printer writes a command's result to stdout (text or JSON) and its notices and
// errors to stderr.
type printer struct {
	e    *env
	json bool
	now  func() time.Time
	out  tokenOutput // token's --id-token and --exec-credential
	app  bool        // the token is the application's own (token --app), not a user's
}

func newPrinter(e *env, s settings) printer { return printer{e: e, json: s.json, now: time.Now} }

// token prints an acquisition: its access token alone on stdout in text mode (for
// $(hexauth token ...)), with a notice on stderr; the MSAL-shaped JSON otherwise.
func (p printer) token(res app.AuthResult) {
	if p.out.print(p, res) {
		return
	}
	if p.json {
		p.value(newTokenJSON(res, p.now()))
		return
	}
	expiresIn := p.expiresIn(res)
	who := termText(res.Account.Username)
	switch {
	case p.app:
		who = "the application"
	case who == "":
		// A user's token whose response named no account (refresh of a provider that
		// sends no ID token on refresh): still a user's token, not the app's.
		who = "a user the response does not name (no ID token)"
	}
	if res.IDTokenOnly() {
		// A sign-in: the ID token is the token the call was for.
		fmt.Fprintf(p.e.stderr, "hexauth: ID token for %s from %s, expires in %s\n", who, res.TokenSource, time.Duration(expiresIn)*time.Second)
		fmt.Fprintln(p.e.stdout, string(res.IDToken))
		return
	}
	fmt.Fprintf(p.e.stderr, "hexauth: token for %s from %s, expires in %s, scopes %s\n",
		who, res.TokenSource, time.Duration(expiresIn)*time.Second, strings.Join(res.Scopes, " "))
	fmt.Fprintln(p.e.stdout, string(res.AccessToken))
}

// expiresIn is the seconds from now until res's access token expires.
func (p printer) expiresIn(res app.AuthResult) int64 {
	return int64(res.ExpiresOn.Sub(p.now()).Round(time.Second) / time.Second)
}

// newTokenJSON is res as MSAL Python's result, with what docs/cli.md leaves out left
// out: the raw ID token, refresh_in, and the refresh token (printer.acquired adds it
// back when the cache could not keep it). For a sign-in without scopes it is the other
// way round: the ID token is the result, and no access token is printed (whatever the
// provider issued besides is for no API the user asked for).
func newTokenJSON(res app.AuthResult, now time.Time) tokenJSON {
	out := tokenJSON{MSALResult: res.MSALResult(now), ExpiresOn: res.ExpiresOn.UTC().Format(time.RFC3339)}
	out.RefreshToken, out.RefreshIn = "", 0
	if res.IDTokenOnly() {
		out.AccessToken, out.TokenType, out.Scope = "", "", ""
	} else {
		out.IDToken = ""
	}
	return out
}

func newAccountJSON(a app.Account) accountJSON {
	return accountJSON{HomeAccountID: a.HomeAccountID, Environment: a.Environment, Realm: a.Realm,
		LocalAccountID: a.LocalAccountID, Username: a.Username, Name: a.Name, AuthorityType: a.AuthorityType}
}

// accounts prints accounts: one line each in text mode (username, home account id,
// environment, realm, separated by tabs), a JSON array otherwise.
func (p printer) accounts(list []app.Account) {
	if p.json {
		out := make([]accountJSON, 0, len(list))
		for _, a := range list {
			out = append(out, newAccountJSON(a))
		}
		p.value(out)
		return
	}
	for _, a := range list {
		fmt.Fprintf(p.e.stdout, "%s\t%s\t%s\t%s\n", termText(a.Username), termText(a.HomeAccountID), termText(a.Environment), termText(a.Realm))
	}
}

// termText is account text as the text outputs print it: with control characters (ESC,
// and so terminal escape sequences, BEL, CR, tabs that would shift the columns) and
// bidirectional controls escaped (domain.EscapeControl). A username is an ID token's
// claim, which some providers let users choose, or a field of an imported MSAL
// document; printed raw it could write the clipboard (OSC 52), retitle the window or
// overwrite lines already printed. The JSON outputs escape them already.
func termText(s string) string { return domain.EscapeControl(s) }

// value writes v as indented JSON to stdout.
func (p printer) value(v any) {
	enc := json.NewEncoder(p.e.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail reports err and returns the exit code it maps to. Usage errors go to stderr
// only; other errors also become the JSON result in JSON mode.
func (p printer) fail(err error) int {
	code := exitCode(err)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(p.e.stderr, "hexauth: %s\n", ue.msg)
		return code
	}
	fmt.Fprintf(p.e.stderr, "hexauth: %s\n", strings.TrimPrefix(err.Error(), "hexauth: "))
	hint := hintFor(code)
	var he *hintedError
	if errors.As(err, &he) {
		hint = he.hint
	}
	if hint != "" {
		fmt.Fprintf(p.e.stderr, "hexauth: %s\n", hint)
	}
	var reported *reportedError
	if p.json && !errors.As(err, &reported) {
		out := newErrorJSON(err)
		if he != nil && he.msg != "" {
			out.ErrorDescription = strings.TrimPrefix(he.msg, "hexauth: ") // the command line's words, not the library's
		}
		p.value(out)
	}
	return code
}

// hintedError is an error whose remedy is not the one of its exit code's (hintFor).
// msg, when set, replaces err's message: the library's names Go options
// ("(WithRedirectPort)") that mean nothing on a command line.
type hintedError struct {
	err  error
	hint string
	msg  string
}

func (e *hintedError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.err.Error()
}
func (e *hintedError) Unwrap() error { return e.err }

// hintFor says what to do after a failure with exit code code.
func hintFor(code int) string {
	switch code {
	case exitInteraction:
		return "sign in again: hexauth login (or hexauth ropc)"
	case exitUnavailable:
		return "the provider is unreachable or asked to wait: try again later"
	}
	return ""
}

func newErrorJSON(err error) errorJSON { return domain.MSALErrorOf(err) }

// exitCode maps an error to the documented exit codes: 2 usage, 3 interaction
// required, 4 refused by the provider, 5 provider unreachable or throttled, 1 anything
// else. A refused refresh token is both interaction required and invalid_grant: it is 3.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, domain.ErrInteractionRequired):
		return exitInteraction
	case errors.Is(err, domain.ErrUnavailable), errors.Is(err, domain.ErrThrottled):
		return exitUnavailable
	case errors.Is(err, domain.ErrInvalidGrant), errors.Is(err, domain.ErrInvalidClient),
		errors.Is(err, domain.ErrInvalidScope), errors.Is(err, domain.ErrAccessDenied):
		return exitRefused
	case errors.Is(err, domain.ErrInvalidInput):
		return exitUsage
	}
	return exitFailure
}
