package spanjson

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// The passes over a document's Zipkin records before they become spans
// (formats-more.md §3.3, §3.6), in this order: 64-bit trace ids join their
// 128-bit form, records of one span are merged, and the server half of a
// shared client/server span gets its own id under the client. Each warns
// about what it did; none can make a parent cycle (a new id is fresh, and
// only children of the shared id move, to the server half).

// widenZipkinTraceIDs gives spans written with a 64-bit trace id the
// 128-bit id of the same trace when another span of the document has it
// (same low 64 bits).
func (p *reader) widenZipkinTraceIDs(zs []zipkinSpan) {
	var wide map[[8]byte]TraceID
	for i := range zs {
		t := zs[i].trace
		if !isHigh64Zero(t) && !isOpaqueTrace(&zs[i]) {
			if wide == nil {
				wide = map[[8]byte]TraceID{}
			}
			if _, ok := wide[[8]byte(t[8:])]; !ok {
				wide[[8]byte(t[8:])] = t
			}
		}
	}
	if wide == nil {
		return
	}
	warned := map[TraceID]bool{}
	for i := range zs {
		s := &zs[i]
		if !isHigh64Zero(s.trace) || s.trace.IsZero() || isOpaqueTrace(s) {
			continue
		}
		if w, ok := wide[[8]byte(s.trace[8:])]; ok {
			if !warned[s.trace] {
				warned[s.trace] = true
				p.warn(s.at, fmt.Sprintf("spans of trace %s written with its 64-bit id %s are read as part of it", w, s.trace.String()[16:]))
			}
			s.trace = w
		}
	}
}

func isHigh64Zero(t TraceID) bool { return [8]byte(t[:8]) == [8]byte{} }

func isOpaqueTrace(s *zipkinSpan) bool { return s.opaque != nil && s.opaque.TraceID != "" }

// zipkinKey names a span within a document: its trace and id.
type zipkinKey struct {
	trace TraceID
	id    SpanID
}

// mergeZipkinFragments folds records with the same trace, id, shared flag
// and local service into the first of them: they are parts of one span
// reported separately. Tags and annotations are united, the start is the
// earliest and the end the latest.
func (p *reader) mergeZipkinFragments(zs []zipkinSpan) {
	type fragKey struct {
		zipkinKey
		shared  bool
		service string
	}
	first := map[fragKey]int{}
	counts := map[int]int{}
	for i := range zs {
		s := &zs[i]
		if s.id.IsZero() {
			continue
		}
		k := fragKey{zipkinKey{s.trace, s.id}, s.shared != nil && *s.shared, s.service}
		j, ok := first[k]
		if !ok {
			first[k] = i
			continue
		}
		mergeZipkin(&zs[j], s)
		s.merged = true
		counts[j]++
	}
	for _, j := range slices.Sorted(maps.Keys(counts)) {
		s := &zs[j]
		p.warn(s.at, fmt.Sprintf("span %s (%q) is reported in %d records of service %q: merged into one span", s.id, clip(s.name), counts[j]+1, clip(s.service)))
	}
}

// mergeZipkin folds b into a.
func mergeZipkin(a, b *zipkinSpan) {
	aEnd, aHasEnd := a.start+a.dur, a.hasStart && a.hasDur
	bEnd, bHasEnd := b.start+b.dur, b.hasStart && b.hasDur
	if b.hasStart && (!a.hasStart || b.start < a.start) {
		a.start, a.hasStart = b.start, true
	}
	if bHasEnd && (!aHasEnd || bEnd > aEnd) {
		aEnd, aHasEnd = bEnd, true
	}
	if aHasEnd && a.hasStart {
		a.dur, a.hasDur = max(aEnd-a.start, 0), true
	}
	if a.name == "" {
		a.name = b.name
	}
	if a.kind == SpanKindUnspecified {
		a.kind = b.kind
	}
	if a.parent.IsZero() {
		a.parent = b.parent
		if b.opaque != nil && b.opaque.ParentID != "" {
			opaqueOf(&a.opaque).ParentID = b.opaque.ParentID
		}
	}
	if a.debug == nil {
		a.debug = b.debug
	}
	if !a.local.Exists() {
		a.local = b.local
	}
	if !a.remote.Exists() {
		a.remote = b.remote
	}
	for _, t := range b.tags {
		if !slices.ContainsFunc(a.tags, func(x Attribute) bool { return x.Key == t.Key }) {
			a.tags = append(a.tags, t)
		}
	}
	for _, e := range b.events {
		if !slices.ContainsFunc(a.events, func(x Event) bool { return x.Name == e.Name && x.Time == e.Time }) {
			a.events = append(a.events, e)
		}
	}
	a.extra = append(a.extra, b.extra...)
	a.marks.readErrors = append(a.marks.readErrors, b.marks.readErrors...)
	a.badTime = a.badTime || b.badTime
}

