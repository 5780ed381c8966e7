package app

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
	"github.com/hexauth/hexauth/ports"
)

// MaxCacheDocument bounds the size of a document ImportCache reads: 64 MiB, room for
// tens of thousands of accounts.
const MaxCacheDocument = 64 << 20

// CacheReport counts, per section, the entries ImportCache read from the document and
// handed to the store (which keeps a stored refresh token newer than the document's),
// lists what the document held that hexauth does not import, and names the imported
// entries no silent call will serve (Unservable: access tokens that are not Bearer), so
// that a migration never loses a token silently (see msalcache.Report).
type CacheReport = msalcache.Report

// ExportCache writes every entry of this client's partition to w as an MSAL unified
// token-cache document, in MSAL Python's layout (see msalcache.Encode), which MSAL
// Python, Go, Java, .NET and Node and the Azure CLI read. It holds token secrets in
// clear, opened if the store seals them: protect w as the cache itself.
func (c *client) ExportCache(ctx context.Context, w io.Writer) error {
	if err := checkContext(ctx, "ExportCache"); err != nil {
		return err
	}
	snap, err := c.env.deps.Store.Export(ctx, c.partition)
	if err != nil {
		return err
	}
	data, err := msalcache.Encode(snap)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return &domain.Error{Class: domain.ErrInvalidInput, Op: "app: export cache", Description: "write the document", Err: err}
	}
	return nil
}

// ImportCache reads an MSAL unified token-cache document from r (MSAL Python's, the
// Azure CLI's msal_token_cache.json, or any MSAL library's) and adds its entries to this
// client's partition, so that silent calls use them. Entries of the partition that the
// document does not name are kept; a refresh token already stored and newer than the
// document's is kept too. A refresh token without a timestamp (MSAL Go writes none) is
// stamped with the clock's now (msalcache.DecodeImport): the document the user imports
// must not silently lose to an older stored token, which its writer may have rotated
// and the provider revoked. The report's Conflicts list every refresh token that met a
// stored one of another secret, and which was kept.
//
// The document is decoded whole before the store is touched, and the store imports it
// in one atomic step: a malformed document (a *domain.Error of class
// domain.ErrInvalidInput naming the section, key and field, see msalcache.EntryError), a
// document larger than MaxCacheDocument or a store failure leaves the partition as it
// was. The report counts the entries read from the document and lists what it held that
// hexauth does not import; it is also logged at Info level (its counts, and the first
// entries of each list, keys cut: a document must not flood the log).
func (c *client) ImportCache(ctx context.Context, r io.Reader) (CacheReport, error) {
	if err := checkContext(ctx, "ImportCache"); err != nil {
		return CacheReport{}, err
	}
	authority := c.env.authority
	return importDocument(ctx, documentImport{
		store: c.env.deps.Store, partition: c.partition, authority: &authority,
		now: c.env.deps.Clock.Now(), log: c.env.cfg.Logger,
	}, r)
}

// documentImport is where an MSAL document goes: a store's partition, read through a
// client of authority (nil: none) at now.
type documentImport struct {
	store     ports.CacheStore
	partition string
	authority *domain.Authority
	now       time.Time
	log       *slog.Logger
}

// importDocument is every import's path (a client's ImportCache and Cache.ImportCache):
// read and decode the document whole, stamp its undated refresh tokens, give an OIDC
// issuer's realm to realm-less refresh tokens it ties to that issuer and drop those it
// does not (domain.AdoptIssuerRealm: without an authority, an OIDC issuer's realm-less
// refresh tokens are not imported), import atomically, and report conflicts with the
// stored refresh tokens.
func importDocument(ctx context.Context, in documentImport, r io.Reader) (CacheReport, error) {
	data, err := readDocument(r)
	if err != nil {
		return CacheReport{}, err
	}
	// MSAL writes refresh tokens without a realm; an OIDC issuer's are keyed by its path.
	// One the document does not tie to this issuer is not imported (Skipped): it could be
	// sent to an issuer that did not issue it.
	var authority domain.Authority
	if in.authority != nil {
		authority = *in.authority
	}
	snap, report, err := msalcache.DecodeImportAs(data, in.now, authority)
	if err != nil {
		return CacheReport{}, err
	}
	// A refresh token dated in the future (a writer's fast clock, or a crafted file)
	// would outrank every rotation a later refresh writes (stores keep the newer of two),
	// so the spent token would be sent again: it is dated now instead.
	now := in.now.Truncate(time.Second)
	for i := range snap.RefreshTokens {
		if rt := &snap.RefreshTokens[i]; rt.CachedAt.After(now) {
			rt.CachedAt = now
			report.Notices = append(report.Notices, msalcache.Notice{Section: msalcache.SectionRefreshToken, Key: rt.Key(),
				Field: "cached_at", Reason: "in the future: read as the time of the import"})
		}
	}
	stored, err := in.store.Export(ctx, in.partition)
	if err != nil {
		return CacheReport{}, err
	}
	snap.RefreshTokens, report.Conflicts = refreshConflicts(stored.RefreshTokens, snap.RefreshTokens, now)
	if err := in.store.Import(ctx, in.partition, snap); err != nil {
		return CacheReport{}, err
	}
	logReport(ctx, in.log, in.partition, report, snap.Len())
	return report, nil
}

