//go:build unix && !linux

package ingest

import "syscall"

// openQuick, readQuick and closeQuick are the system calls of readWhole
// (see quick_linux.go).
func openQuick(path string) (int, error)      { return openFD(path) }
func readQuick(fd int, b []byte) (int, error) { return syscall.Read(fd, b) }
func closeQuick(fd int)                       { syscall.Close(fd) }
