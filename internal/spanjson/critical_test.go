package spanjson

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// cpSpan is a hand-made span: id n, parent p (0: a root), from start to
// end (0: still running), status code.
type cpSpan struct {
	n, p       int
	start, end int64
	failed     bool
}

// cpBase is added to the hand-made times: a start of 0 means unknown.
const cpBase = 1000

func cpTree(t testing.TB, spans ...cpSpan) *Tree {
	t.Helper()
	list := make([]Span, len(spans))
	for k, s := range spans {
		d := SpanData{TraceID: TraceID{1}, SpanID: SpanID{0, 0, 0, 0, 0, 0, 0, byte(s.n)}, Name: fmt.Sprintf("s%d", s.n), StartTime: cpBase + s.start}
		if s.end != 0 {
			d.EndTime = cpBase + s.end
		}
		if s.p != 0 {
			d.ParentID = SpanID{0, 0, 0, 0, 0, 0, 0, byte(s.p)}
		}
		if s.failed {
			d.Status.Code = StatusError
		}
		list[k] = NewSpan(d)
	}
	tree, warnings := BuildTree(list)
	if len(warnings) > 0 {
		t.Fatalf("hand-made tree needed repairs: %v", warnings)
	}
	return tree
}

// pathText writes segments as "name start-end" for a readable diff.
func pathText(tree *Tree, segs []PathSegment) []string {
	var out []string
	for _, s := range segs {
		out = append(out, fmt.Sprintf("%s %d-%d", tree.Spans[s.Span].Name(), s.Start-cpBase, s.End-cpBase))
	}
	return out
}

