package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxTokenLifetime bounds expires_in: a longer lifetime is refused as absurd.
const MaxTokenLifetime = 365 * 24 * time.Hour

// DefaultTokenLifetime is assumed when a token response omits expires_in.
const DefaultTokenLifetime = time.Hour

// TokenResponse is a successful token-endpoint response (RFC 6749 §5.1) with the
// Entra extensions hexauth uses. Adapters of ports.IdentityProvider return it.
type TokenResponse struct {
	AccessToken  Secret
	TokenType    string
	ExpiresIn    time.Duration // always set: DefaultTokenLifetime when the provider omitted it
	ExtExpiresIn time.Duration // Entra's ext_expires_in; zero when absent
	RefreshIn    time.Duration // Entra's refresh_in; zero when absent
	RefreshToken Secret        // empty when none was issued
	IDToken      Secret        // the raw ID token, empty when none was issued
	// Scope is the granted scope set; nil when the response had no "scope" (the
	// requested set was granted, RFC 6749 §5.1), empty (not nil) when it had an empty
	// one: the provider granted no scope (ADR 0019).
	Scope         []string
	ClientInfo    string // Entra's client_info (base64url JSON with uid and utid)
	FamilyID      string // Entra's "foci": the app's family, when it has one
	CorrelationID string // the provider's correlation id, when it sent one
}

// Validate checks the rules every token response must meet, whatever adapter produced
// it: an access token, and a lifetime in (0, MaxTokenLifetime].
func (r TokenResponse) Validate() error {
	if r.AccessToken == "" {
		return Errorf(ErrInvalidResponse, "token response has no access_token")
	}
	if r.ExpiresIn <= 0 || r.ExpiresIn > MaxTokenLifetime {
		return Errorf(ErrInvalidResponse, "token response has an invalid expires_in (%v)", r.ExpiresIn)
	}
	if r.RefreshIn < 0 || r.ExtExpiresIn < 0 {
		return Errorf(ErrInvalidResponse, "token response has a negative refresh_in or ext_expires_in")
	}
	if r.TokenType != "" && !strings.EqualFold(r.TokenType, "Bearer") {
		// RFC 6749 §7.1: a client must not use a token whose type it does not understand.
		// hexauth requests only bearer tokens, so a DPoP, mac or pop token would be sent
		// as a bearer token it is not (RFC 9449 §5: a DPoP token needs its proof).
		return Errorf(ErrInvalidResponse, "token response has token_type %q; only Bearer was requested", truncate(r.TokenType, 32))
	}
	return nil
}

// tokenResponseJSON is the wire form. Numbers may arrive as JSON numbers or strings.
type tokenResponseJSON struct {
	AccessToken   *string     `json:"access_token"`
	TokenType     string      `json:"token_type"`
	ExpiresIn     flexSeconds `json:"expires_in"`
	ExtExpiresIn  flexSeconds `json:"ext_expires_in"`
	RefreshIn     flexSeconds `json:"refresh_in"`
	RefreshToken  string      `json:"refresh_token"`
	IDToken       string      `json:"id_token"`
	Scope         *flexScope  `json:"scope"`
	ClientInfo    string      `json:"client_info"`
	Foci          flexString  `json:"foci"`
	CorrelationID string      `json:"correlation_id"`
	errorResponseJSON
}

type errorResponseJSON struct {
	Error            string   `json:"error"`
	ErrorDescription string   `json:"error_description"`
	SubError         string   `json:"suberror"`
	ErrorCodes       flexInts `json:"error_codes"`
	Claims           string   `json:"claims"`
	TraceID          string   `json:"trace_id"`
	CorrelationID    string   `json:"correlation_id"`
	Timestamp        string   `json:"timestamp"`
}

// flexSeconds is a JSON number of seconds, or a string holding one.
type flexSeconds struct {
	set bool
	d   time.Duration
	bad bool
}

func (f *flexSeconds) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "null" || s == "" {
		return nil
	}
	f.set = true
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e12 {
		f.bad = true
		return nil
	}
	f.d = time.Duration(v * float64(time.Second))
	return nil
}

