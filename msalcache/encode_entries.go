package msalcache

import (
	"encoding/json"
	"time"

	"github.com/hexauth/hexauth/domain"
)

func (w *writer) accessToken(t domain.AccessToken) object {
	home := str(t.HomeAccountID)
	if t.HomeAccountID == "" {
		home = json.RawMessage("null") // an app token, as MSAL Python writes it
	}
	tokenType := t.TokenType
	if tokenType == "" {
		tokenType = "Bearer" // the schema's default, as Decode reads an absent type
	}
	o := object{
		fieldCredentialType: str(SectionAccessToken), fieldSecret: str(string(t.Secret)),
		fieldHomeAccountID: home, fieldEnvironment: str(t.Environment), fieldClientID: str(t.ClientID),
		fieldRealm: str(t.Realm), fieldTarget: str(t.Target), fieldTokenType: str(tokenType),
	}
	setIf(o, fieldKeyID, t.KeyID)
	for _, f := range []struct {
		name string
		t    time.Time
	}{
		{fieldCachedAt, t.CachedAt}, {fieldExpiresOn, t.ExpiresOn},
		{fieldExtendedExpiresOn, t.ExtendedExpiresOn}, {fieldRefreshOn, t.RefreshOn},
	} {
		w.setTime(o, SectionAccessToken, t.Key(), f.name, f.t)
	}
	return o
}

func (w *writer) refreshToken(t domain.RefreshToken) object {
	o := object{
		fieldCredentialType: str(SectionRefreshToken), fieldSecret: str(string(t.Secret)),
		fieldHomeAccountID: str(t.HomeAccountID), fieldEnvironment: str(t.Environment), fieldClientID: str(t.ClientID),
		fieldTarget: str(t.Target),
	}
	setIf(o, fieldFamilyID, t.FamilyID)
	setIf(o, fieldRealm, t.Realm)
	w.setTime(o, SectionRefreshToken, refreshTokenKey(t), fieldCachedAt, t.CachedAt)
	return o
}

func (w *writer) idToken(t domain.IDToken) object {
	return object{
		fieldCredentialType: str(SectionIDToken), fieldSecret: str(string(t.Secret)),
		fieldHomeAccountID: str(t.HomeAccountID), fieldEnvironment: str(t.Environment), fieldClientID: str(t.ClientID),
		fieldRealm: str(t.Realm),
	}
}

func (w *writer) account(a domain.Account) object {
	o := object{
		fieldHomeAccountID: str(a.HomeAccountID), fieldEnvironment: str(a.Environment), fieldRealm: str(a.Realm),
		fieldLocalAccountID: str(a.LocalAccountID), fieldUsername: str(a.Username), fieldAuthorityType: str(a.AuthorityType),
	}
	setIf(o, fieldName, a.Name)
	return o
}

func (w *writer) appMetadata(m domain.AppMetadata) object {
	o := object{fieldClientID: str(m.ClientID), fieldEnvironment: str(m.Environment)}
	setIf(o, fieldFamilyID, m.FamilyID)
	return o
}
