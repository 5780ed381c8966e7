package domain_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hexauth/hexauth/domain"
)

// encodings are the forms in which a provider may echo a secret (DESIGN §5), computed
// with the standard library independently of the scrubber.
func encodings(s string) map[string]string {
	j, _ := json.Marshal(s)
	forms := map[string]string{
		"raw":           s,
		"query":         url.QueryEscape(s),
		"path":          url.PathEscape(s),
		"query-lower":   strings.ToLower(url.QueryEscape(s)),
		"json":          string(j[1 : len(j)-1]),
		"base64":        base64.StdEncoding.EncodeToString([]byte(s)),
		"base64-raw":    base64.RawStdEncoding.EncodeToString([]byte(s)),
		"base64url":     base64.URLEncoding.EncodeToString([]byte(s)),
		"base64url-raw": base64.RawURLEncoding.EncodeToString([]byte(s)),
		"hex":           hex.EncodeToString([]byte(s)),
		"HEX":           strings.ToUpper(hex.EncodeToString([]byte(s))),
	}
	if strings.ToLower(s) != s {
		// Lower-casing a query escape is a %xx form only when s has no capitals.
		delete(forms, "query-lower")
	}
	return forms
}

// basicHeader is an Authorization header as client_secret_basic sends it (RFC 6749
// §2.3.1): the secret sits inside a longer base64 run.
func basicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// hasUnsafe reports a character scrubbed text must never hold.
func hasUnsafe(s string) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		switch {
		case r < 0x20, r >= 0x7f && r < 0xa0, r == 0x2028, r == 0x2029, r == 0x061c, r == 0x200e, r == 0x200f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

func TestScrubProviderText_replacesEveryEncodingOfEverySecret(t *testing.T) {
	secrets := []string{"pw-Ünï/cödé+&=?x 9", "rt.0.AAAB-secret_value", "s3cr3t~client", "lower/case+secret&x=1"}
	for _, s := range secrets {
		for name, form := range encodings(s) {
			text := "AADSTS900144: request was grant_type=password&x=" + form + " end"
			got := domain.ScrubProviderText(text, 4096, secrets...)
			if strings.Contains(got, form) {
				t.Errorf("%s form of %q survived: %q", name, s, got)
			}
			if !strings.Contains(got, "AADSTS900144") || !strings.Contains(got, domain.Redacted) {
				t.Errorf("ScrubProviderText(%q) = %q; want the text kept with %s in place of the secret", text, got, domain.Redacted)
			}
		}
	}
}

func TestScrubProviderText_basicHeaderEcho(t *testing.T) {
	for _, secret := range []string{"s", "se", "sec", "secr", "secre", "secret-value-1", "secret-value-12", "secret-value-123", "se/cr+et:va=lue&1"} {
		for _, id := range []string{"a", "ab", "abc"} {
			h := basicHeader(id, secret)
			got := domain.ScrubProviderText("echo: Authorization: "+h, 4096, secret)
			dec := decodeBase64Runs(got)
			// RFC 6749 §2.3.1: the header holds the secret URL-encoded.
			if len(secret) >= 4 && (strings.Contains(dec, secret) || strings.Contains(dec, url.QueryEscape(secret))) {
				t.Errorf("client %q secret %q: the Basic header still decodes to the secret: %q", id, secret, got)
			}
		}
	}
}

// decodeBase64Runs decodes every base64 word of s at each of its offsets and returns
// what came out, so a test can look for a secret inside.
func decodeBase64Runs(s string) string {
	var out strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", r)
	}) {
		w = strings.TrimRight(w, "=")
		for i := 0; i < 4 && i < len(w); i++ {
			chunk := w[i:]
			chunk = chunk[:len(chunk)/4*4]
			if b, err := base64.RawStdEncoding.DecodeString(chunk); err == nil {
				out.Write(b)
				out.WriteByte('|')
			}
		}
	}
	return out.String()
}

