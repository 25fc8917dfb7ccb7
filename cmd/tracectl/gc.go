package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	"tracectl/internal/ingest"
	"tracectl/internal/spanjson"
)

// batchGC is set by main: the process runs one command and exits, so a
// read command may trade the collector's work for memory it would free
// anyway at exit. Tests that call Main in-process leave it off.
var batchGC bool

// gcLimitFloor is the least room the memory limit leaves above the input
// size, so that small inputs never make the collector run often.
const gcLimitFloor = 64 << 20

// tuneGCForLoad sets the collector up for loading inputs of known size
// whole: loading keeps most of what it allocates (the decoded model of an
// MLflow file is about 1.2x its size and is alive until the output is
// written), so a collection in the middle of it finds little to free but
// marks a heap that keeps growing: with the default GOGC the collector
// alone was about 20% of `tracectl show` CPU time on the 200k-span
// generated file (0.60 s -> 0.48 s user+sys without it).
//
// So, until restoreGC, the percentage trigger is turned off and a memory
// limit of 1.45 times the input size (at least the size plus gcLimitFloor)
// bounds the heap: `tracectl show` of the generated 1M-span MLflow v3 file
// (600 MB) allocates about 840 MiB, of which about 730 MiB is alive at the
// end; with the limit, two collections near its end keep the peak RSS at
// 1.45x the file (830 MiB) for about 0.25 s of wall time (2.1 -> 2.35 s,
// user 1.8 -> 2.3 s on two cores); without a limit it was 1.57x, and with
// the earlier limit of 3x the input the heap simply grew to what had been
// allocated. An input whose model outgrows the limit (a Jaeger trace's is
// about 2.9x its file) would make the collector run back to back, so after
// each collection that leaves the heap within a tenth of the limit, the
// limit is raised to one and a half times the live heap (loadLimit). (It
// was raised once, to three times the input, after four collections:
// `tracectl roots` of a 693 MB Jaeger file then collected without pause at
// 2 GB, 30 s in all.) Standard input
// of unknown size (a pipe), compressed input (its text is larger than the
// file), or a process that is not tracectl itself, keeps the defaults.
func tuneGCForLoad(ins []ingest.Input) {
	if !gcTunable() {
		return
	}
	total, ok := textBytes(ins)
	if !ok {
		return
	}
	limit, ok := loadGCLimit(total)
	if !ok {
		return
	}
	if loadOnHugePages(ins) {
		loadHuge = hugeHeap(limit)
	}
	gcRegime(limit, func() {
		debug.SetMemoryLimit(loadLimit(debug.SetMemoryLimit(-1), liveHeap()))
	})
}

// loadLimit is the memory limit of a load after a collection left live
// bytes alive under the limit current: current while live is less than
// nine tenths of it (the next collection is some way off), else one and a
// half times live.
func loadLimit(current int64, live uint64) int64 {
	l := int64(min(live, math.MaxInt64/4))
	if l < current/10*9 {
		return current
	}
	return max(current, l+l/2)
}

