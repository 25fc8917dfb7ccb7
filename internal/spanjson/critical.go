package spanjson

import (
	"cmp"
	"slices"
	"time"
)

// The critical path of a trace and its failure origins: the two questions
// people open a trace for ("what made it slow", "what made it fail"),
// answered once here for every view (show, span, the HTML report).

// PathSegment is one stretch of a trace's critical path: the time from
// Start to End (unix nanoseconds) that span Span (an index into Tree.Spans)
// alone decided, none of its children running to the end of it.
type PathSegment struct {
	Span       int
	Start, End int64
}

// Duration is the segment's length: the span's self time on the path.
func (s PathSegment) Duration() time.Duration { return time.Duration(s.End - s.Start) }

// CriticalPath returns the chain of spans that decided the trace's
// duration, in time order, computed as Jaeger does: walking back from a
// span's end, the span waits on its last-finishing child; before that
// child started, on the child that finished last before it, and so on;
// the time no child covers is the span's own. Children are first fitted
// into their parent: a child that starts after its parent ended (or ends
// before it started) is left out with its subtree, one that outlives its
// parent (or starts before it) is cut to the parent's interval, and one
// still running runs to its parent's end. A child that ends exactly when
// the next one starts is on the path. Several roots are the children of
// the whole trace's interval; the gaps between them belong to no span and
// are not segments. Adjacent stretches of one span are merged. Segments
// never overlap, and with one root they cover its interval exactly.
func CriticalPath(t *Tree) []PathSegment {
	n := len(t.Spans)
	if n == 0 || len(t.Roots) == 0 {
		return nil
	}
	start, end, kept := fittedIntervals(t)

	// sorted[i+1]: the kept children of span i, last-finishing first (-1
	// is the trace above its roots), made when the walk first comes to i;
	// cursor[i+1] is how far the walk got in it.
	sorted := make([][]int, n+1)
	made := make([]bool, n+1)
	cursor := make([]int, n+1)
	kidsOf := func(i int) []int {
		if made[i+1] {
			return sorted[i+1]
		}
		all := t.Roots
		if i >= 0 {
			all = t.Children[i]
		}
		var out []int
		for _, c := range all {
			if kept[c] {
				out = append(out, c)
			}
		}
		slices.SortStableFunc(out, func(a, b int) int {
			if c := cmp.Compare(end[b], end[a]); c != 0 {
				return c
			}
			return cmp.Compare(start[b], start[a])
		})
		sorted[i+1], made[i+1] = out, true
		return out
	}

	var rev []PathSegment // in reverse time order
	emit := func(i int, from, to int64) {
		if i < 0 || from >= to {
			return // the trace above its roots (a gap), or nothing
		}
		if k := len(rev) - 1; k >= 0 && rev[k].Span == i && rev[k].Start == to {
			rev[k].Start = from
			return
		}
		rev = append(rev, PathSegment{Span: i, Start: from, End: to})
	}
	var traceEnd int64
	for _, r := range t.Roots {
		if kept[r] {
			traceEnd = max(traceEnd, end[r])
		}
	}
	// Walk back from the end: cur waits on its last child that finished by
	// bound; with none left, the rest of cur down to its start is its own
	// and the walk returns to its parent, bound at cur's start.
	cur, bound := -1, traceEnd
	for {
		kids := kidsOf(cur)
		k := cursor[cur+1]
		for k < len(kids) && end[kids[k]] > bound {
			k++
		}
		if k < len(kids) {
			c := kids[k]
			cursor[cur+1] = k + 1
			emit(cur, end[c], bound)
			cur, bound = c, end[c]
			continue
		}
		cursor[cur+1] = k
		if cur < 0 {
			break
		}
		emit(cur, start[cur], bound)
		bound = start[cur]
		cur = t.Parent[cur]
	}
	slices.Reverse(rev)
	return rev
}

// fittedIntervals fits every span into its parent's interval (see
// CriticalPath); kept is false for a span left out. Parents are fitted before
// their children (pre-order), without recursion.
func fittedIntervals(t *Tree) (start, end []int64, kept []bool) {
	n := len(t.Spans)
	start, end, kept = make([]int64, n), make([]int64, n), make([]bool, n)
	var latest int64
	for _, s := range t.Spans {
		latest = max(latest, s.EndTime())
	}
	t.Walk(func(i, _ int) bool {
		s := t.Spans[i]
		cs, ce := s.StartTime(), s.EndTime()
		p := t.Parent[i]
		if p < 0 {
			if ce == 0 {
				ce = max(latest, cs) // still running: to the trace's last end
			}
			if cs == 0 { // start unknown: nothing to say before its end
				cs = ce
			}
			start[i], end[i], kept[i] = cs, max(ce, cs), true
			return true
		}
		if !kept[p] {
			return false // left out with its parent
		}
		ps, pe := start[p], end[p]
		if ce == 0 {
			ce = pe
		}
		if cs > pe || ce < ps {
			return false // outside its parent: not on any path, nor its subtree
		}
		cs, ce = max(cs, ps), min(ce, pe)
		start[i], end[i], kept[i] = cs, max(ce, cs), true
		return true
	})
	return start, end, kept
}

// FailureOrigins returns the deepest failing spans of the tree: the spans
// with status ERROR none of whose descendants failed, where each failure
// chain starts (its ancestors that failed passed the failure on). They come
// in tree pre-order.
func FailureOrigins(t *Tree) []int {
	n := len(t.Spans)
	below := make([]bool, n) // an ERROR span under i
	var order []int
	t.Walk(func(i, _ int) bool {
		order = append(order, i)
		return true
	})
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		if p := t.Parent[i]; p >= 0 && (below[i] || t.Spans[i].Status().Code == StatusError) {
			below[p] = true
		}
	}
	var out []int
	for _, i := range order {
		if t.Spans[i].Status().Code == StatusError && !below[i] {
			out = append(out, i)
		}
	}
	return out
}

// PathFromRoot returns the span indices from i's root down to i.
func (t *Tree) PathFromRoot(i int) []int {
	var path []int
	for ; i >= 0; i = t.Parent[i] {
		path = append(path, i)
	}
	slices.Reverse(path)
	return path
}
