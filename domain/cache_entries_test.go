package domain_test

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func TestEntries_Key_unifiedCacheFormat(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want string
	}{
		{
			name: "access token",
			key: domain.AccessToken{HomeAccountID: "UID.UTID", Environment: "Login.MicrosoftOnline.com", ClientID: "Client-A",
				Realm: "Contoso", Target: "User.Read Mail.Read", Secret: "at"}.Key(),
			want: "UID.UTID-login.microsoftonline.com-accesstoken-client-a-Contoso-user.read mail.read",
		},
		{
			name: "app-only access token",
			key:  domain.AccessToken{Environment: "login.microsoftonline.com", ClientID: "client", Realm: "tid", Target: "https://graph.microsoft.com/.default"}.Key(),
			want: "-login.microsoftonline.com-accesstoken-client-tid-https://graph.microsoft.com/.default",
		},
		{
			name: "refresh token: no realm, no target",
			key: domain.RefreshToken{HomeAccountID: "UID.UTID", Environment: "login.microsoftonline.com", ClientID: "Client-A",
				FamilyID: "1", Target: "User.Read", Secret: "rt"}.Key(),
			want: "UID.UTID-login.microsoftonline.com-refreshtoken-client-a--",
		},
		{
			name: "id token: realm, empty target",
			key:  domain.IDToken{HomeAccountID: "UID.UTID", Environment: "login.microsoftonline.com", ClientID: "Client-A", Realm: "Contoso", Secret: "idt"}.Key(),
			want: "UID.UTID-login.microsoftonline.com-idtoken-client-a-Contoso-",
		},
		{
			name: "account",
			key:  domain.Account{HomeAccountID: "UID.UTID", Environment: "login.microsoftonline.com", Realm: "Contoso", Username: "Alice@contoso.com"}.Key(),
			want: "UID.UTID-login.microsoftonline.com-Contoso",
		},
		{
			name: "app metadata",
			key:  domain.AppMetadata{ClientID: "Client-A", Environment: "login.microsoftonline.com", FamilyID: "1"}.Key(),
			want: "appmetadata-login.microsoftonline.com-client-a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.key != tt.want {
				t.Errorf("Key() = %q; want %q", tt.key, tt.want)
			}
		})
	}
}

func TestRefreshToken_Key_onePerAccountEnvironmentClient(t *testing.T) {
	a := domain.RefreshToken{HomeAccountID: "u.t", Environment: "login.microsoftonline.com", ClientID: "c", Target: "a", Secret: "one"}
	b := a
	b.Target, b.Secret, b.FamilyID = "b c", "two", "1"
	if a.Key() != b.Key() {
		t.Errorf("refresh token keys differ by target or family: got %q and %q; want equal", a.Key(), b.Key())
	}
	c := a
	c.ClientID = "other"
	if a.Key() == c.Key() {
		t.Errorf("refresh tokens of two clients share key %q; want different keys", a.Key())
	}
}

func TestAccessToken_Usable_bufferBoundary(t *testing.T) {
	exp := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := domain.AccessToken{ExpiresOn: exp}
	buffer := 5 * time.Minute
	tests := []struct {
		name   string
		now    time.Time
		buffer time.Duration
		want   bool
	}{
		{name: "long before", now: exp.Add(-time.Hour), buffer: buffer, want: true},
		{name: "one nanosecond before the buffer", now: exp.Add(-buffer - time.Nanosecond), buffer: buffer, want: true},
		{name: "exactly at expires_on minus buffer", now: exp.Add(-buffer), buffer: buffer, want: false},
		{name: "inside the buffer", now: exp.Add(-time.Minute), buffer: buffer, want: false},
		{name: "at expiry", now: exp, buffer: buffer, want: false},
		{name: "after expiry", now: exp.Add(time.Hour), buffer: buffer, want: false},
		{name: "no buffer, just before", now: exp.Add(-time.Nanosecond), buffer: 0, want: true},
		{name: "no buffer, at expiry", now: exp, buffer: 0, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := at.Usable(tt.now, tt.buffer); got != tt.want {
				t.Errorf("Usable(expires_on%+v, %v) = %v; want %v", tt.now.Sub(exp), tt.buffer, got, tt.want)
			}
		})
	}
}

