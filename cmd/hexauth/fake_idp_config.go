package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

// fakeIdPFile is the JSON config file of hexauth fake-idp. Durations are Go duration
// strings ("1h", "90s"). The users' passwords and clients' secrets are fixtures of a
// fake provider, not real secrets.
type fakeIdPFile struct {
	Addr                string           `json:"addr"`
	Users               []fakeUserJSON   `json:"users"`
	Clients             []fakeClientJSON `json:"clients"`
	Scopes              []string         `json:"scopes"`
	TokenLifetime       string           `json:"token_lifetime"`
	RefreshIn           string           `json:"refresh_in"`
	CodeLifetime        string           `json:"code_lifetime"`
	DeviceCodeLifetime  string           `json:"device_code_lifetime"`
	DeviceInterval      string           `json:"device_interval"`
	RotateRefreshTokens bool             `json:"rotate_refresh_tokens"`
	ClientInfo          bool             `json:"client_info"`
	IssuerInResponse    bool             `json:"issuer_in_response"`
	OmitScope           bool             `json:"omit_scope_in_response"`
	OmitIDTokenRefresh  bool             `json:"omit_id_token_on_refresh"`
	SigningAlg          string           `json:"signing_alg"`
	AutoApproveUser     string           `json:"auto_approve_user"`
	ExpiresInAsString   bool             `json:"expires_in_as_string"`
	Faults              []faultJSON      `json:"faults"`
}

// fakeUserJSON is a user of the fake provider.
type fakeUserJSON struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	Name          string `json:"name"`
	Subject       string `json:"subject"`
	TenantID      string `json:"tenant_id"`
	RequireMFA    bool   `json:"require_mfa"`
	DeniesConsent bool   `json:"denies_consent"`
}

// fakeClientJSON is an application registered with the fake provider.
type fakeClientJSON struct {
	ID           string   `json:"id"`
	Secret       string   `json:"secret"`
	FamilyID     string   `json:"family_id"`
	RedirectURIs []string `json:"redirect_uris"`
}

// faultJSON is a scripted fault (idptest.Fault).
type faultJSON struct {
	Endpoint          string `json:"endpoint"` // token (default), authorize, discovery, jwks or *
	Grant             string `json:"grant"`    // authorization_code, password, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code
	Times             int    `json:"times"`    // 0 means once, negative means always
	Delay             string `json:"delay"`
	DropConnection    bool   `json:"drop_connection"`
	Status            int    `json:"status"`
	Body              string `json:"body"` // empty, html, malformed_json, oversized, gzip_bomb
	Error             string `json:"error"`
	ErrorDescription  string `json:"error_description"`
	SubError          string `json:"suberror"`
	ErrorCodes        []int  `json:"error_codes"`
	Claims            string `json:"claims"`
	RetryAfter        string `json:"retry_after"`
	IDToken           string `json:"id_token"` // wrong_nonce, wrong_issuer, wrong_audience, expired, wrong_signature, other_subject, alg_none
	RefuseRefresh     bool   `json:"refuse_refresh"`
	ExpiresInAsString bool   `json:"expires_in_as_string"`
	EchoRequest       bool   `json:"echo_request"` // append the request to error_description
}

