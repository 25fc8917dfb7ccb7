// Package manager holds traces while they are being built: spans arrive one
// by one (from a running program, an OTLP stream or a file being loaded) and
// a trace leaves in one piece when it is complete, or through Config.OnExpire
// when it times out or is pushed out. It also has the tracer and the
// OpenTelemetry SDK integration.
//
// Three ways in:
//   - Manager (New, Instance): register traces and spans by hand, pop a
//     trace when it is complete.
//   - Tracer (NewTracer): StartSpan/End in a Go program; ending a root span
//     pops the trace and hands it to an Exporter, e.g. NewJSONLExporter,
//     which writes MLflow v3 JSON Lines.
//   - SpanProcessor (NewSpanProcessor): plug into an OpenTelemetry SDK
//     TracerProvider; ending a local root exports the trace the same way.
//
// RegisterSpan accepts a *spanjson.LiveSpan or any ActiveSpan with an
// AsLiveSpan() *spanjson.LiveSpan method; that is how the tracer's spans,
// whose End must also notify the tracer, are stored.
package manager

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"tracectl/internal/spanjson"
)

// Defaults of the Config fields, as in MLflow.
const (
	DefaultCheckInterval = time.Second
	DefaultTTL           = 3600 * time.Second
	DefaultMaxSize       = 1000
)

// Environment variables read by ConfigFromEnv (formats.md §6).
const (
	EnvTimeout       = "MLFLOW_TRACE_TIMEOUT_SECONDS"
	EnvCheckInterval = "MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS"
	EnvTTL           = "MLFLOW_TRACE_BUFFER_TTL_SECONDS"
	EnvMaxSize       = "MLFLOW_TRACE_BUFFER_MAX_SIZE"
)

// ManagerTrace is a trace as it leaves the manager.
type ManagerTrace struct {
	Trace   spanjson.Trace
	Prompts []spanjson.PromptVersion
}

// Config sets the manager's bounds (see ConfigFromEnv). Zero or negative
// CheckInterval, TTL and MaxSize take the defaults.
type Config struct {
	Timeout       time.Duration // 0: TTL mode; >0: timeout mode
	CheckInterval time.Duration // how often timed-out or TTL-expired traces are looked for
	TTL           time.Duration // TTL mode: how long a trace may stay
	MaxSize       int           // TTL mode: how many traces may stay
	// OnExpire receives every trace that leaves other than by PopTrace. It
	// is called without the manager's lock held, from the cleanup goroutine
	// or from the RegisterTrace call that pushed the trace out, so it must
	// not call Close. When nil, such a trace is logged at warn level and
	// dropped.
	OnExpire func(*ManagerTrace)
}

func (c Config) withDefaults() Config {
	if c.Timeout < 0 {
		c.Timeout = 0
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = DefaultCheckInterval
	}
	if c.TTL <= 0 {
		c.TTL = DefaultTTL
	}
	if c.MaxSize <= 0 {
		c.MaxSize = DefaultMaxSize
	}
	return c
}

