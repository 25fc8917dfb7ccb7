package spanjson

// breakCycles finds parent cycles (each span has at most one parent, so
// following parents from any span ends at a root or in a cycle) and breaks
// each by making its earliest span (start time, then span id) a root.
func (b *treeBuild) breakCycles() {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, len(b.spans))
	var path []int
	for start := range b.spans {
		path = path[:0]
		i := start
		for i >= 0 && state[i] == unseen {
			state[i] = onPath
			path = append(path, i)
			i = b.parent[i]
		}
		if i >= 0 && state[i] == onPath {
			// path from i to its end is a cycle.
			k := len(path) - 1
			for path[k] != i {
				k--
			}
			cycle := path[k:]
			brk := cycle[0]
			for _, c := range cycle[1:] {
				if spanLess(b.spans[c], b.spans[brk]) {
					brk = c
				}
			}
			b.parent[brk] = -1
			b.warn(brk, "span %q is in a parent cycle of %d spans: made a root", b.spans[brk].Name(), len(cycle))
		}
		for _, p := range path {
			state[p] = done
		}
	}
}
