package sqlmigrate_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

// steps are migrations that only work in order: each uses what the one before made.
// Step 3 counts its runs in a table without a key, so running it twice shows.
var steps = []sqlmigrate.Migration{
	{Version: 1, Name: "init", SQL: "CREATE TABLE t (x INTEGER NOT NULL);\nCREATE TABLE runs (step INTEGER NOT NULL);"},
	{Version: 2, Name: "add_column", SQL: "ALTER TABLE t ADD COLUMN y TEXT NOT NULL DEFAULT 'two';\nINSERT INTO runs VALUES (2);"},
	{Version: 3, Name: "seed", SQL: "INSERT INTO t (x, y) SELECT 3, y || '+three' FROM (SELECT 'two' AS y);\nINSERT INTO runs VALUES (3);"},
}

// openSQLite opens a pool on the database file path, with the busy timeout that
// SQLite's dialect requires, closed at the end of the test.
func openSQLite(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatalf("sql.Open(sqlite, %s) = %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newDB(t *testing.T) *sql.DB {
	t.Helper()
	return openSQLite(t, filepath.Join(t.TempDir(), "m.db"))
}

func mustApply(t *testing.T, db *sql.DB, ms []sqlmigrate.Migration, want int) {
	t.Helper()
	got, err := sqlmigrate.Apply(t.Context(), db, sqlmigrate.SQLite(), ms)
	if err != nil || got != want {
		t.Fatalf("Apply(%d migrations) = %d, %v; want %d, nil", len(ms), got, err, want)
	}
}

// recorded returns the rows of the version table as "version:name".
func recorded(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatalf("reading schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v, at int64
		var name string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatalf("scanning schema_migrations: %v", err)
		}
		if at < 1_600_000_000 {
			t.Errorf("schema_migrations row %d has applied_at %d; want Unix seconds of now", v, at)
		}
		out = append(out, fmt.Sprintf("%d:%s", v, name))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading schema_migrations: %v", err)
	}
	return out
}