// Manager is the in-memory trace manager. All methods are safe for
// concurrent use.
//
// Locking: the manager lock (mu) guards the trace map by MLflow id, the age
// list and the config. The OpenTelemetry-id map is sharded by trace id so
// that span registration, the hot path, takes only its shard's lock. An
// entry joins or leaves a shard only while mu is held too, so every
// operation that touches both maps (RegisterTrace, PopTrace, expiry) is
// atomic, and either lock alone is enough to look an entry up. The spans,
// prompts and tags of an entry are guarded by its shard's lock.
type Manager struct {
	clk    clock
	shards [numShards]shard

	mu      sync.Mutex
	cfg     Config
	byID    map[string]*traceEntry
	oldest  *traceEntry // age list, oldest first: expiry and eviction order
	newest  *traceEntry
	count   int
	watch   bool   // process-wide manager: re-read EnvTimeout on RegisterTrace
	envSeen string // the EnvTimeout text the current cache was built with

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

const (
	shardBits = 5
	numShards = 1 << shardBits
)

type shard struct {
	mu     sync.Mutex
	byOTel map[spanjson.TraceID]*traceEntry
	_      [48]byte // one cache line per shard: no false sharing
}

func (m *Manager) shardOf(id spanjson.TraceID) *shard {
	h := binary.LittleEndian.Uint64(id[:8]) ^ binary.LittleEndian.Uint64(id[8:])
	h *= 0x9e3779b97f4a7c15 // mix all bits into the top ones
	return &m.shards[h>>(64-shardBits)]
}

// lookupLocked returns the entry of an OpenTelemetry trace id; the caller
// holds mu or the id's shard lock.
func (m *Manager) lookupLocked(id spanjson.TraceID) *traceEntry {
	return m.shardOf(id).byOTel[id]
}

// traceEntry is one trace being built. Its spans keep registration order.
type traceEntry struct {
	otelID  spanjson.TraceID
	info    spanjson.TraceInfo
	set     *spanSet // nil until the first span
	prompts []spanjson.PromptVersion
	added   time.Time

	prev, next *traceEntry
}

// spanSet holds a trace's spans in registration order and their index by
// span id. Sets are pooled: a popped trace gives its set back, so a busy
// manager does not regrow a map and a slice for every trace.
//
// The index covers spans[:indexed] and is completed on first need
// (indexLocked): a batch of spans with distinct ids (AddSpans of a file's
// trace) goes in without it, and a trace that is only popped never builds
// it. Every span past indexed has an id no other span of the set has.
type spanSet struct {
	spans   []*spanjson.LiveSpan
	index   map[spanjson.SpanID]int
	indexed int
}

// indexLocked returns the index of every span by id, adding the spans not
// yet indexed; the caller holds the trace's shard lock.
func (set *spanSet) indexLocked() map[spanjson.SpanID]int {
	if set.indexed < len(set.spans) {
		if set.index == nil {
			set.index = make(map[spanjson.SpanID]int, len(set.spans))
		}
		for i := set.indexed; i < len(set.spans); i++ {
			set.index[set.spans[i].OTelSpanID()] = i
		}
		set.indexed = len(set.spans)
	}
	return set.index
}

// maxPooledSpans keeps sets that grew for a huge trace out of the pool.
const maxPooledSpans = 4096

var spanSetPool = sync.Pool{New: func() any {
	return &spanSet{index: make(map[spanjson.SpanID]int, 8)}
}}

func releaseSpanSet(set *spanSet) {
	if set == nil || cap(set.spans) > maxPooledSpans {
		return
	}
	clear(set.spans) // drop the span pointers for the GC
	set.spans = set.spans[:0]
	clear(set.index)
	set.indexed = 0
	spanSetPool.Put(set)
}

// New returns an independent manager with its own cleanup goroutine; Close
// stops it.
func New(cfg Config) *Manager { return newManager(cfg, realClock{}) }

func newManager(cfg Config, clk clock) *Manager {
	m := &Manager{
		clk:  clk,
		cfg:  cfg.withDefaults(),
		byID: make(map[string]*traceEntry),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for i := range m.shards {
		m.shards[i].byOTel = make(map[spanjson.TraceID]*traceEntry)
	}
	t := clk.NewTicker(m.cfg.CheckInterval)
	go m.cleanupLoop(t)
	return m
}

// instanceSlot holds one generation of the process-wide manager; Reset
// installs a fresh slot so the next Instance builds anew.
type instanceSlot struct {
	once sync.Once
	m    *Manager
}

var instance atomic.Pointer[instanceSlot]

func init() { instance.Store(&instanceSlot{}) }

// Instance returns the process-wide manager, built from ConfigFromEnv on
// first use (once, even when many goroutines call it at the same time). It
// re-reads MLFLOW_TRACE_TIMEOUT_SECONDS on every RegisterTrace and rebuilds
// its cache when the value changed.
func Instance() *Manager {
	s := instance.Load()
	s.once.Do(func() {
		m := New(ConfigFromEnv())
		m.watch = true
		m.envSeen = os.Getenv(EnvTimeout)
		s.m = m
	})
	return s.m
}

// Reset drops the process-wide manager: it stops its cleanup goroutine and
// hands the traces it still held to its OnExpire. The next Instance builds
// anew.
func Reset() {
	old := instance.Swap(&instanceSlot{})
	old.once.Do(func() {}) // wait for a build in flight, or prevent one
	if old.m != nil {
		_ = old.m.Close()
		old.m.mu.Lock()
		out := old.m.takeAllLocked()
		old.m.mu.Unlock()
		old.m.expire(out, false)
	}
}

// ConfigFromEnv reads MLFLOW_TRACE_TIMEOUT_SECONDS,
// MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS, MLFLOW_TRACE_BUFFER_TTL_SECONDS
// and MLFLOW_TRACE_BUFFER_MAX_SIZE. A value that is not a valid number keeps
// the default and is logged at warn level. Seconds may be fractional.
func ConfigFromEnv() Config {
	cfg := Config{
		CheckInterval: DefaultCheckInterval,
		TTL:           DefaultTTL,
		MaxSize:       DefaultMaxSize,
	}
	if d, ok := envSeconds(EnvTimeout, true); ok {
		cfg.Timeout = d
	}
	if d, ok := envSeconds(EnvCheckInterval, false); ok {
		cfg.CheckInterval = d
	}
	if d, ok := envSeconds(EnvTTL, false); ok {
		cfg.TTL = d
	}
	if n, ok := envPositiveInt(EnvMaxSize); ok {
		cfg.MaxSize = n
	}
	return cfg
}

// RegisterTrace stores an empty trace (no spans, no prompts) under
// info.TraceID and maps otelTraceID to it. An empty info.TraceID becomes
// the MLflow id of otelTraceID ("tr-" + hex); the rest of info is kept as
// given (the tags and metadata maps are copied). A trace already registered under either id is replaced, and
// the replaced one is handed to OnExpire. In TTL mode, traces past the TTL
// and traces beyond MaxSize (oldest first) are handed to OnExpire here too.
func (m *Manager) RegisterTrace(otelTraceID spanjson.TraceID, info spanjson.TraceInfo) {
	m.registerTrace(otelTraceID, info, false)
}

// registerTrace is RegisterTrace; with ifAbsent it leaves an already
// registered otelTraceID alone and reports false.
func (m *Manager) registerTrace(otelTraceID spanjson.TraceID, info spanjson.TraceInfo, ifAbsent bool) bool {
	if info.TraceID == "" {
		info.TraceID = otelTraceID.MLflowID()
	}
	info.Tags = maps.Clone(info.Tags)
	info.Metadata = maps.Clone(info.Metadata)
	e := &traceEntry{otelID: otelTraceID, info: info}

	var out []*traceEntry // left the cache: handed to OnExpire after unlocking
	var envTimeout string
	if m.watch {
		envTimeout = os.Getenv(EnvTimeout)
	}
	// Read the clock before locking: the age list may then be out of order
	// by the few nanoseconds two racing registrations differ, which only
	// delays an expiry by one check.
	now := m.clk.Now()
	e.added = now
	m.mu.Lock()
	if m.watch && envTimeout != m.envSeen {
		// The process-wide cache is rebuilt with the new setting; what the
		// old one held leaves through OnExpire.
		out = m.takeAllLocked()
		d, _ := parseSeconds(EnvTimeout, envTimeout, true)
		m.cfg.Timeout = d
		m.envSeen = envTimeout
	}
	if old := m.lookupLocked(otelTraceID); old != nil {
		if ifAbsent {
			m.mu.Unlock()
			m.expire(out, false)
			return false
		}
		m.removeLocked(old)
		out = append(out, old)
	}
	if old := m.byID[info.TraceID]; old != nil {
		m.removeLocked(old)
		out = append(out, old)
	}
	m.byID[info.TraceID] = e
	sh := m.shardOf(otelTraceID)
	sh.mu.Lock()
	sh.byOTel[otelTraceID] = e
	sh.mu.Unlock()
	m.pushLocked(e)
	if m.cfg.Timeout == 0 {
		out = append(out, m.takeExpiredLocked(now)...)
		for m.count > m.cfg.MaxSize {
			old := m.oldest
			m.removeLocked(old)
			out = append(out, old)
		}
	}
	m.mu.Unlock()
	m.expire(out, false)
	return true
}

// liveSpanOf returns the *LiveSpan behind s: s itself, or what a wrapper's
// LiveSpan method yields (the tracer's spans). Anything else is nil.
func liveSpanOf(s spanjson.ActiveSpan) *spanjson.LiveSpan {
	switch v := s.(type) {
	case *spanjson.LiveSpan:
		return v
	case interface{ AsLiveSpan() *spanjson.LiveSpan }:
		return v.AsLiveSpan()
	}
	return nil
}

// RegisterSpan stores a *LiveSpan under its span id in its trace (found by
// the span's OpenTelemetry trace id); a span registered again under the same
// id replaces the earlier one. It accepts a *LiveSpan or any ActiveSpan with
// an `AsLiveSpan() *spanjson.LiveSpan` method (such as the tracer's spans).
// Anything else (a NoOpSpan, nil) is skipped with a debug log and nil error.
// A span whose trace is not registered is an error naming the trace id.
func (m *Manager) RegisterSpan(s spanjson.ActiveSpan) error {
	ls := liveSpanOf(s)
	if ls == nil {
		slog.Debug("manager: span skipped: not a live span", "span", fmt.Sprintf("%T", s))
		return nil
	}
	sid := ls.OTelSpanID()
	sh := m.shardOf(ls.OTelTraceID())
	sh.mu.Lock()
	e := sh.byOTel[ls.OTelTraceID()]
	if e == nil {
		sh.mu.Unlock()
		return fmt.Errorf("manager: cannot register span %s: trace %s is not registered", ls.SpanID(), ls.TraceID())
	}
	if e.set == nil {
		e.set = spanSetPool.Get().(*spanSet)
	}
	set := e.set
	index := set.indexLocked()
	if i, ok := index[sid]; ok {
		set.spans[i] = ls
	} else {
		index[sid] = len(set.spans)
		set.spans = append(set.spans, ls)
		set.indexed = len(set.spans)
	}
	sh.mu.Unlock()
	return nil
}

// AddSpans registers a live span made from each of spans
// (spanjson.LiveSpanFrom, which copies nothing until the span changes), in
// order, like RegisterSpan; but a span whose id its trace already holds
// (registered before, or earlier in spans) is left out and returned
// instead of replacing the one held, so a file loader keeps the first of
// spans that repeat an id. A run of spans of one trace takes its shard lock
// once and grows the trace's span set once. A span whose trace is not
// registered is an error naming the trace id; the spans before it stay
// registered.
func (m *Manager) AddSpans(spans []spanjson.Span) (repeated []spanjson.Span, err error) {
	for len(spans) > 0 {
		tid := spans[0].TraceID()
		n := 1
		for n < len(spans) && spans[n].TraceID() == tid {
			n++
		}
		run := spans[:n]
		spans = spans[n:]
		sh := m.shardOf(tid)
		sh.mu.Lock()
		e := sh.byOTel[tid]
		if e == nil {
			sh.mu.Unlock()
			return repeated, fmt.Errorf("manager: cannot register span %s: trace %s is not registered", run[0].SpanID(), tid.MLflowID())
		}
		if e.set == nil {
			if len(run) > maxPooledSpans {
				e.set = &spanSet{} // too big for the pool; the index comes on need
			} else {
				e.set = spanSetPool.Get().(*spanSet)
			}
		}
		set := e.set
		set.spans = slices.Grow(set.spans, len(run))
		if len(set.spans) == 0 && len(run) >= sortedBatchMin && distinctIDs(run) {
			// A fresh trace and ids that do not repeat: no index needed.
			set.spans = spanjson.LiveSpansFrom(set.spans, run)
			sh.mu.Unlock()
			continue
		}
		index := set.indexLocked()
		next := len(set.spans)
		var kept []spanjson.Span // nil while no span of run repeats an id
		for i, s := range run {
			sid := s.SpanID()
			if _, held := index[sid]; held {
				if kept == nil {
					kept = append(make([]spanjson.Span, 0, len(run)), run[:i]...)
				}
				repeated = append(repeated, s)
				continue
			}
			index[sid] = next
			next++
			if kept != nil {
				kept = append(kept, s)
			}
		}
		if kept == nil {
			kept = run
		}
		set.spans = spanjson.LiveSpansFrom(set.spans, kept)
		set.indexed = len(set.spans)
		sh.mu.Unlock()
	}
	return repeated, nil
}

// sortedBatchMin is the batch size from which AddSpans checks a fresh
// trace's ids for repeats by sorting them instead of indexing every span.
const sortedBatchMin = 1024

// distinctIDs reports whether no two of spans have the same span id. It
// radix-sorts the ids: for a million spans a few sequential passes cost far
// less than a map with a million random inserts.
func distinctIDs(spans []spanjson.Span) bool {
	keys := make([]uint64, len(spans))
	for i, s := range spans {
		id := s.SpanID()
		keys[i] = binary.LittleEndian.Uint64(id[:])
	}
	tmp := make([]uint64, len(keys))
	for shift := 0; shift < 64; shift += 8 {
		var count [256]int
		for _, k := range keys {
			count[byte(k>>shift)]++
		}
		if count[byte(keys[0]>>shift)] == len(keys) {
			continue // every key has this byte: the pass would not move any
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for _, k := range keys {
			b := byte(k >> shift)
			tmp[count[b]] = k
			count[b]++
		}
		keys, tmp = tmp, keys
	}
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			return false
		}
	}
	return true
}

// SpanFromID returns the live span spanID (16 hex) of the trace traceID
// (the MLflow id), or nil if either is absent.
func (m *Manager) SpanFromID(traceID, spanID string) *spanjson.LiveSpan {
	sid, err := spanjson.ParseSpanID(spanID)
	if err != nil {
		return nil
	}
	e, sh := m.lockByID(traceID)
	if e == nil {
		return nil
	}
	defer sh.mu.Unlock()
	return e.span(sid)
}

// RootSpanID returns the id of the trace's root span, or "" if there is no
// such trace or no root registered yet. The root is the first registered
// span without a parent or else (a trace continuing a remote parent) the
// first whose parent is not in the trace.
func (m *Manager) RootSpanID(traceID string) string {
	e, sh := m.lockByID(traceID)
	if e == nil {
		return ""
	}
	defer sh.mu.Unlock()
	if i := e.rootIndex(); i >= 0 {
		return e.set.spans[i].SpanID()
	}
	return ""
}

// lockByID finds the entry of an MLflow id and returns it with its shard
// locked (the caller unlocks), or nil.
func (m *Manager) lockByID(traceID string) (*traceEntry, *shard) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byID[traceID]
	if e == nil {
		return nil, nil
	}
	sh := m.shardOf(e.otelID)
	sh.mu.Lock()
	return e, sh
}

