package spanjson

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOTelIDOfMLflowID(t *testing.T) {
	const hex = "0af7651916cd43dd8448eb211c80319c"
	tests := []struct {
		id     string
		want   string
		wantOK bool
	}{
		{"tr-" + hex, hex, true},
		{hex, hex, true},
		{strings.ToUpper(hex), hex, true},
		{"trace:/main.agents/" + hex, hex, true},
		{"trace:/cat.schema.prefix/" + hex, hex, true},
		{"trace:/a/b/c/tr-" + hex, hex, true}, // the last segment
		{"trace:/" + hex, "", false},          // no location
		{"trace:/main.agents/", "", false},
		{"trace:/main.agents/not-an-id", "", false},
		{"<redacted>", "", false},
		{"", "", false},
		{"tr-00000000000000000000000000000000", "", false}, // zero: no id
	}
	for _, tt := range tests {
		got, ok := OTelIDOfMLflowID(tt.id)
		if ok != tt.wantOK || (ok && got.String() != tt.want) {
			t.Errorf("OTelIDOfMLflowID(%q) = %s, %v; want %s, %v", tt.id, got, ok, tt.want, tt.wantOK)
		}
	}
}

const ucID = "trace:/main.agents/0af7651916cd43dd8448eb211c80319c"

// A Unity Catalog trace (trace:/<location>/<id>, trace_location UC_SCHEMA)
// is written back unchanged in MLflow 3; OTLP gets the OTel id its last
// segment names and reports the location and assessments it drops; read
// back from OTLP, the spans' mlflow.traceRequestId gives the UC id again.
func TestUnityCatalogTraceRoundTrip(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/mlflow3_uc_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := &docs[0].Traces[0]
	if tr.Info.TraceID != ucID || tr.Info.LocationType != "UC_SCHEMA" {
		t.Fatalf("read id %q, location type %q", tr.Info.TraceID, tr.Info.LocationType)
	}

	v3, losses := write(t, SchemaMLflowV3, tr)
	if losses != nil {
		t.Errorf("v3 -> v3 losses %v", losses)
	}
	for _, want := range []string{
		`{"info":{"trace_id":"` + ucID + `",`,
		`"trace_location":{"type":"UC_SCHEMA","uc_schema":{"catalog_name":"main","schema_name":"agents"}}`,
		`"assessments":[{"assessment_id":"a-00000000000000000000000000000001"`,
	} {
		if !bytes.Contains(v3, []byte(want)) {
			t.Errorf("v3 output lacks %s", want)
		}
	}
	again, _ := write(t, SchemaMLflowV3, readOne(t, v3, SchemaMLflowV3))
	if !bytes.Equal(again, v3) {
		t.Errorf("v3 -> v3 -> v3 differs:\n%s\n%s", v3, again)
	}

	otlp, losses := write(t, SchemaOTLP, tr)
	if !bytes.Contains(otlp, []byte(`"traceId":"0af7651916cd43dd8448eb211c80319c"`)) {
		t.Errorf("OTLP output has not the OTel id of the UC id:\n%s", otlp)
	}
	lost := lossMap(losses)
	for field, n := range map[string]int{"info.trace_location": 1, "info.assessments": 2, "info.client_request_id": 1} {
		if lost[field] != n {
			t.Errorf("OTLP loss %s = %d, want %d (%v)", field, lost[field], n, losses)
		}
	}
	if lost["info.trace_id"] != 0 {
		t.Errorf("the spans carry the UC id, yet info.trace_id is reported lost")
	}
	back := readOne(t, otlp, SchemaOTLP)
	if back.Info.TraceID != ucID || WrittenTraceID(SchemaOTLP, tr) != ucID {
		t.Errorf("OTLP read back as %q (WrittenTraceID %q), want %q", back.Info.TraceID, WrittenTraceID(SchemaOTLP, tr), ucID)
	}
	v3back, _ := write(t, SchemaMLflowV3, back)
	if !bytes.Contains(v3back, []byte(`{"info":{"trace_id":"`+ucID+`"`)) {
		t.Errorf("v3 -> otlp -> v3 lost the UC id:\n%s", v3back)
	}

	// Spans that do not name the trace: OTLP cannot carry the UC id.
	bare := &Trace{Info: tr.Info, Spans: []Span{withoutAttr(tr.Spans[0], AttrTraceRequestID)}}
	if _, losses := write(t, SchemaOTLP, bare); lossMap(losses)["info.trace_id"] != 1 {
		t.Errorf("UC id not carried by the spans, losses %v", losses)
	}
	// A UC trace without spans still names its OTel id.
	if id, ok := otelTraceID(&Trace{Info: tr.Info}); !ok || id.String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("otelTraceID of a span-less UC trace = %s, %v", id, ok)
	}
}

