package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
	"github.com/spf13/cobra"
)

// exportWarning is printed to stderr by every export: the document is as sensitive as
// the cache, but no store or Sealer protects it any more.
const exportWarning = "hexauth: the export holds refresh tokens in clear: keep it private and delete it when done"

// cacheCounts is how many entries of each kind a cache document holds: an
// msalcache.Counts with the JSON names of the command's output.
type cacheCounts struct {
	Accounts      int `json:"accounts"`
	AccessTokens  int `json:"access_tokens"`
	RefreshTokens int `json:"refresh_tokens"`
	IDTokens      int `json:"id_tokens"`
	AppMetadata   int `json:"app_metadata"`
}

// countsOf counts the entries of s: what cache export --file wrote.
func countsOf(s domain.CacheSnapshot) cacheCounts {
	return cacheCounts{Accounts: len(s.Accounts), AccessTokens: len(s.AccessTokens),
		RefreshTokens: len(s.RefreshTokens), IDTokens: len(s.IDTokens), AppMetadata: len(s.AppMetadata)}
}

// String returns "2 accounts, 1 access token, ...".
func (c cacheCounts) String() string {
	n := func(k int, one, many string) string {
		if k == 1 {
			return "1 " + one
		}
		return strconv.Itoa(k) + " " + many
	}
	return strings.Join([]string{n(c.Accounts, "account", "accounts"), n(c.AccessTokens, "access token", "access tokens"),
		n(c.RefreshTokens, "refresh token", "refresh tokens"), n(c.IDTokens, "ID token", "ID tokens"),
		n(c.AppMetadata, "app metadata entry", "app metadata entries")}, ", ")
}

// cacheImportJSON is the JSON result of cache import: what was read from the document
// (msalcache.Report.Imported: not what the store kept, since a newer stored refresh
// token wins), and what the document held that was not imported (never a secret:
// sections and keys only).
type cacheImportJSON struct {
	Partition string      `json:"partition"`
	Read      cacheCounts `json:"read"`
	// ForeignSections name the document's top-level sections outside the schema, kept
	// and written back by an export.
	ForeignSections []string      `json:"foreign_sections"`
	Skipped         []skippedJSON `json:"skipped"`
	// Unservable are imported entries that silent calls never return (access tokens
	// that are not Bearer), and why.
	Unservable []skippedJSON `json:"unservable"`
	// Notices are fields read other than as written (an undated refresh token stamped,
	// .NET's minimum date read as absent).
	Notices []noticeJSON `json:"notices"`
	// Conflicts are the refresh tokens that met a stored one, and what was kept.
	Conflicts []conflictJSON `json:"conflicts"`
}

// noticeJSON is a field of an imported entry read other than as written.
type noticeJSON struct {
	Section string `json:"section"`
	Key     string `json:"key"`
	Field   string `json:"field"`
	Reason  string `json:"reason"`
}

// conflictJSON is an imported refresh token that met a stored one; stored_key names the
// stored one when it sits under an alias host.
type conflictJSON struct {
	Section    string `json:"section"`
	Key        string `json:"key"`
	StoredKey  string `json:"stored_key,omitempty"`
	Resolution string `json:"resolution"`
}

// skippedJSON is an entry of the document that was not imported, and why.
type skippedJSON struct {
	Section string `json:"section"`
	Key     string `json:"key"`
	Reason  string `json:"reason"`
}

// cacheExportJSON is the JSON result of cache export --file.
type cacheExportJSON struct {
	Partition string      `json:"partition"`
	File      string      `json:"file"`
	Exported  cacheCounts `json:"exported"`
}

// runCacheImport imports an MSAL unified token-cache document (FILE, or stdin for "-")
// into the partition, all of it or, when it is malformed, nothing. A document holds
// every client's entries, so it needs no client: with --client-id and --authority it
// imports as that client and says when no imported account is visible to it.
func newCacheImportCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("import FILE|- [--partition NAME] [--client-id ID --authority URL] [flags]", "import an MSAL token cache (the Azure CLI's, say) into the token cache", "  hexauth cache import ~/.azure/msal_token_cache.json\n  ssh host hexauth cache export | hexauth cache import -")
	file := &operand{name: "FILE"}
	cmd := storeCommand{flags: addClientFlags(fs), timeout: defaultTimeout, operand: file}
	allowEmpty := fs.Bool("allow-empty", false, "accept an empty document (nothing to import) instead of exiting 2: an empty pipe usually means the command before it failed")
	asClient := func(ctx context.Context, s settings, sess *session, p printer) error {
		data, err := readCacheDocument(e, file.value, *allowEmpty)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			p.cacheImported(s.partition, app.CacheReport{})
			return nil
		}
		report, err := sess.ImportCache(ctx, bytes.NewReader(data))
		if err != nil {
			return err
		}
		printReportNotices(e, report)
		if report.Imported.Accounts > 0 {
			if visible, err := sess.Accounts(ctx); err == nil && len(visible) == 0 {
				fmt.Fprintf(e.stderr, "hexauth: no imported account has tokens for client %s at this authority's cloud: "+
					"check --client-id and --authority (the Azure CLI's client id is 04b07795-8ddb-461a-bbee-02f9e1bf7b46)\n", s.clientID)
			}
		}
		p.cacheImported(s.partition, report)
		return nil
	}
	c.RunE = cmd.runE(ctx, e, asClient, func(ctx context.Context, s settings, cache *app.Cache, p printer) error {
		data, err := readCacheDocument(e, file.value, *allowEmpty)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			p.cacheImported(s.partition, app.CacheReport{})
			return nil
		}
		report, err := cache.ImportCache(ctx, s.partition, bytes.NewReader(data))
		if err != nil {
			return err
		}
		printReportNotices(e, report)
		p.cacheImported(s.partition, report)
		return nil
	})
	return c
}