func TestAccessToken_RefreshDue(t *testing.T) {
	on := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		refreshOn time.Time
		now       time.Time
		want      bool
	}{
		{name: "no refresh_on", refreshOn: time.Time{}, now: on.Add(100 * time.Hour), want: false},
		{name: "before", refreshOn: on, now: on.Add(-time.Nanosecond), want: false},
		{name: "exactly at", refreshOn: on, now: on, want: true},
		{name: "after", refreshOn: on, now: on.Add(time.Second), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := domain.AccessToken{RefreshOn: tt.refreshOn}
			if got := at.RefreshDue(tt.now); got != tt.want {
				t.Errorf("RefreshDue(%v) with refresh_on %v = %v; want %v", tt.now, tt.refreshOn, got, tt.want)
			}
		})
	}
}

func TestAccessToken_Scopes_parsesTarget(t *testing.T) {
	at := domain.AccessToken{Target: "b  a b"}
	if got := at.Scopes(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Scopes() of target %q = %q; want [a b]", at.Target, got)
	}
}

func TestEntries_String_redactsSecret(t *testing.T) {
	const secret = "eyJ0eXAiOiJKV1QiLCJzZWNyZXQiOnRydWV9"
	values := []fmt.Stringer{
		domain.AccessToken{HomeAccountID: "u.t", Secret: secret},
		domain.RefreshToken{HomeAccountID: "u.t", Secret: secret},
		domain.IDToken{HomeAccountID: "u.t", Secret: secret},
	}
	for _, v := range values {
		if s := v.String(); strings.Contains(s, secret) || !strings.Contains(s, "u.t") {
			t.Errorf("%T.String() = %q; want the key without the secret", v, s)
		}
	}
}

func TestHomeAccount_IsZero(t *testing.T) {
	if !(domain.HomeAccount{Environment: "login.microsoftonline.com"}).IsZero() {
		t.Errorf("HomeAccount without id IsZero() = false; want true")
	}
	if (domain.HomeAccount{HomeAccountID: "u.t"}).IsZero() {
		t.Errorf("HomeAccount{u.t}.IsZero() = true; want false")
	}
}

func TestMatchEnvironment_anyOrAliasIgnoringCase(t *testing.T) {
	tests := []struct {
		envs []string
		env  string
		want bool
	}{
		{envs: nil, env: "x", want: true},
		{envs: []string{"login.windows.net", "login.microsoftonline.com"}, env: "LOGIN.microsoftonline.com", want: true},
		{envs: []string{"login.windows.net"}, env: "STS.windows.net", want: true}, // aliases of one cloud (DESIGN §3)
		{envs: []string{"login.microsoft.com"}, env: "login.microsoftonline.us", want: false},
		{envs: []string{"login.example.com"}, env: "login.example.org", want: false},
	}
	for _, tt := range tests {
		if got := domain.MatchEnvironment(tt.envs, tt.env); got != tt.want {
			t.Errorf("MatchEnvironment(%q, %q) = %v; want %v", tt.envs, tt.env, got, tt.want)
		}
	}
}

