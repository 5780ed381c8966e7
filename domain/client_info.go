package domain

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// ClientInfo is Entra ID's client_info (requested with client_info=1): the user's object
// id (uid) and home tenant id (utid), base64url-encoded JSON.
type ClientInfo struct {
	UID  string `json:"uid"`
	UTID string `json:"utid"`
}

// ParseClientInfo decodes a client_info value. Padding is optional.
func ParseClientInfo(s string) (ClientInfo, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return ClientInfo{}, Errorf(ErrInvalidResponse, "client_info is not base64")
		}
	}
	var ci ClientInfo
	if json.Unmarshal(b, &ci) != nil || ci.UID == "" || ci.UTID == "" {
		return ClientInfo{}, Errorf(ErrInvalidResponse, "client_info is not a JSON object with uid and utid")
	}
	return ci, nil
}

// HomeAccountID derives an account's home account id: "uid.utid" from client_info when
// the provider returned it, otherwise the ID token's sub. It returns ErrInvalidResponse
// for a client_info that cannot be decoded, and "" when there is neither.
func HomeAccountID(clientInfo string, claims *IDTokenClaims) (string, error) {
	if clientInfo != "" {
		ci, err := ParseClientInfo(clientInfo)
		if err != nil {
			return "", err
		}
		return ci.UID + "." + ci.UTID, nil
	}
	if claims != nil {
		return claims.Subject, nil
	}
	return "", nil
}
