package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// msalDocument is an MSAL Python token cache of n accounts of one Entra tenant, each
// with an access, refresh and ID token of the sizes Entra issues (a 1.6 KB access
// token, a 1 KB refresh token, an ID token of ~1.3 KB whose claims name the account).
func msalDocument(tb testing.TB, n int) []byte {
	tb.Helper()
	const env, tid, client = "login.microsoftonline.com", "72f988bf-86f1-41af-91ab-2d7cd011db47", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	now := time.Unix(1_700_000_000, 0).UTC()
	b64 := base64.RawURLEncoding.EncodeToString
	pad := func(prefix string, size int) string { return prefix + strings.Repeat("x", max(size-len(prefix), 0)) }
	var s domain.CacheSnapshot
	for i := range n {
		oid := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		home := oid + "." + tid
		user := fmt.Sprintf("user%06d@contoso.example", i)
		claims, err := json.Marshal(map[string]any{"aud": client, "iss": "https://" + env + "/" + tid + "/v2.0",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "name": "User " + oid[:8],
			"oid": oid, "preferred_username": user, "sub": pad("s", 43), "tid": tid, "ver": "2.0",
			"rh": pad("0.A", 60), "uti": pad("u", 22), "aio": pad("a", 300)})
		if err != nil {
			tb.Fatal(err)
		}
		idToken := b64([]byte(`{"typ":"JWT","alg":"RS256","kid":"`+pad("k", 27)+`"}`)) + "." + b64(claims) + "." + pad("sig", 342)
		s.AccessTokens = append(s.AccessTokens, domain.AccessToken{HomeAccountID: home, Environment: env, ClientID: client,
			Realm: tid, Target: "https://management.core.windows.net//user_impersonation https://management.core.windows.net//.default",
			Secret: domain.Secret(pad("eyJ0eXAiOiJKV1Qi.", 1600)), TokenType: "Bearer",
			CachedAt: now, ExpiresOn: now.Add(time.Hour), ExtendedExpiresOn: now.Add(time.Hour)})
		s.RefreshTokens = append(s.RefreshTokens, domain.RefreshToken{HomeAccountID: home, Environment: env, ClientID: client,
			FamilyID: "1", Target: "https://management.core.windows.net//user_impersonation", Secret: domain.Secret(pad("1.AXEA", 1000))})
		s.IDTokens = append(s.IDTokens, domain.IDToken{HomeAccountID: home, Environment: env, ClientID: client, Realm: tid,
			Secret: domain.Secret(idToken)})
		s.Accounts = append(s.Accounts, domain.Account{HomeAccountID: home, Environment: env, Realm: tid,
			LocalAccountID: oid, Username: user, AuthorityType: "MSSTS"})
	}
	s.AppMetadata = []domain.AppMetadata{{ClientID: client, Environment: env, FamilyID: "1"}}
	doc, err := msalcache.Encode(s)
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// benchAccounts is the size of BenchmarkImportCache_10kAccounts's document.
var benchAccounts = 10_000

// BenchmarkImportCache_10kAccounts measures what importing a 10,000-account MSAL cache
// costs in memory: B/op is every byte allocated, peak-B the most heap in use above
// the start while it ran (sampled every 50 µs, so a lower bound), per byte of document
// in peak-x. decode is msalcache.DecodeImportAs alone; import is Cache.ImportCache into
// an in-memory store.
//
//	go test -run '^$' -bench BenchmarkImportCache_10kAccounts -benchmem -benchtime 3x ./app
func BenchmarkImportCache_10kAccounts(b *testing.B) {
	doc := msalDocument(b, benchAccounts)
	ctx := context.Background()
	now := time.Unix(1_700_000_100, 0)
	b.Run("decode", func(b *testing.B) {
		measurePeak(b, len(doc), func() {
			if _, _, err := msalcache.DecodeImportAs(doc, now, domain.Authority{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("import", func(b *testing.B) {
		measurePeak(b, len(doc), func() {
			cache, err := app.OpenCache(ctx, app.Config{Cache: "memory:"})
			if err != nil {
				b.Fatal(err)
			}
			defer cache.Close()
			if _, err := cache.ImportCache(ctx, "bench", bytes.NewReader(doc)); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// measurePeak runs op b.N times and reports the peak heap in use above the start.
func measurePeak(b *testing.B, docSize int, op func()) {
	b.SetBytes(int64(docSize))
	b.ReportAllocs()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() int64 { metrics.Read(sample); return int64(sample[0].Value.Uint64()) }
	var peak int64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		base := heap()
		var top atomic.Int64
		done := make(chan struct{})
		go func() {
			t := time.NewTicker(50 * time.Microsecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					if h := heap() - base; h > top.Load() {
						top.Store(h)
					}
				}
			}
		}()
		b.StartTimer()
		op()
		close(done)
		peak = max(peak, top.Load())
	}
	b.ReportMetric(float64(peak), "peak-B")
	b.ReportMetric(float64(peak)/float64(docSize), "peak-x")
}
