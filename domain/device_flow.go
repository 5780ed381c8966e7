package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// GrantDeviceCode is the device authorization grant's grant_type (RFC 8628 §3.4).
const GrantDeviceCode GrantKind = "urn:ietf:params:oauth:grant-type:device_code"

// Bounds on a device authorization response (RFC 8628 §3.2). A provider, or whoever sits
// on the path to it, must not be able to make the engine poll in a hot loop, poll
// forever, or print megabytes (or escape sequences) to the user's terminal.
const (
	// DefaultDevicePollInterval is the wait between polls when the provider names none,
	// or names zero (RFC 8628 §3.2: "If no value is provided, clients MUST use 5").
	DefaultDevicePollInterval = 5 * time.Second
	// MinDevicePollInterval and MaxDevicePollInterval bound the wait between polls;
	// slow_down's 5-second steps (§3.5) stop growing at the maximum.
	MinDevicePollInterval = time.Second
	MaxDevicePollInterval = time.Minute
	// DevicePollSlowDown is what each slow_down adds to the interval (RFC 8628 §3.5).
	DevicePollSlowDown = 5 * time.Second
	// MaxDeviceFlowLifetime bounds how long a flow is polled, whatever expires_in says
	// (Entra and most providers give 10 to 30 minutes).
	MaxDeviceFlowLifetime = time.Hour

	MaxDeviceCodeBytes      = 8 * 1024 // the device code (a credential; Entra's run to a few hundred bytes)
	MaxUserCodeBytes        = 128      // the user code, which a person types (RFC 8628 §6.1)
	MaxVerificationURIBytes = 2048     // verification_uri and verification_uri_complete
	MaxDeviceMessageBytes   = 2048     // the provider's message, cut (not refused) past this
)

// DeviceAuthorization is a successful device authorization response (RFC 8628 §3.2), as
// an adapter of ports.IdentityProvider returns it after ParseDeviceAuthorization.
type DeviceAuthorization struct {
	DeviceCode              Secret
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string        // empty when the provider sent none
	ExpiresIn               time.Duration // > 0 and at most MaxDeviceFlowLifetime
	Interval                time.Duration // within [MinDevicePollInterval, MaxDevicePollInterval]
	Message                 string        // Entra's message, bounded and control-escaped; may be empty
}

// DeviceAuthorizationRequest is a device authorization request (RFC 8628 §3.1).
type DeviceAuthorizationRequest struct {
	Authority     Authority
	ClientID      string
	Credential    ClientCredential // none for a public client
	Scopes        []string         // sent as given (the engine adds the reserved scopes)
	Claims        string
	CorrelationID string
}

// deviceAuthorizationJSON is the wire form. Entra's v1 endpoint, and Google, say
// verification_url; Entra v2 and RFC 8628 say verification_uri.
type deviceAuthorizationJSON struct {
	DeviceCode              *string     `json:"device_code"`
	UserCode                *string     `json:"user_code"`
	VerificationURI         *string     `json:"verification_uri"`
	VerificationURL         *string     `json:"verification_url"`
	VerificationURIComplete *string     `json:"verification_uri_complete"`
	ExpiresIn               flexSeconds `json:"expires_in"`
	Interval                flexSeconds `json:"interval"`
	Message                 string      `json:"message"`
	errorResponseJSON
}