func TestRefreshLockKey_String_distinguishesFields(t *testing.T) {
	a := domain.RefreshLockKey{Partition: "p", HomeAccountID: "u.t", ClientID: "c", Environment: "login.microsoftonline.com"}
	b := domain.RefreshLockKey{Partition: "p-u.t", ClientID: "c", Environment: "login.microsoftonline.com"}
	if a.String() == b.String() {
		t.Errorf("RefreshLockKey %+v and %+v share String() %q; want different", a, b, a.String())
	}
	c := a
	c.Environment = "LOGIN.windows.net" // an alias of the same cloud, in another case
	if a.String() != c.String() {
		t.Errorf("RefreshLockKey String() differs by environment alias: %q vs %q; want one lock", a.String(), c.String())
	}
	for _, other := range []domain.RefreshLockKey{
		{Partition: "p", HomeAccountID: "u.t", ClientID: "c", Environment: "login.microsoftonline.com", Realm: "realms/a"},
		{Partition: "p", HomeAccountID: "u.t", ClientID: "c", Environment: "login.microsoftonline.com", FamilyID: "1"},
		{Partition: "p", HomeAccountID: "u.t", ClientID: "d", Environment: "login.microsoftonline.com"},
		{Partition: "p", HomeAccountID: "u.t", ClientID: "c", Environment: "idp.example.com"},
	} {
		if other.String() == a.String() {
			t.Errorf("RefreshLockKey %+v shares String() with %+v; want two locks", other, a)
		}
	}
}

// TestRefreshLockKey_String_separatorInAField: a partition and an OIDC sub are caller
// text and may hold the separator byte; two keys that differ in any field are still two
// locks, and a key without it keeps the form earlier versions use.
func TestRefreshLockKey_String_separatorInAField(t *testing.T) {
	const env = "idp.example.com"
	keys := []domain.RefreshLockKey{
		{Partition: "a\x1fb", HomeAccountID: "c", Environment: env},
		{Partition: "a", HomeAccountID: "b\x1fc", Environment: env},
		{Partition: "a", HomeAccountID: "b", Environment: env, Realm: "\x1f\x1f\x1fc"},
		{Partition: "a", HomeAccountID: "b", Environment: "c", ClientID: "", Realm: "\x1f"},
		{Partition: "a", HomeAccountID: "b\x1f" + env + "\x1f\x1f\x1f", Environment: env},
		{Partition: "a", HomeAccountID: "b", Environment: env},
	}
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			if a.String() == b.String() {
				t.Errorf("RefreshLockKey %+v and %+v share String() %q; want two locks", a, b, a.String())
			}
		}
	}
	if got, want := keys[len(keys)-1].String(), "a\x1fb\x1f"+env+"\x1f\x1f\x1f"; got != want {
		t.Errorf("String() = %q; want %q, the form earlier versions lock by", got, want)
	}
}

func TestRefreshLockKey_String_familyTokenIsOneLockForEveryClient(t *testing.T) {
	a := domain.RefreshLockKey{Partition: "p", HomeAccountID: "u.t", ClientID: "app-1", FamilyID: "1", Environment: "login.microsoftonline.com"}
	b := a
	b.ClientID = "app-2"
	if a.String() != b.String() {
		t.Fatalf("two apps redeeming one family refresh token take locks %q and %q; want one", a, b)
	}
}

func TestRefreshLockKey_String_realmsAreExact(t *testing.T) {
	a := domain.RefreshLockKey{Partition: "p", HomeAccountID: "sub", ClientID: "c", Environment: "idp", Realm: "realms/Foo"}
	b := a
	b.Realm = "realms/foo"
	if a.String() == b.String() {
		t.Fatalf("issuer realms Foo and foo share the lock %q; want two", a)
	}
}

func TestFoldHomeAccountID_entraIDsFoldOIDCSubjectsDoNot(t *testing.T) {
	const uid, utid = "9F4880D8-80BA-4C40-97BC-F7A23C703084", "72F988BF-86F1-41AF-91AB-2D7CD011DB47"
	tests := []struct{ id, want string }{
		{uid + "." + utid, strings.ToLower(uid + "." + utid)},
		{uid + "-B2C_1_SignIn." + utid, strings.ToLower(uid + "-B2C_1_SignIn." + utid)},
		{"Alice", "Alice"},
		{"alice", "alice"},
		{"Alice." + utid, "Alice." + utid},        // uid is not a GUID
		{uid + "." + "Contoso", uid + ".Contoso"}, // utid is not a GUID
		{uid + "x" + utid, uid + "x" + utid},
		{"", ""},
		// lower-case ASCII everywhere but a non-ASCII upper-case letter in a B2C policy:
		// still folded, as MSAL's ToLower does
		{strings.ToLower(uid) + "-b2c_1_Äpfel." + strings.ToLower(utid), strings.ToLower(uid) + "-b2c_1_äpfel." + strings.ToLower(utid)},
	}
	for _, tt := range tests {
		if got := domain.FoldHomeAccountID(tt.id); got != tt.want {
			t.Errorf("FoldHomeAccountID(%q) = %q; want %q", tt.id, got, tt.want)
		}
	}
	if domain.SameHomeAccountID("Alice", "alice") {
		t.Error("SameHomeAccountID(Alice, alice) = true; OIDC subjects are case-sensitive")
	}
	if !domain.SameHomeAccountID(uid+"."+utid, strings.ToLower(uid+"."+utid)) {
		t.Error("SameHomeAccountID of an Entra id in two cases = false; want true")
	}
}

