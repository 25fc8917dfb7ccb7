//go:build unix

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"tracectl/internal/spanjson/spanjsontest"
)

// jqToV2 is the jq program the benchmark compares against: it rewrites each
// MLflow v3 span's fields to the MLflow v2 names (no id re-encoding, no
// trace-info rewrite: jq's work is a lower bound of a real conversion).
const jqToV2 = `.data.spans |= map({
  name,
  context: {span_id: .span_id, trace_id: .trace_id},
  parent_id: .parent_span_id,
  start_time: .start_time_unix_nano,
  end_time: .end_time_unix_nano,
  status_code: .status.code,
  status_message: .status.message,
  attributes,
  events: ((.events // []) | map({name, timestamp: .time_unix_nano, attributes}))
})`

// BenchmarkConvertV3ToV2VsJQ converts the generated MLflow v3 trace of
// TRACECTL_BENCH_SPANS spans (default 1,000,000) to v2 with the tracectl
// binary and rewrites it with jq in the same run. Metrics: seconds per run
// of each, their ratio (target ≤ 1/6), and tracectl's peak RSS against the
// trace's size (target ≤ 1.5x).
func BenchmarkConvertV3ToV2VsJQ(b *testing.B) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		b.Skip("jq is not installed: the benchmark compares tracectl convert with jq")
	}
	dir := b.TempDir()
	input := filepath.Join(dir, "trace.json")
	writeBenchTrace(b, input, benchSpans(b))
	fi, err := os.Stat(input)
	if err != nil {
		b.Fatal(err)
	}
	bin := buildTracectl(b, dir)

	// Wall time is what the target is about; CPU time (user+system) is
	// reported too because it stays meaningful on a loaded machine.
	var tracectlTime, jqTime, tracectlCPU, jqCPU time.Duration
	var maxRSS int64
	runs := 0
	for b.Loop() {
		conv := exec.Command(bin, "convert", "--schema", "v2", "-o", filepath.Join(dir, "out-tracectl.json"), input)
		d, rss := runMeasured(b, conv)
		tracectlTime += d
		tracectlCPU += conv.ProcessState.UserTime() + conv.ProcessState.SystemTime()
		maxRSS = max(maxRSS, rss)
		jqCmd := exec.Command(jq, "-c", jqToV2, input)
		jqOut, err := os.Create(filepath.Join(dir, "out-jq.json"))
		if err != nil {
			b.Fatal(err)
		}
		jqCmd.Stdout = jqOut
		d, _ = runMeasured(b, jqCmd)
		jqOut.Close()
		jqTime += d
		jqCPU += jqCmd.ProcessState.UserTime() + jqCmd.ProcessState.SystemTime()
		runs++
	}
	perRun := func(d time.Duration) float64 { return d.Seconds() / float64(runs) }
	b.ReportMetric(perRun(tracectlTime), "tracectl-s/op")
	b.ReportMetric(perRun(jqTime), "jq-s/op")
	b.ReportMetric(tracectlTime.Seconds()/jqTime.Seconds(), "tracectl/jq")
	b.ReportMetric(tracectlCPU.Seconds()/jqCPU.Seconds(), "cpu-tracectl/jq")
	b.ReportMetric(float64(maxRSS)/(1<<20), "peak-rss-MB")
	b.ReportMetric(float64(fi.Size())/(1<<20), "trace-MB")
	b.ReportMetric(float64(maxRSS)/float64(fi.Size()), "rss/trace")
}

func writeBenchTrace(b *testing.B, path string, spans int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := spanjsontest.WriteV3Trace(w, spans, 1); err != nil {
		b.Fatalf("generating the %d-span trace: %v", spans, err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
