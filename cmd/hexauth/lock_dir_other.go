//go:build !unix

package main

import (
	"errors"
	"os"
)

// tempLockDirName is the lock directory's name in the temporary directory, which is
// the user's own outside Unix (Windows: %TEMP% in the user's profile).
func tempLockDirName() string { return "hexauth" }

// checkPrivateDir returns an error unless path is a directory, not a symbolic link.
// Mode bits say nothing of who may write outside Unix; the directory is in the user's
// profile.
func checkPrivateDir(path string) error {
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return errors.New("not a directory (a symbolic link or a file)")
	}
	return nil
}
