package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"tracectl/internal/spanjson/spanjsontest"
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

// runMeasured runs a command with its output into a pipe that is drained
// and thrown away, and returns the wall time and the peak RSS in bytes.
func runMeasured(b *testing.B, name string, args ...string) (time.Duration, int64) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdout = io.Discard // exec copies from a pipe: the command writes into a pipe
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	elapsed := time.Since(start)
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // Linux reports kilobytes
	}
	return elapsed, rss
}

// BenchmarkShowVsJQ compares `tracectl show` on a generated MLflow v3 trace
// with jq counting the same file's spans by status, in the same run.
// Targets: ours <= 1/8 of jq's time (ours/jq <= 0.125), peak RSS <= 1.5x
// the file size.
func BenchmarkShowVsJQ(b *testing.B) {
	n := benchSpans(b)
	dir := b.TempDir()
	file := filepath.Join(dir, "trace.json")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := spanjsontest.WriteV3Trace(bw, n, 1); err != nil {
		b.Fatalf("generating %d spans: %v", n, err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
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
		d, rss := runMeasured(b, bin, "show", file)
		ours += d
		peak = max(peak, rss)
		if jqErr == nil {
			d, _ := runMeasured(b, jq, jqCountByStatus, file)
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
