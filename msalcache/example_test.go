package msalcache_test

import (
	"fmt"

	"github.com/hexauth/hexauth/msalcache"
)

// Reading an MSAL Node cache: its family refresh token and the app's own name the
// same hexauth entry, its proof-of-possession token is not imported, and the report
// says so. Writing it back gives MSAL Python's layout.
func ExampleDecodeReport() {
	doc := []byte(`{
	  "Account": {"uid.utid-login.microsoftonline.com-utid": {"home_account_id": "uid.utid",
	    "environment": "login.microsoftonline.com", "realm": "utid", "local_account_id": "uid",
	    "username": "alice@example.com", "authority_type": "MSSTS", "client_info": "eyJ1aWQiOiJ1aWQifQ"}},
	  "RefreshToken": {
	    "uid.utid-login.microsoftonline.com-refreshtoken-app----": {"home_account_id": "uid.utid",
	      "environment": "login.microsoftonline.com", "client_id": "app", "secret": "rt", "credential_type": "RefreshToken"},
	    "uid.utid-login.microsoftonline.com-refreshtoken-1----": {"home_account_id": "uid.utid",
	      "environment": "login.microsoftonline.com", "client_id": "app", "secret": "rt", "family_id": "1", "credential_type": "RefreshToken"}},
	  "AccessToken": {
	    "pop": {"credential_type": "AccessToken_With_AuthScheme", "environment": "login.microsoftonline.com",
	      "client_id": "app", "target": "User.Read", "secret": "at", "tokenType": "pop"}},
	  "Unrecognized_Entity": {}
	}`)
	s, report, err := msalcache.DecodeReport(doc)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("accounts:", len(s.Accounts), "refresh tokens:", len(s.RefreshTokens), "family:", s.RefreshTokens[0].FamilyID)
	fmt.Println("kept foreign sections:", report.ForeignSections)
	for _, skipped := range report.Skipped {
		fmt.Println("skipped:", skipped)
	}
	out, _ := msalcache.Encode(s)
	again, _ := msalcache.Decode(out)
	fmt.Println("read back:", again.Len(), "entries, client_info kept:", string(again.Accounts[0].Extra["client_info"]))
	// Output:
	// accounts: 1 refresh tokens: 1 family: 1
	// kept foreign sections: [Unrecognized_Entity]
	// skipped: AccessToken["pop"]: proof-of-possession access token (AccessToken_With_AuthScheme): hexauth caches bearer tokens only
	// skipped: RefreshToken["uid.utid-login.microsoftonline.com-refreshtoken-app----"]: duplicate: names the same entry as "uid.utid-login.microsoftonline.com-refreshtoken-1----", which was kept
	// read back: 2 entries, client_info kept: "eyJ1aWQiOiJ1aWQifQ"
}

// A document that names no client for an access token is refused as a whole, naming
// the section, key and field but never a value.
func ExampleDecode_invalid() {
	_, err := msalcache.Decode([]byte(`{"AccessToken": {"k": {"environment": "e", "target": "s", "secret": "do-not-print"}}}`))
	fmt.Println(err)
	// Output:
	// hexauth: msalcache: decode: invalid_input: AccessToken["k"]: field "client_id": missing: the entry's key needs it (line 1, column 18)
}