func TestKeys_caseDistinctSubjectsAndRealmsAreDistinctEntries(t *testing.T) {
	at := func(home, realm string) domain.AccessToken {
		return domain.AccessToken{HomeAccountID: home, Environment: "IdP.example", ClientID: "App", Realm: realm, Target: "Read"}
	}
	if at("Alice", "r").Key() == at("alice", "r").Key() {
		t.Error("access tokens of subjects Alice and alice share a key")
	}
	if at("alice", "realms/A").Key() == at("alice", "realms/a").Key() {
		t.Error("access tokens of realms/A and realms/a share a key")
	}
	if got, want := at("Alice", "realms/A").Key(), "Alice-idp.example-accesstoken-app-realms/A-read"; got != want {
		t.Errorf("Key() = %q; want %q", got, want)
	}
	rt := func(realm string) domain.RefreshToken {
		return domain.RefreshToken{HomeAccountID: "alice", Environment: "idp", ClientID: "c", Realm: realm}
	}
	if rt("realms/a").Key() == rt("realms/b").Key() {
		t.Error("refresh tokens of two issuer realms on one host share a key")
	}
	if got, want := rt("").Key(), "alice-idp-refreshtoken-c--"; got != want {
		t.Errorf("refresh token Key() = %q; want MSAL's %q", got, want)
	}
	acct := func(home string) domain.Account {
		return domain.Account{HomeAccountID: home, Environment: "idp", Realm: "r"}
	}
	if acct("Alice").Key() == acct("alice").Key() {
		t.Error("accounts Alice and alice share a key")
	}
}

func TestCacheSnapshot_Len(t *testing.T) {
	s := domain.CacheSnapshot{
		AccessTokens: make([]domain.AccessToken, 2), RefreshTokens: make([]domain.RefreshToken, 1),
		IDTokens: make([]domain.IDToken, 1), Accounts: make([]domain.Account, 3), AppMetadata: make([]domain.AppMetadata, 1),
	}
	if got := s.Len(); got != 8 {
		t.Errorf("Len() = %d; want 8", got)
	}
}

func TestFoldUsername_lowerCase(t *testing.T) {
	if got := domain.FoldUsername("Alice@Contoso.COM"); got != "alice@contoso.com" {
		t.Errorf("FoldUsername = %q; want %q", got, "alice@contoso.com")
	}
}

func TestCacheWrite_Upserts_leavesNilEntriesOut(t *testing.T) {
	w := domain.CacheWrite{AccessToken: &domain.AccessToken{Target: "a"}, Account: &domain.Account{Username: "u"}}
	s := w.Upserts()
	if len(s.AccessTokens) != 1 || len(s.Accounts) != 1 || len(s.RefreshTokens)+len(s.IDTokens)+len(s.AppMetadata) != 0 {
		t.Fatalf("Upserts() = %+v; want exactly the access token and the account", s)
	}
}