// printReportNotices writes to stderr what the document held that was not imported,
// and the imported entries that will never be served.
func printReportNotices(e *env, report app.CacheReport) {
	for _, name := range report.ForeignSections {
		fmt.Fprintf(e.stderr, "hexauth: kept as written: section %s (not part of the unified cache schema; an export writes it back)\n", strconv.Quote(name))
	}
	for _, sk := range report.Skipped {
		fmt.Fprintf(e.stderr, "hexauth: not imported: %s\n", sk)
	}
	for _, u := range report.Unservable {
		fmt.Fprintf(e.stderr, "hexauth: imported, never served: %s\n", u)
	}
	// Fields read other than as written, and refresh tokens that met a stored one:
	// an import never silently loses to, or silently replaces, a stored token.
	for _, n := range report.Notices {
		fmt.Fprintf(e.stderr, "hexauth: note: %s\n", n)
	}
	for _, c := range report.Conflicts {
		fmt.Fprintf(e.stderr, "hexauth: refresh token conflict: %s\n", c)
	}
}

// readCacheDocument reads the document named name ("-" for stdin), at most
// app.MaxCacheDocument bytes and one more, so that ImportCache refuses a larger one.
// A file that cannot be read is a usage error: it is the command's input. An empty
// document (only white space) is one too unless allowEmpty, when it returns no bytes:
// "ssh host hexauth cache export | hexauth cache import -" reads nothing when the
// export failed, and a silent success would hide that.
func readCacheDocument(e *env, name string, allowEmpty bool) ([]byte, error) {
	r := e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usageErrorf("cache import: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, app.MaxCacheDocument+1))
	if err != nil {
		return nil, usageErrorf("cache import: read %s: %v", name, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if !allowEmpty {
			what := name
			if name == "-" {
				what = "standard input"
			}
			return nil, usageErrorf("cache import: %s is empty: nothing to import (did the command before it fail?); --allow-empty accepts it", what)
		}
		return nil, nil
	}
	return data, nil
}

// runCacheExport writes the partition, every client's entries, as an MSAL unified
// token-cache document to stdout, or to --file through a temporary file renamed into
// place. It needs no client.
func newCacheExportCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("export [--partition NAME] [--file PATH [--force]] [flags]", "write the token cache's partition as an MSAL token cache document", "  hexauth cache export --file /tmp/tokens.json\n  hexauth cache export | ssh host hexauth cache import -")
	path := fs.String("file", "", "write the document to this `path` (created 0600) instead of standard output")
	force := fs.Bool("force", false, "replace --file when it exists (its mode is kept when stricter than 0600)")
	cmd := storeCommand{flags: addClientFlags(fs), timeout: defaultTimeout}
	c.RunE = cmd.runE(ctx, e, nil, func(ctx context.Context, s settings, cache *app.Cache, p printer) error {
		if *force && *path == "" {
			return usageErrorf("--force replaces --file: give --file PATH")
		}
		if *path != "" && !*force {
			if _, err := os.Lstat(*path); err == nil {
				return existsError(*path) // early, before reading the cache; checked again on writing
			}
		}
		var doc bytes.Buffer
		if err := cache.ExportCache(ctx, s.partition, &doc); err != nil {
			return err
		}
		if *path == "" {
			fmt.Fprintln(e.stderr, exportWarning)
			if _, err := e.stdout.Write(doc.Bytes()); err != nil {
				return fmt.Errorf("hexauth: cache export: write to standard output: %w", err)
			}
			return nil
		}
		snap, err := msalcache.Decode(doc.Bytes())
		if err != nil {
			return err
		}
		if err := writePrivateFile(*path, doc.Bytes(), *force); err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, exportWarning)
		p.cacheExported(s.partition, *path, countsOf(snap))
		return nil
	})
	return c
}

