package webapp

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/aesgcm"
	"github.com/hexauth/hexauth/app"
)

// A sealed value opens only for the purpose (and tenant) it was sealed for, whatever
// its content: the flow cookie, acme's session, globex's session and the logout cookie
// are four locks.
func TestCookieJar_sealedValueOpensOnlyForItsPurpose(t *testing.T) {
	sealer, err := aesgcm.New(make([]byte, aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	jar := cookieJar{sealer: sealer}
	now := time.Unix(1_800_000_000, 0)
	// One payload that parses as either kind, so only the associated data tells a flow
	// from a session.
	payload := func(tenant string) map[string]any {
		return map[string]any{
			"tenant": tenant, "flow": app.AuthCodeFlow{State: "s"}, "exp": now.Add(time.Hour),
			"sid": "s", "csrf": "c", "state": "st",
		}
	}
	purposes := []struct {
		name, tenant string
		ad           []byte
		open         func(*http.Request) error
	}{
		{"flow", "acme", flowAD(), func(r *http.Request) error { _, err := jar.readFlow(r, now); return err }},
		{"session acme", "acme", sessionAD("acme"), func(r *http.Request) error { _, err := jar.readSession(r, "acme", now); return err }},
		{"session globex", "globex", sessionAD("globex"), func(r *http.Request) error { _, err := jar.readSession(r, "globex", now); return err }},
		{"logout", "acme", logoutAD(), func(r *http.Request) error { _, err := jar.readLogout(r, now); return err }},
	}
	names := map[string]string{"flow": jar.flowName(), "session acme": jar.sessionName("acme"), "session globex": jar.sessionName("globex"), "logout": jar.logoutName()}
	for _, sealedFor := range purposes {
		rec := httptest.NewRecorder()
		if err := jar.set(rec, "x", payload(sealedFor.tenant), sealedFor.ad, now.Add(time.Hour), now); err != nil {
			t.Fatal(err)
		}
		value := rec.Result().Cookies()[0].Value
		for _, openAs := range purposes {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: names[openAs.name], Value: value})
			err := openAs.open(r)
			if sealedFor.name == openAs.name && err != nil {
				t.Errorf("sealed for %s, opened as %s: %v; want it to open", sealedFor.name, openAs.name, err)
			}
			if sealedFor.name != openAs.name && err == nil {
				t.Errorf("sealed for %s, opened as %s: it opened; want errBadCookie", sealedFor.name, openAs.name)
			}
		}
	}
}
