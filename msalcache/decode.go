package msalcache

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hexauth/hexauth/domain"
)

// Report says how many entries of each section DecodeReport put in the snapshot and
// lists what it read but left out. Nothing in it is a secret: it names sections and
// keys only.
type Report struct {
	// Imported counts the entries read from the document into the snapshot, per
	// section: the document's, less the Skipped ones. It is what the document held,
	// not what a store kept: a store's Import keeps a stored refresh token newer than
	// the document's, so say "read", not "imported", when printing it. A caller needs
	// no second decode (nor the snapshot) to say it.
	Imported Counts
	// ForeignSections name the top-level sections other than the five of the schema
	// (MSAL Go's "unknownEntity", another writer's extension), sorted. They are kept,
	// value byte for byte after JSON compaction, in the snapshot's ForeignSections: a
	// store keeps them per partition and an export writes them back (see
	// domain.ForeignSection for the merge rule).
	ForeignSections []string
	// Skipped are the entries of the five sections that were not imported, sorted by
	// section and key.
	Skipped []Skipped
	// Notices are fields of imported entries read other than as written (an optional
	// timestamp out of range read as absent), sorted by section, key and field.
	Notices []Notice
	// Conflicts are the document's refresh tokens that met a different stored token of
	// the same key, and which one the store kept, sorted by key. Decoding sees no store
	// and leaves it empty; app.ImportCache fills it.
	Conflicts []Conflict
	// Unservable are entries that were imported (Imported counts them, an export writes
	// them back) but that no silent call will ever return, sorted by key, with the reason:
	// access tokens whose token_type is not Bearer (see unservable.go).
	Unservable []Skipped
}

// Counts is how many entries of each section of the schema a snapshot holds.
type Counts struct {
	Accounts      int
	AccessTokens  int
	RefreshTokens int
	IDTokens      int
	AppMetadata   int
}

// Skipped is an entry that was not imported, and why.
type Skipped struct {
	Section string
	Key     string // as the document spells it
	Reason  string
}

// String returns `Section["key"]: reason`.
func (s Skipped) String() string { return s.Section + "[" + quote(s.Key) + "]: " + s.Reason }

// Notice is a field of an imported entry that was read other than as written, and why.
// It never holds the field's value.
type Notice struct {
	Section string
	Key     string // as the document spells it
	Field   string // the schema's name
	Reason  string
}

// Conflict is a refresh token of an imported document that met a stored one of another
// secret and the same identity — the same key, or the same account, client and issuer
// realm under an alias host of one cloud (domain.CanonicalEnvironment) — and how the
// import resolved it.
type Conflict struct {
	Section string
	Key     string // hexauth's key of the document's entry (domain.RefreshToken.Key), as the store files it
	// StoredKey is the key of the stored token under an alias host; "" when the stored
	// token has Key itself.
	StoredKey  string
	Resolution string // one of the Resolution constants
}

// Resolutions of a Conflict.
const (
	// ResolutionReplaced: the document's token replaced the stored one of its key.
	ResolutionReplaced = "replaced a stored refresh token"
	// ResolutionKeptStored: the stored token of its key was newer and was kept.
	ResolutionKeptStored = "kept the stored newer one"
	// ResolutionAliasStoredFirst: both are kept, under their hosts; the stored token is
	// redeemed first, the document's only after an invalid_grant. The document's token
	// was not known to be newer (undated, or dated at or after the import), so it is
	// dated just before the stored one.
	ResolutionAliasStoredFirst = "kept beside a stored refresh token of an alias host, which silent redeems first"
	// ResolutionAliasDocumentFirst: both are kept; the document's token, dated newer
	// than the stored one, is redeemed first.
	ResolutionAliasDocumentFirst = "kept beside an older stored refresh token of an alias host; silent redeems the document's first"
	// ResolutionSpent: the document's token is one the stored token replaced by rotation
	// (it is spent); it was not imported, whatever its date.
	ResolutionSpent = "not imported: the stored refresh token replaced it by rotation"
)