// ParseDeviceAuthorization parses the body of a device authorization response received
// with HTTP status status. An error body becomes an *Error classified like a token
// response's; a 2xx body must be a JSON object with device_code, user_code, a
// verification URI that is an absolute https URL (http only on a loopback host) and a
// positive expires_in, else ErrInvalidResponse. Absent or zero interval is
// DefaultDevicePollInterval; intervals and lifetimes are clamped to their bounds; the
// message is cut at MaxDeviceMessageBytes and control-escaped. Errors never quote a code.
func ParseDeviceAuthorization(status int, body []byte) (DeviceAuthorization, error) {
	ok := status >= 200 && status < 300
	var w deviceAuthorizationJSON
	if err := json.Unmarshal(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), &w); err != nil || !ok || w.Error != "" {
		if err == nil {
			w.errorResponseJSON.CorrelationID = w.CorrelationID
			return DeviceAuthorization{}, w.errorResponseJSON.toError(GrantDeviceCode, status)
		}
		if ok && json.Valid(body) {
			return DeviceAuthorization{}, deviceResponseErr(status, "device authorization response is not a JSON object of the expected shape")
		}
		// Not JSON at all: an HTML page or a proxy's answer is the provider's fault
		// (DESIGN §5); the token-response rules classify it.
		_, perr := ParseTokenResponse(GrantDeviceCode, status, body)
		return DeviceAuthorization{}, perr
	}
	uri := w.VerificationURI
	if uri == nil {
		uri = w.VerificationURL
	}
	switch {
	case w.DeviceCode == nil || *w.DeviceCode == "":
		return DeviceAuthorization{}, deviceResponseErr(status, "device authorization response has no device_code")
	case w.UserCode == nil || *w.UserCode == "":
		return DeviceAuthorization{}, deviceResponseErr(status, "device authorization response has no user_code")
	case uri == nil || *uri == "":
		return DeviceAuthorization{}, deviceResponseErr(status, "device authorization response has no verification_uri")
	case !w.ExpiresIn.set || w.ExpiresIn.bad || w.ExpiresIn.d <= 0:
		return DeviceAuthorization{}, deviceResponseErr(status, "device authorization response has a missing, non-numeric or non-positive expires_in")
	case w.Interval.bad || w.Interval.d < 0:
		return DeviceAuthorization{}, deviceResponseErr(status, "device authorization response has a non-numeric or negative interval")
	}
	d := DeviceAuthorization{
		DeviceCode: Secret(*w.DeviceCode), UserCode: *w.UserCode, VerificationURI: *uri,
		ExpiresIn: min(w.ExpiresIn.d, MaxDeviceFlowLifetime), Interval: ClampDevicePollInterval(w.Interval.d),
		Message: EscapeControl(truncate(w.Message, MaxDeviceMessageBytes)),
	}
	if w.VerificationURIComplete != nil {
		d.VerificationURIComplete = *w.VerificationURIComplete
	}
	if err := d.check(); err != nil {
		err.HTTPStatus = status
		return DeviceAuthorization{}, err
	}
	return d, nil
}

func deviceResponseErr(status int, desc string) *Error {
	return &Error{Class: ErrInvalidResponse, HTTPStatus: status, Description: desc}
}

// check applies the bounds on what a person is shown and what is sent back.
func (d DeviceAuthorization) check() *Error {
	if err := CheckVSChars(ErrInvalidResponse, "device_code", string(d.DeviceCode), MaxDeviceCodeBytes); err != nil {
		return err.(*Error)
	}
	if len(d.UserCode) > MaxUserCodeBytes || !isVSChars(d.UserCode) || strings.TrimSpace(d.UserCode) == "" {
		return Errorf(ErrInvalidResponse, "device authorization response has a user_code over %d bytes or not printable ASCII", MaxUserCodeBytes)
	}
	if err := checkVerificationURI("verification_uri", d.VerificationURI); err != nil {
		return err
	}
	if d.VerificationURIComplete != "" {
		return checkVerificationURI("verification_uri_complete", d.VerificationURIComplete)
	}
	return nil
}

// checkVerificationURI refuses a verification URI a user must not be sent to: not
// absolute, not https (http only on a loopback host, for local fakes), carrying
// credentials or characters that would forge a line, or over its bound.
func checkVerificationURI(field, raw string) *Error {
	if len(raw) > MaxVerificationURIBytes || !isVSChars(raw) || strings.ContainsAny(raw, " ") {
		return Errorf(ErrInvalidResponse, "device authorization response has a %s over %d bytes or with characters a URL cannot hold", field, MaxVerificationURIBytes)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return Errorf(ErrInvalidResponse, "device authorization response has a %s that is not an absolute URL", field)
	}
	if !strings.EqualFold(u.Scheme, "https") && !(strings.EqualFold(u.Scheme, "http") && IsLoopbackHost(u.Hostname())) {
		return Errorf(ErrInvalidResponse, "device authorization response has a %s that is not https", field)
	}
	return nil
}

