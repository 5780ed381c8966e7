package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writePrivateFile writes data to path, readable by its owner only, for documents
// that hold tokens. It writes a temporary file in the same directory and renames it
// into place, so a failed write never leaves a partial file at path. When path
// exists, replace must be set (else a usage error, and path is left as it was), and
// the new file keeps the old one's mode when that is stricter than 0600.
func writePrivateFile(path string, data []byte, replace bool) error {
	mode := os.FileMode(0o600)
	if info, err := os.Lstat(path); err == nil {
		if !replace {
			return existsError(path)
		}
		if info.Mode().IsRegular() {
			mode &= info.Mode().Perm()
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fileError(path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*") // created 0600
	if err != nil {
		return fileError(path, err)
	}
	defer os.Remove(tmp.Name()) // after a rename or a link, a no-op or the spare name
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fileError(path, err)
	}
	if replace {
		return fileError(path, os.Rename(tmp.Name(), path))
	}
	return createFrom(tmp.Name(), path)
}

// createFrom gives the file tmp the new name path, unless path exists: a hard link
// fails on an existing name atomically, where a check then a rename could replace a
// file created in between. File systems without hard links get the check and rename.
func createFrom(tmp, path string) error {
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return existsError(path)
	}
	if _, err := os.Lstat(path); err == nil {
		return existsError(path)
	}
	return fileError(path, os.Rename(tmp, path))
}

func existsError(path string) error {
	return usageErrorf("cache export: %s exists: give --force to replace it", path)
}

// fileError wraps a failure to write path (nil stays nil).
func fileError(path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	var le *os.LinkError
	if errors.As(err, &pe) || errors.As(err, &le) { // their message names the file already
		return fmt.Errorf("hexauth: cache export: %w", err)
	}
	return fmt.Errorf("hexauth: cache export: %s: %w", path, err)
}
