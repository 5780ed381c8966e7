package app_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/app"
)

func TestConfig_MarshalJSON_redacts(t *testing.T) {
	cfg := secretConfig()
	for _, v := range []any{cfg, &cfg, struct{ C app.Config }{cfg}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%T) = %v", v, err)
		}
		assertNoSecret(t, "json.Marshal", string(b))
		for _, want := range []string{`"ClientID":"my-app"`, `"SealingKey":"set (32 bytes)"`, "hexauth:xxxxx@db.example.com"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("json.Marshal(%T) = %s; want it to show %s", v, b, want)
			}
		}
	}
	txt, _ := cfg.MarshalText()
	assertNoSecret(t, "MarshalText", string(txt))
}

func TestCredential_neverPrintsItsSecret(t *testing.T) {
	const secret = "Client-Secret-Canary-2f8b"
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []app.Credential{app.ClientSecret(secret), app.ClientCertificate(nil, key)} {
		var b strings.Builder
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			fmt.Fprintf(&b, verb+" ", c)
			fmt.Fprintf(&b, verb+" ", &c)
			fmt.Fprintf(&b, verb+" ", struct{ C app.Credential }{c})
		}
		j, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		if m, ok := any(c).(encoding.TextMarshaler); ok {
			txt, _ := m.MarshalText()
			b.Write(txt)
		}
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "c", c)
		slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "c", c)
		b.Write(logs.Bytes())
		out := b.String()
		for _, leak := range []string{secret, fmt.Sprint(key.D), fmt.Sprintf("%x", key.D.Bytes())} {
			if strings.Contains(out, leak) {
				t.Errorf("a credential printed %q:\n%s", leak, out)
			}
		}
	}
}
