package spanjson

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tidwall/gjson"
)

// modelOpts compares decoded models: spans by their data, attributes by
// their lists, empty and nil slices alike.
var modelOpts = []cmp.Option{
	cmp.Transformer("span", func(s Span) SpanData { return s.Data() }),
	cmp.Transformer("attrs", func(a Attributes) []Attribute { return a.List() }),
	cmpopts.EquateEmpty(),
}

func roundTripFiles(t *testing.T) []string {
	t.Helper()
	files := presentSamples(t, coreSamples...)
	m, err := filepath.Glob(fixturesDir + "/*.json*")
	if err != nil {
		t.Fatal(err)
	}
	return append(files, m...)
}

// writeSchema is the schema a document is written back in: its own; OTLP
// for Jaeger and Zipkin ones (OTLP carries most of what they hold); v3 for
// the other schemas tracectl only reads (REST, console, Langfuse,
// LangSmith).
func writeSchema(s Schema) Schema {
	switch {
	case s == SchemaJaeger || s == SchemaZipkin:
		return SchemaOTLP
	case s.ReadOnly():
		return SchemaMLflowV3
	}
	return s
}

func writeAll(t *testing.T, docs []*Document, schema Schema) []byte {
	t.Helper()
	var out []byte
	for _, d := range docs {
		s := schema
		if s == SchemaUnknown {
			s = writeSchema(d.Schema)
		}
		for i := range d.Traces {
			var err error
			out, _, err = AppendTrace(out, s, &d.Traces[i])
			if err != nil {
				t.Fatalf("write %s: %v", s, err)
			}
			out = append(out, '\n')
		}
	}
	return out
}

// Read → write → read → write gives identical bytes, and a same-schema
// write loses nothing the model holds.
func TestRoundTripSameSchema(t *testing.T) {
	for _, path := range roundTripFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			docs, err := decodeFile(t, path)
			if err != nil {
				var se *SyntaxError
				if errors.As(err, &se) || errors.Is(err, ErrEmptyInput) || errors.Is(err, ErrNotImplemented) {
					t.Skipf("not a decodable trace file: %v", err)
				}
				t.Fatal(err)
			}
			first := writeAll(t, docs, SchemaUnknown)
			again, err := DecodeAll(bytes.NewReader(first), "first")
			if err != nil {
				t.Fatalf("re-reading the written form: %v\n%s", err, first)
			}
			second := writeAll(t, again, SchemaUnknown)
			if !bytes.Equal(first, second) {
				t.Errorf("second write differs:\nfirst:  %s\nsecond: %s", first, second)
			}
			for _, line := range bytes.Split(bytes.TrimSpace(first), []byte{'\n'}) {
				if !gjson.ValidBytes(line) {
					t.Errorf("invalid JSON written: %s", line)
				}
			}
			var before, after []Trace
			for _, d := range docs {
				if writeSchema(d.Schema) != d.Schema {
					return // a cross-schema write
				}
				before = append(before, d.Traces...)
			}
			for _, d := range again {
				after = append(after, d.Traces...)
			}
			if diff := cmp.Diff(before, after, modelOpts...); diff != "" {
				t.Errorf("same-schema write lost something (-read +reread):\n%s", diff)
			}
		})
	}
}

