package usecases

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports/mocks"
)

// servedClock is a settable ports.Clock.
type servedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *servedClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *servedClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

const (
	servedUID    = "00000001-0000-4000-8000-000000000001"
	servedUTID   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	servedGuest  = "00000009-0000-4000-8000-000000000009" // a guest tenant
	servedLocal  = "00000005-0000-4000-8000-000000000005" // the account's object id in the guest tenant
	servedHome   = servedUID + "." + servedUTID
	servedClient = "client-1"
)

var servedT0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// servedCall is one call of servableIDToken: the engine's client, the authority and
// its issuer, the account the row is filed under and the local account id beside it,
// and the time.
type servedCall struct {
	client    string
	authority domain.Authority
	issuer    string
	home      string
	local     string // "" for no account entry in the row's realm
	now       time.Time
}

// servedRig is an engine whose client, provider issuer and clock a test changes between
// calls of servableIDToken on one cached ID token row.
type servedRig struct {
	e      *engine
	clock  *servedClock
	issuer string
}

func newServedRig(t *testing.T) *servedRig {
	ctrl := gomock.NewController(t)
	r := &servedRig{clock: &servedClock{now: servedT0}}
	idp := mocks.NewMockIdentityProvider(ctrl)
	idp.EXPECT().Metadata(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, a domain.Authority) (domain.ProviderMetadata, error) {
		return domain.ProviderMetadata{Authority: a, Issuer: r.issuer}, nil
	}).AnyTimes()
	entra, err := domain.ParseAuthority("https://login.microsoftonline.com/"+servedGuest, domain.AuthorityEntra)
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEngine(Config{ClientID: servedClient, Authority: entra}, Deps{IdentityProvider: idp, Store: mocks.NewMockCacheStore(ctrl), Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	return r
}

// served calls servableIDToken for the row holding raw as call describes.
func (r *servedRig) served(t *testing.T, raw string, call servedCall) bool {
	t.Helper()
	r.e.cfg.ClientID = call.client
	r.issuer = call.issuer
	r.clock.set(call.now)
	var found domain.CacheEntries
	if call.local != "" {
		found.Accounts = []domain.Account{{HomeAccountID: call.home, Realm: servedGuest, LocalAccountID: call.local}}
	}
	row := domain.IDToken{HomeAccountID: call.home, ClientID: call.client, Realm: servedGuest, Secret: domain.Secret(raw)}
	iss := issuerOf{authority: call.authority}
	_, ok := r.e.servableIDToken(context.Background(), &iss, found, domain.Account{HomeAccountID: call.home}, &row)
	return ok
}

// A silent hit remembers the inputs a cached ID token row was found servable for, and
// skips the checks on a repeat hit with the same ones. Every check must still fire
// when any input it reads differs from the remembered ones, and the lifetime is
// checked against the clock on every hit.
func TestServableIDToken_rememberedRowIsCheckedAgainWhenAnInputDiffers(t *testing.T) {
	entra := func(t *testing.T) domain.Authority {
		a, err := domain.ParseAuthority("https://login.microsoftonline.com/"+servedGuest, domain.AuthorityEntra)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	oidc := func(t *testing.T) domain.Authority {
		a, err := domain.ParseAuthority("https://login.microsoftonline.com/"+servedGuest+"/v2.0", domain.AuthorityOIDC)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	issuer := "https://login.microsoftonline.com/" + servedGuest + "/v2.0"
	// A guest tenant's token of the account: Entra finds it about the account by its oid,
	// the local account id in the guest tenant; an OIDC issuer compares sub, which is
	// not the home account id.
	guestToken := func(t *testing.T) string {
		return rawIDToken(t, map[string]any{"iss": issuer, "sub": "pairwise-sub", "aud": servedClient, "tid": servedGuest,
			"oid": servedLocal, "iat": servedT0.Unix(), "exp": servedT0.Add(time.Hour).Unix()}, "c2ln")
	}
	good := func(t *testing.T) servedCall {
		return servedCall{client: servedClient, authority: entra(t), issuer: issuer, home: servedHome, local: servedLocal, now: servedT0}
	}
	for _, tc := range []struct {
		name  string
		other func(t *testing.T, c *servedCall)
	}{
		// CheckAudience: the token names client-1 alone.
		{"another client", func(t *testing.T, c *servedCall) { c.client = "client-2" }},
		// IDTokenIsAbout: a row filed under another account (one the token's sub is not).
		{"another account", func(t *testing.T, c *servedCall) { c.home = "sub-mallory" }},
		// IDTokenIsAbout: the account's object id in the guest tenant is another.
		{"another local account id", func(t *testing.T, c *servedCall) { c.local = "00000006-0000-4000-8000-000000000006" }},
		{"no local account id", func(t *testing.T, c *servedCall) { c.local = "" }},
		// IDTokenIsAbout: an OIDC issuer's rule (sub is the home account id).
		{"an OIDC issuer's rule", func(t *testing.T, c *servedCall) { c.authority = oidc(t) }},
		// CheckIssuer: the authority's issuer is another.
		{"another issuer", func(t *testing.T, c *servedCall) {
			c.issuer = "https://login.microsoftonline.com/" + servedUTID + "/v2.0"
		}},
		// Servable: the clock moved back before iat (issued in the future) ...
		{"the clock before iat", func(t *testing.T, c *servedCall) { c.now = servedT0.Add(-time.Hour) }},
		// ... or so far back that exp lies beyond the lifetime cap.
		{"exp beyond the cap from now", func(t *testing.T, c *servedCall) { c.now = servedT0.Add(-2 * domain.MaxTokenLifetime) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newServedRig(t)
			raw := guestToken(t)
			first := good(t)
			other := good(t)
			tc.other(t, &other)
			if !r.served(t, raw, first) || !r.served(t, raw, first) {
				t.Fatal("the account's own guest token: not served; want served (twice: parsed, then remembered)")
			}
			if r.e.claims.byRaw[raw].lastServed() == nil {
				t.Fatal("a row found servable is not remembered; the test would not exercise the remembered path")
			}
			if r.served(t, raw, other) {
				t.Errorf("served after it was found servable for other inputs; want refused: %s", tc.name)
			}
			// Checked without a remembered answer, the row is refused too: the case is one the checks refuse.
			fresh := newServedRig(t)
			if fresh.served(t, raw, other) {
				t.Fatalf("refused by a fresh engine: false; the case is not one the checks refuse: %s", tc.name)
			}
			if !r.served(t, raw, first) {
				t.Error("the original inputs after a refusal: not served; want served")
			}
		})
	}
}

// What an entry remembers is charged to the bound and never takes it past it; an
// evicted entry remembers nothing more.
func TestClaimsCache_remember_isChargedAndBounded(t *testing.T) {
	raw := rawIDToken(t, entraClaims(1), strings.Repeat("s", 342))
	c := newClaimsCache(1 << 20)
	_, e, ok := c.claims(raw)
	if !ok || e == nil {
		t.Fatal("claims: not cached")
	}
	before := c.bytes
	s := servedFor{clientID: "c", homeAccountID: servedHome, localAccountID: servedLocal, issuer: "https://login.microsoftonline.com/x/v2.0"}
	c.remember(e, s)
	if e.lastServed() == nil || c.bytes <= before || c.bytes != e.cost {
		t.Fatalf("after remember: served %v, %d bytes (were %d), entry cost %d; want it remembered and charged", e.lastServed(), c.bytes, before, e.cost)
	}
	charged := c.bytes
	c.remember(e, s) // the same again: charged once
	if c.bytes != charged {
		t.Errorf("remembering again: %d bytes; want %d (replaced, not added)", c.bytes, charged)
	}
	long := s
	long.issuer = strings.Repeat("i", maxServedForBytes)
	c.remember(e, long)
	if got := e.lastServed(); got == nil || got.issuer != s.issuer || c.bytes != charged {
		t.Errorf("remembering strings over %d bytes: %d bytes charged; want nothing remembered", maxServedForBytes, c.bytes)
	}

	tight := newClaimsCache(costOf(t, raw))
	_, e, _ = tight.claims(raw)
	tight.remember(e, s)
	if tight.bytes > tight.max || e.lastServed() != nil {
		t.Errorf("a full cache: %d of %d bytes, remembered %v; want nothing remembered past the bound", tight.bytes, tight.max, e.lastServed())
	}

	c2 := newClaimsCache(costOf(t, raw) * 3 / 2)
	_, evicted, _ := c2.claims(raw)
	c2.claims(rawIDToken(t, entraClaims(2), strings.Repeat("s", 342))) // evicts raw
	if c2.byRaw[raw] != nil {
		t.Fatal("the first token was not evicted")
	}
	bytes := c2.bytes
	c2.remember(evicted, s)
	if c2.bytes != bytes || evicted.lastServed() != nil {
		t.Errorf("remember on an evicted entry: %d bytes (were %d); want nothing charged or remembered", c2.bytes, bytes)
	}
}
