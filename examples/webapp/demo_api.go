package webapp

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// Caller is who a bearer token was issued to, as the demo API tells it.
type Caller struct {
	Name   string `json:"name"`
	Tenant string `json:"tenant"`
}

// TokenChecker says whom a bearer token belongs to; ok is false for a token the API
// does not accept.
type TokenChecker func(ctx context.Context, token string) (c Caller, ok bool)

// NewDemoAPI returns a one-endpoint downstream API: a request whose Authorization is a
// bearer token that check accepts gets 200 and {"message": "hello, NAME", "caller":
// {...}}; any other gets 401 with a Bearer challenge (RFC 6750 §3).
func NewDemoAPI(check TokenChecker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !found || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="demo-api"`)
			http.Error(w, `{"error":"a bearer token is required"}`, http.StatusUnauthorized)
			return
		}
		c, ok := check(r.Context(), tok)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="demo-api", error="invalid_token"`)
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"message": "hello, " + c.Name, "caller": c})
	})
}

// CacheTokenChecker accepts a token when it is the access token for scopes that
// client's cache holds for an account of one of tenants. It stands in for what a real
// API does (verify a JWT access token's signature, issuer and audience, or ask the
// provider's introspection endpoint, RFC 7662), which an opaque token from a fake
// provider does not allow. It lists every account of every tenant: a demo, never a
// production check.
func CacheTokenChecker(client *app.ConfidentialClient, tenants []string, scopes []string) TokenChecker {
	tenants = append([]string(nil), tenants...)
	scopes = append([]string(nil), scopes...)
	return func(ctx context.Context, token string) (Caller, bool) {
		for _, t := range tenants {
			pc := client.Partition(t)
			accts, err := pc.Accounts(ctx)
			if err != nil {
				continue
			}
			for _, a := range accts {
				res, err := pc.AcquireTokenSilent(ctx, scopes, a)
				if err != nil {
					continue
				}
				if subtle.ConstantTimeCompare([]byte(res.AccessToken), []byte(token)) == 1 {
					var claims domain.IDTokenClaims
					if res.IDTokenClaims != nil {
						claims = *res.IDTokenClaims
					}
					return Caller{Name: displayName(a, claims), Tenant: t}, true
				}
			}
		}
		return Caller{}, false
	}
}
