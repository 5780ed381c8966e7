package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// flakyDriver wraps the sqlite driver: while bad is set, a query fails with
// driver.ErrBadConn once, as a connection that broke would, and database/sql may then
// use another connection.
type flakyDriver struct {
	driver.Driver
	bad *atomic.Bool
}

func (d flakyDriver) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return flakyConn{c, d.bad}, nil
}

// OpenConnector lets sql.OpenDB use flakyDriver with a name.
func (d flakyDriver) OpenConnector(name string) (driver.Connector, error) {
	return dsnConnector{name, d}, nil
}

type dsnConnector struct {
	name string
	d    flakyDriver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.name) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

// BenchmarkDataVersion is the near cache's version check on a file database.
func BenchmarkDataVersion(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: filepath.Join(b.TempDir(), "v.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.DataVersion(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// flakyConn exposes only driver.Conn, so that database/sql prepares every statement
// through Prepare and runs it through the wrapped statement's Query.
type flakyConn struct {
	driver.Conn
	bad *atomic.Bool
}

func (c flakyConn) Prepare(query string) (driver.Stmt, error) {
	s, err := c.Conn.Prepare(query)
	if err != nil {
		return nil, err
	}
	return flakyStmt{s, c.bad}, nil
}

type flakyStmt struct {
	driver.Stmt
	bad *atomic.Bool
}

func (s flakyStmt) Query(args []driver.Value) (driver.Rows, error) { //nolint:staticcheck // the interface database/sql falls back to
	if s.bad.CompareAndSwap(true, false) {
		return nil, driver.ErrBadConn
	}
	return s.Stmt.Query(args) //nolint:staticcheck
}

// TestDataVersion_replacedConnectionReadsAsAChange: PRAGMA data_version is a counter
// of one connection; another connection's is not comparable and starts where the first
// one's started. When the reading connection breaks after another commit, the next
// value must differ from the last one read (or the read must fail): an equal value
// would tell the near cache (ADR 0011) that nothing changed, and it would serve a
// removed token.
func TestDataVersion_replacedConnectionReadsAsAChange(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "v.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var bad atomic.Bool
	probe, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	drv := probe.Driver()
	_ = probe.Close()
	s.version.open = func(dsn string) (*sql.DB, error) {
		c, err := flakyDriver{drv, &bad}.OpenConnector(dsn)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(c), nil
	}
	v1, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatalf("DataVersion = %v", err)
	}
	at := domain.AccessToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Target: "t", Secret: "s",
		CachedAt: time.Unix(1000, 0), ExpiresOn: time.Unix(4600, 0)}
	if err := s.Write(ctx, domain.CacheWrite{Partition: "p", AccessToken: &at}); err != nil {
		t.Fatalf("Write = %v", err)
	}
	bad.Store(true) // the reading connection breaks
	v2, err := s.DataVersion(ctx)
	if err == nil && v2 == v1 {
		t.Fatalf("DataVersion after a commit and a replaced connection = %d, the value before the commit; want another value or an error", v2)
	}
	v3, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatalf("DataVersion after the replacement = %v; want it read again", err)
	}
	if v3 == v1 {
		t.Errorf("DataVersion = %d after the replacement, as before the commit; want another value", v3)
	}
	v4, err := s.DataVersion(ctx)
	if err != nil || v4 != v3 {
		t.Errorf("DataVersion with no commit since = %d, %v; want %d again (a stable connection reads a stable value)", v4, err, v3)
	}
}
