package spanjson

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var treeTrace = TraceID{0xab, 1}

func sid(n uint64) SpanID {
	var id SpanID
	binary.BigEndian.PutUint64(id[:], n)
	return id
}

func mk(id, parent uint64, start int64, name string) Span {
	return NewSpan(SpanData{TraceID: treeTrace, SpanID: sid(id), ParentID: sid(parent), Name: name, StartTime: start})
}

// shape renders a tree as indented names, in Walk order.
func shape(t *Tree) []string {
	var out []string
	t.Walk(func(i, depth int) bool {
		out = append(out, fmt.Sprintf("%*s%s", 2*depth, "", t.Spans[i].Name()))
		return true
	})
	return out
}

func TestBuildTreeOrdersByStartThenID(t *testing.T) {
	spans := []Span{
		mk(5, 1, 30, "c"),
		mk(1, 0, 10, "root"),
		mk(4, 1, 20, "b2"),
		mk(3, 1, 20, "b1"), // same start as b2: lower id first
		mk(6, 3, 25, "b1-child"),
		mk(9, 0, 5, "early-root"),
	}
	tr, warns := BuildTree(spans)
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	want := []string{"early-root", "root", "  b1", "    b1-child", "  b2", "  c"}
	if diff := cmp.Diff(want, shape(tr)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if tr.Parent[4] != 3 || tr.Parent[1] != -1 {
		t.Errorf("Parent = %v", tr.Parent)
	}
	// Input order does not matter.
	rev := make([]Span, len(spans))
	for i, s := range spans {
		rev[len(spans)-1-i] = s
	}
	tr2, _ := BuildTree(rev)
	if diff := cmp.Diff(want, shape(tr2)); diff != "" {
		t.Errorf("reversed input (-want +got):\n%s", diff)
	}
}

func TestWalkSkipsChildren(t *testing.T) {
	tr, _ := BuildTree([]Span{mk(1, 0, 1, "r"), mk(2, 1, 2, "a"), mk(3, 2, 3, "a1"), mk(4, 1, 4, "b")})
	var seen []string
	tr.Walk(func(i, depth int) bool {
		seen = append(seen, tr.Spans[i].Name())
		return tr.Spans[i].Name() != "a"
	})
	if diff := cmp.Diff([]string{"r", "a", "b"}, seen); diff != "" {
		t.Errorf("walk (-want +got):\n%s", diff)
	}
}

// A 100,000-deep chain builds and walks without recursion.
func TestBuildTreeDeepChain(t *testing.T) {
	const n = 100_000
	spans := make([]Span, n)
	for i := range n {
		spans[i] = mk(uint64(i+1), uint64(i), int64(i), "s")
	}
	tr, warns := BuildTree(spans)
	if len(warns) != 0 {
		t.Fatalf("warnings: %v", warns[:1])
	}
	maxDepth, count := -1, 0
	tr.Walk(func(i, depth int) bool {
		if depth != i {
			t.Fatalf("span %d at depth %d", i, depth)
		}
		maxDepth = max(maxDepth, depth)
		count++
		return true
	})
	if count != n || maxDepth != n-1 {
		t.Errorf("walked %d spans to depth %d", count, maxDepth)
	}
	// The same chain as one long cycle is broken once.
	spans[0] = mk(1, n, 0, "s")
	_, warns = BuildTree(spans)
	if len(warns) != 1 {
		t.Errorf("cycle warnings: %d", len(warns))
	}
}

func TestBuildTreeEmpty(t *testing.T) {
	tr, warns := BuildTree(nil)
	if len(tr.Roots) != 0 || len(warns) != 0 {
		t.Errorf("empty: %+v %v", tr, warns)
	}
	tr.Walk(func(int, int) bool { t.Fatal("visited"); return true })
}

// The Databricks sample has every id redacted: the duplicate gets a fresh
// id and the child (parent "<redacted>") hangs under the first span.
func TestBuildTreeRedactedSample(t *testing.T) {
	docs, err := decodeFile(t, sharedSample(t, "mnorberg-dev-mnorberg-dev.github.io__databricks_output_trace_ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, warns := BuildTree(docs[0].Traces[0].Spans)
	if diff := cmp.Diff([]string{"predict", "  Completions"}, shape(tr)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if len(warns) != 1 {
		t.Errorf("warnings: %v", warns)
	}
}
