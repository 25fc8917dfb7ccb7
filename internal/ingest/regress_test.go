package ingest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Regressions: each test states a behaviour of the policy (doc.go, Read)
// that an earlier version got wrong.

// TestLateDocumentDoesNotDependOnUnrelatedTraces: what a document repeating an
// MLflow trace's ids makes must not depend on an unrelated OTLP trace read
// before (files) nor on reading a file or a stream.
func TestLateDocumentDoesNotDependOnUnrelatedTraces(t *testing.T) {
	unrelated := otlpLine(tspan{trace: 99, id: 9901, name: "unrelated", start: 5, end: 6})
	root := tspan{trace: 2, id: 21, name: "m-root", start: 1e15, end: 1e15 + 5e6}
	child := tspan{trace: 2, id: 22, parent: 21, name: "m-child", start: 1e15 + 1, end: 1e15 + 2e6}
	other := tspan{trace: 2, id: 23, name: "other-root", start: 2e15, end: 2e15 + 1e6}
	late := tspan{trace: 2, id: 24, parent: 21, name: "late-child", start: 1e15 + 3, end: 1e15 + 4}
	tests := []struct {
		name string
		text string
		want []string // nil: only the modes must agree
	}{
		{
			// An MLflow file and its OTLP conversion, whose exporter sent
			// the spans in two batches: every OTLP span is a copy.
			name: "partial OTLP copies after the MLflow trace are dropped",
			text: mlflowLine(2, "req", "OK", root, child) + otlpLine(root) + otlpLine(child),
			want: []string{mlflowID(2) + " state=OK request=1970-01-12T13:46:40Z duration=5ms spans=[5a00000000000015 m-root, 5a00000000000016 m-child]"},
		},
		{
			// The traces agree; the "was already read" warning is given only
			// when the first copy was handed on.
			name: "the same MLflow document twice",
			text: mlflowLine(2, "req", "OK", root, child) + mlflowLine(2, "req", "OK", root, child),
			want: []string{mlflowID(2) + " state=OK request=1970-01-12T13:46:40Z duration=5ms spans=[5a00000000000015 m-root, 5a00000000000016 m-child]"},
		},
		{
			name: "a second MLflow document with the same MLflow id",
			text: mlflowLine(2, "first", "OK", root, child) + mlflowLine(2, "second", "OK", other),
		},
		{
			name: "new OTLP spans after the MLflow trace",
			text: mlflowLine(2, "req", "OK", root, child) + otlpLine(late),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alone := readAll(t, []Input{fileInput("f.json", tc.text)}, Options{}, false)
			after := readAll(t, []Input{fileInput("f.json", unrelated+tc.text)}, Options{}, false)
			stream := readAll(t, []Input{streamInput("<stdin>", tc.text)}, Options{Idle: time.Hour}, false)
			for _, r := range []readOutcome{alone, after, stream} {
				if r.err != nil {
					t.Fatal(r.err)
				}
			}
			var afterOwn []*Trace
			for _, tr := range after.traces {
				if tr.Info.TraceID != mlflowID(99) {
					afterOwn = append(afterOwn, tr)
				}
			}
			if diff := cmp.Diff(canonical(alone.traces), canonical(afterOwn)); diff != "" {
				t.Errorf("after an unrelated OTLP trace (-alone +after):\n%s", diff)
			}
			if diff := cmp.Diff(canonical(alone.traces), canonical(stream.traces)); diff != "" {
				t.Errorf("stream (-file +stream):\n%s", diff)
			}
			for _, msg := range []string{"was already read", "goes on after it was"} {
				n := len(warningsWith(alone.warnings, msg))
				if m := len(warningsWith(after.warnings, msg)); m != n {
					t.Errorf("%d warnings %q after an unrelated OTLP trace, %d alone", m, msg, n)
				}
				if m := len(warningsWith(stream.warnings, msg)); m != n {
					t.Errorf("%d warnings %q on a stream, %d from a file", m, msg, n)
				}
			}
			if tc.want != nil {
				if diff := cmp.Diff(tc.want, canonical(alone.traces)); diff != "" {
					t.Errorf("traces (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestAdoptedMLflowTraceNotHeldOnStream: an MLflow trace is complete at its
// document, also when OTLP spans of it came first.
func TestAdoptedMLflowTraceNotHeldOnStream(t *testing.T) {
	root := tspan{trace: 2, id: 21, name: "m-root", start: 1e15, end: 1e15 + 5e6}
	child := tspan{trace: 2, id: 22, parent: 21, name: "m-child", start: 1e15 + 1, end: 1e15 + 2e6}
	p := startPipeRead(t, Options{Idle: 50 * time.Millisecond})
	p.write(t, otlpLine(child))
	p.write(t, mlflowLine(2, "adopter", "OK", root, child))
	tr, ok := p.next(5 * time.Second)
	p.close(t)
	if !ok {
		t.Fatal("the MLflow trace was not handed on while the stream was open")
	}
	if tr.Info.ClientRequestID != "adopter" || tr.Info.Derived {
		t.Errorf("handed on %q (derived %v), want the MLflow info", tr.Info.ClientRequestID, tr.Info.Derived)
	}
}

// TestSharedMLflowIDDoesNotFailInput: traces are told apart by their
// OpenTelemetry id; two that share an MLflow id must still both be read.
func TestSharedMLflowIDDoesNotFailInput(t *testing.T) {
	line := func(trace, span, parent, name string) string {
		p := "null"
		if parent != "" {
			p = `"0x` + parent + `"`
		}
		return `{"spans":[{"name":"` + name + `","context":{"span_id":"0x` + span + `","trace_id":"0x` + trace + `"},"parent_id":` + p +
			`,"start_time":100,"end_time":200,"status_code":"OK","status_message":"","attributes":{"mlflow.traceRequestId":"\"req-x\""},"events":[]}]}` + "\n"
	}
	a, b := "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	text := line(a, "0000000000000001", "", "a-root") +
		line(b, "0000000000000002", "", "b-root") +
		line(a, "0000000000000003", "0000000000000001", "a-child")
	r := readAll(t, []Input{fileInput("f.json", text)}, Options{}, false)
	if r.err != nil {
		t.Fatalf("Read: %v", r.err)
	}
	var got [][]string
	for _, tr := range r.traces {
		got = append(got, spanList(tr))
	}
	want := [][]string{{"0000000000000001 a-root", "0000000000000003 a-child"}, {"0000000000000002 b-root"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans of each trace (-want +got):\n%s", diff)
	}
}
