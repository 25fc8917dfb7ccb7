package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// Trace ids and the schema version stay consistent across schemas: the
// metadata names the written schema, spans' mlflow.traceRequestId follows
// a rewritten trace id, and WrittenTraceID says which id was written.
func TestMLflowIDConsistency(t *testing.T) {
	const v2 = `{"info":{"request_id":"35b868131a66423783493da51f806370","timestamp_ms":1,"execution_time_ms":1,"status":"OK",` +
		`"request_metadata":{"mlflow.trace_schema.version":"2"},"tags":{}},"data":{"spans":[` +
		`{"name":"root","context":{"span_id":"0x84f212578f747953","trace_id":"0x19168085a936546a03d6c85d47fb9ab9"},"parent_id":null,"start_time":1000000,"end_time":2000000,"status_code":"OK","status_message":"","attributes":{"mlflow.traceRequestId":"\"35b868131a66423783493da51f806370\""},"events":[]},` +
		`{"name":"other","context":{"span_id":"0x84f212578f747954","trace_id":"0x19168085a936546a03d6c85d47fb9ab9"},"parent_id":"0x84f212578f747953","start_time":1000000,"end_time":2000000,"status_code":"OK","status_message":"","attributes":{"mlflow.traceRequestId":"\"someone-else\""},"events":[]}]}}`
	tests := []struct {
		name     string
		in       string
		schema   Schema
		wantID   string
		wantVer  string
		wantReq  []string // mlflow.traceRequestId of each span, decoded
		wantLoss []Loss
	}{
		{"v2 to v3", v2, SchemaMLflowV3, "tr-19168085a936546a03d6c85d47fb9ab9", "3",
			[]string{"tr-19168085a936546a03d6c85d47fb9ab9", "someone-else"}, []Loss{{Field: "info.request_id", Count: 1}}},
		{"v2 to v2", v2, SchemaMLflowV2, "35b868131a66423783493da51f806370", "2",
			[]string{"35b868131a66423783493da51f806370", "someone-else"}, nil},
		{"v3 to v2", strings.NewReplacer(`"request_id":"35b868131a66423783493da51f806370"`, `"request_id":"tr-19168085a936546a03d6c85d47fb9ab9"`,
			`"\"35b868131a66423783493da51f806370\""`, `"\"tr-19168085a936546a03d6c85d47fb9ab9\""`,
			`"mlflow.trace_schema.version":"2"`, `"mlflow.trace_schema.version":"3"`).Replace(v2),
			SchemaMLflowV2, "tr-19168085a936546a03d6c85d47fb9ab9", "2",
			[]string{"tr-19168085a936546a03d6c85d47fb9ab9", "someone-else"}, nil},
		{"unknown version kept", strings.Replace(v2, `"mlflow.trace_schema.version":"2"`, `"mlflow.trace_schema.version":"x"`, 1),
			SchemaMLflowV3, "tr-19168085a936546a03d6c85d47fb9ab9", "x",
			[]string{"tr-19168085a936546a03d6c85d47fb9ab9", "someone-else"}, []Loss{{Field: "info.request_id", Count: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := DecodeAll(strings.NewReader(tt.in), "in.json")
			if err != nil {
				t.Fatal(err)
			}
			tr := &docs[0].Traces[0]
			if got := WrittenTraceID(tt.schema, tr); got != tt.wantID {
				t.Errorf("WrittenTraceID = %q, want %q", got, tt.wantID)
			}
			out, losses, err := AppendTrace(nil, tt.schema, tr)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantLoss, losses); diff != "" {
				t.Errorf("losses (-want +got):\n%s", diff)
			}
			back, err := DecodeAll(strings.NewReader(string(out)), "out.json")
			if err != nil {
				t.Fatal(err)
			}
			bt := back[0].Traces[0]
			if bt.Info.TraceID != tt.wantID {
				t.Errorf("written trace id %q, want %q", bt.Info.TraceID, tt.wantID)
			}
			if v := bt.Info.Metadata[MetaSchemaVersion]; v != tt.wantVer {
				t.Errorf("schema version %q, want %q", v, tt.wantVer)
			}
			var req []string
			for _, s := range bt.Spans {
				v, _ := s.Attributes().String(AttrTraceRequestID)
				req = append(req, v)
			}
			if diff := cmp.Diff(tt.wantReq, req); diff != "" {
				t.Errorf("mlflow.traceRequestId (-want +got):\n%s\n%s", diff, out)
			}
		})
	}
}

// OTLP has no trace record, but MLflow names the trace in every span: when
// all spans agree, the OTLP reader takes that id.
func TestOTLPTraceIDFromRequestID(t *testing.T) {
	span := func(id, req string) string {
		attrs := ""
		if req != "" {
			attrs = `,"attributes":[{"key":"mlflow.traceRequestId","value":{"stringValue":"` + req + `"}}]`
		}
		return `{"traceId":"19168085a936546a03d6c85d47fb9ab9","spanId":"` + id + `","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2"` + attrs + `}`
	}
	doc := func(spans ...string) string {
		return `{"resourceSpans":[{"scopeSpans":[{"spans":[` + strings.Join(spans, ",") + `]}]}]}`
	}
	tests := []struct {
		name, doc, want string
	}{
		{"all agree", doc(span("84f212578f747953", "35b868131a66423783493da51f806370"), span("84f212578f747954", "35b868131a66423783493da51f806370")), "35b868131a66423783493da51f806370"},
		{"JSON-quoted", doc(span("84f212578f747953", `\"35b868131a66423783493da51f806370\"`)), "35b868131a66423783493da51f806370"},
		{"disagree", doc(span("84f212578f747953", "a"), span("84f212578f747954", "b")), "tr-19168085a936546a03d6c85d47fb9ab9"},
		{"one missing", doc(span("84f212578f747953", "a"), span("84f212578f747954", "")), "tr-19168085a936546a03d6c85d47fb9ab9"},
		{"none", doc(span("84f212578f747953", "")), "tr-19168085a936546a03d6c85d47fb9ab9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !gjson.Valid(tt.doc) {
				t.Fatalf("bad test doc %s", tt.doc)
			}
			docs, err := DecodeAll(strings.NewReader(tt.doc), "in.json")
			if err != nil {
				t.Fatal(err)
			}
			if got := docs[0].Traces[0].Info.TraceID; got != tt.want {
				t.Errorf("trace id %q, want %q", got, tt.want)
			}
		})
	}
}
