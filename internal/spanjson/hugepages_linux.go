package spanjson

import (
	"runtime"
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
// mappings in it.
func adviseHugePages(ptr unsafe.Pointer, n int) {
	start := uintptr(ptr) &^ (hugeWindow - 1)
	end := (uintptr(ptr) + uintptr(n) + hugeWindow - 1) &^ (hugeWindow - 1)
	madvise(start, end, syscall.MADV_HUGEPAGE)
}

// HeapOnHugePages asks for the n bytes of heap the runtime would hand out
// next to be backed by huge pages when first touched: it allocates them
// (fresh address space, which the runtime does not write to), advises
// them, and drops them; the caller then collects, and the heap reuses
// those addresses, the lowest free ones, first. The advice stays with the
// addresses when the runtime returns pages to the kernel and takes them
// back. A streaming command touches its heap of about 100 MB once, page by
// page: 26,000 page faults, a fifth of the CPU time of `tracectl status`
// over 20,000 traces in the kernel; with this about 5,500, and the
// command 12% faster (Linux; elsewhere it does nothing).
//
// n is capped at a quarter of the machine's memory: the block is address
// space the kernel must agree to map, and a refusal would end the process.
//
// It returns what undoes the advice for the pages not touched yet.
func HeapOnHugePages(n int) (undo func()) {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return func() {}
	}
	if total := uint64(si.Totalram) * uint64(si.Unit); uint64(n) > total/4 {
		n = int(total / 4)
	}
	_, start, end := heapOnHugePages(n)
	return func() { unadvise(start, end) }
}

// unadvise takes the huge-page advice back from [start, end): pages
// faulted in from then on are small ones.
func unadvise(start, end uintptr) {
	if end > start {
		madvise(start, end, syscall.MADV_NOHUGEPAGE)
	}
}

// heapOnHugePages returns the block it advised and the advised range.
func heapOnHugePages(n int) (block []byte, start, end uintptr) {
	block = make([]byte, n)
	start, end = adviseRange(unsafe.Pointer(unsafe.SliceData(block)), n)
	runtime.KeepAlive(block)
	return block, start, end
}

// adviseRange advises the whole huge pages inside [ptr, ptr+n), and
// returns them.
func adviseRange(ptr unsafe.Pointer, n int) (start, end uintptr) {
	const huge = 2 << 20
	start = (uintptr(ptr) + huge - 1) &^ (huge - 1)
	end = (uintptr(ptr) + uintptr(n)) &^ (huge - 1)
	if end <= start {
		return 0, 0
	}
	madvise(start, end, syscall.MADV_HUGEPAGE)
	return start, end
}

// madvise gives the kernel advice on [start, end). A failure changes
// nothing but speed, so it is ignored.
func madvise(start, end uintptr, advice int) {
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, uintptr(advice))
}
