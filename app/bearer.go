package app

import (
	"context"

	"github.com/hexauth/hexauth/bearer"
)

// SilentBearer returns a bearer.Acquirer that acquires scopes for account silently
// through c, with the request's context: a claims challenge becomes WithClaims (a new
// token from the provider). Give it to bearer.NewTransport or bearer.NewClient.
func SilentBearer(c SilentAcquirer, scopes []string, account Account, opts ...SilentOption) bearer.Acquirer {
	scopes = append([]string(nil), scopes...)
	opts = append([]SilentOption(nil), opts...)
	return func(ctx context.Context, claims string) (AuthResult, error) {
		o := opts
		if claims != "" {
			o = append(append([]SilentOption(nil), opts...), WithClaims(claims))
		}
		return c.AcquireTokenSilent(ctx, scopes, account, o...)
	}
}

// ClientCredentialsBearer is SilentBearer for an app's own token
// (AcquireTokenForClient).
func ClientCredentialsBearer(cc *ConfidentialClient, scopes []string, opts ...ClientOption) bearer.Acquirer {
	scopes = append([]string(nil), scopes...)
	opts = append([]ClientOption(nil), opts...)
	return func(ctx context.Context, claims string) (AuthResult, error) {
		o := opts
		if claims != "" {
			o = append(append([]ClientOption(nil), opts...), WithClaims(claims))
		}
		return cc.AcquireTokenForClient(ctx, scopes, o...)
	}
}
