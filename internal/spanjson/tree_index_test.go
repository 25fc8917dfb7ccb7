package spanjson

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// idIndex against a map, with random ids, sequential ones (which a hash of
// their low bits alone would crowd) and repeats, from an index sized for
// them and from one that grows.
func TestIDIndexAgreesWithAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(i int) SpanID {
		var id SpanID
		binary.LittleEndian.PutUint64(id[:], r.Uint64())
		return id
	}
	sequential := func(i int) SpanID { return sid(uint64(i + 1)) }
	repeating := func(i int) SpanID { return sid(uint64(i%50 + 1)) }
	for name, idOf := range map[string]func(int) SpanID{"random": random, "sequential": sequential, "repeating": repeating} {
		for _, hint := range []int{0, 5000} {
			x := newIDIndex(hint)
			m := map[SpanID]int{}
			var ids []SpanID
			for i := range 5000 {
				id := idOf(i)
				ids = append(ids, id)
				_, had := m[id]
				if !had {
					m[id] = i
				}
				if added := x.add(id, i); added == had {
					t.Fatalf("%s, hint %d: add(%s) = %v, the id was there before: %v", name, hint, id, added, had)
				}
			}
			for _, id := range append(ids, sid(1<<40), random(0)) {
				want, wantOK := m[id]
				if got, ok := x.get(id); got != want || ok != wantOK {
					t.Fatalf("%s, hint %d: get(%s) = %d, %v; want %d, %v", name, hint, id, got, ok, want, wantOK)
				}
			}
			if x.n != len(m) || 2*x.n > len(x.slots) {
				t.Fatalf("%s, hint %d: %d ids in %d slots, want %d ids, half the slots at most", name, hint, x.n, len(x.slots), len(m))
			}
		}
	}
}

// BenchmarkIDIndex adds 1,000,000 random ids and looks each up: idIndex
// against the map[SpanID]int BuildTree had. On the development machine
// (2 cores): idIndex 80 ms, the map 210 ms.
func BenchmarkIDIndex(b *testing.B) {
	const n = 1_000_000
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]SpanID, n)
	for i := range ids {
		binary.LittleEndian.PutUint64(ids[i][:], r.Uint64())
	}
	b.Run("idIndex", func(b *testing.B) {
		for b.Loop() {
			x := newIDIndex(n)
			for i, id := range ids {
				x.add(id, i)
			}
			for _, id := range ids {
				if _, ok := x.get(id); !ok {
					b.Fatal("lost")
				}
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			m := make(map[SpanID]int, n)
			for i, id := range ids {
				if _, dup := m[id]; !dup {
					m[id] = i
				}
			}
			for _, id := range ids {
				if _, ok := m[id]; !ok {
					b.Fatal("lost")
				}
			}
		}
	})
}
