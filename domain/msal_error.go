package domain

import (
	"encoding/json"
	"errors"
	"strings"
)

// MSALError is a failed acquisition shaped like MSAL Python's error result dictionary
// (error, error_description, error_codes, suberror, correlation_id, claims, and Entra's
// trace_id and timestamp), for callers that hand results to code written for MSAL; the
// hexauth CLI prints it for --output json. ErrorClass is hexauth's addition: the
// errors.Is class (interaction_required, no_tokens, ...), what code branches on. It
// holds no secret: a *Error never carries one (DESIGN §3).
type MSALError struct {
	// Error is the provider's own error code when it sent one (invalid_grant for an
	// MFA-required ROPC, as MSAL Python reports it), else ErrorClass.
	Error            string `json:"error"`
	ErrorClass       string `json:"error_class"`
	ErrorDescription string `json:"error_description"`
	SubError         string `json:"suberror,omitempty"`
	CorrelationID    string `json:"correlation_id,omitempty"`
	ErrorCodes       []int  `json:"error_codes,omitempty"`
	Claims           string `json:"claims,omitempty"`
	TraceID          string `json:"trace_id,omitempty"`
	Timestamp        string `json:"timestamp,omitempty"`
}

// MSALErrorOf returns err as MSAL Python's error dictionary: the fields of the
// *Error it wraps, or, for an error without one, its class (an ErrorCode it wraps, else
// "failed") and its text as the description.
func MSALErrorOf(err error) MSALError {
	text := strings.TrimPrefix(err.Error(), "hexauth: ")
	var de *Error
	if errors.As(err, &de) {
		out := MSALError{Error: de.Code, ErrorClass: string(de.Class), ErrorDescription: de.Description,
			SubError: de.SubError, CorrelationID: de.CorrelationID, ErrorCodes: de.ErrorCodes, Claims: de.Claims,
			TraceID: de.TraceID, Timestamp: de.Timestamp}
		if out.Error == "" {
			out.Error = out.ErrorClass
		}
		if out.ErrorDescription == "" {
			out.ErrorDescription = text
		}
		return out
	}
	var class ErrorCode
	if errors.As(err, &class) {
		return MSALError{Error: string(class), ErrorClass: string(class), ErrorDescription: text}
	}
	return MSALError{Error: "failed", ErrorClass: "failed", ErrorDescription: text}
}

// MSALErrorJSON returns MSALErrorOf(err) as JSON.
func MSALErrorJSON(err error) ([]byte, error) { return json.Marshal(MSALErrorOf(err)) }