// ClampDevicePollInterval returns the wait between polls for an interval the provider
// sent (or a flow carries): zero means DefaultDevicePollInterval, and the result is
// within [MinDevicePollInterval, MaxDevicePollInterval].
func ClampDevicePollInterval(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultDevicePollInterval
	}
	return min(max(d, MinDevicePollInterval), MaxDevicePollInterval)
}

// DeviceFlow is a device authorization grant in progress (RFC 8628): what to show the
// user, and what the engine polls with. InitiateDeviceFlow returns it and
// AcquireTokenByDeviceFlow completes it; it names its client and authority, not a
// client object, so one request can show the code and another poll.
//
// DeviceCode is a credential: whoever holds it during the flow's life gets the user's
// tokens once the user approves. It prints (every fmt verb, and so slog's text handler)
// and encodes (json.Marshal, and so slog's JSON handler) as "[redacted]"; SessionJSON is the explicit way to serialise the flow whole, for a
// server-side session (keep that out of cookies and logs).
type DeviceFlow struct {
	DeviceCode              Secret
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	// Message is the text to show the user: the provider's (Entra sends one), bounded
	// and control-escaped, else one built from the URI and user code.
	Message string
	// Interval is the wait before each poll (RFC 8628 §3.5), clamped to its bounds.
	Interval time.Duration
	// ExpiresOn is when the device code expires: the engine's clock read before the
	// request, plus expires_in (at most MaxDeviceFlowLifetime).
	ExpiresOn time.Time
	Scopes    []string // the non-reserved scopes requested
	Authority string   // the authority URL the flow was started at
	ClientID  string
}

// NewDeviceFlow returns the flow of a device authorization d that client clientID
// requested for scopes at authority, with now the clock's reading before the request.
func NewDeviceFlow(d DeviceAuthorization, now time.Time, authority, clientID string, scopes []string) DeviceFlow {
	f := DeviceFlow{
		DeviceCode: d.DeviceCode, UserCode: d.UserCode, VerificationURI: d.VerificationURI,
		VerificationURIComplete: d.VerificationURIComplete, Message: d.Message,
		Interval: ClampDevicePollInterval(d.Interval), ExpiresOn: now.Add(min(d.ExpiresIn, MaxDeviceFlowLifetime)),
		Scopes: slices.Clone(scopes), Authority: authority, ClientID: clientID,
	}
	if f.Message == "" {
		f.Message = "To sign in, use a web browser to open the page " + f.VerificationURI + " and enter the code " + f.UserCode + " to authenticate."
	}
	return f
}

// Check reports (ErrInvalidFlow) a flow that cannot be polled: no device code (or one
// that went through json.Marshal and so reads "[redacted]"), a device code past its
// bound, no expiry, or no client or authority. The error never quotes the code.
func (f DeviceFlow) Check() error {
	switch {
	case f.DeviceCode == "" || string(f.DeviceCode) == Secret("x").String():
		return Errorf(ErrInvalidFlow, "the device flow has no device code (a flow serialised with json.Marshal is redacted: use SessionJSON)")
	case f.ExpiresOn.IsZero():
		return Errorf(ErrInvalidFlow, "the device flow has no expiry")
	case f.ClientID == "" || f.Authority == "":
		return Errorf(ErrInvalidFlow, "the device flow names no client or authority")
	}
	if err := CheckVSChars(ErrInvalidFlow, "device code", string(f.DeviceCode), MaxDeviceCodeBytes); err != nil {
		return err
	}
	return checkScopeChars(f.Scopes)
}