// readFakeIdPFile reads a fake-idp config file; unknown keys are refused.
func readFakeIdPFile(path string) (fakeIdPFile, error) {
	var f fakeIdPFile
	data, err := os.ReadFile(path)
	if err != nil {
		return f, usageErrorf("fake-idp config: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, usageErrorf("fake-idp config %s: %v", path, err)
	}
	return f, nil
}

// serverConfig turns the file into an idptest.Config and the faults to script.
func (f fakeIdPFile) serverConfig() (idptest.Config, []idptest.Fault, error) {
	cfg := idptest.Config{Addr: f.Addr, AutoApproveUser: f.AutoApproveUser, ExpiresInAsString: f.ExpiresInAsString}
	pc := &cfg.Provider
	pc.Scopes, pc.RotateRefreshTokens, pc.ClientInfo = f.Scopes, f.RotateRefreshTokens, f.ClientInfo
	pc.IssuerInResponse, pc.OmitScopeInResponse, pc.SigningAlg = f.IssuerInResponse, f.OmitScope, f.SigningAlg
	pc.OmitIDTokenOnRefresh = f.OmitIDTokenRefresh
	var err error
	if pc.TokenLifetime, err = optDuration("token_lifetime", f.TokenLifetime); err != nil {
		return cfg, nil, err
	}
	if pc.RefreshIn, err = optDuration("refresh_in", f.RefreshIn); err != nil {
		return cfg, nil, err
	}
	if pc.CodeLifetime, err = optDuration("code_lifetime", f.CodeLifetime); err != nil {
		return cfg, nil, err
	}
	if pc.DeviceCodeLifetime, err = optDuration("device_code_lifetime", f.DeviceCodeLifetime); err != nil {
		return cfg, nil, err
	}
	if pc.DeviceInterval, err = optDuration("device_interval", f.DeviceInterval); err != nil {
		return cfg, nil, err
	}
	for _, u := range f.Users {
		pc.Users = append(pc.Users, idptest.User{Username: u.Username, Password: domain.Secret(u.Password), Name: u.Name,
			Subject: u.Subject, TenantID: u.TenantID, RequireMFA: u.RequireMFA, DeniesConsent: u.DeniesConsent})
	}
	for _, c := range f.Clients {
		pc.Clients = append(pc.Clients, idptest.Client{ID: c.ID, Secret: domain.Secret(c.Secret), FamilyID: c.FamilyID, RedirectURIs: c.RedirectURIs})
	}
	faults := make([]idptest.Fault, 0, len(f.Faults))
	for i, fj := range f.Faults {
		ft, err := fj.fault()
		if err != nil {
			return cfg, nil, usageErrorf("fault %d: %v", i+1, err)
		}
		faults = append(faults, ft)
	}
	return cfg, faults, nil
}

// fault converts a faultJSON.
func (fj faultJSON) fault() (idptest.Fault, error) {
	f := idptest.Fault{Endpoint: idptest.Endpoint(fj.Endpoint), Grant: domain.GrantKind(fj.Grant), Times: fj.Times,
		DropConnection: fj.DropConnection, Status: fj.Status, RefuseRefresh: fj.RefuseRefresh, ExpiresInAsString: fj.ExpiresInAsString,
		EchoRequest: fj.EchoRequest}
	switch f.Endpoint {
	case "", idptest.EndpointAny, idptest.EndpointDiscovery, idptest.EndpointJWKS, idptest.EndpointAuthorize, idptest.EndpointToken,
		idptest.EndpointDevice:
	default:
		return f, fmt.Errorf("endpoint %q: want token, authorize, discovery, jwks, device_authorization or *", fj.Endpoint)
	}
	if err := checkFaultGrant(f.Endpoint, f.Grant); err != nil {
		return f, err
	}
	// The server writes Status as the response's status line: a value that is not an
	// HTTP status panics its handler, and the client sees a dropped connection.
	if fj.Status != 0 && (fj.Status < 100 || fj.Status > 599) {
		return f, fmt.Errorf("status %d: want an HTTP status in 100..599", fj.Status)
	}
	var err error
	if f.Delay, err = optDuration("delay", fj.Delay); err != nil {
		return f, err
	}
	if f.RetryAfter, err = optDuration("retry_after", fj.RetryAfter); err != nil {
		return f, err
	}
	if f.Body, err = bodyKind(fj.Body); err != nil {
		return f, err
	}
	if f.IDToken, err = idTokenFault(fj.IDToken); err != nil {
		return f, err
	}
	if fj.Error != "" {
		f.Error = &idptest.ErrorResponse{Error: fj.Error, Description: fj.ErrorDescription, SubError: fj.SubError,
			ErrorCodes: fj.ErrorCodes, Claims: fj.Claims}
	}
	return f, nil
}

// faultGrants are the grant_type values the fake provider's token endpoint serves.
var faultGrants = []domain.GrantKind{domain.GrantAuthorizationCode, domain.GrantPassword,
	domain.GrantRefreshToken, domain.GrantClientCredentials, domain.GrantDeviceCode}

// checkFaultGrant refuses a grant no request can match: one the provider does not
// serve, or one on an endpoint that receives no grant_type. Such a fault would be
// accepted and never fire.
func checkFaultGrant(e idptest.Endpoint, g domain.GrantKind) error {
	if g == "" {
		return nil
	}
	if !slices.Contains(faultGrants, g) {
		return fmt.Errorf("grant %q: want authorization_code, password, refresh_token, client_credentials or %s", string(g), domain.GrantDeviceCode)
	}
	if e != "" && e != idptest.EndpointToken && e != idptest.EndpointAny {
		return fmt.Errorf("grant %q: only token requests carry a grant; drop it or set endpoint to token", string(g))
	}
	return nil
}

// bodyKinds names the scripted bodies.
var bodyKinds = map[string]idptest.BodyKind{"": idptest.BodyDefault, "default": idptest.BodyDefault,
	"empty": idptest.BodyEmpty, "html": idptest.BodyHTML, "malformed_json": idptest.BodyMalformedJSON,
	"oversized": idptest.BodyOversized, "gzip_bomb": idptest.BodyGzipBomb}

func bodyKind(name string) (idptest.BodyKind, error) {
	if k, ok := bodyKinds[name]; ok {
		return k, nil
	}
	return 0, fmt.Errorf("body %q: want empty, html, malformed_json, oversized or gzip_bomb", name)
}

// idTokenFaults names the ID-token defects.
var idTokenFaults = map[string]idptest.IDTokenFault{"": idptest.IDTokenOK, "ok": idptest.IDTokenOK,
	"wrong_nonce": idptest.IDTokenWrongNonce, "wrong_issuer": idptest.IDTokenWrongIssuer,
	"wrong_audience": idptest.IDTokenWrongAudience, "expired": idptest.IDTokenExpired,
	"wrong_signature": idptest.IDTokenWrongSignature, "other_subject": idptest.IDTokenOtherSubject,
	"alg_none": idptest.IDTokenAlgNone}

func idTokenFault(name string) (idptest.IDTokenFault, error) {
	if f, ok := idTokenFaults[name]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("id_token %q: want wrong_nonce, wrong_issuer, wrong_audience, expired, wrong_signature, other_subject or alg_none", name)
}

// optDuration parses an optional duration setting.
func optDuration(name, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, usageErrorf("%s %q: want a duration such as 90s or 1h", name, v)
	}
	return d, nil
}
