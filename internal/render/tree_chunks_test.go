package render

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"tracectl/internal/spanjson"
	"tracectl/internal/spanjson/spanjsontest"
)

// A tree printed in chunks on several goroutines (printLines) must be the
// tree printed by one walk, byte for byte, whatever the chunks' size: the
// drawing of each chunk's first line comes from its ancestors.

// shapedView is the view of a generated trace of n spans of the shape,
// made by newView (NewTraceView or NewTraceViewWithTypes).
func shapedView(t *testing.T, n int, shape spanjsontest.Shape, newView func(string, spanjson.Schema, string, *spanjson.Trace, *spanjson.Tree) *TraceView) *TraceView {
	t.Helper()
	var b bytes.Buffer
	if err := spanjsontest.WriteV3TraceShaped(&b, n, 3, shape); err != nil {
		t.Fatal(err)
	}
	docs, err := spanjson.DecodeAll(&b, "gen.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := &docs[0].Traces[0]
	tree, _ := spanjson.BuildTree(tr.Spans)
	return newView("gen.json", docs[0].Schema, docs[0].Shape, tr, tree)
}

// showText is Show's text on a pipe, or on a terminal without colors.
func showText(t *testing.T, v *TraceView, o ShowOptions, tty bool) string {
	t.Helper()
	return renderShowIn(t, v, o, tty, "never", 100)
}

func TestShowInChunksEqualsOneWalk(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	oldMin, oldLines := treeChunksMin, treeChunkLines
	defer func() { treeChunksMin, treeChunkLines = oldMin, oldLines }()

	views := map[string]*TraceView{"agent": agentTrace(t)}
	for _, sh := range spanjsontest.Shapes {
		views[sh.Name] = shapedView(t, 2500, sh.Shape, NewTraceView)
	}
	opts := map[string]ShowOptions{
		"default":       {},
		"no-fold":       {NoFold: true},
		"errors-only":   {ErrorsOnly: true},
		"depth-3":       {Depth: 3},
		"critical-path": {CriticalPath: true},
	}
	before := treesInChunks.Load()
	for vn, v := range views {
		for on, o := range opts {
			for _, tty := range []bool{false, true} {
				treeChunksMin = 1 << 30
				want := showText(t, v, o, tty)
				for _, lines := range []int{1, 7, 500} {
					treeChunksMin, treeChunkLines = 1, lines
					if got := showText(t, v, o, tty); got != want {
						t.Fatalf("%s %s tty=%v: chunks of %d lines differ from one walk:\n%s", vn, on, tty, lines, firstDiff(want, got))
					}
				}
			}
		}
	}
	if n := treesInChunks.Load() - before; n != int64(len(views)*len(opts)*2*3) {
		t.Fatalf("%d trees printed in chunks, want every one", n)
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := bytes.Split([]byte(a), []byte("\n")), bytes.Split([]byte(b), []byte("\n"))
	for i := 0; i < min(len(al), len(bl)); i++ {
		if !bytes.Equal(al[i], bl[i]) {
			return fmt.Sprintf("line %d:\n  walk:   %q\n  chunks: %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(bl), len(al))
}

// A trace big enough for everything Show does on other goroutines (types
// read while the view is made, the GenAI summary during the column walk,
// the lines in chunks) prints what one goroutine prints; under -race this
// is also the test that they share nothing unguarded.
func TestShowBigTraceOnSeveralGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("a trace of more than 16,384 spans")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	oldMin := treeChunksMin
	defer func() { treeChunksMin = oldMin }()
	n := concurrentSpans + 100
	treeChunksMin = 1
	before := treesInChunks.Load()
	got := showText(t, shapedView(t, n, spanjsontest.RandomParents, NewTraceViewWithTypes), ShowOptions{}, false)
	if treesInChunks.Load() == before {
		t.Fatal("the tree was not printed in chunks")
	}
	treeChunksMin = 1 << 30
	want := showText(t, shapedView(t, n, spanjsontest.RandomParents, NewTraceView), ShowOptions{}, false)
	if got != want {
		t.Fatalf("on several goroutines, show differs from one:\n%s", firstDiff(want, got))
	}
}
