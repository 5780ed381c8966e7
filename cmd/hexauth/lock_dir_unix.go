//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// tempLockDirName is the name of this user's lock directory in the shared temporary
// directory: one per user, so that another user's cannot stand in the way by name.
func tempLockDirName() string { return "hexauth-" + strconv.Itoa(os.Geteuid()) }

// checkPrivateDir returns an error unless path is a directory, not a symbolic link,
// that this user owns and that neither group nor others may write.
func checkPrivateDir(path string) error {
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !info.IsDir():
		return errors.New("not a directory (a symbolic link or a file)")
	case !ok || int(st.Uid) != os.Geteuid():
		return errors.New("owned by another user")
	case info.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("writable by others (mode %04o)", info.Mode().Perm())
	}
	return nil
}
