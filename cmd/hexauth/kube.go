package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
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

// tokenOutput is token's --id-token (a sign-in: the ID token) and --exec-credential
// (the token in a Kubernetes ExecCredential).
type tokenOutput struct {
	idToken, execCredential bool
}

// print prints res as an ExecCredential when o asks for one and returns true; false
// leaves the printing to the printer. The credential's token is the one the call was
// for: the ID token of a sign-in without scopes (or --id-token), else the access
// token; ExpiresOn is that token's expiry either way.
func (o tokenOutput) print(p printer, res app.AuthResult) bool {
	if !o.execCredential {
		return false
	}
	token := string(res.AccessToken)
	if res.IDTokenOnly() {
		token = string(res.IDToken)
	}
	p.value(execCredential{Kind: "ExecCredential", APIVersion: "client.authentication.k8s.io/v1",
		Status: execCredentialStatus{Token: token, ExpirationTimestamp: res.ExpiresOn.UTC().Format(time.RFC3339)}})
	return true
}

// loginLock is held by token --interactive while it signs in, so that parallel
// kubectl calls open one browser: the others wait, then find the new tokens in the
// cache. It is a file lock (flock, LockFileEx), released when the process ends
// however it ends.
type loginLock struct{ f *flock.Flock }

// lockLogin takes the sign-in lock of the client s names, waiting until ctx ends.
func lockLogin(ctx context.Context, s settings) (*loginLock, error) {
	dir, err := lockDir()
	if err != nil {
		return nil, err
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

// lockDir returns the directory of the sign-in locks, created 0700: the user's cache
// directory's hexauth directory, or without one (no HOME, as for some services) a
// directory of this user's own in the temporary directory. The temporary directory is
// shared: another local user could create the directory first, or a symbolic link
// there, and own the lock files (holding them keeps every sign-in waiting; a link makes
// the lock create or truncate where its owner chose). So the directory is used only if
// it is a directory, not a link, this user owns and no one else may write
// (checkPrivateDir); anything else is refused, not repaired.
func lockDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err == nil {
		// The token cache's directory, narrowed as resolveCache narrows it.
		dir = filepath.Join(dir, "hexauth")
		if err = os.MkdirAll(dir, 0o700); err == nil {
			err = tighten(dir, 0o700, true)
		}
	} else {
		dir = filepath.Join(os.TempDir(), tempLockDirName())
		// Not MkdirAll: the temporary directory exists, and a missing one is no place
		// to create.
		if err = os.Mkdir(dir, 0o700); errors.Is(err, fs.ErrExist) {
			err = nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("hexauth: create the lock directory: %w", err)
	}
	if err := checkPrivateDir(dir); err != nil {
		return "", &hintedError{err: fmt.Errorf("hexauth: the lock directory %s: %w", dir, err),
			hint: "remove it, or set HOME (or XDG_CACHE_HOME) so that hexauth keeps its locks in your own cache directory"}
	}
	return dir, nil
}
