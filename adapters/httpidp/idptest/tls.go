package idptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// serverTLS is the certificate of a server started with Config.TLS: a self-signed P-256
// certificate for 127.0.0.1, ::1, localhost and the address it listens on, made when the server starts, so that
// clients which insist on https (MSAL Go, MSAL Python) can be pointed at the fake.
type serverTLS struct {
	cert   *x509.Certificate
	config *tls.Config
}

// newServerTLS makes the certificate for a server started at now listening on addr
// (whose IP it names too: any 127.x.y.z).
func newServerTLS(now time.Time, addr net.Addr) (*serverTLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "hexauth idptest"},
		// Wall-clock validity with room either side: TLS clients check it against their
		// own clock, whatever clock the provider's tokens follow.
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // its own trust anchor: a CA bundle of this one certificate
		IPAddresses:           ips(addr),
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &serverTLS{cert: cert, config: &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
	}}, nil
}

// ips lists the loopback addresses the certificate names: 127.0.0.1, ::1 and addr's.
func ips(addr net.Addr) []net.IP {
	out := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if a, ok := addr.(*net.TCPAddr); ok && !a.IP.Equal(out[0]) && !a.IP.Equal(out[1]) {
		out = append(out, a.IP)
	}
	return out
}

// pool is a certificate pool that trusts the server's certificate only.
func (t *serverTLS) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(t.cert)
	return p
}

// Certificate returns the server's TLS certificate (self-signed, for 127.0.0.1, ::1, its own address and
// localhost), or nil when the server was not started with Config.TLS.
func (s *Server) Certificate() *x509.Certificate {
	if s.tls == nil {
		return nil
	}
	return s.tls.cert
}

// CertificatePEM returns the server's TLS certificate in PEM, the CA bundle that clients
// configured with a file (MSAL Python's verify=, curl's --cacert) need to trust the
// server; nil when the server was not started with Config.TLS.
func (s *Server) CertificatePEM() []byte {
	if s.tls == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.tls.cert.Raw})
}

// Client returns a new HTTP client for the server: one that trusts the server's
// certificate (and no other) when it serves TLS, a plain client otherwise. It uses no
// proxy and follows redirects as net/http does.
func (s *Server) Client() *http.Client {
	t := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	if s.tls != nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.tls.pool()}
	}
	return &http.Client{Transport: t}
}

// tlsError is the error of a server whose certificate could not be made.
func tlsError(err error) error {
	return &domain.Error{Class: domain.ErrInvalidInput, Description: "idptest: make the TLS certificate", Err: err}
}