func withoutAttr(s Span, key string) Span {
	d := s.Data()
	var kept []Attribute
	for a := range d.Attributes.All() {
		if a.Key != key {
			kept = append(kept, a)
		}
	}
	d.Attributes = NewAttributes(kept)
	return NewSpan(d)
}

// MLflow 2 keeps previews as the request metadata mlflow.traceInputs and
// mlflow.traceOutputs: a v2 write carries MLflow 3 previews there, a v2
// read gives them back as previews, and what a reader would not get back
// is reported.
func TestMLflow2PreviewsInMetadata(t *testing.T) {
	long := `"` + strings.Repeat("é", PreviewMaxLength) + `"`
	tests := []struct {
		name         string
		req, resp    string
		meta         map[string]string
		wantMeta     map[string]string // request_metadata written, schema version aside
		wantReq      string            // request preview read back
		wantLoss     []Loss
		wantMetaBack map[string]string // metadata read back
	}{
		{name: "previews carried", req: `{"q": "hi"}`, resp: `"hello"`,
			wantMeta: map[string]string{MetaTraceInputs: `{"q": "hi"}`, MetaTraceOutputs: `"hello"`},
			wantReq:  `{"q": "hi"}`, wantMetaBack: map[string]string{}},
		{name: "plain text preview", req: "What is 2+2?",
			wantMeta: map[string]string{MetaTraceInputs: "What is 2+2?"},
			wantReq:  "What is 2+2?", wantMetaBack: map[string]string{}},
		{name: "metadata kept, preview agrees", req: `{"q": "hi"}`,
			meta:     map[string]string{MetaTraceInputs: `{"q": "hi"}`},
			wantMeta: map[string]string{MetaTraceInputs: `{"q": "hi"}`},
			wantReq:  `{"q": "hi"}`, wantMetaBack: map[string]string{}},
		{name: "metadata kept, preview differs", req: "hi",
			meta:     map[string]string{MetaTraceInputs: `{"q": "hi"}`},
			wantMeta: map[string]string{MetaTraceInputs: `{"q": "hi"}`},
			wantReq:  `{"q": "hi"}`, wantLoss: []Loss{{Field: "info.request_preview", Count: 1}}, wantMetaBack: map[string]string{}},
		{name: "full inputs longer than a preview stay in the metadata", req: long[:PreviewMaxLength*2],
			meta:         map[string]string{MetaTraceInputs: long},
			wantMeta:     map[string]string{MetaTraceInputs: long},
			wantReq:      ClipRunes(long, PreviewMaxLength),
			wantLoss:     []Loss{{Field: "info.request_preview", Count: 1}},
			wantMetaBack: map[string]string{MetaTraceInputs: long}},
		{name: "no previews", wantMeta: map[string]string{}, wantMetaBack: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &Trace{Info: TraceInfo{TraceID: "tr-0af7651916cd43dd8448eb211c80319c", State: StateOK,
				RequestPreview: tt.req, ResponsePreview: tt.resp, Metadata: tt.meta}}
			out, losses := write(t, SchemaMLflowV2, tr)
			if diff := cmp.Diff(tt.wantLoss, losses); diff != "" {
				t.Errorf("losses (-want +got):\n%s", diff)
			}
			back := readOne(t, out, SchemaMLflowV2)
			written := map[string]string{}
			for k, v := range back.Info.Metadata {
				written[k] = v
			}
			if back.Info.RequestPreview != "" {
				if _, kept := written[MetaTraceInputs]; !kept {
					written[MetaTraceInputs] = back.Info.RequestPreview
				}
			}
			if back.Info.ResponsePreview != "" {
				written[MetaTraceOutputs] = back.Info.ResponsePreview
			}
			delete(written, MetaSchemaVersion)
			if diff := cmp.Diff(tt.wantMeta, written); diff != "" {
				t.Errorf("metadata written (-want +got):\n%s\n%s", diff, out)
			}
			if back.Info.RequestPreview != tt.wantReq || back.Info.ResponsePreview != tt.resp {
				t.Errorf("previews read back %q, %q; want %q, %q", back.Info.RequestPreview, back.Info.ResponsePreview, tt.wantReq, tt.resp)
			}
			if diff := cmp.Diff(tt.wantMetaBack, back.Info.Metadata); diff != "" {
				t.Errorf("metadata read back (-want +got):\n%s", diff)
			}
			// v2 -> v2 gives the same document.
			if again, _ := write(t, SchemaMLflowV2, back); !bytes.Equal(again, out) {
				t.Errorf("v2 -> v2 differs:\n%s\n%s", out, again)
			}
		})
	}
}

