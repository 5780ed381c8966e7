package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/hexauth/hexauth/internal/sqlmigrate"
)

// migrationFiles are the schema's migrations, NNNN_name.sql, applied in order by
// internal/sqlmigrate. They name tables without a schema: the store's connections
// have search_path set to its schema.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate creates the store's schema if needed and applies the migrations it lacks.
// sqlmigrate's Postgres dialect does both under pg_advisory_xact_lock on a key of the
// schema, one migration per transaction, and records versions in
// <schema>.schema_migrations: stores opening at the same time take turns, and a schema
// migrated by a newer program is refused (sqlmigrate.ErrDatabaseAhead).
func (s *Store) migrate(ctx context.Context) error {
	ms, err := sqlmigrate.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	n, err := sqlmigrate.Apply(ctx, s.db.DB, sqlmigrate.Postgres(s.schema), ms)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.InfoContext(ctx, fmt.Sprintf("postgres: applied %d migration(s)", n), "schema", s.schema, "version", len(ms))
	}
	return nil
}