// refreshConflicts lists the imported refresh tokens that meet a stored one of another
// secret and the same identity, and settles their order (imported is changed in place).
//
// Of the same identity (KeyFields: two keys may collide) the store keeps one: the
// imported one unless the stored one is newer, to the second (the ordering of
// ports.CacheStore.Write).
//
// Under an alias host of one cloud (same account, client and issuer realm, another
// environment) the keys differ and the store keeps both; silent redeems the newer first
// and the other only after an invalid_grant (usecases' refreshCandidates). An imported
// token not known to be newer — dated at or after the import, which is how undated ones
// (stamped) and future-dated ones come out of importDocument — is dated a second before
// the newest such stored token: a stamp is no evidence against a token hexauth dated
// itself, and presenting a rotated-away token first can make a provider with reuse
// detection revoke the live one. A dated imported token keeps its date.
//
// A document token that a stored token of its identity replaced by rotation
// (domain.SpentMember) is spent: it is left out of the import whatever its date
// (ResolutionSpent), since presenting it could make the provider revoke the live one.
// A document token that replaces the stored one of its key records it as spent in turn.
//
// It returns the tokens to import. It reads the store as it was just before the import;
// a flow that wrote in between is not reflected.
func refreshConflicts(stored, imported []domain.RefreshToken, now time.Time) ([]domain.RefreshToken, []msalcache.Conflict) {
	byKey := make(map[[6]string]domain.RefreshToken, len(stored)) // by KeyFields: keys may collide
	byID := make(map[string][]domain.RefreshToken, len(stored))
	for _, t := range stored {
		byKey[t.KeyFields()] = t
		byID[refreshIdentity(t)] = append(byID[refreshIdentity(t)], t)
	}
	var out []msalcache.Conflict
	kept := imported[:0:0]
	for i := range imported {
		t := &imported[i]
		if c, spent := spentConflict(*t, byID[refreshIdentity(*t)]); spent {
			out = append(out, c)
			continue
		}
		old, twin := byKey[t.KeyFields()]
		twin = twin && old.Secret != t.Secret
		// Alias first: it may date the document's token earlier, which the resolution
		// of its own key must then reflect.
		if c, ok := aliasConflict(t, byID[refreshIdentity(*t)], old, twin, now); ok {
			out = append(out, c)
		}
		if twin {
			res := msalcache.ResolutionReplaced
			if t.CachedAt.Truncate(time.Second).Before(old.CachedAt.Truncate(time.Second)) {
				res = msalcache.ResolutionKeptStored
			} else {
				t.RecordRotation(old)
			}
			out = append(out, msalcache.Conflict{Section: msalcache.SectionRefreshToken, Key: t.Key(), Resolution: res})
		}
		kept = append(kept, *t)
	}
	slices.SortFunc(out, func(a, b msalcache.Conflict) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.StoredKey, b.StoredKey))
	})
	return kept, out
}

// spentConflict reports t when a stored token of its identity (same) lists it as
// replaced by rotation.
func spentConflict(t domain.RefreshToken, same []domain.RefreshToken) (msalcache.Conflict, bool) {
	for _, s := range same {
		if s.Supersedes(t.Secret) {
			c := msalcache.Conflict{Section: msalcache.SectionRefreshToken, Key: t.Key(), Resolution: msalcache.ResolutionSpent}
			if s.KeyFields() != t.KeyFields() {
				c.StoredKey = s.Key()
			}
			return c, true
		}
	}
	return msalcache.Conflict{}, false
}

// aliasConflict settles t against the stored tokens of its identity (same) under other
// alias hosts, and reports the newest such one. A t not known to be newer is dated a
// second before it — but never before a stored twin of t's own key (old, when twin), so
// that an undated document token still replaces the stored token of its own key (the
// rule of an explicit import: its writer may have rotated that one in place).
func aliasConflict(t *domain.RefreshToken, same []domain.RefreshToken, old domain.RefreshToken, twin bool, now time.Time) (msalcache.Conflict, bool) {
	var alias *domain.RefreshToken
	for j, s := range same {
		if s.KeyFields() != t.KeyFields() && s.Secret != t.Secret && (alias == nil || s.CachedAt.After(alias.CachedAt)) {
			alias = &same[j]
		}
	}
	if alias == nil {
		return msalcache.Conflict{}, false
	}
	stamp := alias.CachedAt.Truncate(time.Second)
	if !t.CachedAt.Before(now) && !t.CachedAt.Before(stamp) { // not known to be newer
		dated := stamp.Add(-time.Second)
		if floor := old.CachedAt.Truncate(time.Second); twin && dated.Before(floor) {
			dated = floor // equal times replace (ports.CacheStore.Write)
		}
		t.CachedAt = dated
	}
	res := msalcache.ResolutionAliasStoredFirst
	if t.CachedAt.After(stamp) {
		res = msalcache.ResolutionAliasDocumentFirst
	}
	return msalcache.Conflict{Section: msalcache.SectionRefreshToken, Key: t.Key(), StoredKey: alias.Key(), Resolution: res}, true
}

