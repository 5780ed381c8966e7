package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
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
// document's is kept too.
//
// The document is decoded whole before the store is touched, and the store imports it
// in one atomic step: a malformed document (a *domain.Error of class
// domain.ErrInvalidInput naming the section, key and field, see msalcache.EntryError), a
// document larger than MaxCacheDocument or a store failure leaves the partition as it
// was. The report counts the entries read from the document and lists what it held that
// hexauth does not import; it is also logged at Info level.
func (c *client) ImportCache(ctx context.Context, r io.Reader) (CacheReport, error) {
	if err := checkContext(ctx, "ImportCache"); err != nil {
		return CacheReport{}, err
	}
	data, err := readDocument(r)
	if err != nil {
		return CacheReport{}, err
	}
	snap, report, err := msalcache.DecodeReport(data)
	if err != nil {
		return CacheReport{}, err
	}
	// MSAL writes refresh tokens without a realm; an OIDC issuer's are keyed by its path.
	domain.AdoptIssuerRealm(&snap, c.env.authority)
	if err := c.env.deps.Store.Import(ctx, c.partition, snap); err != nil {
		return CacheReport{}, err
	}
	c.logReport(ctx, report, snap.Len())
	return report, nil
}

// readDocument reads all of r, refusing more than MaxCacheDocument bytes.
func readDocument(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	n, err := b.ReadFrom(io.LimitReader(r, MaxCacheDocument+1))
	switch {
	case err != nil:
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: "app: import cache", Description: "read the document", Err: err}
	case n > MaxCacheDocument:
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: "app: import cache", Description: "the document is larger than 64 MiB"}
	}
	return b.Bytes(), nil
}

func (c *client) logReport(ctx context.Context, report CacheReport, read int) {
	log := c.env.cfg.Logger
	if log == nil {
		return
	}
	log.InfoContext(ctx, "app: read an MSAL cache document into the partition", slog.String("partition", c.partition),
		slog.Int("entries_read", read), slog.Any("dropped_sections", report.DroppedSections), slog.Int("skipped", len(report.Skipped)))
	for _, s := range report.Skipped {
		log.InfoContext(ctx, "app: cache entry not imported", slog.String("partition", c.partition),
			slog.String("section", s.Section), slog.String("key", s.Key), slog.String("reason", s.Reason))
	}
	for _, s := range report.Unservable {
		log.InfoContext(ctx, "app: cache entry imported but never served", slog.String("partition", c.partition),
			slog.String("section", s.Section), slog.String("key", s.Key), slog.String("reason", s.Reason))
	}
}
