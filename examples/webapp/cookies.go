package webapp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/hexauth/hexauth/adapters/aesgcm"
	"github.com/hexauth/hexauth/app"
)

// maxCookieBytes bounds what is read from a cookie before it is opened: a sealed flow
// (its authorization URL included) fits in a browser's 4 KiB cookie many times less.
const maxCookieBytes = 4096

// errBadCookie is a cookie that is absent, oversized, not sealed by our key for this
// purpose, or expired. Which of these it was is not told apart on purpose: each is
// "start again".
var errBadCookie = errors.New("webapp: no valid cookie")

// flowCookie is the sealed content of the flow cookie: one sign-in in progress.
type flowCookie struct {
	Tenant  string           `json:"tenant"`
	Flow    app.AuthCodeFlow `json:"flow"` // its JSON keeps the PKCE verifier: sealed, never in clear
	Expires time.Time        `json:"exp"`
}

// sessionCookie is the sealed content of a tenant's session cookie. It names the
// partition and the server-side session (sessionStore), which names the account; it
// holds no token and no account, so that deleting the session ends every copy of it.
type sessionCookie struct {
	Tenant    string    `json:"tenant"`
	SessionID string    `json:"sid"`  // 256 random bits, made at sign-in
	CSRF      string    `json:"csrf"` // the sign-out form's token
	Expires   time.Time `json:"exp"`
}

// logoutCookie is the sealed content of the logout cookie: one sign-out at the provider
// in progress, whose state the provider hands back at PostLogoutRedirectURI.
type logoutCookie struct {
	Tenant  string    `json:"tenant"`
	State   string    `json:"state"`
	Expires time.Time `json:"exp"`
}

// cookieJar seals, sets, reads and clears the application's cookies.
type cookieJar struct {
	sealer *aesgcm.Sealer
	secure bool // https: Secure and the "__Host-" prefix (RFC 6265bis §4.1.3.2)
}

func (j cookieJar) name(base string) string {
	if j.secure {
		return "__Host-" + base
	}
	return base
}

func (j cookieJar) flowName() string { return j.name("webapp-flow") }

func (j cookieJar) sessionName(tenant string) string { return j.name("webapp-session-" + tenant) }

func (j cookieJar) logoutName() string { return j.name("webapp-logout") }

// The associated data binds a sealed value to its purpose, and a session to its tenant:
// a flow cookie does not open as a session, nor tenant a's session as tenant b's.
func flowAD() []byte                 { return []byte("hexauth webapp flow v1") }
func sessionAD(tenant string) []byte { return []byte("hexauth webapp session v1 tenant=" + tenant) }
func logoutAD() []byte               { return []byte("hexauth webapp logout v1") }

// set seals v and sets it as cookie name until expires.
func (j cookieJar) set(w http.ResponseWriter, name string, v any, ad []byte, expires time.Time, now time.Time) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sealed, err := j.sealer.Seal(plain, ad)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/",
		MaxAge: int(expires.Sub(now).Seconds()), HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// open reads cookie name into v. Any failure is errBadCookie.
func (j cookieJar) open(r *http.Request, name string, ad []byte, v any) error {
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) > maxCookieBytes {
		return errBadCookie
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return errBadCookie
	}
	plain, err := j.sealer.Open(sealed, ad)
	if err != nil {
		return errBadCookie
	}
	if json.Unmarshal(plain, v) != nil {
		return errBadCookie
	}
	return nil
}

// clear deletes cookie name from the browser.
func (j cookieJar) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteLaxMode})
}

// readFlow returns the flow cookie's content when it opens and has not expired.
func (j cookieJar) readFlow(r *http.Request, now time.Time) (flowCookie, error) {
	var f flowCookie
	if err := j.open(r, j.flowName(), flowAD(), &f); err != nil {
		return flowCookie{}, err
	}
	if !now.Before(f.Expires) || !tenantName.MatchString(f.Tenant) {
		return flowCookie{}, errBadCookie
	}
	return f, nil
}

// readSession returns tenant's session when its cookie opens and has not expired.
func (j cookieJar) readSession(r *http.Request, tenant string, now time.Time) (sessionCookie, error) {
	var s sessionCookie
	if err := j.open(r, j.sessionName(tenant), sessionAD(tenant), &s); err != nil {
		return sessionCookie{}, err
	}
	if !now.Before(s.Expires) || s.Tenant != tenant || s.SessionID == "" || s.CSRF == "" {
		return sessionCookie{}, errBadCookie
	}
	return s, nil
}

// readLogout returns the logout cookie's content when it opens and has not expired.
func (j cookieJar) readLogout(r *http.Request, now time.Time) (logoutCookie, error) {
	var l logoutCookie
	if err := j.open(r, j.logoutName(), logoutAD(), &l); err != nil {
		return logoutCookie{}, err
	}
	if !now.Before(l.Expires) || !tenantName.MatchString(l.Tenant) || l.State == "" {
		return logoutCookie{}, errBadCookie
	}
	return l, nil
}
