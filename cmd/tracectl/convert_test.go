package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// fakeDecoder hands out prepared documents, so the command's logic is tested
// apart from the real codecs.
type fakeDecoder struct {
	docs []*spanjson.Document
	err  error // returned after the documents, instead of io.EOF
}

func (d *fakeDecoder) Next() (*spanjson.Document, error) {
	if len(d.docs) == 0 {
		if d.err != nil {
			return nil, d.err
		}
		return nil, io.EOF
	}
	doc := d.docs[0]
	d.docs = d.docs[1:]
	return doc, nil
}

// fakeTrace is a trace of n spans with trace id byte id; the first span is
// a root when root is set.
func fakeTrace(id byte, n int, root bool) spanjson.Trace {
	var tid spanjson.TraceID
	tid[15] = id
	t := spanjson.Trace{Info: spanjson.TraceInfo{TraceID: tid.MLflowID()}}
	for i := range n {
		var sid, parent spanjson.SpanID
		sid[7] = byte(i + 1)
		sid[0] = id
		if i > 0 || !root {
			parent[7] = 0xff
		}
		t.Spans = append(t.Spans, spanjson.NewSpan(spanjson.SpanData{TraceID: tid, SpanID: sid, ParentID: parent, Name: fmt.Sprintf("s%d", i)}))
	}
	return t
}

func doc(schema spanjson.Schema, line int, traces ...spanjson.Trace) *spanjson.Document {
	if schema == spanjson.SchemaOTLP {
		for i := range traces {
			traces[i].Info.Derived = true // OTLP has no trace info
		}
	}
	return &spanjson.Document{Schema: schema, Line: line, Traces: traces}
}

// fakeAppend writes {"id":…,"spans":[names]} and reports a loss for every
// span named "lossy".
func fakeAppend(dst []byte, schema spanjson.Schema, t *spanjson.Trace) ([]byte, []spanjson.Loss, error) {
	var names []string
	lossy := 0
	for _, s := range t.Spans {
		names = append(names, s.Name())
		if s.Name() == "lossy" {
			lossy++
		}
		if s.Name() == "unwritable" {
			return dst, nil, errors.New("boom")
		}
	}
	b, _ := json.Marshal(map[string]any{"id": t.Info.TraceID, "schema": schema, "spans": names})
	var losses []spanjson.Loss
	if lossy > 0 {
		losses = []spanjson.Loss{{Field: "span.lossy", Count: lossy}}
	}
	return append(dst, b...), losses, nil
}

// viaAppend turns an AppendTrace-like function into a WriteTrace-like one.
func viaAppend(f func([]byte, spanjson.Schema, *spanjson.Trace) ([]byte, []spanjson.Loss, error)) func(io.Writer, spanjson.Schema, *spanjson.Trace) ([]spanjson.Loss, error) {
	return func(w io.Writer, s spanjson.Schema, t *spanjson.Trace) ([]spanjson.Loss, error) {
		b, losses, err := f(nil, s, t)
		if err != nil {
			return losses, err
		}
		_, err = w.Write(b)
		return losses, err
	}
}

type fakeRun struct {
	opts   *convertOptions
	out    *bytes.Buffer
	errOut *bytes.Buffer
	code   int
}

// runFake runs convert with one fake stdin input per docs list (named
// in0, in1… through files in dir so several inputs can be given).
func runFake(t *testing.T, opts convertOptions, inputs ...*fakeDecoder) fakeRun {
	t.Helper()
	streams, _, out, errOut := render.Test()
	opts.streams = streams
	dir := t.TempDir()
	byName := map[string]*fakeDecoder{}
	if opts.Inputs == nil {
		for i, d := range inputs {
			name := filepath.Join(dir, fmt.Sprintf("in%d", i))
			if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			opts.Inputs = append(opts.Inputs, name)
			byName[name] = d
		}
	}
	opts.newDecoder = func(_ io.Reader, name string) ingest.Decoder {
		if d, ok := byName[name]; ok {
			return d
		}
		return inputs[0]
	}
	if opts.writeTrace == nil {
		opts.writeTrace = viaAppend(fakeAppend)
	}
	if opts.stats == nil {
		opts.stats = &convertStats{}
	}
	err := runConvert(context.Background(), &opts)
	return fakeRun{opts: &opts, out: out, errOut: errOut, code: reportError(streams, err)}
}

