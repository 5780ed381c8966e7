package app

import "github.com/hexauth/hexauth/domain"

// MSALResult is a successful result shaped like MSAL Python's result dictionary,
// tokens included: AuthResult.MSALResult and AuthResult.MSALJSON return it. It is the
// explicit way to a result's tokens in bulk; json.Marshal of an AuthResult redacts them.
type MSALResult = domain.MSALResult

// MSALError is a failure shaped like MSAL Python's error dictionary (error,
// error_description, error_codes, suberror, correlation_id, claims), plus hexauth's
// error_class. The CLI prints exactly this for --output json.
type MSALError = domain.MSALError

// MSALErrorOf returns err as MSAL Python's error dictionary (domain.MSALErrorOf).
func MSALErrorOf(err error) MSALError { return domain.MSALErrorOf(err) }
