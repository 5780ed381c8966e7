package idptest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// ErrorResponse is an OAuth 2.0 error response (RFC 6749 §5.2) with the fields
// Microsoft Entra ID adds. The server fills Timestamp, TraceID and CorrelationID when
// they are empty (CorrelationID from the request's client-request-id header, as Entra
// does).
type ErrorResponse struct {
	Error         string `json:"error"`
	Description   string `json:"error_description,omitempty"`
	ErrorURI      string `json:"error_uri,omitempty"`
	ErrorCodes    []int  `json:"error_codes,omitempty"`
	SubError      string `json:"suberror,omitempty"`
	Claims        string `json:"claims,omitempty"`
	Timestamp     string `json:"timestamp,omitempty"`
	TraceID       string `json:"trace_id,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
}

// entraTimestamp is the layout of Entra's error "timestamp".
const entraTimestamp = "2006-01-02 15:04:05Z"

// errorJSON completes e for request r and encodes it.
func (s *Server) errorJSON(r *http.Request, e ErrorResponse) []byte {
	if e.Timestamp == "" {
		e.Timestamp = s.now().UTC().Format(entraTimestamp)
	}
	if e.TraceID == "" {
		e.TraceID = newUUID()
	}
	if e.CorrelationID == "" {
		e.CorrelationID = r.Header.Get("client-request-id")
	}
	if e.CorrelationID == "" {
		e.CorrelationID = newUUID()
	}
	b, err := json.Marshal(e)
	if err != nil { // unreachable: the struct holds strings and ints only
		return []byte(`{"error":"server_error"}`)
	}
	return b
}

// writeError writes e, completed for r, as a JSON error with status. A 401 carries
// WWW-Authenticate, as RFC 6749 §5.2 requires when the client used HTTP Basic.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, e ErrorResponse) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="idptest"`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(s.errorJSON(r, e))
}

// writeJSON writes v as a JSON document with status 200.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "idptest: encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
