package spanjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

func TestAppendOTLPCanonical(t *testing.T) {
	tests := []struct {
		file  string
		trace int
		want  string
	}{
		{
			// upper-case hex → lower, times stay strings, kind 2, status written
			file: "open-telemetry-opentelemetry-proto__examples_trace.json",
			want: `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},` +
				`"scopeSpans":[{"scope":{"name":"my.library","version":"1.0.0","attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},` +
				`"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173",` +
				`"name":"I'm a server span","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",` +
				`"attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}],"status":{"code":0}}]}]}]}`,
		},
		{
			// snake_case → camelCase, enum names → numbers, base64 ids → hex,
			// numbers → strings for int64, unknown members kept in place and
			// compacted, the MLflow JSON-quoted span type unwrapped.
			file: "snake_case.json",
			want: `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"agent"}},{"key":"host.cores","value":{"intValue":"8"}}],"droppedAttributesCount":1,"x_resource_note":{"kept":true}},` +
				`"scopeSpans":[{"scope":{"name":"mlflow","version":"3.1.0","droppedAttributesCount":2},"spans":[` +
				`{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"agent","kind":2,"startTimeUnixNano":"1735689600123456789","endTimeUnixNano":"1735689601123456789",` +
				`"attributes":[{"key":"mlflow.spanType","value":{"stringValue":"AGENT"}},{"key":"retries","value":{"intValue":"3"}},{"key":"temperature","value":{"doubleValue":0.7}},{"key":"top_p","value":{"doubleValue":1.0}},` +
				`{"key":"stream","value":{"boolValue":false}},{"key":"blob","value":{"bytesValue":"AAEC/v8="}},` +
				`{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"},{"arrayValue":{"values":[{"boolValue":true}]}}]}}},` +
				`{"key":"config","value":{"kvlistValue":{"values":[{"key":"model","value":{"stringValue":"gpt-4o"}},{"key":"limits","value":{"kvlistValue":{"values":[{"key":"max","value":{"doubleValue":2.5}}]}}}]}}}],` +
				`"status":{"code":1},"x_span_note":[1,2]},` +
				`{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","traceState":"vendor=1","parentSpanId":"00f067aa0ba902b7","flags":257,"name":"chat gpt-4o","kind":3,` +
				`"startTimeUnixNano":"1735689600223456789","endTimeUnixNano":"1735689600923456789","droppedAttributesCount":4,` +
				`"events":[{"timeUnixNano":"1735689600920000001","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"TimeoutError"}},{"key":"exception.escaped","value":{"boolValue":true}}],"droppedAttributesCount":1,"x_event_note":"e"}],"droppedEventsCount":2,` +
				`"links":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8","traceState":"k=v","attributes":[{"key":"link.kind","value":{"stringValue":"follows"}}],"droppedAttributesCount":3,"flags":1}],"droppedLinksCount":5,` +
				`"status":{"message":"TimeoutError: upstream","code":2}}],"schemaUrl":"https://opentelemetry.io/schemas/1.26.0"}],"schemaUrl":"https://opentelemetry.io/schemas/1.25.0"}]}`,
		},
		{
			// one trace of a two-trace document: only its spans, regrouped
			// by resource then scope in first-seen order; top-level member kept
			file: "two_traces.json",
			want: `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]},"scopeSpans":[` +
				`{"scope":{"name":"lib.a"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"1111111111111111","name":"t1 root","kind":2,"startTimeUnixNano":"100","endTimeUnixNano":"900","status":{"message":"boom","code":2}}]},` +
				`{"scope":{"name":"lib.b"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"3333333333333333","parentSpanId":"1111111111111111","name":"t1 child","kind":0,"startTimeUnixNano":"200","endTimeUnixNano":"300","status":{"code":0}}]}]},` +
				`{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"backend"}}]},"scopeSpans":[` +
				`{"scope":{"name":"lib.a"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"4444444444444444","parentSpanId":"3333333333333333","name":"t1 grandchild","kind":0,"startTimeUnixNano":"250","endTimeUnixNano":"280","status":{"code":0}}]}]}],"x_top":"kept"}`,
		},
		{
			// the other trace of that document: in progress (end 0)
			file: "two_traces.json", trace: 1,
			want: `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]},"scopeSpans":[` +
				`{"scope":{"name":"lib.a"},"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"2222222222222222","name":"t2 root","kind":1,"startTimeUnixNano":"50","endTimeUnixNano":"0","status":{"code":0}}]}]}],"x_top":"kept"}`,
		},
		{
			// undecodable ids of an OTLP span are written back as they were
			file: "opaque_ids.json",
			want: `{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[` +
				`{"traceId":"<redacted>","spanId":"<redacted>","name":"root","kind":1,"startTimeUnixNano":"10","endTimeUnixNano":"20","status":{"code":1}},` +
				`{"traceId":"<redacted>","spanId":"0123456789abcdef","parentSpanId":"<redacted>","name":"child","kind":0,"startTimeUnixNano":"11","endTimeUnixNano":"19","status":{"code":0}}]}]}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s#%d", tt.file, tt.trace), func(t *testing.T) {
			traces, _ := decodeOTLPBytes(t, otlpDocs(t, otlpTestFile(t, tt.file))[0])
			got, losses, err := AppendTrace(nil, SchemaOTLP, &traces[tt.trace])
			if err != nil {
				t.Fatal(err)
			}
			if len(losses) != 0 {
				t.Errorf("OTLP → OTLP reported losses %v", losses)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// canonicalOTLPString is what the writer makes of an OTLP stringValue: a
// JSON-quoted string whose content is not JSON loses its quotes.
func canonicalOTLPString(list []Attribute) []Attribute {
	if list == nil {
		return nil
	}
	out := make([]Attribute, len(list))
	for i, a := range list {
		if a.Type == ValueString {
			if r := gjson.Parse(a.Value); gjson.Valid(a.Value) && r.Type == gjson.String && !gjson.Valid(r.Str) {
				a.Value = r.Str
			}
		}
		out[i] = a
	}
	return out
}

// compactRaw compares kept JSON members without their whitespace, which the
// writer drops.
var compactRaw = cmp.Transformer("compact", func(r json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, r); err != nil {
		return "invalid: " + string(r)
	}
	return b.String()
})

// Read → write → read → write: the two writes are byte-identical and the
// second read equals the first (up to the one canonical rewrite above).
func TestOTLPReadWriteReadWrite(t *testing.T) {
	for _, file := range otlpTestFiles(t) {
		for di, doc := range otlpDocs(t, file) {
			first, _ := decodeOTLPBytes(t, doc)
			for ti := range first {
				name := fmt.Sprintf("%s/doc%d/trace%d", file, di, ti)
				out1, _, err := appendOTLP(nil, &first[ti])
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				second, _ := decodeOTLPBytes(t, out1)
				if len(second) != 1 {
					t.Fatalf("%s: wrote %d traces", name, len(second))
				}
				out2, _, _ := appendOTLP(nil, &second[0])
				if string(out1) != string(out2) {
					t.Errorf("%s: second write differs:\n%s\n%s", name, out1, out2)
				}
				want := otlpViewsOf(first[ti].Spans)
				for i := range want {
					want[i].Attributes = canonicalOTLPString(want[i].Attributes)
				}
				if d := cmp.Diff(want, otlpViewsOf(second[0].Spans), compactRaw); d != "" {
					t.Errorf("%s: spans changed (-first +second):\n%s", name, d)
				}
				if d := cmp.Diff(first[ti].Info, second[0].Info, compactRaw); d != "" {
					t.Errorf("%s: info changed (-first +second):\n%s", name, d)
				}
			}
		}
	}
}

// A trace as an MLflow reader builds it: spans without resource or scope,
// MLflow JSON-text attributes, and trace info OTLP cannot carry.
func mlflowShapedTrace() *Trace {
	tid, _ := ParseTraceID("0af7651916cd43dd8448eb211c80319c")
	root, _ := ParseSpanID("00f067aa0ba902b7")
	child, _ := ParseSpanID("b7ad6b7169203331")
	start := int64(1735689600123456789)
	mlflowExtra := Extras{Schema: SchemaMLflowV3, Fields: []Field{{Key: "x_note", Value: json.RawMessage(`1`)}}}
	return &Trace{
		Info: TraceInfo{
			TraceID:           "tr-0af7651916cd43dd8448eb211c80319c",
			ClientRequestID:   "req-42",
			ExperimentID:      "0",
			LocationType:      ExperimentLocation,
			RequestTime:       time.UnixMilli(start / 1e6).UTC(), // MLflow keeps ms
			ExecutionDuration: 1000 * time.Millisecond,
			HasDuration:       true,
			State:             StateOK,
			RequestPreview:    `{"q":"hi"}`,
			ResponsePreview:   `"hello"`,
			Metadata:          map[string]string{MetaSchemaVersion: "3", MetaTokenUsage: `{"total_tokens":3}`},
			Tags:              map[string]string{TagTraceName: "agent"},
			Assessments:       []json.RawMessage{json.RawMessage(`{}`), json.RawMessage(`{}`)},
			Extra:             mlflowExtra,
		},
		Spans: []Span{
			NewSpan(SpanData{
				TraceID: tid, SpanID: root, Name: "agent", StartTime: start, EndTime: start + 1e9,
				Status: Status{Code: StatusOK}, Kind: SpanKindInternal,
				Attributes: NewAttributes([]Attribute{
					{Key: AttrSpanType, Value: `"AGENT"`},
					{Key: AttrInputs, Value: `{"q":"hi"}`},
					{Key: AttrOutputs, Value: `"hello"`},
					{Key: "n", Value: `3`},
					{Key: "x", Value: `0.5`},
					{Key: "raw", Value: `CHAT_MODEL`},
				}),
				Extra: mlflowExtra,
			}),
			NewSpan(SpanData{
				TraceID: tid, SpanID: child, ParentID: root, Name: "llm", StartTime: start + 1e6, EndTime: start + 5e8,
				Status: Status{Code: StatusError, Message: "boom"},
				Events: []Event{{Name: "exception", Time: start + 4e8, Extra: mlflowExtra,
					Attributes: NewAttributes([]Attribute{{Key: "exception.type", Value: `"BadRequestError"`}, {Key: "code", Value: `400`}})}},
			}),
		},
	}
}

func TestAppendOTLPFromMLflow(t *testing.T) {
	tr := mlflowShapedTrace()
	got, losses, err := appendOTLP(nil, tr)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[` +
		`{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"agent","kind":1,"startTimeUnixNano":"1735689600123456789","endTimeUnixNano":"1735689601123456789",` +
		`"attributes":[{"key":"mlflow.spanType","value":{"stringValue":"AGENT"}},{"key":"mlflow.spanInputs","value":{"stringValue":"{\"q\":\"hi\"}"}},` +
		`{"key":"mlflow.spanOutputs","value":{"stringValue":"hello"}},{"key":"n","value":{"intValue":"3"}},{"key":"x","value":{"doubleValue":0.5}},{"key":"raw","value":{"stringValue":"CHAT_MODEL"}}],"status":{"code":1}},` +
		`{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7","name":"llm","kind":1,"startTimeUnixNano":"1735689600124456789","endTimeUnixNano":"1735689600623456789",` +
		`"events":[{"timeUnixNano":"1735689600523456789","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"BadRequestError"}},{"key":"code","value":{"intValue":"400"}}]}],` +
		`"status":{"message":"boom","code":2}}]}]}]}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// A span without a kind (MLflow dicts have none) is written INTERNAL.
	// The trace id, request time (to the ms), duration and state agree with
	// the spans, so they travel; everything else is reported.
	wantLosses := []Loss{
		{Field: "event.x_note", Count: 1},
		{Field: "info.assessments", Count: 2},
		{Field: "info.client_request_id", Count: 1},
		{Field: "info.experiment_id", Count: 1},
		{Field: "info.request_preview", Count: 1},
		{Field: "info.response_preview", Count: 1},
		{Field: "info.tags", Count: 1},
		{Field: "info.trace_metadata", Count: 2},
		{Field: "info.x_note", Count: 1},
		{Field: "span.x_note", Count: 1},
	}
	if d := cmp.Diff(wantLosses, losses); d != "" {
		t.Errorf("losses (-want +got):\n%s", d)
	}
}

func TestAppendOTLPInfoDisagreeingWithSpans(t *testing.T) {
	tr := mlflowShapedTrace()
	tr.Info = TraceInfo{
		TraceID:           "5f0c2e7a9b1d4c3e8a6f00112233aabb", // an MLflow 2 request_id: not the OTel id
		RequestTime:       time.Unix(0, tr.Spans[0].StartTime()).Add(-5 * time.Millisecond),
		ExecutionDuration: 2 * time.Second, HasDuration: true,
		State:        StateError,
		LocationType: "INFERENCE_TABLE", Location: json.RawMessage(`{"type":"INFERENCE_TABLE"}`),
	}
	_, losses, _ := appendOTLP(nil, tr)
	wantLosses := []Loss{
		{Field: "event.x_note", Count: 1},
		{Field: "info.execution_duration", Count: 1},
		{Field: "info.request_time", Count: 1},
		{Field: "info.state", Count: 1},
		{Field: "info.trace_id", Count: 1},
		{Field: "info.trace_location", Count: 1},
		{Field: "span.x_note", Count: 1},
	}
	if d := cmp.Diff(wantLosses, losses); d != "" {
		t.Errorf("losses (-want +got):\n%s", d)
	}

	// The hex of the OTel id without "tr-" is the same id: no loss.
	tr.Info = TraceInfo{TraceID: "0af7651916cd43dd8448eb211c80319c"}
	tr.Spans = tr.Spans[1:2:2]
	tr.Spans[0] = NewSpan(SpanData{TraceID: tr.Spans[0].TraceID(), SpanID: tr.Spans[0].SpanID(), Name: "x"})
	if _, losses, _ := appendOTLP(nil, tr); len(losses) != 0 {
		t.Errorf("losses = %v, want none", losses)
	}
}

// Undecodable ids of spans read from MLflow become their stand-in hex ids,
// which OTLP receivers accept, and are reported.
func TestAppendOTLPOpaqueFromMLflow(t *testing.T) {
	s := NewSpan(SpanData{
		TraceID: OpaqueTraceID("<redacted>"), SpanID: OpaqueSpanID("<redacted>"), Name: "root",
		Opaque: &OpaqueIDs{TraceID: "<redacted>", SpanID: "<redacted>"},
	})
	got, losses, _ := appendOTLP(nil, &Trace{Info: TraceInfo{TraceID: "<redacted>"}, Spans: []Span{s}})
	want := fmt.Sprintf(`{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[{"traceId":"%s","spanId":"%s","name":"root","kind":1,"startTimeUnixNano":"0","endTimeUnixNano":"0","status":{"code":0}}]}]}]}`,
		OpaqueTraceID("<redacted>"), OpaqueSpanID("<redacted>"))
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// the info id "<redacted>" cannot travel either: readers will see the stand-in
	if d := cmp.Diff([]Loss{{Field: "info.trace_id", Count: 1}, {Field: "span.opaque_id", Count: 2}}, losses); d != "" {
		t.Errorf("losses (-want +got):\n%s", d)
	}
}

func TestAppendOTLPEmptyTrace(t *testing.T) {
	got, losses, err := AppendTrace([]byte("x"), SchemaOTLP, &Trace{})
	if err != nil || len(losses) != 0 || string(got) != `x{"resourceSpans":[]}` {
		t.Errorf("got %s, %v, %v", got, losses, err)
	}
}
