//go:build unix

package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"tracectl/internal/spanjson/spanjsontest"
)

// jqCountByStatus is the reference: jq counting the spans by status.
const jqCountByStatus = `[.data.spans[].status.code] | group_by(.) | map(length)`

// benchSpans is the size of the generated trace: TRACECTL_BENCH_SPANS, or
// 1,000,000 spans (about 500 MB).
func benchSpans(b *testing.B) int { return benchCount(b, "TRACECTL_BENCH_SPANS", 1_000_000) }

// benchCount is the positive number in the environment variable env, or
// def when it is not set.
func benchCount(b *testing.B, env string, def int) int {
	n := def
	if s := os.Getenv(env); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("%s=%q: want a positive number", env, s)
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
	rss := measureRSS(b, cmd)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v", cmd, err)
	}
	return time.Since(start), rss()
}

// measureRSS prepares cmd so that its peak RSS can be read after it has
// run, and returns the function that reads it (bytes).
//
// The rusage of a child of this process is no measure: Go starts children
// with vfork (CLONE_VM), and exec records the hiwater RSS of the mm it
// leaves, this process's, as the child's own (ru_maxrss): every command
// showed the test binary's peak, 2.6 GB after the export-directory
// benchmark had read its 20,000 files. GNU time (Debian package "time")
// forks the command from its own small process and reports the command's
// peak alone, so the command runs under it when it is installed; without
// it the rusage figure is reported, an upper bound.
func measureRSS(b *testing.B, cmd *exec.Cmd) func() int64 {
	timeBin, err := exec.LookPath("time")
	if err != nil {
		return func() int64 { return maxRSS(cmd) }
	}
	out := filepath.Join(b.TempDir(), "rss")
	cmd.Args = append([]string{timeBin, "-f", "%M", "-o", out, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = timeBin
	return func() int64 {
		data, err := os.ReadFile(out)
		if err != nil {
			b.Fatalf("time -o %s: %v", out, err)
		}
		lines := strings.Fields(string(data)) // "Command exited with non-zero status 1" may come first
		kb, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
		if err != nil {
			b.Fatalf("time -f %%M wrote %q", data)
		}
		return kb * 1024
	}
}

// maxRSS is the rusage peak RSS in bytes of a command that has run (see
// measureRSS: an upper bound).
func maxRSS(cmd *exec.Cmd) int64 {
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) * 1024 // KiB on Linux and the BSDs
		if runtime.GOOS == "darwin" {
			rss = int64(ru.Maxrss) // bytes on macOS
		}
	}
	return rss
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

// BenchmarkShowShapesVsJQ is BenchmarkShowVsJQ on one trace of each
// spanjsontest shape (nested as BenchmarkShowVsJQ's, every span a child of
// the root, deep chains of parents among the 8 spans before, random
// parents), TRACECTL_BENCH_SPANS spans each (default 1,000,000: about
// 570 MB), with the floor: the file read and validated by gjson, building
// nothing. Targets (issue 12): show at most 1/10 of jq's time on every
// shape, peak RSS at most 1.5x the file.
func BenchmarkShowShapesVsJQ(b *testing.B) {
	dir := b.TempDir()
	bin := buildTracectl(b, dir)
	jq, jqErr := exec.LookPath("jq")
	if jqErr != nil {
		b.Logf("jq not found: reporting tracectl alone, no ratio")
	}
	n := benchSpans(b)
	type sums struct {
		ours, jq, floor time.Duration
		rss, size       int64
	}
	got := make([]sums, len(spanjsontest.Shapes))
	runs := 0
	for b.Loop() {
		for k, sh := range spanjsontest.Shapes {
			file := filepath.Join(dir, sh.Name+".json")
			writeShapedTrace(b, file, n, sh.Shape)
			st, err := os.Stat(file)
			if err != nil {
				b.Fatal(err)
			}
			got[k].size = st.Size()
			start := time.Now()
			data, err := os.ReadFile(file)
			if err != nil || !gjson.ValidBytes(data) {
				b.Fatalf("floor: %v, or invalid JSON", err)
			}
			got[k].floor += time.Since(start)
			data = nil
			// The generator and the floor left this process a heap of the
			// file's size, whose collection and return to the kernel ran on
			// the cores beside show (see benchMany): nested 2.0-2.4 s by
			// hand, 3.7 s here.
			debug.FreeOSMemory()
			d, rss := runMeasured(b, exec.Command(bin, "show", file))
			got[k].ours += d
			got[k].rss = max(got[k].rss, rss)
			if jqErr == nil {
				d, _ := runMeasured(b, exec.Command(jq, jqCountByStatus, file))
				got[k].jq += d
			}
			if err := os.Remove(file); err != nil {
				b.Fatal(err)
			}
		}
		runs++
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(runs) }
	for k, sh := range spanjsontest.Shapes {
		g := got[k]
		b.ReportMetric(per(g.ours), sh.Name+"-show-s")
		b.ReportMetric(per(g.floor), sh.Name+"-floor-s")
		b.ReportMetric(float64(g.rss)/float64(g.size), sh.Name+"-rss/file")
		if jqErr == nil {
			b.ReportMetric(per(g.jq), sh.Name+"-jq-s")
			b.ReportMetric(g.ours.Seconds()/g.jq.Seconds(), sh.Name+"-show/jq")
		}
	}
}

// writeShapedTrace writes a trace of n spans of the shape to path.
func writeShapedTrace(b *testing.B, path string, n int, shape spanjsontest.Shape) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := spanjsontest.WriteV3TraceShaped(f, n, 1, shape); err != nil {
		b.Fatalf("generating the %d-span trace: %v", n, err)
	}
	if err := f.Sync(); err != nil { // see writeManyTracesFile
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSpansManyTraces runs `tracectl spans --status error`, as a text
// table and as JSON Lines, over TRACECTL_BENCH_TRACES MLflow 3 traces of 44
// spans each in JSON Lines (default 20,000: about 520 MB) and reports the
// peak RSS against the file size. Target: under a quarter of the file
// (rss/file < 0.25): the traces are let go once their matching rows are
// made, so memory follows the rows, not the file.
func BenchmarkSpansManyTraces(b *testing.B) {
	dir := b.TempDir()
	file, st := writeManyTracesFile(b, dir)
	bin := buildTracectl(b, dir)

	var took time.Duration
	var peakText, peakJSONL int64
	runs := 0
	for b.Loop() {
		d, rss := runMeasured(b, exec.Command(bin, "spans", "--status", "error", file))
		took += d
		peakText = max(peakText, rss)
		_, rss = runMeasured(b, exec.Command(bin, "spans", "--status", "error", "-o", "jsonl", file))
		peakJSONL = max(peakJSONL, rss)
		runs++
	}
	b.ReportMetric(took.Seconds()/float64(runs), "spans-s")
	b.ReportMetric(float64(peakText)/1e6, "text-rss-MB")
	b.ReportMetric(float64(peakJSONL)/1e6, "jsonl-rss-MB")
	b.ReportMetric(float64(max(peakText, peakJSONL))/float64(st.Size()), "rss/file")
	b.ReportMetric(float64(st.Size())/1e6, "file-MB")
}

// writeManyTracesFile writes TRACECTL_BENCH_TRACES MLflow 3 traces of 44
// spans (default 20,000: about 520 MB) as JSON Lines into dir.
func writeManyTracesFile(b *testing.B, dir string) (string, os.FileInfo) {
	file := filepath.Join(dir, "many.jsonl")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	writeManyTraces(b, w, benchCount(b, "TRACECTL_BENCH_TRACES", 20_000), 44)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	// Written out now: the kernel's writeback of 500 MB must not run
	// beside the first command timed.
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	return file, st
}
