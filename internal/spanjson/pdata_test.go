package spanjson

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// pdataPlainSpan is SpanData with attribute lists spelled out, for cmp.
type pdataPlainSpan struct {
	D          SpanData
	Attrs      []Attribute
	EventAttrs [][]Attribute
	LinkAttrs  [][]Attribute
	Resource   []Attribute
	Scope      []Attribute
}

func pdataPlain(s Span) pdataPlainSpan {
	d := s.Data()
	p := pdataPlainSpan{D: d, Attrs: d.Attributes.List()}
	p.D.Attributes = Attributes{}
	p.D.Events = append([]Event(nil), d.Events...)
	for i := range p.D.Events {
		p.EventAttrs = append(p.EventAttrs, p.D.Events[i].Attributes.List())
		p.D.Events[i].Attributes = Attributes{}
	}
	p.D.Links = append([]Link(nil), d.Links...)
	for i := range p.D.Links {
		p.LinkAttrs = append(p.LinkAttrs, p.D.Links[i].Attributes.List())
		p.D.Links[i].Attributes = Attributes{}
	}
	if d.Resource != nil {
		r := *d.Resource
		p.Resource = r.Attributes.List()
		r.Attributes = Attributes{}
		p.D.Resource = &r
	}
	if d.Scope != nil {
		sc := *d.Scope
		p.Scope = sc.Attributes.List()
		sc.Attributes = Attributes{}
		p.D.Scope = &sc
	}
	return p
}

// pdataCmp compares attribute lists by content.
var pdataCmp = cmp.Comparer(func(a, b Attributes) bool { return cmp.Equal(a.List(), b.List()) })

var (
	pdataTestTrace  = pcommon.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c}
	pdataTestSpan   = pcommon.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
	pdataTestParent = pcommon.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

