package spanjson

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
func BuildTree(spans []Span) (*Tree, []Warning) {
	panic(ErrNotImplemented)
}

// Walk visits the spans depth-first in tree order, without recursion. fn
// gets the span index and its depth (0 for roots); returning false skips
// that span's children.
func (t *Tree) Walk(fn func(i, depth int) bool) {
	panic(ErrNotImplemented)
}