// span returns the span sid of e, or nil; the caller holds e's shard lock.
func (e *traceEntry) span(sid spanjson.SpanID) *spanjson.LiveSpan {
	if e.set == nil {
		return nil
	}
	if i, ok := e.set.indexLocked()[sid]; ok {
		return e.set.spans[i]
	}
	return nil
}

// spans returns e's spans in registration order.
func (e *traceEntry) spans() []*spanjson.LiveSpan {
	if e.set == nil {
		return nil
	}
	return e.set.spans
}

// rootIndex returns the index of the root span in e.spans(), or -1.
func (e *traceEntry) rootIndex() int {
	if e.set == nil {
		return -1
	}
	for i, s := range e.set.spans {
		if s.OTelParentID().IsZero() {
			return i
		}
	}
	index := e.set.indexLocked()
	for i, s := range e.set.spans {
		if _, ok := index[s.OTelParentID()]; !ok {
			return i
		}
	}
	return -1
}

// PopTrace removes the trace and its id mapping in one step and returns it
// with every span made immutable (registration order) and with the
// request/response previews set from the root span's inputs/outputs (JSON
// text, at most spanjson.PreviewMaxLength characters) unless the trace info
// already has them. It returns nil if the trace is not registered.
func (m *Manager) PopTrace(otelTraceID spanjson.TraceID) *ManagerTrace {
	m.mu.Lock()
	e := m.lookupLocked(otelTraceID)
	if e == nil {
		m.mu.Unlock()
		return nil
	}
	m.removeLocked(e)
	m.mu.Unlock()
	return e.build()
}

