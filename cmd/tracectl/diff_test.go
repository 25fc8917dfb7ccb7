package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"tracectl/internal/tracediff"
)

// diffJSON runs diff -o json from the repository root and decodes it.
func diffJSON(t *testing.T, args ...string) (tracediff.Report, int, string) {
	t.Helper()
	t.Chdir(repoAbs)
	out, errOut, code := runMain(t, "", append([]string{"diff", "-o", "json"}, args...)...)
	var r tracediff.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("diff -o json: %v\n%s\n%s", err, out, errOut)
	}
	return r, code, errOut
}

// changeLine is a change in one line, for comparing lists of changes.
func changeLine(c tracediff.Change) string {
	s := c.Kind + " " + tracediff.PathText(c.Path)
	switch c.Kind {
	case tracediff.KindAdded, tracediff.KindRemoved:
		s += fmt.Sprintf(" %s %d", c.SpanType, c.SubtreeSize)
	case tracediff.KindStatus, tracediff.KindType:
		s += " " + c.From + "->" + c.To
		if c.Exception != "" {
			s += " " + c.Exception
		}
	case tracediff.KindDuration:
		s += fmt.Sprintf(" self %+dms", c.Self.Delta/1e6)
	case tracediff.KindTokens:
		s += fmt.Sprintf(" %+d", *c.Tokens.Delta)
	case tracediff.KindCost:
		s += fmt.Sprintf(" %+g", *c.Cost.Delta)
	case tracediff.KindInput, tracediff.KindOutput:
		s += " " + strings.Join(c.Lines, " | ")
	}
	return s
}

