package spanjson

import (
	"bytes"
	"cmp"
	"slices"
)

// orderChildren builds the child lists and root list, each ordered by
// start time, then span id (ids are unique after dedupeIDs, so the order is
// total and never depends on input or map order).
func (b *treeBuild) orderChildren() *Tree {
	t := &Tree{Spans: b.spans, Parent: b.parent, Children: make([][]int, len(b.spans))}
	// The child lists are windows of one shared array, laid out by a count
	// per parent: two passes, no per-parent allocation.
	counts := make([]int, len(b.spans))
	roots := 0
	for _, p := range b.parent {
		if p < 0 {
			roots++
		} else {
			counts[p]++
		}
	}
	all := make([]int, len(b.spans)-roots)
	off := 0
	for p, c := range counts {
		if c > 0 {
			t.Children[p] = all[off : off : off+c]
			off += c
		}
	}
	if roots > 0 {
		t.Roots = make([]int, 0, roots)
	}
	for i, p := range b.parent {
		if p < 0 {
			t.Roots = append(t.Roots, i)
		} else {
			t.Children[p] = append(t.Children[p], i)
		}
	}
	byStart := func(x, y int) int { return spanCompare(b.spans[x], b.spans[y]) }
	slices.SortFunc(t.Roots, byStart)
	for _, kids := range t.Children {
		slices.SortFunc(kids, byStart)
	}
	return t
}

func spanCompare(a, b Span) int {
	if c := cmp.Compare(a.StartTime(), b.StartTime()); c != 0 {
		return c
	}
	ai, bi := a.SpanID(), b.SpanID()
	return bytes.Compare(ai[:], bi[:])
}

func spanLess(a, b Span) bool { return spanCompare(a, b) < 0 }
