package app_test

import (
	// app's tests name sqlite: and postgres: Cache URLs; a program registers the
	// stores it uses by importing their packages, and so do these tests.
	_ "github.com/hexauth/hexauth/app/postgresstore"
	_ "github.com/hexauth/hexauth/app/sqlitestore"
)