// build snapshots a trace that has left the maps (so no one else holds e)
// and gives its span set back to the pool; it is called once per entry.
func (e *traceEntry) build() *ManagerTrace {
	mt := &ManagerTrace{Trace: spanjson.Trace{Info: e.info}, Prompts: e.prompts}
	if spans := e.spans(); len(spans) > 0 {
		mt.Trace.Spans = make([]spanjson.Span, len(spans))
		for i, ls := range spans {
			mt.Trace.Spans[i] = ls.ToImmutable()
		}
	}
	if r := e.rootIndex(); r >= 0 {
		root := mt.Trace.Spans[r]
		info := &mt.Trace.Info
		if info.RequestPreview == "" {
			info.RequestPreview = spanjson.PreviewOf(root.Attributes(), spanjson.AttrInputs)
		}
		if info.ResponsePreview == "" {
			info.ResponsePreview = spanjson.PreviewOf(root.Attributes(), spanjson.AttrOutputs)
		}
	}
	releaseSpanSet(e.set)
	e.set = nil
	return mt
}

// RegisterPrompt adds p to the trace once (a prompt with the same name and
// version is not added twice) and rewrites the trace tag
// mlflow.linkedPrompts as a JSON list of {"name", "version" (a string)}
// without duplicates, merged with what the tag held before. An unknown
// trace id is an error; so is a tag that cannot be read (logged at debug
// level), in which case nothing changes.
func (m *Manager) RegisterPrompt(traceID string, p spanjson.PromptVersion) error {
	e, sh := m.lockByID(traceID)
	if e == nil {
		return fmt.Errorf("manager: cannot link prompt %s: trace %s is not registered", p.URI(), traceID)
	}
	defer sh.mu.Unlock()
	tag, err := mergeLinkedPrompts(e.info.Tags[spanjson.TagLinkedPrompts], p)
	if err != nil {
		slog.Debug("manager: cannot update linked prompts tag", "trace", traceID, "err", err)
		return fmt.Errorf("manager: trace %s: %w", traceID, err)
	}
	if e.info.Tags == nil {
		e.info.Tags = make(map[string]string)
	}
	e.info.Tags[spanjson.TagLinkedPrompts] = tag
	for _, q := range e.prompts {
		if q.Name == p.Name && q.Version == p.Version {
			return nil
		}
	}
	e.prompts = append(e.prompts, p)
	return nil
}

