package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tracectl/internal/render"
)

// sharedSamplesDir holds the real sample traces beside the checkout
// (../shared/samples, from the repository root; see its SOURCES.md). They
// are never copied into the repository: the tests over them skip when the
// folder is absent, and the tests that must run anywhere read the
// repository's own fixtures (testdata/demo, testdata/insight, …).
const sharedSamplesDir = "../shared/samples"

// samplePath returns the path, from the repository root, of a file of
// sharedSamplesDir, and skips the test when that folder is not beside the
// checkout. A folder that is there but lacks the file fails the test.
func samplePath(t testing.TB, file string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(repoAbs, sharedSamplesDir)); err != nil {
		t.Skipf("no %s beside the checkout: %v", sharedSamplesDir, err)
	}
	p := filepath.Join(sharedSamplesDir, file)
	if _, err := os.Stat(filepath.Join(repoAbs, p)); err != nil {
		t.Fatalf("%s is beside the checkout but lacks %s: %v", sharedSamplesDir, file, err)
	}
	return p
}

// goldenSamples names each real MLflow and OTLP sample of sharedSamplesDir
// for its golden files.
var goldenSamples = []struct{ name, file string }{
	{"databricks", "mnorberg-dev-mnorberg-dev.github.io__databricks_output_trace_ok.json"},
	{"bedrock-v2", "mlflow-mlflow-website__bedrock-chat-model-part-1_trace_excerpt.json"},
	{"otlp-proto", "open-telemetry-opentelemetry-proto__examples_trace.json"},
	{"otlp-jsonl", "open-telemetry-opentelemetry-specification__file-exporter_traces_example.jsonl"},
	{"prompt", "mlflow-mlflow-export-import__samples_oss_mlflow_bulk_prompts_my-greeting-prompt_v1_prompt.json"},
}

// goldenCommands are the command lines run over every sample.
var goldenCommands = []struct {
	name string
	args []string
}{
	{"show", []string{"show"}},
	{"show-errors-only", []string{"show", "--errors-only"}},
	{"show-attributes-events", []string{"show", "--attributes", "--events", "--no-fold"}},
	{"show.json", []string{"show", "-o", "json", "--attributes", "--events"}},
	{"roots", []string{"roots"}},
	{"roots.json", []string{"roots", "-o", "json"}},
	{"status", []string{"status"}},
	{"status.jsonl", []string{"status", "-o", "jsonl"}},
	{"preview", []string{"preview"}},
	{"preview.json", []string{"preview", "-o", "json"}},
	{"spans", []string{"spans"}},
	{"spans.json", []string{"spans", "-o", "json"}},
	{"show-critical-path", []string{"show", "--critical-path"}},
	{"show-critical-path.json", []string{"show", "-o", "json", "--critical-path", "--errors-only"}},
	{"show-metadata", []string{"show", "--metadata"}},
	{"span", []string{"span", "--name", "*"}},
	{"span.json", []string{"span", "--name", "*", "-o", "json"}},
}

// goldenRun runs tracectl from the repository root (so sources print as
// ../shared/samples/… or testdata/…) and returns stdout, then stderr and
// the exit code.
func goldenRun(t *testing.T, tty bool, args ...string) []byte {
	t.Helper()
	width := 0
	if tty {
		width = 120
	}
	return goldenRunWidth(t, width, args...)
}

// goldenRunWidth is goldenRun on a terminal width columns wide (0: a
// pipe).
func goldenRunWidth(t *testing.T, width int, args ...string) []byte {
	t.Helper()
	t.Chdir(repoAbs)
	streams, _, out, errOut := render.Test()
	if width > 0 {
		streams.OutTTY = true
		streams.Width = width
		args = append([]string{"--color", "always"}, args...)
	}
	code := Main(args, streams)
	var b strings.Builder
	b.WriteString(out.String())
	if errOut.Len() > 0 || code != 0 {
		fmt.Fprintf(&b, "-- stderr --\n%s-- exit %d --\n", errOut.String(), code)
	}
	return []byte(b.String())
}

func TestGoldenSamples(t *testing.T) {
	for _, s := range goldenSamples {
		for _, c := range goldenCommands {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				args := append(append([]string(nil), c.args...), samplePath(t, s.file))
				checkGolden(t, filepath.Join("testdata/golden", s.name, c.name), goldenRun(t, false, args...))
			})
		}
		t.Run(s.name+"/show.tty", func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata/golden", s.name, "show.tty"), goldenRun(t, true, "show", samplePath(t, s.file)))
		})
	}
}

// TestGoldenMixedInputs reads every trace sample in one run: every schema
// mixed, in argument order.
func TestGoldenMixedInputs(t *testing.T) {
	files := goldenTraceSamples(t)
	for _, c := range []string{"roots", "status", "preview"} {
		t.Run(c, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata/golden/mixed", c), goldenRun(t, false, append([]string{c}, files...)...))
		})
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"stats", []string{"stats"}},
		{"stats-by-type.json", []string{"stats", "--by", "type", "-o", "json"}},
		{"stats-by-trace", []string{"stats", "--by", "trace"}},
		{"stats-by-file.jsonl", []string{"stats", "--by", "file", "-o", "jsonl"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata/golden/mixed", c.name), goldenRun(t, false, append(c.args, files...)...))
		})
	}
	t.Run("spans", func(t *testing.T) {
		checkGolden(t, "testdata/golden/mixed/spans-sorted-by-duration", goldenRun(t, false, append([]string{"spans", "--sort", "duration"}, files...)...))
	})
}

