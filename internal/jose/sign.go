package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"

	gojose "github.com/go-jose/go-jose/v4"
)

// SignOptions are the header parameters of a JWS besides alg.
type SignOptions struct {
	KeyID string
	Type  string // "typ"; empty omits it
	// Extra holds other protected header parameters, such as "x5t#S256".
	Extra map[string]any
	// Rand is the randomness of ECDSA and RSA-PSS signatures; nil means crypto/rand.
	Rand io.Reader
}

// ErrBadSigner is a crypto.Signer that returned a malformed ECDSA signature.
var ErrBadSigner = errors.New("jose: the signer returned a malformed ECDSA signature")

// Sign returns the compact JWS of payload signed by key with alg, one of Algorithms
// fitting the key. key is any crypto.Signer (an HSM or KMS key included): signing goes
// through go-jose's opaque-signer interface, with RSA-PSS salts of the hash's size
// (RFC 7518 §3.5) and ECDSA signatures in the R || S form of RFC 7518 §3.4.
func Sign(key crypto.Signer, alg string, payload []byte, opt SignOptions) (string, error) {
	if !FitsAlg(key.Public(), alg) {
		return "", ErrAlgorithm
	}
	so := &gojose.SignerOptions{}
	if opt.KeyID != "" {
		so.WithHeader(gojose.HeaderKey("kid"), opt.KeyID)
	}
	if opt.Type != "" {
		so.WithType(gojose.ContentType(opt.Type))
	}
	for k, v := range opt.Extra {
		so.WithHeader(gojose.HeaderKey(k), v)
	}
	r := opt.Rand
	if r == nil {
		r = rand.Reader
	}
	s, err := gojose.NewSigner(gojose.SigningKey{Algorithm: gojose.SignatureAlgorithm(alg),
		Key: opaqueSigner{signer: key, rand: r}}, so)
	if err != nil {
		return "", err
	}
	obj, err := s.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// opaqueSigner adapts a crypto.Signer to go-jose's OpaqueSigner.
type opaqueSigner struct {
	signer crypto.Signer
	rand   io.Reader
}

func (o opaqueSigner) Public() *gojose.JSONWebKey { return &gojose.JSONWebKey{Key: o.signer.Public()} }

func (o opaqueSigner) Algs() []gojose.SignatureAlgorithm {
	var out []gojose.SignatureAlgorithm
	for _, a := range Algorithms {
		if FitsAlg(o.signer.Public(), a) {
			out = append(out, gojose.SignatureAlgorithm(a))
		}
	}
	return out
}

func (o opaqueSigner) SignPayload(payload []byte, alg gojose.SignatureAlgorithm) ([]byte, error) {
	if alg == gojose.EdDSA {
		return o.signer.Sign(o.rand, payload, crypto.Hash(0))
	}
	var h crypto.Hash
	switch alg[2:] {
	case "256":
		h = crypto.SHA256
	case "384":
		h = crypto.SHA384
	case "512":
		h = crypto.SHA512
	}
	if h == 0 || !h.Available() {
		return nil, gojose.ErrUnsupportedAlgorithm
	}
	d := h.New()
	d.Write(payload)
	digest := d.Sum(nil)
	switch alg[:2] {
	case "RS":
		return o.signer.Sign(o.rand, digest, h)
	case "PS":
		return o.signer.Sign(o.rand, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
	}
	der, err := o.signer.Sign(o.rand, digest, h)
	if err != nil {
		return nil, err
	}
	pub, ok := o.signer.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, gojose.ErrUnsupportedAlgorithm
	}
	size := (pub.Curve.Params().BitSize + 7) / 8
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 || rs.R == nil || rs.S == nil ||
		rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 8*size || rs.S.BitLen() > 8*size {
		return nil, ErrBadSigner
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}
