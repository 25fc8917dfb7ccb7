package spanjson

import (
	"bytes"
	"testing"

	"github.com/tidwall/gjson"
)

// FuzzDecodeOTLP: decodeOTLP never panics; what it decodes has consistent
// ids (one trace id per trace, no trace twice, the info id matching), and
// its canonical OTLP output reads back to the same ids and writes the same
// bytes again.
func FuzzDecodeOTLP(f *testing.F) {
	for _, file := range otlpTestFiles(f) {
		for _, doc := range otlpDocs(f, file) {
			f.Add(doc)
		}
	}
	for _, s := range []string{
		`{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"CvdlGRbNQ92ESOshHIAxnA==","span_id":"t61rcWkgMzE=","kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_ERROR"}}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","attributes":[{"key":"a","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"b","value":{"doubleValue":1}}]}}]}}},{"key":"c","value":{"bytesValue":"AQ=="}}]}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"x","spanId":"y","parentSpanId":"y","events":[{"timeUnixNano":1,"attributes":[{"key":"k","value":{"stringValue":"\"q\""}}]}],"links":[{"traceId":"","spanId":"z"}]}]}]}],"extra":{"a":[1, 2]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !gjson.ValidBytes(data) {
			return // the document framing rejects invalid JSON before decodeOTLP
		}
		traces, _, err := decodeOTLP(gjson.ParseBytes(data))
		if err != nil {
			return
		}
		seen := map[TraceID]bool{}
		for ti := range traces {
			tr := &traces[ti]
			if len(tr.Spans) == 0 {
				t.Fatal("a decoded trace has no spans")
			}
			id := tr.Spans[0].TraceID()
			if seen[id] {
				t.Fatalf("trace %v returned twice", id)
			}
			seen[id] = true
			for _, s := range tr.Spans {
				if s.TraceID() != id {
					t.Fatalf("trace %v holds a span of trace %v", id, s.TraceID())
				}
			}
			if tr.Info.TraceID != id.MLflowID() && (tr.Spans[0].Data().Opaque == nil || OpaqueTraceID(tr.Info.TraceID) != id) {
				t.Fatalf("info trace id %q does not match span trace id %v", tr.Info.TraceID, id)
			}

			out, _, err := appendOTLP(nil, tr)
			if err != nil {
				t.Fatal(err)
			}
			if !gjson.ValidBytes(out) {
				t.Fatalf("invalid JSON written: %s", out)
			}
			again, _, err := decodeOTLP(gjson.ParseBytes(out))
			if err != nil {
				t.Fatalf("cannot read back our output: %v\n%s", err, out)
			}
			if len(again) != 1 || len(again[0].Spans) != len(tr.Spans) {
				t.Fatalf("read back %d traces from %s", len(again), out)
			}
			// The writer groups the spans by resource and scope, so they come
			// back in the groups' order.
			var order []int
			for _, g := range groupByResource(tr.Spans) {
				for _, sg := range g.scopes {
					order = append(order, sg.spans...)
				}
			}
			if len(order) != len(again[0].Spans) {
				t.Fatalf("%d spans grouped, %d read back", len(order), len(again[0].Spans))
			}
			for k, s := range again[0].Spans {
				a, b := tr.Spans[order[k]].Data(), s.Data()
				if a.TraceID != b.TraceID || a.SpanID != b.SpanID || a.ParentID != b.ParentID || a.StartTime != b.StartTime || a.EndTime != b.EndTime {
					t.Fatalf("span %d changed ids or times on a write/read", order[k])
				}
			}
			out2, _, _ := appendOTLP(nil, &again[0])
			if !bytes.Equal(out, out2) {
				t.Fatalf("second write differs:\n%s\n%s", out, out2)
			}
		}
	})
}