// flexScope is a "scope" as RFC 6749 §3.3 writes it, a space-delimited string, or as
// some providers send it, a JSON array of strings. null reads as absent (the field is
// left nil); anything else reads as an empty grant, so that a token whose scope cannot
// be read is never served from the cache for the scopes asked for.
type flexScope string

func (f *flexScope) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexScope(s)
		return nil
	}
	var list []string
	if json.Unmarshal(b, &list) == nil {
		*f = flexScope(strings.Join(list, " "))
	}
	return nil
}

// flexInt is a JSON integer or a string holding one; anything else reads as 0.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	v, _ := strconv.Atoi(strings.Trim(string(bytes.TrimSpace(b)), `"`))
	*f = flexInt(v)
	return nil
}

// flexInts is a JSON array of integers (numbers or numeric strings), or a single one;
// anything else reads as empty rather than failing the whole response.
type flexInts []flexInt

func (f *flexInts) UnmarshalJSON(b []byte) error {
	var list []flexInt
	if json.Unmarshal(b, &list) == nil {
		*f = list
		return nil
	}
	var one flexInt
	_ = one.UnmarshalJSON(b)
	if one != 0 {
		*f = flexInts{one}
	}
	return nil
}

// flexString is a JSON string, or a number kept as its text (Entra's "foci" has been
// seen as both); anything else reads as empty.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		*f = flexString(n.String())
	}
	return nil
}

// ParseTokenResponse parses a token-endpoint response body received with HTTP status
// status in answer to a grant. A 2xx body that is a JSON object without "error" becomes
// a TokenResponse, validated with Validate. Anything else becomes an *Error keeping the
// provider's fields, classified with Classify; a body that is not JSON is described by
// its status only, never quoted, and is ErrUnavailable (ErrThrottled on a 429) unless it
// is empty, when the status alone classifies it.
func ParseTokenResponse(grant GrantKind, status int, body []byte) (TokenResponse, error) {
	var w tokenResponseJSON
	jsonErr := json.Unmarshal(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), &w)
	ok := status >= 200 && status < 300
	if jsonErr != nil {
		empty := len(bytes.TrimSpace(body)) == 0
		if ok && json.Valid(body) {
			// JSON of the wrong shape ({"access_token": 42}, an array): the provider
			// speaks the protocol wrongly.
			return TokenResponse{}, &Error{Class: ErrInvalidResponse, HTTPStatus: status, Description: "token response is not a JSON object of the expected shape"}
		}
		if ok {
			// An HTML page or a proxy's answer under a 2xx is a fault on the provider's
			// side (DESIGN §5), not a protocol violation the caller could act on.
			return TokenResponse{}, &Error{Class: ErrUnavailable, HTTPStatus: status, Description: fmt.Sprintf("the provider answered HTTP %d to the %s request without a JSON body", status, grantName(grant))}
		}
		class := Classify(grant, "", "", nil, status)
		if !empty && class != ErrThrottled {
			// An HTML page or a proxy's answer is a fault on the provider's side (DESIGN
			// §5), whatever the status: it says nothing of the grant or the client.
			class = ErrUnavailable
		}
		desc := "the provider returned an error without a JSON body"
		if empty {
			// Nothing else to go on: name the status and the grant, so that "HTTP 401 to
			// the client_credentials request" points at the client's credentials.
			desc = fmt.Sprintf("the provider answered HTTP %d to the %s request with an empty body", status, grantName(grant))
		}
		return TokenResponse{}, &Error{Class: class, HTTPStatus: status, Description: desc}
	}
	if !ok || w.Error != "" {
		// encoding/json fills only the shallower of two fields with the same name: the
		// outer correlation_id, never the embedded error's.
		w.errorResponseJSON.CorrelationID = w.CorrelationID
		return TokenResponse{}, w.errorResponseJSON.toError(grant, status)
	}
	if w.ExpiresIn.bad || w.ExtExpiresIn.bad || w.RefreshIn.bad {
		return TokenResponse{}, &Error{Class: ErrInvalidResponse, HTTPStatus: status, Description: "token response has a non-numeric expires_in, ext_expires_in or refresh_in"}
	}
	r := TokenResponse{
		TokenType:     NormalizeTokenType(w.TokenType),
		ExpiresIn:     w.ExpiresIn.d,
		ExtExpiresIn:  w.ExtExpiresIn.d,
		RefreshIn:     w.RefreshIn.d,
		RefreshToken:  Secret(w.RefreshToken),
		IDToken:       Secret(w.IDToken),
		ClientInfo:    w.ClientInfo,
		FamilyID:      string(w.Foci),
		CorrelationID: w.CorrelationID,
	}
	if w.AccessToken != nil {
		r.AccessToken = Secret(*w.AccessToken)
	}
	if !w.ExpiresIn.set {
		r.ExpiresIn = DefaultTokenLifetime
	}
	if w.Scope != nil {
		// A "scope" present is the granted set, an empty one included (RFC 6749 §3.3,
		// §5.1; ADR 0019): read as absent, a token granted nothing would be cached, and
		// served, as holding the scopes asked for.
		r.Scope = ParseScopes(string(*w.Scope))
		if r.Scope == nil {
			r.Scope = []string{}
		}
	}
	if err := r.Validate(); err != nil {
		err.(*Error).HTTPStatus = status
		return TokenResponse{}, err
	}
	return r, nil
}

