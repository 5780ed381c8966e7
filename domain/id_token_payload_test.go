package domain

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The reading of ID token claims before claimsFromPayload, kept as the oracle that
// FuzzClaimsFromPayload compares it with: decode the payload into a map with
// encoding/json (numbers as json.Number), then read the typed fields from the map.

func oldClaimsFromPayload(p []byte) (IDTokenClaims, map[string]any, error) {
	var m map[string]any
	if err := decodeJSONObject(p, &m); err != nil {
		return IDTokenClaims{}, nil, errNotJSONObject
	}
	c, err := oldClaimsFromMap(m)
	return c, m, err
}

func oldClaimsFromMap(m map[string]any) (IDTokenClaims, error) {
	str := func(k string) string { s, _ := m[k].(string); return s }
	c := IDTokenClaims{
		Issuer: str("iss"), Subject: str("sub"), Nonce: str("nonce"), TenantID: str("tid"),
		ObjectID: str("oid"), PreferredUsername: str("preferred_username"), UPN: str("upn"),
		Email: str("email"), Name: str("name"), AuthorizedParty: str("azp"),
	}
	if v, ok := m["azp"]; ok && v != nil {
		if _, isStr := v.(string); !isStr {
			return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token azp is not a string")
		}
	}
	switch aud := m["aud"].(type) {
	case string:
		if aud != "" {
			c.Audience = []string{aud}
		}
	case []any:
		for _, a := range aud {
			s, ok := a.(string)
			if !ok {
				return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token aud holds a non-string")
			}
			if s != "" {
				c.Audience = append(c.Audience, s)
			}
		}
	}
	var err error
	if c.Expiry, err = oldNumericDate(m, "exp"); err != nil {
		return IDTokenClaims{}, err
	}
	if c.IssuedAt, err = oldNumericDate(m, "iat"); err != nil {
		return IDTokenClaims{}, err
	}
	if c.NotBefore, err = oldNumericDate(m, "nbf"); err != nil {
		return IDTokenClaims{}, err
	}
	if c.AuthTime, err = oldNumericDate(m, "auth_time"); err != nil {
		return IDTokenClaims{}, err
	}
	switch {
	case c.Issuer == "":
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no iss")
	case c.Subject == "":
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no sub")
	case len(c.Audience) == 0:
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no aud")
	case c.Expiry.IsZero():
		return IDTokenClaims{}, Errorf(ErrInvalidIDToken, "ID token has no exp")
	}
	return c, nil
}