// String returns `Section["key"]: resolution`, naming the stored alias entry if any.
func (c Conflict) String() string {
	s := c.Section + "[" + quote(c.Key) + "]: " + c.Resolution
	if c.StoredKey != "" {
		s += " (" + quote(c.StoredKey) + ")"
	}
	return s
}

// String returns `Section["key"]: field "name": reason`.
func (n Notice) String() string {
	return n.Section + "[" + quote(n.Key) + "]: field " + quote(n.Field) + ": " + n.Reason
}

// Empty reports whether everything in the document was imported as written: nothing
// skipped, noticed or in conflict, whatever Imported counts (foreign sections are kept
// as written, so they do not count).
func (r Report) Empty() bool {
	return len(r.Skipped) == 0 && len(r.Notices) == 0 && len(r.Conflicts) == 0
}

// Decode reads a unified-cache document into a snapshot; see DecodeReport, whose
// report it discards.
func Decode(data []byte) (domain.CacheSnapshot, error) {
	s, _, err := DecodeReport(data)
	return s, err
}

// DecodeReport reads a unified-cache document into a snapshot and reports what it left
// out. An empty document (nothing but a byte-order mark and white space) is an empty
// cache, as MSAL Python reads it. A malformed document, a field of the wrong type or an
// entry that lacks a field of its key is a *domain.Error of class
// domain.ErrInvalidInput wrapping an *EntryError, and no snapshot is returned: callers
// import all of a document or nothing. The snapshot's entries are sorted by key, each
// key at most once.
func DecodeReport(data []byte) (domain.CacheSnapshot, Report, error) {
	return decode(data, time.Time{})
}

// DecodeImport is DecodeReport for an explicit import at now: every refresh token the
// document holds without a timestamp (MSAL Go and early MSAL Python write none) is
// stamped with now, to the second, and listed in the report's Notices. A store keeps the
// newer of two refresh tokens, and an undated one read as the zero time would lose to
// any stored token, even one its writer has since rotated (and the provider revoked):
// the document the user imports must not silently lose to an older stored token.
// Duplicates within the document are resolved before the stamp, as DecodeReport does.
// msalcache reads no clock: now is the caller's.
func DecodeImport(data []byte, now time.Time) (domain.CacheSnapshot, Report, error) {
	return decode(data, now.UTC().Truncate(time.Second))
}

// DecodeImportAs is DecodeImport for a client of authority (the zero Authority for
// none): the realm-less refresh tokens are settled as domain.AdoptIssuerRealm settles
// them — kept on Entra, B2C and ADFS hosts, given authority's issuer realm when the
// document ties their account to it — and those it cannot tie to an issuer are left out
// and reported in Skipped (ReasonNoIssuer) under their document keys: kept, one could be
// sent to an issuer that did not issue it. app's ImportCache decodes with it.
func DecodeImportAs(data []byte, now time.Time, authority domain.Authority) (domain.CacheSnapshot, Report, error) {
	return decodeWith(data, decoder{now: now.UTC().Truncate(time.Second), adopt: true, authority: authority})
}

// ReasonNoIssuer is the Skipped reason of a refresh token DecodeImportAs leaves out.
const ReasonNoIssuer = "no realm, and the document does not tie its account on this host to the importing client's issuer or to ADFS: " +
	"it could be sent to an issuer that did not issue it (import an OIDC issuer's cache through its authority)"

// decode is DecodeReport stamping undated refresh tokens with now unless it is zero.
func decode(data []byte, now time.Time) (domain.CacheSnapshot, Report, error) {
	return decodeWith(data, decoder{now: now})
}

