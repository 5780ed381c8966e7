package webapp_test

import "github.com/hexauth/hexauth/examples/webapp"

// webappConfig is a Config under test, with the harness supplying the client.
type webappConfig struct {
	client            *harness
	publicURL, apiURL string
	tenants           []string
	key               []byte
}

func (c webappConfig) build() (*webapp.Server, error) {
	cfg := webapp.Config{PublicURL: c.publicURL, Tenants: c.tenants, CookieKey: c.key, APIURL: c.apiURL}
	if c.client != nil {
		cfg.Client = c.client.client
	}
	return webapp.New(cfg)
}
