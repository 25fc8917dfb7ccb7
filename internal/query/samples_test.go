package query

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"tracectl/internal/ingest"
	"tracectl/internal/spanjson"
)

// sharedSamples holds the real trace files beside the checkout
// (../shared/samples); the tests over them skip when it is absent.
const sharedSamples = "../../../shared/samples"

// sampleTraces reads one real sample through ingest, as the commands do.
func sampleTraces(t *testing.T, name string) []*Trace {
	t.Helper()
	path := filepath.Join(sharedSamples, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("sample %s absent: %v", name, err)
	}
	var out []*Trace
	ins := []ingest.Input{{Name: path, Path: path}}
	err := ingest.Read(context.Background(), ins, ingest.Options{Warn: func(spanjson.Warning) {}, Tree: true}, func(tr *ingest.Trace) error {
		out = append(out, NewTrace(tr.Trace, tr.Tree))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEvalOnRealSamples(t *testing.T) {
	const (
		openaiAgents = "langfuse-langfuse__worker_src___tests___chatml_framework-traces_openai-agents-2025-09-30.trace.json"
		langgraph    = "langfuse-langfuse__worker_src___tests___chatml_framework-traces_langgraph-python-2025-08-22.trace.json"
		databricks   = "mnorberg-dev-mnorberg-dev.github.io__databricks_output_trace_ok.json"
		bedrock      = "mlflow-mlflow-website__bedrock-chat-model-part-1_trace_excerpt.json"
		genaiJaeger  = "jaegertracing-jaeger-ui__packages_jaeger-ui_src_components_TracePage_TraceTimelineViewer_genaiTestTrace.json"
		zipkinYelp   = "openzipkin-zipkin__zipkin-lens_testdata_yelp.json"
	)
	tests := []struct {
		file  string
		expr  string
		match bool
		spans int // selected spans; -1: do not check
	}{
		// Langfuse: observation types, models, scores as assessments
		{openaiAgents, `{ type = "AGENT" } > { type = "TOOL" && name = "get_weather" }`, true, 1},
		{openaiAgents, `{ type = "CHAT_MODEL" } | count() = 2`, true, -1},
		{openaiAgents, `{ model =~ "gpt-4\\.1.*" } | count() = 2`, true, -1},
		{openaiAgents, `{ model !~ "gpt-4\\.1.*|gpt-4o.*" }`, false, 0},
		{openaiAgents, `{ assessment.toxicity > 0.5 }`, true, -1},
		{openaiAgents, `{ assessment.hallucination = 0 }`, true, -1},
		{langgraph, `{ assessment.hallucination < 0.2 && assessment.toxicity = 0 }`, true, -1},
		{langgraph, `{ model = "gpt-4o-2024-08-06" } | sum(total_tokens) > 0`, true, -1},
		// Databricks MLflow 3: token usage, an opaque trace id
		{databricks, `{} | sum(total_tokens) > 0`, true, -1},
		{databricks, `{ trace:id = "<redacted>" && trace:state = ok }`, true, 2},
		{databricks, `{ status = error }`, false, 0},
		// MLflow 2 (Bedrock): span types
		{bedrock, `{ type = "CHAT_MODEL" }`, true, -1},
		// Jaeger GenAI trace: attributes, structure, errors deep down
		{genaiJaeger, `{ span.gen_ai.operation.name = "execute_tool" } >> { status = error }`, true, 1},
		{genaiJaeger, `{ span.gen_ai.tool.name = "search_traces" } | count() >= 2`, true, -1},
		{genaiJaeger, `{ span.gen_ai.usage.input_tokens > 0 } | count() > 0`, true, -1},
		{genaiJaeger, `{} | sum(input_tokens) > 0`, true, -1},
		{genaiJaeger, `{ trace:duration > 40s }`, true, -1},
		// Zipkin: kinds and resource (service) attributes
		{zipkinYelp, `{ kind = server }`, true, -1},
		{zipkinYelp, `{ resource.service.name = "spectre" }`, true, -1},
	}
	cache := map[string][]*Trace{}
	for _, tt := range tests {
		traces, ok := cache[tt.file]
		if !ok {
			traces = sampleTraces(t, tt.file)
			cache[tt.file] = traces
		}
		if len(traces) != 1 {
			t.Fatalf("%s: %d traces, want 1", tt.file, len(traces))
		}
		r := MustParse(tt.expr).Eval(traces[0])
		if r.Match != tt.match || tt.spans >= 0 && len(r.Spans) != tt.spans {
			t.Errorf("%s on %s: match %v, %d spans; want %v, %d", tt.expr, tt.file[:20], r.Match, len(r.Spans), tt.match, tt.spans)
		}
	}
}