// SetOnExpire replaces Config.OnExpire, e.g. to give the process-wide
// manager an exporter.
func (m *Manager) SetOnExpire(f func(*ManagerTrace)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg.OnExpire = f
}

// Close stops the cleanup goroutine and returns after it has exited. It
// may be called more than once. The traces held stay and can be popped.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() { close(m.stop) })
	<-m.done
	return nil
}

func (m *Manager) cleanupLoop(t ticker) {
	defer close(m.done)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C():
			m.sweep()
		}
	}
}

// sweep hands every overdue trace to OnExpire: in timeout mode the traces
// in progress for Timeout or longer, in TTL mode those older than TTL.
func (m *Manager) sweep() {
	now := m.clk.Now()
	m.mu.Lock()
	out := m.takeExpiredLocked(now)
	timedOut := m.cfg.Timeout > 0
	m.mu.Unlock()
	m.expire(out, timedOut)
}

// takeExpiredLocked removes and returns the traces past their time limit,
// oldest first.
func (m *Manager) takeExpiredLocked(now time.Time) []*traceEntry {
	limit := m.cfg.TTL
	if m.cfg.Timeout > 0 {
		limit = m.cfg.Timeout
	}
	var out []*traceEntry
	for e := m.oldest; e != nil && now.Sub(e.added) >= limit; e = m.oldest {
		m.removeLocked(e)
		out = append(out, e)
	}
	return out
}

