package spanjson

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sharedSamples holds the real files of ../shared/samples beside the
// checkout; tests over them skip when it is absent (they are not copied
// into the repository).
const sharedSamples = "../../../shared/samples"

// sharedSample returns the path of the one shared sample matching pattern,
// skipping the test when the folder is absent.
func sharedSample(t testing.TB, pattern string) string {
	t.Helper()
	if _, err := os.Stat(sharedSamples); err != nil {
		t.Skipf("no %s: %v", sharedSamples, err)
	}
	m, err := filepath.Glob(filepath.Join(sharedSamples, pattern))
	if err != nil || len(m) != 1 {
		t.Fatalf("want one sample %s, got %v (%v)", pattern, m, err)
	}
	return m[0]
}

// allSpans returns the spans of every document, in order.
func allSpans(docs []*Document) []Span {
	var out []Span
	for _, d := range docs {
		for _, tr := range d.Traces {
			out = append(out, tr.Spans...)
		}
	}
	return out
}

func allWarnings(docs []*Document) []string {
	var out []string
	for _, d := range docs {
		for _, w := range d.Warnings {
			out = append(out, w.String())
		}
	}
	return out
}

func spanByName(t *testing.T, spans []Span, name string) Span {
	t.Helper()
	for _, s := range spans {
		if s.Name() == name {
			return s
		}
	}
	t.Fatalf("no span %q", name)
	return Span{}
}

// The bug users hit: a console dump was taken for MLflow 2 spans, every ISO
// time "taken as 0", the trace IN_PROGRESS with duration 0. It is read as
// console spans with the times to the nanosecond, and the trace's info
// (DeriveInfo over its spans) is OK with the root's duration.
func TestConsoleDumpIsNotMLflow2(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/console_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.Schema != SchemaOTelConsole {
			t.Errorf("document at line %d read as %s (%s), want %s", d.Line, d.Schema, d.Shape, SchemaOTelConsole)
		}
	}
	for _, w := range allWarnings(docs) {
		if strings.Contains(w, "taken as 0") {
			t.Errorf("warning %q", w)
		}
	}
	spans := allSpans(docs)
	got := summarize([]*Document{{Traces: []Trace{{Spans: spans}}}})[0].Traces[0].Spans
	want := []spanSum{
		{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "53995c3f42cd8ad8", "execute_tool get_weather", 1735689601000100000, 1735689601000200000, Status{StatusError, "TimeoutError: upstream"}, "UNKNOWN", 1},
		{"4bf92f3577b34da6a3ce929d0e0e4736", "53995c3f42cd8ad8", "", "invoke_agent weather", 1735689600999999000, 1735689601500000000, ok, "UNKNOWN", 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	info := DeriveInfo(spans, SchemaOTelConsole)
	if info.TraceID != "tr-4bf92f3577b34da6a3ce929d0e0e4736" || info.State != StateOK || !info.HasDuration ||
		info.ExecutionDuration != 500001*time.Microsecond || !info.RequestTime.Equal(time.Unix(0, 1735689600999999000)) {
		t.Errorf("derived info %+v", info)
	}
}

// Console fields: kinds, typed attributes, events, links, resource.
func TestConsoleFields(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/console_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	spans := allSpans(docs)
	tool := spanByName(t, spans, "execute_tool get_weather").Data()
	if tool.Kind != SpanKindInternal || spanByName(t, spans, "invoke_agent weather").Kind() != SpanKindServer {
		t.Errorf("kinds %v", tool.Kind)
	}
	wantAttrs := []Attribute{
		{"gen_ai.operation.name", "execute_tool", ValueString},
		{"gen_ai.tool.name", "get_weather", ValueString},
		{"retry.count", "2", ValueInt},
		{"retry.backoff", "0.5", ValueDouble},
		{"cached", "false", ValueBool},
		{"tags", `["a","b"]`, ValueArray},
	}
	if diff := cmp.Diff(wantAttrs, tool.Attributes.List()); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if len(tool.Events) != 1 || tool.Events[0].Name != "exception" || tool.Events[0].Time != 1735689601000150000 {
		t.Fatalf("events %+v", tool.Events)
	}
	if v, _ := tool.Events[0].Attributes.String("exception.message"); v != "upstream" {
		t.Errorf("event attribute %q", v)
	}
	if len(tool.Links) != 1 || tool.Links[0].TraceID.String() != "5b8efff798038103d269b633813fc60c" || tool.Links[0].SpanID.String() != "eee19b7ec3c1b174" {
		t.Errorf("links %+v", tool.Links)
	}
	if tool.TraceState != "" || len(tool.Extra.Fields) != 0 {
		t.Errorf("trace state %q, extras %v: an empty Python repr is no trace state", tool.TraceState, tool.Extra.Fields)
	}
	if tool.Resource == nil || tool.Resource.Attributes.Len() != 2 {
		t.Fatalf("resource %+v", tool.Resource)
	}
	if v, _ := tool.Resource.Attributes.String("service.name"); v != "agent" {
		t.Errorf("service.name %q", v)
	}
}

// Log records are skipped with one warning that counts them, at the end of
// the input, pointing at the first; a log record alone is no document.
func TestConsoleLogRecordsOneWarning(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/console_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("%d documents, want the two spans and the summary", len(docs))
	}
	want := []string{"console_trace.json:54:1: 2 log records (ConsoleLogExporter output, not spans) skipped; the first is here"}
	if diff := cmp.Diff(want, allWarnings(docs)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	last := docs[2]
	if len(last.Traces) != 0 || last.Schema != SchemaOTelConsole || last.Line != 54 {
		t.Errorf("summary document %+v", last)
	}

	// The same records in an array: one document, the same count.
	docs, err = decodeFile(t, fixturesDir+"/console_array.json")
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"console_array.json:7:3: 1 log record (ConsoleLogExporter output, not a span) skipped"}
	if diff := cmp.Diff(want, allWarnings(docs)); diff != "" {
		t.Errorf("array warnings (-want +got):\n%s", diff)
	}
	if len(allSpans(docs)) != 2 {
		t.Errorf("array: %d spans", len(allSpans(docs)))
	}
}

