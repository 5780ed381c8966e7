package idptest_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/hexauth/hexauth/domain"
)

func TestNewServer_invalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  idptest.Config
		want string
	}{
		{"non-loopback address", idptest.Config{Addr: "0.0.0.0:0"}, "loopback"},
		{"address without port", idptest.Config{Addr: "127.0.0.1"}, "host:port"},
		{"unknown auto-approve user", idptest.Config{AutoApproveUser: "nobody"}, "AutoApproveUser"},
		{"duplicate client", idptest.Config{Provider: idptest.ProviderConfig{Clients: []idptest.Client{{ID: "a"}, {ID: "a"}}}}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := idptest.NewServer(tt.cfg)
			if err == nil {
				srv.Close()
				t.Fatalf("NewServer succeeded; want an error mentioning %q", tt.want)
			}
			if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want ErrInvalidInput mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNewServer_zeroConfig(t *testing.T) {
	srv, err := idptest.NewServer(idptest.Config{})
	if err != nil {
		t.Fatalf("NewServer(zero Config) = %v; want a server", err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q; want http://127.0.0.1:port", srv.URL())
	}
	if r := get(t, srv.URL()+"/.well-known/openid-configuration"); r.status != http.StatusOK {
		t.Errorf("discovery: status %d; want 200", r.status)
	}
}

func TestNewServer_addr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := idptest.NewServer(idptest.Config{Addr: addr})
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	defer srv.Close()
	if srv.URL() != "http://"+addr {
		t.Errorf("URL() = %q; want http://%s", srv.URL(), addr)
	}
	if _, err := idptest.NewServer(idptest.Config{Addr: addr}); err == nil {
		t.Errorf("a second server on %s started; want the listen error", addr)
	}
}

func TestServer_Close(t *testing.T) {
	srv, err := idptest.NewServer(idptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	u := srv.URL() + "/.well-known/openid-configuration"
	if r := get(t, u); r.status != http.StatusOK {
		t.Fatalf("before Close: status %d", r.status)
	}
	srv.Close()
	srv.Close() // idempotent
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get(u); err == nil {
		resp.Body.Close()
		t.Errorf("GET after Close succeeded (status %d); want a connection error", resp.StatusCode)
	}
}

func TestNewTestServer_closesOnCleanup(t *testing.T) {
	var u string
	t.Run("inner", func(t *testing.T) {
		u = idptest.NewTestServer(t, idptest.Config{}).URL()
	})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get(u + "/keys"); err == nil {
		resp.Body.Close()
		t.Errorf("the server outlived its test")
	}
}