// hugeHeap advises the next n bytes of heap onto huge pages
// (spanjson.HeapOnHugePages) when a command is about to fill at least
// hugeHeapMin of it, and returns what takes the advice back where the heap
// has not been touched yet. Touched 4 KiB at a time, a heap's first use is
// one page fault per page, and on a virtual machine faults are dear:
// `tracectl show` of a 1,000,000-span trace (600 MB) made 60,000 of them,
// up to 2.2 s of kernel time. Alternated runs, before -> after: deep
// 4.0-4.5 s -> 2.3-2.6 s, wide 3.6-4.1 s -> 3.3-3.7 s, nested 3.6 s ->
// 3.1-3.4 s, random parents 4.7-5.3 s -> 4.0-4.2 s; peak RSS the same
// (1.41 to 1.44 times the file). The cost: the runtime zeroes what it
// hands out there later, no longer knowing it is zero. The block is given
// back to the kernel at once (FreeOSMemory): kept as free heap it counted
// against the regime's memory limit, and the collector ran back to back
// until the scavenger had returned it (status 2.2 to 2.6 s at 236 MB,
// instead of 1.2 s at 113 MB).
func hugeHeap(n int64) (undo func()) {
	if n < hugeHeapMin {
		return func() {}
	}
	// No collection may run while the block is alive. One that its own
	// allocation set off (under GOGC's small first goal) marked it live
	// ("750->750->747 MB" in gctrace), the allocation assisted it, and
	// that run carried the block, touched, as 790 MB of RSS and was a
	// second slower. SetGCPercent(-1) waits for a collection under way.
	prevPercent := debug.SetGCPercent(-1)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	undo = spanjson.HeapOnHugePages(int(min(n, math.MaxInt32)))
	debug.SetMemoryLimit(prevLimit)
	debug.SetGCPercent(prevPercent)
	debug.FreeOSMemory()
	return undo
}

// loadHuge takes the load's advice back when a command turns out to
// stream (tuneGCForStream): its heap is the stream's own, smaller one.
var loadHuge = func() {}

const hugeHeapMin = 128 << 20

// gcTunable reports whether a command may set the collector up for its
// work: in a process of its own, and the user's settings win.
func gcTunable() bool {
	return batchGC && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == ""
}

// gcRegime turns the percentage trigger off and sets the memory limit
// until restoreGC, which puts the settings before back; after runs after
// each collection until then (watchGCs), never at the same time as the
// restore.
func gcRegime(limit int64, after func()) {
	var mu sync.Mutex
	done := false
	prevLimit := debug.SetMemoryLimit(limit)
	prevPercent := debug.SetGCPercent(-1)
	restoreGC = func() {
		mu.Lock()
		defer mu.Unlock()
		done = true
		debug.SetMemoryLimit(prevLimit)
		debug.SetGCPercent(prevPercent)
		restoreGC = func() {}
	}
	watchGCs(math.MaxInt, func(bool) bool {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			after()
		}
		return done
	})
}

// loadGCLimit returns the memory limit for loading total bytes of input;
// ok is false when it overflows.
func loadGCLimit(total int64) (limit int64, ok bool) {
	if total < 0 || total > (math.MaxInt64-gcLimitFloor)/3 {
		return 0, false
	}
	return total + max(total/100*45, gcLimitFloor), true
}

// watchGCs calls f on another goroutine after each of the next n garbage
// collections until f returns true; it stops by itself after the n-th.
// The last call gets last true.
func watchGCs(n int, f func(last bool) bool) {
	type sentinel struct{ _ *int } // a pointer: never a tiny allocation
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
			n--
			if !f(n == 0) && n > 0 {
				arm()
			}
		})
	}
	arm()
}

// restoreGC undoes tuneGCForLoad or tuneGCForStream (see gcRegime).
var restoreGC = func() {}

// streamHeapFloor is the memory a streaming command lets the heap reach
// before a collection when little of it is alive (see tuneGCForStream).
const streamHeapFloor = 96 << 20

