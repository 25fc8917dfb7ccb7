package ingest

import (
	"encoding/binary"
	"hash/maphash"
	"slices"

	"tracectl/internal/spanjson"
)

// De-duplication, once for every reader: the manager keeps the first span
// of each id of a trace; the spans that repeat an id are held aside and, at
// the hand-on, dropCopies drops those that are copies of a span held (the
// same file twice, a client's retry) or unfinished snapshots of one that
// ended, and keeps the others, whose id the tree then repairs with a
// warning. Spans that come after their trace was complete and are copies of
// its spans (handed.notCopies) are dropped too.

// dropCopies drops from spans[held:] each span that is a copy (same id,
// same fingerprint) of a span before it; spans[:held] have distinct ids.
// A span that has not ended is superseded by a record of the same span
// that has (supersedes): whichever came first, the ended one stays, in the
// place of the first. A span without an id is never taken for a copy: the
// tree gives it one.
func dropCopies(spans []spanjson.Span, held int) []spanjson.Span {
	if held >= len(spans) {
		return spans
	}
	type key struct {
		id spanjson.SpanID
		fp uint64
	}
	ids := make(map[spanjson.SpanID]bool, len(spans)-held)
	for _, s := range spans[held:] {
		ids[s.SpanID()] = true
	}
	seen := make(map[key]bool, len(ids))
	first := make(map[spanjson.SpanID]int, len(ids)) // where an id is in out
	for i, s := range spans[:held] {
		if ids[s.SpanID()] {
			seen[key{s.SpanID(), spanFingerprint(s)}] = true
			first[s.SpanID()] = i
		}
	}
	out := spans[:held]
	for _, s := range spans[held:] {
		if !s.SpanID().IsZero() {
			k := key{s.SpanID(), spanFingerprint(s)}
			if seen[k] {
				continue
			}
			seen[k] = true
			if i, ok := first[s.SpanID()]; ok {
				switch {
				case supersedes(s, out[i]):
					out[i] = s
					continue
				case supersedes(out[i], s):
					continue
				}
			} else {
				first[s.SpanID()] = len(out)
			}
		}
		out = append(out, s)
	}
	clear(spans[len(out):])
	return out
}

// supersedes reports whether a is the ended record of a span of which b is
// an unfinished snapshot (end time 0, as an OpenTelemetry console dump
// prints a span still running): same id, parent and start time.
func supersedes(a, b spanjson.Span) bool {
	return a.EndTime() != 0 && b.EndTime() == 0 &&
		a.SpanID() == b.SpanID() && a.ParentID() == b.ParentID() && a.StartTime() == b.StartTime()
}

// fingerprints returns the sorted fingerprints of the spans of lists.
func fingerprints(lists ...[]spanjson.Span) []uint64 {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	prints := make([]uint64, 0, n)
	for _, l := range lists {
		for _, s := range l {
			prints = append(prints, spanFingerprint(s))
		}
	}
	slices.Sort(prints)
	return slices.Compact(prints)
}

// notCopies returns the spans that are not copies of a span of h.
func (h *handed) notCopies(spans []spanjson.Span) []spanjson.Span {
	var kept []spanjson.Span
	for _, s := range spans {
		if _, found := slices.BinarySearch(h.prints, spanFingerprint(s)); !found {
			kept = append(kept, s)
		}
	}
	return kept
}

// fingerprintSeed keeps fingerprints comparable within the process.
var fingerprintSeed = maphash.MakeSeed()

// spanFingerprint hashes what tells a span apart from another with the
// same id: id, name, parent, times and status. A copy of a span (the same
// file twice, or an MLflow file and its OTLP conversion) hashes the same.
func spanFingerprint(s spanjson.Span) uint64 {
	id, parent := s.SpanID(), s.ParentID()
	st := s.Status()
	// One buffer hashed at once, on the stack when name and message are
	// short: a maphash.Hash fed piece by piece cost twice as much, 3% of
	// the CPU time of `tracectl status` over 20,000 traces.
	var buf [128]byte
	b := append(buf[:0], id[:]...)
	b = append(b, parent[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.StartTime()))
	b = binary.LittleEndian.AppendUint64(b, uint64(s.EndTime()))
	b = binary.LittleEndian.AppendUint64(b, uint64(st.Code))
	b = append(b, s.Name()...)
	b = append(b, 0)
	b = append(b, st.Message...)
	return maphash.Bytes(fingerprintSeed, b)
}
