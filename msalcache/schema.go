package msalcache

import "strings"

// Section names of the unified cache document, as MSAL writes them.
const (
	SectionAccessToken  = "AccessToken"
	SectionRefreshToken = "RefreshToken"
	SectionIDToken      = "IdToken"
	SectionAccount      = "Account"
	SectionAppMetadata  = "AppMetadata"
)

// Field names of the schema, as MSAL Python writes them.
const (
	fieldHomeAccountID     = "home_account_id"
	fieldEnvironment       = "environment"
	fieldClientID          = "client_id"
	fieldRealm             = "realm"
	fieldTarget            = "target"
	fieldSecret            = "secret"
	fieldCredentialType    = "credential_type"
	fieldTokenType         = "token_type"
	fieldCachedAt          = "cached_at"
	fieldExpiresOn         = "expires_on"
	fieldExtendedExpiresOn = "extended_expires_on"
	fieldRefreshOn         = "refresh_on"
	fieldKeyID             = "key_id"
	fieldFamilyID          = "family_id"
	fieldLocalAccountID    = "local_account_id"
	fieldUsername          = "username"
	fieldName              = "name"
	fieldAuthorityType     = "authority_type"
	// fieldLastModification is MSAL Python's write time of a refresh token. hexauth
	// does not own it (it stays in Extra) but reads it as the token's CachedAt when
	// cached_at is absent.
	fieldLastModification = "last_modification_time"
)

// credentialTypePoP is the credential_type MSAL Node and .NET give proof-of-possession
// access tokens, which hexauth does not cache.
const credentialTypePoP = "AccessToken_With_AuthScheme"

// section describes one section of the document: the fields hexauth reads from its
// entries (every other field goes to Extra) and the fields an entry cannot lack.
type section struct {
	name           string
	credentialType string // the expected credential_type; "" when the section has none
	fields         []string
	required       []string
}

var sections = []section{
	{
		name: SectionAccessToken, credentialType: SectionAccessToken,
		fields: []string{fieldHomeAccountID, fieldEnvironment, fieldClientID, fieldRealm, fieldTarget, fieldSecret,
			fieldCredentialType, fieldTokenType, fieldCachedAt, fieldExpiresOn, fieldExtendedExpiresOn, fieldRefreshOn, fieldKeyID},
		// home_account_id is empty for app tokens (client credentials), realm for
		// authorities without a tenant.
		required: []string{fieldEnvironment, fieldClientID, fieldTarget},
	},
	{
		name: SectionRefreshToken, credentialType: SectionRefreshToken,
		// realm is hexauth's issuer realm of an OIDC issuer's refresh token (MSAL writes
		// none; absent means "").
		fields: []string{fieldHomeAccountID, fieldEnvironment, fieldClientID, fieldFamilyID, fieldTarget, fieldSecret,
			fieldCredentialType, fieldCachedAt, fieldRealm},
		required: []string{fieldHomeAccountID, fieldEnvironment, fieldClientID},
	},
	{
		name: SectionIDToken, credentialType: SectionIDToken,
		fields:   []string{fieldHomeAccountID, fieldEnvironment, fieldClientID, fieldRealm, fieldSecret, fieldCredentialType},
		required: []string{fieldHomeAccountID, fieldEnvironment, fieldClientID},
	},
	{
		name: SectionAccount,
		fields: []string{fieldHomeAccountID, fieldEnvironment, fieldRealm, fieldLocalAccountID, fieldUsername, fieldName,
			fieldAuthorityType},
		required: []string{fieldHomeAccountID, fieldEnvironment},
	},
	{
		name:     SectionAppMetadata,
		fields:   []string{fieldClientID, fieldEnvironment, fieldFamilyID},
		required: []string{fieldClientID, fieldEnvironment},
	},
}

// sectionNamed returns the section whose name equals name ignoring case.
func sectionNamed(name string) (*section, bool) {
	for i := range sections {
		if strings.EqualFold(sections[i].name, name) {
			return &sections[i], true
		}
	}
	return nil, false
}

// standard returns the schema name of field when it is one of the section's fields,
// matched ignoring case.
func (s *section) standard(field string) (string, bool) {
	for _, f := range s.fields {
		if strings.EqualFold(f, field) {
			return f, true
		}
	}
	return "", false
}
