package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
	"tracectl/internal/spanjson/spanjsontest"
)

// otlpLine is one OTLP JSON document holding one span.
func otlpLine(traceID, spanID, parentID, name string, start, end int) string {
	return fmt.Sprintf(`{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[{"traceId":%q,"spanId":%q,"parentSpanId":%q,"name":%q,"startTimeUnixNano":"%d","endTimeUnixNano":"%d"}]}]}]}`,
		traceID, spanID, parentID, name, start, end)
}

const (
	traceA = "5b8efff798038103d269b633813fc60c"
	traceB = "0af7651916cd43dd8448eb211c80319c"
)

func loadString(t *testing.T, inputs ...string) ([]*render.TraceView, []spanjson.Warning) {
	t.Helper()
	var ins []ingest.Input
	for k, in := range inputs {
		ins = append(ins, ingest.Input{Name: fmt.Sprintf("in%d.jsonl", k+1), Reader: strings.NewReader(in)})
	}
	var warnings []spanjson.Warning
	views, err := loadTraces(context.Background(), ins, func(w spanjson.Warning) { warnings = append(warnings, w) })
	if err != nil {
		t.Fatal(err)
	}
	return views, warnings
}

// treeShape lists "depth:name" in tree order.
func treeShape(v *render.TraceView) []string {
	var out []string
	for _, i := range v.Order() {
		out = append(out, fmt.Sprintf("%d:%s", v.Depth(i), v.Spans()[i].Name()))
	}
	return out
}

func TestLoadJoinsTracesSplitOverDocumentsAndInputs(t *testing.T) {
	first := strings.Join([]string{
		otlpLine(traceA, "0000000000000002", "0000000000000001", "child", 20, 30),
		otlpLine(traceB, "00000000000000b1", "", "other", 5, 6),
	}, "\n")
	second := strings.Join([]string{
		otlpLine(traceA, "0000000000000003", "0000000000000002", "grandchild", 21, 29),
		otlpLine(traceA, "0000000000000001", "", "root", 10, 40),
	}, "\n")
	views, warnings := loadString(t, first, second)
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings: %v", warnings)
	}
	if len(views) != 2 {
		t.Fatalf("got %d traces, want 2", len(views))
	}
	// Traces come out in the order they were first seen.
	if got := views[0].TraceID(); got != "tr-"+traceA {
		t.Errorf("first trace = %s, want tr-%s", got, traceA)
	}
	if diff := gocmp.Diff([]string{"0:root", "1:child", "2:grandchild"}, treeShape(views[0])); diff != "" {
		t.Errorf("trace A was not joined whole (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff([]string{"0:other"}, treeShape(views[1])); diff != "" {
		t.Errorf("trace B (-want +got):\n%s", diff)
	}
	if views[0].Source != "in1.jsonl" {
		t.Errorf("source = %q, want the input where the trace was first seen", views[0].Source)
	}
}

func TestLoadKeepsSpansWithRepeatedIDs(t *testing.T) {
	in := strings.Join([]string{
		otlpLine(traceA, "0000000000000001", "", "root", 10, 40),
		otlpLine(traceA, "0000000000000002", "0000000000000001", "first", 11, 20),
		otlpLine(traceA, "0000000000000002", "0000000000000001", "second", 21, 30),
	}, "\n")
	views, warnings := loadString(t, in)
	if n := len(views[0].Spans()); n != 3 {
		t.Fatalf("got %d spans, want 3: a repeated span id must not drop a span", n)
	}
	if len(warnings) == 0 || !strings.Contains(warnings[0].String(), "repeats span id") {
		t.Errorf("warnings = %v, want the repeated id reported", warnings)
	}
}

func TestLoadReportsLocatedSyntaxErrors(t *testing.T) {
	ins := []ingest.Input{{Name: "bad.json", Reader: strings.NewReader("{\"resourceSpans\": [\n  {,}\n]}")}}
	_, err := loadTraces(context.Background(), ins, func(spanjson.Warning) {})
	if err == nil || !strings.HasPrefix(err.Error(), "bad.json:2:") {
		t.Fatalf("err = %v, want it located at bad.json:2:…", err)
	}
	if strings.Count(err.Error(), "bad.json") != 1 {
		t.Errorf("file named more than once: %v", err)
	}
	streams, _, _, errOut := render.Test()
	if code := reportError(streams, err); code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	lines := strings.Split(strings.TrimRight(errOut.String(), "\n"), "\n")
	if len(lines) != 3 || lines[1] != "      {,}" || !strings.HasSuffix(lines[2], "^") {
		t.Fatalf("error display:\n%s", errOut.String())
	}
	if caret := strings.Index(lines[2], "^"); caret < 6 || caret > 8 {
		t.Errorf("caret at column %d does not point into the line:\n%s", caret, errOut.String())
	}
}