func oldNumericDate(m map[string]any, k string) (time.Time, error) {
	v, ok := m[k]
	if !ok || v == nil {
		return time.Time{}, nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return time.Time{}, Errorf(ErrInvalidIDToken, "ID token %s is not a JSON number (RFC 7519 §2 NumericDate)", k)
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, Errorf(ErrInvalidIDToken, "ID token %s is not a valid date", k)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// payloadSeeds are ID token payloads: those of the real tokens in the repository's MSAL
// cache samples, and crafted ones at every edge of the old reading.
func payloadSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_=-]+\.(eyJ[A-Za-z0-9_=-]+)\.[A-Za-z0-9_=-]*`)
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(path, string(filepath.Separator)+"testdata"+string(filepath.Separator)) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range jwt.FindAllSubmatch(b, -1) {
			if p, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(string(m[1]), "=")); err == nil {
				seeds = append(seeds, p)
			}
		}
		return nil
	})
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no real ID tokens found in the repository's testdata (%v)", err)
	}
	// An Entra v2.0 work account's ID token, as the benchmarks' fixture.
	seeds = append(seeds, []byte(`{"aud":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","iss":"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",`+
		`"iat":1764158100,"nbf":1764158100,"exp":1764161700,"aio":"AWQAm/8ZAAAA","name":"User 1","nonce":"0f0e0d0c-0b0a-4908-8706-050403020100",`+
		`"oid":"00000001-0000-4000-8000-000000000001","preferred_username":"user1@contoso.example","rh":"1.AR8AvzrfcmqGq0GRqy18wBHbRw.",`+
		`"sid":"00112233-4455-4677-8899-aabbccddeeff","sub":"0000000000000000000000000000000000000000001","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47",`+
		`"uti":"uuuuuuuuuuuuuuuuuuuuuu","ver":"2.0"}`))
	base := `"iss":"https://idp","sub":"alice","aud":"c","exp":1700000000`
	crafted := []string{
		`{` + base + `}`,
		`  {` + base + `}  trailing garbage`,
		`{` + base + `}}`,
		`{` + base + `,}`,
		`{` + base + ` ,"x":[1,2,]}`,
		`{` + base + `,"ISS":"other","Sub":"x","AUD":"y","EXP":1}`,
		`{` + base + `,"iss":"second"}`,
		`{"iss":"first",` + base + `}`,
		`{` + base + `,"aud":["c","","d"],"azp":"c"}`,
		`{` + base + `,"aud":["c",1]}`,
		`{` + base + `,"aud":["c",null]}`,
		`{` + base + `,"aud":[]}`,
		`{` + base + `,"aud":[""]}`,
		`{` + base + `,"aud":""}`,
		`{` + base + `,"aud":1}`,
		`{` + base + `,"aud":{"c":1}}`,
		`{` + base + `,"aud":[1],"aud":"c"}`,
		`{` + base + `,"azp":1}`,
		`{` + base + `,"azp":null}`,
		`{` + base + `,"azp":""}`,
		`{` + base + `,"azp":[]}`,
		`{` + base + `,"exp":"1700000000"}`,
		`{` + base + `,"exp":null}`,
		`{` + base + `,"exp":1e11}`,
		`{` + base + `,"exp":1.00000000001e11}`,
		`{` + base + `,"exp":-0}`,
		`{` + base + `,"exp":-1}`,
		`{` + base + `,"exp":1e999}`,
		`{` + base + `,"exp":0.5,"iat":1.25,"nbf":0,"auth_time":99999999999.999}`,
		`{` + base + `,"iat":true}`,
		`{` + base + `,"nbf":{}}`,
		`{` + base + `,"auth_time":"x"}`,
		`{` + base + `,"exp":01}`,
		`{` + base + `,"exp":1.}`,
		`{` + base + `,"exp":.5}`,
		`{` + base + `,"exp":1e}`,
		`{` + base + `,"exp":+1}`,
		`{` + base + `,"exp":1E+2}`,
		`{` + base + `,"nonce":"\u0041\n\"\\\/\b\f\r\t","name":"\ud800\udc00 \ud800 x"}`,
		`{` + base + `,"name":"` + "\xff\xfe" + `"}`,
		`{` + base + `,"name":"` + "\x01" + `"}`,
		`{` + base + `,"name":"\x"}`,
		`{` + base + `,"name":"\u12"}`,
		`{` + base + `,"name":"\u12g4"}`,
		`{` + base + `,"\u0069ss":"escaped key"}`,
		`{` + base + `,"iss` + "\xff" + `":"bad utf-8 key"}`,
		`{` + base + `,"x":tru}`,
		`{` + base + `,"x":nulll}`,
		`{` + base + `,"x":true,"y":false,"z":null}`,
		`{` + base + `,"x":[{"a":[{}]},[[]],"s"]}`,
		`{` + base + `,"x":{"iss":"nested"}}`,
		`{` + base + `,"x":"}"}`,
		`{` + base + `,"x":"\"}"}`,
		`{` + base + `,"x" : 1 , "y" :2}`,
		"{\t\n\r" + base + "\r\n}",
		`{` + base,
		`{` + base + `,"x":`,
		`{` + base + `,"x":[1`,
		`{` + base + `,"x":"abc`,
		`{` + base + `,"x":1`,
		`{` + base + `:1}`,
		`{"iss"}`,
		`{"iss":"https://idp" "sub":"a"}`,
		`{1:2}`,
		`{}`,
		`{ }`,
		`null`,
		`  null x`,
		`nul`,
		`[]`,
		`"str"`,
		`1`,
		`true`,
		``,
		` `,
		`}`,
		`{` + base + `,"x":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`,
		`{` + base + `,"x":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`,
		`{` + base + `,"x":` + strings.Repeat(`{"a":`, maxJSONDepth-1) + `1` + strings.Repeat("}", maxJSONDepth-1) + `}`,
		`{` + base + `,"x":` + strings.Repeat(`{"a":`, maxJSONDepth) + `1` + strings.Repeat("}", maxJSONDepth) + `}`,
	}
	for _, s := range crafted {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// checkSameAsOld fails t unless claimsFromPayload reads p exactly as the old reading
// does: the same error (class and text) or the same claims, the full set included.
func checkSameAsOld(t *testing.T, p []byte) {
	t.Helper()
	oc, om, oerr := oldClaimsFromPayload(p)
	nc, nerr := claimsFromPayload(p)
	if (oerr == nil) != (nerr == nil) {
		t.Fatalf("payload %q: old error %v, new error %v", p, oerr, nerr)
	}
	if oerr != nil {
		var od, nd *Error
		oIs, nIs := errors.As(oerr, &od), errors.As(nerr, &nd)
		switch {
		case oIs != nIs:
			t.Fatalf("payload %q: old error %v, new error %v: not the same kind", p, oerr, nerr)
		case oIs && od.Class != nd.Class:
			t.Fatalf("payload %q: old error class %v, new %v", p, od.Class, nd.Class)
		case oerr.Error() != nerr.Error():
			t.Fatalf("payload %q: old error %q, new %q", p, oerr, nerr)
		}
		return
	}
	nc.lazy = &lazyClaims{payload: string(p)}
	if !reflect.DeepEqual(asFields(oc), asFields(nc)) {
		t.Fatalf("payload %q:\nold claims %#v\nnew claims %#v", p, asFields(oc), asFields(nc))
	}
	for _, tm := range []struct{ o, n time.Time }{{oc.Expiry, nc.Expiry}, {oc.IssuedAt, nc.IssuedAt}, {oc.NotBefore, nc.NotBefore}, {oc.AuthTime, nc.AuthTime}} {
		if tm.o != tm.n { // the same instant, location and monotonic reading
			t.Fatalf("payload %q: old time %#v, new %#v", p, tm.o, tm.n)
		}
	}
	if got := nc.RawClaims(); !reflect.DeepEqual(got, om) {
		t.Fatalf("payload %q: old claims %v, new %v", p, om, got)
	}
	if om == nil {
		t.Fatalf("payload %q: claims accepted with no claims", p)
	}
}

// asFields is c without its lazy state, for comparing.
func asFields(c IDTokenClaims) IDTokenClaims {
	c.lazy = nil
	return c
}

func TestClaimsFromPayload_sameAsTheMapReading(t *testing.T) {
	for _, p := range payloadSeeds(t) {
		checkSameAsOld(t, p)
	}
}

// FuzzClaimsFromPayload compares the one-pass reading of an ID token payload with the
// map reading it replaced (oldClaimsFromPayload), on any input.
//
//	go test -run '^$' -fuzz FuzzClaimsFromPayload -fuzztime 5m ./domain
func FuzzClaimsFromPayload(f *testing.F) {
	for _, p := range payloadSeeds(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		checkSameAsOld(t, p)
	})
}