// outputSpans reads fakeAppend's JSON Lines back as "id:span,span" strings.
func outputSpans(t *testing.T, data string) []string {
	t.Helper()
	var got []string
	for line := range strings.Lines(data) {
		var v struct {
			ID    string
			Spans []string
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		got = append(got, v.ID[len(v.ID)-2:]+":"+strings.Join(v.Spans, ","))
	}
	return got
}

func TestConvertUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"convert"}, "tracectl: error: convert needs --schema\ntracectl: hint: add --schema v2, --schema v3 or --schema otlp\n"},
		{[]string{"convert", "--schema", "v4"}, "tracectl: error: invalid --schema \"v4\": want v2, v3 or otlp\n"},
		{[]string{"convert", "--schema", "v2", "-o", "x", "--dir", "d"}, "tracectl: error: -o and --dir cannot be used together\n"},
		{[]string{"convert", "--schema", "v2", "-", "-"}, "tracectl: error: standard input (-) can be read only once\n"},
		{[]string{"convert", "--schema"}, "tracectl: error: flag needs an argument: --schema\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			streams, _, out, errOut := render.Test()
			defer func() {
				if t.Failed() {
					t.Logf("stderr: %s", errOut)
				}
			}()
			code := run(context.Background(), tt.args, streams)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if diff := cmp.Diff(tt.want, errOut.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out)
			}
		})
	}
}

