package collect

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"tracectl/internal/spanjson"
)

// Reasons a trace is written without its root span (values of the tag
// spanjson.TagIncomplete).
const (
	IncompleteTimeout   = "no root span within --trace-timeout"
	IncompleteEvicted   = "no root span when --max-traces was reached"
	IncompleteShutdown  = "no root span at shutdown"
	IncompleteLate      = "late spans of a trace already written"
	IncompleteSplit     = "more spans than --max-spans-per-trace: written in parts"
	recentWritten       = 1 << 16 // trace ids remembered to recognise late spans
	recentSpanIDs       = 1 << 20 // span ids remembered with them (8 MiB)
	defaultIdle         = 5 * time.Second
	defaultTraceTimeout = 60 * time.Second
)

// AssemblerConfig sets when the assembler lets a trace go.
type AssemblerConfig struct {
	// Idle is how long a trace whose root has arrived waits for more spans
	// (late children) before it is complete. Default 5s.
	Idle time.Duration
	// TraceTimeout is how long a trace without a root span is held before it
	// is written anyway, marked incomplete. Default 60s.
	TraceTimeout time.Duration
	// MaxTraces bounds the traces held; at the limit the oldest is let go
	// early (never dropped). 0: no bound.
	MaxTraces int
	// MaxSpansPerTrace bounds the spans held for one trace; a trace that
	// reaches it is let go at once, tagged IncompleteSplit, and its later
	// spans form further parts (tagged IncompleteLate). 0: no bound.
	MaxSpansPerTrace int
	// Now is the clock (time.Now by default); tests step a fake one.
	Now func() time.Time
}

// CollectedTrace is a trace as it leaves the assembler.
type CollectedTrace struct {
	Trace spanjson.Trace
	// Incomplete says why the trace was let go without a root span; "" for
	// a complete trace. It is also the spanjson.TagIncomplete tag.
	Incomplete string
	// Evicted is set when --max-traces let the trace go early.
	Evicted bool
	// Split is set when --max-spans-per-trace let the trace go early.
	Split bool
	// Duplicates counts spans received twice (same span id), kept once.
	Duplicates int
	// segs are the spool segments the trace's spans came from; the spool
	// keeps them until the trace is written.
	segs []uint64
}

// Assembler groups spans that arrive in any order, across requests, into
// traces, and lets each trace go once: when its root has arrived and no span
// of it came for Idle; without a root after TraceTimeout; or early when
// MaxTraces is reached. It keeps its own index rather than the Manager's,
// because the Manager holds live spans of one running program and completes
// a trace when its root ends, while here spans arrive finished and a trace is
// complete only after an idle period. Safe for concurrent use.
type Assembler struct {
	cfg AssemblerConfig

	mu     sync.Mutex
	traces map[spanjson.TraceID]*heldTrace
	// age holds every trace in order of its first span (eviction order).
	age heldList
	// rooted holds traces whose root arrived, least recently active first;
	// rootless holds the others in order of their first span.
	rooted, rootless heldList
	spans            int
	// recent remembers the last traces let go, with their span ids, so that
	// a span that arrives again after its trace was written (a client's
	// retry) is dropped, and a new one is marked as late. recentOrder holds
	// their ids, oldest first from recentHead; recentSpans counts the span
	// ids held, bounded by recentSpanIDs.
	recent      map[spanjson.TraceID]*recentTrace
	recentOrder []spanjson.TraceID
	recentHead  int
	recentSpans int
	lateDups    int64
	// ref, when set (a spool), is told each time a held trace starts to
	// depend on a spool segment.
	ref func(seg uint64)
}

// recentTrace is a trace let go: its span ids, sorted.
type recentTrace struct{ spans []uint64 }

func spanKey(id spanjson.SpanID) uint64 { return binary.BigEndian.Uint64(id[:]) }

func (r *recentTrace) has(id spanjson.SpanID) bool {
	_, ok := slices.BinarySearch(r.spans, spanKey(id))
	return ok
}

type heldTrace struct {
	id          spanjson.TraceID
	spans       []spanjson.Span
	hasRoot     bool
	late        bool // the trace was already let go once
	first, last time.Time
	age, wait   heldLink
	segs        []uint64 // spool segments of its spans, see CollectedTrace
}

