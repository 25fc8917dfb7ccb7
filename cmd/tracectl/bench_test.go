//go:build unix

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// jqCountByStatus is the reference: jq counting the spans by status.
const jqCountByStatus = `[.data.spans[].status.code] | group_by(.) | map(length)`

// benchSpans is the size of the generated trace: TRACECTL_BENCH_SPANS, or
// 1,000,000 spans (about 500 MB).
func benchSpans(b *testing.B) int {
	n := 1_000_000
	if s := os.Getenv("TRACECTL_BENCH_SPANS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("TRACECTL_BENCH_SPANS=%q: want a positive number", s)
		}
		n = v
	}
	return n
}

// runMeasured runs cmd and returns its wall time and peak RSS in bytes.
// Output the caller did not redirect goes into a pipe that is drained and
// thrown away, as in `tracectl show | …`.
func runMeasured(b *testing.B, cmd *exec.Cmd) (time.Duration, int64) {
	b.Helper()
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard // exec copies from a pipe: the command writes into a pipe
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v", cmd, err)
	}
	d := time.Since(start)
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) * 1024 // KiB on Linux and the BSDs
		if runtime.GOOS == "darwin" {
			rss = int64(ru.Maxrss) // bytes on macOS
		}
	}
	return d, rss
}

// BenchmarkShowVsJQ compares `tracectl show` on a generated MLflow v3 trace
// with jq counting the same file's spans by status, in the same run.
// Targets: ours <= 1/8 of jq's time (ours/jq <= 0.125), peak RSS <= 1.5x
// the file size.
func BenchmarkShowVsJQ(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "trace.json")
	writeBenchTrace(b, file, benchSpans(b))
	st, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	bin := buildTracectl(b, dir)
	jq, jqErr := exec.LookPath("jq")
	if jqErr != nil {
		b.Logf("jq not found: reporting tracectl alone, no ratio")
	}

	var ours, theirs time.Duration
	var peak int64
	runs := 0
	for b.Loop() {
		d, rss := runMeasured(b, exec.Command(bin, "show", file))
		ours += d
		peak = max(peak, rss)
		if jqErr == nil {
			d, _ := runMeasured(b, exec.Command(jq, jqCountByStatus, file))
			theirs += d
		}
		runs++
	}
	b.ReportMetric(ours.Seconds()/float64(runs), "show-s")
	b.ReportMetric(float64(peak)/float64(st.Size()), "rss/file")
	b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	if jqErr == nil {
		b.ReportMetric(theirs.Seconds()/float64(runs), "jq-s")
		b.ReportMetric(ours.Seconds()/theirs.Seconds(), "show/jq")
	}
}
