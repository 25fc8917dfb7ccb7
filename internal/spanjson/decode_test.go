package spanjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"tracectl/internal/spanjson/spanjsontest"
)

const fixturesDir = "../../testdata/spanjson"

// coreSamples are the real MLflow and OTLP files of ../shared/samples (see
// its SOURCES.md) that the decode, write, stream and round-trip tests read
// beside the fixtures; the Jaeger, Zipkin and GenAI ones have tests of
// their own. They are never copied into the repository: without the
// folder, the tests over them skip and the fixtures alone are read.
var coreSamples = []string{
	"mlflow-mlflow-export-import__samples_oss_mlflow_bulk_prompts_my-greeting-prompt_v1_prompt.json",
	"mlflow-mlflow-website__bedrock-chat-model-part-1_trace_excerpt.json",
	"mnorberg-dev-mnorberg-dev.github.io__databricks_output_trace_ok.json",
	"open-telemetry-opentelemetry-proto__examples_trace.json",
	"open-telemetry-opentelemetry-specification__file-exporter_traces_example.jsonl",
}

// presentSamples returns the paths of those named samples found in
// sharedSamplesDir: none when the folder is absent. A name missing from a
// folder that is there is an error of the test.
func presentSamples(t testing.TB, names ...string) []string {
	t.Helper()
	if _, err := os.Stat(sharedSamplesDir); err != nil {
		return nil
	}
	var out []string
	for _, n := range names {
		p := sharedSamplesDir + "/" + n
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is there but lacks %s: %v", sharedSamplesDir, n, err)
		}
		out = append(out, p)
	}
	return out
}

// Summaries keep the table tests readable: what a decode must get right.
type spanSum struct {
	Trace, Span, Parent string
	Name                string
	Start, End          int64
	Status              Status
	Type                string
	Events              int
}

type traceSum struct {
	ID    string
	Spans []spanSum
}

type docSum struct {
	Schema   Schema
	Shape    string
	Line     int
	Traces   []traceSum
	Warnings []string
}

func summarize(docs []*Document) []docSum {
	var out []docSum
	for _, d := range docs {
		ds := docSum{Schema: d.Schema, Shape: d.Shape, Line: d.Line}
		for _, w := range d.Warnings {
			ds.Warnings = append(ds.Warnings, w.String())
		}
		for _, t := range d.Traces {
			ts := traceSum{ID: t.Info.TraceID}
			for _, s := range t.Spans {
				parent := ""
				if !s.IsRoot() {
					parent = s.ParentID().String()
				}
				ts.Spans = append(ts.Spans, spanSum{
					Trace: s.TraceID().String(), Span: s.SpanID().String(), Parent: parent,
					Name: s.Name(), Start: s.StartTime(), End: s.EndTime(), Status: s.Status(),
					Type: s.SpanType(), Events: len(s.Events()),
				})
			}
			ds.Traces = append(ds.Traces, ts)
		}
		out = append(out, ds)
	}
	return out
}

func decodeFile(t *testing.T, path string) ([]*Document, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return DecodeAll(f, filepath.Base(path))
}

const (
	t1 = "0af7651916cd43dd8448eb211c80319c"
	r1 = "00f067aa0ba902b7"
	c1 = "b7ad6b7169203331"
	c2 = "c1d2e3f405060708"
	t2 = "5b8efff798038103d269b633813fc60c"
	s2 = "eee19b7ec3c1b174"
	t3 = "aaaabbbbccccddddeeeeffff00001111"
	s3 = "0102030405060708"
)

