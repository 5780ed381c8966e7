package useragent

import "testing"

func TestParseForm_hiddenFieldsAnyAttributeOrder(t *testing.T) {
	page := `<p>to <strong>x</strong></p><form id="login" method="post" action="/t/authorize?a=1&amp;b=2">
<input value="a&#43;b" type="hidden" name="state">
<INPUT type="HIDDEN" name="scope" value="openid api://x/read">
<input type="text" name="username" value="prefilled">
<input type="password" name="password">
</form><input type="hidden" name="outside" value="no">`
	action, fields, ok := parseForm(page)
	if !ok || action != "/t/authorize?a=1&b=2" {
		t.Fatalf("got action %q, ok %t; want the unescaped action", action, ok)
	}
	if fields.Get("state") != "a+b" || fields.Get("scope") != "openid api://x/read" || fields.Has("username") || fields.Has("outside") {
		t.Fatalf("got fields %v; want the form's hidden fields only, unescaped", fields)
	}
	if _, _, ok := parseForm("<p>no form here</p>"); ok {
		t.Fatal("parseForm found a form in a page without one")
	}
}

func TestPageMessage_prefersTheErrorParagraph(t *testing.T) {
	for _, tc := range []struct{ page, want string }{
		{`<p>to <strong>cli</strong></p><p id="error" role="alert">Wrong &amp; bad.</p>`, "Wrong & bad."},
		{`<h1>400</h1><p>invalid_request: no redirect</p>`, "invalid_request: no redirect"},
		{`nothing`, "no explanation given"},
	} {
		if got := pageMessage(tc.page); got != tc.want {
			t.Errorf("pageMessage(%q) = %q; want %q", tc.page, got, tc.want)
		}
	}
}