// NewAssembler returns an empty assembler.
func NewAssembler(cfg AssemblerConfig) *Assembler {
	if cfg.Idle <= 0 {
		cfg.Idle = defaultIdle
	}
	if cfg.TraceTimeout <= 0 {
		cfg.TraceTimeout = defaultTraceTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Assembler{cfg: cfg, traces: make(map[spanjson.TraceID]*heldTrace), recent: make(map[spanjson.TraceID]*recentTrace)}
	a.age.init(func(t *heldTrace) *heldLink { return &t.age })
	a.rooted.init(func(t *heldTrace) *heldLink { return &t.wait })
	a.rootless.init(func(t *heldTrace) *heldLink { return &t.wait })
	return a
}

// Config returns the configuration in effect (defaults filled in).
func (a *Assembler) Config() AssemblerConfig { return a.cfg }

// Add files spans under their traces. Traces let go early because
// MaxTraces was reached are returned; the caller must write them.
func (a *Assembler) Add(spans []spanjson.Span) []*CollectedTrace { return a.AddFrom(spans, 0) }

// AddFrom is Add for spans kept in spool segment seg (0: none).
func (a *Assembler) AddFrom(spans []spanjson.Span, seg uint64) []*CollectedTrace {
	if len(spans) == 0 {
		return nil
	}
	now := a.cfg.Now()
	var gone []released
	a.mu.Lock()
	var t *heldTrace
	var rt *recentTrace
	var cur spanjson.TraceID
	for i, s := range spans {
		id := s.TraceID()
		if i == 0 || id != cur {
			cur, t, rt = id, a.traces[id], a.recent[id]
		}
		if rt != nil && rt.has(s.SpanID()) {
			a.lateDups++ // already written: a retry
			continue
		}
		if t == nil {
			if a.cfg.MaxTraces > 0 && len(a.traces) >= a.cfg.MaxTraces {
				r := a.releaseLocked(a.age.front(), IncompleteEvicted)
				r.evicted = true
				gone = append(gone, r)
			}
			t = &heldTrace{id: id, first: now, last: now, spans: make([]spanjson.Span, 0, 8)}
			t.late = rt != nil
			a.traces[id] = t
			a.age.pushBack(t)
			a.rootless.pushBack(t)
		}
		t.spans = append(t.spans, s)
		a.spans++
		if seg != 0 && !slices.Contains(t.segs, seg) {
			t.segs = append(t.segs, seg)
			if a.ref != nil {
				a.ref(seg)
			}
		}
		t.last = now
		if s.IsRoot() && !t.hasRoot {
			t.hasRoot = true
			a.rootless.remove(t)
			a.rooted.pushBack(t)
		} else if t.hasRoot {
			a.rooted.moveToBack(t)
		}
		if a.cfg.MaxSpansPerTrace > 0 && len(t.spans) >= a.cfg.MaxSpansPerTrace {
			r := a.releaseLocked(t, IncompleteSplit)
			// Even with its root, this part is not the whole trace.
			r.incomplete, r.split = IncompleteSplit, true
			gone = append(gone, r)
			t, rt = nil, a.recent[id] // later spans start the next part
		}
	}
	a.mu.Unlock()
	return build(gone)
}

// Expire lets go the traces that are due at the assembler's clock: complete
// ones idle for Idle, rootless ones older than TraceTimeout.
func (a *Assembler) Expire() []*CollectedTrace {
	now := a.cfg.Now()
	var gone []released
	a.mu.Lock()
	for t := a.rooted.front(); t != nil && now.Sub(t.last) >= a.cfg.Idle; t = a.rooted.front() {
		gone = append(gone, a.releaseLocked(t, ""))
	}
	for t := a.rootless.front(); t != nil && now.Sub(t.first) >= a.cfg.TraceTimeout; t = a.rootless.front() {
		gone = append(gone, a.releaseLocked(t, IncompleteTimeout))
	}
	a.mu.Unlock()
	return build(gone)
}

// Drain lets go every trace held, oldest first: those with a root as
// complete, the others marked incomplete (shutdown).
func (a *Assembler) Drain() []*CollectedTrace {
	a.mu.Lock()
	gone := make([]released, 0, len(a.traces))
	for t := a.age.front(); t != nil; t = a.age.front() {
		gone = append(gone, a.releaseLocked(t, IncompleteShutdown))
	}
	a.mu.Unlock()
	return build(gone)
}

// LateDuplicates returns how many spans Add dropped because their trace
// was already written with them (a client's retry after the fact).
func (a *Assembler) LateDuplicates() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lateDups
}

// Held returns the number of traces and spans held.
func (a *Assembler) Held() (traces, spans int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.traces), a.spans
}

// released is a trace taken out of the index, to be built outside the lock.
type released struct {
	id         spanjson.TraceID
	spans      []spanjson.Span
	incomplete string
	evicted    bool
	split      bool
	segs       []uint64
}

func build(gone []released) []*CollectedTrace {
	if len(gone) == 0 {
		return nil
	}
	out := make([]*CollectedTrace, len(gone))
	for i, r := range gone {
		out[i] = buildCollected(r.id, r.spans, r.incomplete)
		out[i].Evicted = r.evicted
		out[i].Split = r.split
		out[i].segs = r.segs
	}
	return out
}

// releaseLocked removes t from the index; reason is used only when t has
// no root. A late part of a trace already written is always marked late,
// even when it brings the root.
func (a *Assembler) releaseLocked(t *heldTrace, reason string) released {
	delete(a.traces, t.id)
	a.age.remove(t)
	if t.hasRoot {
		a.rooted.remove(t)
		reason = ""
	} else {
		a.rootless.remove(t)
	}
	if t.late {
		reason = IncompleteLate
	}
	a.spans -= len(t.spans)
	keys := make([]uint64, len(t.spans))
	for i, s := range t.spans {
		keys[i] = spanKey(s.SpanID())
	}
	a.rememberLocked(t.id, keys)
	return released{id: t.id, spans: t.spans, incomplete: reason, segs: t.segs}
}

