package spanjsontest_test

import (
	"bytes"
	"testing"

	"tracectl/internal/spanjson"
	"tracectl/internal/spanjson/spanjsontest"
)

func TestWriteV3Trace(t *testing.T) {
	const n = 3000
	var buf bytes.Buffer
	if err := spanjsontest.WriteV3Trace(&buf, n, 7); err != nil {
		t.Fatal(err)
	}
	docs, err := spanjson.DecodeAll(bytes.NewReader(buf.Bytes()), "gen")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Schema != spanjson.SchemaMLflowV3 || docs[0].Shape != "MLflow 3 trace" || len(docs[0].Traces) != 1 {
		t.Fatalf("decoded %d docs: %+v", len(docs), docs)
	}
	if len(docs[0].Warnings) != 0 {
		t.Errorf("warnings: %v", docs[0].Warnings[:1])
	}
	tr := docs[0].Traces[0]
	if len(tr.Spans) != n {
		t.Fatalf("%d spans, want %d", len(tr.Spans), n)
	}
	tree, warns := spanjson.BuildTree(tr.Spans)
	if len(warns) != 0 || len(tree.Roots) != 1 {
		t.Errorf("tree: %d roots, warnings %v", len(tree.Roots), warns)
	}
	maxDepth := 0
	tree.Walk(func(i, depth int) bool {
		maxDepth = max(maxDepth, depth)
		s := tree.Spans[i]
		if p := tree.Parent[i]; p >= 0 {
			ps := tree.Spans[p]
			if s.StartTime() < ps.StartTime() || s.EndTime() > ps.EndTime() {
				t.Fatalf("span %d [%d,%d] outside its parent [%d,%d]", i, s.StartTime(), s.EndTime(), ps.StartTime(), ps.EndTime())
			}
		}
		return true
	})
	if maxDepth < 3 {
		t.Errorf("max depth %d: not nested enough", maxDepth)
	}
	types := map[string]int{}
	errSpans := 0
	for _, s := range tr.Spans {
		types[s.SpanType()]++
		if s.Status().Code == spanjson.StatusError {
			errSpans++
			if _, _, ok := s.Exception(); !ok {
				t.Fatalf("error span without exception event")
			}
		}
		if _, ok := s.Inputs(); !ok {
			t.Fatalf("span without inputs")
		}
	}
	if len(types) < 8 || errSpans == 0 || errSpans > n/10 {
		t.Errorf("types %v, %d error spans", types, errSpans)
	}
	perSpan := buf.Len() / n
	t.Logf("%d bytes per span", perSpan)
	if perSpan < 400 || perSpan > 600 {
		t.Errorf("%d bytes per span, want about 500", perSpan)
	}

	// Deterministic for a seed, different for another.
	var again, other bytes.Buffer
	_ = spanjsontest.WriteV3Trace(&again, n, 7)
	_ = spanjsontest.WriteV3Trace(&other, n, 8)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("same seed, different output")
	}
	if bytes.Equal(buf.Bytes(), other.Bytes()) {
		t.Errorf("different seeds, same output")
	}
}

func TestWriteV3TraceShaped(t *testing.T) {
	const n = 3000
	for _, sh := range spanjsontest.Shapes {
		var buf bytes.Buffer
		if err := spanjsontest.WriteV3TraceShaped(&buf, n, 7, sh.Shape); err != nil {
			t.Fatal(err)
		}
		docs, err := spanjson.DecodeAll(bytes.NewReader(buf.Bytes()), sh.Name)
		if err != nil {
			t.Fatalf("%s: %v", sh.Name, err)
		}
		if len(docs) != 1 || len(docs[0].Traces) != 1 || len(docs[0].Traces[0].Spans) != n || len(docs[0].Warnings) != 0 {
			t.Fatalf("%s: %d documents, warnings %v", sh.Name, len(docs), docs[0].Warnings)
		}
		spans := docs[0].Traces[0].Spans
		index := map[spanjson.SpanID]int{}
		for i, s := range spans {
			index[s.SpanID()] = i
		}
		tree, warns := spanjson.BuildTree(spans)
		if len(warns) != 0 || len(tree.Roots) != 1 {
			t.Fatalf("%s: %d roots, warnings %v", sh.Name, len(tree.Roots), warns)
		}
		maxDepth, near := 0, 0
		tree.Walk(func(i, depth int) bool {
			maxDepth = max(maxDepth, depth)
			if p := tree.Parent[i]; p >= 0 {
				child, parent := index[tree.Spans[i].SpanID()], index[tree.Spans[p].SpanID()]
				if parent >= child {
					t.Fatalf("%s: span %d has the later span %d as its parent", sh.Name, child, parent)
				}
				if child-parent <= 8 {
					near++
				}
			}
			return true
		})
		switch sh.Shape {
		case spanjsontest.Wide:
			if maxDepth != 1 {
				t.Errorf("wide: depth %d, want 1", maxDepth)
			}
		case spanjsontest.Deep:
			// A parent among the 8 spans before (227 deep at n = 3000).
			if maxDepth < n/20 || near < n*9/10 {
				t.Errorf("deep: depth %d, %d of %d parents among the 8 spans before", maxDepth, near, n-1)
			}
		case spanjsontest.RandomParents:
			// About e·ln(n) deep.
			if maxDepth < 5 || maxDepth > 60 || near > n/10 {
				t.Errorf("random: depth %d, %d of %d parents among the 8 spans before", maxDepth, near, n-1)
			}
		case spanjsontest.Nested:
			if maxDepth < 3 || maxDepth > 13 {
				t.Errorf("nested: depth %d", maxDepth)
			}
		}
	}
}
