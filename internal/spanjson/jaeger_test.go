package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// decodeOne decodes a fixture that holds one document.
func decodeOne(t *testing.T, name string) *Document {
	t.Helper()
	docs, err := decodeFile(t, fixturesDir+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%d documents, want 1", len(docs))
	}
	return docs[0]
}

// spanNamed returns the span of tr called name.
func spanNamed(t *testing.T, tr *Trace, name string) SpanData {
	t.Helper()
	for _, s := range tr.Spans {
		if s.Name() == name {
			return s.Data()
		}
	}
	t.Fatalf("no span %q in trace %s", name, tr.Info.TraceID)
	return SpanData{}
}

func warningTexts(d *Document) []string {
	var out []string
	for _, w := range d.Warnings {
		out = append(out, w.String())
	}
	return out
}

// hasWarning reports whether one of the warnings contains every part.
func hasWarning(ws []string, parts ...string) bool {
	for _, w := range ws {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w, p)
		}
		if all {
			return true
		}
	}
	return false
}

func mustSpanID(t *testing.T, s string) SpanID {
	t.Helper()
	var id SpanID
	if !parseShortHex(id[:], s) {
		t.Fatalf("bad span id %q", s)
	}
	return id
}

func mustTraceID(t *testing.T, s string) TraceID {
	t.Helper()
	var id TraceID
	if !parseShortHex(id[:], s) {
		t.Fatalf("bad trace id %q", s)
	}
	return id
}

