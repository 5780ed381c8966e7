package webapp_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/examples/webapp"
)

// Wire the web app to a provider (here the fake one), and serve it.
func ExampleNew() {
	idp, _ := idptest.NewServer(idptest.Config{Provider: idptest.ProviderConfig{
		Clients: []idptest.Client{{ID: "webapp", Secret: "webapp-secret"}},
	}})
	defer idp.Close()
	ctx := context.Background()
	client, err := app.NewConfidentialClient(ctx, app.Config{ClientID: "webapp", Authority: idp.Issuer()}, app.ClientSecret("webapp-secret"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	key := make([]byte, 32) // in production: the same key on every instance, from a secret store
	_, _ = rand.Read(key)
	var handler http.Handler
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer site.Close()
	srv, err := webapp.New(webapp.Config{
		Client: client, PublicURL: site.URL, Tenants: []string{"acme", "globex"}, CookieKey: key,
		Scopes: []string{"api://orders/read"}, APIURL: "https://orders.example.com/me",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	handler = srv

	resp, err := http.Get(site.URL + "/t/acme/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), "You are signed out."))
	fmt.Println(strings.TrimPrefix(srv.RedirectURI(), site.URL))
	// Output:
	// 200 true
	// /callback
}