func TestConvertMissingInputWritesNothing(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.json")
	streams, _, _, errOut := render.Test()
	code := run(context.Background(), []string{"convert", "--schema", "v3", "-o", target, filepath.Join(dir, "nope.json")}, streams)
	if code != exitError {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.HasPrefix(errOut.String(), "tracectl: error: cannot read "+filepath.Join(dir, "nope.json")+": no such file or directory\ntracectl: hint: ") {
		t.Errorf("stderr %q does not name the missing file", errOut)
	}
	assertDirEntries(t, dir, nil)
}

// OTLP documents carry no trace info: the spans of a trace are joined
// wherever they are in the input (A, B, A gives one A), as every read
// command joins them (ingest is the one assembler).
func TestConvertJoinsOTLPTracesAcrossDocuments(t *testing.T) {
	otlp := spanjson.SchemaOTLP
	in := &fakeDecoder{docs: []*spanjson.Document{
		doc(otlp, 1, fakeTrace(1, 1, true), fakeTrace(2, 1, false)),
		doc(otlp, 2, fakeTrace(2, 2, true), fakeTrace(3, 1, true)), // continues 2
		doc(otlp, 3, fakeTrace(3, 1, false)),                       // continues 3
		doc(otlp, 4, fakeTrace(1, 1, false)),                       // 1 again, after others
	}}
	r := runFake(t, convertOptions{Schema: "v3"}, in)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	// Spans that repeat an id with other content are kept (the tree
	// repairs them): every part of a trace is in its one record.
	want := []string{"01:s0,s0", "02:s0,s1,s0", "03:s0,s0"}
	if diff := cmp.Diff(want, outputSpans(t, r.out.String())); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestConvertDoesNotMergeMLflowDocuments(t *testing.T) {
	v3 := spanjson.SchemaMLflowV3
	first, second := fakeTrace(1, 2, true), fakeTrace(1, 2, true)
	second.Info.TraceID = "tr-other" // another MLflow trace on the same OpenTelemetry id
	in := &fakeDecoder{docs: []*spanjson.Document{doc(v3, 1, first), doc(v3, 2, second)}}
	r := runFake(t, convertOptions{Schema: "otlp"}, in)
	want := []string{"01:s0,s1", "er:s0,s1"}
	if diff := cmp.Diff(want, outputSpans(t, r.out.String())); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestConvertLossWarnings(t *testing.T) {
	in := func() *fakeDecoder {
		lossy := fakeTrace(1, 2, true)
		lossy.Spans = append(lossy.Spans, spanjson.NewSpan(spanjson.SpanData{TraceID: lossy.Spans[0].TraceID(), SpanID: spanjson.SpanID{7: 9}, Name: "lossy"}))
		return &fakeDecoder{docs: []*spanjson.Document{
			doc(spanjson.SchemaMLflowV3, 1, fakeTrace(2, 1, true)),
			doc(spanjson.SchemaMLflowV3, 2, lossy),
		}}
	}
	wantWarn := "tracectl: warning: trace tr-00000000000000000000000000000001: dropped span.lossy (1)\n"

	r := runFake(t, convertOptions{Schema: "v2"}, in())
	if r.code != 0 || r.errOut.String() != wantWarn {
		t.Errorf("not strict: exit %d, stderr %q, want 0 and %q", r.code, r.errOut, wantWarn)
	}
	if got := len(outputSpans(t, r.out.String())); got != 2 {
		t.Errorf("not strict: %d traces written, want 2", got)
	}

	r = runFake(t, convertOptions{Schema: "v2", Strict: true}, in())
	wantErr := wantWarn + "tracectl: error: --strict: 1 of 2 traces cannot be written as mlflow-v2 without loss; nothing written\n" +
		"tracectl: hint: the warnings above name what would be dropped; drop --strict to convert anyway\n"
	if r.code != exitError {
		t.Errorf("strict: exit %d, want 1", r.code)
	}
	if diff := cmp.Diff(wantErr, r.errOut.String()); diff != "" {
		t.Errorf("strict stderr (-want +got):\n%s", diff)
	}
	if r.out.Len() != 0 {
		t.Errorf("strict wrote to stdout: %q", r.out)
	}
}

func TestConvertStrictStdoutWithoutLoss(t *testing.T) {
	in := &fakeDecoder{docs: []*spanjson.Document{doc(spanjson.SchemaMLflowV3, 1, fakeTrace(1, 1, true), fakeTrace(2, 1, true))}}
	r := runFake(t, convertOptions{Schema: "otlp", Strict: true}, in)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	if diff := cmp.Diff([]string{"01:s0", "02:s0"}, outputSpans(t, r.out.String())); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// TestConvertErrorLeavesOutputUntouched: bad input found after traces were
// converted leaves -o FILE as it was, with no temporary files behind, for a
// decode error and for a write error; --dir is left as it was after a write
// error and keeps the good traces after a bad input.
func TestConvertErrorLeavesOutputUntouched(t *testing.T) {
	bad := &spanjson.SyntaxError{File: "in1", Line: 3, Col: 7, Msg: "invalid character"}
	cases := map[string]func() []*fakeDecoder{
		"decode error": func() []*fakeDecoder {
			return []*fakeDecoder{
				{docs: []*spanjson.Document{doc(spanjson.SchemaMLflowV3, 1, fakeTrace(1, 1, true))}},
				{docs: []*spanjson.Document{doc(spanjson.SchemaMLflowV3, 1, fakeTrace(2, 1, true))}, err: bad},
			}
		},
		"write error": func() []*fakeDecoder {
			// a fresh trace each time: reading lets the document's spans go
			unwritable := spanjson.Trace{Spans: []spanjson.Span{spanjson.NewSpan(spanjson.SpanData{Name: "unwritable"})}}
			return []*fakeDecoder{{docs: []*spanjson.Document{
				doc(spanjson.SchemaOTLP, 1, fakeTrace(1, 1, true)),
				doc(spanjson.SchemaOTLP, 2, fakeTrace(2, 1, true)),
				doc(spanjson.SchemaOTLP, 5, unwritable),
			}}}
		},
	}
	for name, inputs := range cases {
		t.Run(name+"/-o", func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "out.jsonl")
			if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runFake(t, convertOptions{Schema: "v3", Output: target}, inputs()...)
			if r.code != exitError {
				t.Errorf("exit %d, want 1; stderr %s", r.code, r.errOut)
			}
			if got, _ := os.ReadFile(target); string(got) != "precious\n" {
				t.Errorf("existing -o file changed to %q", got)
			}
			assertDirEntries(t, dir, []string{"out.jsonl"})
		})
		t.Run(name+"/--dir", func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			r := runFake(t, convertOptions{Schema: "v3", Dir: dir}, inputs()...)
			if r.code != exitError {
				t.Errorf("exit %d, want 1", r.code)
			}
			if name == "decode error" {
				// An input that cannot be read is reported and the others go
				// on: --dir keeps every good trace (as stdout does).
				assertDirEntries(t, dir, []string{"tr-00000000000000000000000000000001.json", "tr-00000000000000000000000000000002.json"})
				return
			}
			assertDirEntries(t, parent, nil) // the directory it created is gone again
		})
	}
	t.Run("message", func(t *testing.T) {
		r := runFake(t, convertOptions{Schema: "v3"}, cases["write error"]()...)
		want := "tracectl: error: <in0>:5: trace tr-00000000000000000000000000000000: cannot write as mlflow-v3: boom\n"
		got := strings.ReplaceAll(r.errOut.String(), r.opts.Inputs[0], "<in0>")
		if got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
	})
}

func TestConvertDirNamesFiles(t *testing.T) {
	redacted := fakeTrace(9, 1, true)
	redacted.Info.TraceID = "<redacted>"
	evil := fakeTrace(8, 1, true)
	evil.Info.TraceID = "../../etc/passwd"
	// Trace 1 goes on in a later document after it was written: the rest
	// is another record of the same id.
	in := &fakeDecoder{docs: []*spanjson.Document{
		doc(spanjson.SchemaMLflowV3, 1, fakeTrace(1, 1, true), redacted, evil),
		doc(spanjson.SchemaMLflowV3, 2, fakeTrace(1, 2, true)),
	}}
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runFake(t, convertOptions{Schema: "v2", Dir: dir}, in)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	want := []string{
		"tr-00000000000000000000000000000001-2.json",
		"tr-00000000000000000000000000000001.json",
		redactedName("<redacted>"),
		redactedName("../../etc/passwd"),
	}
	slices.Sort(want)
	assertDirEntries(t, dir, want)
	got, err := os.ReadFile(filepath.Join(dir, "tr-00000000000000000000000000000001-2.json"))
	// its s0 is a copy of the first record's: only the new span goes on
	if err != nil || !strings.HasSuffix(string(got), "\"spans\":[\"s1\"]}\n") {
		t.Errorf("second trace file: %q, %v", got, err)
	}
}

func redactedName(id string) string {
	return spanjson.TraceFileName(id, func(string) bool { return false })
}

// TestConvertStreamingHoldsOneDocument converts 10,000 single-trace
// documents and checks that never more than one document's traces were held,
// and that the heap did not grow with the input.
func TestConvertStreamingHoldsOneDocument(t *testing.T) {
	const n = 10000
	var heapSamples []uint64
	gen := &genDecoder{n: n, onDoc: func(i int) {
		if i%1000 == 0 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heapSamples = append(heapSamples, ms.HeapInuse)
		}
	}}
	streams, _, _, errOut := render.Test()
	streams.Out = io.Discard
	opts := &convertOptions{Schema: "v3", streams: streams, Inputs: []string{"-"}, stats: &convertStats{},
		newDecoder: func(io.Reader, string) ingest.Decoder { return gen },
		writeTrace: viaAppend(fakeAppend)}
	if err := runConvert(context.Background(), opts); err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	if opts.stats.Traces != n {
		t.Errorf("wrote %d traces, want %d", opts.stats.Traces, n)
	}
	first, last := heapSamples[1], heapSamples[len(heapSamples)-1]
	if last > first+8<<20 {
		t.Errorf("heap grew from %d to %d bytes over %d traces", first, last, n)
	}
}

