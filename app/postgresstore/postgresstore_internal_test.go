package postgresstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
)

// hexauth's own parameters leave the DSN (the server would refuse them as unknown
// run-time parameters); every other one stays for the driver.
func TestConfigOf(t *testing.T) {
	c, err := configOf("postgresql://app:pw@db.internal:5433/tokens?sslmode=verify-full&schema=tenants_eu&max_conns=4&application_name=api")
	if err != nil {
		t.Fatal(err)
	}
	if c.Schema != "tenants_eu" || c.MaxOpenConns != 4 {
		t.Errorf("schema, max_conns = %q, %d; want tenants_eu, 4", c.Schema, c.MaxOpenConns)
	}
	if strings.Contains(c.DSN, "schema=") || strings.Contains(c.DSN, "max_conns") ||
		!strings.Contains(c.DSN, "sslmode=verify-full") || !strings.Contains(c.DSN, "application_name=api") ||
		!strings.HasPrefix(c.DSN, "postgresql://app:pw@db.internal:5433/tokens?") {
		t.Errorf("DSN = %q; want the URL without schema and max_conns, the rest kept", c.DSN)
	}
	if c, _ := configOf("postgres://app@db/tokens?sslmode=disable"); c.DSN != "postgres://app@db/tokens?sslmode=disable" || c.Schema != "" || c.MaxOpenConns != 0 {
		t.Errorf("a URL without hexauth's parameters became %+v; want it unchanged, defaults left to the adapter", c)
	}
	for _, bad := range []string{"postgres://u:hunter2@db/x?max_conns=0", "postgres://u:hunter2@db/x?max_conns=-3", "postgres://u:hunter2@db/x?max_conns=ten", "postgres://u:hunter2@db:port/x"} {
		if _, err := configOf(bad); !errors.Is(err, domain.ErrInvalidInput) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("configOf(%s) = %v; want ErrInvalidInput without the password", strings.ReplaceAll(bad, "hunter2", "xxxxx"), err)
		}
	}
}
