package idptest

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"slices"
)

// loginPage is the sign-in form. Its hidden fields repeat the authorization request, so
// a POST of the form (username, password and those fields) to the same URL completes it.
var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - hexauth test provider</title></head>
<body>
<h1>Sign in</h1>
<p>to <strong>{{.ClientID}}</strong></p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>
{{end}}<form id="login" method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label>Username <input type="text" name="username" value="{{.Username}}" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`))

// hiddenField is one hidden input of the login form.
type hiddenField struct{ Name, Value string }

// loginView is what the login page shows.
type loginView struct {
	ClientID string
	Action   string
	Username string
	Error    string
	Hidden   []hiddenField
}

// formFields are the request parameters the login form itself supplies; they are never
// repeated as hidden fields.
var formFields = []string{"username", "password"}

// renderLogin writes the login form for the authorization request params with status
// (200, or 401 after a failed sign-in with errMsg shown).
func renderLogin(w http.ResponseWriter, action string, params url.Values, status int, errMsg string) {
	v := loginView{ClientID: params.Get("client_id"), Action: action, Error: errMsg}
	v.Username = params.Get("username")
	if v.Username == "" {
		v.Username = params.Get("login_hint")
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		if !slices.Contains(formFields, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.Hidden = append(v.Hidden, hiddenField{Name: k, Value: params.Get(k)})
	}
	var buf bytes.Buffer
	if err := loginPage.Execute(&buf, v); err != nil {
		http.Error(w, "idptest: render login page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