func TestWriteCanonicalForms(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/mlflow3_error_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := &docs[0].Traces[0]
	v3, loss, err := AppendTrace(nil, SchemaMLflowV3, tr)
	if err != nil || loss != nil {
		t.Fatalf("v3 write: %v, loss %v", err, loss)
	}
	// Same schema: the members as they were ("response_preview": "",
	// "trace_state": "", the event time in µs), in canonical order.
	for _, want := range []string{
		`{"info":{"trace_id":"tr-0af7651916cd43dd8448eb211c80319c","client_request_id":"req-42",` +
			`"trace_location":{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"7"}},` +
			`"request_time":"2025-01-01T00:00:00.123Z","execution_duration_ms":5098,"state":"ERROR",` +
			`"request_preview":"What is 2+2?","response_preview":"","trace_metadata":{"is_truncated":false,`,
		`{"trace_id":"CvdlGRbNQ92ESOshHIAxnA==","span_id":"APBnqgupArc=","trace_state":"","parent_span_id":null,"name":"predict",` +
			`"start_time_unix_nano":1735689600123456789,"end_time_unix_nano":1735689605221456789,"events":[],` +
			`"status":{"code":"STATUS_CODE_ERROR","message":"upstream failed"},"attributes":{"mlflow.traceRequestId":"\"tr-0af7651916cd43dd8448eb211c80319c\"",`,
		`"events":[{"name":"exception","time_unix_nano":1735689605190000,"attributes":{"exception.type":"BadRequestError",`,
		`"links":[{"trace_id":"EREREREREREREREREREREQ==","span_id":"IiIiIiIiIiI=","attributes":{"reason":"retry"}}],"vendor_extra":[1,2]}`,
		`"future_field":{"x":1}}`,
	} {
		if !bytes.Contains(v3, []byte(want)) {
			t.Errorf("v3 output lacks\n%s\nin\n%s", want, v3)
		}
	}

	v2, loss, err := AppendTrace(nil, SchemaMLflowV2, tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"info":{"request_id":"tr-0af7651916cd43dd8448eb211c80319c","experiment_id":"7","timestamp_ms":1735689600123,"execution_time_ms":5098,"status":"ERROR","request_metadata":{`,
		`{"name":"predict","context":{"span_id":"0x00f067aa0ba902b7","trace_id":"0x0af7651916cd43dd8448eb211c80319c"},"parent_id":null,"start_time":1735689600123456789,"end_time":1735689605221456789,"status_code":"ERROR","status_message":"upstream failed","attributes":{`,
		`"events":[{"name":"exception","timestamp":1735689605190000000,"attributes":{"exception.type":"BadRequestError",`,
		// the v3 request preview becomes the v2 metadata mlflow.traceInputs
		`"mlflow.traceInputs":"What is 2+2?"`,
	} {
		if !bytes.Contains(v2, []byte(want)) {
			t.Errorf("v2 output lacks\n%s\nin\n%s", want, v2)
		}
	}
	wantLoss := []Loss{
		{Field: "info.client_request_id", Count: 1},
		{Field: "info.future_field", Count: 1},
		{Field: "span.links", Count: 1},
		{Field: "span.vendor_extra", Count: 1},
	}
	if diff := cmp.Diff(wantLoss, loss); diff != "" {
		t.Errorf("v3→v2 losses (-want +got):\n%s", diff)
	}
}

func TestWriteV2ToV3Losses(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/mlflow2_full_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	out, loss, err := AppendTrace(nil, SchemaMLflowV3, &docs[0].Traces[0])
	if err != nil {
		t.Fatal(err)
	}
	want := []Loss{{Field: "info.data.request", Count: 1}, {Field: "info.request_id", Count: 1}}
	if diff := cmp.Diff(want, loss); diff != "" {
		t.Errorf("losses (-want +got):\n%s", diff)
	}
	// The bare attribute value (top_k: 5) is written canonically quoted in
	// another schema, and bare again in its own.
	if !bytes.Contains(out, []byte(`"top_k":"5"`)) {
		t.Errorf("v3 output does not quote top_k: %s", out)
	}
	v2, _, _ := AppendTrace(nil, SchemaMLflowV2, &docs[0].Traces[0])
	if !bytes.Contains(v2, []byte(`"top_k":5`)) {
		t.Errorf("v2 output lost the bare top_k: %s", v2)
	}
}

func TestWriteAttributeRules(t *testing.T) {
	attrs := NewAttributes([]Attribute{
		{Key: "json", Value: `{"a":1}`, Type: ValueJSON},
		{Key: "plain", Value: `not json`, Type: ValueJSON},
		{Key: "otlpstr", Value: `AGENT`, Type: ValueString},
		{Key: "arr", Value: `[1,2]`, Type: ValueArray},
	})
	tr := Trace{Info: TraceInfo{TraceID: "tr-" + t1}, Spans: []Span{NewSpan(SpanData{
		TraceID: mustTrace(t1), SpanID: mustSpan(r1), Name: "n", StartTime: 1, EndTime: 2,
		Attributes: attrs, Kind: SpanKindClient,
		Events: []Event{{Name: "e", Time: 1735689600000000003, Attributes: NewAttributes([]Attribute{
			{Key: "s", Value: `"x"`, Type: ValueJSON}, {Key: "raw", Value: `oops`, Type: ValueJSON},
		})}},
	})}}
	out, loss, err := AppendTrace(nil, SchemaMLflowV3, &tr)
	if err != nil {
		t.Fatal(err)
	}
	want := `"attributes":{"json":"{\"a\":1}","plain":"\"not json\"","otlpstr":"\"AGENT\"","arr":"[1,2]"}`
	if !bytes.Contains(out, []byte(want)) {
		t.Errorf("attributes: want %s in\n%s", want, out)
	}
	if !bytes.Contains(out, []byte(`"attributes":{"s":"x","raw":"oops"}`)) {
		t.Errorf("event attributes in %s", out)
	}
	wantLoss := []Loss{{Field: "attribute value type", Count: 1}, {Field: "span.kind", Count: 1}}
	if diff := cmp.Diff(wantLoss, loss); diff != "" {
		t.Errorf("losses (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(out), `"end_time_unix_nano":2`) {
		t.Errorf("times: %s", out)
	}
}

func mustTrace(s string) TraceID {
	id, err := ParseTraceID(s)
	if err != nil {
		panic(err)
	}
	return id
}

func mustSpan(s string) SpanID {
	id, err := ParseSpanID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// randomTrace builds a trace of valid (canonical) content: JSON attribute
// values, ns times, nested spans, error spans with exception events.
func randomTrace(r *rand.Rand) Trace {
	var tid TraceID
	for i := range tid {
		tid[i] = byte(r.IntN(256))
	}
	n := 1 + r.IntN(12)
	base := int64(1.7e18) + r.Int64N(1e17)
	var spans []Span
	var ids []SpanID
	for i := range n {
		var sid SpanID
		for j := range sid {
			sid[j] = byte(r.IntN(256))
		}
		sid[0] |= 1
		var parent SpanID
		if i > 0 {
			parent = ids[r.IntN(len(ids))]
		}
		ids = append(ids, sid)
		start := base + r.Int64N(1e9)
		d := SpanData{
			TraceID: tid, SpanID: sid, ParentID: parent,
			Name:      fmt.Sprintf("span-%d \"q\" é\n", i),
			StartTime: start, EndTime: start + r.Int64N(1e9),
		}
		values := []string{`"CHAIN"`, `{"q":"hi","n":[1,2.5,null]}`, `42`, `true`, `null`, `"with \"quotes\" and \\ \u2028"`, `[]`}
		var attrs []Attribute
		for k := range r.IntN(5) {
			attrs = append(attrs, Attribute{Key: fmt.Sprintf("k%d", k), Value: values[r.IntN(len(values))], Type: ValueJSON})
		}
		d.Attributes = NewAttributes(attrs)
		switch r.IntN(3) {
		case 0:
			d.Status = Status{Code: StatusOK}
		case 1:
			d.Status = Status{Code: StatusError, Message: "boom"}
			d.Events = []Event{{Name: "exception", Time: d.EndTime - 1, Attributes: NewAttributes([]Attribute{
				{Key: "exception.type", Value: `"ValueError"`, Type: ValueJSON},
				{Key: "exception.message", Value: `"bad \"x\""`, Type: ValueJSON},
			})}}
		}
		spans = append(spans, NewSpan(d))
	}
	return Trace{
		Info: TraceInfo{TraceID: tid.String(), RequestTime: time.UnixMilli(base / 1e6).UTC(), State: StateOK,
			Metadata: map[string]string{"a": "1"}, Tags: map[string]string{"t": "x"}},
		Spans: spans,
	}
}

type spanCore struct {
	Trace, Span, Parent string
	Name                string
	Start, End          int64
	Status              Status
	Attrs               []Attribute
	Events              []Event
}

func coreOf(spans []Span) []spanCore {
	var out []spanCore
	for _, s := range spans {
		out = append(out, spanCore{s.TraceID().String(), s.SpanID().String(), s.ParentID().String(), s.Name(),
			s.StartTime(), s.EndTime(), s.Status(), s.Attributes().List(), s.Events()})
	}
	return out
}

// v2 → v3 → v2 keeps ids, names, ns times, status, attributes and events.
func TestRoundTripV2V3V2Property(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		tr := randomTrace(r)
		cur := tr
		for _, schema := range []Schema{SchemaMLflowV2, SchemaMLflowV3, SchemaMLflowV2} {
			out, _, err := AppendTrace(nil, schema, &cur)
			if err != nil {
				t.Fatal(err)
			}
			docs, err := DecodeAll(bytes.NewReader(out), "gen")
			if err != nil {
				t.Fatalf("trace %d, %s: %v\n%s", i, schema, err, out)
			}
			if len(docs) != 1 || len(docs[0].Traces) != 1 || docs[0].Schema != schema {
				t.Fatalf("trace %d: %d docs", i, len(docs))
			}
			cur = docs[0].Traces[0]
		}
		if diff := cmp.Diff(coreOf(tr.Spans), coreOf(cur.Spans), modelOpts...); diff != "" {
			t.Fatalf("trace %d changed through v2→v3→v2 (-before +after):\n%s", i, diff)
		}
	}
}
