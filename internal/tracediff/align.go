package tracediff

import "tracectl/internal/render"

// Node is one place in the merged tree of two traces: a span of the base
// alone (removed), of the candidate alone (added), or one of each aligned.
// An added or removed node stands for its whole subtree: its descendants
// get no nodes of their own.
type Node struct {
	Name     string
	Index    int   // the node's rank among its siblings of the same name, from 0
	Base     int   // span index in the base trace, -1 when added
	Cand     int   // span index in the candidate, -1 when removed
	Parent   int   // node index, -1 for a root
	Children []int // node indexes, in merged order
	Depth    int
}

// Added reports whether the node's span is the candidate's alone.
func (n *Node) Added() bool { return n.Base < 0 }

// Removed reports whether the node's span is the base's alone.
func (n *Node) Removed() bool { return n.Cand < 0 }

// align merges the two span trees. Spans align by the path of names from
// the root and, among siblings of the same name, by their order (children
// come ordered by start time): a loop that ran 3 times and then 4 aligns
// the first 3 and adds the 4th. The nodes come in pre-order; the walk uses
// no recursion.
func align(base, cand *render.TraceView) []Node {
	type pending struct{ b, c, parent, index, depth int }
	var nodes []Node
	var stack []pending
	push := func(parent, depth int, bk, ck []int) {
		kids := matchSiblings(base, cand, bk, ck)
		for k := len(kids) - 1; k >= 0; k-- {
			m := kids[k]
			stack = append(stack, pending{b: m.b, c: m.c, parent: parent, index: m.index, depth: depth})
		}
	}
	push(-1, 0, base.Tree.Roots, cand.Tree.Roots)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := Node{Index: p.index, Base: p.b, Cand: p.c, Parent: p.parent, Depth: p.depth}
		if p.b >= 0 {
			n.Name = base.Tree.Spans[p.b].Name()
		} else {
			n.Name = cand.Tree.Spans[p.c].Name()
		}
		id := len(nodes)
		nodes = append(nodes, n)
		if p.parent >= 0 {
			nodes[p.parent].Children = append(nodes[p.parent].Children, id)
		}
		if p.b >= 0 && p.c >= 0 {
			push(id, p.depth+1, base.Tree.Children[p.b], cand.Tree.Children[p.c])
		}
	}
	return nodes
}

// sibling is one entry of matchSiblings: a base span, a candidate span or
// both, and its rank among the siblings of its name.
type sibling struct{ b, c, index int }

// matchSiblings pairs the k-th base child named N with the k-th candidate
// child named N. The order is the base's, each candidate-only child placed
// before the first pair whose candidate comes after it.
func matchSiblings(base, cand *render.TraceView, bk, ck []int) []sibling {
	if len(bk) == 0 && len(ck) == 0 {
		return nil
	}
	byName := make(map[string][]int, len(ck)) // candidate positions by name
	rankC := make([]int, len(ck))
	for pos, c := range ck {
		n := cand.Tree.Spans[c].Name()
		rankC[pos] = len(byName[n])
		byName[n] = append(byName[n], pos)
	}
	seen := make(map[string]int, len(bk))
	taken := make([]bool, len(ck))
	out := make([]sibling, 0, max(len(bk), len(ck)))
	next := 0 // the first candidate position not yet placed
	placeUpTo := func(end int) {
		for ; next < end; next++ {
			if !taken[next] {
				out = append(out, sibling{b: -1, c: ck[next], index: rankC[next]})
			}
		}
	}
	partners := make([]int, len(bk))
	for i, b := range bk {
		n := base.Tree.Spans[b].Name()
		k := seen[n]
		seen[n]++
		partners[i] = -1
		if k < len(byName[n]) {
			partners[i] = byName[n][k]
			taken[partners[i]] = true
		}
	}
	seen = make(map[string]int, len(bk))
	for i, b := range bk {
		n := base.Tree.Spans[b].Name()
		k := seen[n]
		seen[n]++
		pos := partners[i]
		if pos < 0 {
			out = append(out, sibling{b: b, c: -1, index: k})
			continue
		}
		placeUpTo(pos)
		next = max(next, pos+1)
		out = append(out, sibling{b: b, c: ck[pos], index: k})
	}
	placeUpTo(len(ck))
	return out
}
