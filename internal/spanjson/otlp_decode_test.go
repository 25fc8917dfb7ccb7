package spanjson

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

const zeroTraceHex, zeroSpanHex = "00000000000000000000000000000000", "0000000000000000"

func TestDecodeOTLPProtoExample(t *testing.T) {
	docs := otlpDocs(t, otlpTestFile(t, "open-telemetry-opentelemetry-proto__examples_trace.json"))
	traces, warnings := decodeOTLPBytes(t, docs[0])
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if len(traces) != 1 {
		t.Fatalf("got %d traces, want 1", len(traces))
	}
	want := []otlpViewSpan{{
		// upper-case hex in the file, normalised
		TraceID: "5b8efff798038103d269b633813fc60c", SpanID: "eee19b7ec3c1b174", ParentID: "eee19b7ec3c1b173",
		Name: "I'm a server span", Start: 1544712660000000000, End: 1544712661000000000, Kind: SpanKindServer,
		Attributes: []Attribute{{Key: "my.span.attr", Value: "some value", Type: ValueString}},
		Resource:   &otlpViewResource{Attributes: []Attribute{{Key: "service.name", Value: "my.service", Type: ValueString}}},
		Scope: &otlpViewScope{Name: "my.library", Version: "1.0.0",
			Attributes: []Attribute{{Key: "my.scope.attribute", Value: "some scope attribute", Type: ValueString}}},
	}}
	if d := cmp.Diff(want, otlpViewsOf(traces[0].Spans)); d != "" {
		t.Errorf("spans (-want +got):\n%s", d)
	}
	// The only span has a parent outside the file: the info is built from it.
	wantInfo := TraceInfo{
		TraceID:     "tr-5b8efff798038103d269b633813fc60c",
		RequestTime: time.Unix(1544712660, 0).UTC(), ExecutionDuration: time.Second, HasDuration: true,
		State: StateOK, Derived: true,
	}
	if d := cmp.Diff(wantInfo, traces[0].Info); d != "" {
		t.Errorf("info (-want +got):\n%s", d)
	}
}

func TestDecodeOTLPFileExporter(t *testing.T) {
	docs := otlpDocs(t, otlpTestFile(t, "open-telemetry-opentelemetry-specification__file-exporter_traces_example.jsonl"))
	if len(docs) != 4 {
		t.Fatalf("got %d lines, want 4", len(docs))
	}
	traces, warnings := decodeOTLPBytes(t, docs[0])
	wantWarnings := []Warning{
		{Msg: "4 span or link trace ids are empty; those spans are grouped under the zero trace id"},
		{Msg: "4 span or link span ids are empty; they are kept as the zero span id"},
	}
	if d := cmp.Diff(wantWarnings, warnings); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
	if len(traces) != 1 {
		t.Fatalf("got %d traces, want 1 (both spans have the empty trace id)", len(traces))
	}
	res := &otlpViewResource{Attributes: []Attribute{{Key: "resource-attr", Value: "resource-attr-val-1", Type: ValueString}}}
	scope := &otlpViewScope{}
	want := []otlpViewSpan{
		{
			TraceID: zeroTraceHex, SpanID: zeroSpanHex, ParentID: zeroSpanHex,
			Name: "operationA", Start: 1581452772000000321, End: 1581452773000000789,
			DroppedAttributes: 1,
			Events: []otlpViewEvent{
				{Name: "event-with-attr", Time: 1581452773000000123, DroppedAttributes: 2,
					// event values are plain values: the string is JSON-quoted
					Attributes: []Attribute{{Key: "span-event-attr", Value: `"span-event-attr-val"`, Type: ValueString}}},
				{Name: "event", Time: 1581452773000000123, DroppedAttributes: 2},
			},
			DroppedEvents: 1,
			Status:        Status{Code: StatusError, Message: "status-cancelled"},
			Resource:      res, Scope: scope,
		},
		{
			TraceID: zeroTraceHex, SpanID: zeroSpanHex, ParentID: zeroSpanHex,
			Name: "operationB", Start: 1581452772000000321, End: 1581452773000000789,
			Links: []otlpViewLink{
				{TraceID: zeroTraceHex, SpanID: zeroSpanHex, DroppedAttributes: 4,
					Attributes: []Attribute{{Key: "span-link-attr", Value: `"span-link-attr-val"`, Type: ValueString}}},
				{TraceID: zeroTraceHex, SpanID: zeroSpanHex, DroppedAttributes: 1},
			},
			DroppedLinks: 3,
			Resource:     res, Scope: scope,
		},
	}
	if d := cmp.Diff(want, otlpViewsOf(traces[0].Spans)); d != "" {
		t.Errorf("spans (-want +got):\n%s", d)
	}
	// Spans of one resource and scope share the pointers.
	a, b := traces[0].Spans[0].Data(), traces[0].Spans[1].Data()
	if a.Resource != b.Resource || a.Scope != b.Scope {
		t.Error("spans of one resource/scope do not share Resource and Scope")
	}
	wantInfo := TraceInfo{
		TraceID:     "tr-" + zeroTraceHex,
		RequestTime: time.Unix(0, 1581452772000000321).UTC(), ExecutionDuration: 1000000468, HasDuration: true,
		State: StateError, Derived: true, // operationA is the root (first of equal starts and ids) and failed
	}
	if d := cmp.Diff(wantInfo, traces[0].Info); d != "" {
		t.Errorf("info (-want +got):\n%s", d)
	}

	// The other lines differ in times only; check they are exact too.
	traces, _ = decodeOTLPBytes(t, docs[3])
	s := traces[0].Spans
	if got := [4]int64{s[0].Data().Events[0].Time, s[1].StartTime(), s[1].EndTime(), s[0].EndTime()}; got != [4]int64{1581452773000010925, 1581452772000011821, 1581452772000012924, 1581452773000000789} {
		t.Errorf("line 4 times = %v", got)
	}
}

