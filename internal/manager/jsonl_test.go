package manager

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	"tracectl/internal/spanjson"
)

func TestJSONLExporterWritesMLflowV3Lines(t *testing.T) {
	tr, fake := newTestTracer(t)
	ctx, root := tr.StartSpan(context.Background(), "root", WithSpanType("CHAIN"), WithInputs(map[string]any{"q": "hi"}))
	_, child := tr.StartSpan(ctx, "child")
	child.End()
	root.SetOutputs("bye")
	root.End()
	mt := fake.all()[0]

	var buf bytes.Buffer
	e := NewJSONLExporter(&buf)
	if err := e.Export(context.Background(), mt); err != nil {
		t.Fatal(err)
	}
	if err := e.Export(context.Background(), mt); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if len(lines) != 3 || lines[2] != "" || lines[0] != lines[1] {
		t.Fatalf("want two equal lines each ending in a newline, got %q", buf.String())
	}
	line := lines[0]
	if !gjson.Valid(line) {
		t.Fatalf("line is not JSON: %s", line)
	}
	checks := map[string]string{
		"info.trace_id":                                       mt.Trace.Info.TraceID,
		"info.state":                                          "OK",
		"info.request_preview":                                `{"q":"hi"}`,
		"info.response_preview":                               `"bye"`,
		"info.tags.mlflow\\.traceName":                        "root",
		"data.spans.#":                                        "2",
		"data.spans.0.name":                                   "root",
		"data.spans.1.name":                                   "child",
		"data.spans.0.attributes.mlflow\\.spanType":           `"CHAIN"`,
		"data.spans.0.attributes.mlflow\\.spanInputs":         `{"q":"hi"}`,
		"data.spans.1.parent_span_id":                         mt.Trace.Spans[0].SpanID().Base64(),
		"info.trace_metadata.mlflow\\.trace_schema\\.version": "3",
	}
	for path, want := range checks {
		if got := gjson.Get(line, path).String(); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if got, want := gjson.Get(line, "data.spans.0.start_time_unix_nano").Int(), mt.Trace.Spans[0].StartTime(); got != want {
		t.Errorf("root start = %d, want %d", got, want)
	}

	// The line decodes back to the same trace.
	docs, err := spanjson.DecodeAll(strings.NewReader(line), "export.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || len(docs[0].Traces) != 1 {
		t.Fatalf("decoded %d documents", len(docs))
	}
	back := docs[0].Traces[0]
	if back.Info.TraceID != mt.Trace.Info.TraceID || len(back.Spans) != 2 || back.Spans[1].ParentID() != mt.Trace.Spans[0].SpanID() {
		t.Errorf("decoded trace differs: %+v", back.Info)
	}
}

func TestJSONLExporterForceFlushFlushesBufferedWriter(t *testing.T) {
	var out bytes.Buffer
	w := bufio.NewWriterSize(&out, 1<<16)
	e := NewJSONLExporter(w)
	tr := NewTracer(e, WithTracingEnabled(true))
	_, root := tr.StartSpan(context.Background(), "root")
	root.End()
	if out.Len() != 0 {
		t.Fatalf("the line reached the buffer before a flush: %q", out.String())
	}
	if err := tr.Close(); err != nil { // Close flushes the exporter
		t.Fatal(err)
	}
	if got := gjson.Get(out.String(), "info.trace_id").String(); got != root.TraceID() {
		t.Errorf("after Close the output holds trace %q, want %q (output %q)", got, root.TraceID(), out.String())
	}
}

// TestSpanProcessorToJSONLRoundTrip runs OTel SDK spans through the
// processor into MLflow v3 JSON Lines and reads the line back.
func TestSpanProcessorToJSONLRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	p := NewSpanProcessor(NewJSONLExporter(&buf), WithTracingEnabled(true))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("t")
	ctx, root := tracer.Start(context.Background(), "agent", oteltrace.WithAttributes(attribute.String("mlflow.spanInputs", `{"q":"hi"}`)))
	_, tool := tracer.Start(ctx, "tool", oteltrace.WithAttributes(attribute.String("gen_ai.operation.name", "execute_tool")))
	tool.RecordError(errors.New("no such file"))
	tool.SetStatus(codes.Error, "no such file")
	tool.End()
	root.End()

	docs, err := spanjson.DecodeAll(strings.NewReader(buf.String()), "out.jsonl")
	if err != nil {
		t.Fatalf("decoding %q: %v", buf.String(), err)
	}
	if len(docs) != 1 || docs[0].Schema != spanjson.SchemaMLflowV3 || len(docs[0].Traces) != 1 {
		t.Fatalf("decoded %d docs: %+v", len(docs), docs)
	}
	tr := docs[0].Traces[0]
	wantID := spanjson.TraceID(root.SpanContext().TraceID()).MLflowID()
	if tr.Info.TraceID != wantID || tr.Info.State != spanjson.StateOK || tr.Info.RequestPreview != `{"q":"hi"}` {
		t.Errorf("info = %+v", tr.Info)
	}
	if len(tr.Spans) != 2 {
		t.Fatalf("spans = %d", len(tr.Spans))
	}
	a, b := tr.Spans[0], tr.Spans[1]
	if a.Name() != "agent" || b.Name() != "tool" || b.ParentID() != a.SpanID() || b.SpanType() != "TOOL" {
		t.Errorf("spans = %s/%s parent %s type %s", a.Name(), b.Name(), b.ParentID(), b.SpanType())
	}
	if b.Status().Code != spanjson.StatusError {
		t.Errorf("tool status = %+v", b.Status())
	}
	if _, msg, ok := b.Exception(); !ok || msg != "no such file" {
		t.Errorf("tool exception = %q %v", msg, ok)
	}
	if v, _ := a.Inputs(); !cmp.Equal(v, map[string]any{"q": "hi"}) {
		t.Errorf("agent inputs = %#v", v)
	}
}
