package domain

import "encoding/json"

// Bounds on Config.ClientCapabilities: Entra knows a handful of capabilities ("cp1",
// continuous access evaluation; "llt"), each a short name.
const (
	MaxClientCapabilities     = 16
	MaxClientCapabilityBytes  = 64
	clientCapabilitiesClaim   = "xms_cc"
	clientCapabilitiesSection = "access_token"
)

// CheckClientCapabilities checks a client's capabilities: at most
// MaxClientCapabilities, each 1 to MaxClientCapabilityBytes bytes of printable ASCII.
// The error is ErrInvalidInput naming the bound.
func CheckClientCapabilities(capabilities []string) error {
	if len(capabilities) > MaxClientCapabilities {
		return Errorf(ErrInvalidInput, "client capabilities: more than %d", MaxClientCapabilities)
	}
	for _, c := range capabilities {
		if c == "" {
			return Errorf(ErrInvalidInput, "client capabilities: an empty capability")
		}
		if err := CheckVSChars(ErrInvalidInput, "a client capability", c, MaxClientCapabilityBytes); err != nil {
			return err
		}
	}
	return nil
}

// MergeClientCapabilities returns the claims parameter of a request from a client that
// declares capabilities: claims (a challenge's or the caller's, a JSON object, or empty)
// with {"access_token":{"xms_cc":{"values":[capabilities...]}}} merged in, as MSAL
// sends it. Other members of claims, and of its access_token object, are kept; an
// xms_cc already there is replaced by the client's own. Without capabilities claims is
// returned unchanged, byte for byte. Claims that are not a JSON object, or whose
// access_token is not one, cannot carry the capabilities: ErrInvalidInput, which never
// quotes the claims.
func MergeClientCapabilities(claims string, capabilities []string) (string, error) {
	if len(capabilities) == 0 {
		return claims, nil
	}
	request := map[string]json.RawMessage{}
	if claims != "" {
		if err := json.Unmarshal([]byte(claims), &request); err != nil || request == nil {
			return "", Errorf(ErrInvalidInput, "claims: not a JSON object, so the client capabilities cannot be merged into it")
		}
	}
	section := map[string]json.RawMessage{}
	if raw, ok := request[clientCapabilitiesSection]; ok {
		if err := json.Unmarshal(raw, &section); err != nil || section == nil {
			return "", Errorf(ErrInvalidInput, "claims: access_token is not a JSON object, so the client capabilities cannot be merged into it")
		}
	}
	cc, err := json.Marshal(struct {
		Values []string `json:"values"`
	}{Values: capabilities})
	if err != nil {
		return "", Errorf(ErrInvalidInput, "client capabilities: %v", err)
	}
	section[clientCapabilitiesClaim] = cc
	if request[clientCapabilitiesSection], err = json.Marshal(section); err != nil {
		return "", Errorf(ErrInvalidInput, "claims: %v", err)
	}
	out, err := json.Marshal(request)
	if err != nil {
		return "", Errorf(ErrInvalidInput, "claims: %v", err)
	}
	return string(out), nil
}
