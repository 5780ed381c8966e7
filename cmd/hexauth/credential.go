package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// maxPEMBytes bounds a certificate or key file: a chain of a few certificates and a
// key fit in far less.
const maxPEMBytes = 1 << 20

// Client authentication methods --client-auth names (RFC 7591 token_endpoint_auth_method).
const (
	authAuto       = ""
	authBasic      = "client_secret_basic"
	authPost       = "client_secret_post"
	authPrivateKey = "private_key_jwt"
)

// clientCredential returns the credential s and the client secret name: a certificate
// and key (private_key_jwt) when --client-certificate is given, else the secret, sent
// as --client-auth says. ok is false for a public client (neither is given).
func clientCredential(s settings, secret string) (cred app.Credential, ok bool, err error) {
	switch {
	case s.clientCertificate != "" && secret != "":
		return app.Credential{}, false, usageErrorf("give a client secret or --client-certificate, not both")
	case s.clientCertificate != "":
		if s.clientAuth != authAuto && s.clientAuth != authPrivateKey {
			return app.Credential{}, false, usageErrorf("--client-auth %s needs a client secret; a certificate authenticates with private_key_jwt", s.clientAuth)
		}
		certs, key, err := loadCertificate(s.clientCertificate, s.clientKey)
		if err != nil {
			return app.Credential{}, false, err
		}
		return app.ClientCertificate(certs, key), true, nil
	case secret != "":
		switch s.clientAuth {
		case authPost:
			return app.ClientSecretPost(secret), true, nil
		case authPrivateKey:
			return app.Credential{}, false, usageErrorf("--client-auth private_key_jwt needs --client-certificate (and --client-key)")
		}
		// basic, or auto: ClientSecret sends basic where the provider lists it.
		return app.ClientSecret(secret), true, nil
	case s.clientKey != "":
		return app.Credential{}, false, usageErrorf("--client-key needs --client-certificate")
	case s.clientAuth != authAuto:
		return app.Credential{}, false, usageErrorf("--client-auth %s needs a confidential client: set HEXAUTH_CLIENT_SECRET, or use --client-secret-file or --client-certificate", s.clientAuth)
	}
	return app.Credential{}, false, nil
}

// loadCertificate reads the PEM certificate chain of certPath (the client's own
// certificate first) and the PEM private key of keyPath, or of certPath when keyPath is
// empty (one file holding both, as openssl and Azure's portal write them). The key
// must be the certificate's: a mismatch would only be refused by the provider, as an
// opaque invalid_client.
func loadCertificate(certPath, keyPath string) ([]*x509.Certificate, crypto.Signer, error) {
	certPEM, err := readPEMFile(certPath)
	if err != nil {
		return nil, nil, usageErrorf("--client-certificate: %v", err)
	}
	keyPEM, keyFlag := certPEM, "--client-certificate"
	if keyPath != "" {
		if keyPEM, err = readPEMFile(keyPath); err != nil {
			return nil, nil, usageErrorf("--client-key: %v", err)
		}
		keyFlag = "--client-key"
	}
	var certs []*x509.Certificate
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, usageErrorf("--client-certificate %s: a CERTIFICATE block is not a valid certificate: %v", certPath, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, nil, usageErrorf("--client-certificate %s: no PEM CERTIFICATE block", certPath)
	}
	key, err := parsePEMKey(keyPEM)
	if err != nil {
		return nil, nil, usageErrorf("%s: %v", keyFlag, err) // never the key's bytes
	}
	if !publicKeysEqual(certs[0].PublicKey, key.Public()) {
		return nil, nil, usageErrorf("the private key is not the key of the certificate's public key: give the key of %s", certPath)
	}
	return certs, key, nil
}

// readPEMFile reads a PEM file, refusing one over maxPEMBytes.
func readPEMFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPEMBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPEMBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxPEMBytes)
	}
	return data, nil
}

// parsePEMKey returns the first private key of data: PKCS #8, PKCS #1 (RSA) or SEC 1
// (EC). An encrypted key is refused: hexauth has no passphrase source, and a prompt
// would stall kubectl and scripts.
func parsePEMKey(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil, fmt.Errorf("no PEM private key block (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)")
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			if strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
				return nil, fmt.Errorf("the private key is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem) and keep the file private")
			}
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			if strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
				return nil, fmt.Errorf("the private key is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem) and keep the file private")
			}
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("the private key is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem) and keep the file private")
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("a %s block is not a valid key", b.Type)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("a %s block holds a key that cannot sign", b.Type)
		}
		return signer, nil
	}
}

// publicKeysEqual reports whether a and b are the same public key.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// appAcquired prints the outcome of token --app: an app token has no account and no
// refresh token, and the library caches it per client and tenant. A store failure
// still prints the token (it is valid) and exits 1.
func (p printer) appAcquired(res app.AuthResult, err error) error {
	if err != nil && !(errors.Is(err, domain.ErrCacheStore) && res.AccessToken != "") {
		return err
	}
	p.app = true
	p.token(res)
	if err != nil {
		fmt.Fprintln(p.e.stderr, "hexauth: warning: the token was not cached (the cache store failed)")
		return &reportedError{err: err}
	}
	return nil
}

// acquireForClient runs the client credentials grant for token --app.
func acquireForClient(ctx context.Context, sess *session, s settings, opts []app.ClientOption) (app.AuthResult, error) {
	if sess.confidential == nil {
		return app.AuthResult{}, usageErrorf("token --app needs a confidential client: set HEXAUTH_CLIENT_SECRET, or use --client-secret-file or --client-certificate")
	}
	return sess.confidential.AcquireTokenForClient(ctx, s.scopes, opts...)
}
