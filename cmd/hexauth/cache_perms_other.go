//go:build !unix

package main

import "io/fs"

// ownedByUser reports false: outside Unix, mode bits do not say who may read a file,
// so tightenDefaultCache changes nothing.
func ownedByUser(fs.FileInfo) bool { return false }
