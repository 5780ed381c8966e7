package postgres

import (
	"context"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
)

// migrationFiles are the schema's migrations, NNNN_name.sql, applied in order.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate creates the schema if needed and applies the migrations it lacks, on one
// connection holding a session advisory lock so that stores opening at the same time
// migrate one after the other.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := createSchema(ctx, conn, s.schema); err != nil {
		return err
	}
	lockKey := advisoryKey(s.schema, "migrations")
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockKey); err != nil {
			// Never return a connection that may still hold the lock to the pool:
			// discarding it ends its session, which releases the lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return applyMigrations(ctx, conn)
}

// createSchema creates the schema unless it exists. Two stores creating it at the same
// time may make one CREATE SCHEMA IF NOT EXISTS fail with a duplicate: that one lost a
// race and the schema is there.
func createSchema(ctx context.Context, conn *sqlx.Conn, schema string) error {
	_, err := conn.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
	if err != nil && !hasCode(err, codeUniqueViolation, codeDuplicateSchema) {
		return fmt.Errorf("create schema: %w", err)
	}
	return nil
}

// applyMigrations applies, each in its own transaction with the version it records,
// the migrations newer than the schema's version.
func applyMigrations(ctx context.Context, conn *sqlx.Conn) error {
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create version table: %w", err)
	}
	var current int
	if err := conn.GetContext(ctx, &current, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(files)
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil || version <= current {
			continue
		}
		body, err := migrationFiles.ReadFile(f)
		if err != nil {
			return err
		}
		if err := applyMigration(ctx, conn, version, name, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sqlx.Conn, version int, name, body string) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, version, name); err != nil {
		return err
	}
	return tx.Commit()
}