func TestDecodeJaegerQuery(t *testing.T) {
	d := decodeOne(t, "jaeger_query.json")
	if d.Schema != SchemaJaeger || d.Shape != "Jaeger query API response" || len(d.Traces) != 2 {
		t.Fatalf("schema %q shape %q, %d traces", d.Schema, d.Shape, len(d.Traces))
	}
	ws := warningTexts(d)
	for _, want := range [][]string{
		{"jaeger_query.json:95:14", "Jaeger query error: storage timeout for one trace"},
		{"jaeger_query.json:63:24", `Jaeger warning for span "chat gpt-4o": clock skew adjusted`},
		{"jaeger_query.json:71:20", "Jaeger warning for trace", "trace is truncated"},
	} {
		if !hasWarning(ws, want...) {
			t.Errorf("no warning with %q in %q", want, ws)
		}
	}

	tr := &d.Traces[0]
	if tr.Info.TraceID != "tr-4bf92f3577b34da6a3ce929d0e0e4736" || !tr.Info.Derived || tr.Info.State != StateError {
		t.Errorf("info %+v", tr.Info)
	}
	if got := tr.Info.Metadata[AttrJaegerWarnings]; got != `["trace is truncated"]` {
		t.Errorf("metadata %s = %q", AttrJaegerWarnings, got)
	}
	root := spanNamed(t, tr, "POST /chat")
	if root.SpanID != mustSpanID(t, "00f067aa0ba902b7") || !root.ParentID.IsZero() {
		t.Errorf("root ids %s parent %s", root.SpanID, root.ParentID)
	}
	if root.StartTime != 1738404000000000000 || root.EndTime != 1738404002500000000 {
		t.Errorf("root times %d..%d", root.StartTime, root.EndTime)
	}
	if root.Status != (Status{StatusError, "upstream failed"}) || root.Kind != SpanKindServer || root.Flags != 1 || root.TraceState != "vendor=1" {
		t.Errorf("root status %+v kind %v flags %d trace state %q", root.Status, root.Kind, root.Flags, root.TraceState)
	}
	if root.Scope == nil || root.Scope.Name != "chat-server" || root.Scope.Version != "1.2.0" {
		t.Errorf("root scope %+v", root.Scope)
	}
	// The tags that became model fields left the attributes; the others
	// keep their types.
	wantAttrs := []Attribute{
		{"http.route", "/chat", ValueString},
		{"http.response.status_code", "500", ValueInt},
		{"big", "9007199254740993", ValueInt},
		{"ratio", "2.0", ValueDouble},
		{"cached", "false", ValueBool},
		{"blob", `"AAAwOQ=="`, ValueBytes},
	}
	if diff := cmp.Diff(wantAttrs, root.Attributes.List()); diff != "" {
		t.Errorf("root attributes (-want +got):\n%s", diff)
	}
	wantRes := []Attribute{{"service.name", "api", ValueString}, {"host.name", "web-1", ValueString}}
	if diff := cmp.Diff(wantRes, root.Resource.Attributes.List()); diff != "" {
		t.Errorf("root resource (-want +got):\n%s", diff)
	}
	if len(root.Events) != 2 {
		t.Fatalf("root events %+v", root.Events)
	}
	exc, log := root.Events[0], root.Events[1]
	if exc.Name != "exception" || exc.Time != 1738404000100000000 {
		t.Errorf("first event %q at %d", exc.Name, exc.Time)
	}
	if typ, _ := exc.Attributes.String("exception.type"); typ != "TimeoutError" || exc.Attributes.Len() != 2 {
		t.Errorf("exception attributes %v", exc.Attributes.List())
	}
	if log.Name != "log" || log.Time != 1738404000200000000 {
		t.Errorf("second event %q at %d", log.Name, log.Time)
	}
	if a, _ := log.Attributes.Lookup("retries"); a != (Attribute{"retries", "2", ValueInt}) {
		t.Errorf("log field %+v", a)
	}

	child := spanNamed(t, tr, "chat gpt-4o")
	if child.ParentID != root.SpanID || child.Kind != SpanKindClient || child.Status.Code != StatusOK {
		t.Errorf("child parent %s kind %v status %+v", child.ParentID, child.Kind, child.Status)
	}
	if len(child.Links) != 1 {
		t.Fatalf("child links %+v", child.Links)
	}
	l := child.Links[0]
	if l.TraceID != mustTraceID(t, "5b8efff798038103d269b633813fc60c") || l.SpanID != mustSpanID(t, "eee19b7ec3c1b174") {
		t.Errorf("link to %s/%s", l.TraceID, l.SpanID)
	}
	if v, _ := l.Attributes.String(attrRefType); v != "follows_from" {
		t.Errorf("link ref type %q", v)
	}
	if a, _ := child.Attributes.Lookup(AttrJaegerWarnings); a != (Attribute{AttrJaegerWarnings, `["clock skew adjusted"]`, ValueArray}) {
		t.Errorf("span warnings attribute %+v", a)
	}
	if a, _ := child.Attributes.Lookup(AttrJaegerIncomplete); a.Value != "true" {
		t.Errorf("incomplete attribute %+v", a)
	}
	if child.Resource == root.Resource || child.Resource.Attributes.At(0).Value != "llm-gateway" {
		t.Errorf("child resource %+v", child.Resource)
	}

	// Short ids are padded.
	cron := d.Traces[1]
	if cron.Info.TraceID != "tr-000000000000000000000000000000ff" || cron.Spans[0].SpanID().String() != "0000000000000001" {
		t.Errorf("short ids read as %s / %s", cron.Info.TraceID, cron.Spans[0].SpanID())
	}
	if cron.Info.Metadata != nil {
		t.Errorf("a trace without warnings has metadata %v", cron.Info.Metadata)
	}
}