func TestSpansFromPdata(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	rs.Resource().Attributes().PutStr("service.name", "agent")
	rs.Resource().SetDroppedAttributesCount(1)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("mlflow")
	ss.Scope().SetVersion("3.1")
	ss.Scope().Attributes().PutBool("scoped", true)
	ss.SetSchemaUrl("scope-schema")

	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(pdataTestTrace)
	sp.SetSpanID(pdataTestSpan)
	sp.SetParentSpanID(pdataTestParent)
	sp.SetName("chat gpt-4o")
	sp.SetKind(ptrace.SpanKindClient)
	sp.SetStartTimestamp(1735689600123456789)
	sp.SetEndTimestamp(1735689600223456789)
	sp.TraceState().FromRaw("k=v")
	sp.SetFlags(257)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("TimeoutError: upstream")
	sp.SetDroppedAttributesCount(2)
	sp.SetDroppedEventsCount(3)
	sp.SetDroppedLinksCount(4)
	a := sp.Attributes()
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr(AttrSpanType, `"CHAT_MODEL"`) // MLflow exporters send JSON text as a string
	a.PutInt("gen_ai.usage.input_tokens", 31)
	a.PutInt("big", math.MaxInt64)
	a.PutDouble("temperature", 2)
	a.PutDouble("top_p", 0.25)
	a.PutBool("stream", false)
	a.PutEmptyBytes("blob").FromRaw([]byte{0, 1, 2, 0xff})
	arr := a.PutEmptySlice("tags")
	arr.AppendEmpty().SetStr(`a"b`)
	arr.AppendEmpty().SetInt(7)
	arr.AppendEmpty().SetDouble(1)
	arr.AppendEmpty().SetBool(true)
	arr.AppendEmpty() // empty AnyValue
	kv := a.PutEmptyMap("meta")
	kv.PutStr("z", "last")
	kv.PutEmptyMap("nested").PutInt("n", -1)
	kv.PutEmptySlice("empty")
	a.PutEmpty("nothing")

	ev := sp.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(1735689600220000000)
	ev.Attributes().PutStr("exception.type", "TimeoutError")
	ev.Attributes().PutInt("exception.count", 2)
	ev.SetDroppedAttributesCount(5)

	ln := sp.Links().AppendEmpty()
	ln.SetTraceID(pdataTestTrace)
	ln.SetSpanID(pdataTestParent)
	ln.TraceState().FromRaw("x=y")
	ln.SetFlags(1)
	ln.Attributes().PutStr("link.kind", "follows")
	ln.SetDroppedAttributesCount(6)

	res := SpansFromPdata(td)
	if res.Rejected != 0 || len(res.Spans) != 1 {
		t.Fatalf("got %d spans, %d rejected (%s); want 1, 0", len(res.Spans), res.Rejected, res.Reason)
	}
	got := pdataPlain(res.Spans[0])
	want := pdataPlainSpan{
		D: SpanData{
			TraceID:           pdataMustTraceID(t, "0af7651916cd43dd8448eb211c80319c"),
			SpanID:            pdataMustSpanID(t, "b7ad6b7169203331"),
			ParentID:          pdataMustSpanID(t, "00f067aa0ba902b7"),
			Name:              "chat gpt-4o",
			StartTime:         1735689600123456789,
			EndTime:           1735689600223456789,
			Status:            Status{Code: StatusError, Message: "TimeoutError: upstream"},
			Kind:              SpanKindClient,
			TraceState:        "k=v",
			Flags:             257,
			DroppedAttributes: 2,
			DroppedEvents:     3,
			DroppedLinks:      4,
			Events:            []Event{{Name: "exception", Time: 1735689600220000000, DroppedAttributes: 5}},
			Links: []Link{{
				TraceID: pdataMustTraceID(t, "0af7651916cd43dd8448eb211c80319c"), SpanID: pdataMustSpanID(t, "00f067aa0ba902b7"),
				TraceState: "x=y", Flags: 1, DroppedAttributes: 6,
			}},
			Resource: &Resource{DroppedAttributes: 1, SchemaURL: "https://opentelemetry.io/schemas/1.26.0"},
			Scope:    &Scope{Name: "mlflow", Version: "3.1", SchemaURL: "scope-schema"},
		},
		Attrs: []Attribute{
			{"gen_ai.operation.name", "chat", ValueString},
			{AttrSpanType, `"CHAT_MODEL"`, ValueString},
			{"gen_ai.usage.input_tokens", "31", ValueInt},
			{"big", "9223372036854775807", ValueInt},
			{"temperature", "2.0", ValueDouble},
			{"top_p", "0.25", ValueDouble},
			{"stream", "false", ValueBool},
			{"blob", `"AAEC/w=="`, ValueBytes},
			{"tags", `["a\"b",7,1.0,true,null]`, ValueArray},
			{"meta", `{"z":"last","nested":{"n":-1},"empty":[]}`, ValueKVList},
			{"nothing", "null", ValueJSON},
		},
		// Event and link string values are plain JSON values: quoted.
		EventAttrs: [][]Attribute{{{"exception.type", `"TimeoutError"`, ValueString}, {"exception.count", "2", ValueInt}}},
		LinkAttrs:  [][]Attribute{{{"link.kind", `"follows"`, ValueString}}},
		Resource:   []Attribute{{"service.name", "agent", ValueString}},
		Scope:      []Attribute{{"scoped", "true", ValueBool}},
	}
	if diff := cmp.Diff(want, got, pdataCmp); diff != "" {
		t.Errorf("SpansFromPdata mismatch (-want +got):\n%s", diff)
	}
	// The typed accessors see through the rule: the JSON-text span type
	// decodes, the exception event reads back.
	if st := res.Spans[0].SpanType(); st != "CHAT_MODEL" {
		t.Errorf("SpanType() = %q, want CHAT_MODEL", st)
	}
	if typ, _, ok := res.Spans[0].Exception(); !ok || typ != "TimeoutError" {
		t.Errorf("Exception() = %q, %v; want TimeoutError, true", typ, ok)
	}
}