// tuneGCForStream sets the collector up for a command that streams many
// traces; it is called at the second trace, and undoes tuneGCForLoad's
// settings. Each trace is let go once printed, so live memory stays at a
// trace's worth (a few MB), and the default pacing (a collection each
// time the heap doubles) collected every few MB: 213 collections for
// `tracectl status` over the 538 MB dump of 20,000 traces, about a fifth
// of its CPU time. So the percentage trigger is turned off and the memory
// limit is the heap goal, reset after each collection to streamLimit of
// the live heap: with little alive the heap grows to streamHeapFloor
// between collections (about 25 on that dump; peak RSS about 112 MB, the
// issue allows 150 MB), and a large trace alive makes it twice the live
// heap, the default pacing. (A percentage set after each collection for
// the same goal did as well for the collector but peaked at 125 to
// 148 MB: a limit also bounds what the runtime keeps beside the heap.)
// Standard input of unknown size gets this too: it depends on what is
// alive, not on the input.
//
// The stream's heap is not advised onto huge pages. It was (hugeHeap of
// twice streamHeapFloor), and back-to-back runs of status over the 538 MB
// dump gained from it (1.29-1.41 s -> 1.06-1.26 s). But a command seldom
// runs right after the last one freed its memory: on a virtual machine
// that hands free memory back to its host (a balloon's free page
// reporting, which takes whole free 2 MiB blocks), a huge page is such a
// block, faulted back in from the host at 0.2-0.36 GB/s, where small
// pages come from memory the guest still holds, at about 2 GB/s (a
// 256 MiB block touched after 4 s idle, three times each way). A stream's
// heap is about 100 MB touched once and then reused, so its first touch
// is what counts. In BenchmarkCheckVsJQ, where jq runs between two of
// ours, check went from 2.86 s (0.117 and 0.128 of jq) to 2.21-2.53 s
// (0.101, 0.106); status after 5 s idle from 1.30-1.37 s (0.40 s in the
// kernel) to 1.16-1.21 s (0.16-0.24 s). A load of a big trace keeps its
// huge pages (tuneGCForLoad): in BenchmarkShowShapesVsJQ, show of
// 1,000,000-span traces ran slower without them on three shapes of four
// (nested 3.7-5.0 s -> 3.8-8.2 s).
func tuneGCForStream() {
	restoreGC()
	if !gcTunable() {
		return
	}
	// Small pages for the stream's heap (see above).
	loadHuge()
	loadHuge = func() {}
	gcRegime(streamHeapFloor, func() {
		debug.SetMemoryLimit(streamLimit(liveHeap()))
	})
}

// streamLimit is the memory limit while live bytes of heap are alive:
// twice that (the default pacing), and at least streamHeapFloor.
func streamLimit(live uint64) int64 {
	return max(streamHeapFloor, int64(min(live, math.MaxInt64/4))*2)
}

// liveHeap is the heap marked alive by the last collection (0 before).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// inputBytes sums the sizes of the inputs when every one is a regular file.
func inputBytes(ins []ingest.Input) (int64, bool) {
	var total int64
	for _, in := range ins {
		size, ok := in.Size()
		if !ok {
			return 0, false
		}
		total += size
	}
	return total, true
}

// loadOnHugePages reports whether a load's heap is advised onto huge pages:
// when an input is big enough to be a big trace (hugeHeapMin). Many small
// inputs (an export directory) stream their traces from the first, and
// until the second (tuneGCForStream) the heap grew in the advised block, a
// 2 MiB page for each region it touched: `status` over 20,000 files
// peaked at 790 MB instead of 112 MB one run in two.
func loadOnHugePages(ins []ingest.Input) bool {
	for _, in := range ins {
		if size, ok := in.Size(); ok && size >= hugeHeapMin {
			return true
		}
	}
	return false
}

// peekMin is the size from which textBytes reads a file's first bytes.
const peekMin = 1 << 20

// textBytes is inputBytes when no input is compressed: the size of the
// text to decode, which a compressed file's size does not tell. Files
// under peekMin are not looked into: their first bytes cost an open and a
// read each, one file after another before anything else (`status` over
// an export directory of 20,000 files: 2.21 -> 2.12 s median, 7
// alternated runs). Many small files stream (tuneGCForStream), and
// when they do make one big trace, a compressed one among them makes the
// load's limit low and the collection come sooner, until loadLimit raises
// it.
func textBytes(ins []ingest.Input) (int64, bool) {
	for _, in := range ins {
		if size, ok := in.Size(); ok && size < peekMin {
			continue
		}
		if in.StoredCompression() != ingest.Uncompressed {
			return 0, false
		}
	}
	return inputBytes(ins)
}
