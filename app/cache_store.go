package app

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
	"github.com/hexauth/hexauth/ports"
	"go.uber.org/fx"
)

// Cache is a view of a token cache that belongs to no client: it imports, exports and
// lists a partition whole, every client's entries alike, as an MSAL document holds
// them. A command-line tool or a migration uses it where no client id or authority is
// known; a client's own ImportCache, ExportCache and Accounts are unchanged.
type Cache struct {
	store     ports.CacheStore
	authority *domain.Authority // nil: no issuer realm to adopt on import
	cfg       Config
	stop      func(context.Context) error
}

// OpenCache opens the store cfg.Cache names (or takes cfg.CacheStore, which Close then
// leaves open), sealed with cfg.SealingKey when set, as a client of cfg would. Only
// Cache, CacheStore, NearCacheBytes, SealingKey, Logger and, optionally, Authority and
// AuthorityKind are read: ClientID is not needed. With an Authority, ImportCache gives
// an OIDC issuer's realm to the document's realm-less refresh tokens as a client's
// ImportCache does (domain.AdoptIssuerRealm); without one they are imported as they are.
func OpenCache(ctx context.Context, cfg Config) (*Cache, error) {
	if err := checkContext(ctx, "OpenCache"); err != nil {
		return nil, err
	}
	if err := cfg.checkCache(); err != nil {
		return nil, err
	}
	c := &Cache{cfg: cfg}
	if cfg.Authority != "" {
		a, err := domain.ParseAuthority(cfg.Authority, cfg.AuthorityKind)
		if err != nil {
			return nil, err
		}
		c.authority = &a
	}
	opts := []fx.Option{fx.NopLogger, fx.Supply(cfg), storeModule(cfg), fx.Populate(&c.store)}
	if d := storeDecorator(cfg); d != nil {
		opts = append(opts, d)
	}
	a := fx.New(opts...)
	if err := a.Err(); err != nil {
		return nil, rootCause(err)
	}
	if err := a.Start(ctx); err != nil {
		return nil, startErr(err)
	}
	c.stop = a.Stop
	// No engine here: the cache seals as NewEngine does (a document imported through it
	// with cfg.SealingKey lands sealed, like the tokens the clients write).
	if cfg.SealingKey != nil {
		sealed, err := sealStore(c.store, cfg)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.store = sealed
	}
	return c, nil
}

// Close releases the store. It is safe to call more than once.
func (c *Cache) Close() error {
	if c.stop == nil {
		return nil
	}
	stop := c.stop
	c.stop = nil
	return stop(context.Background())
}

// ImportCache reads an MSAL unified token-cache document from r into partition, every
// client's entries, as a client's ImportCache does: decoded whole, imported atomically,
// a refresh token stored and newer than the document's kept.
func (c *Cache) ImportCache(ctx context.Context, partition string, r io.Reader) (CacheReport, error) {
	if err := checkContext(ctx, "ImportCache"); err != nil {
		return CacheReport{}, err
	}
	clock := c.cfg.Clock
	if clock == nil {
		clock = systemClock{}
	}
	return importDocument(ctx, documentImport{store: c.store, partition: partition, authority: c.authority, now: clock.Now(), log: c.cfg.Logger}, r)
}

// ExportCache writes every entry of partition to w, as a client's ExportCache does. It
// holds token secrets in clear: protect w as the cache itself.
func (c *Cache) ExportCache(ctx context.Context, partition string, w io.Writer) error {
	if err := checkContext(ctx, "ExportCache"); err != nil {
		return err
	}
	snap, err := c.store.Export(ctx, partition)
	if err != nil {
		return err
	}
	data, err := msalcache.Encode(snap)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		return &domain.Error{Class: domain.ErrInvalidInput, Op: "app: export cache", Description: "write the document", Err: err}
	}
	return nil
}

// ClearPartition deletes every entry of partition, of every client: tokens, accounts,
// app metadata and foreign sections, atomically. Other partitions are untouched. It
// fails with domain.ErrInvalidInput when the store cannot clear a partition
// (ports.PartitionClearer); the memory, SQLite and Postgres stores can.
func (c *Cache) ClearPartition(ctx context.Context, partition string) error {
	if err := checkContext(ctx, "ClearPartition"); err != nil {
		return err
	}
	pc, ok := c.store.(ports.PartitionClearer)
	if !ok {
		return domain.Errorf(domain.ErrInvalidInput, "app: clear partition: the cache store cannot clear a partition")
	}
	return pc.ClearPartition(ctx, partition)
}

// Accounts returns the account records of partition, of every client and environment
// (each record its own entry: one per home account, environment and realm), sorted by
// username, home account id, environment and realm; a username keeps those whose
// username equals it case-insensitively. A client's Accounts, by contrast, lists the
// accounts visible to that client at its authority's cloud.
func (c *Cache) Accounts(ctx context.Context, partition string, opts ...AccountsOption) ([]Account, error) {
	if err := checkContext(ctx, "Accounts"); err != nil {
		return nil, err
	}
	var r accountsRequest
	for _, o := range opts {
		o.applyAccounts(&r)
	}
	if err := domain.CheckText("accounts: username filter", r.username, domain.MaxUsernameBytes); err != nil {
		return nil, err
	}
	list, err := c.store.Accounts(ctx, domain.AccountFilter{Partition: partition, Username: r.username})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(x, y Account) int {
		if n := strings.Compare(domain.FoldUsername(x.Username), domain.FoldUsername(y.Username)); n != 0 {
			return n
		}
		return strings.Compare(x.HomeAccountID+"\x00"+x.Environment+"\x00"+x.Realm, y.HomeAccountID+"\x00"+y.Environment+"\x00"+y.Realm)
	})
	return list, nil
}