// grantName names a grant in a message: its grant_type, or "token" when unknown.
func grantName(g GrantKind) string {
	if g == "" {
		return "token"
	}
	return truncate(string(g), 64)
}

// ParseErrorResponse parses an OAuth 2.0 error body (RFC 6749 §5.2, with Entra's
// extras). It returns nil when body is not a JSON object with an "error" field.
func ParseErrorResponse(grant GrantKind, status int, body []byte) *Error {
	var w errorResponseJSON
	if json.Unmarshal(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), &w) != nil || w.Error == "" {
		return nil
	}
	return w.toError(grant, status)
}

func (w errorResponseJSON) toError(grant GrantKind, status int) *Error {
	codes := make([]int, min(len(w.ErrorCodes), maxErrorCodes))
	for i := range codes {
		codes[i] = int(w.ErrorCodes[i])
	}
	// Classify on what the provider sent, then bound what is kept: a hostile or broken
	// provider must not turn one error into megabytes of log lines. The claims challenge
	// is kept whole: it must be sent back verbatim.
	return &Error{
		Class:         Classify(grant, w.Error, w.SubError, codes, status),
		Code:          truncate(w.Error, maxErrorField),
		Description:   truncate(w.ErrorDescription, maxErrorDescription),
		SubError:      truncate(w.SubError, maxErrorField),
		ErrorCodes:    codes,
		Claims:        w.Claims,
		CorrelationID: truncate(w.CorrelationID, maxErrorField),
		TraceID:       truncate(w.TraceID, maxErrorField),
		Timestamp:     truncate(w.Timestamp, maxErrorField),
		HTTPStatus:    status,
	}
}

// Bounds on the provider's error fields an *Error keeps.
const (
	maxErrorField       = 128
	maxErrorDescription = 4096
	maxErrorCodes       = 32
)

// NormalizeTokenType returns the token type in its canonical case ("Bearer", "pop");
// an empty type is "Bearer" (providers in the wild omit it or send "bearer").
func NormalizeTokenType(t string) string {
	switch {
	case t == "", strings.EqualFold(t, "bearer"):
		return "Bearer"
	case strings.EqualFold(t, "pop"):
		return "pop"
	}
	return t
}

// RefreshOnFor returns when a token cached at cachedAt with lifetime expiresIn should be
// refreshed proactively: cachedAt + refreshIn when the provider sent refresh_in;
// otherwise, for tokens that live 2 hours or longer, half their lifetime; otherwise
// never (zero time).
func RefreshOnFor(cachedAt time.Time, expiresIn, refreshIn time.Duration) time.Time {
	switch {
	case refreshIn > 0:
		return cachedAt.Add(refreshIn)
	case expiresIn >= 2*time.Hour:
		return cachedAt.Add(expiresIn / 2)
	}
	return time.Time{}
}
