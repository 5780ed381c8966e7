// Package sqlmigrate is hexauth's small runner of embedded SQL migrations, shared by the
// SQLite and Postgres cache stores (DESIGN §5: no migration framework, whose dozens of
// drivers would enter every user's module graph).
//
// Migrations are files named NNNN_name.sql (a version of at least four digits, then a
// name of lower-case letters, digits and underscores) in a directory of an fs.FS,
// usually an embed.FS. Load reads and checks them: versions start at 1 and have no gaps
// or duplicates. Apply brings a database up to the newest one:
//
//	//go:embed migrations/*.sql
//	var files embed.FS
//
//	ms, err := sqlmigrate.Load(files, "migrations")
//	...
//	n, err := sqlmigrate.Apply(ctx, db, sqlmigrate.SQLite(), ms)
//
// Apply records the applied versions in a table (schema_migrations), so running it again
// does nothing. Each pending migration runs in a transaction of its own together with
// the row that records it: a migration that fails leaves neither its changes nor its
// row, and the ones before it stay applied. Every such transaction first takes a lock
// that the Dialect defines — SQLite: BEGIN IMMEDIATE, the database's single write lock;
// Postgres: pg_advisory_xact_lock with a key fixed per schema — and reads the version
// again under it, so any number of processes may open a new database at the same time:
// one applies each migration, the others find it applied.
//
// A database whose recorded version is newer than the newest migration the program
// knows was migrated by a newer program: Apply returns ErrDatabaseAhead and changes
// nothing, as an older program cannot know what the newer schema means.
package sqlmigrate
