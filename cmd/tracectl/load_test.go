package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

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
	var ins []inputSource
	for k, in := range inputs {
		ins = append(ins, inputSource{name: fmt.Sprintf("in%d.jsonl", k+1), open: func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(in)), nil
		}})
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
	var ins []inputSource
	ins = append(ins, inputSource{name: "bad.json", open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("{\"resourceSpans\": [\n  {,}\n]}")), nil
	}})
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
	if err != nil || len(ins) != 1 || ins[0].name != "<stdin>" {
		t.Errorf("no arguments: %v %v, want stdin", ins, err)
	}
	ins, err = inputsFrom([]string{"a.json", "-", "b.json"}, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range ins {
		names = append(names, in.name)
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
		w.warn(spanjson.Warning{Where: "f.json:1:1", Msg: fmt.Sprint("problem ", k)})
	}
	w.finish()
	lines := strings.Split(strings.TrimRight(errOut.String(), "\n"), "\n")
	if len(lines) != maxWarnings+1 {
		t.Fatalf("%d lines, want %d", len(lines), maxWarnings+1)
	}
	if lines[0] != "tracectl: warning: f.json:1:1: problem 0" {
		t.Errorf("first line = %q", lines[0])
	}
	if lines[maxWarnings] != "tracectl: warning: 7 more warnings not shown" {
		t.Errorf("last line = %q", lines[maxWarnings])
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
// the pop, and that a trace whose popped spans differ from the document's
// (a second document repeats its span ids) is built again from them.
func TestLoadBigTraceBuiltAheadMatches(t *testing.T) {
	var buf strings.Builder
	if err := spanjsontest.WriteV3Trace(&buf, 300, 3); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	load := func(minSpans int, inputs ...string) (string, []spanjson.Warning) {
		old := specMinSpans
		specMinSpans = minSpans
		defer func() { specMinSpans = old }()
		views, warnings := loadString(t, inputs...)
		return showText(t, views), warnings
	}
	for _, inputs := range [][]string{{doc}, {doc, doc}} {
		want, wantWarn := load(1<<30, inputs...) // never ahead
		got, gotWarn := load(100, inputs...)
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("%d inputs: show with the tree built ahead differs (-after pop +ahead):\n%s", len(inputs), diff)
		}
		if diff := gocmp.Diff(wantWarn, gotWarn); diff != "" {
			t.Errorf("%d inputs: warnings differ (-after pop +ahead):\n%s", len(inputs), diff)
		}
		if len(inputs) == 2 && len(gotWarn) == 0 {
			t.Errorf("two copies of a trace: no repeated-id warnings")
		}
		if !strings.Contains(got, "spans     300") && !strings.Contains(got, "spans     600") {
			t.Errorf("%d inputs: unexpected span count in\n%.400s", len(inputs), got)
		}
	}
}
