package msalcache_test

import (
	"fmt"
	"reflect"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/msalcache"
)

// countsOf counts the entries of each section of s, as Report.Imported should.
func countsOf(s domain.CacheSnapshot) msalcache.Counts {
	return msalcache.Counts{Accounts: len(s.Accounts), AccessTokens: len(s.AccessTokens),
		RefreshTokens: len(s.RefreshTokens), IDTokens: len(s.IDTokens), AppMetadata: len(s.AppMetadata)}
}

// snapshotDiff describes the first difference between two snapshots, naming the
// section, the entry's index and key and the field; "" when they are deeply equal.
// Secrets are not printed.
func snapshotDiff(got, want domain.CacheSnapshot) string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		section := g.Type().Field(i).Name
		gs, ws := g.Field(i), w.Field(i)
		if gs.Len() != ws.Len() {
			return fmt.Sprintf("%s: got %d entries; want %d", section, gs.Len(), ws.Len())
		}
		for j := range gs.Len() {
			ge, we := gs.Index(j), ws.Index(j)
			for k := range ge.NumField() {
				name := ge.Type().Field(k).Name
				gv, wv := ge.Field(k).Interface(), we.Field(k).Interface()
				if reflect.DeepEqual(gv, wv) {
					continue
				}
				key := ge.Addr().MethodByName("Key").Call(nil)[0].String()
				if name == "Secret" {
					return fmt.Sprintf("%s[%d] %q: secrets differ", section, j, key)
				}
				return fmt.Sprintf("%s[%d] %q: %s = %#v; want %#v", section, j, key, name, gv, wv)
			}
		}
	}
	return ""
}
