package domain

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Bounds on what a caller (or a redirect) may hand the engine. Every value is checked at
// the start of a flow, before any provider or store call, so that an oversized or
// malformed value never reaches a provider, a log or a cache key; a value past its bound
// is ErrInvalidInput naming the field and the bound, never quoting the value. The bounds
// are generous for real use (Entra caps a UPN at 113 characters and a password at 256;
// codes and states are a few hundred bytes) and small enough that no request body or
// query grows without limit.
const (
	MaxUsernameBytes      = 1024      // ROPC username
	MaxPasswordBytes      = 1024      // ROPC password
	MaxScopeCount         = 100       // distinct scopes in one request
	MaxScopesBytes        = 8 * 1024  // all scopes of one request, space-joined
	MaxClaimsBytes        = 16 * 1024 // a claims request or challenge (JSON)
	MaxHintBytes          = 1024      // login_hint and domain_hint
	MaxRedirectURIBytes   = 2048      // the redirect URI
	MaxStateBytes         = 4096      // state, given by the caller or in a redirect
	MaxCodeBytes          = 4096      // an authorization code
	MaxCorrelationIDBytes = 128       // a correlation id (a GUID is 36)
	MaxRefreshTokenBytes  = 64 * 1024 // a refresh token the caller hands over
	MaxPromptBytes        = 256       // prompt: a few space-separated values
	MaxPKCEBytes          = 128       // a code verifier or challenge (RFC 7636 §4.1: 43 to 128)
	MaxNonceBytes         = 4096      // a nonce the caller checks an ID token against
)

// CheckText checks a caller's value of field: at most max bytes, valid UTF-8 and free
// of control characters (which would let a value forge a log line or a header). The
// error names field and the bound, never the value.
func CheckText(field, value string, max int) error {
	if len(value) > max {
		return Errorf(ErrInvalidInput, "%s exceeds %d bytes", field, max)
	}
	if !utf8.ValidString(value) {
		return Errorf(ErrInvalidInput, "%s is not valid UTF-8", field)
	}
	for _, r := range value {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return Errorf(ErrInvalidInput, "%s contains a control character", field)
		}
	}
	return nil
}

// CheckVSChars checks a value that RFC 6749 Appendix A defines as VSCHARs (%x20-7E:
// state, code): at most max bytes of printable ASCII. The error is of class, names field
// and the bound, and never quotes the value.
func CheckVSChars(class ErrorCode, field, value string, max int) error {
	if len(value) > max {
		return Errorf(class, "%s exceeds %d bytes", field, max)
	}
	if !isVSChars(value) {
		return Errorf(class, "%s is not printable ASCII (RFC 6749 Appendix A)", field)
	}
	return nil
}

func isVSChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// CheckCorrelationID checks a caller's correlation id: it is sent as a header
// (client-request-id) and logged, so at most MaxCorrelationIDBytes of visible ASCII.
func CheckCorrelationID(id string) error {
	if len(id) > MaxCorrelationIDBytes {
		return Errorf(ErrInvalidInput, "correlation id exceeds %d bytes", MaxCorrelationIDBytes)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= 0x20 || id[i] > 0x7e {
			return Errorf(ErrInvalidInput, "correlation id must be visible ASCII without spaces")
		}
	}
	return nil
}