// TestDiffVariantsReportExactlyTheirChange: a trace diffed with itself
// (or a copy with another id) reports nothing; each hand-made variant
// reports exactly the one change it was made with.
func TestDiffVariantsReportExactlyTheirChange(t *testing.T) {
	tests := []struct {
		variant string
		flags   []string
		want    []string
		traceMS int64 // the trace's duration change, ms
		tokens  int64 // the trace's token change
	}{
		{variant: "base"},
		{variant: "same"},
		{variant: "io"}, // inputs are only compared with --io
		{variant: "slower", want: []string{"duration agent / summarize self +400ms"}, traceMS: 400},
		{variant: "removed", want: []string{"removed agent / summarize / format PARSER 1"}},
		{variant: "added", want: []string{"added agent / cache_lookup RETRIEVER 1"}},
		{variant: "failing", want: []string{"status agent / search #2 OK->ERROR TimeoutError: search timed out"}},
		{variant: "loop", want: []string{"added agent / search #4 TOOL 1"}},
		{variant: "tokens", want: []string{"tokens agent / plan +60", "cost agent / plan +0.0006"}, tokens: 60},
		{variant: "io", flags: []string{"--io"}, want: []string{`input agent / plan - "content": "weather in Paris?", | + "content": "weather in Lyon?",`}},
	}
	for _, tt := range tests {
		t.Run(tt.variant+strings.Join(tt.flags, ""), func(t *testing.T) {
			args := append(append([]string(nil), tt.flags...), "testdata/diff/base.json", "testdata/diff/"+tt.variant+".json")
			r, code, errOut := diffJSON(t, args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			var got []string
			for _, c := range r.Changes {
				got = append(got, changeLine(c))
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if got := r.Trace.Duration.Delta / 1e6; got != tt.traceMS {
				t.Errorf("trace duration delta = %dms, want %d", got, tt.traceMS)
			}
			if d := r.Trace.Tokens.Delta; d == nil || *d != tt.tokens {
				t.Errorf("trace token delta = %v, want %d", d, tt.tokens)
			}
			if changed := len(tt.want) > 0; r.Summary.Changed != changed {
				t.Errorf("summary.changed = %v, want %v", r.Summary.Changed, changed)
			}
		})
	}
}

// TestDiffTextSaysNoChanges: the text view of a trace against itself.
func TestDiffTextSaysNoChanges(t *testing.T) {
	t.Chdir(repoAbs)
	out, errOut, code := runMain(t, "", "diff", "--max-slower", "1%", "--fail-on", "new-errors,missing-spans", "testdata/diff/base.json", "testdata/diff/same.json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "\nno changes\n") || !strings.Contains(out, "changes    none\n") {
		t.Errorf("no 'no changes':\n%s", out)
	}
}

// TestDiffGatesExitCodes: each gate fails exactly the variant it is about.
func TestDiffGatesExitCodes(t *testing.T) {
	tests := []struct {
		gate    []string
		variant string
		code    int
	}{
		{[]string{"--max-slower", "20%"}, "slower", 3},
		{[]string{"--max-slower", "500ms"}, "slower", 0}, // +400ms
		{[]string{"--max-slower", "20%"}, "tokens", 0},
		{[]string{"--max-tokens", "+10%"}, "tokens", 3}, // +12.8%
		{[]string{"--max-tokens", "+15%"}, "tokens", 0},
		{[]string{"--max-tokens", "59"}, "tokens", 3},
		{[]string{"--max-cost", "+10%"}, "tokens", 3},
		{[]string{"--max-cost", "$0.001"}, "tokens", 0},
		{[]string{"--fail-on", "new-errors"}, "failing", 3},
		{[]string{"--fail-on", "new-errors"}, "added", 0},
		{[]string{"--fail-on", "missing-spans"}, "removed", 3},
		{[]string{"--fail-on", "missing-spans"}, "loop", 0},
		{[]string{"--fail-on", "missing-spans,new-errors", "--max-slower", "20%", "--max-tokens", "10%", "--max-cost", "10%"}, "same", 0},
	}
	t.Chdir(repoAbs)
	for _, tt := range tests {
		t.Run(strings.Join(tt.gate, " ")+" "+tt.variant, func(t *testing.T) {
			args := append(append([]string{"diff"}, tt.gate...), "testdata/diff/base.json", "testdata/diff/"+tt.variant+".json")
			_, errOut, code := runMain(t, "", args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, errOut)
			}
		})
	}
}

func TestDiffUsageErrors(t *testing.T) {
	t.Chdir(repoAbs)
	b, c := "testdata/diff/base.json", "testdata/diff/same.json"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{b}, "diff takes two trace files"},
		{[]string{b, c, c}, "diff takes two trace files"},
		{[]string{"-", "-"}, "not both"},
		{[]string{"--max-slower", "fast", b, c}, `--max-slower: invalid limit "fast"`},
		{[]string{"--max-tokens", "-5%", b, c}, "invalid limit"},
		{[]string{"--max-cost", "lots", b, c}, "invalid limit"},
		{[]string{"--fail-on", "slow", b, c}, `invalid --fail-on "slow"`},
		{[]string{"--min-change", "0.1", b, c}, "invalid --min-change"},
		{[]string{"-o", "jsonl", b, c}, "invalid --output"},
		{[]string{"--key", "request", b, c}, "--key pairs and groups"},
		{[]string{"--base", b}, "needs both --base and --candidate"},
		{[]string{"--base", b, "--candidate", c, b}, "no BASE CANDIDATE arguments"},
		{[]string{"--base", b, "--candidate", c, "--key", "trace-id"}, `invalid --key part "trace-id"`},
		{[]string{"--base", b, "--candidate", c, "--by", "kind"}, `invalid --by "kind"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := runMain(t, "", append([]string{"diff"}, tt.args...)...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.want)
			}
		})
	}
}

// TestDiffPicksTracesByID: --base-id and --id take traces from files that
// hold several; without them such a file is a usage error naming the ids.
func TestDiffPicksTracesByID(t *testing.T) {
	dir := t.TempDir()
	both := filepath.Join(dir, "both.jsonl")
	var lines []byte
	for _, name := range []string{"base", "slower"} {
		b, err := json.Marshal(mustJSON(t, otlpTrace(fxTraceID(name), fxVariants[name](fxBase()))))
		if err != nil {
			t.Fatal(err)
		}
		lines = append(append(lines, b...), '\n')
	}
	if err := os.WriteFile(both, lines, 0o644); err != nil {
		t.Fatal(err)
	}
	r, code, errOut := diffJSON(t, "--base-id", "tr-"+fxTraceID("base"), "--id", fxTraceID("slower"), both, both)
	if code != 0 || len(r.Changes) != 1 || r.Changes[0].Kind != tracediff.KindDuration {
		t.Errorf("exit %d (%s), changes %+v", code, errOut, r.Changes)
	}
	_, errOut, code = runMain(t, "", "diff", both, both)
	if code != 2 || !strings.Contains(errOut, "holds 2 traces: pick one with --base-id") || !strings.Contains(errOut, "tr-"+fxTraceID("slower")) {
		t.Errorf("exit %d: %s", code, errOut)
	}
	_, errOut, code = runMain(t, "", "diff", "--base-id", "tr-nope", both, both)
	if code != 1 || !strings.Contains(errOut, "no trace tr-nope") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func mustJSON(t *testing.T, b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// writeRun writes n traces of the fixture agent, one per file, each with
// its own question; change alters the spans of trace k.
func writeRun(t *testing.T, dir string, n int, idBase int, change func(k int, s []fxSpan) []fxSpan) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < n; k++ {
		s := fxBase()
		s[0].in = fmt.Sprintf(`{"question": "case %d"}`, k)
		for i := range s {
			s[i].end += int64(k) // durations differ a little between cases
		}
		if change != nil {
			s = change(k, s)
		}
		id := fmt.Sprintf("%032x", idBase+k)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%03d.json", k)), otlpTrace(id, s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiffRunsFindTheRegression: two generated runs of 20 cases; in the
// candidate, summarize takes twice as long in every case, plan 50% more
// tokens, the second search fails in 2 cases, format is gone, and one case
// is new. The report and the gates say exactly that.
func TestDiffRunsFindTheRegression(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, filepath.Join(dir, "base"), 20, 0x100, nil)
	writeRun(t, filepath.Join(dir, "cand"), 21, 0x200, func(k int, s []fxSpan) []fxSpan {
		s[5].end += s[5].end - s[5].start // summarize twice as long
		s[0].end = s[5].end + 50
		s[1].tokens = [3]int{150, 30, 180}
		if k%10 == 3 {
			s[3].err = "TimeoutError: search timed out"
		}
		return s[:6] // format gone
	})
	t.Chdir(dir)
	out, errOut, code := runMain(t, "", "diff", "-o", "json", "--base", "base", "--candidate", "cand",
		"--max-slower", "20%", "--max-tokens", "+10%", "--fail-on", "new-errors,missing-spans")
	if code != 3 {
		t.Fatalf("exit %d, want 3: %s", code, errOut)
	}
	var r tracediff.RunReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Paired != 20 || len(r.Unpaired.Base) != 0 || len(r.Unpaired.Cand) != 1 || !strings.Contains(r.Unpaired.Cand[0].Key, "case 20") {
		t.Errorf("paired %d, unpaired %+v", r.Paired, r.Unpaired)
	}
	rows := map[string]tracediff.GroupRow{}
	for _, g := range r.Groups {
		rows[g.Key] = g
	}
	if g := rows["summarize"]; g.P95Pct == nil || *g.P95Pct < 99 || *g.P95Pct > 101 {
		t.Errorf("summarize p95 change = %v, want about +100%%", g.P95Pct)
	}
	if g := rows["plan"]; g.P95Pct == nil || *g.P95Pct != 0 || g.TokensPct == nil || *g.TokensPct != 50 {
		t.Errorf("plan: p95 %v, tokens %v; want 0 and +50%%", g.P95Pct, g.TokensPct)
	}
	if g := rows["search"]; g.Base.Count != 60 || g.Cand.Count != 60 || g.Base.Errors != 0 || g.Cand.Errors != 2 {
		t.Errorf("search: %+v", g)
	}
	if g := rows["format"]; g.Base.Count != 20 || g.Cand.Count != 0 {
		t.Errorf("format: %+v", g)
	}
	gates := map[string]tracediff.GateResult{}
	for _, g := range r.Gates {
		gates[g.Gate] = g
	}
	want := map[string]string{
		"max-slower":    "traces p95 1.02s → 1.44s +418ms (+41.1%)",
		"max-tokens":    "tokens 9,400 → 10,600",
		"new-errors":    "search: 2 of 60 failed (none of 60 in base)",
		"missing-spans": "missing format (20 in base)",
	}
	for name, detail := range want {
		if g := gates[name]; g.Passed || !strings.Contains(g.Detail, detail) {
			t.Errorf("gate %s: %+v, want failed with %q", name, g, detail)
		}
	}
	if d := gates["max-slower"].Detail; strings.Contains(d, "plan") || strings.Contains(d, "search") || !strings.Contains(d, "summarize p95") {
		t.Errorf("max-slower names other spans than the slower one: %s", d)
	}

	// The same runs against themselves: nothing to report, exit 0.
	_, errOut, code = runMain(t, "", "diff", "--base", "base", "--candidate", "base", "--max-slower", "1%", "--max-tokens", "0", "--fail-on", "new-errors,missing-spans")
	if code != 0 {
		t.Errorf("base against itself: exit %d: %s", code, errOut)
	}
}
