package app_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hexauth/hexauth/app"
)

// tokenRequestRecorder records how each token request authenticated its client.
type tokenRequestRecorder struct {
	mu      sync.Mutex
	methods []string
}

func (r *tokenRequestRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/token") && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		m := "none"
		switch {
		case req.Header.Get("Authorization") != "":
			m = "client_secret_basic"
		case form.Has("client_secret"):
			m = "client_secret_post"
		}
		r.mu.Lock()
		r.methods = append(r.methods, m)
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestClientSecretPost_sendsTheSecretInTheBody is a regression test of the end-to-end
// suite's finding: a client registered for client_secret_post could not say so, and
// hexauth sent client_secret_basic whenever discovery listed it (as nearly every
// provider's does), which a provider holding clients to their registered method refuses.
func TestClientSecretPost_sendsTheSecretInTheBody(t *testing.T) {
	ctx := testContext(t)
	srv := newIdPServer(t) // its discovery lists client_secret_basic and client_secret_post
	for _, tc := range []struct {
		name string
		cred app.Credential
		want string
	}{
		{"ClientSecret", app.ClientSecret("s3cret"), "client_secret_basic"},
		{"ClientSecretPost", app.ClientSecretPost("s3cret"), "client_secret_post"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := &tokenRequestRecorder{}
			cc, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "daemon", Authority: srv.Issuer(), Transport: rt}, tc.cred)
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			if _, err := cc.AcquireTokenForClient(ctx, []string{"api://x/read"}); err != nil {
				t.Fatalf("AcquireTokenForClient() = %v", err)
			}
			if len(rt.methods) != 1 || rt.methods[0] != tc.want {
				t.Errorf("token requests authenticated with %v; want one with %s", rt.methods, tc.want)
			}
		})
	}
}
