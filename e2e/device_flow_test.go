//go:build e2e

package e2e

import (
	"bufio"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// hexauth's device code flow (RFC 8628) against node-oidc-provider. The provider sends
// no interval, so hexauth polls every 5 s (RFC 8628 §3.2's default): each scenario
// takes about one interval.

// deviceOutcome is what AcquireTokenByDeviceFlow returned in its goroutine.
type deviceOutcome struct {
	res app.AuthResult
	err error
}

// startDeviceFlow initiates a device flow for clientID at realm a and polls for it in a
// goroutine; the test goroutine plays the user (approveDeviceCode may call t.Fatal).
func startDeviceFlow(t *testing.T, pc *app.PublicClient) (domain.DeviceFlow, <-chan deviceOutcome) {
	t.Helper()
	ctx := ctxOf(t)
	flow, err := pc.InitiateDeviceFlow(ctx, []string{apiRead})
	if err != nil {
		t.Fatalf("InitiateDeviceFlow = %v", err)
	}
	if flow.UserCode == "" || !strings.HasPrefix(flow.VerificationURI, issuers["a"]+"/") {
		t.Fatalf("device flow: user code %q, verification URI %q; want a code and a page of %s", flow.UserCode, flow.VerificationURI, issuers["a"])
	}
	done := make(chan deviceOutcome, 1)
	go func() {
		res, err := pc.AcquireTokenByDeviceFlow(ctx, flow)
		done <- deviceOutcome{res, err}
	}()
	return flow, done
}

func waitDevice(t *testing.T, done <-chan deviceOutcome) deviceOutcome {
	t.Helper()
	select {
	case o := <-done:
		return o
	case <-time.After(45 * time.Second):
		t.Fatal("AcquireTokenByDeviceFlow did not return within 45 s")
		return deviceOutcome{}
	}
}

func TestDeviceFlow_approved_cached_silentHit(t *testing.T) {
	resetCounts(t)
	pc := newPublic(t, "a", "public-pkce", sqliteCache(t), 0)
	flow, done := startDeviceFlow(t, pc)
	if p := approveDeviceCode(t, "a", flow.VerificationURIComplete, "", alice); !strings.Contains(p.body, "Sign-in Success") {
		t.Fatalf("approval ended at %s", p)
	}
	o := waitDevice(t, done)
	if o.err != nil {
		t.Fatalf("AcquireTokenByDeviceFlow = %v", o.err)
	}
	if o.res.AccessToken == "" || o.res.Account.HomeAccountID != aliceSub || o.res.Account.Username != alice {
		t.Fatalf("device flow result: account %+v, access token set %v; want alice's tokens", o.res.Account, o.res.AccessToken != "")
	}
	if n := counts(t).ok("a", "urn:ietf:params:oauth:grant-type:device_code"); n != 1 {
		t.Errorf("successful device_code grants = %d; want 1", n)
	}
	// Cached like any user flow: a silent call is a cache hit, and a refresh works.
	res, err := pc.AcquireTokenSilent(ctxOf(t), []string{apiRead}, o.res.Account)
	if err != nil || res.AccessToken != o.res.AccessToken {
		t.Fatalf("silent after the device flow = %v (same token: %v); want the cached token", err, err == nil && res.AccessToken == o.res.AccessToken)
	}
	if _, err := pc.AcquireTokenSilent(ctxOf(t), []string{apiRead}, o.res.Account, app.WithForceRefresh()); err != nil {
		t.Errorf("forced refresh after the device flow = %v; want the device flow's refresh token to work", err)
	}
}

func TestDeviceFlow_typedUserCode(t *testing.T) {
	pc := newPublic(t, "a", "public-pkce", sqliteCache(t), 0)
	flow, done := startDeviceFlow(t, pc)
	if p := approveDeviceCode(t, "a", flow.VerificationURI, flow.UserCode, alice); !strings.Contains(p.body, "Sign-in Success") {
		t.Fatalf("approval ended at %s", p)
	}
	if o := waitDevice(t, done); o.err != nil {
		t.Fatalf("AcquireTokenByDeviceFlow = %v", o.err)
	}
}

func TestDeviceFlow_declined_isAccessDenied(t *testing.T) {
	pc := newPublic(t, "a", "public-pkce", sqliteCache(t), 0)
	flow, done := startDeviceFlow(t, pc)
	abortDeviceCode(t, flow.VerificationURIComplete)
	o := waitDevice(t, done)
	if !errors.Is(o.err, domain.ErrAccessDenied) || errors.Is(o.err, domain.ErrInteractionRequired) {
		t.Fatalf("AcquireTokenByDeviceFlow after the user declined = %v; want ErrAccessDenied, not interaction required", o.err)
	}
	if l, _ := pc.Accounts(ctxOf(t)); len(l) != 0 {
		t.Errorf("accounts after a declined device flow = %+v; want none", l)
	}
}

func TestDeviceFlow_expired_isInteractionRequired(t *testing.T) {
	pc := newPublic(t, "a", "device-expiring", sqliteCache(t), 0)
	_, done := startDeviceFlow(t, pc)
	o := waitDevice(t, done)
	if !errors.Is(o.err, domain.ErrDeviceCodeExpired) || !errors.Is(o.err, domain.ErrInteractionRequired) {
		t.Fatalf("AcquireTokenByDeviceFlow of an expired code = %v; want ErrDeviceCodeExpired (interaction required)", o.err)
	}
}

// abortDeviceCode is the user who opens the page and declines on the confirmation page.
func abortDeviceCode(t *testing.T, verificationURIComplete string) {
	t.Helper()
	b := newBrowser(t, "")
	p := b.get(verificationURIComplete)
	p = b.submitWhere(p, func(f htmlForm) bool { return f.fields.Has("user_code") && f.fields.Has("xsrf") }, "user code", nil)
	b.submitID(p, "op.deviceConfirmForm", map[string][]string{"abort": {"yes"}, "confirm": nil})
}

// deviceMessage matches the message hexauth prints when the provider sends none.
var deviceMessage = regexp.MustCompile(`open the page (\S+) and enter the code (\S+) to authenticate`)

// TestCLI_loginDeviceCode runs hexauth login --device-code: the message (page and code)
// on stderr, the result (or with --output json the error object) alone on stdout; exit
// 4 when the user declines, 3 on expiry.
func TestCLI_loginDeviceCode(t *testing.T) {
	run := func(t *testing.T, clientID string, user func(page, code string)) (cliResult, tokenOut) {
		t.Helper()
		env := cliEnv(t, "a", clientID)
		cmd := hexauthCmd(ctxOf(t), env, "login", "--device-code", "--output", "json")
		var out strings.Builder
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = &out, pw
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		var errText strings.Builder
		seen := make(chan []string, 1)
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				errText.WriteString(sc.Text() + "\n")
				if m := deviceMessage.FindStringSubmatch(sc.Text()); m != nil {
					seen <- m[1:]
				}
			}
			close(seen)
		}()
		select {
		case m, ok := <-seen:
			if ok && user != nil {
				user(m[0], m[1])
			} else if !ok {
				t.Errorf("hexauth login --device-code printed no page and code on stderr")
			}
		case <-time.After(30 * time.Second):
			t.Errorf("hexauth login --device-code printed no page and code within 30 s")
		}
		err = cmd.Wait()
		<-done
		code := 0
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		r := cliResult{out.String(), errText.String(), code}
		var res tokenOut
		if code == 0 {
			res = tokenJSON(t, r)
		}
		return r, res
	}
	t.Run("approved", func(t *testing.T) {
		r, res := run(t, "public-pkce", func(page, code string) {
			if p := approveDeviceCode(t, "a", page, code, alice); !strings.Contains(p.body, "Sign-in Success") {
				t.Errorf("approval ended at %s", p)
			}
		})
		if r.code != 0 || res.AccessToken == "" || strings.Contains(r.stdout, "enter the code") {
			t.Fatalf("login --device-code: exit %d, stdout %q; want 0 and the result alone on stdout; stderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("declined exits 4", func(t *testing.T) {
		r, _ := run(t, "public-pkce", func(page, code string) {
			b := newBrowser(t, "")
			p := b.get(page)
			p = b.submitWhere(p, func(f htmlForm) bool { return f.fields.Has("user_code") && f.fields.Has("xsrf") }, "user code", map[string][]string{"user_code": {code}})
			b.submitID(p, "op.deviceConfirmForm", map[string][]string{"abort": {"yes"}, "confirm": nil})
		})
		if r.code != 4 || !strings.Contains(r.stdout, `"error": "access_denied"`) || strings.Contains(r.stdout, "access_token") {
			t.Fatalf("login --device-code declined: exit %d, stdout %q; want 4 and the access_denied error object; stderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("expired exits 3", func(t *testing.T) {
		r, _ := run(t, "device-expiring", nil)
		if r.code != 3 || !strings.Contains(r.stdout, `"error": "device_code_expired"`) || strings.Contains(r.stdout, "access_token") {
			t.Fatalf("login --device-code expired: exit %d, stdout %q; want 3 and the device_code_expired error object; stderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})
}
