package spanjson

// linkParents resolves each remaining span's parent id to an index. A span
// without a parent id is a root; one whose parent is not in the trace (an
// orphan) becomes a root with a warning.
func (b *treeBuild) linkParents() {
	for i, s := range b.spans {
		if b.linked[i] {
			continue
		}
		b.linked[i] = true
		p := s.ParentID()
		if p.IsZero() {
			b.parent[i] = -1
			continue
		}
		j, ok := b.index.get(p)
		if !ok {
			b.parent[i] = -1
			b.warn(i, "span %q has parent %s, which is not in the trace: made a root", s.Name(), p)
			continue
		}
		b.parent[i] = j
	}
}
