package ingest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The same documents must make the same traces however they reach Read:
// as one file, split into several inputs at document boundaries, or
// through a stream (with an Idle so large that idle completion never
// fires, every derived trace is complete at the end, as in a file).

// goodFixtures are the fixture files that read without error, in a fixed
// order. Their traces collide on purpose: several share the OpenTelemetry
// id 0af7651916cd43dd8448eb211c80319c, two the MLflow id tr-0af7….
var goodFixtures = []string{
	"../../testdata/spanjson/array_of_spans.json",
	"../../testdata/spanjson/array_of_traces.json",
	"../../testdata/spanjson/concatenated.json",
	"../../testdata/spanjson/databricks_envelope.json",
	"../../testdata/spanjson/mlflow2_full_trace.json",
	"../../testdata/spanjson/mlflow3_error_trace.json",
	"../../testdata/spanjson/rest_v3_trace.json",
	"../../testdata/spanjson/several_traces.jsonl",
	"../../testdata/otlp/opaque_ids.json",
	"../../testdata/otlp/snake_case.json",
	"../../testdata/otlp/two_traces.json",
}

func readFixture(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// genMix makes a deterministic mix of documents: MLflow v3 traces
// (spanjsontest), OTLP traces whose spans are spread over several lines
// (a line may hold spans of several traces, some lines repeat), MLflow
// traces whose spans were first sent as OTLP (adopted), and MLflow traces
// followed by an exact OTLP copy of all their spans in one line.
func genMix(t testing.TB, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 0xd1ff))
	var docs []string
	base := int(seed%1000) * 1000
	// OTLP traces, spans shuffled over lines.
	var pool []tspan
	nOTLP := 1 + r.IntN(5)
	for k := range nOTLP {
		tr := base + 1 + k
		n := 1 + r.IntN(8)
		start := int64(1e18) + int64(k)*1e9
		for i := range n {
			s := tspan{trace: tr, id: tr*100 + i + 1, name: fmt.Sprintf("otlp-%d-%d", tr, i),
				start: start + int64(i)*1000, end: start + 1e6 - int64(i)}
			if i > 0 {
				s.parent = tr*100 + 1 + r.IntN(i)
			}
			if r.IntN(6) == 0 {
				s.errMsg = "failed"
			}
			pool = append(pool, s)
		}
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	var otlpDocs []string
	for len(pool) > 0 {
		n := min(len(pool), 1+r.IntN(4))
		otlpDocs = append(otlpDocs, otlpLine(pool[:n]...))
		pool = pool[n:]
	}
	if len(otlpDocs) > 1 && r.IntN(2) == 0 { // a retry: a line sent again
		otlpDocs = append(otlpDocs, otlpDocs[r.IntN(len(otlpDocs))])
	}
	// MLflow traces: generated, adopted, and followed by their OTLP copy.
	var mlflowDocs []string
	for i := range 1 + r.IntN(3) {
		mlflowDocs = append(mlflowDocs, v3Trace(t, 1+r.IntN(20), int64(seed)*100+int64(i)))
	}
	adoptedTrace := base + 500
	root := tspan{trace: adoptedTrace, id: adoptedTrace*100 + 1, name: "adopted-root", start: 2e18, end: 2e18 + 5e6}
	child := tspan{trace: adoptedTrace, id: adoptedTrace*100 + 2, parent: root.id, name: "adopted-child", start: 2e18 + 1, end: 2e18 + 1e6}
	copiedTrace := base + 600
	croot := tspan{trace: copiedTrace, id: copiedTrace*100 + 1, name: "copied-root", start: 3e18, end: 3e18 + 7e6, errMsg: "bad"}
	cchild := tspan{trace: copiedTrace, id: copiedTrace*100 + 2, parent: croot.id, name: "copied-child", start: 3e18 + 1, end: 3e18 + 1e6}

	// Interleave: OTLP lines and MLflow traces in a random order, keeping
	// the adopted trace's OTLP spans before its MLflow document, and the
	// exact copy after its MLflow document.
	docs = append(docs, otlpDocs...)
	docs = append(docs, mlflowDocs...)
	r.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	at := r.IntN(len(docs) + 1)
	docs = slices.Insert(docs, at, otlpLine(child), mlflowLine(adoptedTrace, "adopted", "OK", root, child))
	at = r.IntN(len(docs) + 1)
	docs = slices.Insert(docs, at, mlflowLine(copiedTrace, "copied", "ERROR", croot, cchild), otlpLine(croot, cchild))
	return docs
}

// splitInputs cuts docs into file inputs at document boundaries: after
// each document i for which cut(i) holds.
func splitInputs(docs []string, cut func(i int) bool) []Input {
	var ins []Input
	var cur strings.Builder
	for i, d := range docs {
		cur.WriteString(d)
		if cut(i) || i == len(docs)-1 {
			ins = append(ins, fileInput(fmt.Sprintf("part%d.json", len(ins)), cur.String()))
			cur.Reset()
		}
	}
	return ins
}

// readPipe reads docs written one at a time into an io.Pipe.
func readPipe(t testing.TB, docs []string, idle time.Duration) readOutcome {
	t.Helper()
	pr, pw := io.Pipe()
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for _, d := range docs {
			if _, err := io.WriteString(pw, d); err != nil {
				return
			}
		}
		pw.Close()
	}()
	r := readAll(t, []Input{{Name: "<stdin>", Reader: pr}}, Options{Idle: idle}, false)
	pr.Close() // Read stopped early (an error): unblock the writer
	<-wrote
	return r
}

