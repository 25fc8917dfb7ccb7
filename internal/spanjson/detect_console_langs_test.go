package spanjson

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

var (
	oldSchemas = []Schema{SchemaMLflowV2, SchemaMLflowV3, SchemaMLflowREST, SchemaOTLP, SchemaJaeger, SchemaZipkin}
	newSchemas = []Schema{SchemaOTelConsole, SchemaLangfuse, SchemaLangSmith}
)

// newSchemaOf is the schema a file of the new shapes must be read in,
// from its name; "" for every other file.
func newSchemaOf(base string) Schema {
	switch {
	case strings.HasPrefix(base, "console_"), strings.Contains(base, "_console-"), strings.HasPrefix(base, "Arize-ai-phoenix__"):
		return SchemaOTelConsole
	case strings.HasPrefix(base, "langfuse"):
		return SchemaLangfuse
	case strings.HasPrefix(base, "langsmith_"), strings.HasPrefix(base, "langchain-ai-langsmith"):
		return SchemaLangSmith
	}
	return ""
}

// No new shape is taken for an old one, nor the reverse: every fixture and
// every MLflow or OTLP sample of coreSamples keeps its old schema (or its
// error), every file of the new shapes gets its own, and the other real
// samples (Jaeger, Zipkin) are never taken for one of the new shapes.
func TestDetectionKeepsShapesApart(t *testing.T) {
	var files []string
	for _, pat := range []string{fixturesDir + "/*.json*", "../../testdata/otlp/*.json", sharedSamples + "/*.json*"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	seenNew := map[Schema]int{}
	for _, path := range files {
		base := filepath.Base(path)
		// the core samples are MLflow and OTLP: held to the old schemas
		// like the fixtures; the other shared ones may be of any
		shared := strings.HasPrefix(path, sharedSamples) && !slices.Contains(coreSamples, base)
		t.Run(base, func(t *testing.T) {
			docs, err := decodeFile(t, path)
			want := newSchemaOf(base)
			if err != nil {
				if want != "" {
					t.Fatalf("a %s file does not decode: %v", want, err)
				}
				return // bad_json, truncated, unknown shapes (Jaeger, Zipkin, …): not ours
			}
			for _, d := range docs {
				switch {
				case want != "" && d.Schema != want:
					t.Errorf("document at line %d read as %s (%s), want %s", d.Line, d.Schema, d.Shape, want)
				case want == "" && slices.Contains(newSchemas, d.Schema):
					t.Errorf("document at line %d taken for %s (%s)", d.Line, d.Schema, d.Shape)
				case want == "" && !shared && !slices.Contains(oldSchemas, d.Schema) && len(d.Traces) > 0:
					t.Errorf("document at line %d read as %s", d.Line, d.Schema)
				}
			}
			if want != "" {
				seenNew[want]++
			}
		})
	}
	for _, s := range newSchemas {
		if seenNew[s] == 0 {
			t.Errorf("no file of schema %s was checked", s)
		}
	}
}

// Documents that sit on the border between shapes.
func TestDetectionBorders(t *testing.T) {
	tests := []struct {
		name, doc string
		want      Schema // SchemaUnknown: a shape error
	}{
		{"MLflow 2 span: integer times, flat status", `{"name":"a","context":{"trace_id":"0x0af7651916cd43dd8448eb211c80319c","span_id":"0x00f067aa0ba902b7"},"parent_id":null,"start_time":1,"end_time":2,"status_code":"OK","attributes":{}}`, SchemaMLflowV2},
		{"MLflow 2 span: times as decimal strings", `[{"name":"a","context":{"trace_id":"0x0af7651916cd43dd8448eb211c80319c","span_id":"0x00f067aa0ba902b7"},"start_time":"1","end_time":"2"}]`, SchemaMLflowV2},
		{"console span: kind only", `{"name":"a","context":{"trace_id":"0x0af7651916cd43dd8448eb211c80319c","span_id":"0x00f067aa0ba902b7"},"kind":"SpanKind.INTERNAL"}`, SchemaOTelConsole},
		{"console snapshot: ISO start, end null", `{"name":"a","context":{"trace_id":"0x0af7651916cd43dd8448eb211c80319c","span_id":"0x00f067aa0ba902b7"},"start_time":"2025-01-01T00:00:00.000001Z","end_time":null}`, SchemaOTelConsole},
		{"console log record alone", `{"body":"x","severity_text":"INFO","trace_id":"0x0af7651916cd43dd8448eb211c80319c","span_id":"0x00f067aa0ba902b7"}`, SchemaOTelConsole},
		{"MLflow 3 span with a status object", `{"trace_id":"CvdlGRbNQ92ESOshHIAxnA==","span_id":"APBnqgupArc=","status":{"code":"STATUS_CODE_OK"},"start_time_unix_nano":1}`, SchemaMLflowV3},
		{"MLflow REST trace in trace", `{"trace":{"trace_info":{"trace_id":"tr-1"},"spans":[]}}`, SchemaMLflowREST},
		{"Langfuse observations only", `{"observations":[{"id":"0a0b0c0d0e0f1011","traceId":"7d0c3bc6a9e1f2a4b5c6d7e8f9a0b1c2","type":"SPAN","startTime":"2025-01-01T00:00:00Z"}]}`, SchemaLangfuse},
		{"Langfuse trace without observations", `{"trace":{"id":"x","projectId":"p","timestamp":"2025-01-01T00:00:00Z"}}`, SchemaLangfuse},
		{"LangSmith empty runs", `{"runs":[]}`, SchemaLangSmith},
		{"MLflow search-runs answer is no LangSmith", `{"runs":[{"info":{"run_id":"r"},"data":{}}]}`, SchemaUnknown},
		{"run_type without a parent link is no run", `{"id":"r","run_type":"chain"}`, SchemaUnknown},
		{"LangSmith run per line", `{"id":"r","run_type":"chain","trace_id":"r","start_time":"2025-01-01T00:00:00"}`, SchemaLangSmith},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := DecodeAll(strings.NewReader(tt.doc), "border")
			if tt.want == SchemaUnknown {
				if err == nil {
					t.Fatalf("decoded as %s, want a shape error", docs[0].Schema)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if docs[0].Schema != tt.want {
				t.Errorf("read as %s (%s), want %s", docs[0].Schema, docs[0].Shape, tt.want)
			}
		})
	}
}

// The schemas tracectl only reads cannot be written: a clear error, and
// every trace of them converts to v3, v2 and OTLP.
func TestNewSchemasConvert(t *testing.T) {
	for _, name := range []string{"console_trace.json", "langfuse_export.json", "langsmith_nested.json"} {
		docs, err := decodeFile(t, fixturesDir+"/"+name)
		if err != nil {
			t.Fatal(err)
		}
		tr := &docs[0].Traces[0]
		_, _, err = AppendTrace(nil, docs[0].Schema, tr)
		if err == nil || !strings.Contains(err.Error(), "tracectl reads it but writes only") {
			t.Errorf("%s: same-schema write: %v", name, err)
		}
		for _, s := range []Schema{SchemaMLflowV3, SchemaMLflowV2, SchemaOTLP} {
			out, _, err := AppendTrace(nil, s, tr)
			if err != nil {
				t.Fatalf("%s as %s: %v", name, s, err)
			}
			back, err := DecodeAll(bytes.NewReader(out), "back")
			if err != nil || back[0].Schema != s {
				t.Fatalf("%s as %s reads back as %v: %v", name, s, back, err)
			}
		}
	}
	// Langfuse info is read, not derived: what OTLP cannot carry is lost.
	docs, _ := decodeFile(t, fixturesDir+"/langfuse_export.json")
	_, losses, _ := AppendTrace(nil, SchemaOTLP, &docs[0].Traces[0])
	for _, f := range []string{"info.assessments", "info.trace_metadata", "info.tags"} {
		if !slicesContainField(losses, f) {
			t.Errorf("OTLP losses %v lack %s", losses, f)
		}
	}
	_, losses, _ = AppendTrace(nil, SchemaMLflowV3, &docs[0].Traces[0])
	for _, l := range losses {
		if strings.HasPrefix(l.Field, "info.") {
			t.Errorf("v3 loses %s", l.Field)
		}
	}
}

// spanKeys lists what must survive a write and a read: ids (with ids,
// see hasOpaqueIDs), name (as JSON can carry it: a byte that is not UTF-8
// becomes U+FFFD), times and status, in a fixed order (an OTLP write
// groups spans by resource).
func spanKeys(spans []Span, ids bool) []string {
	out := make([]string, 0, len(spans))
	for _, s := range spans {
		key := fmt.Sprintf("%q %d-%d %s", asWritten(s.Name()), s.StartTime(), s.EndTime(), s.Status().Code)
		if ids {
			key = fmt.Sprintf("%s/%s/%s %s", s.TraceID(), s.SpanID(), s.ParentID(), key)
		}
		out = append(out, key)
	}
	slices.Sort(out)
	return out
}

// hasOpaqueIDs reports whether a span of spans has an id that could not be
// decoded. Its text is written back as it was read, and a text that
// happens to be a valid id of the target schema (22 characters of base64
// in MLflow v3) reads back as that id, not as the stand-in.
func hasOpaqueIDs(spans []Span) bool {
	for _, s := range spans {
		if o := s.Data().Opaque; o != nil && (o.TraceID != "" || o.SpanID != "" || o.ParentID != "") {
			return true
		}
	}
	return false
}

// checkWritesBack is the body of the new readers' fuzz targets: decoding
// never panics, every trace holds spans of one trace id, and every trace
// decoded writes as MLflow v3 and as OTLP to valid JSON that reads back
// with the same spans (ids unless one was undecodable, name, times,
// status).
func checkWritesBack(t *testing.T, data []byte) {
	docs, err := DecodeAll(bytes.NewReader(data), "fuzz")
	if err != nil {
		return
	}
	for _, d := range docs {
		for i := range d.Traces {
			tr := &d.Traces[i]
			for _, s := range tr.Spans {
				if s.TraceID() != tr.Spans[0].TraceID() {
					t.Fatalf("trace %q holds spans of %s and %s", tr.Info.TraceID, tr.Spans[0].TraceID(), s.TraceID())
				}
			}
			ids := !hasOpaqueIDs(tr.Spans)
			want := spanKeys(tr.Spans, ids)
			for _, schema := range []Schema{SchemaMLflowV3, SchemaOTLP} {
				out, _, err := AppendTrace(nil, schema, tr)
				if err != nil {
					t.Fatalf("write %s: %v", schema, err)
				}
				if !gjson.ValidBytes(out) {
					t.Fatalf("write %s: invalid JSON %s", schema, out)
				}
				back, err := DecodeAll(bytes.NewReader(out), "back")
				if err != nil {
					t.Fatalf("re-reading the %s write: %v\n%s", schema, err, out)
				}
				if diff := cmp.Diff(want, spanKeys(allSpans(back), ids)); diff != "" {
					t.Fatalf("%s write and read changed the spans (-read +reread):\n%s\n%s", schema, diff, out)
				}
			}
		}
	}
}

// seedFiles adds the fixtures and shared samples matching the patterns.
func seedFiles(f *testing.F, patterns ...string) {
	for _, pat := range patterns {
		for _, dir := range []string{fixturesDir, sharedSamples} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			for _, p := range m {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
}

func FuzzDecodeConsole(f *testing.F) {
	seedFiles(f, "console_*.json", "*_console-*.json", "Arize-ai-phoenix__*.json")
	f.Add([]byte(`{"name":"a","context":{"trace_id":"0x1","span_id":"zz"},"kind":"SpanKind.X","parent_id":"0x2","start_time":"2025-13-01T00:00:00Z","end_time":123,"status":"ERROR","events":[{"timestamp":null}],"links":[{"context":7}],"resource":{"attributes":[1]}}`))
	f.Add([]byte(`[{"context":{},"start_time":"x"},{"body":1,"severity_text":2},3]`))
	f.Fuzz(checkWritesBack)
}

func FuzzDecodeLangfuse(f *testing.F) {
	seedFiles(f, "langfuse*.json")
	f.Add([]byte(`{"trace":{"id":"t","projectId":"p","latency":-1,"timestamp":5,"scores":[{"dataType":"BOOLEAN","value":1.5},{"stringValue":7},3]},"observations":[{"id":"a","parentObservationId":"a","type":"EVENT","startTime":"2025-01-01T00:00:00Z","metadata":"{\"resourceAttributes\":[],\"scope\":1}"},{"id":"b","startTime":null},{"id":"c"}]}`))
	f.Fuzz(checkWritesBack)
}

func FuzzDecodeLangSmith(f *testing.F) {
	seedFiles(f, "langsmith_*.json*", "langchain-ai-langsmith-fetch__*.json")
	f.Add([]byte(`{"runs":[{"id":"a","run_type":"llm","parent_run_id":"b","start_time":1e400,"total_tokens":"x","error":"e"},{"id":"b","run_type":"tool","parent_run_id":"a","dotted_order":"Z.Z","child_runs":[{"id":"c"}]}]}`))
	f.Fuzz(checkWritesBack)
}