func TestDecodeOTLPSnakeCase(t *testing.T) {
	traces, warnings := decodeOTLPBytes(t, otlpDocs(t, otlpTestFile(t, "snake_case.json"))[0])
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if len(traces) != 1 {
		t.Fatalf("got %d traces, want 1", len(traces))
	}
	res := &otlpViewResource{
		Attributes: []Attribute{
			{Key: "service.name", Value: "agent", Type: ValueString},
			{Key: "host.cores", Value: "8", Type: ValueInt},
		},
		DroppedAttributes: 1,
		SchemaURL:         "https://opentelemetry.io/schemas/1.25.0",
		Extra:             Extras{Schema: SchemaOTLP, Fields: []Field{{Key: "x_resource_note", Value: json.RawMessage(`{"kept": true}`)}}},
	}
	scope := &otlpViewScope{Name: "mlflow", Version: "3.1.0", DroppedAttributes: 2, SchemaURL: "https://opentelemetry.io/schemas/1.26.0"}
	want := []otlpViewSpan{
		{
			// base64 ids decoded
			TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "00f067aa0ba902b7", ParentID: zeroSpanHex,
			Name: "agent", Kind: SpanKindServer,
			// a bare number beyond float64 precision, kept to the nanosecond
			Start: 1735689600123456789, End: 1735689601123456789,
			Attributes: []Attribute{
				{Key: "mlflow.spanType", Value: `"AGENT"`, Type: ValueString},
				{Key: "retries", Value: "3", Type: ValueInt},
				{Key: "temperature", Value: "0.7", Type: ValueDouble},
				{Key: "top_p", Value: "1.0", Type: ValueDouble},
				{Key: "stream", Value: "false", Type: ValueBool},
				{Key: "blob", Value: `"AAEC/v8="`, Type: ValueBytes},
				{Key: "tags", Value: `["a",2,[true]]`, Type: ValueArray},
				{Key: "config", Value: `{"model":"gpt-4o","limits":{"max":2.5}}`, Type: ValueKVList},
			},
			Status:   Status{Code: StatusOK},
			Resource: res, Scope: scope,
			Extra: Extras{Schema: SchemaOTLP, Fields: []Field{{Key: "x_span_note", Value: json.RawMessage(`[1, 2]`)}}},
		},
		{
			TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331", ParentID: "00f067aa0ba902b7",
			TraceState: "vendor=1", Flags: 257, Name: "chat gpt-4o", Kind: SpanKindClient,
			Start: 1735689600223456789, End: 1735689600923456789,
			DroppedAttributes: 4,
			Events: []otlpViewEvent{{
				Name: "exception", Time: 1735689600920000001, DroppedAttributes: 1,
				Attributes: []Attribute{
					{Key: "exception.type", Value: `"TimeoutError"`, Type: ValueString},
					{Key: "exception.escaped", Value: "true", Type: ValueBool},
				},
				Extra: Extras{Schema: SchemaOTLP, Fields: []Field{{Key: "x_event_note", Value: json.RawMessage(`"e"`)}}},
			}},
			DroppedEvents: 2,
			Links: []otlpViewLink{{
				TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b8", TraceState: "k=v", Flags: 1,
				Attributes:        []Attribute{{Key: "link.kind", Value: `"follows"`, Type: ValueString}},
				DroppedAttributes: 3,
			}},
			DroppedLinks: 5,
			Status:       Status{Code: StatusError, Message: "TimeoutError: upstream"},
			Resource:     res, Scope: scope,
		},
	}
	if d := cmp.Diff(want, otlpViewsOf(traces[0].Spans)); d != "" {
		t.Errorf("spans (-want +got):\n%s", d)
	}
	wantInfo := TraceInfo{
		TraceID:     "tr-0af7651916cd43dd8448eb211c80319c",
		RequestTime: time.Unix(0, 1735689600123456789).UTC(), ExecutionDuration: time.Second, HasDuration: true,
		State: StateOK, Derived: true, // the root succeeded; a failed child does not fail the trace
	}
	if d := cmp.Diff(wantInfo, traces[0].Info); d != "" {
		t.Errorf("info (-want +got):\n%s", d)
	}
	if got := traces[0].Spans[0].SpanType(); got != "AGENT" {
		t.Errorf("SpanType() = %q, want AGENT", got)
	}
}