func TestParseAssessment(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		raw  string
		want Assessment
		kind string
		ok   bool
	}{
		{"feedback", `{"assessment_id":"a-1","assessment_name":"correct","trace_id":"tr-1","span_id":"s","source":{"source_type":"LLM_JUDGE","source_id":"gpt"},"create_time":"2025-01-01T00:00:00Z","feedback":{"value":true},"rationale":"ok","metadata":{"k":"v","n":3},"valid":true}`,
			Assessment{AssessmentID: "a-1", Name: "correct", TraceID: "tr-1", SpanID: "s", Source: AssessmentSource{"LLM_JUDGE", "gpt"}, CreateTime: "2025-01-01T00:00:00Z",
				Feedback: &AssessmentValue{Value: []byte("true")}, Rationale: "ok", Metadata: map[string]string{"k": "v", "n": "3"}, Valid: &yes}, AssessmentFeedback, true},
		{"expectation, Python names", `{"name":"expected","source":{"sourceType":"HUMAN"},"create_time_ms":1735689600123,"expectation":{"value":{"a":[1]}},"valid":false,"overrides":"a-0"}`,
			Assessment{Name: "expected", Source: AssessmentSource{SourceType: "HUMAN"}, CreateTime: "2025-01-01T00:00:00.123Z",
				Expectation: &AssessmentValue{Value: []byte(`{"a":[1]}`)}, Valid: &no, Overrides: "a-0"}, AssessmentExpectation, true},
		{"feedback error", `{"assessment_name":"x","feedback":{"value":null,"error":{"error_code":"E","error_message":"boom"}}}`,
			Assessment{Name: "x", Feedback: &AssessmentValue{Value: []byte("null"), Error: []byte(`{"error_code":"E","error_message":"boom"}`)}}, AssessmentFeedback, true},
		{"neither", `{"assessment_name":"x"}`, Assessment{Name: "x"}, "", true},
		{"not an object", `[1]`, Assessment{}, "", false},
		{"not JSON", `{"a"`, Assessment{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseAssessment([]byte(tt.raw))
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.Kind() != tt.kind {
				t.Errorf("Kind = %q, want %q", got.Kind(), tt.kind)
			}
		})
	}
}

// The Unity Catalog and tr- forms of an id name the same OTel id, and
// whatever is read, an id that is named prints back as itself.
func FuzzOTelIDOfMLflowID(f *testing.F) {
	for _, s := range []string{ucID, "tr-0af7651916cd43dd8448eb211c80319c", "0af7651916cd43dd8448eb211c80319c",
		"trace:/a/b/CvdlGRbNQ92ESOshHIAxnA==", "trace://", "trace:/x/", "<redacted>", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := OTelIDOfMLflowID(s)
		if !ok {
			if !id.IsZero() {
				t.Fatalf("%q: not ok, yet id %s", s, id)
			}
			return
		}
		for _, form := range []string{id.String(), id.MLflowID(), UCTraceIDPrefix + "loc/" + id.String(), UCTraceIDPrefix + "a/b/" + id.MLflowID()} {
			if again, ok := OTelIDOfMLflowID(form); !ok || again != id {
				t.Fatalf("%q names %s, but %q names %s, %v", s, id, form, again, ok)
			}
		}
	})
}

// An assessment read and written in the canonical form reads back the
// same.
func FuzzParseAssessment(f *testing.F) {
	if b, err := os.ReadFile(fixturesDir + "/mlflow3_uc_trace.json"); err == nil {
		if docs, err := DecodeAll(bytes.NewReader(b), "uc"); err == nil {
			for _, a := range docs[0].Traces[0].Info.Assessments {
				f.Add([]byte(a))
			}
		}
	}
	f.Add([]byte(`{"name":"x","source":{"sourceType":"CODE"},"create_time_ms":"12","feedback":{"value":null,"error":{"error_message":"e"}},"valid":false}`))
	f.Add([]byte(`{"assessment_name":"x","expectation":3,"metadata":{"a":{"b":1}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, ok := ParseAssessment(raw)
		if !ok {
			return
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("%q: parsed %+v does not marshal: %v", raw, a, err)
		}
		back, ok := ParseAssessment(b)
		if !ok {
			t.Fatalf("canonical form %s does not parse", b)
		}
		if back.Name != a.Name || back.Kind() != a.Kind() || back.Source != a.Source || back.Rationale != a.Rationale ||
			back.CreateTime != a.CreateTime || !maps.Equal(back.Metadata, a.Metadata) {
			t.Fatalf("%s\nparsed    %+v\nre-parsed %+v", b, a, back)
		}
	})
}
