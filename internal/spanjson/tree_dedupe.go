package spanjson

import "strconv"

// dedupeIDs gives every span a unique, non-zero id: a later span with the
// id of an earlier one (or a span with no id) gets a fresh id derived from
// its old id and position, so the result is the same on every run. Parent
// references to a duplicated id resolve to its first holder.
func (b *treeBuild) dedupeIDs() {
	// One index serves as both the first holder of each id and the set of
	// ids a fresh one must avoid (with the zero id): every original id is
	// in it before the first fresh id is drawn, and each fresh id joins it.
	b.index = newIDIndex(len(b.spans))
	var repeats []int
	for i, s := range b.spans {
		if id := s.SpanID(); id.IsZero() || !b.index.add(id, i) {
			repeats = append(repeats, i)
		}
	}
	for _, i := range repeats {
		s := b.spans[i]
		id := s.SpanID()
		fresh := freshSpanID(id, i, b.index)
		d := s.Data()
		d.SpanID = fresh
		b.spans[i] = NewSpan(d)
		b.index.add(fresh, i)
		if id.IsZero() {
			b.warn(i, "span %q has no span id: given id %s", s.Name(), fresh)
		} else {
			shown := id.String()
			if o := s.d.opaque(); o != nil && o.SpanID != "" {
				shown = strconv.Quote(o.SpanID) // the text it was read as
			}
			b.warn(i, "span %q repeats span id %s: given id %s", s.Name(), shown, fresh)
		}
	}
}

// freshSpanID derives an unused id from (id, position) by hashing.
func freshSpanID(id SpanID, pos int, taken *idIndex) SpanID {
	var seed [8 + 8 + 8]byte
	copy(seed[:8], id[:])
	for k := range 8 {
		seed[8+k] = byte(pos >> (8 * k))
	}
	for attempt := 0; ; attempt++ {
		for k := range 8 {
			seed[16+k] = byte(attempt >> (8 * k))
		}
		fresh := OpaqueSpanID(string(seed[:]))
		if _, used := taken.get(fresh); !used && !fresh.IsZero() {
			return fresh
		}
	}
}