var (
	ok    = Status{Code: StatusOK}
	trA   = traceSum{ID: "tr-" + t2, Spans: []spanSum{{t2, s2, "", "a-root", 1738404000000000000, 1738404000010000000, ok, "CHAIN", 0}}}
	trB   = traceSum{ID: "req-b", Spans: []spanSum{{t3, s3, "", "b-root", 1738404100000000000, 1738404100500000000, Status{StatusError, "boom"}, "UNKNOWN", 0}}}
	trC   = traceSum{ID: "tr-" + t1, Spans: []spanSum{{t1, r1, "", "c-root", 1738404200000000000, 1738404200000001000, ok, "CHAIN", 0}, {t1, c1, r1, "c-child", 1738404200000000500, 1738404200000000900, Status{Code: StatusError}, "TOOL", 0}}}
	docTA = func(line int) docSum {
		return docSum{Schema: SchemaMLflowV3, Shape: "MLflow 3 trace", Line: line, Traces: []traceSum{trA}}
	}
)

func TestDecodeFiles(t *testing.T) {
	redacted := OpaqueTraceID("<redacted>").String()
	redSpan := OpaqueSpanID("<redacted>").String()
	dbFile := "mnorberg-dev-mnorberg-dev.github.io__databricks_output_trace_ok.json"
	tests := []struct {
		path string
		want []docSum
	}{
		{sharedSamplesDir + "/mlflow-mlflow-website__bedrock-chat-model-part-1_trace_excerpt.json", []docSum{{
			Schema: SchemaMLflowV2, Shape: "MLflow 2 TraceData", Line: 1,
			Traces: []traceSum{{ID: "35b868131a66423783493da51f806370", Spans: []spanSum{
				{"19168085a936546a03d6c85d47fb9ab9", "84f212578f747953", "", "bedrock-agent", 1731124123079267000, 1731124137612283000, ok, "CHAT_MODEL", 0},
				{"19168085a936546a03d6c85d47fb9ab9", "0c4f52fb3dbf2cc4", "84f212578f747953", "Bedrock Input Prompt", 1731124123079823000, 1731124123079912000, ok, "UNKNOWN", 0},
			}}},
		}}},
		{sharedSamplesDir + "/" + dbFile, []docSum{{
			Schema: SchemaMLflowV3, Shape: "MLflow 3 trace", Line: 1,
			Traces: []traceSum{{ID: "<redacted>", Spans: []spanSum{
				{redacted, redSpan, "", "predict", 1764694340818061307, 1764694345916778373, ok, "AGENT", 0},
				{redacted, redSpan, redSpan, "Completions", 1764694340819104621, 1764694345916576447, ok, "CHAT_MODEL", 0},
			}}},
			Warnings: []string{
				// One line per problem: the repeats in the second span are counted.
				dbFile + `:28:21: trace id "<redacted>" cannot be decoded: kept as an opaque id (2 times in this document)`,
				dbFile + `:29:20: span id "<redacted>" cannot be decoded: kept as an opaque id (2 times in this document)`,
				dbFile + `:50:27: parent span id "<redacted>" cannot be decoded: kept as an opaque id`,
			},
		}}},
		{fixturesDir + "/mlflow2_full_trace.json", []docSum{{
			Schema: SchemaMLflowV2, Shape: "MLflow 2 trace", Line: 1,
			Traces: []traceSum{{ID: "5f0c2e7a9b1d4c3e8a6f00112233aabb", Spans: []spanSum{
				{t1, r1, "", "answer", 1735689600123000001, 1735689600965000002, ok, "CHAIN", 0},
				{t1, c1, r1, "retrieve_docs", 1735689600200000000, 1735689600300000000, Status{StatusError, "index offline"}, "RETRIEVER", 1},
				{t1, c2, r1, "llm", 1735689600400000000, 1735689600900000000, ok, "LLM", 0},
			}}},
		}}},
		{fixturesDir + "/mlflow3_error_trace.json", []docSum{{
			Schema: SchemaMLflowV3, Shape: "MLflow 3 trace", Line: 1,
			Traces: []traceSum{{ID: "tr-" + t1, Spans: []spanSum{
				{t1, r1, "", "predict", 1735689600123456789, 1735689605221456789, Status{StatusError, "upstream failed"}, "AGENT", 0},
				{t1, c1, r1, "Completions", 1735689600200000000, 1735689605200000000, Status{Code: StatusError}, "CHAT_MODEL", 1},
			}}},
		}}},
		{fixturesDir + "/rest_v3_trace.json", []docSum{{
			Schema: SchemaMLflowREST, Shape: "MLflow REST v3 trace", Line: 1,
			Traces: []traceSum{{ID: "tr-" + t1, Spans: []spanSum{
				{t1, r1, "", "agent", 1704067200000000000, 1704067201500000000, ok, "AGENT", 0},
				{t1, c1, r1, "tool", 1704067200100000000, 1704067200200000000, Status{StatusError, "bad arg"}, "TOOL", 1},
			}}},
		}}},
		{fixturesDir + "/several_traces.jsonl", []docSum{
			docTA(1),
			{Schema: SchemaMLflowV2, Shape: "MLflow 2 TraceData", Line: 2, Traces: []traceSum{trB}},
			{Schema: SchemaMLflowV3, Shape: "MLflow 3 TraceData", Line: 3, Traces: []traceSum{trC}},
		}},
		{fixturesDir + "/concatenated.json", []docSum{
			docTA(1),
			{Schema: SchemaMLflowV3, Shape: "MLflow 3 TraceData", Line: 31, Traces: []traceSum{trC}},
			{Schema: SchemaMLflowV2, Shape: "MLflow 2 TraceData", Line: 66, Traces: []traceSum{trB}},
		}},
		{fixturesDir + "/array_of_traces.json", []docSum{
			{Schema: SchemaMLflowV3, Shape: "array of MLflow 3 trace", Line: 1, Traces: []traceSum{trA, trC}},
		}},
		{fixturesDir + "/array_of_spans.json", []docSum{
			{Schema: SchemaMLflowV3, Shape: "array of MLflow 3 spans", Line: 1, Traces: []traceSum{trC, trA}},
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			if strings.HasPrefix(tt.path, sharedSamplesDir) {
				sharedSample(t, filepath.Base(tt.path)) // skips without the folder
			}
			docs, err := decodeFile(t, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(docs)); diff != "" {
				t.Errorf("decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeInfo(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/mlflow3_error_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	in := docs[0].Traces[0].Info
	want := TraceInfo{
		TraceID: "tr-" + t1, ClientRequestID: "req-42", ExperimentID: "7", LocationType: "MLFLOW_EXPERIMENT",
		RequestTime:       time.Date(2025, 1, 1, 0, 0, 0, 123e6, time.UTC),
		ExecutionDuration: 5098 * time.Millisecond, HasDuration: true, State: StateError,
		RequestPreview: "What is 2+2?",
		Metadata: map[string]string{
			"mlflow.trace_schema.version": "3",
			"mlflow.trace.tokenUsage":     `{"input_tokens": 27, "output_tokens": 641, "total_tokens": 668}`,
			"is_truncated":                "false",
		},
		RawMetadata: map[string]bool{"is_truncated": true},
		Tags:        map[string]string{"mlflow.traceName": "predict"},
		Assessments: []jsonRaw{jsonRaw(`{"assessment_id":"a-1","assessment_name":"correct","feedback":{"value":true}}`)},
		// "response_preview": "" is marked so a same-schema write keeps it
		Extra: Extras{Schema: SchemaMLflowV3, Fields: []Field{{Key: "future_field", Value: jsonRaw(`{"x":1}`)},
			{Key: markEmpty, Value: jsonRaw(`["response_preview"]`)}}},
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("info (-want +got):\n%s", diff)
	}

	// The error span: exception event with µs time converted to ns, plain
	// event attribute values kept as JSON text, a link, an unknown member.
	s := docs[0].Traces[0].Spans[1]
	typ, msg, found := s.Exception()
	if !found || typ != "BadRequestError" || msg != "Error code: 400" {
		t.Errorf("Exception() = %q, %q, %v", typ, msg, found)
	}
	ev := s.Events()[0]
	if ev.Time != 1735689605190000000 {
		t.Errorf("event time = %d, want µs→ns 1735689605190000000", ev.Time)
	}
	if raw, _ := ev.Attributes.Raw("exception.type"); raw != `"BadRequestError"` {
		t.Errorf("event attribute raw = %s, want the JSON text", raw)
	}
	if len(s.Links()) != 1 || s.Links()[0].SpanID.String() != "2222222222222222" {
		t.Errorf("links = %+v", s.Links())
	}
	wantExtra := []Field{{Key: "vendor_extra", Value: jsonRaw(`[1,2]`)}, {Key: markEmpty, Value: jsonRaw(`["trace_state"]`)}}
	if diff := cmp.Diff(wantExtra, s.Data().Extra.Fields); diff != "" {
		t.Errorf("span extras (-want +got):\n%s", diff)
	}
	if u, ok := s.TokenUsage(); !ok || u.TotalTokens != 668 {
		t.Errorf("TokenUsage = %+v, %v", u, ok)
	}
}

func TestDecodeMLflow2Info(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/mlflow2_full_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := docs[0].Traces[0]
	want := TraceInfo{
		TraceID: "5f0c2e7a9b1d4c3e8a6f00112233aabb", ExperimentID: "0", LocationType: ExperimentLocation,
		RequestTime:       time.UnixMilli(1735689600123).UTC(),
		ExecutionDuration: 842 * time.Millisecond, HasDuration: true, State: StateOK,
		// MLflow 2 keeps the previews in the metadata: they move to the
		// previews, and a v2 write puts them back.
		RequestPreview: `{"question": "hi"}`, ResponsePreview: `"hello"`,
		Metadata: map[string]string{
			"mlflow.trace_schema.version": "2",
		},
		Tags:  map[string]string{"mlflow.traceName": "answer", "team": "search"},
		Extra: Extras{Schema: SchemaMLflowV2, Fields: []Field{{Key: "data.request", Value: jsonRaw(`"{\"question\": \"hi\"}"`)}}},
	}
	if diff := cmp.Diff(want, tr.Info); diff != "" {
		t.Errorf("info (-want +got):\n%s", diff)
	}
	// A bare JSON value in an attribute map is kept as JSON text and marked.
	retr := tr.Spans[1]
	if v, _ := retr.Attributes().Raw("top_k"); v != "5" {
		t.Errorf("top_k raw = %q", v)
	}
	if ev := retr.Events()[0]; ev.Time != 1735689600290000000 {
		t.Errorf("v2 event time (µs) = %d", ev.Time)
	}
}

func TestDecodeRESTAttributes(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/rest_v3_trace.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := docs[0].Traces[0]
	if tr.Info.ExecutionDuration != 1500*time.Millisecond || !tr.Info.HasDuration {
		t.Errorf("duration = %v", tr.Info.ExecutionDuration)
	}
	if !tr.Info.RequestTime.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("request time = %v", tr.Info.RequestTime)
	}
	root := tr.Spans[0]
	want := []Attribute{
		{Key: "mlflow.spanType", Value: `"AGENT"`, Type: ValueJSON},
		{Key: "mlflow.spanInputs", Value: `{"q": 1}`, Type: ValueJSON},
		{Key: "retries", Value: "2", Type: ValueInt},
	}
	if diff := cmp.Diff(want, root.Attributes().List()); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if root.Kind() != SpanKindInternal {
		t.Errorf("kind = %v", root.Kind())
	}
	ev := tr.Spans[1].Events()[0]
	if raw, _ := ev.Attributes.Raw("exception.type"); raw != `"ValueError"` {
		t.Errorf("event attribute = %s", raw)
	}
}

func TestDecodeErrors(t *testing.T) {
	truncated, err := os.ReadFile(fixturesDir + "/truncated.json")
	if err != nil {
		t.Fatal(err)
	}
	lastNL := bytes.LastIndexByte(truncated, '\n')
	truncLine := bytes.Count(truncated, []byte{'\n'}) + 1
	truncCol := len(truncated) - lastNL

	tests := []struct {
		name      string
		input     string // file under fixturesDir, or inline text after "inline:"
		wantDocs  int
		line, col int
		msg       string
		lineText  string
	}{
		{name: "bad_json.json", line: 3, col: 13, msg: "invalid character '\"' after object key", lineText: `    {"name" "x"}`},
		{name: "bad_line.jsonl", wantDocs: 1, line: 2, col: 12, msg: "invalid character '}'", lineText: `{"spans": [}`},
		{name: "truncated.json", line: truncLine, col: truncCol, msg: "unexpected end of input"},
		{name: "unknown_shape.json", line: 1, col: 1, msg: `unknown document shape (an object with keys "hello", "n"); accepted shapes: MLflow 2 or 3 trace`},
		{name: "inline:scalar", input: "\n  42\n", line: 2, col: 3, msg: "a bare JSON value is not a trace document"},
		{name: "inline:garbage", input: "{}\nhello", wantDocs: 0, line: 1, col: 1, msg: "unknown document shape"},
		{name: "inline:badchar", input: `{"spans":[]} x`, wantDocs: 1, line: 1, col: 14, msg: "invalid character 'x'"},
		{name: "inline:second doc on a line", input: `{"spans":[]} {"spans":[1,]}`, wantDocs: 1, line: 1, col: 26, msg: "invalid character ']'"},
		{name: "inline:unclosed string", input: "{\"spans\": [\"abc\n", line: 1, col: 16, msg: "invalid character '\\n' in string literal"},
		{name: "inline:cut", input: `{"spans": [`, line: 1, col: 12, msg: "unexpected end of input"},
		// Span lists are decoded while they are read: errors between spans,
		// before and after the list keep exact positions.
		{name: "inline:missing comma between spans", input: "{\"spans\": [{}\n {}]}", line: 2, col: 2, msg: "invalid character '{' after a span"},
		{name: "inline:trailing comma", input: `{"spans": [{},]}`, line: 1, col: 15, msg: "invalid character ']' looking for the beginning of a span"},
		{name: "inline:error before the list", input: "{\"info\": nul,\n \"data\": {\"spans\": [{}]}}", line: 1, col: 13, msg: "invalid character ','"},
		{name: "inline:error after the list", input: "{\"data\": {\"spans\": [{}\n]},\n \"info\": tru}", line: 3, col: 13, msg: "invalid character '}'", lineText: ` "info": tru}`},
		// Spans after the first are decoded straight from the read buffer:
		// invalid JSON inside them is still found and located exactly.
		{name: "inline:control char in a later span", input: "{\"spans\": [{}, {\"name\": \"a\x01\"}]}", line: 1, col: 27, msg: "invalid character '\\x01' in string literal"},
		{name: "inline:missing colon in a later span", input: `{"spans": [{}, {"name" 1}]}`, line: 1, col: 24, msg: "invalid character '1' after object key"},
		{name: "inline:bad literal in a later span", input: `{"spans": [{}, {"trace_state": tru}]}`, line: 1, col: 35, msg: "invalid character '}'"},
		{name: "inline:bad escape in a later span", input: `{"spans": [{}, {"attributes": {"a": "x\q"}}]}`, line: 1, col: 40, msg: "invalid character 'q' in string escape code"},
		{name: "inline:bad unicode escape in a later span", input: `{"spans": [{}, {"name": "\u12g4"}]}`, line: 1, col: 30, msg: "invalid character 'g' in \\u hexadecimal character escape"},
		{name: "inline:leading zero in a later span", input: `{"spans": [{}, {"start_time_unix_nano": 01}]}`, line: 1, col: 42, msg: "invalid character '1' after object key:value pair"},
		{name: "inline:trailing comma inside a later span", input: `{"spans": [{}, {"events": [1,]}]}`, line: 1, col: 30, msg: "invalid character ']'"},
		{name: "inline:null misspelt in a later span", input: `{"spans": [{}, {"parent_span_id": nul}]}`, line: 1, col: 38, msg: "invalid character '}'"},
		{name: "inline:long line", input: `{"spans": [` + strings.Repeat(`{"name":"x"},`, 40) + `{"name" 1}]}`, line: 1, col: 540, msg: "invalid character '1' after object key"},
		// Shape errors point at the offending value with its whole line.
		{name: "inline:array item", input: "[[1]]", line: 1, col: 2, msg: "an array item is not a trace or span object", lineText: "[[1]]"},
		{name: "inline:array item on a later line", input: "[\n  {\"spans\": []},\n  7]", wantDocs: 0, line: 3, col: 3, msg: "an array item is not a trace or span object", lineText: "  7]"},
		{name: "inline:spans not an array", input: `{"spans":5}`, line: 1, col: 10, msg: `"spans" is not an array;`, lineText: `{"spans":5}`},
		{name: "inline:data not an object", input: `{"data":[]}`, line: 1, col: 9, msg: `"data" is not an object;`},
		{name: "inline:empty object", input: `{}`, line: 1, col: 1, msg: "unknown document shape (an empty object);"},
		// An OTLP value the reader cannot take is located at the value.
		{name: "inline:otlp intValue out of range", input: "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"x\",\n \"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":\"99999999999999999999\"}}]}]}]}]}", line: 2, col: 47, msg: `OTLP document: resourceSpans[0].scopeSpans[0].spans[0].attributes[0] (key "a"): intValue "99999999999999999999" is not a 64-bit integer`},
		{name: "inline:otlp negative time", input: "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"x\",\n \"startTimeUnixNano\": \"-5\"}]}]}]}", line: 2, col: 23, msg: "negative time -5"},
		{name: "inline:cut inside a span", input: "{\"data\": {\"spans\": [{}, {\"name\": \"x", line: 1, col: 36, msg: "unexpected end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader
			file := tt.name
			if strings.HasPrefix(tt.name, "inline:") {
				r = strings.NewReader(tt.input)
				file = "in.json"
			} else {
				f, err := os.Open(fixturesDir + "/" + tt.name)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				r = f
			}
			docs, err := DecodeAll(r, file)
			if len(docs) != tt.wantDocs {
				t.Errorf("got %d documents before the error, want %d", len(docs), tt.wantDocs)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v (%T), want *SyntaxError", err, err)
			}
			if se.File != file || se.Line != tt.line || se.Col != tt.col {
				t.Errorf("position = %s:%d:%d, want %s:%d:%d (%v)", se.File, se.Line, se.Col, file, tt.line, tt.col, se)
			}
			if !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("message = %q, want it to contain %q", se.Msg, tt.msg)
			}
			if tt.lineText != "" && se.LineText != tt.lineText {
				t.Errorf("line text = %q, want %q", se.LineText, tt.lineText)
			}
			if se.LineTextCol < 1 || se.LineTextCol > len(se.LineText)+1 {
				t.Fatalf("LineTextCol %d outside line text %q", se.LineTextCol, se.LineText)
			}
			// The caret column of LineText points at the same byte as
			// Line:Col of the input.
			if strings.HasPrefix(tt.name, "inline:") {
				lines := strings.Split(tt.input, "\n")
				in := lines[tt.line-1]
				if tt.col <= len(in) && (se.LineTextCol > len(se.LineText) || se.LineText[se.LineTextCol-1] != in[tt.col-1]) {
					t.Errorf("LineText %q col %d does not point at %q", se.LineText, se.LineTextCol, in[tt.col-1])
				}
				if len(se.LineText) > maxLineText+1 {
					t.Errorf("LineText not clipped: %d bytes", len(se.LineText))
				}
			}
		})
	}
}

// Warnings after a streamed span list point at the right line.
func TestDecodeWarningAfterSpanList(t *testing.T) {
	in := "{\"data\": {\"spans\": [\n{\"span_id\": \"zz\"}\n]},\n\"info\": {\"trace_id\": \"tr-1\", \"state\": \"WEIRD\"}}"
	docs, err := DecodeAll(strings.NewReader(in), "w.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`w.json:2:13: span id "zz" cannot be decoded: kept as an opaque id`,
		`w.json:4:39: unknown trace state "WEIRD": taken as STATE_UNSPECIFIED`,
	}
	if diff := cmp.Diff(want, summarize(docs)[0].Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestDecodeEmpty(t *testing.T) {
	for _, in := range []string{"", "  \n\n", "\xef\xbb\xbf"} {
		_, err := DecodeAll(strings.NewReader(in), "-")
		if !errors.Is(err, ErrEmptyInput) || !strings.HasPrefix(err.Error(), "<stdin>: ") {
			t.Errorf("DecodeAll(%q) error = %v, want ErrEmptyInput naming <stdin>", in, err)
		}
	}
	_, err := decodeFile(t, fixturesDir+"/empty.json")
	if !errors.Is(err, ErrEmptyInput) {
		t.Errorf("empty.json: %v", err)
	}
}

// A JSON Lines input is decoded one document at a time: the decoder's
// buffer stays near the size of one line, however long the input is.
func TestDecodeStreamsJSONLines(t *testing.T) {
	line, err := os.ReadFile(fixturesDir + "/several_traces.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	first := line[:bytes.IndexByte(line, '\n')+1]
	const n = 2000
	r := io.MultiReader(repeatReader(first, n)...)
	d := NewDecoder(r, "big.jsonl")
	count := 0
	for {
		doc, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if doc.Line != count+1 {
			t.Fatalf("document %d at line %d", count, doc.Line)
		}
		count++
	}
	if count != n {
		t.Errorf("decoded %d documents, want %d", count, n)
	}
	if limit := 2 * readChunk; len(d.buf) > limit {
		t.Errorf("decoder buffer grew to %d bytes for %d-byte lines (limit %d)", len(d.buf), len(first), limit)
	}
}

func repeatReader(b []byte, n int) []io.Reader {
	rs := make([]io.Reader, n)
	for i := range rs {
		rs[i] = bytes.NewReader(b)
	}
	return rs
}

// Decoding never panics and stops at the first bad document: reading byte
// by byte (tiny reads) gives the same result as reading at once.
func TestDecodeOneByteReader(t *testing.T) {
	for _, name := range []string{"concatenated.json", "several_traces.jsonl", "bad_json.json"} {
		data, err := os.ReadFile(fixturesDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := DecodeAll(bytes.NewReader(data), name)
		got, gotErr := DecodeAll(&oneByteReader{data: data}, name)
		if diff := cmp.Diff(summarize(want), summarize(got)); diff != "" {
			t.Errorf("%s: one-byte reads differ (-all +bytes):\n%s", name, diff)
		}
		if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
			t.Errorf("%s: errors differ: %v vs %v", name, wantErr, gotErr)
		}
	}
}

type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

type jsonRaw = json.RawMessage

func TestDecodeDatabricksEnvelope(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/databricks_envelope.json")
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	if d.Schema != SchemaMLflowV3 || d.Shape != "Databricks serving envelope" || len(d.Traces) != 1 {
		t.Fatalf("schema %q shape %q, %d traces", d.Schema, d.Shape, len(d.Traces))
	}
	tr := d.Traces[0]
	if len(tr.Spans) != 2 || tr.Spans[1].Name() != "Completions" || tr.Info.ExecutionDuration != 5098*time.Millisecond {
		t.Errorf("trace: %d spans, info %+v", len(tr.Spans), tr.Info)
	}
	if len(d.Warnings) != 3 || !strings.HasPrefix(d.Warnings[0].Where, "databricks_envelope.json:1:") {
		t.Errorf("warnings: %v", d.Warnings)
	}
	if tr.Spans[0].d.opaque() == nil || tr.Spans[0].d.opaque().SpanID != "<redacted>" {
		t.Errorf("opaque ids not kept: %+v", tr.Spans[0].d.opaque())
	}
}

// A bare TraceData gets an info derived from its root span.
func TestDecodeDerivedInfo(t *testing.T) {
	docs, err := decodeFile(t, fixturesDir+"/several_traces.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	got := docs[1].Traces[0].Info
	want := TraceInfo{
		TraceID:           "req-b", // mlflow.traceRequestId of an MLflow 2 span
		RequestTime:       time.Unix(0, 1738404100000000000).UTC(),
		ExecutionDuration: 500 * time.Millisecond, HasDuration: true,
		State: StateError,
		// a TraceData document: a same-schema write gives no info back
		Extra:   Extras{Schema: SchemaMLflowV2, Fields: []Field{{Key: markShape, Value: jsonRaw(`"spans"`)}}},
		Derived: true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("derived info (-want +got):\n%s", diff)
	}
	if id := docs[2].Traces[0].Info.TraceID; id != "tr-"+t1 {
		t.Errorf("MLflow 3 TraceData id = %q", id)
	}
}

// A single large trace document is decoded span by span: the decoder's
// buffer stays near one read chunk, not the document size.
func TestDecodeStreamsLargeTrace(t *testing.T) {
	var buf bytes.Buffer
	const n = 20000
	if err := spanjsontest.WriteV3Trace(&buf, n, 3); err != nil {
		t.Fatal(err)
	}
	size := buf.Len()
	var wantNames []string // the spans in input order (the list is read in parts of spanPart)
	for _, name := range gjson.GetBytes(buf.Bytes(), "data.spans.#.name").Array() {
		wantNames = append(wantNames, name.Str)
	}
	d := NewDecoder(&buf, "big.json")
	doc, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Traces) != 1 || len(doc.Traces[0].Spans) != n || doc.Shape != "MLflow 3 trace" {
		t.Fatalf("%d traces, shape %q", len(doc.Traces), doc.Shape)
	}
	var gotNames []string
	for _, s := range doc.Traces[0].Spans {
		gotNames = append(gotNames, s.Name())
	}
	if diff := cmp.Diff(wantNames, gotNames); diff != "" {
		t.Errorf("span names in decoded order (-input +decoded):\n%s", diff)
	}
	// The framer looks up to wholeMax bytes ahead for the end of a document
	// it could hand to a worker whole (the buffer may double to hold them).
	if limit := max(4*readChunk, 2*wholeMax); len(d.buf) > limit {
		t.Errorf("decoder buffer grew to %d bytes for a %d-byte document (limit %d)", len(d.buf), size, limit)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("second Next: %v, want io.EOF", err)
	}
}

func TestCollapseRepeats(t *testing.T) {
	in := []Warning{
		{Where: "f:1:1", Msg: "a"}, {Where: "f:2:1", Msg: "b"},
		{Where: "f:3:1", Msg: "a"}, {Where: "f:4:1", Msg: "a"},
	}
	got := collapseRepeats(in)
	want := []Warning{{Where: "f:1:1", Msg: "a (3 times in this document)"}, {Where: "f:2:1", Msg: "b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("collapseRepeats (-want +got):\n%s", diff)
	}
	if in[0].Msg != "a" {
		t.Errorf("collapseRepeats changed its input: %q", in[0].Msg)
	}
}