// The full set of claims of a parsed token, decoded on first use, is that of its
// payload: base64 of the payload, padded or not, decoded as the map reading decoded it.
func TestParseIDToken_lazyClaimsAreThePayloads(t *testing.T) {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
	for _, p := range payloadSeeds(t) {
		oc, om, oerr := oldClaimsFromPayload(p)
		if oerr != nil {
			continue
		}
		seg := base64.URLEncoding.EncodeToString(p) // padded: the parser trims it
		_, c, err := ParseIDToken(h + "." + seg + ".c2ln")
		if err != nil {
			t.Fatalf("ParseIDToken(token of %q) error = %v; want nil", p, err)
		}
		if !reflect.DeepEqual(asFields(c), asFields(oc)) || !reflect.DeepEqual(c.RawClaims(), om) {
			t.Fatalf("ParseIDToken(token of %q) = %+v, %v; want %+v, %v", p, asFields(c), c.RawClaims(), asFields(oc), om)
		}
	}
}

// oldDecodeHeader is how the header was decoded before decodeHeader: json.Decoder into
// the struct, for every header.
func oldDecodeHeader(seg string) (JWTHeader, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return JWTHeader{}, errString("not base64url")
	}
	var h JWTHeader
	if err := decodeJSONObject(b, &h); err != nil {
		return JWTHeader{}, errString("not a JSON object")
	}
	return h, nil
}

func headerSeeds() []string {
	return []string{
		`{"alg":"RS256","kid":"k1","typ":"JWT"}`,
		`{"typ":"JWT","alg":"RS256","kid":"kWbkaa6qs8wsTnBwiiNYOhHbnAw","x5t":"kWbkaa6qs8wsTnBwiiNYOhHbnAw"}`,
		`{"alg":"RS256","ALG":"none"}`,
		`{"Alg":"none","alg":"RS256"}`,
		`{"alg":"RS256","alg":null}`,
		`{"alg":null}`,
		`{"alg":1}`,
		`{"alg":"RS256","kid":["k"]}`,
		`{"alg":"RS256","typ":{"a":1}}`,
		`{"alg":"RS256","crit":["b64"]}`,
		`{"alg":"RS256","crit":null}`,
		`{"alg":"RS256","crit":[ "b64" , "x" ]}`,
		`{"alg":"RS256","crit":""}`,
		`{"alg":"RS256","CRIT":[]}`,
		`{"alg":"RS256","Crit":1,"crit":2}`,
		`{"al\u0067":"none"}`,
		`{"\u212Aid":"kelvin","alg":"RS256"}`,
		`{"ſ":"long s","alg":"RS256"}`,
		`{"alg":"R\u00e9S"}`,
		`{"alg":"RS256"} trailing`,
		`{"alg":"RS256",}`,
		`{"alg":"RS256"`,
		` {"alg" : "RS256" , "kid" : "k" } `,
		`null`,
		`[]`,
		`"alg"`,
		`{}`,
		``,
	}
}

