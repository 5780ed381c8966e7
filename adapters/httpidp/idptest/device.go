package idptest

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/internal/fakeidp"
)

// deviceAuthorizationJSON is a device authorization response (RFC 8628 §3.2, with
// Entra's message).
type deviceAuthorizationJSON struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete,omitempty"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
	Message                 string `json:"message,omitempty"`
}

// serveDeviceAuthorization serves the device authorization endpoint (RFC 8628 §3.1):
// it authenticates the client as the token endpoint does and answers a device code, a
// user code and the server's /device page as the verification URI.
func (s *Server) serveDeviceAuthorization(w http.ResponseWriter, r *http.Request, c call) {
	a, ok := s.authorityOf(w, r)
	if !ok {
		return
	}
	if te := checkTokenRequest(r, c.formErr); te != nil {
		s.writeError(w, r, te.status, te.body)
		return
	}
	clientID, te := s.authenticateRequest(r, s.idp.Metadata(a).TokenEndpoint)
	if te != nil {
		s.writeError(w, r, te.status, te.body)
		return
	}
	d, err := s.idp.DeviceAuthorize(a, domain.DeviceAuthorizationRequest{ClientID: clientID, Scopes: domain.ParseScopes(r.PostForm.Get("scope"))},
		fakeidp.TokenOptions{ClientAuthenticated: true}, s.url+fakeidp.DevicePagePath)
	if err != nil {
		status, body := providerError(err)
		s.writeError(w, r, status, body)
		return
	}
	writeJSON(w, deviceAuthorizationJSON{
		DeviceCode: string(d.DeviceCode), UserCode: d.UserCode, VerificationURI: d.VerificationURI,
		VerificationURIComplete: d.VerificationURIComplete, ExpiresIn: int64(d.ExpiresIn / time.Second),
		Interval: int64(d.Interval / time.Second), Message: d.Message,
	})
}

// devicePage is the verification page (RFC 8628 §3.3): the user enters the user code
// and signs in, then approves or declines.
var devicePage = template.Must(template.New("device").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Device sign-in - hexauth test provider</title></head>
<body>
<h1>Sign in on another device</h1>
{{if .Done}}<p id="done">{{.Done}}</p>
{{else}}{{if .Error}}<p id="error" role="alert">{{.Error}}</p>
{{end}}<form id="device" method="post" action="{{.Action}}">
<label>Code <input type="text" name="user_code" value="{{.UserCode}}" autocomplete="off" required></label>
<label>Username <input type="text" name="username" value="{{.Username}}" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Decline</button>
</form>
{{end}}</body>
</html>
`))

type deviceView struct {
	Action, UserCode, Username, Error, Done string
}

// serveDevicePage shows the verification page (GET, the user code prefilled from
// ?user_code=, the verification_uri_complete form) and takes its POST: the user's
// password must be right, then the decision approves or declines the code.
func (s *Server) serveDevicePage(w http.ResponseWriter, r *http.Request, c call) {
	v := deviceView{Action: s.url + fakeidp.DevicePagePath, UserCode: r.URL.Query().Get("user_code")}
	if r.Method == http.MethodGet {
		renderDevice(w, v, http.StatusOK)
		return
	}
	if c.formErr != nil {
		writeHTMLError(w, http.StatusBadRequest, "the form could not be read")
		return
	}
	f := r.PostForm
	v.UserCode, v.Username = f.Get("user_code"), f.Get("username")
	if !s.idp.CheckPassword(v.Username, f.Get("password")) {
		v.Error = "Wrong username or password."
		renderDevice(w, v, http.StatusUnauthorized)
		return
	}
	var err error
	if f.Get("decision") == "deny" {
		err, v.Done = s.idp.DenyDevice(v.UserCode), "You declined the sign-in. You may close this window."
	} else {
		err, v.Done = s.idp.ApproveDevice(v.UserCode, v.Username), "You are signed in on your device. You may close this window."
	}
	if err != nil {
		v.Done, v.Error = "", "That code is unknown, expired or already used."
		renderDevice(w, v, http.StatusBadRequest)
		return
	}
	renderDevice(w, v, http.StatusOK)
}

func renderDevice(w http.ResponseWriter, v deviceView, status int) {
	var buf bytes.Buffer
	if err := devicePage.Execute(&buf, v); err != nil {
		http.Error(w, "idptest: render device page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// ApproveDevice approves the device flow of userCode as username, as the user would
// on the /device page: the next poll of its device code gets that user's tokens. It
// returns ErrInvalidInput for an unknown, expired or used code or an unknown user.
func (s *Server) ApproveDevice(userCode, username string) error {
	return s.idp.ApproveDevice(userCode, username)
}

// DenyDevice declines the device flow of userCode: its next poll is answered
// access_denied.
func (s *Server) DenyDevice(userCode string) error { return s.idp.DenyDevice(userCode) }

// DevicePolls returns the server-clock times of the device-code token requests it
// received (faulted ones included), oldest first: tests read the polling interval
// from them.
func (s *Server) DevicePolls() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.devicePolls...)
}