// checkSame reads docs as one file, split into inputs, and through a
// stream, and compares what they make.
func checkSame(t *testing.T, docs []string, r *rand.Rand) {
	t.Helper()
	whole := readAll(t, []Input{fileInput("whole.json", strings.Join(docs, ""))}, Options{}, false)
	if whole.err != nil {
		t.Fatalf("whole: %v", whole.err)
	}
	if len(whole.traces) == 0 {
		t.Fatal("whole: no trace")
	}
	wantOrdered := make([]string, len(whole.traces))
	for i, tr := range whole.traces {
		wantOrdered[i] = render(tr)
	}

	splits := []struct {
		name string
		cut  func(int) bool
	}{
		{"every document", func(int) bool { return true }},
		{"random", func(int) bool { return r.IntN(3) == 0 }},
	}
	for _, sp := range splits {
		split := readAll(t, splitInputs(docs, sp.cut), Options{}, false)
		if split.err != nil {
			t.Fatalf("split (%s): %v", sp.name, split.err)
		}
		got := make([]string, len(split.traces))
		for i, tr := range split.traces {
			got[i] = render(tr)
		}
		// Files: the same traces in the same (first-seen) order.
		if diff := cmp.Diff(wantOrdered, got); diff != "" {
			t.Errorf("split (%s) vs whole (-whole +split):\n%s", sp.name, diff)
		}
	}

	t.Run("stream", func(t *testing.T) {
		stream := readPipe(t, docs, time.Hour)
		if stream.err != nil {
			t.Fatalf("stream: %v", stream.err)
		}
		// A stream hands traces on as they complete: the same set.
		if diff := cmp.Diff(canonical(whole.traces), canonical(stream.traces)); diff != "" {
			t.Errorf("stream vs whole (-whole +stream):\n%s", diff)
		}
	})
}

func TestReadSplitStreamWholeAgreeGenerated(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			docs := genMix(t, seed)
			checkSame(t, docs, rand.New(rand.NewPCG(seed, 7)))
		})
	}
}

func TestReadSplitStreamWholeAgreeFixtures(t *testing.T) {
	var docs []string
	for _, f := range goodFixtures {
		docs = append(docs, readFixture(t, f))
	}
	t.Run("each fixture alone", func(t *testing.T) {
		for i, d := range docs {
			t.Run(filepath.Base(goodFixtures[i]), func(t *testing.T) {
				checkSame(t, []string{d}, rand.New(rand.NewPCG(uint64(i), 7)))
			})
		}
	})
	t.Run("all fixtures", func(t *testing.T) {
		checkSame(t, docs, rand.New(rand.NewPCG(1, 7)))
	})
	t.Run("all fixtures reversed", func(t *testing.T) {
		reversed := slices.Clone(docs)
		slices.Reverse(reversed)
		checkSame(t, reversed, rand.New(rand.NewPCG(2, 7)))
	})
}

// renderTree is a trace's tree, depth-first: one "depth span-id name" a span.
func renderTree(tr *Trace) []string {
	if tr.Tree == nil {
		return nil
	}
	var out []string
	var walk func(i, depth int)
	walk = func(i, depth int) {
		s := tr.Tree.Spans[i]
		out = append(out, fmt.Sprintf("%d %s %s", depth, s.SpanID(), s.Name()))
		for _, c := range tr.Tree.Children[i] {
			walk(c, depth+1)
		}
	}
	for _, r := range tr.Tree.Roots {
		walk(r, 0)
	}
	return out
}

// TestTreeBuiltAheadAgrees: a tree built ahead (on another goroutine, while
// the spans go through the manager) is the tree built at the hand-on, and
// Options.Ahead's result comes with the trace it was made from.
func TestTreeBuiltAheadAgrees(t *testing.T) {
	for seed := range uint64(10) {
		docs := genMix(t, seed)
		text := strings.Join(docs, "")
		plain := readAll(t, []Input{fileInput("f.json", text)}, Options{Tree: true}, false)
		var aheadCalls atomic.Int32 // Ahead runs on other goroutines, concurrently
		ahead := readAll(t, []Input{fileInput("f.json", text)}, Options{Tree: true, AheadMinSpans: 1,
			Ahead: func(tr *Trace) any {
				aheadCalls.Add(1)
				return fmt.Sprintf("%s/%d", tr.Source, len(tr.Tree.Spans))
			}}, false)
		if plain.err != nil || ahead.err != nil {
			t.Fatalf("seed %d: %v, %v", seed, plain.err, ahead.err)
		}
		if len(plain.traces) != len(ahead.traces) {
			t.Fatalf("seed %d: %d traces, %d built ahead", seed, len(plain.traces), len(ahead.traces))
		}
		used := 0
		for i := range plain.traces {
			p, a := plain.traces[i], ahead.traces[i]
			if diff := cmp.Diff(render(p), render(a)); diff != "" {
				t.Errorf("seed %d trace %d (-plain +ahead):\n%s", seed, i, diff)
			}
			if diff := cmp.Diff(renderTree(p), renderTree(a)); diff != "" {
				t.Errorf("seed %d trace %s tree (-plain +ahead):\n%s", seed, p.Info.TraceID, diff)
			}
			if p.Ahead != nil {
				t.Errorf("seed %d: Ahead set without Options.Ahead", seed)
			}
			if a.Ahead != nil {
				used++
				if want := fmt.Sprintf("f.json/%d", len(a.Tree.Spans)); a.Ahead != want {
					t.Errorf("seed %d trace %s: Ahead made %v, want %v", seed, a.Info.TraceID, a.Ahead, want)
				}
			}
		}
		if used == 0 || int(aheadCalls.Load()) < used {
			t.Errorf("seed %d: Ahead called %d times, its result used %d times; want it used", seed, aheadCalls.Load(), used)
		}
		if diff := cmp.Diff(plain.warnings, ahead.warnings); diff != "" {
			t.Errorf("seed %d warnings (-plain +ahead):\n%s", seed, diff)
		}
	}
}