func pdataMustTraceID(t *testing.T, s string) TraceID {
	t.Helper()
	id, err := ParseTraceID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func pdataMustSpanID(t *testing.T, s string) SpanID {
	t.Helper()
	id, err := ParseSpanID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSpansFromPdataSharesResourceAndScope(t *testing.T) {
	td := ptrace.NewTraces()
	for r := range 2 {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutInt("r", int64(r))
		for range 2 {
			ss := rs.ScopeSpans().AppendEmpty()
			for k := range 2 {
				sp := ss.Spans().AppendEmpty()
				sp.SetTraceID(pdataTestTrace)
				sp.SetSpanID(pcommon.SpanID{byte(r), byte(k), 1})
			}
		}
	}
	spans := SpansFromPdata(td).Spans
	if len(spans) != 8 {
		t.Fatalf("got %d spans, want 8", len(spans))
	}
	for i, s := range spans {
		d, first := s.Data(), spans[i/4*4].Data()
		if d.Resource != first.Resource {
			t.Errorf("span %d: resource not shared with the first span of its resource", i)
		}
		sib := spans[i/2*2].Data()
		if d.Scope != sib.Scope {
			t.Errorf("span %d: scope not shared within its scope", i)
		}
	}
	if spans[0].Data().Resource == spans[4].Data().Resource {
		t.Error("two resources share one *Resource")
	}
	if spans[0].Data().Scope == spans[2].Data().Scope {
		t.Error("two scopes share one *Scope")
	}
}

func TestSpansFromPdataRejectsEmptyIDs(t *testing.T) {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	good := spans.AppendEmpty()
	good.SetTraceID(pdataTestTrace)
	good.SetSpanID(pdataTestSpan)
	noTrace := spans.AppendEmpty()
	noTrace.SetName("no-trace")
	noTrace.SetSpanID(pdataTestSpan)
	noSpan := spans.AppendEmpty()
	noSpan.SetName("no-span")
	noSpan.SetTraceID(pdataTestTrace)

	res := SpansFromPdata(td)
	if len(res.Spans) != 1 || res.Spans[0].SpanID() != SpanID(pdataTestSpan) {
		t.Errorf("kept %d spans, want only the good one", len(res.Spans))
	}
	if res.Rejected != 2 {
		t.Errorf("Rejected = %d, want 2", res.Rejected)
	}
	if !strings.Contains(res.Reason, `"no-trace"`) || !strings.Contains(res.Reason, "empty trace id") {
		t.Errorf("Reason = %q, want it to name the first rejected span and why", res.Reason)
	}
}

// A span sent as protobuf and the same span sent as OTLP JSON give the same
// model span.
func TestSpansFromPdataProtoEqualsJSON(t *testing.T) {
	const doc = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"agent"}}]},
 "scopeSpans":[{"scope":{"name":"mlflow"},"spans":[{
  "traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331",
  "parentSpanId":"00f067aa0ba902b7","name":"chat gpt-4o","kind":3,
  "startTimeUnixNano":"1735689600123456789","endTimeUnixNano":"1735689600223456789",
  "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                {"key":"gen_ai.usage.input_tokens","value":{"intValue":"31"}},
                {"key":"x","value":{"doubleValue":1e-7}},
                {"key":"d","value":{"doubleValue":2}},
                {"key":"b","value":{"bytesValue":"AAEC/w=="}},
                {"key":"e","value":{}},
                {"key":"l","value":{"arrayValue":{"values":[{"stringValue":"<a>"},{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":true}}]}}]}}}],
  "events":[{"timeUnixNano":"1735689600220000000","name":"exception",
    "attributes":[{"key":"exception.type","value":{"stringValue":"Timeout\bError\u2028"}}]}],
  "links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","attributes":[{"key":"k","value":{"stringValue":"v"}}]}],
  "status":{"code":2,"message":"TimeoutError: upstream"}}]}]}]}`
	fromJSON := ptraceotlp.NewExportRequest()
	if err := fromJSON.UnmarshalJSON([]byte(doc)); err != nil {
		t.Fatal(err)
	}
	pb, err := fromJSON.MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	fromProto := ptraceotlp.NewExportRequest()
	if err := fromProto.UnmarshalProto(pb); err != nil {
		t.Fatal(err)
	}
	a, b := SpansFromPdata(fromJSON.Traces()), SpansFromPdata(fromProto.Traces())
	if len(a.Spans) != 1 || len(b.Spans) != 1 {
		t.Fatalf("got %d and %d spans, want 1 and 1", len(a.Spans), len(b.Spans))
	}
	if diff := cmp.Diff(pdataPlain(a.Spans[0]), pdataPlain(b.Spans[0]), pdataCmp); diff != "" {
		t.Errorf("JSON and protobuf decode differ (-json +proto):\n%s", diff)
	}
	// And the OTLP JSON reader reads the document to the same span.
	traces, _, err := decodeOTLP(gjson.Parse(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 1 || len(traces[0].Spans) != 1 {
		t.Fatalf("OTLP reader: %d traces, want 1 of 1 span", len(traces))
	}
	if diff := cmp.Diff(pdataPlain(traces[0].Spans[0]), pdataPlain(b.Spans[0]), pdataCmp); diff != "" {
		t.Errorf("OTLP reader and protobuf path differ (-reader +proto):\n%s", diff)
	}
	attrs := pdataPlain(b.Spans[0]).Attrs
	if diff := cmp.Diff([]Attribute{
		{"gen_ai.operation.name", "chat", ValueString},
		{"gen_ai.usage.input_tokens", "31", ValueInt},
		{"x", "1e-7", ValueDouble},
		{"d", "2.0", ValueDouble},
		{"b", `"AAEC/w=="`, ValueBytes},
		{"e", "null", ValueJSON},
		{"l", `["<a>",{"k":true}]`, ValueArray},
	}, attrs); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
}

func TestPdataAppendDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{2, "2.0"},
		{-3, "-3.0"},
		{0.5, "0.5"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{1e-7, "1e-7"},
		{1.5e-10, "1.5e-10"},
		{123456.789, "123456.789"},
		{math.NaN(), `"NaN"`},
		{math.Inf(1), `"Infinity"`},
		{math.Inf(-1), `"-Infinity"`},
	}
	for _, tt := range tests {
		got := string(pdataAppendDouble(nil, tt.in))
		if got != tt.want {
			t.Errorf("pdataAppendDouble(%v) = %q, want %q", tt.in, got, tt.want)
		}
		// Finite values are JSON numbers that read back exactly.
		if !math.IsNaN(tt.in) && !math.IsInf(tt.in, 0) {
			var f float64
			if err := json.Unmarshal([]byte(got), &f); err != nil || f != tt.in {
				t.Errorf("%q reads back as %v, %v; want %v", got, f, err, tt.in)
			}
		}
	}
}

// FuzzSpansFromPdata feeds arbitrary bytes through the collector's protobuf
// decoder and the conversion: no panics, and every kept span has ids.
func FuzzSpansFromPdata(f *testing.F) {
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(pdataTestTrace)
	sp.SetSpanID(pdataTestSpan)
	sp.Attributes().PutEmptySlice("a").AppendEmpty().SetEmptyMap().PutDouble("d", 1.5)
	seed, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(b); err != nil {
			return
		}
		res := SpansFromPdata(req.Traces())
		if len(res.Spans)+res.Rejected != req.Traces().SpanCount() {
			t.Fatalf("%d kept + %d rejected != %d spans", len(res.Spans), res.Rejected, req.Traces().SpanCount())
		}
		for _, s := range res.Spans {
			if s.TraceID().IsZero() || s.SpanID().IsZero() {
				t.Fatalf("kept a span without ids: %v/%v", s.TraceID(), s.SpanID())
			}
			for a := range s.Attributes().All() {
				if a.Type != ValueString && !json.Valid([]byte(a.Value)) {
					t.Fatalf("attribute %q of type %d is not JSON: %q", a.Key, a.Type, a.Value)
				}
			}
		}
	})
}

// The OTLP JSON reader and the protobuf path (pdata decode, then
// SpansFromPdata) agree span for span on real OTLP files: a span received
// as protobuf equals the same span read from OTLP JSON.
func TestSpansFromPdataMatchesOTLPReader(t *testing.T) {
	files := append(presentSamples(t,
		"open-telemetry-opentelemetry-proto__examples_trace.json",
		"open-telemetry-opentelemetry-specification__file-exporter_traces_example.jsonl",
	), "../../testdata/otlp/two_traces.json")
	compared := 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		docs := [][]byte{data}
		if strings.HasSuffix(name, ".jsonl") {
			docs = bytes.Split(data, []byte("\n"))
		}
		for i, doc := range docs {
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			traces, _, err := decodeOTLP(gjson.ParseBytes(doc))
			if err != nil {
				t.Fatalf("%s:%d: OTLP reader: %v", name, i+1, err)
			}
			// A file may hold spans without ids (the file-exporter example
			// does); the reader keeps them, a receiver rejects them.
			var fromJSON []pdataPlainSpan
			withoutIDs := 0
			for _, tr := range traces {
				for _, s := range tr.Spans {
					if s.TraceID().IsZero() || s.SpanID().IsZero() {
						withoutIDs++
						continue
					}
					fromJSON = append(fromJSON, pdataPlain(s))
				}
			}
			// Through protobuf, as a receiver gets it.
			req := ptraceotlp.NewExportRequest()
			if err := req.UnmarshalJSON(doc); err != nil {
				t.Fatalf("%s:%d: pdata JSON: %v", name, i+1, err)
			}
			pb, err := req.MarshalProto()
			if err != nil {
				t.Fatal(err)
			}
			req = ptraceotlp.NewExportRequest()
			if err := req.UnmarshalProto(pb); err != nil {
				t.Fatal(err)
			}
			res := SpansFromPdata(req.Traces())
			if res.Rejected != withoutIDs {
				t.Errorf("%s:%d: %d spans rejected, want the %d without ids", name, i+1, res.Rejected, withoutIDs)
			}
			var fromProto []pdataPlainSpan
			for _, s := range res.Spans {
				fromProto = append(fromProto, pdataPlain(s))
			}
			order := func(s []pdataPlainSpan) {
				slices.SortStableFunc(s, func(a, b pdataPlainSpan) int {
					if c := bytes.Compare(a.D.TraceID[:], b.D.TraceID[:]); c != 0 {
						return c
					}
					return bytes.Compare(a.D.SpanID[:], b.D.SpanID[:])
				})
			}
			order(fromJSON)
			order(fromProto)
			if diff := cmp.Diff(fromJSON, fromProto, pdataCmp); diff != "" {
				t.Errorf("%s:%d: OTLP reader and protobuf path differ (-reader +proto):\n%s", name, i+1, diff)
			}
			compared += len(fromProto)
		}
	}
	if compared < 3 {
		t.Errorf("compared only %d spans", compared)
	}
}

// BenchmarkSpansFromPdata converts a decoded 500-span request.
func BenchmarkSpansFromPdata(b *testing.B) {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := range 500 {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pdataTestTrace)
		sp.SetSpanID(pcommon.SpanID{1, byte(i >> 8), byte(i)})
		sp.SetParentSpanID(pdataTestParent)
		sp.SetName("span")
		sp.Attributes().PutStr(AttrSpanType, `"LLM"`)
		sp.Attributes().PutInt("gen_ai.usage.input_tokens", int64(i))
		sp.Attributes().PutDouble("temperature", 0.7)
	}
	b.ReportAllocs()
	for b.Loop() {
		if res := SpansFromPdata(td); len(res.Spans) != 500 {
			b.Fatal(len(res.Spans))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/span")
}
