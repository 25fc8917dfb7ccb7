package spanjson

import (
	"bytes"
	"encoding/json"
	"time"
)

// The trace-level rules: which span is a trace's root, and what a trace's
// id, request time, duration, state and previews are when its input did not
// say (OTLP, a TraceData, a bare span list, a trace assembled from several
// documents or received live). Every reader, the loaders, the manager, the
// receiver and the renderer call these; none keeps a copy.

// RootSpan is the span a trace's info is derived from: the earliest span
// without a parent (then the lowest span id); in a trace without one, the
// earliest span whose parent is not among spans; in a trace of cycles only,
// the earliest span. ok is false only when spans is empty.
func RootSpan(spans []Span) (root Span, ok bool) {
	for _, s := range spans {
		if s.IsRoot() && rootBefore(s, root) {
			root = s
		}
	}
	if !root.IsZero() {
		return root, true
	}
	ids := make(map[SpanID]struct{}, len(spans))
	for _, s := range spans {
		ids[s.SpanID()] = struct{}{}
	}
	for _, s := range spans {
		if _, ok := ids[s.ParentID()]; !ok && rootBefore(s, root) {
			root = s
		}
	}
	if !root.IsZero() {
		return root, true
	}
	for _, s := range spans {
		if rootBefore(s, root) {
			root = s
		}
	}
	return root, !root.IsZero()
}

// rootBefore orders root candidates by start time, then span id; any span
// comes before none.
func rootBefore(a, b Span) bool {
	switch {
	case b.IsZero():
		return true
	case a.d.StartTime != b.d.StartTime:
		return a.d.StartTime < b.d.StartTime
	}
	return bytes.Compare(a.d.SpanID[:], b.d.SpanID[:]) < 0
}

// RootState is the state a trace's root span implies: IN_PROGRESS while it
// runs, ERROR if it failed, OK otherwise.
func RootState(root Span) TraceState { return rootSpanState(root.d) }

func rootSpanState(d *SpanData) TraceState {
	switch {
	case d.EndTime == 0:
		return StateInProgress
	case d.Status.Code == StatusError:
		return StateError
	default:
		return StateOK
	}
}

// spanBounds is what a trace's request time, duration and state come from:
// its root spans (all parentless spans, so a trace of several roots lasts
// from the first root's start to the last root's end), or the one span
// RootSpan picks when no span is parentless.
type spanBounds struct {
	root       Span // RootSpan
	start, end int64
	running    bool // a root has not ended
	failed     bool // a root has status ERROR
}

func boundsOf(spans []Span) (spanBounds, bool) {
	root, ok := RootSpan(spans)
	if !ok {
		return spanBounds{}, false
	}
	b := spanBounds{root: root, start: root.d.StartTime}
	add := func(d *SpanData) {
		if d.EndTime == 0 {
			b.running = true
		}
		b.end = max(b.end, d.EndTime)
		b.failed = b.failed || d.Status.Code == StatusError
	}
	if !root.IsRoot() {
		add(root.d)
		return b, true
	}
	for _, s := range spans {
		if s.IsRoot() {
			add(s.d)
		}
	}
	return b, true
}

func (b spanBounds) state() TraceState {
	switch {
	case b.running:
		return StateInProgress
	case b.failed:
		return StateError
	}
	return StateOK
}

// duration is the time from the first root's start to the last root's end,
// 0 for a root that ends before it starts; ok is false while one runs.
func (b spanBounds) duration() (time.Duration, bool) {
	if b.running {
		return 0, false
	}
	return time.Duration(max(b.end-b.start, 0)), true
}

// DeriveInfo builds the trace info of spans that came without one (an OTLP
// document, a TraceData, a bare span list) or that were assembled from
// several documents: the MLflow id, request time and duration to the
// nanosecond, and the state, from the root spans (see spanBounds); a trace
// written by `tracectl collect` without its root (TagIncomplete) is ERROR.
// schema is the one the spans were read in: MLflow 2 ids are 32 hex digits
// without "tr-". The result has Derived set.
func DeriveInfo(spans []Span, schema Schema) TraceInfo {
	info := TraceInfo{Derived: true, State: StateUnspecified}
	b, ok := boundsOf(spans)
	if !ok {
		return info
	}
	d := b.root.d
	switch {
	case d.Opaque != nil && d.Opaque.TraceID != "":
		info.TraceID = d.Opaque.TraceID
	case schema == SchemaMLflowV2:
		info.TraceID = d.TraceID.String()
	default:
		info.TraceID = d.TraceID.MLflowID()
	}
	if id, ok := commonRequestID(spans); ok {
		// MLflow names the trace in every span: its id is the MLflow one
		// (an MLflow 2 request id survives a trip through OTLP).
		info.TraceID = id
	}
	if b.start != 0 {
		info.RequestTime = unixNanoTime(b.start)
	}
	info.ExecutionDuration, info.HasDuration = b.duration()
	info.State = b.state()
	if why, ok := incompleteMark(spans); ok {
		info.State = StateError
		info.Tags = map[string]string{TagIncomplete: why}
	}
	return info
}

// State is the trace's state: its info's, or, when the info does not say
// (UNSPECIFIED), the one its spans imply (see DeriveInfo).
func (t *Trace) State() TraceState {
	if s := t.Info.State; s != "" && s != StateUnspecified {
		return s
	}
	if b, ok := boundsOf(t.Spans); ok {
		return b.state()
	}
	return StateUnspecified
}

// Duration is the trace's execution duration: its info's, or, when the info
// has none, the one its spans imply (see DeriveInfo); ok is false while the
// trace runs or when it has no spans.
func (t *Trace) Duration() (time.Duration, bool) {
	if t.Info.HasDuration {
		return t.Info.ExecutionDuration, true
	}
	if b, ok := boundsOf(t.Spans); ok {
		return b.duration()
	}
	return 0, false
}

// PreviewOf is a request or response preview made from a root span's
// attribute (AttrInputs or AttrOutputs): its JSON text cut to
// PreviewMaxLength characters, "" when absent. A stored value that is not
// JSON (a producer's plain string) is JSON-encoded first.
func PreviewOf(a Attributes, key string) string {
	raw, ok := a.Raw(key)
	if !ok {
		return ""
	}
	if !json.Valid([]byte(raw)) {
		b, _ := json.Marshal(raw)
		raw = string(b)
	}
	return ClipRunes(raw, PreviewMaxLength)
}

// PreviewOfMetadata is the request or response preview an MLflow 2 trace's
// request metadata gives (MetaTraceInputs or MetaTraceOutputs, where MLflow
// 2 keeps what MLflow 3 calls previews): its text, already JSON or the
// plain text a preview may be, cut to PreviewMaxLength characters.
func PreviewOfMetadata(value string) string { return ClipRunes(value, PreviewMaxLength) }

// ClipRunes returns the first n characters (runes, not bytes) of s.
func ClipRunes(s string, n int) string {
	if len(s) <= n {
		return s // n bytes hold at most n runes
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}