func TestInputsFrom(t *testing.T) {
	ins, err := inputsFrom(nil, strings.NewReader(""))
	if err != nil || len(ins) != 1 || ins[0].Name != "<stdin>" {
		t.Errorf("no arguments: %v %v, want stdin", ins, err)
	}
	ins, err = inputsFrom([]string{"a.json", "-", "b.json"}, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range ins {
		names = append(names, in.Name)
	}
	if diff := gocmp.Diff([]string{"a.json", "<stdin>", "b.json"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if _, err := inputsFrom([]string{"-", "-"}, strings.NewReader("")); err == nil {
		t.Error("stdin twice: no error")
	}
}

func TestWarningsAreCapped(t *testing.T) {
	streams, _, _, errOut := render.Test()
	w := &warner{streams: streams}
	for k := 0; k < maxWarnings+7; k++ {
		w.warn(spanjson.Warning{Where: "f.json:1:1", Msg: "problem " + strings.Repeat("x", k+1)})
	}
	w.finish()
	lines := strings.Split(strings.TrimRight(errOut.String(), "\n"), "\n")
	if len(lines) != maxWarnings+1 {
		t.Fatalf("%d lines, want %d", len(lines), maxWarnings+1)
	}
	if lines[0] != "tracectl: warning: f.json:1:1: problem x" {
		t.Errorf("first line = %q", lines[0])
	}
	if lines[maxWarnings] != "tracectl: warning: 7 more kinds of warnings not shown" {
		t.Errorf("last line = %q", lines[maxWarnings])
	}
}

func TestWarningsOneLinePerKindAndPlace(t *testing.T) {
	streams, _, _, errOut := render.Test()
	w := &warner{streams: streams}
	for line := 1; line <= 4; line++ {
		w.warn(spanjson.Warning{Where: fmt.Sprintf("a:b.jsonl:%d:1", line), Msg: "4 span or link trace ids are empty; those spans are grouped under the zero trace id"})
	}
	w.warn(spanjson.Warning{Where: "c.json:28:21", Msg: `trace id "<redacted>" cannot be decoded: kept as an opaque id (2 times in this document)`})
	w.warn(spanjson.Warning{Where: "c.json:29:20", Msg: `span id "<redacted>" cannot be decoded: kept as an opaque id (2 times in this document)`})
	w.warn(spanjson.Warning{Where: "c.json:50:27", Msg: `parent span id "<redacted>" cannot be decoded: kept as an opaque id`})
	w.warn(spanjson.Warning{Where: "d.json:1:1", Msg: `trace id "x" cannot be decoded: kept as an opaque id`}) // another input
	for _, id := range []string{"05233c00d73fd281", "c40a27ed0e2ad432"} {
		w.warn(spanjson.Warning{Where: "trace tr-00000000000000000000000000000000/span " + id, Msg: `span "op" has no span id: given id ` + id})
	}
	w.warn(spanjson.Warning{Where: "trace tr-1/span 01", Msg: `span "op" has no span id: given id 01`}) // another trace
	w.finish()
	want := `tracectl: warning: a:b.jsonl:1:1: 4 span or link trace ids are empty; those spans are grouped under the zero trace id (and 3 more like it in this input)
tracectl: warning: c.json:28:21: trace id "<redacted>" cannot be decoded: kept as an opaque id (2 times in this document) (and 2 more like it in this input)
tracectl: warning: d.json:1:1: trace id "x" cannot be decoded: kept as an opaque id
tracectl: warning: trace tr-00000000000000000000000000000000/span 05233c00d73fd281: span "op" has no span id: given id 05233c00d73fd281 (and 1 more like it in this trace)
tracectl: warning: trace tr-1/span 01: span "op" has no span id: given id 01
`
	if diff := gocmp.Diff(want, errOut.String()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	quiet, _, _, quietErr := render.Test()
	quiet.Quiet = true
	w = &warner{streams: quiet}
	w.warn(spanjson.Warning{Where: "c.json:1:1", Msg: "a problem"})
	w.finish()
	if quietErr.Len() != 0 {
		t.Errorf("-q printed %q", quietErr.String())
	}
}

// otlpStatusLine is otlpLine with a status code (2: ERROR).
func otlpStatusLine(traceID, spanID, parentID, name string, start, end, code int) string {
	return fmt.Sprintf(`{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[{"traceId":%q,"spanId":%q,"parentSpanId":%q,"name":%q,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":{"code":%d}}]}]}]}`,
		traceID, spanID, parentID, name, start, end, code)
}

func TestLoadSplitTraceInfoIndependentOfOrder(t *testing.T) {
	child := otlpStatusLine(traceA, "0000000000000002", "0000000000000001", "child", 1_100_000_000, 1_200_000_000, 2)
	root := otlpStatusLine(traceA, "0000000000000001", "", "root", 1_000_000_000, 2_000_000_007, 0)
	for name, in := range map[string]string{"child first": child + "\n" + root, "root first": root + "\n" + child} {
		t.Run(name, func(t *testing.T) {
			views, _ := loadString(t, in)
			if len(views) != 1 {
				t.Fatalf("got %d traces, want 1", len(views))
			}
			v := views[0]
			// The root's span: 1.000000007s exactly, status UNSET → OK.
			if got, want := v.Duration(), 1_000_000_007*time.Nanosecond; got != want {
				t.Errorf("duration = %v, want %v (the root span's, in exact nanoseconds)", got, want)
			}
			if got := v.State(); got != spanjson.StateOK {
				t.Errorf("state = %s, want OK (from the root span, not the failing child)", got)
			}
			if got := v.Trace.Info.RequestTime.UnixNano(); got != 1_000_000_000 {
				t.Errorf("request time = %d, want the root's start", got)
			}
		})
	}
}

func TestLoadDropsIdenticalRepeatsOfSpans(t *testing.T) {
	in := strings.Join([]string{
		otlpLine(traceA, "0000000000000001", "", "root", 10, 40),
		otlpLine(traceA, "0000000000000002", "0000000000000001", "child", 11, 20),
	}, "\n")
	views, warnings := loadString(t, in, in)
	if len(views) != 1 {
		t.Fatalf("got %d traces, want 1", len(views))
	}
	if n := len(views[0].Spans()); n != 2 {
		t.Errorf("got %d spans, want 2: the second copy must be dropped", n)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %v, want none for identical copies", warnings)
	}
}

// mlflowV3 is an MLflow 3 trace document with info (MLflow id mlflowID) and
// one root span of OpenTelemetry trace otelB64.
func mlflowV3(mlflowID, state, name string) string {
	return fmt.Sprintf(`{"info":{"trace_id":%q,"request_time":"2025-01-01T00:00:00.000Z","execution_duration_ms":5,"state":%q,"trace_metadata":{},"tags":{}},"data":{"spans":[{"trace_id":"CvdlGRbNQ92ESOshHIAxnA==","span_id":"EAAAAAAAAAE=","parent_span_id":null,"name":%q,"start_time_unix_nano":1735689600000000000,"end_time_unix_nano":1735689600005000000,"status":{"code":"STATUS_CODE_OK","message":""},"attributes":{}}]}}`,
		mlflowID, state, name)
}

func TestLoadSameMLflowTraceTwiceIsOneTrace(t *testing.T) {
	doc := mlflowV3("tr-"+traceB, "OK", "agent")
	views, warnings := loadString(t, doc, doc)
	if len(views) != 1 {
		t.Fatalf("got %d traces, want 1", len(views))
	}
	if n := len(views[0].Spans()); n != 1 {
		t.Errorf("got %d spans, want 1", n)
	}
	for _, w := range warnings {
		if strings.Contains(w.Msg, "repeats span id") {
			t.Errorf("unexpected warning %v", w)
		}
	}
}

func TestLoadKeepsMLflowTracesWithDifferentIDsApart(t *testing.T) {
	// Two MLflow traces that share an OpenTelemetry trace id.
	views, _ := loadString(t, mlflowV3("tr-first", "OK", "one")+"\n"+mlflowV3("tr-second", "ERROR", "two"))
	if len(views) != 2 {
		t.Fatalf("got %d traces, want 2", len(views))
	}
	got := []string{views[0].TraceID() + " " + string(views[0].State()) + " " + views[0].Name(), views[1].TraceID() + " " + string(views[1].State()) + " " + views[1].Name()}
	if diff := gocmp.Diff([]string{"tr-first OK one", "tr-second ERROR two"}, got); diff != "" {
		t.Errorf("traces (-want +got):\n%s", diff)
	}
}

func TestLoadMLflowInfoWinsOverEarlierOTLPSpans(t *testing.T) {
	otlp := otlpStatusLine(traceB, "1000000000000001", "", "agent", 1735689600000000000, 1735689600005000000, 1)
	views, _ := loadString(t, otlp, mlflowV3("tr-"+traceB, "ERROR", "agent"))
	if len(views) != 1 {
		t.Fatalf("got %d traces, want 1", len(views))
	}
	if got := views[0].State(); got != spanjson.StateError {
		t.Errorf("state = %s, want ERROR from the MLflow info", got)
	}
	if n := len(views[0].Spans()); n != 1 {
		t.Errorf("got %d spans, want 1 (the copies are the same span)", n)
	}
}

func TestLoadDerivedDurationIsExact(t *testing.T) {
	// A TraceData (no info): the reader derives whole milliseconds; the
	// duration shown is the root span's, to the nanosecond.
	in := `{"spans":[{"trace_id":"AAAAAAAAAAAAAAAAAAAABA==","span_id":"AAAAAAAAAAE=","parent_span_id":null,"name":"fast","start_time_unix_nano":1700000000000000000,"end_time_unix_nano":1700000000000999999,"status":{"code":"STATUS_CODE_OK"},"attributes":{}}]}`
	views, _ := loadString(t, in)
	if len(views) != 1 {
		t.Fatalf("got %d traces, want 1", len(views))
	}
	if got := views[0].Duration(); got != 999999*time.Nanosecond {
		t.Errorf("duration = %v, want 999.999µs", got)
	}
	if got := views[0].RootJSON().DurationNS; got != 999999 {
		t.Errorf("duration_ns = %d, want 999999", got)
	}
}

// showText renders views as `tracectl show` does in a pipe.
func showText(t *testing.T, views []*render.TraceView) string {
	t.Helper()
	var out strings.Builder
	p := render.NewPrinter(&render.IOStreams{Out: &out, ErrOut: io.Discard, Getenv: func(string) string { return "" }, Width: 80})
	for _, v := range views {
		p.Show(v, render.ShowOptions{})
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestLoadBigTraceBuiltAheadMatches checks that a trace whose tree is
// built while its spans are registered shows the same as one built after
// the pop, and that a trace whose spans differ from the document's (a span
// repeats an id with other content) is built again from them.
func TestLoadBigTraceBuiltAheadMatches(t *testing.T) {
	var buf strings.Builder
	if err := spanjsontest.WriteV3Trace(&buf, 300, 3); err != nil {
		t.Fatal(err)
	}
	doc := strings.TrimSpace(buf.String())
	load := func(minSpans int, inputs ...string) (string, []spanjson.Warning) {
		old := specMinSpans
		specMinSpans = minSpans
		defer func() { specMinSpans = old }()
		views, warnings := loadString(t, inputs...)
		return showText(t, views), warnings
	}
	// The same document with one span given again under its id and
	// another name: the trace handed on is not the one built ahead.
	parts := strings.SplitN(doc, `},{"trace_id":`, 3)
	second := `{"trace_id":` + parts[1] + `}`
	again := strings.Replace(second, `"name":"`, `"name":"again-`, 1)
	dup := strings.TrimSuffix(doc, "]}}") + "," + again + "]}}"
	if !strings.HasSuffix(doc, "]}}") || again == second {
		t.Fatalf("unexpected generated document: %.200s", doc)
	}
	for _, in := range []string{doc, dup} {
		want, wantWarn := load(1<<30, in) // never ahead
		got, gotWarn := load(100, in)
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("show with the tree built ahead differs (-after pop +ahead):\n%s", diff)
		}
		if diff := gocmp.Diff(wantWarn, gotWarn); diff != "" {
			t.Errorf("warnings differ (-after pop +ahead):\n%s", diff)
		}
		if in == dup && !strings.Contains(got, "again-") {
			t.Errorf("the span repeating an id is not shown:\n%.400s", got)
		}
		if in == dup && len(gotWarn) == 0 {
			t.Errorf("a span repeating an id: no warning")
		}
		if !strings.Contains(got, "spans     300") && !strings.Contains(got, "spans     301") {
			t.Errorf("unexpected span count in\n%.400s", got)
		}
	}
}