func TestDecodeOTLPGroupsByTrace(t *testing.T) {
	traces, warnings := decodeOTLPBytes(t, otlpDocs(t, otlpTestFile(t, "two_traces.json"))[0])
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	type row struct {
		Trace, Span, Name, Service, Scope string
	}
	var got [][]row
	for _, tr := range traces {
		var rows []row
		for _, s := range tr.Spans {
			d := s.Data()
			svc, _ := d.Resource.Attributes.String("service.name")
			rows = append(rows, row{d.TraceID.String(), d.SpanID.String(), d.Name, svc, d.Scope.Name})
		}
		got = append(got, rows)
	}
	t1, t2 := "4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c"
	want := [][]row{
		{
			{t1, "1111111111111111", "t1 root", "frontend", "lib.a"},
			{t1, "3333333333333333", "t1 child", "frontend", "lib.b"},
			{t1, "4444444444444444", "t1 grandchild", "backend", "lib.a"},
		},
		{{t2, "2222222222222222", "t2 root", "frontend", "lib.a"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("traces (-want +got):\n%s", d)
	}
	top := Extras{Schema: SchemaOTLP, Fields: []Field{{Key: "x_top", Value: json.RawMessage(`"kept"`)}}}
	wantInfos := []TraceInfo{
		{TraceID: "tr-" + t1, RequestTime: time.Unix(0, 100).UTC(), ExecutionDuration: 800, HasDuration: true, State: StateError, Extra: top, Derived: true},
		{TraceID: "tr-" + t2, RequestTime: time.Unix(0, 50).UTC(), State: StateInProgress, Extra: top, Derived: true},
	}
	if d := cmp.Diff(wantInfos, []TraceInfo{traces[0].Info, traces[1].Info}); d != "" {
		t.Errorf("infos (-want +got):\n%s", d)
	}
	if traces[0].Spans[0].Data().Scope != traces[1].Spans[0].Data().Scope {
		t.Error("spans of one scope in two traces should share the Scope")
	}
	if traces[0].Spans[0].Kind() != SpanKindServer || traces[1].Spans[0].Kind() != SpanKindInternal {
		t.Errorf("kinds = %v, %v; want SERVER (by name), INTERNAL (by number)", traces[0].Spans[0].Kind(), traces[1].Spans[0].Kind())
	}
}

func TestDecodeOTLPOpaqueIDs(t *testing.T) {
	traces, warnings := decodeOTLPBytes(t, otlpDocs(t, otlpTestFile(t, "opaque_ids.json"))[0])
	if len(traces) != 1 {
		t.Fatalf("got %d traces, want 1", len(traces))
	}
	spans := traces[0].Spans
	root, child := spans[0].Data(), spans[1].Data()
	if root.TraceID != OpaqueTraceID("<redacted>") || child.TraceID != root.TraceID {
		t.Errorf("trace ids = %v, %v; want both OpaqueTraceID(<redacted>)", root.TraceID, child.TraceID)
	}
	if root.SpanID != OpaqueSpanID("<redacted>") || child.ParentID != root.SpanID {
		t.Errorf("child's parent %v does not resolve to the root %v", child.ParentID, root.SpanID)
	}
	if d := cmp.Diff(&OpaqueIDs{TraceID: "<redacted>", SpanID: "<redacted>"}, root.Opaque); d != "" {
		t.Errorf("root opaque (-want +got):\n%s", d)
	}
	if d := cmp.Diff(&OpaqueIDs{TraceID: "<redacted>", ParentID: "<redacted>"}, child.Opaque); d != "" {
		t.Errorf("child opaque (-want +got):\n%s", d)
	}
	if traces[0].Info.TraceID != "<redacted>" {
		t.Errorf("info trace id = %q, want the opaque text", traces[0].Info.TraceID)
	}
	if child.Kind != SpanKindUnspecified || child.Status.Code != StatusUnset {
		t.Errorf("child kind/status = %v/%v, want unspecified/unset", child.Kind, child.Status.Code)
	}
	var msgs []string
	for _, w := range warnings {
		msgs = append(msgs, w.Msg)
	}
	// one warning per problem, at its first place, with a count
	wantSubstrings := []string{
		`spans[0].traceId: invalid id: "<redacted>" is neither 32 hex digits nor base64 of 16 bytes; kept as an opaque id (2 times in this document)`,
		`spans[0].spanId: invalid id: "<redacted>"`,
		`spans[1].kind: unknown span kind "weird"`,
		`spans[1].status.code: unknown status code "STATUS_CODE_MAYBE"`,
		`spans[1].parentSpanId: invalid id`,
	}
	if len(msgs) != len(wantSubstrings) {
		t.Fatalf("warnings = %q, want %d", msgs, len(wantSubstrings))
	}
	for i, w := range wantSubstrings {
		if !strings.Contains(msgs[i], w) {
			t.Errorf("warning %d = %q, want it to contain %q", i, msgs[i], w)
		}
	}
}

func TestDecodeOTLPErrors(t *testing.T) {
	const pre = `{"resourceSpans":[{"scopeSpans":[{"spans":[`
	const post = `]}]}]}`
	tests := []struct {
		name, doc, wantErr string
	}{
		{"not an object", `[1]`, "want a TracesData object, got a list"},
		{"no resourceSpans", `{"spans":[]}`, "no resourceSpans member"},
		{"resourceSpans not a list", `{"resourceSpans":{}}`, "resourceSpans: want a list, got an object"},
		{"resourceSpans item", `{"resourceSpans":[1]}`, "resourceSpans[0]: want an object, got number 1"},
		{"span not an object", pre + `"x"` + post, `resourceSpans[0].scopeSpans[0].spans[0]: want a span object, got string "x"`},
		{"bad time", pre + `{"startTimeUnixNano":"12x"}` + post, `spans[0].startTimeUnixNano "12x" is not a 64-bit integer`},
		{"float time", pre + `{"endTimeUnixNano":1.5e18}` + post, `spans[0].endTimeUnixNano "1.5e18" is not a 64-bit integer`},
		{"negative time", pre + `{"startTimeUnixNano":-1}` + post, `negative time`},
		{"name not a string", pre + `{"name":5}` + post, `spans[0].name: want a string, got number 5`},
		{"bad attribute", pre + `{"attributes":[{"key":"n","value":{"intValue":"x"}}]}` + post, `spans[0].attributes[0] (key "n"): intValue "x" is not a 64-bit integer`},
		{"bad event", pre + `{"events":[{"timeUnixNano":true}]}` + post, `spans[0].events[0].timeUnixNano must be an integer`},
		{"bad link attribute", pre + `{"links":[{"attributes":{}}]}` + post, `spans[0].links[0].attributes: want a list`},
		{"bad dropped count", pre + `{"droppedEventsCount":-2}` + post, `droppedEventsCount: "-2" is not an unsigned 32-bit integer`},
		{"bad resource", `{"resourceSpans":[{"resource":[]}]}`, `resourceSpans[0].resource: want an object, got a list`},
		{"bad status", pre + `{"status":"OK"}` + post, `spans[0].status: want an object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeOTLP(gjson.Parse(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeOTLPTolerance(t *testing.T) {
	// pre-1.0 instrumentationLibrarySpans, numbers as strings, enum names in
	// lower case, 0x-prefixed and mixed-case ids, null members.
	doc := `{"resource_spans":[{"resource":null,"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"old"},"spans":[
		{"traceId":"0x0AF7651916cd43dd8448eb211c80319C","spanId":"B7AD6B7169203331","parentSpanId":null,"name":"s",
		 "kind":"span_kind_producer","startTimeUnixNano":"5","endTimeUnixNano":null,"flags":"3","status":{"code":"2"}}]}]}]}`
	traces, warnings := decodeOTLPBytes(t, []byte(doc))
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	got := otlpViewOf(traces[0].Spans[0])
	want := otlpViewSpan{
		TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331", ParentID: zeroSpanHex,
		Name: "s", Kind: SpanKindProducer, Start: 5, Flags: 3, Status: Status{Code: StatusError},
		Resource: &otlpViewResource{}, Scope: &otlpViewScope{Name: "old"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("span (-want +got):\n%s", d)
	}
	if traces[0].Info.State != StateInProgress {
		t.Errorf("state = %v, want IN_PROGRESS (root has no end)", traces[0].Info.State)
	}
}