func TestDecodeJaegerTraceQuirks(t *testing.T) {
	d := decodeOne(t, "jaeger_trace.json")
	if d.Schema != SchemaJaeger || d.Shape != "Jaeger trace" || len(d.Traces) != 1 {
		t.Fatalf("schema %q shape %q, %d traces", d.Schema, d.Shape, len(d.Traces))
	}
	tr := &d.Traces[0]
	if len(tr.Spans) != 4 || len(tr.Info.Extra.Fields) != 0 {
		t.Fatalf("%d spans, info extras %v (the _comment member is not part of the model)", len(tr.Spans), tr.Info.Extra.Fields)
	}
	a := mustSpanID(t, "a")
	b := mustSpanID(t, "b")

	// Two CHILD_OF parents: the first is the parent, the second a link.
	join := spanNamed(t, tr, "join")
	if join.ParentID != b || len(join.Links) != 1 || join.Links[0].SpanID != a {
		t.Errorf("join parent %s links %+v", join.ParentID, join.Links)
	}
	if v, _ := join.Links[0].Attributes.String(attrRefType); v != "child_of" {
		t.Errorf("second parent's ref type %q", v)
	}
	// A time that is not a time: a warning at its spot, the span marked,
	// its start unknown (0), its duration kept.
	if join.StartTime != 0 || join.EndTime != 50_000 {
		t.Errorf("join times %d..%d", join.StartTime, join.EndTime)
	}
	readErr, _ := join.Attributes.String(AttrReadError)
	if readErr != `tag "flag" of type bool has value "maybe"; startTime "soon" is not a time in microseconds` {
		t.Errorf("read error mark %q", readErr)
	}
	if v, _ := join.Attributes.String(AttrStartUnknown); v != "true" {
		t.Errorf("start unknown mark %q", v)
	}
	for _, want := range []Attribute{
		{"flag", `"maybe"`, ValueJSON},   // does not fit its type: kept as JSON
		{"odd", `"123e4567"`, ValueJSON}, // unknown type: kept as JSON
		{"note", "untyped", ValueString}, // no type: by its JSON value
	} {
		if got, _ := join.Attributes.Lookup(want.Key); got != want {
			t.Errorf("attribute %+v, want %+v", got, want)
		}
	}
	if join.Resource == nil || join.Resource.Attributes.Len() != 0 {
		t.Errorf("a span of an unknown process has resource %+v", join.Resource)
	}

	legacy := spanNamed(t, tr, "legacy-child")
	if legacy.ParentID != a || legacy.StartTime != 0 || legacy.EndTime != 20_000 {
		t.Errorf("legacy-child parent %s times %d..%d", legacy.ParentID, legacy.StartTime, legacy.EndTime)
	}
	if v, _ := legacy.Attributes.String(AttrStartUnknown); v != "true" {
		t.Errorf("absent startTime not marked: %v", legacy.Attributes.List())
	}
	if legacy.Resource != spanNamed(t, tr, "root").Resource {
		t.Error("spans of one process do not share its resource")
	}

	ws := warningTexts(d)
	for _, want := range [][]string{
		{"jaeger_trace.json:34:20", `span "join": startTime "soon" is not a time in microseconds: its start is unknown`},
		{"jaeger_trace.json:32:9", `span "join" has 2 CHILD_OF parents: the first is its parent, the others are kept as links`},
		{"jaeger_trace.json:37:50", `tag "flag" of type bool has value "maybe": kept as JSON`},
		{"jaeger_trace.json:38:32", `tag "odd" has unknown type "uuid"`},
		{"jaeger_trace.json:42:20", `process "p9" is not in the trace's processes`},
		{"jaeger_trace.json:44:5", "span without startTime: its start is unknown"},
	} {
		if !hasWarning(ws, want...) {
			t.Errorf("no warning with %q in\n%s", want, strings.Join(ws, "\n"))
		}
	}
	// DeriveInfo makes the info: root, duration, state.
	if tr.Info.TraceID != "tr-0af7651916cd43dd8448eb211c80319c" || tr.Name() != "root" || tr.Info.ExecutionDuration != 1_000_000 || tr.Info.State != StateOK {
		t.Errorf("info %+v", tr.Info)
	}
}

func TestDecodeJaegerSpanArray(t *testing.T) {
	d := decodeOne(t, "jaeger_spans.json")
	if d.Schema != SchemaJaeger || d.Shape != "array of Jaeger spans" || len(d.Traces) != 2 {
		t.Fatalf("schema %q shape %q, %d traces", d.Schema, d.Shape, len(d.Traces))
	}
	tr := &d.Traces[0]
	handle, call := spanNamed(t, tr, "handle"), spanNamed(t, tr, "call")
	if handle.Resource != call.Resource {
		t.Error("equal inline processes do not share one resource")
	}
	if v, _ := handle.Resource.Attributes.String("service.name"); v != "front" {
		t.Errorf("inline process service %q", v)
	}
	// "error" typed bool with the string "true" (seen in real files).
	if call.Status.Code != StatusError || call.ParentID != handle.SpanID {
		t.Errorf("call status %+v parent %s", call.Status, call.ParentID)
	}
	if _, ok := call.Attributes.Lookup("error"); ok {
		t.Error("the error tag stayed an attribute")
	}
	// An id that is not hex is kept as an opaque id.
	other := d.Traces[1]
	if other.Info.TraceID != "zz-top" || other.Spans[0].Data().Opaque.TraceID != "zz-top" {
		t.Errorf("opaque trace id: info %q", other.Info.TraceID)
	}
	if !hasWarning(warningTexts(d), `trace id "zz-top" is not hex: kept as an opaque id`) {
		t.Errorf("warnings %q", warningTexts(d))
	}
}