// decodeWith decodes data with d, a decoder holding its options.
func decodeWith(data []byte, d decoder) (domain.CacheSnapshot, Report, error) {
	body := bytes.TrimPrefix(data, bom)
	skip := len(data) - len(body)
	if !utf8.Valid(body) {
		return domain.CacheSnapshot{}, Report{}, utf8Error(body, skip)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return domain.CacheSnapshot{}, Report{}, nil
	}
	if !json.Valid(body) {
		// json.Unmarshal says where, as it did when it decoded the document.
		var probe any
		return domain.CacheSnapshot{}, Report{}, syntaxError(json.Unmarshal(body, &probe), body, skip)
	}
	top, ok := members(body)
	if !ok {
		return domain.CacheSnapshot{}, Report{}, invalid(opDecode, &EntryError{Reason: "the document is not a JSON object"})
	}
	// Sections in schema order, then spellings and keys in sorted order: the first
	// error found is the same on every run.
	for _, name := range slices.Sorted(maps.Keys(top)) {
		if _, ok := sectionNamed(name); !ok {
			if err := d.foreign(name, top[name]); err != nil {
				return domain.CacheSnapshot{}, Report{}, place(err, body, skip)
			}
		}
	}
	for i := range sections {
		for _, name := range slices.Sorted(maps.Keys(top)) {
			if strings.EqualFold(name, sections[i].name) {
				if err := d.section(&sections[i], top[name]); err != nil {
					return domain.CacheSnapshot{}, Report{}, place(err, body, skip)
				}
			}
		}
	}
	return d.snapshot(), d.report, nil
}

// decoder accumulates the entries of every section before duplicates are resolved.
type decoder struct {
	now          time.Time // the stamp of undated refresh tokens; zero for none
	adopt        bool      // settle realm-less refresh tokens with authority (DecodeImportAs)
	authority    domain.Authority
	report       Report
	foreignSecs  []domain.ForeignSection
	foreignSize  int64 // domain.ForeignSectionsSize(foreignSecs)
	accessTokens []candidate[domain.AccessToken]
	refresh      []candidate[domain.RefreshToken]
	idTokens     []candidate[domain.IDToken]
	accounts     []candidate[domain.Account]
	appMetadata  []candidate[domain.AppMetadata]
}

// foreign keeps a top-level section that is not one of the schema's, its value
// compacted. A name or value past domain's bounds fails the document, naming the section
// (never quoting its value, which may hold its writer's secrets).
func (d *decoder) foreign(name string, raw json.RawMessage) error {
	if len(d.foreignSecs) == domain.MaxForeignSections {
		return invalid(opDecode, &EntryError{Section: name, Reason: fmt.Sprintf("more than %d sections hexauth does not know", domain.MaxForeignSections)})
	}
	var c bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		return invalid(opDecode, &EntryError{Section: name, Reason: "not valid JSON"})
	}
	f := domain.ForeignSection{Name: name, Value: c.Bytes()}
	if err := domain.CheckForeignSection(f); err != nil {
		return invalid(opDecode, &EntryError{Section: name, Reason: "a section hexauth does not know: " + err.(*domain.Error).Description})
	}
	if d.foreignSize += int64(len(f.Value)); d.foreignSize > domain.MaxForeignSectionsBytes {
		return invalid(opDecode, &EntryError{Section: name, Reason: fmt.Sprintf("sections hexauth does not know of more than %d bytes in all", domain.MaxForeignSectionsBytes)})
	}
	d.foreignSecs = append(d.foreignSecs, f)
	d.report.ForeignSections = append(d.report.ForeignSections, name)
	return nil
}

// section decodes every entry of one section.
func (d *decoder) section(s *section, raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	entries, ok := members(raw)
	if !ok {
		return invalid(opDecode, &EntryError{Section: s.name, Reason: "section is not a JSON object"})
	}
	for _, key := range repeatedNames(raw) {
		// encoding/json keeps the last value of a name given twice: the earlier entries
		// are not read, and the report says so rather than merging them silently.
		d.skip(s.name, key, reasonRepeatedKey)
	}
	for _, key := range slices.Sorted(maps.Keys(entries)) {
		e, err := splitEntry(s, key, entries[key])
		if err != nil {
			return err
		}
		if len(e.std) == 0 {
			d.skip(s.name, key, reasonNoFields)
			continue
		}
		if err := d.entry(e); err != nil {
			return err
		}
	}
	return nil
}

