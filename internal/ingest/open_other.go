//go:build !unix

package ingest

import "os"

// openFile is os.Open here (see open_unix.go).
func openFile(path string) (*os.File, error) { return os.Open(path) }

// readWhole reads all of a regular file (see open_unix.go).
func readWhole(path string, _ int64) ([]byte, bool) {
	data, err := os.ReadFile(path)
	return data, err == nil
}