// CheckRedirectURI checks a redirect URI (RFC 6749 §3.1.2): absolute, without a
// fragment, at most MaxRedirectURIBytes, and not plain http unless on a loopback host
// (RFC 6749 §3.1.2.1, RFC 8252 §7.3): a code
// sent over plain http to another host can be read on the way. Private-use schemes of
// native apps (com.example.app:/cb) are allowed. The error never quotes the URI.
func CheckRedirectURI(raw string) error {
	if len(raw) > MaxRedirectURIBytes {
		return Errorf(ErrInvalidInput, "redirect URI exceeds %d bytes", MaxRedirectURIBytes)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.ContainsAny(raw, " \t\r\n#") {
		return Errorf(ErrInvalidInput, "redirect URI must be an absolute URL without a fragment")
	}
	if strings.EqualFold(u.Scheme, "http") && !IsLoopbackHost(u.Hostname()) {
		return Errorf(ErrInvalidInput, "redirect URI must use https unless its host is loopback (127.0.0.1, [::1], localhost)")
	}
	return nil
}

// CheckOptionalRedirectURI is CheckRedirectURI for the calls where the redirect URI
// may be left out (MSAL: the provider then uses the app's registered redirect URI).
func CheckOptionalRedirectURI(raw string) error {
	if raw == "" {
		return nil
	}
	return CheckRedirectURI(raw)
}

// MaxRedirectPathBytes bounds the path of a loopback redirect URI.
const MaxRedirectPathBytes = 256

// CheckLoopbackRedirectPath checks the path of a loopback redirect URI
// (http://127.0.0.1:PORT/callback): absolute ("/" first, not "//", which would read as
// a host), at most MaxRedirectPathBytes, without query or fragment, and made only of
// the characters a path may hold unescaped (RFC 3986 §3.3 pchar without "%"), with no
// "." or ".." segment. Providers compare redirect URIs as strings, and a browser
// normalises dot segments and may re-escape characters: a path either would change
// arrives elsewhere than the listener waits, or no longer matches the registration.
func CheckLoopbackRedirectPath(path string) error {
	switch {
	case path == "":
		return Errorf(ErrInvalidInput, "redirect path is empty: want an absolute path such as /callback")
	case len(path) > MaxRedirectPathBytes:
		return Errorf(ErrInvalidInput, "redirect path exceeds %d bytes", MaxRedirectPathBytes)
	case path[0] != '/':
		return Errorf(ErrInvalidInput, "redirect path %q is not absolute: want it to start with /", path)
	case strings.HasPrefix(path, "//"):
		return Errorf(ErrInvalidInput, "redirect path %q starts with //, which reads as a host", path)
	case strings.ContainsRune(path, '?'):
		return Errorf(ErrInvalidInput, "redirect path %q has a query: the provider adds the query", path)
	case strings.ContainsRune(path, '#'):
		return Errorf(ErrInvalidInput, "redirect path %q has a fragment (RFC 6749 §3.1.2)", path)
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; !isPathChar(c) {
			return Errorf(ErrInvalidInput, "redirect path %q has the character %q: want letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ /", path, rune(c))
		}
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return Errorf(ErrInvalidInput, "redirect path %q has a %q segment, which browsers remove", path, seg)
		}
	}
	return nil
}

// isPathChar reports whether c may appear unescaped in a path: RFC 3986 pchar (less
// "%", as escapes are not canonical) or "/".
func isPathChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}

// CheckRefreshToken checks a refresh token a caller hands over: non-empty, at most
// MaxRefreshTokenBytes of visible ASCII (RFC 6749 Appendix A: VSCHAR).
func CheckRefreshToken(rt Secret) error {
	if rt == "" {
		return Errorf(ErrInvalidInput, "refresh token: a refresh token is required")
	}
	return CheckVSChars(ErrInvalidInput, "refresh token", string(rt), MaxRefreshTokenBytes)
}

// AuthRequestInputs are the caller's parameters of an authorization request.
type AuthRequestInputs struct {
	RedirectURI, State, Nonce, LoginHint, DomainHint, Claims, Prompt, CodeChallenge string
}

// Check applies the bounds of each field; an empty RedirectURI (the provider then
// uses the client's registered one), State, hint or claims is allowed.
func (in AuthRequestInputs) Check() error {
	if err := CheckOptionalRedirectURI(in.RedirectURI); err != nil {
		return err
	}
	for _, err := range []error{
		CheckVSChars(ErrInvalidInput, "state", in.State, MaxStateBytes),
		CheckVSChars(ErrInvalidInput, "nonce", in.Nonce, MaxNonceBytes),
		CheckText("login hint", in.LoginHint, MaxHintBytes),
		CheckText("domain hint", in.DomainHint, MaxHintBytes),
		CheckClaims(in.Claims),
		CheckVSChars(ErrInvalidInput, "prompt", in.Prompt, MaxPromptBytes),
		CheckVSChars(ErrInvalidInput, "code challenge", in.CodeChallenge, MaxPKCEBytes),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// CheckClaims bounds a claims request or challenge (OIDC Core §5.5, JSON: any
// whitespace may appear in it, so only its size and encoding are checked).
func CheckClaims(claims string) error {
	if len(claims) > MaxClaimsBytes {
		return Errorf(ErrInvalidInput, "claims exceed %d bytes", MaxClaimsBytes)
	}
	if !utf8.ValidString(claims) {
		return Errorf(ErrInvalidInput, "claims are not valid UTF-8")
	}
	return nil
}

// CheckCredentials checks an ROPC username and password: both required and bounded;
// the username must also be free of control characters. The password may hold any
// character a user can type; only its length is bounded.
func CheckCredentials(username string, password Secret) error {
	if username == "" || password == "" {
		return Errorf(ErrInvalidInput, "username/password: a username and a password are required")
	}
	if err := CheckText("username", username, MaxUsernameBytes); err != nil {
		return err
	}
	if len(password) > MaxPasswordBytes {
		return Errorf(ErrInvalidInput, "password exceeds %d bytes", MaxPasswordBytes)
	}
	return nil
}
