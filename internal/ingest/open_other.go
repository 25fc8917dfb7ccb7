//go:build !unix

package ingest

import "os"

// openFile is os.Open here (see open_unix.go).
func openFile(path string) (*os.File, error) { return os.Open(path) }
