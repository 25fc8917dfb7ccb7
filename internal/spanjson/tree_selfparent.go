package spanjson

// selfParents makes a span that names itself as parent a root.
func (b *treeBuild) selfParents() {
	for i, s := range b.spans {
		if p := s.ParentID(); !p.IsZero() && p == s.SpanID() {
			b.parent[i], b.linked[i] = -1, true
			b.warn(i, "span %q is its own parent: made a root", s.Name())
		}
	}
}