// genDecoder generates n MLflow documents of one 20-span trace each.
type genDecoder struct {
	n, i  int
	onDoc func(int)
}

func (g *genDecoder) Next() (*spanjson.Document, error) {
	if g.i == g.n {
		return nil, io.EOF
	}
	g.onDoc(g.i)
	g.i++
	t := fakeTrace(byte(g.i), 20, true)
	// a trace id of its own for each document (fakeTrace's ids repeat
	// after 256, and a trace read again is dropped)
	tid := spanjson.TraceID{13: byte(g.i >> 16), 14: byte(g.i >> 8), 15: byte(g.i)}
	for k, sp := range t.Spans {
		d := sp.Data()
		d.TraceID = tid
		t.Spans[k] = spanjson.NewSpan(d)
	}
	t.Info.TraceID = tid.MLflowID()
	return doc(spanjson.SchemaMLflowV3, g.i, t), nil
}

func assertDirEntries(t *testing.T, dir string, want []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries of %s (-want +got):\n%s", dir, diff)
	}
}

// TestConvertInterruptedWhileReadingStdin: Ctrl-C while stdin blocks ends
// the run at once and leaves no output behind.
func TestConvertInterruptedWhileReadingStdin(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	streams, _, _, _ := render.Test()
	streams.In = pr
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runConvert(ctx, &convertOptions{Schema: "v3", Output: filepath.Join(dir, "out.json"), streams: streams,
			newDecoder: func(r io.Reader, _ string) ingest.Decoder { return readingDecoder{r} }})
	}()
	time.Sleep(20 * time.Millisecond) // let it block in the read (the test passes either way)
	cancel()
	err := <-done
	if err == nil || err.Error() != "interrupted; nothing written to "+filepath.Join(dir, "out.json") {
		t.Errorf("error %v, want the interruption", err)
	}
	assertDirEntries(t, dir, nil)
}

