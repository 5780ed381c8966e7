package bearer_test

import (
	"fmt"
	"net/http"

	"github.com/hexauth/hexauth/bearer"
)

// Reading the claims challenge of a 401 the transport could not answer itself (its
// request body could not be replayed), to pass to an interactive sign-in with
// app.WithClaims.
func ExampleInsufficientClaims() {
	h := http.Header{}
	h.Add("WWW-Authenticate", `Basic realm="legacy"`)
	h.Add("WWW-Authenticate", `Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="`)
	claims, ok := bearer.InsufficientClaims(h)
	fmt.Println(ok, claims)
	// Output:
	// true {"access_token":{"nbf":{"essential":true, "value":"1604106651"}}}
}

func ExampleParseChallenges() {
	h := http.Header{"Www-Authenticate": {`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`}}
	challenges, err := bearer.ParseChallenges(h)
	if err != nil {
		panic(err)
	}
	for _, c := range challenges {
		fmt.Printf("%s realm=%q\n", c.Scheme, c.Params["realm"])
	}
	fmt.Println(challenges[0].Params["title"]) // the quoted-pair escapes undone
	// Output:
	// Newauth realm="apps"
	// Basic realm="simple"
	// Login to "apps"
}
