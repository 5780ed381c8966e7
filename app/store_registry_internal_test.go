package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// nopOpener is an opener that opens nothing, for registry tests.
type nopOpener struct{}

func (nopOpener) CheckCacheURL(string) error { return nil }
func (nopOpener) OpenCacheStore(context.Context, string, Config) (ports.CacheStore, error) {
	return nil, errors.New("nopOpener opens nothing")
}

func newRegistry() *storeRegistry { return &storeRegistry{openers: map[string]CacheStoreOpener{}} }

// In a program that imported no store package, a Cache URL of a store this module has
// is refused with the package to import, and any other with the scheme alone: never
// the URL, whose password, host or path would then reach logs.
func TestStoreRegistry_unregisteredSchemeNamesThePackageNotTheURL(t *testing.T) {
	const password = "hunter2-s3cret"
	r := newRegistry()
	for _, tc := range []struct {
		url       string
		wantParts []string
	}{
		{"postgres://hexauth:" + password + "@db.internal:5432/tokens?sslmode=verify-full", []string{`"postgres"`, "github.com/hexauth/hexauth/app/postgresstore"}},
		{"postgresql://hexauth@db.internal/tokens?password=" + password, []string{`"postgresql"`, "github.com/hexauth/hexauth/app/postgresstore"}},
		{"sqlite:///srv/" + password + "/tokens.db", []string{`"sqlite"`, "github.com/hexauth/hexauth/app/sqlitestore"}},
		{"sqlite::memory:", []string{`"sqlite"`, "github.com/hexauth/hexauth/app/sqlitestore"}},
		{"redis://default:" + password + "@cache.internal:6379/0", []string{`"redis"`, "import the package that registers it", "memory"}},
		{"hexauth:" + password + "@db.internal/tokens", []string{`"hexauth"`}}, // a DSN without its scheme: the user name is the scheme
		{password + " not a url", []string{"does not start with a scheme"}},
		{"://" + password, []string{"does not start with a scheme"}},
		{"memory:" + password, []string{"just memory:"}},
	} {
		scheme, opener, err := r.lookup(tc.url)
		if !errors.Is(err, domain.ErrInvalidInput) || opener != nil || scheme != "" {
			t.Errorf("lookup(%s) = %q, %v, %v; want ErrInvalidInput", strings.ReplaceAll(tc.url, password, "xxxxx"), scheme, opener, err)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, password) || strings.Contains(msg, "db.internal") || strings.Contains(msg, "/srv/") {
			t.Errorf("the error for a %s URL quotes the URL: %s", tc.wantParts[0], strings.ReplaceAll(msg, password, "xxxxx"))
		}
		for _, want := range tc.wantParts {
			if !strings.Contains(msg, want) {
				t.Errorf("the error for a %s URL = %q; want it to contain %q", tc.wantParts[0], msg, want)
			}
		}
	}
}

// The memory store needs no registration; a registered scheme finds its opener.
func TestStoreRegistry_lookup(t *testing.T) {
	r := newRegistry()
	r.register("fake", nopOpener{})
	for _, raw := range []string{"", "memory:", "memory://"} {
		if scheme, opener, err := r.lookup(raw); err != nil || opener != nil || scheme != memoryScheme {
			t.Errorf("lookup(%q) = %q, %v, %v; want the built-in memory store", raw, scheme, opener, err)
		}
	}
	if scheme, opener, err := r.lookup("fake://x"); err != nil || opener == nil || scheme != "fake" {
		t.Errorf("lookup(fake://x) = %q, %v, %v; want the registered opener", scheme, opener, err)
	}
	if _, _, err := r.lookup("FAKE://x"); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("lookup(FAKE://x) = %v; want ErrInvalidInput (schemes are registered and matched in lower case)", err)
	}
	r.register("another", nopOpener{})
	if got, want := r.schemes(), []string{"another", "fake", "memory"}; !slices.Equal(got, want) {
		t.Errorf("schemes() = %v; want %v", got, want)
	}
}

// Registering nil, twice, the built-in scheme or a malformed one is a programming
// error: it panics at start-up, as database/sql.Register does.
func TestStoreRegistry_registerPanics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scheme string
		opener CacheStoreOpener
	}{
		{"nil opener", "fake", nil},
		{"twice", "taken", nopOpener{}},
		{"memory", "memory", nopOpener{}},
		{"upper case", "Fake", nopOpener{}},
		{"empty", "", nopOpener{}},
		{"with the colon", "fake:", nopOpener{}},
		{"leading digit", "1fake", nopOpener{}},
		{"space", "fa ke", nopOpener{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry()
			r.register("taken", nopOpener{})
			defer func() {
				if recover() == nil {
					t.Errorf("register(%q, %v) did not panic", tc.scheme, tc.opener)
				}
			}()
			r.register(tc.scheme, tc.opener)
		})
	}
	r := newRegistry()
	r.register("git+ssh-2.x", nopOpener{}) // every character RFC 3986 allows
}

// openCounter accepts every URL and counts the stores it was asked to open.
type openCounter struct{ opened *int }

func (openCounter) CheckCacheURL(string) error { return nil }
func (o openCounter) OpenCacheStore(context.Context, string, Config) (ports.CacheStore, error) {
	*o.opened++
	return nil, errors.New("openCounter opens nothing")
}

// A store module opens only the URLs of its own schemes, even when its opener would
// take any: a graph never opens a store the configuration did not name.
func TestCacheStoreModule_refusesOtherSchemes(t *testing.T) {
	var opened int
	for _, cache := range []string{"", "memory:", "other://db/x", "fake2://x", "fakex"} {
		err := fx.New(fx.NopLogger, fx.Supply(Config{Cache: cache}), CacheStoreModule(openCounter{&opened}, "fake", "fake2x"),
			fx.Invoke(func(ports.CacheStore) {})).Err()
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("CacheStoreModule(fake, fake2x) with Cache %q: %v; want ErrInvalidInput", cache, err)
		}
	}
	if opened != 0 {
		t.Fatalf("the opener was asked to open %d stores; want none", opened)
	}
	_ = fx.New(fx.NopLogger, fx.Supply(Config{Cache: "fake2x://db"}), CacheStoreModule(openCounter{&opened}, "fake", "fake2x"),
		fx.Invoke(func(ports.CacheStore) {})).Err()
	if opened != 1 {
		t.Fatalf("with Cache fake2x://db the opener opened %d stores; want 1", opened)
	}
}