// entry decodes one entry by its section's kind.
func (d *decoder) entry(e *rawEntry) error {
	var skip string
	var err error
	var w writer // hexauth's layout of the entry, to record the writer's shape against
	switch e.section.name {
	case SectionAccessToken:
		var t domain.AccessToken
		if t, skip, err = e.accessToken(); err == nil && skip == "" {
			t.Extra = e.recordShape(w.accessToken(t), t.Extra)
			d.accessTokens = append(d.accessTokens, candidate[domain.AccessToken]{v: t, srcKey: e.key, key: t.Key(), id: t.KeyFields()})
		}
	case SectionRefreshToken:
		var t domain.RefreshToken
		var exported bool
		if t, exported, skip, err = e.refreshToken(); err == nil && skip == "" {
			t.Extra = e.recordShape(w.refreshToken(t), t.Extra)
			d.refresh = append(d.refresh, candidate[domain.RefreshToken]{v: t, srcKey: e.key, key: t.Key(), id: t.KeyFields(),
				exported: exported, exportKey: e.key == refreshTokenKey(t)})
		}
	case SectionIDToken:
		var t domain.IDToken
		if t, err = e.idToken(); err == nil {
			t.Extra = e.recordShape(w.idToken(t), t.Extra)
			d.idTokens = append(d.idTokens, candidate[domain.IDToken]{v: t, srcKey: e.key, key: t.Key(), id: t.KeyFields()})
		}
	case SectionAccount:
		var a domain.Account
		if a, err = e.account(); err == nil {
			a.Extra = e.recordShape(w.account(a), a.Extra)
			d.accounts = append(d.accounts, candidate[domain.Account]{v: a, srcKey: e.key, key: a.Key(), id: a.KeyFields()})
		}
	case SectionAppMetadata:
		var m domain.AppMetadata
		if m, err = e.appMetadata(); err == nil {
			m.Extra = e.recordShape(w.appMetadata(m), m.Extra)
			d.appMetadata = append(d.appMetadata, candidate[domain.AppMetadata]{v: m, srcKey: e.key, key: m.Key(), id: m.KeyFields()})
		}
	}
	if skip != "" {
		d.skip(e.section.name, e.key, skip)
	} else if err == nil {
		d.report.Notices = append(d.report.Notices, e.notices...)
	}
	return err
}

// adoptRealm settles the realm of the kept realm-less refresh tokens as
// domain.AdoptIssuerRealm does, with d.authority, when d.adopt is set: those it drops
// are reported as skipped under their document keys (and so are never stamped).
func (d *decoder) adoptRealm(kept []candidate[domain.RefreshToken], s domain.CacheSnapshot) []candidate[domain.RefreshToken] {
	if !d.adopt || len(kept) == 0 {
		return kept
	}
	probe := domain.CacheSnapshot{Accounts: s.Accounts, IDTokens: s.IDTokens, RefreshTokens: make([]domain.RefreshToken, len(kept))}
	for i, c := range kept {
		probe.RefreshTokens[i] = c.v
	}
	_, dropped := domain.AdoptIssuerRealm(&probe, d.authority)
	gone := make(map[[6]string]bool, len(dropped))
	for _, rt := range dropped {
		gone[rt.KeyFields()] = true // identities are unique after dedupe; a dropped token keeps its own
	}
	out := kept[:0]
	j := 0
	for _, c := range kept {
		if gone[c.id] {
			d.skip(SectionRefreshToken, c.srcKey, ReasonNoIssuer)
			continue
		}
		c.v, c.key, c.id = probe.RefreshTokens[j], probe.RefreshTokens[j].Key(), probe.RefreshTokens[j].KeyFields()
		j++
		out = append(out, c)
	}
	return out
}

