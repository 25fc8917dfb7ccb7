package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"tracectl/internal/query"
)

// The -o json text check writes result by result is what encoding/json
// writes for the whole document (checkReportJSON, two-space indents, no
// HTML escaping).
func TestCheckResultsJSONIsEncodingJSONs(t *testing.T) {
	mustParse := func(src string) *query.Query {
		q, err := query.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	scope := mustParse(`{ trace:name = "agent" }`)
	checks := []query.Check{
		{Name: `tokens "budget" <= 20000`, Expect: true, Query: mustParse(`{} | sum(total_tokens) <= 20000`)},
		{Name: "no failed <tool> & co", Query: mustParse(`{ type = "TOOL" && status = error }`), Traces: scope},
	}
	awkward := "quote \" backslash \\ tab \t newline \n nul \x00 bell \x07 del \x7f <html> & \u2028 \u2029 14°C 日本"
	outcomes := []checkOutcome{
		{check: 0, trace: traceLabelJSON{TraceID: "tr-1", TraceName: "agent", Source: "a.json"}, passed: true,
			agg: &aggregateJSON{Expression: "sum(total_tokens)", Value: "4798", Want: "<= 20000"}},
		{check: 1, trace: traceLabelJSON{TraceID: "tr-1", TraceName: awkward, Source: "dir/b c.json"}, passed: false,
			detail: "2 spans matched", nSpans: 2, spans: []checkSpanJSON{
				{SpanID: "27a782f4fcc646fe", Name: "lookup_tool", Status: "ERROR", Exception: "ValueError: " + awkward},
				{SpanID: "0000000000000001", Name: "", Status: "ERROR"},
			}},
		{check: 0, trace: traceLabelJSON{TraceID: "", TraceName: "", Source: "-"}, passed: false,
			detail: "sum(total_tokens) = nil, want <= 20000",
			agg:    &aggregateJSON{Expression: "sum(total_tokens)", Value: "nil", Want: "<= 20000"}},
		{check: 1, trace: traceLabelJSON{TraceID: "tr-3", TraceName: "x", Source: "a.json"}, passed: true},
	}
	// 10,000 results fill several chunks of resultsChunk, spooled to a
	// file; with no temporary directory to spool to they stay in memory.
	tmp := t.TempDir()
	for _, c := range []struct {
		n      int
		tmpdir string
	}{{0, tmp}, {1, tmp}, {len(outcomes), tmp}, {10_000, tmp}, {10_000, filepath.Join(tmp, "missing")}} {
		n := c.n
		t.Setenv("TMPDIR", c.tmpdir)
		run := &checkRun{checks: checks, json: &checkResultsJSON{}, stats: []checkStatsJSON{{Passed: 1, Failed: 1}, {Passed: 1, Failed: 1, Skipped: 3}},
			traces: 7, passed: 2, failed: 2, skipped: 3}
		want := checkReportJSON{Results: []checkResultJSON{}}
		for k, c := range checks {
			j := checkJSON{Name: c.Name, Kind: c.Kind(), Expression: c.Query.Source, checkStatsJSON: run.stats[k]}
			if c.Traces != nil {
				j.Traces = c.Traces.Source
			}
			want.Checks = append(want.Checks, j)
		}
		for k := range n {
			o := outcomes[k%len(outcomes)]
			run.json.add(checks[o.check].Name, &o)
			want.Results = append(want.Results, checkResultJSON{
				Check: checks[o.check].Name, traceLabelJSON: o.trace, Passed: o.passed,
				Detail: o.detail, Aggregate: o.agg, SpanCount: o.nSpans, Spans: o.spans,
			})
		}
		switch {
		case n == 10_000 && c.tmpdir == tmp && run.json.spooled < 2*resultsChunk:
			t.Errorf("%d results spooled %d bytes: the test does not cross two chunks", n, run.json.spooled)
		case n == 10_000 && c.tmpdir != tmp && len(run.json.kept) < 2:
			t.Errorf("%d results with no spool: %d chunks kept: the test does not cross two chunks", n, len(run.json.kept))
		}
		want.Summary = checkSummaryJSON{Checks: 2, Traces: 7, Passed: 2, Failed: 2, Skipped: 3}
		var wantText bytes.Buffer
		enc := json.NewEncoder(&wantText)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(want); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := run.writeJSON(&got); err != nil {
			t.Fatal(err)
		}
		if got.String() != wantText.String() {
			t.Errorf("%d results (TMPDIR %s): check wrote\n%s\nencoding/json writes\n%s", n, c.tmpdir, got.String(), wantText.String())
		}
		run.json.discard()
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("%d results: the spool was left behind: %v", n, left)
		}
	}
}