func (m *Manager) takeAllLocked() []*traceEntry {
	var out []*traceEntry
	for e := m.oldest; e != nil; e = m.oldest {
		m.removeLocked(e)
		out = append(out, e)
	}
	return out
}

// expire hands traces that left the cache to OnExpire; it must be called
// without the lock. Timed-out traces first get their unfinished spans ended
// with status ERROR and the trace state ERROR.
func (m *Manager) expire(out []*traceEntry, timedOut bool) {
	if len(out) == 0 {
		return
	}
	m.mu.Lock()
	onExpire := m.cfg.OnExpire
	timeout := m.cfg.Timeout
	m.mu.Unlock()
	now := m.clk.Now()
	for _, e := range out {
		if timedOut {
			msg := fmt.Sprintf("trace timed out after %s", timeout)
			for _, s := range e.spans() {
				if !s.Ended() {
					s.SetStatus(spanjson.StatusError, msg)
					s.EndAt(now)
				}
			}
			e.info.State = spanjson.StateError
		}
		mt := e.build()
		if onExpire == nil {
			slog.Warn("manager: trace dropped: no OnExpire handler", "trace", e.info.TraceID, "spans", len(mt.Trace.Spans))
			continue
		}
		onExpire(mt)
	}
}

func (m *Manager) pushLocked(e *traceEntry) {
	e.prev, e.next = m.newest, nil
	if m.newest != nil {
		m.newest.next = e
	} else {
		m.oldest = e
	}
	m.newest = e
	m.count++
}