// goldenTraceSamples returns the paths of the goldenSamples that are
// traces (all but the prompt), skipping without sharedSamplesDir.
func goldenTraceSamples(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, s := range goldenSamples {
		if s.name != "prompt" {
			files = append(files, samplePath(t, s.file))
		}
	}
	return files
}

// genaiSamples are the real traces with GenAI attributes (formats-more.md
// §7): their goldens show the span types, models and tokens of the view.
var genaiSamples = []struct{ name, file string }{
	{"genai-jaeger", "jaegertracing-jaeger-ui__packages_jaeger-ui_src_components_TracePage_TraceTimelineViewer_genaiTestTrace.json"},
	{"genai-openinference", "Arize-ai-phoenix__docs_tracing_how-to-tracing_manual-instrumentation_README.md_llm-span.json"},
	{"genai-langsmith", "langchain-ai-langsmith-fetch__tests_fixtures_sample_runs_flat.json"},
	{"genai-langfuse-agents", "langfuse-langfuse__worker_src___tests___chatml_framework-traces_openai-agents-2025-09-30.trace.json"},
	{"genai-langfuse-langgraph", "langfuse-langfuse__worker_src___tests___chatml_framework-traces_langgraph-python-2025-08-22.trace.json"},
}

// TestGoldenStatsSharedSamples adds up every real sample beside the
// checkout in one run (the formats that are not traces give errors).
func TestGoldenStatsSharedSamples(t *testing.T) {
	var files []string
	for _, s := range genaiSamples {
		file := filepath.Join(sharedSamplesDir, s.file)
		if _, err := os.Stat(filepath.Join(repoAbs, file)); err != nil {
			t.Skipf("no %s beside the checkout: %v", sharedSamplesDir, err)
		}
		files = append(files, file)
	}
	for _, by := range []string{"name", "type", "model", "trace", "session"} {
		t.Run(by, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata/golden/genai-stats", "by-"+by), goldenRun(t, false, append([]string{"stats", "--by", by}, files...)...))
		})
	}
	t.Run("tty", func(t *testing.T) {
		checkGolden(t, "testdata/golden/genai-stats/by-model.tty", goldenRun(t, true, append([]string{"stats", "--by", "model"}, files...)...))
	})
}

func TestGoldenGenAISamples(t *testing.T) {
	for _, s := range genaiSamples {
		file := filepath.Join(sharedSamplesDir, s.file)
		if _, err := os.Stat(filepath.Join(repoAbs, file)); err != nil {
			t.Skipf("no %s beside the checkout: %v", sharedSamplesDir, err)
		}
		for _, c := range []struct {
			name string
			args []string
		}{
			{"show", []string{"show"}},
			{"show.json", []string{"show", "-o", "json", "--attributes"}},
			{"spans", []string{"spans"}},
			{"show-critical-path", []string{"show", "--critical-path"}},
			{"span", []string{"span", "--name", "*"}},
			{"stats-by-model", []string{"stats", "--by", "model"}},
		} {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				checkGolden(t, filepath.Join("testdata/golden", s.name, c.name), goldenRun(t, false, append(c.args, file)...))
			})
		}
	}
}

// insightFixtures are the hand-made traces of the span, critical-path,
// failure and layout views (testdata/insight).
var insightFixtures = []struct{ name, file string }{
	{"failing-agent", "testdata/insight/failing_agent.json"},
	{"deep30", "testdata/insight/deep30.json"},
}

func TestGoldenInsightViews(t *testing.T) {
	for _, f := range insightFixtures {
		for _, c := range []struct {
			name  string
			width int
			args  []string
		}{
			{"show", 0, []string{"show"}},
			{"show-critical-path", 0, []string{"show", "--critical-path"}},
			{"show-errors-only", 0, []string{"show", "--errors-only"}},
			{"show.json", 0, []string{"show", "-o", "json", "--critical-path", "--errors-only"}},
			{"show-metadata", 0, []string{"show", "--metadata"}},
			{"show.tty60", 60, []string{"show", "--critical-path"}},
			{"show.tty120", 120, []string{"show", "--critical-path"}},
			{"show.tty200", 200, []string{"show", "--critical-path"}},
			{"span", 0, []string{"span", "--name", "*"}},
			{"span.json", 0, []string{"span", "--name", "*", "-o", "json"}},
			{"span.tty", 120, []string{"span", "--name", "*"}},
			{"roots", 0, []string{"roots"}},
		} {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				checkGolden(t, filepath.Join("testdata/golden", f.name, c.name), goldenRunWidth(t, c.width, append(c.args, f.file)...))
			})
		}
	}
}