// stamp returns the kept refresh tokens, those without a timestamp stamped with d.now
// (when set) and noticed under their document keys.
func (d *decoder) stamp(kept []candidate[domain.RefreshToken]) []domain.RefreshToken {
	if kept == nil {
		return nil
	}
	out := make([]domain.RefreshToken, len(kept))
	for i, c := range kept {
		if c.v.CachedAt.IsZero() && !d.now.IsZero() {
			c.v.CachedAt = d.now
			d.report.Notices = append(d.report.Notices, Notice{Section: SectionRefreshToken, Key: c.srcKey, Field: fieldCachedAt, Reason: reasonStamped})
		}
		out[i] = c.v
	}
	return out
}

// ReasonIDTokenOfAnotherAccount is the Skipped reason of an ID token whose claims are
// not about the account it is filed under.
const ReasonIDTokenOfAnotherAccount = "the ID token's sub (or Entra oid and tid) is not the account's home account id: " +
	"it is another person's token filed under this account, and a silent sign-in would serve it"

// aboutTheirAccounts drops, as skipped, the ID tokens whose claims name another person
// than the home account id they are filed under (domain.IDTokenClaims.BelongsTo; the
// document's account entry in the token's realm gives a guest tenant's object id). An ID
// token whose claims cannot be read is kept, as before: it is never served either.
func (d *decoder) aboutTheirAccounts(cs []candidate[domain.IDToken], accounts []domain.Account) []candidate[domain.IDToken] {
	out := cs[:0:0]
	for _, c := range cs {
		t := c.v
		if t.Secret != "" {
			if _, claims, err := domain.ParseIDToken(string(t.Secret)); err == nil && !claims.BelongsTo(t.HomeAccountID, localAccountID(accounts, t)) {
				d.skip(SectionIDToken, c.srcKey, ReasonIDTokenOfAnotherAccount)
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// localAccountID returns the local account id of the account entry of t's account,
// environment and realm, or "".
func localAccountID(accounts []domain.Account, t domain.IDToken) string {
	for _, a := range accounts {
		if domain.SameHomeAccountID(a.HomeAccountID, t.HomeAccountID) && strings.EqualFold(a.Environment, t.Environment) && strings.EqualFold(a.Realm, t.Realm) {
			return a.LocalAccountID
		}
	}
	return ""
}

func (d *decoder) skip(section, key, reason string) {
	d.report.Skipped = append(d.report.Skipped, Skipped{Section: section, Key: key, Reason: reason})
}

// snapshot resolves duplicates and returns the entries sorted by key.
func (d *decoder) snapshot() domain.CacheSnapshot {
	accounts := dedupe(d, SectionAccount, d.accounts, noPreference[domain.Account])
	s := domain.CacheSnapshot{
		AccessTokens:    dedupe(d, SectionAccessToken, d.accessTokens, preferAccessToken),
		IDTokens:        dedupe(d, SectionIDToken, d.aboutTheirAccounts(d.idTokens, accounts), noPreference[domain.IDToken]),
		Accounts:        accounts,
		AppMetadata:     dedupe(d, SectionAppMetadata, d.appMetadata, noPreference[domain.AppMetadata]),
		ForeignSections: d.foreignSecs, // sorted by name, as read
	}
	s.RefreshTokens = d.stamp(d.adoptRealm(dedupeCandidates(d, SectionRefreshToken, d.refresh, preferRefreshToken), s))
	d.report.Unservable = unservable(s.AccessTokens, d.accessTokens)
	d.report.Imported = Counts{Accounts: len(s.Accounts), AccessTokens: len(s.AccessTokens),
		RefreshTokens: len(s.RefreshTokens), IDTokens: len(s.IDTokens), AppMetadata: len(s.AppMetadata)}
	slices.SortFunc(d.report.Skipped, func(a, b Skipped) int {
		if c := strings.Compare(a.Section, b.Section); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	slices.SortFunc(d.report.Notices, func(a, b Notice) int {
		return cmp.Or(strings.Compare(a.Section, b.Section), strings.Compare(a.Key, b.Key), strings.Compare(a.Field, b.Field))
	})
	return s
}
