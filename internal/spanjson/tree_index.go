package spanjson

import "encoding/binary"

// idIndex maps span ids to span positions: a hash table with open
// addressing, written here because BuildTree's map[SpanID]int was its
// costliest part. BenchmarkIDIndex, 1,000,000 ids, insert then look each
// up: see the comment there for the figures against the map.
type idIndex struct {
	slots []idSlot // a power of two, at least twice the ids
	shift uint     // 64 - log2(len(slots))
	n     int
}

// idSlot is one entry; pos is the position plus one (0: empty).
type idSlot struct {
	id  SpanID
	pos int
}

func newIDIndex(n int) *idIndex {
	size, bits := 16, uint(4)
	for size < 2*n {
		size, bits = size*2, bits+1
	}
	return &idIndex{slots: make([]idSlot, size), shift: 64 - bits}
}

// home is id's first slot: Fibonacci hashing of its 64 bits, so that ids
// that are not random (1, 2, 3, …) spread too.
func (x *idIndex) home(id SpanID) uint64 {
	return (binary.LittleEndian.Uint64(id[:]) * 0x9E3779B97F4A7C15) >> x.shift
}

// get returns the position of id.
func (x *idIndex) get(id SpanID) (int, bool) {
	mask := uint64(len(x.slots) - 1)
	for k := x.home(id); ; k = (k + 1) & mask {
		s := &x.slots[k]
		if s.pos == 0 {
			return 0, false
		}
		if s.id == id {
			return s.pos - 1, true
		}
	}
}

// add sets id's position unless id is there; it reports whether it added.
func (x *idIndex) add(id SpanID, pos int) bool {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	mask := uint64(len(x.slots) - 1)
	for k := x.home(id); ; k = (k + 1) & mask {
		s := &x.slots[k]
		if s.pos == 0 {
			*s = idSlot{id: id, pos: pos + 1}
			x.n++
			return true
		}
		if s.id == id {
			return false
		}
	}
}

func (x *idIndex) grow() {
	old := x.slots
	*x = *newIDIndex(2 * max(x.n, 8))
	for _, s := range old {
		if s.pos != 0 {
			x.add(s.id, s.pos-1)
		}
	}
}
