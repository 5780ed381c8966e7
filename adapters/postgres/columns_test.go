package postgres

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/sqlcache"
)

func TestExtraCodec_emptyRoundTripsAndUTF8Only(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]json.RawMessage
		want    string // "NULL" for nil
		wantErr string
	}{
		{"nil is NULL", nil, "NULL", ""},
		{"empty is {}", map[string]json.RawMessage{}, "{}", ""},
		{"invalid UTF-8 refused", map[string]json.RawMessage{"k": json.RawMessage("\"\xff\"")}, "", `extra field "k" is not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extraCodec.Encode(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("extraCodec.Encode = %v; want %q", err, tt.wantErr)
				}
				return
			}
			s := "NULL"
			if got != nil {
				s = *got
			}
			if err != nil || s != tt.want {
				t.Errorf("extraCodec.Encode(%#v) = %s, %v; want %s, nil", tt.in, s, err, tt.want)
			}
		})
	}
}

func TestArrayArgs(t *testing.T) {
	const entraHome = "9F4880D8-80BA-4C40-97BC-F7A23C703084.72F988BF-86F1-41AF-91AB-2D7CD011DB47"
	w := sampleWrite("p", entraHome, "secret")
	bad := *w.Account
	bad.Username = "nul\x00byte"
	badExtra := *w.Account
	badExtra.Extra = map[string]json.RawMessage{"x": json.RawMessage("{")}
	tests := []struct {
		name    string
		snap    domain.CacheSnapshot
		wantErr string
	}{
		{"accounts", domain.CacheSnapshot{Accounts: []domain.Account{*w.Account, *w.Account}}, ""},
		{"NUL byte refused, column named", domain.CacheSnapshot{Accounts: []domain.Account{bad}}, "accounts.username_folded is not valid UTF-8"},
		{"bad extra refused, kind named", domain.CacheSnapshot{Accounts: []domain.Account{badExtra}}, `account: extra field "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := sqlcache.RowsOf(tt.snap, extraCodec)[3]
			args, err := arrayArgs(k, 0, k.Len)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "nul") {
					t.Errorf("arrayArgs = %v; want an error starting %q, no value quoted", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(args) != len(sqlcache.Accounts.Columns) {
				t.Fatalf("arrayArgs = %d arrays, %v; want %d, nil", len(args), err, len(sqlcache.Accounts.Columns))
			}
			if folded, ok := args[0].([]string); !ok || len(folded) != 2 || folded[0] != strings.ToLower(entraHome) {
				t.Errorf("home_account_id_folded array = %#v; want the folded id twice", args[0])
			}
			if written, ok := args[3].([]*string); !ok || len(written) != 2 || written[0] == nil || *written[0] != entraHome {
				t.Errorf("home_account_id array = %#v; want the id as written (it is not its folded form)", args[3])
			}
			if env, ok := args[4].([]*string); !ok || len(env) != 2 || env[0] != nil {
				t.Errorf("environment array = %#v; want NULLs (the environment is its folded form)", args[4])
			}
		})
	}
}
