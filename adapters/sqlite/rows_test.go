package sqlite

import (
	"encoding/json"
	"testing"
)

func TestExtraCodec_emptyIsNull(t *testing.T) {
	for _, m := range []map[string]json.RawMessage{nil, {}} {
		if got, err := extraCodec.Encode(m); got != nil || err != nil {
			t.Errorf("extraCodec.Encode(%#v) = %v, %v; want nil, nil (stored as NULL)", m, got, err)
		}
	}
}
