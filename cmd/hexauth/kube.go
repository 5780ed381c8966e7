package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/hexauth/hexauth/app"
	"github.com/hexauth/hexauth/domain"
)

// execCredential is a Kubernetes client.authentication.k8s.io/v1 ExecCredential, what
// a kubeconfig exec plugin prints (kubelogin's get-token): kubectl sends status.token as
// the bearer token and asks again after expirationTimestamp.
type execCredential struct {
	Kind       string               `json:"kind"`
	APIVersion string               `json:"apiVersion"`
	Spec       execCredentialSpec   `json:"spec"`
	Status     execCredentialStatus `json:"status"`
}

type execCredentialSpec struct {
	Interactive bool `json:"interactive"`
}

type execCredentialStatus struct {
	Token               string `json:"token"`
	ExpirationTimestamp string `json:"expirationTimestamp"` // RFC 3339
}

// tokenOutput says what token prints: the access token (default), the raw ID token
// (--id-token, for OIDC-to-Kubernetes), in an ExecCredential (--exec-credential).
type tokenOutput struct {
	idToken, execCredential bool
}

// print prints res as o says (the access token, or the ID token idTokenUsable
// checked) and returns true, or returns false for the default output, which the
// printer handles.
func (o tokenOutput) print(p printer, res app.AuthResult) bool {
	if !o.idToken && !o.execCredential {
		return false
	}
	token, expires := string(res.AccessToken), res.ExpiresOn
	if o.idToken {
		token, expires = string(res.IDToken), res.IDTokenClaims.Expiry
	}
	if !o.execCredential {
		fmt.Fprintln(p.e.stdout, token)
		return true
	}
	p.value(execCredential{Kind: "ExecCredential", APIVersion: "client.authentication.k8s.io/v1",
		Status: execCredentialStatus{Token: token, ExpirationTimestamp: expires.UTC().Format(time.RFC3339)}})
	return true
}

// idTokenUsable checks that res carries an unexpired ID token, for --id-token.
func idTokenUsable(res app.AuthResult, now time.Time) error {
	if res.IDToken == "" || res.IDTokenClaims == nil {
		return &domain.Error{Class: domain.ErrInteractionRequired, Op: "token",
			Description: "the provider sent no ID token for this account: sign in again with hexauth login"}
	}
	if !res.IDTokenClaims.Expiry.After(now) {
		return &domain.Error{Class: domain.ErrInteractionRequired, Op: "token",
			Description: "the cached ID token has expired and the provider sent no new one: sign in again with hexauth login"}
	}
	return nil
}

// loginLock is held by token --interactive while it signs in, so that parallel
// kubectl calls open one browser: the others wait, then find the new tokens in the
// cache. It is a file lock (flock, LockFileEx), released when the process ends
// however it ends.
type loginLock struct{ f *flock.Flock }

// lockLogin takes the sign-in lock of the client s names, waiting until ctx ends.
func lockLogin(ctx context.Context, s settings) (*loginLock, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "hexauth")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("hexauth: create the lock directory: %w", err)
	}
	// One lock per client, authority, cache and partition: other clients sign in freely.
	sum := sha256.Sum256([]byte(s.clientID + "\x00" + s.authority + "\x00" + s.cache + "\x00" + s.partition))
	l := flock.New(filepath.Join(dir, "login-"+hex.EncodeToString(sum[:8])+".lock"), flock.SetPermissions(0o600))
	ok, err := l.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil || !ok {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("hexauth: waiting for another hexauth's sign-in: %w", errors.Join(domain.ErrUnavailable, ctxErr))
		}
		return nil, fmt.Errorf("hexauth: take the sign-in lock: %w", err)
	}
	return &loginLock{f: l}, nil
}

func (l *loginLock) unlock() { _ = l.f.Unlock() }