// checkHeaderSameAsOld fails t unless decodeHeader reads seg as the struct decoding did.
func checkHeaderSameAsOld(t *testing.T, seg string) {
	t.Helper()
	oh, oerr := oldDecodeHeader(seg)
	nh, nerr := decodeHeader(seg)
	if (oerr == nil) != (nerr == nil) || oerr != nil && oerr.Error() != nerr.Error() {
		t.Fatalf("header %q: old error %v, new %v", seg, oerr, nerr)
	}
	if !reflect.DeepEqual(oh, nh) {
		t.Fatalf("header %q: old %#v, new %#v", seg, oh, nh)
	}
}

func TestDecodeHeader_sameAsTheStructDecoding(t *testing.T) {
	for _, h := range headerSeeds() {
		checkHeaderSameAsOld(t, base64.RawURLEncoding.EncodeToString([]byte(h)))
	}
}

// FuzzDecodeHeader compares decodeHeader with the struct decoding it replaced.
//
//	go test -run '^$' -fuzz FuzzDecodeHeader -fuzztime 3m ./domain
func FuzzDecodeHeader(f *testing.F) {
	for _, h := range headerSeeds() {
		f.Add([]byte(h))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkHeaderSameAsOld(t, base64.RawURLEncoding.EncodeToString(b))
	})
}

// BenchmarkParseIDToken_entra measures ParseIDToken of an Entra v2.0-sized ID token
// (the payload seed below, an RS256 header, a 342-character signature), as a silent
// hit's claims-cache miss parses it; "cpu-ns/op" is the process's CPU time per
// parse, which a machine shared with other work inflates less than wall time.
//
//	go test -run '^$' -bench BenchmarkParseIDToken_entra -count 5 ./domain
func BenchmarkParseIDToken_entra(b *testing.B) {
	seeds := payloadSeeds(b)
	var payload []byte
	for _, p := range seeds {
		if strings.Contains(string(p), `"ver":"2.0"`) && strings.Contains(string(p), "user1@contoso.example") {
			payload = p
		}
	}
	raw := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","kid":"kWbkaa6qs8wsTnBwiiNYOhHbnAw"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(payload) + "." + strings.Repeat("s", 342)
	cpu := func() int64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0
		}
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	run := func(parse func(raw string) (IDTokenClaims, error)) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			start := cpu()
			for b.Loop() {
				if c, err := parse(raw); err != nil || c.PreferredUsername != "user1@contoso.example" {
					b.Fatalf("parse = %q, %v", c.PreferredUsername, err)
				}
			}
			b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(raw)), "token-B")
		}
	}
	b.Run("one-pass", run(func(raw string) (IDTokenClaims, error) {
		_, c, err := ParseIDToken(raw)
		return c, err
	}))
	// The parse before: the header and the payload through json.Decoder, the payload
	// into a map the claims were read from.
	b.Run("map-reading", run(func(raw string) (IDTokenClaims, error) {
		parts := strings.Split(raw, ".")
		if _, err := oldDecodeHeader(parts[0]); err != nil {
			return IDTokenClaims{}, err
		}
		p, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
		if err != nil {
			return IDTokenClaims{}, err
		}
		c, _, err := oldClaimsFromPayload(p)
		return c, err
	}))
}

// Copies of parsed claims share the lazily decoded set of claims: goroutines that read
// it at once from their own copies decode it once and see the same claims (run with
// -race); a clone decodes its own.
func TestIDTokenClaims_lazyClaimsAreSafeToShare(t *testing.T) {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
	p := `{"iss":"https://idp","sub":"alice","aud":["c","d"],"azp":"c","exp":1700000000,"groups":["g1",{"id":"g2"}]}`
	_, c, err := ParseIDToken(h + "." + base64.RawURLEncoding.EncodeToString([]byte(p)) + ".c2ln")
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := oldClaimsFromPayload([]byte(p))
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := range 16 {
		cp := c // each goroutine its own copy of the struct
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got map[string]any
			switch i % 3 {
			case 0:
				got = cp.RawClaims()
			case 1:
				g, _ := cp.Claim("groups")
				got = map[string]any{"groups": g}
				if !reflect.DeepEqual(g, want["groups"]) {
					errs <- "Claim(groups) differs"
				}
				return
			default:
				b, err := json.Marshal(cp)
				if err != nil {
					errs <- err.Error()
					return
				}
				var back IDTokenClaims
				if err := json.Unmarshal(b, &back); err != nil {
					errs <- err.Error()
					return
				}
				got = back.RawClaims()
			}
			if !reflect.DeepEqual(got, want) {
				errs <- "RawClaims differs"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if c.lazy.m == nil {
		t.Error("the copies' reads did not decode the shared claims once")
	}
	clone := c.Clone()
	if clone.lazy == c.lazy || clone.lazy.m != nil {
		t.Error("a clone shares the original's lazy state; want its own, not yet decoded")
	}
}