func TestAuthorizationRequest_Query(t *testing.T) {
	age := 90 * time.Second
	q, err := domain.AuthorizationRequest{
		ClientID: "c", RedirectURI: "https://app/cb", Scopes: []string{"openid", "read"}, State: "s", Nonce: "n",
		CodeChallenge: "ch", MaxAge: &age, Extra: url.Values{"x": {"1"}},
	}.Query()
	if err != nil {
		t.Fatal(err)
	}
	want := "client_id=c&code_challenge=ch&code_challenge_method=S256&max_age=90&nonce=n&redirect_uri=https%3A%2F%2Fapp%2Fcb&response_type=code&scope=openid+read&state=s&x=1"
	if got := q.Encode(); got != want {
		t.Fatalf("Query() = %s; want %s", got, want)
	}
	for _, bad := range []domain.AuthorizationRequest{
		{RedirectURI: "https://app/cb"},
		{ClientID: "c", RedirectURI: "r", Extra: url.Values{"state": {"x"}}, State: "s"},
	} {
		if _, err := bad.Query(); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("Query(%+v) error = %v; want ErrInvalidInput", bad, err)
		}
	}
	// Without a redirect URI the provider uses the registered one: none is sent.
	if q, err := (domain.AuthorizationRequest{ClientID: "c", State: "s"}).Query(); err != nil || q.Has("redirect_uri") {
		t.Fatalf("Query() without a redirect URI = %v, %v; want no redirect_uri", q, err)
	}
}

func TestRefreshLockKey_String_idsIgnoreCaseAsTheirKindSays(t *testing.T) {
	const entra = "9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47"
	a := domain.RefreshLockKey{Partition: "p", HomeAccountID: entra, ClientID: "Client", Environment: "Login.example"}
	b := domain.RefreshLockKey{Partition: "p", HomeAccountID: strings.ToLower(entra), ClientID: "client", Environment: "login.example"}
	if a.String() != b.String() {
		t.Fatalf("lock keys %q and %q differ only by case; want one lock", a, b)
	}
	if c := (domain.RefreshLockKey{Partition: "P", HomeAccountID: b.HomeAccountID, ClientID: "client", Environment: "login.example"}); c.String() == b.String() {
		t.Fatal("partitions that differ by case share a lock key; want them apart")
	}
	x := domain.RefreshLockKey{Partition: "p", HomeAccountID: "Alice", ClientID: "c", Environment: "idp"}
	y := x
	y.HomeAccountID = "alice"
	if x.String() == y.String() {
		t.Fatal("OIDC subjects Alice and alice share a refresh lock; want two")
	}
}

// A rotation records the token it replaced, newest first, bounded, never itself; a
// response that keeps the same token records nothing.
func TestRefreshToken_RecordRotation(t *testing.T) {
	tok := func(s string) domain.RefreshToken { return domain.RefreshToken{Secret: domain.Secret(s)} }
	cur := tok("rt-0")
	for i := 1; i <= domain.MaxSpentFingerprints+3; i++ {
		next := tok(fmt.Sprintf("rt-%d", i))
		next.RecordRotation(cur)
		cur = next
	}
	spent := cur.Spent()
	if len(spent) != domain.MaxSpentFingerprints {
		t.Fatalf("after %d rotations Spent() has %d; want %d", domain.MaxSpentFingerprints+3, len(spent), domain.MaxSpentFingerprints)
	}
	last := fmt.Sprintf("rt-%d", domain.MaxSpentFingerprints+2)
	if spent[0] != domain.RefreshFingerprint(domain.Secret(last)) || !cur.Supersedes(domain.Secret(last)) {
		t.Errorf("Spent()[0] is not the token just replaced")
	}
	if cur.Supersedes("rt-0") {
		t.Error("a token older than the bound is still listed")
	}
	if cur.Supersedes(cur.Secret) {
		t.Error("a token supersedes itself")
	}
	same := tok("kept")
	same.RecordRotation(tok("kept"))
	if same.Extra != nil {
		t.Errorf("a refresh that kept the token recorded %v; want nothing", same.Extra)
	}
	if strings.Contains(fmt.Sprint(cur.Extra), "rt-") {
		t.Error("the spent record holds a refresh token in clear")
	}
}
