package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGoldenDiffFixtures: the text, terminal and JSON views of the
// hand-made variants against the base.
func TestGoldenDiffFixtures(t *testing.T) {
	for _, v := range []string{"same", "slower", "removed", "added", "failing", "loop", "tokens"} {
		args := []string{"diff", "testdata/diff/base.json", "testdata/diff/" + v + ".json"}
		t.Run(v, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata/golden/diff", v), goldenRun(t, false, args...))
			checkGolden(t, filepath.Join("testdata/golden/diff", v+".json"), goldenRun(t, false, append([]string{"diff", "-o", "json"}, args[1:]...)...))
		})
	}
	t.Run("io", func(t *testing.T) {
		checkGolden(t, "testdata/golden/diff/io", goldenRun(t, false, "diff", "--io", "testdata/diff/base.json", "testdata/diff/io.json"))
	})
	t.Run("tty", func(t *testing.T) {
		checkGolden(t, "testdata/golden/diff/failing.tty", goldenRun(t, true, "diff", "--fail-on", "new-errors", "testdata/diff/base.json", "testdata/diff/failing.json"))
		checkGolden(t, "testdata/golden/diff/slower.tty", goldenRun(t, true, "diff", "--max-slower", "20%", "testdata/diff/base.json", "testdata/diff/slower.json"))
	})
}

// TestGoldenDiffSamples: real traces. Two Jaeger UI fixtures of one trace
// that differ in their children; the 57-span GenAI trace against itself
// (no changes); two Langfuse exports of different frameworks (nothing
// aligns but the totals); runs made of them.
func TestGoldenDiffSamples(t *testing.T) {
	const (
		overlap = "jaegertracing-jaeger-ui__packages_jaeger-ui_src_components_TracePage_TraceStatistics_tableValuesTestTrace_traceWithOverlappingChildrenLongerThanParent.json"
		single  = "jaegertracing-jaeger-ui__packages_jaeger-ui_src_components_TracePage_TraceStatistics_tableValuesTestTrace_traceWithSingleChildLongerThanParentAndStartsAfterParent.json"
		genai   = "jaegertracing-jaeger-ui__packages_jaeger-ui_src_components_TracePage_TraceTimelineViewer_genaiTestTrace.json"
		agents  = "langfuse-langfuse__worker_src___tests___chatml_framework-traces_openai-agents-2025-09-30.trace.json"
		graph   = "langfuse-langfuse__worker_src___tests___chatml_framework-traces_langgraph-python-2025-08-22.trace.json"
	)
	if _, err := os.Stat(filepath.Join(repoAbs, sharedSamplesDir)); err != nil {
		t.Skipf("no %s beside the checkout: %v", sharedSamplesDir, err)
	}
	s := func(f string) string { return filepath.Join(sharedSamplesDir, f) }
	for _, c := range []struct {
		name string
		tty  bool
		args []string
	}{
		{"jaeger-children", false, []string{"diff", s(overlap), s(single)}},
		{"jaeger-children.tty", true, []string{"diff", s(overlap), s(single)}},
		{"jaeger-children.json", false, []string{"diff", "-o", "json", s(overlap), s(single)}},
		{"genai-jaeger-self", false, []string{"diff", "--io", "--fail-on", "new-errors,missing-spans", s(genai), s(genai)}},
		{"langfuse-frameworks", false, []string{"diff", s(agents), s(graph)}},
		{"langfuse-frameworks.json", false, []string{"diff", "-o", "json", "--max-tokens", "+10%", s(agents), s(graph)}},
		{"runs-by-name", false, []string{"diff", "--base", s(genai), "--base", s(agents), "--candidate", s(genai), "--candidate", s(graph), "--key", "trace-name"}},
		{"runs-by-model.json", false, []string{"diff", "-o", "json", "--base", s(genai), "--candidate", s(genai), "--by", "model", "--max-slower", "20%"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata/golden/diff-samples", c.name), goldenRun(t, c.tty, c.args...))
		})
	}
}