// readingDecoder reads all of its input before failing, like a decoder
// waiting for a document.
type readingDecoder struct{ r io.Reader }

func (d readingDecoder) Next() (*spanjson.Document, error) {
	_, err := io.ReadAll(d.r)
	if err == nil {
		err = errors.New("input ended")
	}
	return nil, err
}

func TestConvertCompletesSchema(t *testing.T) {
	streams, _, out, _ := render.Test()
	if code := run(context.Background(), []string{"__complete", "convert", "--schema", ""}, streams); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := strings.Fields(strings.Split(out.String(), ":")[0]); !slices.Equal(got, []string{"v2", "v3", "otlp"}) {
		t.Errorf("--schema completions %q", got)
	}
}

// TestConvertLossesAddedUpPastTen: the losses of the first ten traces that
// lose something are listed per trace; those of the traces after them
// are added up per field, one line each, at the end. With --strict as
// well, and -q drops them but for --strict's.
func TestConvertLossesAddedUpPastTen(t *testing.T) {
	var dump bytes.Buffer
	writeManyTraces(t, &dump, 13, 3)
	_, stderr, code := runMain(t, dump.String(), "convert", "--schema", "otlp")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	perTrace := map[string]bool{}
	var added []string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "tracectl: warning: trace "); ok {
			id, _, _ := strings.Cut(rest, ":")
			perTrace[id] = true
			if len(added) > 0 {
				t.Errorf("a trace's line after the added-up ones: %q", l)
			}
			continue
		}
		added = append(added, l)
	}
	if len(perTrace) != maxLossTraces {
		t.Errorf("losses listed for %d traces, want %d:\n%s", len(perTrace), maxLossTraces, stderr)
	}
	// Each of the three traces left loses what the listed ones lose: a
	// line per field, with its count over the three.
	wantFields := strings.Count(stderr, "tracectl: warning: trace ") / maxLossTraces
	if len(added) != wantFields {
		t.Fatalf("%d added-up lines, want one per field (%d):\n%s", len(added), wantFields, strings.Join(added, "\n"))
	}
	for _, l := range added {
		if !strings.HasPrefix(l, "tracectl: warning: 3 more traces: dropped ") {
			t.Errorf("added-up line %q", l)
		}
	}
	if !slices.Contains(added, "tracectl: warning: 3 more traces: dropped info.tags (3)") {
		t.Errorf("no added-up line for info.tags:\n%s", strings.Join(added, "\n"))
	}
	_, quiet, _ := runMain(t, dump.String(), "-q", "convert", "--schema", "otlp")
	if quiet != "" {
		t.Errorf("-q printed:\n%s", quiet)
	}
	_, strict, code := runMain(t, dump.String(), "-q", "convert", "--schema", "otlp", "--strict")
	if code != 1 || !strings.Contains(strict, "3 more traces: dropped info.tags (3)") || strings.Count(strict, ": dropped ") != len(lines) {
		t.Errorf("--strict -q: exit %d, stderr:\n%s", code, strict)
	}
}