// An array of console records reads like the same records back to back.
func TestConsoleArrayEqualsStream(t *testing.T) {
	data, err := os.ReadFile(fixturesDir + "/console_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	objs := bytes.Split(bytes.TrimSpace(data), []byte("\n}\n{"))
	array := []byte("[" + string(bytes.Join(objs, []byte("\n},\n{"))) + "]")
	stream, err := DecodeAll(bytes.NewReader(data), "s")
	if err != nil {
		t.Fatal(err)
	}
	arr, err := DecodeAll(bytes.NewReader(array), "a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(allSpans(stream), allSpans(arr), modelOpts...); diff != "" {
		t.Errorf("array differs from stream (-stream +array):\n%s", diff)
	}
}

// A time that is not a time is a warning naming the spot and marks the
// span; the span keeps a zero-length stand-in, never 0.
func TestConsoleUnreadableTime(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/console_bad_time.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`console_bad_time.json:6:19: start_time "yesterday" is not a time: the span is marked tracectl.read_error`,
		`console_bad_time.json:10:46: events[0].timestamp "soon" is not a time: the span is marked tracectl.read_error`,
	}
	if diff := cmp.Diff(want, allWarnings(docs)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	s := allSpans(docs)[0]
	if s.StartTime() != 1740830400000500000 || s.EndTime() != 1740830400000500000 {
		t.Errorf("times %d, %d: want the end for both", s.StartTime(), s.EndTime())
	}
	if v, _ := s.Attributes().String(AttrReadError); v != `start_time "yesterday"; events[0].timestamp "soon"` {
		t.Errorf("%s = %q", AttrReadError, v)
	}
	if s.Events()[0].Time != s.StartTime() {
		t.Errorf("event time %d", s.Events()[0].Time)
	}
}

// SDK 0.x: a flat resource map, status canonical_code, trace_state "{}".
func TestConsoleOldSDK(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/console_old_sdk.json")
	if err != nil {
		t.Fatal(err)
	}
	d := allSpans(docs)[0].Data()
	if d.Status.Code != StatusError || d.Kind != SpanKindClient || d.StartTime != 1605186855161718000 || d.EndTime != 1605186855171819000 {
		t.Errorf("span %+v", d)
	}
	if v, _ := d.Resource.Attributes.String("service.name"); v != "old-app" || d.Resource.Attributes.Len() != 2 {
		t.Errorf("resource %v", d.Resource.Attributes.List())
	}
	if len(d.Extra.Fields) != 0 {
		t.Errorf("extras %v", d.Extra.Fields)
	}
}

// A trace state that is not empty is Python's repr, opaque: kept for the
// record and reported lost by a writer, never parsed.
func TestConsoleTraceStateKept(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/console_array.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := &docs[0].Traces[0]
	child := spanByName(t, tr.Spans, "child").Data()
	if child.TraceState != "" || len(child.Extra.Fields) != 1 || child.Extra.Fields[0].Key != "context.trace_state" {
		t.Fatalf("trace state %q, extras %v", child.TraceState, child.Extra.Fields)
	}
	_, losses, err := AppendTrace(nil, SchemaMLflowV3, tr)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesContainField(losses, "span.context.trace_state") {
		t.Errorf("losses %v", losses)
	}
}

func slicesContainField(losses []Loss, field string) bool {
	for _, l := range losses {
		if l.Field == field {
			return true
		}
	}
	return false
}

// Every record of a console dump is its own document: snapshots and
// repeats arrive as they were printed (ingest drops them, see
// internal/ingest/dedupe.go).
func TestConsoleSnapshotDocuments(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/console_snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	spans := allSpans(docs)
	if len(spans) != 4 || spans[0].EndTime() != 0 || spans[3].EndTime() != 1738404000300002000 || spans[0].SpanID() != spans[3].SpanID() {
		t.Fatalf("spans %v", summarize(docs))
	}
}

// The real console dumps of the OpenTelemetry Python getting-started page
// and Phoenix's docs.
func TestConsoleSamples(t *testing.T) {
	t.Run("two spans, child first", func(t *testing.T) {
		docs, err := decodeFile(t, sharedSample(t, "open-telemetry-opentelemetry.io__*console-two-spans.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) != 2 || len(allWarnings(docs)) != 0 {
			t.Fatalf("%d documents, warnings %v", len(docs), allWarnings(docs))
		}
		got := summarize([]*Document{{Traces: []Trace{{Spans: allSpans(docs)}}}})[0].Traces[0].Spans
		want := []spanSum{
			{"6f781c83394ed2f33120370a11fced47", "623321c35b8fa837", "09abe52faf1d80d5", "roll", 1696925908679261000, 1696925908679560000, Status{}, "UNKNOWN", 0},
			{"6f781c83394ed2f33120370a11fced47", "09abe52faf1d80d5", "", "/rolldice", 1696925908678348000, 1696925908679677000, Status{}, "UNKNOWN", 0},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("spans (-want +got):\n%s", diff)
		}
		info := DeriveInfo(allSpans(docs), SchemaOTelConsole)
		if info.State != StateOK || info.ExecutionDuration != 1329*time.Microsecond {
			t.Errorf("info %+v", info)
		}
		roll := allSpans(docs)[0]
		if v, _ := roll.Attributes().Lookup("roll.value"); v.Type != ValueString || v.Value != "6" {
			t.Errorf("roll.value %+v", v)
		}
		root := allSpans(docs)[1]
		if v, _ := root.Attributes().Lookup("net.host.port"); v.Type != ValueInt || v.Value != "8080" {
			t.Errorf("net.host.port %+v", v)
		}
	})
	t.Run("span and log record", func(t *testing.T) {
		docs, err := decodeFile(t, sharedSample(t, "open-telemetry-opentelemetry.io__*console-span-and-log.json"))
		if err != nil {
			t.Fatal(err)
		}
		spans := allSpans(docs)
		if len(spans) != 1 || spans[0].StartTime() != 1696925672630332000 || spans[0].EndTime() != 1696925672631523000 || spans[0].Kind() != SpanKindServer {
			t.Fatalf("spans %v", summarize(docs))
		}
		ws := allWarnings(docs)
		if len(ws) != 1 || !strings.HasSuffix(ws[0], "_console-span-and-log.json:42:1: 1 log record (ConsoleLogExporter output, not a span) skipped") {
			t.Errorf("warnings %q", ws)
		}
	})
	t.Run("phoenix OpenInference span", func(t *testing.T) {
		docs, err := decodeFile(t, sharedSample(t, "Arize-ai-phoenix__*llm-span.json"))
		if err != nil {
			t.Fatal(err)
		}
		spans := allSpans(docs)
		if len(spans) != 1 || docs[0].Schema != SchemaOTelConsole {
			t.Fatalf("docs %v", summarize(docs))
		}
		d := spans[0].Data()
		if d.ParentID.String() != "7eb5df0046c77cd2" || d.StartTime != 1715204771480777000 || d.EndTime != 1715204795368042000 || d.Status.Code != StatusOK {
			t.Errorf("span %+v", d)
		}
		if v, _ := d.Attributes.String("llm.input_messages.1.message.content"); v != "Hello" {
			t.Errorf("message %q", v)
		}
		if v, _ := d.Attributes.String("openinference.span.kind"); v != "LLM" {
			t.Errorf("kind %q", v)
		}
		if d.Resource == nil || d.Resource.Attributes.Len() != 0 {
			t.Errorf("resource %+v", d.Resource)
		}
	})
}
