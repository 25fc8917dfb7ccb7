package spanjson

import "fmt"

// Tree is a trace's spans arranged as a forest. Index i everywhere refers to
// Spans[i].
type Tree struct {
	Spans    []Span  // the spans after normalisation (duplicate ids given fresh ids)
	Roots    []int   // root indices, ordered by start time then span id
	Children [][]int // Children[i]: child indices of Spans[i], same order
	Parent   []int   // Parent[i]: index of the parent, -1 for a root
}

// BuildTree arranges spans as a forest. It never fails: a span whose parent
// is missing becomes a root, duplicate ids, self-parents and cycles are
// broken; each repair is reported as a warning. No recursion is used, so any
// depth works.
//
// The work is a list of small ordered passes, each in its own file:
// dedupeIDs (tree_dedupe.go), selfParents (tree_selfparent.go),
// linkParents (tree_orphans.go), breakCycles (tree_cycles.go) and
// orderChildren (tree_order.go).
func BuildTree(spans []Span) (*Tree, []Warning) {
	b := &treeBuild{
		spans:  append([]Span(nil), spans...),
		parent: make([]int, len(spans)),
		linked: make([]bool, len(spans)),
	}
	b.dedupeIDs()
	b.selfParents()
	b.linkParents()
	b.breakCycles()
	t := b.orderChildren()
	return t, b.warnings
}

// treeBuild is the state the passes share.
type treeBuild struct {
	spans    []Span
	parent   []int    // -1 root; valid once linked[i]
	linked   []bool   // parent[i] decided by an earlier pass
	index    *idIndex // first holder of each id
	warnings []Warning
}

func (b *treeBuild) warn(i int, format string, args ...any) {
	s := b.spans[i]
	tid := s.TraceID().MLflowID()
	if o := s.d.opaque(); o != nil && o.TraceID != "" {
		tid = o.TraceID // as the trace is shown ("<redacted>")
	}
	where := fmt.Sprintf("trace %s/span %s", tid, s.SpanID())
	b.warnings = append(b.warnings, Warning{Where: where, Msg: fmt.Sprintf(format, args...)})
}

// Walk visits the spans depth-first in tree order, without recursion. fn
// gets the span index and its depth (0 for roots); returning false skips
// that span's children.
func (t *Tree) Walk(fn func(i, depth int) bool) {
	type item struct{ i, depth int }
	stack := make([]item, 0, len(t.Roots))
	for k := len(t.Roots) - 1; k >= 0; k-- {
		stack = append(stack, item{t.Roots[k], 0})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !fn(it.i, it.depth) {
			continue
		}
		kids := t.Children[it.i]
		for k := len(kids) - 1; k >= 0; k-- {
			stack = append(stack, item{kids[k], it.depth + 1})
		}
	}
}
