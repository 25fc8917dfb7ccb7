package main

import (
	"io"
	"math"
	"os"
	"runtime/debug"
)

// batchGC is set by main: the process runs one command and exits, so a
// read command may trade the collector's work for memory it would free
// anyway at exit. Tests that call Main in-process leave it off.
var batchGC bool

// gcLimitFloor is added to the memory limit so that small inputs never
// make the collector run often.
const gcLimitFloor = 64 << 20

// tuneGCForLoad sets the collector up for loading inputs of known size
// whole: loading keeps nearly everything it allocates (the decoded model is
// about 1.2x the size of an MLflow file and is alive until the output is
// written), so a collection in the middle of it finds little to free but
// marks a heap that keeps growing: with the default GOGC the collector
// alone was about 20% of `tracectl show` CPU time on the 200k-span
// generated file (0.60 s -> 0.48 s user+sys without it, peak RSS
// unchanged: the last cycle's goal was already beyond the total allocated).
// So, until restoreGC, the percentage trigger is turned off and a memory limit of three times
// the input size plus gcLimitFloor bounds the heap instead; beyond it the
// collector runs as usual. Standard input of unknown size (a pipe), or a
// process that is not tracectl itself, keeps the defaults.
func tuneGCForLoad(ins []inputSource, stdin io.Reader) {
	if !batchGC || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return // the user's settings win
	}
	total, ok := inputBytes(ins, stdin)
	if !ok {
		return
	}
	limit := int64(gcLimitFloor)
	if total > (math.MaxInt64-limit)/3 {
		return
	}
	limit += 3 * total
	restoreGC = func(prevLimit int64, prevPercent int) func() {
		return func() {
			debug.SetMemoryLimit(prevLimit)
			debug.SetGCPercent(prevPercent)
			restoreGC = func() {}
		}
	}(debug.SetMemoryLimit(limit), debug.SetGCPercent(-1))
}

// restoreGC undoes tuneGCForLoad. A command that streams many traces calls
// it at its second trace: each trace is let go once printed, so live memory
// stays at a trace's worth and the default pacing keeps the heap there
// (with the trigger off the heap would grow toward the limit instead).
var restoreGC = func() {}

// inputBytes sums the sizes of the inputs when every one is a regular file.
func inputBytes(ins []inputSource, stdin io.Reader) (int64, bool) {
	var total int64
	for _, in := range ins {
		var st os.FileInfo
		var err error
		if in.path == "" { // standard input
			f, ok := stdin.(*os.File)
			if !ok {
				return 0, false
			}
			st, err = f.Stat()
		} else {
			st, err = os.Stat(in.path)
		}
		if err != nil || !st.Mode().IsRegular() {
			return 0, false
		}
		total += st.Size()
	}
	return total, true
}
