package ingest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// traceView is what the completion-policy tests check of a trace handed on.
type traceView struct {
	ID       string
	ClientID string // from MLflow info; "" for derived info
	Derived  bool
	State    string
	Spans    []string
}

func viewOf(tr *Trace) traceView {
	return traceView{ID: tr.Info.TraceID, ClientID: tr.Info.ClientRequestID, Derived: tr.Info.Derived,
		State: string(tr.Info.State), Spans: spanList(tr)}
}

func sp(id int, name string) string { return spanHex(id) + " " + name }

// TestCompletionPolicyFiles: which spans make a trace, which info it gets,
// and the order traces are handed on in, reading files.
func TestCompletionPolicyFiles(t *testing.T) {
	aRoot := tspan{trace: 1, id: 1, name: "a-root", start: 10, end: 40}
	aChild := tspan{trace: 1, id: 2, parent: 1, name: "a-child", start: 11, end: 20}
	bRoot := tspan{trace: 3, id: 3, name: "b-root", start: 12, end: 50, errMsg: "boom"}
	mRoot := tspan{trace: 2, id: 21, name: "m-root", start: 1e15, end: 1e15 + 5e6}
	mChild := tspan{trace: 2, id: 22, parent: 21, name: "m-child", start: 1e15 + 1, end: 1e15 + 2e6}
	mExtra := tspan{trace: 2, id: 23, parent: 21, name: "m-otlp-only", start: 1e15 + 3, end: 1e15 + 4}
	m2Root := tspan{trace: 2, id: 31, name: "m2-root", start: 2e15, end: 2e15 + 1e6}

	a := traceView{ID: mlflowID(1), Derived: true, State: "OK", Spans: []string{sp(1, "a-root"), sp(2, "a-child")}}
	b := traceView{ID: mlflowID(3), Derived: true, State: "ERROR", Spans: []string{sp(3, "b-root")}}
	m := traceView{ID: mlflowID(2), ClientID: "m", State: "OK", Spans: []string{sp(21, "m-root"), sp(22, "m-child")}}

	tests := []struct {
		name  string
		files []string
		want  []traceView
		// warnings wanted, by a part of their message (each other count 0)
		warnings map[string]int
	}{
		{
			name:  "A,B,A lines: A whole, in first-seen order",
			files: []string{otlpLine(aRoot) + otlpLine(bRoot) + otlpLine(aChild)},
			want:  []traceView{a, b},
		},
		{
			name:  "A,B,A over three files",
			files: []string{otlpLine(aChild), otlpLine(bRoot), otlpLine(aRoot)},
			want:  []traceView{a, b},
		},
		{
			name:  "one line holds spans of two traces",
			files: []string{otlpLine(aRoot, bRoot) + otlpLine(aChild)},
			want:  []traceView{a, b},
		},
		{
			name:  "an MLflow trace after a pending OTLP trace comes after it",
			files: []string{otlpLine(aRoot) + mlflowLine(2, "m", "OK", mRoot, mChild) + otlpLine(aChild)},
			want:  []traceView{a, m},
		},
		{
			name:  "an MLflow trace before an OTLP trace comes first",
			files: []string{mlflowLine(2, "m", "OK", mRoot, mChild) + otlpLine(aRoot) + otlpLine(aChild)},
			want:  []traceView{m, a},
		},
		{
			name:     "the same MLflow file twice: one trace, one warning",
			files:    []string{mlflowLine(2, "m", "OK", mRoot, mChild), mlflowLine(2, "m", "OK", mRoot, mChild)},
			want:     []traceView{m},
			warnings: map[string]int{"was already read": 1},
		},
		{
			name: "the same MLflow file three times: still one warning",
			files: []string{mlflowLine(2, "m", "OK", mRoot, mChild), mlflowLine(2, "m", "OK", mRoot, mChild),
				mlflowLine(2, "m", "OK", mRoot, mChild)},
			want:     []traceView{m},
			warnings: map[string]int{"was already read": 1},
		},
		{
			name:  "an MLflow id again, with other spans, after its trace was complete: another trace",
			files: []string{mlflowLine(2, "m", "OK", mRoot, mChild) + mlflowLine(2, "again", "ERROR", m2Root)},
			want: []traceView{m,
				{ID: mlflowID(2), ClientID: "again", State: "ERROR", Spans: []string{sp(31, "m2-root")}}},
			warnings: map[string]int{"goes on after it was": 1},
		},
		{
			name:  "the same OTLP line twice: its spans once",
			files: []string{otlpLine(aRoot, aChild) + otlpLine(aRoot, aChild)},
			want:  []traceView{a},
		},
		{
			name: "OTLP spans first, then the MLflow trace: adopted, the MLflow info wins",
			files: []string{otlpLine(mChild, mExtra) +
				mlflowLine(2, "adopter", "ERROR", mRoot, mChild)},
			want: []traceView{{ID: mlflowID(2), ClientID: "adopter", State: "ERROR",
				Spans: []string{sp(21, "m-root"), sp(22, "m-child"), sp(23, "m-otlp-only")}}},
		},
		{
			name:  "adopted across files",
			files: []string{otlpLine(mExtra), mlflowLine(2, "adopter", "ERROR", mRoot, mChild)},
			want: []traceView{{ID: mlflowID(2), ClientID: "adopter", State: "ERROR",
				Spans: []string{sp(21, "m-root"), sp(22, "m-child"), sp(23, "m-otlp-only")}}},
		},
		{
			name: "two MLflow ids on one OpenTelemetry id stay apart",
			files: []string{mlflowLineID("tr-one", "one", "OK", mRoot, mChild) +
				mlflowLineID("tr-two", "two", "ERROR", m2Root)},
			want: []traceView{
				{ID: "tr-one", ClientID: "one", State: "OK", Spans: []string{sp(21, "m-root"), sp(22, "m-child")}},
				{ID: "tr-two", ClientID: "two", State: "ERROR", Spans: []string{sp(31, "m2-root")}},
			},
		},
		{
			name: "two MLflow ids on one OpenTelemetry id stay apart behind a pending trace",
			files: []string{otlpLine(aRoot) + mlflowLineID("tr-one", "one", "OK", mRoot, mChild) +
				mlflowLineID("tr-two", "two", "ERROR", m2Root)},
			want: []traceView{
				{ID: mlflowID(1), Derived: true, State: "OK", Spans: []string{sp(1, "a-root")}},
				{ID: "tr-one", ClientID: "one", State: "OK", Spans: []string{sp(21, "m-root"), sp(22, "m-child")}},
				{ID: "tr-two", ClientID: "two", State: "ERROR", Spans: []string{sp(31, "m2-root")}},
			},
		},
		{
			name: "two MLflow ids on one OpenTelemetry id after its OTLP spans: the first adopts them",
			files: []string{otlpLine(mExtra) + mlflowLineID("tr-one", "one", "OK", mRoot, mChild) +
				mlflowLineID("tr-two", "two", "ERROR", m2Root)},
			want: []traceView{
				{ID: "tr-one", ClientID: "one", State: "OK", Spans: []string{sp(21, "m-root"), sp(22, "m-child"), sp(23, "m-otlp-only")}},
				{ID: "tr-two", ClientID: "two", State: "ERROR", Spans: []string{sp(31, "m2-root")}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ins []Input
			for i, f := range tc.files {
				ins = append(ins, fileInput(string(rune('a'+i))+".json", f))
			}
			r := readAll(t, ins, Options{}, false)
			if r.err != nil {
				t.Fatal(r.err)
			}
			var got []traceView
			for _, tr := range r.traces {
				got = append(got, viewOf(tr))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("traces (-want +got):\n%s", diff)
			}
			for _, msg := range []string{"was already read", "goes on after it was"} {
				if n := len(warningsWith(r.warnings, msg)); n != tc.warnings[msg] {
					t.Errorf("%d warnings %q, want %d (all: %v)", n, msg, tc.warnings[msg], r.warnings)
				}
			}
		})
	}
}

// TestSourceAndLine: a trace names the input and line it was first seen in.
func TestSourceAndLine(t *testing.T) {
	aRoot := tspan{trace: 1, id: 1, name: "a-root", start: 10, end: 40}
	aChild := tspan{trace: 1, id: 2, parent: 1, name: "a-child", start: 11, end: 20}
	m := mlflowLine(2, "m", "OK", tspan{trace: 2, id: 21, name: "m", start: 1e15, end: 2e15})
	r := readAll(t, []Input{fileInput("one.json", otlpLine(aChild)+m), fileInput("two.json", otlpLine(aRoot))}, Options{}, false)
	if r.err != nil {
		t.Fatal(r.err)
	}
	type where struct {
		ID, Source string
		Line       int
	}
	var got []where
	for _, tr := range r.traces {
		got = append(got, where{tr.Info.TraceID, tr.Source, tr.Line})
	}
	want := []where{{mlflowID(1), "one.json", 1}, {mlflowID(2), "one.json", 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