// refreshIdentity names what a refresh token is across the alias hosts of one cloud:
// home account, canonical environment, client and issuer realm.
func refreshIdentity(t domain.RefreshToken) string {
	return domain.JoinKey(domain.FoldHomeAccountID(t.HomeAccountID), domain.CanonicalEnvironment(t.Environment),
		strings.ToLower(t.ClientID), t.Realm)
}

// readDocument reads all of r, refusing more than MaxCacheDocument bytes.
func readDocument(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	if l, ok := r.(interface{ Len() int }); ok {
		// A bytes.Reader (hexauth cache import's): one allocation of its size, where
		// growing by doubling left up to twice the document held through the import.
		// The reader is the caller's: a negative Len (bytes.Buffer.Grow panics on it) is
		// no size, and the read below decides what the document is.
		if n := l.Len(); n > 0 {
			b.Grow(min(n, MaxCacheDocument+1))
		}
	}
	n, err := b.ReadFrom(io.LimitReader(r, MaxCacheDocument+1))
	switch {
	case err != nil:
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: "app: import cache", Description: "read the document", Err: err}
	case n > MaxCacheDocument:
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: "app: import cache", Description: "the document is larger than 64 MiB"}
	}
	return b.Bytes(), nil
}

// maxLoggedEntries bounds the entries of each list of a report that logReport names,
// and maxLoggedKey the bytes of each key it logs: a document is the importer's input,
// and 64 MiB of entries without a field would otherwise log millions of lines, or one
// line of megabytes. The report returned keeps every entry, whole.
const (
	maxLoggedEntries = 50
	maxLoggedKey     = 200
)

func logReport(ctx context.Context, log *slog.Logger, partition string, report CacheReport, read int) {
	if log == nil {
		return
	}
	log.InfoContext(ctx, "app: read an MSAL cache document into the partition", slog.String("partition", partition),
		slog.Int("entries_read", read), slog.Any("foreign_sections", report.ForeignSections), slog.Int("skipped", len(report.Skipped)),
		slog.Int("notices", len(report.Notices)), slog.Int("conflicts", len(report.Conflicts)), slog.Int("unservable", len(report.Unservable)))
	for _, s := range firstEntries(ctx, log, partition, "skipped", report.Skipped) {
		log.InfoContext(ctx, "app: cache entry not imported", slog.String("partition", partition),
			slog.String("section", s.Section), slog.String("key", loggedKey(s.Key)), slog.String("reason", s.Reason))
	}
	for _, k := range firstEntries(ctx, log, partition, "conflicts", report.Conflicts) {
		log.InfoContext(ctx, "app: imported refresh token met a stored one", slog.String("partition", partition),
			slog.String("key", loggedKey(k.Key)), slog.String("resolution", k.Resolution))
	}
	for _, n := range firstEntries(ctx, log, partition, "notices", report.Notices) {
		log.InfoContext(ctx, "app: cache entry field read other than as written", slog.String("partition", partition),
			slog.String("section", n.Section), slog.String("key", loggedKey(n.Key)), slog.String("field", n.Field), slog.String("reason", n.Reason))
	}
	for _, s := range firstEntries(ctx, log, partition, "unservable", report.Unservable) {
		log.InfoContext(ctx, "app: cache entry imported but never served", slog.String("partition", partition),
			slog.String("section", s.Section), slog.String("key", loggedKey(s.Key)), slog.String("reason", s.Reason))
	}
}

// firstEntries returns the first maxLoggedEntries of list, logging how many it leaves
// out (they are in the report).
func firstEntries[T any](ctx context.Context, log *slog.Logger, partition, what string, list []T) []T {
	if len(list) <= maxLoggedEntries {
		return list
	}
	log.InfoContext(ctx, "app: the import report lists more entries than are logged", slog.String("partition", partition),
		slog.String("list", what), slog.Int("logged", maxLoggedEntries), slog.Int("not_logged", len(list)-maxLoggedEntries))
	return list[:maxLoggedEntries]
}

// loggedKey is key cut to maxLoggedKey bytes (at a rune boundary), marked when cut.
func loggedKey(key string) string {
	if len(key) <= maxLoggedKey {
		return key
	}
	cut := maxLoggedKey
	for cut > 0 && !utf8.RuneStart(key[cut]) {
		cut--
	}
	return key[:cut] + "…"
}
