package sqlmigrate

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Migration is one step of a schema: the SQL that takes a database from version
// Version-1 to Version.
type Migration struct {
	// Version is the number of the step, from 1 up without gaps.
	Version int
	// Name is the file name without its version and extension ("init" for
	// 0001_init.sql); it is recorded with the version.
	Name string
	// SQL holds one or more statements. It runs inside a transaction that Apply opens,
	// so it must not begin, commit or roll back one itself.
	SQL string
}

// String returns the migration's file name, NNNN_name.sql.
func (m Migration) String() string { return fmt.Sprintf("%04d_%s.sql", m.Version, m.Name) }

// ErrInvalidMigration is wrapped by the errors of Load and Apply about the migrations
// themselves: a badly named file, an empty one, a duplicate or missing version.
var ErrInvalidMigration = errors.New("sqlmigrate: invalid migrations")

// fileName is the form of a migration file's name: the version, then the name.
var fileName = regexp.MustCompile(`^([0-9]{4,9})_([a-z0-9_]+)\.sql$`)

// Load reads the migrations of dir in fsys: every file whose name ends in .sql must be
// named NNNN_name.sql; other files (a README, say) are ignored, and so are
// subdirectories. The migrations are returned in version order. Load fails, with an
// error wrapping ErrInvalidMigration, on a badly named or empty file, on two files of
// the same version and on a gap in the versions, which must start at 1.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlmigrate: read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m, err := parseName(e.Name())
		if err != nil {
			return nil, err
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sqlmigrate: read %s: %w", e.Name(), err)
		}
		m.SQL = string(body)
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	if err := Check(ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// parseName returns the version and name of a migration file.
func parseName(file string) (Migration, error) {
	parts := fileName.FindStringSubmatch(file)
	if parts == nil {
		return Migration{}, fmt.Errorf("%w: file %q is not named NNNN_name.sql (a version of 4 to 9 digits, a name of a-z, 0-9 and _)", ErrInvalidMigration, file)
	}
	v, err := strconv.Atoi(parts[1])
	if err != nil || v < 1 {
		return Migration{}, fmt.Errorf("%w: file %q: the version must be at least 1", ErrInvalidMigration, file)
	}
	return Migration{Version: v, Name: parts[2]}, nil
}

// Check reports, with an error wrapping ErrInvalidMigration, why ms cannot be applied:
// it must be non-empty, in version order from 1 without gaps or duplicates, and every
// migration must have a name and some SQL. Apply calls it; Load returns only
// migrations that pass it.
func Check(ms []Migration) error {
	if len(ms) == 0 {
		return fmt.Errorf("%w: no migrations", ErrInvalidMigration)
	}
	for i, m := range ms {
		switch {
		case i > 0 && m.Version == ms[i-1].Version:
			return fmt.Errorf("%w: %s and %s have the same version", ErrInvalidMigration, ms[i-1], m)
		case m.Version != i+1:
			return fmt.Errorf("%w: %s is version %d; want %d (versions start at 1, in order, without gaps)", ErrInvalidMigration, m, m.Version, i+1)
		case m.Name == "":
			return fmt.Errorf("%w: version %d has no name", ErrInvalidMigration, m.Version)
		case strings.TrimSpace(m.SQL) == "":
			return fmt.Errorf("%w: %s is empty", ErrInvalidMigration, m)
		}
	}
	return nil
}