func TestDecodeJaegerV3(t *testing.T) {
	d := decodeOne(t, "jaeger_v3.json")
	if d.Schema != SchemaOTLP || d.Shape != "Jaeger v3 API response (OTLP JSON)" || len(d.Traces) != 1 {
		t.Fatalf("schema %q shape %q, %d traces", d.Schema, d.Shape, len(d.Traces))
	}
	s := d.Traces[0].Spans[0].Data()
	if s.Name != "HTTP GET /dispatch" || s.Kind != SpanKindServer || s.Status != (Status{StatusError, "no drivers"}) || s.Flags != 257 {
		t.Errorf("span %+v", s)
	}
}

func TestJaegerValue(t *testing.T) {
	tests := []struct {
		typ, json string
		plain     bool
		value     string
		vt        ValueType
		ok        bool
	}{
		{"string", `"x"`, false, "x", ValueString, true},
		{"string", `"x"`, true, `"x"`, ValueString, true},
		{"string", `12`, false, "12", ValueString, true},
		{"STRING", `"x"`, false, "x", ValueString, true},
		{"bool", `true`, false, "true", ValueBool, true},
		{"bool", `"false"`, false, "false", ValueBool, true},
		{"bool", `"maybe"`, false, `"maybe"`, ValueJSON, false},
		{"int64", `9223372036854775807`, false, "9223372036854775807", ValueInt, true},
		{"int64", `"42"`, false, "42", ValueInt, true},
		{"int64", `18446744073709551615`, false, "18446744073709551615", ValueJSON, false},
		{"int64", `1.5`, false, "1.5", ValueJSON, false},
		{"float64", `3`, false, "3.0", ValueDouble, true},
		{"float64", `"NaN"`, false, `"NaN"`, ValueDouble, true},
		{"float64", `"x"`, false, `"x"`, ValueJSON, false},
		{"binary", `"AAAwOQ=="`, false, `"AAAwOQ=="`, ValueBytes, true},
		{"binary", `"not base64!"`, false, `"not base64!"`, ValueJSON, false},
		{"", `"s"`, false, "s", ValueString, true},
		{"", `7`, false, "7", ValueInt, true},
		{"", `7.5`, false, "7.5", ValueDouble, true},
		{"", `false`, false, "false", ValueBool, true},
		{"", `{"a": [1, 2]}`, false, `{"a":[1,2]}`, ValueJSON, true},
		{"", `null`, false, "null", ValueJSON, true},
		{"uuid", `"x"`, false, `"x"`, ValueJSON, false},
	}
	for _, tt := range tests {
		v, vt, ok := jaegerValue(tt.typ, gjson.Parse(tt.json), tt.plain)
		if v != tt.value || vt != tt.vt || ok != tt.ok {
			t.Errorf("jaegerValue(%q, %s, %v) = %q, %d, %v; want %q, %d, %v", tt.typ, tt.json, tt.plain, v, vt, ok, tt.value, tt.vt, tt.ok)
		}
	}
}

func TestParseShortHex(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"1", "0000000000000001", true},
		{"ff", "00000000000000ff", true},
		{"0x1F", "000000000000001f", true},
		{"00000000000000000000abcdef0123456789", "abcdef0123456789", true}, // extra leading zeros
		{"abcdef0123456789", "abcdef0123456789", true},
		{"1abcdef0123456789", "", false}, // 17 digits
		{"", "", false},
		{"xyz", "", false},
	}
	for _, tt := range tests {
		var id SpanID
		ok := parseShortHex(id[:], tt.in)
		if ok != tt.ok || ok && id.String() != tt.want {
			t.Errorf("parseShortHex(%q) = %s, %v; want %s, %v", tt.in, id, ok, tt.want, tt.ok)
		}
	}
}
