package httpidp

import (
	"errors"
	"strconv"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// What metadataKey refused is checked again on every call (never remembered); what it
// passed is remembered per authority value, within a bound.
func TestCheckedAuthorities(t *testing.T) {
	var c checkedAuthorities
	calls := 0
	refuse := errors.New("refused")
	check := func(a domain.Authority) (string, string, error) {
		calls++
		if a.Tenant == "bad" {
			return "", "", refuse
		}
		return "key " + a.URL, "durl " + a.URL, nil
	}
	bad := domain.Authority{URL: "https://idp.example/bad", Tenant: "bad"}
	for range 2 {
		if _, _, err := c.key(bad, check); !errors.Is(err, refuse) {
			t.Fatalf("key(bad) = %v; want the refusal", err)
		}
	}
	if calls != 2 {
		t.Fatalf("a refused authority was checked %d times in 2 calls; want 2 (refusals are not remembered)", calls)
	}
	good := domain.Authority{URL: "https://idp.example/good"}
	other := domain.Authority{URL: "https://idp.example/good/"}
	for range 3 {
		if k, d, err := c.key(good, check); err != nil || k != "key https://idp.example/good" || d != "durl https://idp.example/good" {
			t.Fatalf("key(good) = %q, %q, %v", k, d, err)
		}
	}
	if k, _, _ := c.key(other, check); k != "key https://idp.example/good/" {
		t.Fatalf("key of another authority = %q; want its own", k)
	}
	if calls != 4 {
		t.Fatalf("checks = %d; want 4 (good once, other once)", calls)
	}
	for i := range maxCheckedAuthorities + 1 {
		if _, _, err := c.key(domain.Authority{URL: "https://idp.example/t" + strconv.Itoa(i)}, check); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.m); n > maxCheckedAuthorities {
		t.Fatalf("%d authorities remembered; want at most %d", n, maxCheckedAuthorities)
	}
}
