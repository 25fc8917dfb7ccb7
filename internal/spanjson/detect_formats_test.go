package spanjson

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedSamplesDir holds real trace files beside the checkout
// (../shared/samples); tests over them skip when it is absent.
const sharedSamplesDir = "../../../shared/samples"

// The detection of every file the tests know: no new shape (Jaeger,
// Zipkin) is taken for an old one, and no old one for a new one.
func TestDetectEveryFixture(t *testing.T) {
	want := map[string]string{ // file → "schema|shape" of each document, "" for a file that does not decode
		"array_of_spans.json":       "mlflow-v3|array of MLflow 3 spans",
		"array_of_traces.json":      "mlflow-v3|array of MLflow 3 trace",
		"concatenated.json":         "mlflow-v3|MLflow 3 trace,mlflow-v3|MLflow 3 TraceData,mlflow-v2|MLflow 2 TraceData",
		"databricks_envelope.json":  "mlflow-v3|Databricks serving envelope",
		"mlflow2_full_trace.json":   "mlflow-v2|MLflow 2 trace",
		"mlflow3_error_trace.json":  "mlflow-v3|MLflow 3 trace",
		"mlflow3_uc_trace.json":     "mlflow-v3|MLflow 3 trace",
		"rest_v3_trace.json":        "mlflow-rest-v3|MLflow REST v3 trace",
		"several_traces.jsonl":      "mlflow-v3|MLflow 3 trace,mlflow-v2|MLflow 2 TraceData,mlflow-v3|MLflow 3 TraceData",
		"bad_json.json":             "",
		"bad_line.jsonl":            "mlflow-v3|MLflow 3 trace",
		"empty.json":                "",
		"truncated.json":            "",
		"unknown_shape.json":        "",
		"jaeger_query.json":         "jaeger|Jaeger query API response",
		"jaeger_spans.json":         "jaeger|array of Jaeger spans",
		"jaeger_trace.json":         "jaeger|Jaeger trace",
		"jaeger_v3.json":            "otlp|Jaeger v3 API response (OTLP JSON)",
		"zipkin_span.json":          "zipkin|Zipkin v2 span",
		"zipkin_spans.json":         "zipkin|array of Zipkin v2 spans",
		"zipkin_unshared_pair.json": "zipkin|array of Zipkin v2 spans",
		"console_array.json":        "otel-console|array of OpenTelemetry console records,otel-console|OpenTelemetry console log records",
		"console_bad_time.json":     "otel-console|OpenTelemetry console dump",
		"console_old_sdk.json":      "otel-console|OpenTelemetry console dump",
		"console_snapshot.json":     "otel-console|OpenTelemetry console dump,otel-console|OpenTelemetry console dump,otel-console|OpenTelemetry console dump,otel-console|OpenTelemetry console dump",
		"console_trace.json":        "otel-console|OpenTelemetry console dump,otel-console|OpenTelemetry console dump,otel-console|OpenTelemetry console log records",
		"langfuse_api_trace.json":   "langfuse|Langfuse API trace",
		"langfuse_export.json":      "langfuse|Langfuse trace export",
		"langsmith_nested.json":     "langsmith|LangSmith runs",
		"langsmith_runs.jsonl":      "langsmith|LangSmith run,langsmith|LangSmith run,langsmith|LangSmith run,langsmith|LangSmith run",
		// ../../testdata/otlp
		"opaque_ids.json": "otlp|OTLP JSON",
		"snake_case.json": "otlp|OTLP JSON",
		"two_traces.json": "otlp|OTLP JSON",
		// coreSamples, in ../shared/samples when it is there
		"mlflow-mlflow-export-import__samples_oss_mlflow_bulk_prompts_my-greeting-prompt_v1_prompt.json": "",
		"mlflow-mlflow-website__bedrock-chat-model-part-1_trace_excerpt.json":                            "mlflow-v2|MLflow 2 TraceData",
		"mnorberg-dev-mnorberg-dev.github.io__databricks_output_trace_ok.json":                           "mlflow-v3|MLflow 3 trace",
		"open-telemetry-opentelemetry-proto__examples_trace.json":                                        "otlp|OTLP JSON",
		"open-telemetry-opentelemetry-specification__file-exporter_traces_example.jsonl":                 "otlp|OTLP JSON,otlp|OTLP JSON,otlp|OTLP JSON,otlp|OTLP JSON",
	}
	var files []string
	for _, pat := range []string{fixturesDir + "/*.json*", "../../testdata/otlp/*.json*"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	samples := presentSamples(t, coreSamples...)
	if len(samples) == 0 {
		t.Logf("no %s beside the checkout: the fixtures only", sharedSamplesDir)
		for _, s := range coreSamples {
			delete(want, s)
		}
	}
	seen := 0
	for _, f := range append(files, samples...) {
		base := filepath.Base(f)
		w, ok := want[base]
		if !ok {
			t.Errorf("%s: no expected shape in this test: add it", base)
			continue
		}
		seen++
		if got := detected(t, f); got != w {
			t.Errorf("%s: detected %q, want %q", base, got, w)
		}
	}
	if seen != len(want) {
		t.Errorf("%d files checked, %d expected: a fixture is missing", seen, len(want))
	}
}

// detected decodes a file and lists its documents' schema|shape.
func detected(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, _ := DecodeAll(f, filepath.Base(path))
	var out []string
	for _, d := range docs {
		out = append(out, string(d.Schema)+"|"+d.Shape)
	}
	return strings.Join(out, ",")
}

// The real samples: Jaeger files are Jaeger, Zipkin files Zipkin, and no
// other file (MLflow, OTLP, console dumps, Langfuse, LangSmith) is taken
// for either.
func TestDetectSharedSamples(t *testing.T) {
	files, _ := filepath.Glob(sharedSamplesDir + "/*.json*")
	if len(files) == 0 {
		t.Skip("no samples in " + sharedSamplesDir)
	}
	for _, f := range files {
		base := filepath.Base(f)
		got := detected(t, f)
		var want Schema
		switch {
		case strings.HasPrefix(base, "jaegertracing-"):
			want = SchemaJaeger
		case strings.HasPrefix(base, "openzipkin-"), strings.Contains(base, "zipkinreceiver"):
			want = SchemaZipkin
		}
		for _, doc := range strings.Split(got, ",") {
			schema := Schema(strings.SplitN(doc, "|", 2)[0])
			switch {
			case want != SchemaUnknown && schema != want:
				t.Errorf("%s: detected %q, want %s", base, got, want)
			case want == SchemaUnknown && (schema == SchemaJaeger || schema == SchemaZipkin):
				t.Errorf("%s: detected %q: not a Jaeger or Zipkin file", base, got)
			}
		}
	}
}

// Near misses between the shapes, both ways.
func TestDetectNearMisses(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // "schema|shape", or "error: <part of the message>"
	}{
		{"OTLP-style span array is MLflow 3, not Zipkin", `[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"x"}]`, "mlflow-v3|array of MLflow 3 spans"},
		{"MLflow 3 span array", `[{"trace_id":"CvdlGRbNQ92ESOshHIAxnA==","span_id":"t61rcWkgMzE=","name":"x"}]`, "mlflow-v3|array of MLflow 3 spans"},
		{"MLflow 2 span array", `[{"context":{"trace_id":"0x1","span_id":"0x2"},"name":"x"}]`, "mlflow-v2|array of MLflow 2 spans"},
		{"MLflow TraceData beside a traceID member", `{"traceID":"1","spans":[{"span_id":"t61rcWkgMzE=","name":"x"}]}`, "mlflow-v3|MLflow 3 TraceData"},
		{"MLflow trace with data object", `{"info":{"trace_id":"tr-1"},"data":{"spans":[]}}`, "mlflow-v3|MLflow 3 trace"},
		{"data array alone is no Jaeger response", `{"data":[]}`, `error: "data" is not an object`},
		{"list endpoint of another tool", `{"data":[{"id":"x","name":"y"}],"meta":{"page":1}}`, `error: "data" is not an object`},
		{"empty Jaeger response", `{"data":[],"total":0,"limit":0,"offset":0,"errors":null}`, "jaeger|Jaeger query API response"},
		{"Jaeger trace, spans listed before traceID", `{"spans":[{"spanID":"1","operationName":"x"}],"traceID":"1"}`, "jaeger|Jaeger trace"},
		{"Jaeger trace without spans", `{"traceID":"1","spans":[]}`, "jaeger|Jaeger trace"},
		{"array of Jaeger traces", `[{"traceID":"1","spans":[{"spanID":"1","operationName":"x"}]}]`, "jaeger|array of Jaeger trace"},
		{"one Jaeger span", `{"traceID":"1","spanID":"2","operationName":"x"}`, "jaeger|Jaeger span"},
		{"Jaeger v3", `{"result":{"resourceSpans":[]}}`, "otlp|Jaeger v3 API response (OTLP JSON)"},
		{"result without OTLP", `{"result":{"spans":[]}}`, "error: unknown document shape"},
		{"Zipkin list", `[{"traceId":"1","id":"2"}]`, "zipkin|array of Zipkin v2 spans"},
		{"Zipkin span", `{"traceId":"1","id":"2","timestamp":1}`, "zipkin|Zipkin v2 span"},
		{"traceId and id alone are no span", `{"traceId":"1","id":"2"}`, "error: unknown document shape"},
		{"Zipkin v1", `[{"traceId":"1","id":"2","binaryAnnotations":[]}]`, "error: Zipkin v1 spans"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := DecodeAll(strings.NewReader(tt.in), "in.json")
			if msg, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Fatalf("error %v, want one with %q", err, msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(docs[0].Schema) + "|" + docs[0].Shape; got != tt.want {
				t.Errorf("detected %q, want %q", got, tt.want)
			}
		})
	}
}