// cacheImported prints the outcome of cache import: one line in text mode, a
// cacheImportJSON otherwise. The counts are what the document held ("read"): the
// store may have kept a newer refresh token of its own instead of the document's.
func (p printer) cacheImported(partition string, report app.CacheReport) {
	c := cacheCounts(report.Imported)
	if !p.json {
		fmt.Fprintf(p.e.stdout, "read %s from the document\n", c)
		return
	}
	out := cacheImportJSON{Partition: partition, Read: c, ForeignSections: report.ForeignSections,
		Skipped: skippedOf(report.Skipped), Unservable: skippedOf(report.Unservable),
		Notices: []noticeJSON{}, Conflicts: []conflictJSON{}}
	if out.ForeignSections == nil {
		out.ForeignSections = []string{}
	}
	for _, n := range report.Notices {
		out.Notices = append(out.Notices, noticeJSON{Section: n.Section, Key: n.Key, Field: n.Field, Reason: n.Reason})
	}
	for _, k := range report.Conflicts {
		out.Conflicts = append(out.Conflicts, conflictJSON{Section: k.Section, Key: k.Key, StoredKey: k.StoredKey, Resolution: k.Resolution})
	}
	p.value(out)
}

// skippedOf returns entries as JSON, never nil.
func skippedOf(entries []msalcache.Skipped) []skippedJSON {
	out := []skippedJSON{}
	for _, sk := range entries {
		out = append(out, skippedJSON{Section: sk.Section, Key: sk.Key, Reason: sk.Reason})
	}
	return out
}

// cacheExported prints the outcome of cache export --file.
func (p printer) cacheExported(partition, path string, c cacheCounts) {
	if p.json {
		p.value(cacheExportJSON{Partition: partition, File: path, Exported: c})
		return
	}
	fmt.Fprintf(p.e.stdout, "exported %s to %s\n", c, path)
}

// cachePathJSON is the JSON result of cache path.
type cachePathJSON struct {
	Cache string `json:"cache"`          // the store's URL, a password left out
	Path  string `json:"path,omitempty"` // the SQLite file, when the store is one
}

// newCachePathCmd prints where the token cache is: what --cache, HEXAUTH_CACHE, the
// config file or the default resolve to. It opens nothing, and creates only the default
// cache directory, as every command does.
func newCachePathCmd(_ context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("path [--cache PATH|URL] [flags]", "print where the token cache is (the SQLite file, or the store's URL)",
		"  hexauth cache path\n  ls -l \"$(hexauth cache path)\"*")
	flags := addConfigFlags(fs, setCache)
	c.RunE = runE(func(args []string) int {
		if code, ok := takeOperand(e, args, nil); !ok {
			return code
		}
		s, err := flags.load(e)
		if err != nil {
			return newPrinter(e, settings{}).fail(err)
		}
		p := newPrinter(e, s)
		u, err := resolveCache(s.cache)
		if err != nil {
			return p.fail(err)
		}
		out := cachePathJSON{Cache: app.RedactedURL(u)}
		if strings.HasPrefix(u, "sqlite://") {
			out.Path = filepath.FromSlash(strings.TrimPrefix(u, "sqlite://"))
		}
		if p.json {
			p.value(out)
			return exitOK
		}
		if out.Path != "" {
			fmt.Fprintln(e.stdout, out.Path)
		} else {
			fmt.Fprintln(e.stdout, out.Cache)
		}
		return exitOK
	})
	return c
}

// cacheClearJSON is the JSON result of cache clear.
type cacheClearJSON struct {
	Partition string      `json:"partition"`
	Cache     string      `json:"cache"` // password left out
	Removed   cacheCounts `json:"removed"`
}

// newCacheClearCmd deletes every entry of the partition, every client's. It asks on a
// terminal; elsewhere it needs --yes, so that a script never clears a cache by
// accident, and a pipe's first line is never taken for an answer.
func newCacheClearCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("clear [--partition NAME] [--yes] [flags]",
		"delete every token and account of the partition (every client's)",
		"  hexauth cache clear\n  hexauth cache clear --partition tenant-42 --yes")
	yes := fs.BoolP("yes", "y", false, "do not ask: clear at once (needed when standard input is not a terminal)")
	cmd := storeCommand{flags: addClientFlags(fs), timeout: defaultTimeout}
	c.RunE = cmd.runE(ctx, e, nil, func(ctx context.Context, s settings, cache *app.Cache, p printer) error {
		u, _ := resolveCache(s.cache)
		where := app.RedactedURL(u)
		var doc bytes.Buffer
		if err := cache.ExportCache(ctx, s.partition, &doc); err != nil {
			return err
		}
		snap, err := msalcache.Decode(doc.Bytes())
		if err != nil {
			return err
		}
		counts := countsOf(snap)
		if !*yes {
			if !isTerminal(e.stdin) {
				return usageErrorf("cache clear deletes every token of partition %q in %s: pass --yes (standard input is not a terminal to ask on)", s.partition, where)
			}
			fmt.Fprintf(e.stderr, "Delete %s of partition %q in %s? [y/N] ", counts, s.partition, where)
			answer, err := firstLine(e.stdin)
			if err != nil || !slices.Contains([]string{"y", "yes"}, strings.ToLower(strings.TrimSpace(answer))) {
				return errors.New("cache clear: not confirmed: nothing deleted")
			}
		}
		if err := cache.ClearPartition(ctx, s.partition); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "hexauth: deleted %s of partition %q in %s\n", counts, s.partition, where)
		if p.json {
			p.value(cacheClearJSON{Partition: s.partition, Cache: where, Removed: counts})
		}
		return nil
	})
	return c
}
