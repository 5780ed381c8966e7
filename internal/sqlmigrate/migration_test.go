package sqlmigrate_test

import (
	"errors"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestLoad_valid(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_add_index.sql":    file("CREATE INDEX t_x ON t (x);"),
		"m/0001_init.sql":         file("CREATE TABLE t (x INTEGER);"),
		"m/00003_more_things.sql": file("ALTER TABLE t ADD COLUMN y TEXT;"),
		"m/README.md":             file("not a migration"),
		"m/old/0009_skip.sql":     file("subdirectories are ignored"),
	}
	got, err := sqlmigrate.Load(fsys, "m")
	if err != nil {
		t.Fatalf("Load = %v; want nil", err)
	}
	want := []sqlmigrate.Migration{
		{Version: 1, Name: "init", SQL: "CREATE TABLE t (x INTEGER);"},
		{Version: 2, Name: "add_index", SQL: "CREATE INDEX t_x ON t (x);"},
		{Version: 3, Name: "more_things", SQL: "ALTER TABLE t ADD COLUMN y TEXT;"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Load = %+v; want %+v", got, want)
	}
	if s := got[0].String(); s != "0001_init.sql" {
		t.Errorf("Migration.String() = %q; want %q", s, "0001_init.sql")
	}
}

func TestLoad_invalid(t *testing.T) {
	ok := file("SELECT 1;")
	for _, c := range []struct {
		name string
		fsys fstest.MapFS
	}{
		{"no migrations", fstest.MapFS{"m/README.md": ok}},
		{"name without version", fstest.MapFS{"m/init.sql": ok}},
		{"short version", fstest.MapFS{"m/001_init.sql": ok}},
		{"upper-case name", fstest.MapFS{"m/0001_Init.sql": ok}},
		{"no name", fstest.MapFS{"m/0001.sql": ok}},
		{"version zero", fstest.MapFS{"m/0000_init.sql": ok}},
		{"duplicate version", fstest.MapFS{"m/0001_init.sql": ok, "m/00001_again.sql": ok}},
		{"gap", fstest.MapFS{"m/0001_init.sql": ok, "m/0003_later.sql": ok}},
		{"not starting at 1", fstest.MapFS{"m/0002_init.sql": ok}},
		{"empty file", fstest.MapFS{"m/0001_init.sql": file(" \n\t")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := sqlmigrate.Load(c.fsys, "m")
			if !errors.Is(err, sqlmigrate.ErrInvalidMigration) {
				t.Errorf("Load = %v, %v; want an error wrapping ErrInvalidMigration", got, err)
			}
		})
	}
}

func TestLoad_missingDirectory(t *testing.T) {
	_, err := sqlmigrate.Load(fstest.MapFS{}, "nowhere")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing directory = %v; want an error wrapping fs.ErrNotExist", err)
	}
}

func TestCheck_outOfOrder(t *testing.T) {
	ms := []sqlmigrate.Migration{{Version: 2, Name: "b", SQL: "SELECT 2"}, {Version: 1, Name: "a", SQL: "SELECT 1"}}
	if err := sqlmigrate.Check(ms); !errors.Is(err, sqlmigrate.ErrInvalidMigration) {
		t.Errorf("Check(versions 2, 1) = %v; want an error wrapping ErrInvalidMigration", err)
	}
	ms = []sqlmigrate.Migration{{Version: 1, SQL: "SELECT 1"}}
	if err := sqlmigrate.Check(ms); !errors.Is(err, sqlmigrate.ErrInvalidMigration) {
		t.Errorf("Check(migration without a name) = %v; want an error wrapping ErrInvalidMigration", err)
	}
}
