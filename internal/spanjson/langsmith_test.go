package spanjson

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// One run per line, real UUIDs: each line a document whose trace is
// assembled downstream; the same trace id and span ids whatever the line.
func TestLangSmithRunsPerLine(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/langsmith_runs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if ws := allWarnings(docs); len(ws) != 0 {
		t.Errorf("warnings %q", ws)
	}
	for _, d := range docs {
		if d.Schema != SchemaLangSmith || d.Shape != "LangSmith run" || len(d.Traces) != 1 || !d.Traces[0].Info.Derived {
			t.Errorf("document %+v", d)
		}
	}
	const tid = "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b"
	spans := allSpans(docs)
	got := summarize([]*Document{{Traces: []Trace{{Spans: spans}}}})[0].Traces[0].Spans
	want := []spanSum{
		{tid, "8a9b0c1d2e3f4a5b", "", "qa-chain", 1751364000000000000, 1751364003250000000, ok, "CHAIN", 0},
		{tid, "8a9b111122223333", "8a9b0c1d2e3f4a5b", "ChatOpenAI", 1751364000500000000, 1751364002000000000, ok, "CHAT_MODEL", 1},
		// no parent_run_id: the parent is the dotted_order's
		{tid, "8a9b555566667777", "8a9b0c1d2e3f4a5b", "lookup", 1751364002100000000, 1751364002600500000, Status{StatusError, "ValueError: bad input"}, "TOOL", 1},
		// pending: not ended
		{tid, "8a9b88889999aaaa", "8a9b0c1d2e3f4a5b", "retrieve", 1751364003000000000, 0, Status{}, "RETRIEVER", 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	info := DeriveInfo(spans, SchemaLangSmith)
	if info.TraceID != "tr-"+tid || info.State != StateOK || info.ExecutionDuration != 3250*time.Millisecond {
		t.Errorf("info %+v", info)
	}

	root, llm, tool, retrieve := spans[0], spans[1], spans[2], spans[3]
	for key, want := range map[string]string{
		"langsmith.run_id":       "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"metadata.thread_id":     "th-42",
		"metadata.ls_provider":   "openai",
		"langsmith.runtime":      `{"sdk":"langsmith-py"}`,
		"langsmith.tags":         `["t1"]`,
		"langsmith.total_tokens": "30",
		"langsmith.session_id":   "9b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
		AttrInputs:               `{"question":"why?"}`,
		AttrOutputs:              `{"answer":"because"}`,
	} {
		if got := rawAttr(root, key); got != want {
			t.Errorf("root %s = %q, want %q", key, got, want)
		}
	}
	if _, ok := root.TokenUsage(); ok {
		t.Errorf("a chain run carries a roll-up, not its own usage")
	}
	if u, ok := llm.TokenUsage(); !ok || u != (TokenUsage{20, 10, 30}) {
		t.Errorf("llm usage %+v", u)
	}
	for key, want := range map[string]string{
		"langsmith.first_token_time":  "1751364000750000000",
		"langsmith.total_cost":        "0.0004",
		"langsmith.invocation_params": `{"model":"gpt-4o-mini","temperature":0}`,
		"metadata.ls_model_name":      "gpt-4o-mini",
	} {
		if got := rawAttr(llm, key); got != want {
			t.Errorf("llm %s = %q, want %q", key, got, want)
		}
	}
	if ev := llm.Events()[0]; ev.Name != "new_token" || ev.Time != 1751364000750000000 || rawAttrOf(ev.Attributes, "token") != `"be"` {
		t.Errorf("llm event %+v", ev)
	}
	ex := tool.Events()[0]
	if ex.Name != "exception" || ex.Time != tool.EndTime() || rawAttrOf(ex.Attributes, "exception.message") != `"ValueError: bad input"` {
		t.Errorf("exception %+v", ex)
	}
	if st, _ := ex.Attributes.String("exception.stacktrace"); st != "ValueError: bad input\nTraceback (most recent call last):\n  File \"tool.py\", line 3, in run" {
		t.Errorf("stacktrace %q", st)
	}
	if rawAttr(retrieve, "langsmith.status") != "pending" {
		t.Errorf("retrieve %v", retrieve.Attributes().List())
	}
}

func rawAttrOf(a Attributes, key string) string {
	v, _ := a.Raw(key)
	return v
}

// {"runs": [...]} with nested child_runs and placeholder ids: the tree
// from the nesting, ids hashed and the originals kept, totals consistent
// (no warning).
func TestLangSmithNested(t *testing.T) {
	doc, tr := decodeOneTrace(t, fixturesDir+"/langsmith_nested.json")
	if doc.Shape != "LangSmith runs" || len(doc.Warnings) != 0 {
		t.Errorf("shape %q, warnings %v", doc.Shape, doc.Warnings)
	}
	tid, hashed := textTraceID("root-run")
	if !hashed {
		t.Fatal("a placeholder id is hashed")
	}
	id := func(s string) string { x, _ := textSpanID(s); return x.String() }
	got := summarize([]*Document{doc})[0].Traces[0]
	want := traceSum{ID: tid.MLflowID(), Spans: []spanSum{
		{tid.String(), id("root-run"), "", "pipeline", 1754006400000000000, 1754006402000000000, ok, "CHAIN", 0},
		{tid.String(), id("embed-run"), id("root-run"), "embed", 1754006400100000000, 1754006400200000000, ok, "EMBEDDING", 0},
		{tid.String(), id("llm-run"), id("root-run"), "complete", 1754006400300000000, 1754006401900000000, ok, "LLM", 0},
		{tid.String(), id("parse-run"), id("llm-run"), "parse", 1754006401800000000, 1754006401850000000, ok, "PARSER", 0},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	for _, s := range tr.Spans {
		if rawAttr(s, "langsmith.trace_id") != "root-run" {
			t.Errorf("%s: langsmith.trace_id %q", s.Name(), rawAttr(s, "langsmith.trace_id"))
		}
	}
	var total int64
	for _, s := range tr.Spans {
		if u, ok := s.TokenUsage(); ok {
			total += u.TotalTokens
		}
	}
	if total != 12 {
		t.Errorf("token total %d: the roll-up on the root is counted", total)
	}
}

// The real LangSmith fixture: synthetic totals that do not add up, which
// the reader says.
func TestLangSmithSample(t *testing.T) {
	path := sharedSample(t, "langchain-ai-langsmith-fetch__*.json")
	doc, tr := decodeOneTrace(t, path)
	wantWarn := []string{"langchain-ai-langsmith-fetch__tests_fixtures_sample_runs_flat.json:3:5: root run \"handleEpicChat\": total_tokens 705401 and total_cost 0.4614 differ from the sums over its 1 llm and embedding runs (200000, 0.15): parent runs carry roll-ups, so only llm and embedding runs get mlflow.chat.tokenUsage"}
	if diff := cmp.Diff(wantWarn, allWarnings([]*Document{doc})); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	tid, _ := textTraceID("root-uuid-1234")
	id := func(s string) string { x, _ := textSpanID(s); return x.String() }
	got := summarize([]*Document{doc})[0].Traces[0]
	want := traceSum{ID: tid.MLflowID(), Spans: []spanSum{
		{tid.String(), id("root-uuid-1234"), "", "handleEpicChat", 1736510400000000000, 1736510632120000000, ok, "CHAIN", 0},
		{tid.String(), id("child-uuid-1"), id("root-uuid-1234"), "generateEpicResponse", 1736510401000000000, 1736510520000000000, ok, "CHAIN", 0},
		{tid.String(), id("child-uuid-2"), id("root-uuid-1234"), "processToolCalls", 1736510521000000000, 1736510580000000000, ok, "TOOL", 0},
		{tid.String(), id("grandchild-uuid-1"), id("child-uuid-1"), "createStreamChat", 1736510405000000000, 1736510490000000000, ok, "LLM", 0},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	var usages []TokenUsage
	for _, s := range tr.Spans {
		if u, ok := s.TokenUsage(); ok {
			usages = append(usages, u)
		}
	}
	if diff := cmp.Diff([]TokenUsage{{180000, 20000, 200000}}, usages); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	root := tr.Spans[0]
	if rawAttr(root, "langsmith.first_token_time") != "1736510401500000000" || rawAttr(root, "metadata.thread_id") != "test-thread-123" ||
		rawAttr(root, "langsmith.total_tokens") != "705401" {
		t.Errorf("root %v", root.Attributes().List())
	}
	if info := tr.Info; info.State != StateOK || info.ExecutionDuration != 232120*time.Millisecond || !info.Derived {
		t.Errorf("info %+v", info)
	}
}

// Runs without a trace_id whose root is elsewhere, a parent cycle among
// them, and a long chain: each run's trace is resolved once, with one
// warning, and the chain takes linear time.
func TestLangSmithUnknownRoots(t *testing.T) {
	docs, err := DecodeAll(strings.NewReader(`{"runs":[
		{"id":"a","run_type":"chain","parent_run_id":"b","start_time":"2025-01-01T00:00:00Z","end_time":"2025-01-01T00:00:01Z"},
		{"id":"b","run_type":"chain","parent_run_id":"a","start_time":"2025-01-01T00:00:00Z","end_time":"2025-01-01T00:00:01Z"},
		{"id":"c","run_type":"tool","parent_run_id":"elsewhere","start_time":"2025-01-01T00:00:00Z","end_time":"2025-01-01T00:00:01Z"}]}`), "runs")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"runs:2:3: 3 runs have no trace_id and their root run is not in this document: grouped by their topmost parent's id"}
	if diff := cmp.Diff(want, allWarnings(docs)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if n := len(docs[0].Traces); n != 2 {
		t.Errorf("%d traces, want the cycle's and the one under \"elsewhere\"", n)
	}
	elsewhere, _ := textTraceID("elsewhere")
	for _, s := range allSpans(docs) {
		if (rawAttr(s, "langsmith.run_id") == "c") != (s.TraceID() == elsewhere) {
			t.Errorf("run %s is in trace %s", rawAttr(s, "langsmith.run_id"), s.TraceID())
		}
	}

	var b strings.Builder
	b.WriteString(`{"runs":[`)
	const n = 20000
	for i := n - 1; i >= 0; i-- {
		parent := "null"
		if i > 0 {
			parent = fmt.Sprintf(`"r%d"`, i-1)
		}
		fmt.Fprintf(&b, `{"id":"r%d","run_type":"chain","parent_run_id":%s,"start_time":"2025-01-01T00:00:00Z"}`, i, parent)
		if i > 0 {
			b.WriteByte(',')
		}
	}
	b.WriteString(`]}`)
	start := time.Now()
	docs, err = DecodeAll(strings.NewReader(b.String()), "chain")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs[0].Traces) != 1 || len(docs[0].Traces[0].Spans) != n {
		t.Fatalf("%d traces", len(docs[0].Traces))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a chain of %d runs took %v", n, d)
	}
}
