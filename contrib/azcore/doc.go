// Package azcore makes a hexauth client an azcore.TokenCredential, the credential every
// client of the Azure SDK for Go takes (github.com/Azure/azure-sdk-for-go/sdk/azcore).
//
// It is a Go module of its own (github.com/hexauth/hexauth/contrib/azcore), so that
// programs that do not use the Azure SDK never download or link it: the core module
// does not depend on azcore, and a test in the core checks that with go list -deps.
// Import it under a name of your choosing when you also import the SDK's azcore:
//
//	import hexaz "github.com/hexauth/hexauth/contrib/azcore"
//
// A Credential acquires through hexauth only: a public client silently for one account
// (it never prompts: when the user must sign in again the error is interaction
// required), a confidential client by client credentials. hexauth's cache, single
// flight and refresh locks do the work: the Credential holds no token and no mutex, and
// any number of goroutines and SDK clients may share it.
//
// GetToken honours policy.TokenRequestOptions field by field:
//
//   - Scopes: at least one, else domain.ErrInvalidInput.
//   - Claims: the claims of a challenge, already decoded by azcore's BearerTokenPolicy
//     (a JSON object), passed as they are to app.WithClaims: hexauth skips its cache
//     and sends them to the provider.
//   - TenantID: the client's own tenant, or a tenant named in
//     Options.AdditionallyAllowedTenants ("*" allows any), which becomes
//     app.WithTenantID; any other is domain.ErrInvalidInput naming that option.
//   - EnableCAE: the request goes to the CAE client, which declares the client
//     capability "cp1" (app.Config.ClientCapabilities) and keeps a cache of its own;
//     without it, to the plain client.
//
// # Why two clients
//
// A token issued to a client that declared "cp1" is a CAE token: the resource may
// revoke it at any time with a claims challenge, and issues it for up to a day. A
// caller that did not ask for CAE (EnableCAE false) may not answer such challenges, so
// it must never be handed one from a cache; and a CAE caller should not be handed a
// token issued without the capability. hexauth's cache keys a token by partition,
// account, authority, client and scopes, not by capabilities, so the two kinds of
// tokens are kept apart the way azidentity keeps them apart: by two clients with two
// cache identities (two stores, or two partitions of one), one per kind. A
// constructor takes both and checks what it can: that the CAE client declares "cp1"
// and the plain one does not (so they are never one client). That they do not share a
// store and partition is the caller's part of the contract: the CAE client
// built from the same Config with ClientCapabilities set and another Cache (or
// Partition) fulfils it.
//
// azcore's BearerTokenPolicy sets EnableCAE on every request, so a credential for the
// Azure SDK needs the CAE client; the plain one serves callers that ask for tokens
// without CAE. Either may be nil: without a CAE client, CAE requests get plain tokens
// (the capability is simply not declared, which is always safe); without a plain
// client, requests without CAE are refused (domain.ErrInvalidInput) rather than
// answered with a CAE token.
//
// A public client's account must be signed in on each client it uses (with
// AcquireTokenInteractive, the device flow, ...), since each keeps its own refresh
// token, as azidentity's credentials do.
//
// ExpiresOn and RefreshOn are UTC (RefreshOn is hexauth's refresh_on when the provider
// sent refresh_in or the token lives two hours or more; zero otherwise), so the policy
// renews when hexauth would. When hexauth's refresh at refresh_on failed and it served
// the cached token, RefreshOn is when it will try again (a minute, or the provider's
// Retry-After), so the policy does not ask on every request meanwhile. Errors wrap hexauth's: errors.Is(err,
// domain.ErrInteractionRequired) and the other classes work through them, and they never
// contain a token.
package azcore
