package sqlcache

import (
	"slices"
	"strings"

	"github.com/hexauth/hexauth/domain"
)

// Rows is the part of *sql.Rows (and *sqlx.Rows) that Scan.Entries reads.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Scan says how Entries and Read treat the rows they read. Only Corrupt is required.
type Scan struct {
	// Extra decodes the extra column.
	Extra ExtraCodec
	// Keep, when set, drops the rows it returns false for, before they are decoded.
	Keep func(r *Row) bool
	// Corrupt is told of each row that cannot be decoded, which is skipped: a cache
	// miss, not a failure. It typically logs r.Kind(), r.Key() and err, which quote
	// no secret.
	Corrupt func(r *Row, err error)
}

// Entries reads the rows of a union query into snap and closes them. A row that cannot
// be decoded is skipped and reported to s.Corrupt; a row that cannot be read (a
// connection lost, a context done) fails the call with the driver's error.
func (s Scan) Entries(rows Rows, snap *domain.CacheSnapshot) error {
	defer rows.Close()
	var r Row
	dest := r.Dest()
	for rows.Next() {
		r = Row{}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if s.Keep != nil && !s.Keep(&r) {
			continue
		}
		if err := r.AppendTo(snap, s.Extra); err != nil {
			s.Corrupt(&r, err)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(snap.ForeignSections) > 1 { // only an export reads them; it returns them sorted
		slices.SortFunc(snap.ForeignSections, func(a, b domain.ForeignSection) int { return strings.Compare(a.Name, b.Name) })
	}
	return rows.Close()
}

// Read reads into a snapshot the rows a query returned, given as the query's results:
// on an error, of the query or of Entries, it returns an empty snapshot and the error.
func (s Scan) Read(rows Rows, err error) (domain.CacheSnapshot, error) {
	if err != nil {
		return domain.CacheSnapshot{}, err
	}
	var snap domain.CacheSnapshot
	if err := s.Entries(rows, &snap); err != nil {
		return domain.CacheSnapshot{}, err
	}
	return snap, nil
}
