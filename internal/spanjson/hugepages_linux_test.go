package spanjson

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// The kernel marks the advised range (VmFlags "hg" in /proc/self/smaps).
func TestAdviseHugePagesMarksTheMapping(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skip("no transparent huge pages here")
	}
	b := make([]byte, 8<<20)
	adviseHugePages(unsafe.Pointer(&b[0]), len(b))
	for _, at := range []int{0, len(b) / 2, len(b) - 1} {
		flags, err := vmFlagsAt(uintptr(unsafe.Pointer(&b[at])))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(" "+flags+" ", " hg ") {
			t.Errorf("the mapping of byte %d of an advised block has VmFlags %q, no hg", at, flags)
		}
	}
	_ = b[0]
}

// HeapOnHugePages advises the whole huge pages of the block it takes, and
// none of the heap around it.
func TestHeapOnHugePagesAdvisesItsBlock(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skip("no transparent huge pages here")
	}
	block, start, end := heapOnHugePages(40 << 20)
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(block)))
	if start%(2<<20) != 0 || end%(2<<20) != 0 || start < lo || end > lo+uintptr(len(block)) || end-start < 36<<20 {
		t.Fatalf("advised %#x-%#x of the block %#x-%#x: not its whole huge pages", start, end, lo, lo+uintptr(len(block)))
	}
	for _, at := range []uintptr{start, (start + end) / 2, end - 1} {
		flags, err := vmFlagsAt(at)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(" "+flags+" ", " hg ") {
			t.Errorf("the mapping at %#x of the advised range has VmFlags %q, no hg", at, flags)
		}
	}
	if s, e := adviseRange(unsafe.Pointer(unsafe.SliceData(block)), 1<<20); s != 0 || e != 0 {
		t.Errorf("1 MiB holds no whole huge page, yet %#x-%#x was advised", s, e)
	}
	unadvise(start, end)
	for _, at := range []uintptr{start, end - 1} {
		flags, err := vmFlagsAt(at)
		if err != nil {
			t.Fatal(err)
		}
		if f := " " + flags + " "; strings.Contains(f, " hg ") || !strings.Contains(f, " nh ") {
			t.Errorf("after unadvise, the mapping at %#x has VmFlags %q: want nh, no hg", at, flags)
		}
	}
}

// vmFlagsAt returns the VmFlags of the mapping holding addr.
func vmFlagsAt(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	return "", fmt.Errorf("no mapping holds %#x", addr)
}
