package render

import (
	"tracectl/internal/spanjson"
)

// What OpenTelemetry users look for beside the attributes (show
// --attributes): the span kind, the resource and the instrumentation
// scope.

// hasScope reports whether sc says anything.
func hasScope(sc *spanjson.Scope) bool {
	return sc != nil && (sc.Name != "" || sc.Version != "" || sc.Attributes.Len() > 0)
}

// sameResource reports whether a and b hold the same attributes (spans of
// one resource usually share the pointer).
func sameResource(a, b *spanjson.Resource) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	return sameAttributes(a.Attributes, b.Attributes)
}

// sameScope reports whether a and b name the same scope.
func sameScope(a, b *spanjson.Scope) bool {
	if a == b || (!hasScope(a) && !hasScope(b)) {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	return a.Name == b.Name && a.Version == b.Version && sameAttributes(a.Attributes, b.Attributes)
}

func sameAttributes(a, b spanjson.Attributes) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i := range a.Len() {
		x, y := a.At(i), b.At(i)
		if x.Key != y.Key || x.Value != y.Value {
			return false
		}
	}
	return true
}

// otelDetails lists span i's kind, and its scope and resource attributes
// where they differ from its parent's in the tree (a root always shows
// them), as label/value pairs for `show --attributes`. The text tree
// would otherwise repeat one resource on every span; the JSON gives them
// on every span.
func (v *TraceView) otelDetails(i int) [][2]string {
	s := v.Tree.Spans[i]
	var out [][2]string
	if k := s.Kind(); k != spanjson.SpanKindUnspecified {
		out = append(out, [2]string{"kind", k.String()})
	}
	var parent spanjson.Span
	if p := v.Tree.Parent[i]; p >= 0 {
		parent = v.Tree.Spans[p]
	}
	if sc := s.Scope(); hasScope(sc) && (parent.IsZero() || !sameScope(sc, parent.Scope())) {
		name := sc.Name
		if sc.Version != "" {
			name += " " + sc.Version
		}
		out = append(out, [2]string{"scope", name})
		for a := range sc.Attributes.All() {
			out = append(out, [2]string{"scope." + a.Key, a.Value})
		}
	}
	if r := s.Resource(); r != nil && (parent.IsZero() || !sameResource(r, parent.Resource())) {
		for a := range r.Attributes.All() {
			out = append(out, [2]string{"resource." + a.Key, a.Value})
		}
	}
	return out
}
