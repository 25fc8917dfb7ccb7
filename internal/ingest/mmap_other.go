//go:build !linux

package ingest

// mapFile maps nothing here: files are read (see mmap_linux.go).
func mapFile(string) ([]byte, bool) { return nil, false }

func releaseMapped([]byte) {}

func unmapFile([]byte) {}
