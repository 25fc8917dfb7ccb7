//go:build !linux

package spanjson

import "unsafe"

// adviseHugePages does nothing here (see hugepages_linux.go).
func adviseHugePages(unsafe.Pointer, int) {}

// HeapOnHugePages does nothing here (see hugepages_linux.go).
func HeapOnHugePages(int) (undo func()) { return func() {} }