// removeLocked takes e out of both maps and the age list; mu is held.
func (m *Manager) removeLocked(e *traceEntry) {
	sh := m.shardOf(e.otelID)
	sh.mu.Lock()
	if sh.byOTel[e.otelID] == e {
		delete(sh.byOTel, e.otelID)
	}
	sh.mu.Unlock()
	if m.byID[e.info.TraceID] == e {
		delete(m.byID, e.info.TraceID)
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		m.oldest = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		m.newest = e.prev
	}
	e.prev, e.next = nil, nil
	m.count--
}

// spanByOTel returns the live span by its OpenTelemetry ids, or nil.
func (m *Manager) spanByOTel(tid spanjson.TraceID, sid spanjson.SpanID) *spanjson.LiveSpan {
	sh := m.shardOf(tid)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.byOTel[tid]
	if e == nil {
		return nil
	}
	return e.span(sid)
}

// drain removes every trace and returns them as they are, oldest first.
func (m *Manager) drain() []*ManagerTrace {
	m.mu.Lock()
	out := m.takeAllLocked()
	m.mu.Unlock()
	mts := make([]*ManagerTrace, len(out))
	for i, e := range out {
		mts[i] = e.build()
	}
	return mts
}

// completeTrace fills in what a finished trace's info lacks from its root
// span: the state (ERROR when the root's status is ERROR, else OK) when it
// is still in progress or unspecified, the request time, the execution
// duration and the trace name tag; and the trace token usage metadata, the
// spans' total by spanjson.TraceGenAIOf (formats.md §5.2).
func completeTrace(mt *ManagerTrace) {
	root := rootOf(mt.Trace.Spans)
	if root.IsZero() {
		return
	}
	info := &mt.Trace.Info
	if _, ok := info.Metadata[spanjson.MetaTokenUsage]; !ok {
		// spanjson's trace rule: model spans only, roll-ups never added.
		g := spanjson.TraceGenAIOf(spanjson.TraceInfo{}, mt.Trace.Spans)
		sum := spanjson.TokenUsage{InputTokens: g.InputTokens.N, OutputTokens: g.OutputTokens.N, TotalTokens: g.TotalTokens.N}
		if g.UsageFrom != "" {
			if info.Metadata == nil {
				info.Metadata = make(map[string]string)
			}
			b, _ := json.Marshal(sum)
			info.Metadata[spanjson.MetaTokenUsage] = string(b)
		}
	}
	ended := root.EndTime() != 0
	if ended && (info.State == spanjson.StateInProgress || info.State == spanjson.StateUnspecified || info.State == "") {
		info.State = spanjson.StateOK
		if root.Status().Code == spanjson.StatusError {
			info.State = spanjson.StateError
		}
	}
	if info.RequestTime.IsZero() {
		info.RequestTime = time.Unix(0, root.StartTime())
	}
	if ended && !info.HasDuration {
		info.ExecutionDuration, info.HasDuration = root.Duration(), true
	}
	if info.Tags[spanjson.TagTraceName] == "" {
		if info.Tags == nil {
			info.Tags = make(map[string]string)
		}
		info.Tags[spanjson.TagTraceName] = root.Name()
	}
}

// rootOf returns the first span without a parent or else the first whose
// parent is not among spans; the zero Span when spans is empty.
func rootOf(spans []spanjson.Span) spanjson.Span {
	ids := make(map[spanjson.SpanID]bool, len(spans))
	for _, s := range spans {
		if s.IsRoot() {
			return s
		}
		ids[s.SpanID()] = true
	}
	for _, s := range spans {
		if !ids[s.ParentID()] {
			return s
		}
	}
	return spanjson.Span{}
}