func TestScrubProviderText_escapesControls(t *testing.T) {
	for _, c := range []string{"\x1b[2J", "\x9b31m", "\u2028", "\u2029", "\u202e", "\u2066", "\u061c", "\r\n", "\x00", "\x7f", "\xff"} {
		got := domain.ScrubProviderText("before"+c+"after", 4096)
		if r, bad := hasUnsafe(got); bad {
			t.Errorf("ScrubProviderText(%q) = %q; holds %U", c, got, r)
		}
		if !strings.Contains(got, `\`) {
			t.Errorf("ScrubProviderText(%q) = %q; want the control escaped, not dropped", c, got)
		}
	}
}

func TestScrubProviderText_bounded(t *testing.T) {
	got := domain.ScrubProviderText(strings.Repeat("é", 10000), 100)
	if len(got) > 100+len("…") || !utf8.ValidString(got) {
		t.Errorf("len(ScrubProviderText(20000 bytes, 100)) = %d, valid UTF-8 %v; want at most 103, valid", len(got), utf8.ValidString(got))
	}
	// A secret cut by the bound must not leave its head behind: scrub first, then cut.
	secret := "0123456789abcdef-secret"
	got = domain.ScrubProviderText(strings.Repeat("x", 90)+secret, 100, secret)
	if strings.Contains(got, secret[:10]) {
		t.Errorf("ScrubProviderText cut before scrubbing: %q", got)
	}
}

// A secret that looks like an escape (x1b) is found again after escaping, and the
// rest of the text is kept.
func TestScrubProviderText_secretSpeltByAnEscape(t *testing.T) {
	got := domain.ScrubProviderText("code \x1b here", 4096, "x1b")
	if strings.Contains(got, "x1b") || !strings.Contains(got, "code") || !strings.Contains(got, "here") {
		t.Errorf("ScrubProviderText = %q; want the text kept and x1b redacted", got)
	}
}

func TestScrubProviderText_withholdsWhatCannotBeScrubbed(t *testing.T) {
	got := domain.ScrubProviderText("your password d is wrong", 4096, "d")
	if strings.Contains(got, "d") {
		t.Errorf("ScrubProviderText with the secret %q = %q; want the text withheld", "d", got)
	}
}

func TestError_Error_escapesControlsSetWithoutScrubbing(t *testing.T) {
	e := &domain.Error{Class: domain.ErrInvalidGrant, Code: "bad\x1b[31m", SubError: "s\u202e", Description: "line\u2028two\x1b]0;title\x07", CorrelationID: "c\r\n"}
	if r, bad := hasUnsafe(e.Error()); bad {
		t.Errorf("Error() = %q; holds %U", e.Error(), r)
	}
}

func TestError_Scrub_everyProviderField(t *testing.T) {
	s := "the-Refresh-Token-value"
	e := &domain.Error{Code: "x" + s, Description: "d" + s, SubError: s, CorrelationID: s, TraceID: s, Timestamp: s, Claims: `{"c":1}`}
	e.Scrub(s)
	for name, v := range map[string]string{"Code": e.Code, "Description": e.Description, "SubError": e.SubError,
		"CorrelationID": e.CorrelationID, "TraceID": e.TraceID, "Timestamp": e.Timestamp} {
		if strings.Contains(v, s) {
			t.Errorf("after Scrub, %s = %q; holds the secret", name, v)
		}
	}
	if e.Claims != `{"c":1}` {
		t.Errorf("Scrub changed Claims to %q; want it verbatim", e.Claims)
	}
}

func TestTokenRequest_Secrets(t *testing.T) {
	r := domain.TokenRequest{Code: "c", CodeVerifier: "v", Password: "p", RefreshToken: "r", Username: "u",
		Credential: domain.ClientCredential{Secret: "s"}}
	got := strings.Join(r.Secrets(), ",")
	for _, want := range []string{"c", "v", "p", "r", "u", "s"} {
		if !strings.Contains(got, want) {
			t.Errorf("Secrets() = %q; want it to hold %q", got, want)
		}
	}
}

// FuzzScrubProviderText: whatever the provider writes around the request's secrets, no
// secret survives in any encoding, the result is bounded and holds no control
// character.
func FuzzScrubProviderText(f *testing.F) {
	f.Add("invalid_grant: echo ", "pa ss+w/ord", "client-secret", uint8(0))
	f.Add("\x1b[31m", "ab", "\u2028x", uint8(3))
	f.Add("", "€uro", "s", uint8(7))
	f.Fuzz(func(t *testing.T, text, secret, other string, pick uint8) {
		forms := encodings(secret)
		names := []string{"raw", "query", "path", "json", "base64", "base64-raw", "base64url", "base64url-raw", "hex", "HEX"}
		name := names[int(pick)%len(names)]
		in := text + forms[name] + text + basicHeader("client", secret) + forms["raw"]
		const max = 512
		got := domain.ScrubProviderText(in, max, secret, other)
		if len(got) > max+len("…") {
			t.Fatalf("len = %d; want at most %d", len(got), max+len("…"))
		}
		if r, bad := hasUnsafe(got); bad {
			t.Fatalf("ScrubProviderText(%q) = %q; holds %U", in, got, r)
		}
		for _, s := range []string{secret, other} {
			if s == "" {
				continue
			}
			for n, form := range encodings(s) {
				if form != "" && strings.Contains(got, form) {
					t.Fatalf("secret %q survived as %s %q in %q", s, n, form, got)
				}
			}
		}
	})
}

func TestScrubProviderText_secretCutByAnEarlierBound(t *testing.T) {
	secret := "0123456789abcdef-secret"
	got := domain.ScrubProviderText("grant failed for "+secret[:12]+"…", 4096, secret)
	if strings.Contains(got, secret[:12]) || strings.Contains(got, secret[:4]) {
		t.Errorf("ScrubProviderText kept the head of a secret cut by a bound: %q", got)
	}
}