// deviceFlowJSON is the JSON of a DeviceFlow; the interval is in whole seconds.
type deviceFlowJSON struct {
	DeviceCode              string    `json:"device_code"`
	UserCode                string    `json:"user_code"`
	VerificationURI         string    `json:"verification_uri"`
	VerificationURIComplete string    `json:"verification_uri_complete,omitempty"`
	Message                 string    `json:"message"`
	Interval                int64     `json:"interval"`
	ExpiresOn               time.Time `json:"expires_on"`
	Scopes                  []string  `json:"scope"`
	Authority               string    `json:"authority"`
	ClientID                string    `json:"client_id"`
}

func (f DeviceFlow) wire(code string) deviceFlowJSON {
	return deviceFlowJSON{DeviceCode: code, UserCode: f.UserCode, VerificationURI: f.VerificationURI,
		VerificationURIComplete: f.VerificationURIComplete, Message: f.Message, Interval: int64(f.Interval / time.Second),
		ExpiresOn: f.ExpiresOn, Scopes: f.Scopes, Authority: f.Authority, ClientID: f.ClientID}
}

// MarshalJSON implements json.Marshaler with the device code redacted, so that a flow
// logged or encoded by accident does not publish it. Use SessionJSON to keep the flow.
func (f DeviceFlow) MarshalJSON() ([]byte, error) {
	return json.Marshal(f.wire(f.DeviceCode.String()))
}

// SessionJSON returns the flow as JSON with its device code, to be kept server-side
// and completed later (json.Unmarshal reads it back). Whoever reads it can obtain the
// user's tokens until ExpiresOn.
func (f DeviceFlow) SessionJSON() ([]byte, error) { return json.Marshal(f.wire(string(f.DeviceCode))) }

// UnmarshalJSON implements json.Unmarshaler for the JSON of SessionJSON (or of
// MarshalJSON, whose redacted code Check then refuses).
func (f *DeviceFlow) UnmarshalJSON(b []byte) error {
	var w deviceFlowJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return Errorf(ErrInvalidFlow, "the device flow is not JSON of the expected shape")
	}
	if w.Interval < 0 || w.Interval > int64(MaxDevicePollInterval/time.Second) {
		return Errorf(ErrInvalidFlow, "the device flow's interval is out of bounds")
	}
	*f = DeviceFlow{DeviceCode: Secret(w.DeviceCode), UserCode: w.UserCode, VerificationURI: w.VerificationURI,
		VerificationURIComplete: w.VerificationURIComplete, Message: w.Message, Interval: time.Duration(w.Interval) * time.Second,
		ExpiresOn: w.ExpiresOn, Scopes: w.Scopes, Authority: w.Authority, ClientID: w.ClientID}
	return nil
}

// String describes the flow without its device code.
func (f DeviceFlow) String() string {
	return fmt.Sprintf("DeviceFlow{DeviceCode:%s UserCode:%s VerificationURI:%s Interval:%s ExpiresOn:%s Scopes:%s Authority:%s ClientID:%s}",
		f.DeviceCode.String(), f.UserCode, f.VerificationURI, f.Interval, f.ExpiresOn.Format(time.RFC3339),
		strings.Join(f.Scopes, " "), f.Authority, f.ClientID)
}

// GoString implements fmt.GoStringer with the redacted flow.
func (f DeviceFlow) GoString() string { return "domain." + f.String() }

// Format implements fmt.Formatter: every verb prints the redacted flow.
func (f DeviceFlow) Format(s fmt.State, verb rune) { formatRedacted(s, verb, f.String(), f.GoString()) }

// String describes the response without its device code.
func (d DeviceAuthorization) String() string {
	return "DeviceAuthorization{DeviceCode:" + d.DeviceCode.String() + " UserCode:" + d.UserCode + " VerificationURI:" + d.VerificationURI + "}"
}

// GoString implements fmt.GoStringer with the redacted response.
func (d DeviceAuthorization) GoString() string { return "domain." + d.String() }

// Format implements fmt.Formatter: every verb prints the redacted response.
func (d DeviceAuthorization) Format(s fmt.State, verb rune) {
	formatRedacted(s, verb, d.String(), d.GoString())
}
