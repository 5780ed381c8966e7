package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"
)

// The pool's connections are modernc.org/sqlite's, each wrapped in a conn that keeps
// the narrow hit read prepared on it. FindHit runs that statement on the driver's
// connection (sql.Conn.Raw) and skips database/sql's per-query work (finding the
// connection's copy of a prepared statement, converting arguments, a Rows, a Scan),
// some 6% of the store's CPU time for a hit of a one-account cache. The statement lives and dies with its connection, so
// a connection the pool discards (after an interrupted query) takes it along.

// driverConn is what database/sql uses of modernc.org/sqlite's connection; conn
// passes it all through.
type driverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.SessionResetter
	driver.Validator
	driver.Pinger
}

// conn is a pool connection: modernc.org/sqlite's, with the narrow hit read prepared
// on first use. database/sql hands a connection to one goroutine at a time, so hit
// needs no lock.
type conn struct {
	driverConn
	hit driver.Stmt
}

// hitStmt returns the narrow hit read prepared on c.
func (c *conn) hitStmt(ctx context.Context) (driver.StmtQueryContext, error) {
	if c.hit == nil {
		st, err := c.PrepareContext(ctx, hitQuery)
		if err != nil {
			return nil, fmt.Errorf("prepare FindHit (narrow): %w", err)
		}
		c.hit = st
	}
	q, ok := c.hit.(driver.StmtQueryContext)
	if !ok {
		return nil, errors.New("driver statement lacks QueryContext")
	}
	return q, nil
}

// Close closes the hit statement, then the connection.
func (c *conn) Close() error {
	var err error
	if c.hit != nil {
		err = c.hit.Close()
		c.hit = nil
	}
	return errors.Join(err, c.driverConn.Close())
}

// connector opens the pool's connections as conns.
type connector struct{ driver.Connector }

// newConnector returns the connector of modernc.org/sqlite for dsn, wrapped.
func newConnector(dsn string) (driver.Connector, error) {
	c, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return connector{c}, nil
}

// Connect implements driver.Connector.
func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	full, ok := dc.(driverConn)
	if !ok {
		_ = dc.Close()
		return nil, fmt.Errorf("driver connection %T lacks a method database/sql uses", dc)
	}
	return &conn{driverConn: full}, nil
}

// prepareHit prepares the narrow hit read on one pool connection, so that Open fails
// on a statement the driver's SQLite cannot run rather than the first hit.
func (s *Store) prepareHit(ctx context.Context) error {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	err = c.Raw(func(dc any) error {
		pc, ok := dc.(*conn)
		if !ok {
			return fmt.Errorf("pool connection is a %T", dc)
		}
		_, err := pc.hitStmt(ctx)
		return err
	})
	return errors.Join(err, c.Close())
}