// splitZipkinShared separates the halves of shared spans: records of one
// trace with one id, the server half marked "shared" (or, when none is,
// a SERVER record beside a CLIENT one). The client half keeps the id; each
// server half gets a new one (the first 8 bytes of SHA-256 of trace id,
// span id and "shared"), the client as its parent, and the original id in
// zipkin.original_span_id. Children of the shared id whose local service
// is a server half's move under that half.
func (p *reader) splitZipkinShared(zs []zipkinSpan) {
	groups := map[zipkinKey][]int{}
	var order []zipkinKey
	for i := range zs {
		s := &zs[i]
		if s.merged || s.id.IsZero() {
			continue
		}
		k := zipkinKey{s.trace, s.id}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var taken map[zipkinKey]bool
	for _, k := range order {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		var servers, clients []int
		for _, i := range g {
			if zs[i].shared != nil && *zs[i].shared {
				servers = append(servers, i)
			} else {
				clients = append(clients, i)
			}
		}
		flagged := len(servers) > 0
		if !flagged {
			// No shared flag: a SERVER record beside a CLIENT one is the
			// same RPC reported by both sides.
			clients = clients[:0]
			for _, i := range g {
				if zs[i].kind == SpanKindServer {
					servers = append(servers, i)
				} else {
					clients = append(clients, i)
				}
			}
			if !slices.ContainsFunc(clients, func(i int) bool { return zs[i].kind == SpanKindClient }) {
				continue
			}
		}
		if len(servers) == 0 || len(clients) == 0 {
			continue // left to the tree, which gives repeated ids fresh ones
		}
		if taken == nil {
			taken = make(map[zipkinKey]bool, len(zs))
			for i := range zs {
				taken[zipkinKey{zs[i].trace, zs[i].id}] = true
			}
		}
		moved := map[string]SpanID{}
		for n, i := range servers {
			s := &zs[i]
			fresh := sharedSpanID(k, n, taken)
			taken[zipkinKey{k.trace, fresh}] = true
			s.originalID = k.id.String()
			s.parent, s.id = k.id, fresh
			if s.opaque != nil {
				if s.opaque.SpanID != "" {
					s.originalID = s.opaque.SpanID
				}
				s.opaque.ParentID, s.opaque.SpanID = s.opaque.SpanID, ""
			}
			if _, ok := moved[s.service]; !ok {
				moved[s.service] = fresh
			}
			why := "shared"
			if !flagged {
				why = "a SERVER record beside a CLIENT one, no shared flag"
			}
			p.warn(s.at, fmt.Sprintf("span id %s is a client/server pair (%s): the server half (service %q) is read as span %s under the client", s.originalID, why, clip(s.service), fresh))
		}
		for i := range zs {
			c := &zs[i]
			if c.merged || c.trace != k.trace || c.parent != k.id || slices.Contains(servers, i) {
				continue
			}
			if to, ok := moved[c.service]; ok {
				c.parent = to
			}
		}
	}
}

// sharedSpanID derives the id of the n-th server half of shared span k:
// SHA-256 of the trace id, the span id and "shared" (and n when n > 0),
// its first 8 bytes; an id already in the trace is skipped.
func sharedSpanID(k zipkinKey, n int, taken map[zipkinKey]bool) SpanID {
	seed := k.trace.String() + k.id.String() + "shared"
	if n > 0 {
		seed += strconv.Itoa(n)
	}
	for {
		sum := sha256.Sum256([]byte(seed))
		id := SpanID(sum[:8])
		if !id.IsZero() && !taken[zipkinKey{k.trace, id}] {
			return id
		}
		seed += "'"
	}
}
