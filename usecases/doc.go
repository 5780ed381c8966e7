// Package usecases implements hexauth's flows, one type per flow: silent acquisition
// (Silent), the authorization-code flow with PKCE (AuthCode), username/password
// (UsernamePassword), the device code flow of RFC 8628 (DeviceCode), refresh-token
// redemption (RefreshTokenRedeemer), the legacy
// authorization-code redemption (LegacyCode), client credentials (ClientCredentials)
// and account listing and removal (Accounts).
//
// The package orchestrates only: every effect goes through a port (identity provider,
// cache store, clock), and every rule comes from package domain. It never reads the wall
// clock and imports no adapter, SQL or HTTP library.
package usecases