// Remember records spans as already written (found in the output when the
// spool is replayed after a crash), so that a client's retry of them is
// dropped and new spans of their traces are marked late.
func (a *Assembler) Remember(id spanjson.TraceID, spans []spanjson.SpanID) {
	keys := make([]uint64, len(spans))
	for i, s := range spans {
		keys[i] = spanKey(s)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rememberLocked(id, keys)
}

// rememberLocked records a trace let go with its span keys (merged with
// those of an earlier part), forgetting the oldest traces beyond
// recentWritten traces or recentSpanIDs span ids. A trace with more span
// ids than that is remembered by its id alone.
func (a *Assembler) rememberLocked(id spanjson.TraceID, keys []uint64) {
	r := a.recent[id]
	if r == nil {
		r = &recentTrace{}
		a.recent[id] = r
		a.recentOrder = append(a.recentOrder, id)
	}
	a.recentSpans -= len(r.spans)
	if len(r.spans)+len(keys) > recentSpanIDs {
		r.spans = nil
	} else {
		r.spans = append(r.spans, keys...)
		slices.Sort(r.spans)
		r.spans = slices.Compact(r.spans)
	}
	a.recentSpans += len(r.spans)
	for len(a.recentOrder)-a.recentHead > recentWritten || a.recentSpans > recentSpanIDs {
		old := a.recentOrder[a.recentHead]
		a.recentOrder[a.recentHead] = spanjson.TraceID{}
		a.recentHead++
		a.recentSpans -= len(a.recent[old].spans)
		delete(a.recent, old)
	}
	if a.recentHead > len(a.recentOrder)/2 && a.recentHead >= 1024 {
		a.recentOrder = append(a.recentOrder[:0], a.recentOrder[a.recentHead:]...)
		a.recentHead = 0
	}
}

// buildCollected orders the spans (start time, then span id), drops
// repeated span ids and fills in the trace info from the root span.
func buildCollected(id spanjson.TraceID, spans []spanjson.Span, incomplete string) *CollectedTrace {
	slices.SortStableFunc(spans, func(x, y spanjson.Span) int {
		if c := cmp.Compare(x.StartTime(), y.StartTime()); c != 0 {
			return c
		}
		xi, yi := x.SpanID(), y.SpanID()
		return slices.Compare(xi[:], yi[:])
	})
	ct := &CollectedTrace{Incomplete: incomplete}
	// A span sent twice (a client retry after a lost response) sorts next to
	// its copy: same start, same id. Keep the first.
	if len(spans) > 1 {
		kept := spans[:1]
		for _, s := range spans[1:] {
			last := kept[len(kept)-1]
			if s.SpanID() == last.SpanID() && s.StartTime() == last.StartTime() {
				ct.Duplicates++
				continue
			}
			kept = append(kept, s)
		}
		clear(spans[len(kept):])
		spans = kept
	}
	// The trace-level rules are spanjson's, the ones every reader uses.
	info := spanjson.DeriveInfo(spans, spanjson.SchemaOTLP)
	if info.TraceID == "" {
		info.TraceID = id.MLflowID()
	}
	if root, ok := spanjson.RootSpan(spans); ok && root.IsRoot() {
		info.RequestPreview = spanjson.PreviewOf(root.Attributes(), spanjson.AttrInputs)
		info.ResponsePreview = spanjson.PreviewOf(root.Attributes(), spanjson.AttrOutputs)
	}
	if incomplete != "" {
		info.State = spanjson.StateError
		info.Tags = map[string]string{spanjson.TagIncomplete: incomplete}
	}
	ct.Trace = spanjson.Trace{Info: info, Spans: spans}
	return ct
}

// heldLink and heldList make an intrusive doubly linked list, so a trace
// sits in two orders at once without extra allocations.
type heldLink struct{ prev, next *heldTrace }

type heldList struct {
	head, tail *heldTrace
	link       func(*heldTrace) *heldLink
}

func (l *heldList) init(link func(*heldTrace) *heldLink) { l.link = link }

func (l *heldList) front() *heldTrace { return l.head }

func (l *heldList) pushBack(t *heldTrace) {
	k := l.link(t)
	k.prev, k.next = l.tail, nil
	if l.tail != nil {
		l.link(l.tail).next = t
	} else {
		l.head = t
	}
	l.tail = t
}

func (l *heldList) remove(t *heldTrace) {
	k := l.link(t)
	if k.prev != nil {
		l.link(k.prev).next = k.next
	} else {
		l.head = k.next
	}
	if k.next != nil {
		l.link(k.next).prev = k.prev
	} else {
		l.tail = k.prev
	}
	k.prev, k.next = nil, nil
}

func (l *heldList) moveToBack(t *heldTrace) {
	if l.tail == t {
		return
	}
	l.remove(t)
	l.pushBack(t)
}
