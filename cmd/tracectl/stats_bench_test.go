//go:build unix

package main

import (
	"os/exec"
	"testing"
	"time"
)

// jqStatsByName is the reference for `tracectl stats`: jq computing per
// span name the count and the exact p95 of the durations (floor rank, as
// stats), reading the documents one by one (-n, inputs): it keeps the
// durations, not the file.
const jqStatsByName = `[inputs | .data.spans[] | {name, d: (.end_time_unix_nano - .start_time_unix_nano)}]
  | group_by(.name)
  | map({name: .[0].name, count: length, p95: ((map(.d) | sort) as $s | $s[(((length - 1) * 0.95) | floor)])})`

// BenchmarkStatsVsJQ runs `tracectl stats` (by name) over
// TRACECTL_BENCH_TRACES MLflow 3 traces of 44 spans in JSON Lines (default
// 20,000: about 520 MB) and jq computing the same per-name counts and p95,
// in the same run. Target: ours at least 10x faster (stats/jq <= 0.1).
func BenchmarkStatsVsJQ(b *testing.B) {
	dir := b.TempDir()
	file, st := writeManyTracesFile(b, dir)
	bin := buildTracectl(b, dir)
	jq, jqErr := exec.LookPath("jq")
	if jqErr != nil {
		b.Logf("jq not found: reporting tracectl alone, no ratio")
	}
	var ours, theirs time.Duration
	var peak int64
	runs := 0
	for b.Loop() {
		d, rss := runMeasured(b, exec.Command(bin, "stats", file))
		ours += d
		peak = max(peak, rss)
		if jqErr == nil {
			d, _ := runMeasured(b, exec.Command(jq, "-n", jqStatsByName, file))
			theirs += d
		}
		runs++
	}
	b.ReportMetric(ours.Seconds()/float64(runs), "stats-s")
	b.ReportMetric(float64(peak)/1e6, "rss-MB")
	b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	if jqErr == nil {
		b.ReportMetric(theirs.Seconds()/float64(runs), "jq-s")
		b.ReportMetric(ours.Seconds()/theirs.Seconds(), "stats/jq")
	}
}
