package spanjson

import (
	"syscall"
	"unsafe"
)

// hugeWindow is the span of heap adviseHugePages advises: the Go heap's
// arena size on 64-bit Linux, which arenas are aligned to.
const hugeWindow = 64 << 20

// adviseHugePages asks the kernel to back the heap around the n bytes at
// ptr (the hugeWindow-aligned windows holding them) with transparent huge
// pages (madvise MADV_HUGEPAGE). Most systems give them only where asked
// ("madvise": Debian's and Ubuntu's default), and the Go runtime does not
// ask. The whole window, not just the block at ptr: the other large
// allocations of a big trace (its tree, its view) go to the same arenas.
// The window may hold unmapped address space; madvise still advises the
// mappings in it. A failure changes nothing but speed, so it is ignored.
func adviseHugePages(ptr unsafe.Pointer, n int) {
	start := uintptr(ptr) &^ (hugeWindow - 1)
	end := (uintptr(ptr) + uintptr(n) + hugeWindow - 1) &^ (hugeWindow - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_HUGEPAGE)
}