func TestCriticalPath(t *testing.T) {
	tests := []struct {
		name  string
		spans []cpSpan
		want  []string
	}{
		{
			name:  "a lone span is its own path",
			spans: []cpSpan{{n: 1, start: 100, end: 200}},
			want:  []string{"s1 100-200"},
		},
		{
			// root 0-100: a 10-30, b 40-90 one after the other.
			name:  "sequential children",
			spans: []cpSpan{{n: 1, start: 0, end: 100}, {n: 2, p: 1, start: 10, end: 30}, {n: 3, p: 1, start: 40, end: 90}},
			want:  []string{"s1 0-10", "s2 10-30", "s1 30-40", "s3 40-90", "s1 90-100"},
		},
		{
			// root 0-100: a 10-60 and b 20-80 overlap. b finishes last;
			// before b started (20) no child had finished, so the root's
			// own time runs from 0 to 20: a is not on the path.
			name:  "overlapping children",
			spans: []cpSpan{{n: 1, start: 0, end: 100}, {n: 2, p: 1, start: 10, end: 60}, {n: 3, p: 1, start: 20, end: 80}},
			want:  []string{"s1 0-20", "s3 20-80", "s1 80-100"},
		},
		{
			// root 0-100: a 5-15 finished before b 20-80 started, c 30-70
			// overlaps b inside it.
			name:  "overlapping children, an earlier one finished in time",
			spans: []cpSpan{{n: 1, start: 0, end: 100}, {n: 2, p: 1, start: 5, end: 15}, {n: 3, p: 1, start: 20, end: 80}, {n: 4, p: 1, start: 30, end: 70}},
			want:  []string{"s1 0-5", "s2 5-15", "s1 15-20", "s3 20-80", "s1 80-100"},
		},
		{
			// root 0-100: a 50-150 outlives it and is cut at 100; its child
			// a1 60-140 is cut at a's new end.
			name:  "a child that outlives its parent",
			spans: []cpSpan{{n: 1, start: 0, end: 100}, {n: 2, p: 1, start: 50, end: 150}, {n: 3, p: 2, start: 60, end: 140}},
			want:  []string{"s1 0-50", "s2 50-60", "s3 60-100"},
		},
		{
			// root 0-100: a 120-180 starts after the root ended: left out,
			// with its child; b 10-40 is the last child that finished.
			name:  "a child that starts after its parent ended",
			spans: []cpSpan{{n: 1, start: 0, end: 100}, {n: 2, p: 1, start: 120, end: 180}, {n: 3, p: 2, start: 130, end: 140}, {n: 4, p: 1, start: 10, end: 40}},
			want:  []string{"s1 0-10", "s4 10-40", "s1 40-100"},
		},
		{
			// root 10-100: a 0-30 started before its parent: cut at 10.
			name:  "a child that starts before its parent",
			spans: []cpSpan{{n: 1, start: 10, end: 100}, {n: 2, p: 1, start: 0, end: 30}},
			want:  []string{"s2 10-30", "s1 30-100"},
		},
		{
			// a 10-30 and b 30-50 back to back: a ends when b starts.
			name:  "back to back children",
			spans: []cpSpan{{n: 1, start: 0, end: 60}, {n: 2, p: 1, start: 10, end: 30}, {n: 3, p: 1, start: 30, end: 50}},
			want:  []string{"s1 0-10", "s2 10-30", "s3 30-50", "s1 50-60"},
		},
		{
			// a deep chain: each waits on the next.
			name:  "nested last-finishing children",
			spans: []cpSpan{{n: 1, start: 0, end: 100}, {n: 2, p: 1, start: 10, end: 90}, {n: 3, p: 2, start: 20, end: 80}, {n: 4, p: 3, start: 20, end: 80}},
			want:  []string{"s1 0-10", "s2 10-20", "s4 20-80", "s2 80-90", "s1 90-100"},
		},
		{
			// a child still running runs to its parent's end.
			name:  "a running child",
			spans: []cpSpan{{n: 1, start: 0, end: 100}, {n: 2, p: 1, start: 40, end: 0}},
			want:  []string{"s1 0-40", "s2 40-100"},
		},
		{
			// two roots with a gap: the gap is no span's.
			name:  "several roots",
			spans: []cpSpan{{n: 1, start: 0, end: 30}, {n: 2, start: 50, end: 90}, {n: 3, start: 10, end: 20}},
			want:  []string{"s1 0-30", "s2 50-90"},
		},
		{
			// a zero-length child at its parent's end changes nothing.
			name:  "a zero-length child",
			spans: []cpSpan{{n: 1, start: 0, end: 100}, {n: 2, p: 1, start: 100, end: 100}, {n: 3, p: 1, start: 20, end: 60}},
			want:  []string{"s1 0-20", "s3 20-60", "s1 60-100"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := cpTree(t, tt.spans...)
			got := pathText(tree, CriticalPath(tree))
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("critical path (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCriticalPathDeepChainNoRecursion(t *testing.T) {
	const depth = 100_000
	spans := make([]Span, depth)
	for i := range depth {
		d := SpanData{TraceID: TraceID{1}, StartTime: cpBase + int64(i), EndTime: cpBase + int64(2*depth-i)}
		binary.BigEndian.PutUint64(d.SpanID[:], uint64(i+1))
		if i > 0 {
			binary.BigEndian.PutUint64(d.ParentID[:], uint64(i))
		}
		spans[i] = NewSpan(d)
	}
	tree, _ := BuildTree(spans)
	segs := CriticalPath(tree)
	// Each span but the last has 1ns before and 1ns after its child; the
	// last one is whole.
	if len(segs) != 2*depth-1 {
		t.Fatalf("got %d segments, want %d", len(segs), 2*depth-1)
	}
	checkPathInvariants(t, tree, segs)
}

func TestFailureOrigins(t *testing.T) {
	// root(err) -> a(err) -> a1(err); root -> b(err); root -> c(ok) -> c1(err)
	tree := cpTree(t,
		cpSpan{n: 1, start: 0, end: 100, failed: true},
		cpSpan{n: 2, p: 1, start: 10, end: 20, failed: true},
		cpSpan{n: 3, p: 2, start: 11, end: 12, failed: true},
		cpSpan{n: 4, p: 1, start: 30, end: 40, failed: true},
		cpSpan{n: 5, p: 1, start: 50, end: 60},
		cpSpan{n: 6, p: 5, start: 51, end: 52, failed: true},
	)
	var got []string
	for _, i := range FailureOrigins(tree) {
		var names []string
		for _, k := range tree.PathFromRoot(i) {
			names = append(names, tree.Spans[k].Name())
		}
		got = append(got, strings.Join(names, ">"))
	}
	want := []string{"s1>s2>s3", "s1>s4", "s1>s5>s6"}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("failure origins (-want +got):\n%s", diff)
	}
	if got := FailureOrigins(cpTree(t, cpSpan{n: 1, start: 0, end: 1})); len(got) != 0 {
		t.Errorf("a healthy trace has failure origins %v", got)
	}
}

// checkPathInvariants checks what holds of every critical path: segments
// in time order, not overlapping, not empty, each inside its span, and
// with one root they cover the root's interval without a gap.
func checkPathInvariants(t *testing.T, tree *Tree, segs []PathSegment) {
	t.Helper()
	for k, s := range segs {
		if s.Start >= s.End {
			t.Fatalf("segment %d is empty or reversed: %+v", k, s)
		}
		sp := tree.Spans[s.Span]
		if s.Start < sp.StartTime() || (sp.EndTime() != 0 && s.End > sp.EndTime()) {
			t.Fatalf("segment %d %+v lies outside its span %d-%d", k, s, sp.StartTime(), sp.EndTime())
		}
		if k > 0 && s.Start < segs[k-1].End {
			t.Fatalf("segment %d %+v overlaps the one before %+v", k, s, segs[k-1])
		}
		if k > 0 && s.Span == segs[k-1].Span && s.Start == segs[k-1].End {
			t.Fatalf("segments %d and %d of one span are not merged", k-1, k)
		}
	}
	if len(tree.Roots) == 1 && len(segs) > 0 {
		r := tree.Spans[tree.Roots[0]]
		if r.EndTime() == 0 || r.StartTime() == 0 || r.EndTime() <= r.StartTime() {
			return
		}
		if segs[0].Start != r.StartTime() || segs[len(segs)-1].End != r.EndTime() {
			t.Fatalf("path %d-%d does not cover the root %d-%d", segs[0].Start, segs[len(segs)-1].End, r.StartTime(), r.EndTime())
		}
		for k := 1; k < len(segs); k++ {
			if segs[k].Start != segs[k-1].End {
				t.Fatalf("gap between segments %d and %d under one root", k-1, k)
			}
		}
	}
}

// FuzzCriticalPath builds a tree from the bytes (each span: a parent among
// the spans before it, a start and an end, some running) and checks the
// path's invariants.
func FuzzCriticalPath(f *testing.F) {
	f.Add([]byte{0, 0, 100, 1, 10, 60, 1, 20, 80})
	f.Add([]byte{0, 0, 100, 1, 50, 150, 2, 60, 140})
	f.Add([]byte{0, 0, 100, 1, 120, 180, 1, 10, 40, 0, 5, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var spans []cpSpan
		for k := 0; k+2 < len(data) && len(spans) < 64; k += 3 {
			n := len(spans) + 1
			p := 0
			if n > 1 {
				p = int(data[k]) % n // 0: a root
			}
			start, end := int64(data[k+1])+1, int64(data[k+2])
			if end != 0 {
				end += start / 2 // mostly after the start, not always
			}
			spans = append(spans, cpSpan{n: n, p: p, start: start, end: end})
		}
		if len(spans) == 0 {
			return
		}
		list := make([]Span, len(spans))
		for k, s := range spans {
			d := SpanData{TraceID: TraceID{1}, StartTime: s.start, EndTime: s.end}
			binary.BigEndian.PutUint64(d.SpanID[:], uint64(s.n))
			if s.p != 0 {
				binary.BigEndian.PutUint64(d.ParentID[:], uint64(s.p))
			}
			list[k] = NewSpan(d)
		}
		tree, _ := BuildTree(list)
		checkPathInvariants(t, tree, CriticalPath(tree))
	})
}
