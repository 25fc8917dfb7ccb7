//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"runtime/debug"
	"testing"
	"time"
)

// benchChecks are the three checks of BenchmarkCheckVsJQ, and jqChecks the
// jq program that computes the same answers per trace, in the order check
// reports them (every --expect, then every --forbid): at most 20,000
// tokens, a tool span below an agent span, no failed tool call.
var benchChecks = []string{
	"--expect", `{} | sum(total_tokens) <= 20000`,
	"--expect", `{ type = "AGENT" } >> { type = "TOOL" }`,
	"--forbid", `{ type = "TOOL" && status = error }`,
}

const jqChecks = `def typ: (.attributes["mlflow.spanType"] // "\"UNKNOWN\"") | fromjson;
def up($p): if . == null then empty else ., ($p[.] | up($p)) end;
.data.spans as $s
| ($s | map({key: .span_id, value: .parent_span_id}) | from_entries) as $p
| ($s | map(select(typ == "AGENT") | {key: .span_id, value: true}) | from_entries) as $agent
| [ (([$s[] | .attributes["mlflow.chat.tokenUsage"] // empty | fromjson | .total_tokens] | add // 0) <= 20000),
    any($s[] | select(typ == "TOOL") | .parent_span_id | up($p); $agent[.] // false),
    ([$s[] | select(typ == "TOOL" and .status.code == "STATUS_CODE_ERROR")] | length == 0) ]`

// BenchmarkCheckVsJQ runs `tracectl check` with three checks over
// TRACECTL_BENCH_TRACES MLflow 3 traces of 44 spans in JSON Lines (default
// 20,000: about 520 MB) and jq computing the same answers, in the same
// run; the first run compares the failure counts of both. Target:
// check/jq <= 0.1. Memory follows the largest trace, not the file.
func BenchmarkCheckVsJQ(b *testing.B) {
	dir := b.TempDir()
	file, st := writeManyTracesFile(b, dir)
	bin := buildTracectl(b, dir)
	jq, jqErr := exec.LookPath("jq")
	if jqErr != nil {
		b.Logf("jq not found: reporting tracectl alone, no ratio")
	}
	args := append(append([]string{"check", "-o", "json"}, benchChecks...), file)

	var ours, theirs time.Duration
	var peak int64
	runs := 0
	for b.Loop() {
		debug.FreeOSMemory() // the generator's garbage: see benchMany
		var out bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout = &out
		d, rss := runMeasuredExit(b, cmd, 3)
		ours += d
		peak = max(peak, rss)
		if jqErr == nil {
			var jqOut bytes.Buffer
			jc := exec.Command(jq, "-c", jqChecks, file)
			jc.Stdout = &jqOut
			d, _ := runMeasured(b, jc)
			theirs += d
			if runs == 0 {
				sameAnswers(b, out.Bytes(), jqOut.Bytes())
			}
		}
		runs++
	}
	b.ReportMetric(ours.Seconds()/float64(runs), "check-s")
	b.ReportMetric(float64(peak)/1e6, "rss-MB")
	b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	if jqErr == nil {
		b.ReportMetric(theirs.Seconds()/float64(runs), "jq-s")
		b.ReportMetric(ours.Seconds()/theirs.Seconds(), "check/jq")
	}
}

// runMeasuredExit is runMeasured for a command that may exit with code
// (check exits 3 when a check failed).
func runMeasuredExit(b *testing.B, cmd *exec.Cmd, code int) (time.Duration, int64) {
	b.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	rss := measureRSS(b, cmd)
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil && cmd.ProcessState.ExitCode() != code {
		b.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	return d, rss()
}

// sameAnswers compares check's failure counts per check with jq's.
func sameAnswers(b *testing.B, checkJSON, jqLines []byte) {
	b.Helper()
	var doc checkReportJSON
	if err := json.Unmarshal(checkJSON, &doc); err != nil {
		b.Fatalf("check -o json: %v", err)
	}
	failed := make([]int, 3)
	for _, line := range bytes.Split(bytes.TrimSpace(jqLines), []byte("\n")) {
		var ans []bool
		if err := json.Unmarshal(line, &ans); err != nil || len(ans) != 3 {
			b.Fatalf("jq line %q: %v", line, err)
		}
		for k, ok := range ans {
			if !ok {
				failed[k]++
			}
		}
	}
	for k := range failed {
		if doc.Checks[k].Failed != failed[k] {
			b.Fatalf("check %q: tracectl counts %d failures, jq %d", doc.Checks[k].Name, doc.Checks[k].Failed, failed[k])
		}
	}
	b.Logf("failures per check (tracectl = jq): %v over %d traces", failed, doc.Summary.Traces)
}