func count(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestApply_inOrderAndRecorded(t *testing.T) {
	db := newDB(t)
	mustApply(t, db, steps, 3)
	if got, want := strings.Join(recorded(t, db), " "), "1:init 2:add_column 3:seed"; got != want {
		t.Errorf("schema_migrations = %s; want %s", got, want)
	}
	var y string
	if err := db.QueryRow("SELECT y FROM t WHERE x = 3").Scan(&y); err != nil || y != "two+three" {
		t.Errorf("row made by migration 3 = %q, %v; want %q (the migrations ran in order)", y, err, "two+three")
	}
}

func TestApply_idempotent(t *testing.T) {
	db := newDB(t)
	mustApply(t, db, steps[:2], 2)
	mustApply(t, db, steps[:2], 0)
	mustApply(t, db, steps, 1) // a later program brings one more
	mustApply(t, db, steps, 0)
	if got := count(t, db, "SELECT count(*) FROM runs"); got != 2 {
		t.Errorf("migrations 2 and 3 ran %d times in all; want 2 (once each)", got)
	}
	if got := len(recorded(t, db)); got != 3 {
		t.Errorf("schema_migrations holds %d rows; want 3", got)
	}
}

func TestApply_failureRollsBackThatMigrationOnly(t *testing.T) {
	db := newDB(t)
	broken := append([]sqlmigrate.Migration{}, steps...)
	broken[1].SQL = "ALTER TABLE t ADD COLUMN y TEXT NOT NULL DEFAULT 'two';\nINSERT INTO no_such_table VALUES (1);"
	got, err := sqlmigrate.Apply(t.Context(), db, sqlmigrate.SQLite(), broken)
	if err == nil || got != 1 || !strings.Contains(err.Error(), "0002_add_column.sql") {
		t.Fatalf("Apply with a failing migration 2 = %d, %v; want 1, an error naming 0002_add_column.sql", got, err)
	}
	if got, want := strings.Join(recorded(t, db), " "), "1:init"; got != want {
		t.Errorf("schema_migrations after migration 2 failed = %s; want %s (nothing recorded for it)", got, want)
	}
	if n := count(t, db, "SELECT count(*) FROM pragma_table_info('t') WHERE name = 'y'"); n != 0 {
		t.Errorf("column t.y exists after its migration failed; want it rolled back")
	}
	mustApply(t, db, steps, 2) // the fixed program goes on from version 1
	if got := count(t, db, "SELECT count(*) FROM runs"); got != 2 {
		t.Errorf("runs = %d after the fixed migrations; want 2", got)
	}
}

func TestApply_databaseAhead(t *testing.T) {
	db := newDB(t)
	mustApply(t, db, steps, 3)
	got, err := sqlmigrate.Apply(t.Context(), db, sqlmigrate.SQLite(), steps[:2])
	if !errors.Is(err, sqlmigrate.ErrDatabaseAhead) || got != 0 {
		t.Errorf("Apply(2 migrations) on a database at version 3 = %d, %v; want 0, ErrDatabaseAhead", got, err)
	}
	if got := len(recorded(t, db)); got != 3 {
		t.Errorf("schema_migrations holds %d rows after the refused Apply; want 3", got)
	}
}

func TestApply_invalidMigrations(t *testing.T) {
	db := newDB(t)
	_, err := sqlmigrate.Apply(t.Context(), db, sqlmigrate.SQLite(), []sqlmigrate.Migration{steps[1]})
	if !errors.Is(err, sqlmigrate.ErrInvalidMigration) {
		t.Errorf("Apply(migration 2 alone) = %v; want ErrInvalidMigration", err)
	}
	if n := count(t, db, "SELECT count(*) FROM sqlite_master"); n != 0 {
		t.Errorf("the database holds %d objects after a refused Apply; want 0", n)
	}
}

func TestApply_cancelledContext(t *testing.T) {
	db := newDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got, err := sqlmigrate.Apply(ctx, db, sqlmigrate.SQLite(), steps)
	if !errors.Is(err, context.Canceled) || got != 0 {
		t.Errorf("Apply(cancelled ctx) = %d, %v; want 0, an error wrapping context.Canceled", got, err)
	}
	mustApply(t, db, steps, 3)
}

// TestApply_concurrentPools applies the same migrations from several pools on one new
// file at once, as processes starting together would: each migration runs once.
func TestApply_concurrentPools(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	const pools = 6
	dbs := make([]*sql.DB, pools)
	for i := range dbs {
		dbs[i] = openSQLite(t, path)
	}
	var total int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, db := range dbs {
		wg.Go(func() {
			n, err := sqlmigrate.Apply(context.Background(), db, sqlmigrate.SQLite(), steps)
			if err != nil {
				t.Errorf("concurrent Apply = %d, %v; want nil error", n, err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != len(steps) {
		t.Errorf("concurrent Apply calls applied %d migrations in all; want %d", total, len(steps))
	}
	if got := count(t, dbs[0], "SELECT count(*) FROM runs"); got != 2 {
		t.Errorf("migrations 2 and 3 ran %d times in all; want 2", got)
	}
}

// helperEnv tells a re-executed test binary to migrate the file it names.
const helperEnv = "SQLMIGRATE_HELPER_DB"

// TestHelperProcess is not a test: run by TestApply_concurrentProcesses in a child
// process, it applies steps to the file named by helperEnv and prints the count.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestApply_concurrentProcesses")
	}
	n, err := sqlmigrate.Apply(context.Background(), openSQLite(t, path), sqlmigrate.SQLite(), steps)
	if err != nil {
		t.Fatalf("Apply in helper process = %v", err)
	}
	fmt.Printf("applied=%d\n", n)
}

func TestApply_concurrentProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	const procs = 3
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), helperEnv+"="+path)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	total := 0
	for i := range procs {
		if errs[i] != nil {
			t.Fatalf("helper process %d = %v; output:\n%s", i, errs[i], outs[i])
		}
		var n int
		for line := range strings.Lines(string(outs[i])) {
			if _, err := fmt.Sscanf(line, "applied=%d", &n); err == nil {
				total += n
			}
		}
	}
	if total != len(steps) {
		t.Errorf("%d processes applied %d migrations in all; want %d", procs, total, len(steps))
	}
	db := openSQLite(t, path)
	if got := count(t, db, "SELECT count(*) FROM runs"); got != 2 {
		t.Errorf("migrations 2 and 3 ran %d times across processes; want 2", got)
	}
}
