package spanjson

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// ActiveSpan is what a running program holds while a span is open. It is met
// by *LiveSpan and by NoOpSpan, so instrumented code never needs to know
// whether tracing is on.
type ActiveSpan interface {
	SpanID() string  // 16 lower-case hex digits; "" for a NoOpSpan
	TraceID() string // the MLflow id, "tr-…"; "" for a NoOpSpan
	ParentID() string
	Name() string

	SetInputs(v any)
	SetOutputs(v any)
	SetAttribute(key string, v any)
	SetAttributes(attrs map[string]any)
	SetSpanType(spanType string)
	SetStatus(code StatusCode, message string)
	AddEvent(name string, attrs map[string]any)
	RecordException(err error)
	End()
}

var (
	_ ActiveSpan = (*LiveSpan)(nil)
	_ ActiveSpan = NoOpSpan{}
)

// LiveSpan is the mutable span of a running program. All methods are safe
// for concurrent use; reads always see the latest write (no cached values).
//
// A live span made by LiveSpanFrom is copy-on-write: it reads the immutable
// span's data until its first change, which makes a private copy, and
// ToImmutable of a span that never changed returns the original Span. So
// feeding a decoded span through the manager copies nothing.
type LiveSpan struct {
	mu sync.Mutex
	// src is the span a LiveSpanFrom span was made from, shared until the
	// live span first changes; for NewLiveSpan, the span's identity alone.
	// Nothing in it is ever written, and its identity (ids, name, start
	// time), which never changes, is read without the lock.
	src *spanData
	// own is the data the live span may write, guarded by mu: made by
	// NewLiveSpan, nil while a LiveSpanFrom span still shares its source,
	// then a private copy. Its attributes are kept in attrs. (Kept apart
	// from the shared fields, a live span that never changes is 24 bytes:
	// the manager holds one per span of every trace it registers.)
	own *liveData
}

// liveData is a live span's private data.
type liveData struct {
	SpanData
	attrs []Attribute
}

// NewLiveSpan starts a span. A zero parentID makes a root span.
func NewLiveSpan(otelTraceID TraceID, spanID SpanID, parentID SpanID, name string, start time.Time) *LiveSpan {
	o := &liveData{SpanData: SpanData{
		TraceID:   otelTraceID,
		SpanID:    spanID,
		ParentID:  parentID,
		Name:      name,
		StartTime: start.UnixNano(),
		Kind:      SpanKindInternal,
	}}
	src := &spanData{TraceID: otelTraceID, SpanID: spanID, ParentID: parentID, Name: name, StartTime: o.StartTime}
	return &LiveSpan{src: src, own: o}
}

// LiveSpanFrom makes a live span holding everything s holds, for feeding a
// decoded span through the manager. It copies nothing: s's data is shared
// until the live span first changes (see LiveSpan). A zero s gives a live
// span with zero ids.
func LiveSpanFrom(s Span) *LiveSpan {
	return &LiveSpan{src: s.liveSource()}
}

// LiveSpansFrom appends to dst a live span made from each of spans, as
// LiveSpanFrom makes it, all in one allocation: the manager holds a live
// span for every span of every trace it loads, and one allocation each
// was a third of the objects `tracectl status` allocated over 20,000
// traces (876,000 of 2.6 million). The block lives as long as any of its
// spans.
func LiveSpansFrom(dst []*LiveSpan, spans []Span) []*LiveSpan {
	block := make([]LiveSpan, len(spans))
	for i, s := range spans {
		block[i].src = s.liveSource()
		dst = append(dst, &block[i])
	}
	return dst
}

// liveSource is the data a live span made from s reads until it changes:
// s's own, or empty data (zero ids) for a zero s.
func (s Span) liveSource() *spanData {
	if s.d == nil {
		return &spanData{}
	}
	return s.d
}

// ownLocked returns the data the live span may write, making the private
// copy of a shared source first; l.mu is held. The copy owns its events,
// links and attribute lists: a decoder allocates spans, attribute sets and
// events in shared blocks, and one reference into a block would keep the
// whole block alive after the source span is gone.
func (l *LiveSpan) ownLocked() *SpanData {
	if l.own != nil {
		return &l.own.SpanData
	}
	d := l.src.data()
	attrs := d.Attributes.List()
	d.Attributes = Attributes{} // kept in attrs
	if len(d.Events) > 0 {
		events := make([]Event, len(d.Events))
		for i, e := range d.Events {
			e.Attributes = NewAttributes(e.Attributes.List())
			events[i] = e
		}
		d.Events = events
	}
	if len(d.Links) > 0 {
		links := make([]Link, len(d.Links))
		for i, lk := range d.Links {
			lk.Attributes = NewAttributes(lk.Attributes.List())
			links[i] = lk
		}
		d.Links = links
	}
	l.own = &liveData{SpanData: d, attrs: attrs}
	return &l.own.SpanData
}

// endLocked is the current end time; l.mu is held.
func (l *LiveSpan) endLocked() int64 {
	if l.own != nil {
		return l.own.EndTime
	}
	return l.src.EndTime
}

func (l *LiveSpan) SpanID() string  { return l.src.SpanID.String() }
func (l *LiveSpan) TraceID() string { return l.src.TraceID.MLflowID() }

// ParentID returns the parent's 16 hex digits, or "" for a root.
func (l *LiveSpan) ParentID() string {
	if l.src.ParentID.IsZero() {
		return ""
	}
	return l.src.ParentID.String()
}

func (l *LiveSpan) Name() string { return l.src.Name }

// OTelTraceID returns the OpenTelemetry trace id.
func (l *LiveSpan) OTelTraceID() TraceID { return l.src.TraceID }

// OTelSpanID returns the span id.
func (l *LiveSpan) OTelSpanID() SpanID { return l.src.SpanID }

// OTelParentID returns the parent span id (zero for a root).
func (l *LiveSpan) OTelParentID() SpanID { return l.src.ParentID }

// StartTime returns the start in unix nanoseconds.
func (l *LiveSpan) StartTime() int64 { return l.src.StartTime }

// EndTime returns the end in unix nanoseconds, 0 while running.
func (l *LiveSpan) EndTime() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.endLocked()
}

// Ended reports whether End has been called.
func (l *LiveSpan) Ended() bool { return l.EndTime() != 0 }

// Status returns the current status.
func (l *LiveSpan) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.own != nil {
		return l.own.Status
	}
	return l.src.status()
}

// Attribute returns the decoded current value of key.
func (l *LiveSpan) Attribute(key string) (any, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.own == nil {
		raw, ok := l.src.Attributes.Raw(key)
		if !ok {
			return nil, false
		}
		return DecodeValue(raw), true
	}
	for _, a := range l.own.attrs {
		if a.Key == key {
			return DecodeValue(a.Value), true
		}
	}
	return nil, false
}

// Inputs returns the decoded current inputs.
func (l *LiveSpan) Inputs() (any, bool) { return l.Attribute(AttrInputs) }

// Outputs returns the decoded current outputs.
func (l *LiveSpan) Outputs() (any, bool) { return l.Attribute(AttrOutputs) }

// SpanType returns the current span type, UNKNOWN when unset.
func (l *LiveSpan) SpanType() string {
	v, ok := l.Attribute(AttrSpanType)
	if s, isStr := v.(string); ok && isStr && s != "" {
		return s
	}
	return SpanTypeUnknown
}

func (l *LiveSpan) setRawLocked(key, raw string) {
	l.ownLocked()
	o := l.own
	for i := range o.attrs {
		if o.attrs[i].Key == key {
			o.attrs[i] = Attribute{Key: key, Value: raw}
			return
		}
	}
	o.attrs = append(o.attrs, Attribute{Key: key, Value: raw})
}

// SetAttribute JSON-encodes v and stores it under key.
func (l *LiveSpan) SetAttribute(key string, v any) {
	raw := EncodeValue(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setRawLocked(key, raw)
}

// SetAttributes sets several attributes, in key order for determinism.
func (l *LiveSpan) SetAttributes(attrs map[string]any) {
	for _, k := range sortedKeys(attrs) {
		l.SetAttribute(k, attrs[k])
	}
}

func (l *LiveSpan) SetInputs(v any)             { l.SetAttribute(AttrInputs, v) }
func (l *LiveSpan) SetOutputs(v any)            { l.SetAttribute(AttrOutputs, v) }
func (l *LiveSpan) SetSpanType(spanType string) { l.SetAttribute(AttrSpanType, spanType) }

// SetStatus sets the status code and message.
func (l *LiveSpan) SetStatus(code StatusCode, message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ownLocked().Status = Status{Code: code, Message: message}
}

// AddEvent records an event now.
func (l *LiveSpan) AddEvent(name string, attrs map[string]any) {
	l.AddEventAt(name, time.Now(), attrs)
}

// AddEventAt records an event at t.
func (l *LiveSpan) AddEventAt(name string, t time.Time, attrs map[string]any) {
	list := make([]Attribute, 0, len(attrs))
	for _, k := range sortedKeys(attrs) {
		list = append(list, Attribute{Key: k, Value: EncodeValue(attrs[k])})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.ownLocked()
	d.Events = append(d.Events, Event{Name: name, Time: t.UnixNano(), Attributes: NewAttributes(list)})
}

// RecordException adds an "exception" event (OTel semantic conventions) and
// sets the status to ERROR with the error's message. A nil err is ignored.
func (l *LiveSpan) RecordException(err error) {
	if err == nil {
		return
	}
	typ := reflect.TypeOf(err).String()
	var unwrapped interface{ Unwrap() error }
	if errors.As(err, &unwrapped) && unwrapped.Unwrap() != nil {
		typ = reflect.TypeOf(unwrapped.Unwrap()).String()
	}
	l.AddEvent("exception", map[string]any{
		"exception.type":    typ,
		"exception.message": err.Error(),
		"exception.escaped": "False",
	})
	l.SetStatus(StatusError, fmt.Sprintf("%s: %s", typ, err.Error()))
}

// End ends the span now; a second End keeps the first end time.
func (l *LiveSpan) End() { l.EndAt(time.Now()) }

// EndAt ends the span at t; a span that has ended stays as it was.
func (l *LiveSpan) EndAt(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.endLocked() == 0 {
		d := l.ownLocked()
		d.EndTime = max(t.UnixNano(), d.StartTime)
	}
}

// ToImmutable returns a snapshot of the span as an immutable Span. A span
// made by LiveSpanFrom that never changed returns its source Span itself.
func (l *LiveSpan) ToImmutable() Span {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.own == nil {
		return Span{d: l.src}
	}
	d := l.own.SpanData
	d.Attributes = NewAttributes(append([]Attribute(nil), l.own.attrs...))
	d.Events = append([]Event(nil), l.own.Events...)
	return NewSpan(d)
}

// NoOpSpan is the span callers get when tracing is off or a span could not
// be made. Its zero value is ready to use; every method does nothing and the
// ids are empty.
type NoOpSpan struct{}

func (NoOpSpan) SpanID() string                  { return "" }
func (NoOpSpan) TraceID() string                 { return "" }
func (NoOpSpan) ParentID() string                { return "" }
func (NoOpSpan) Name() string                    { return "" }
func (NoOpSpan) SetInputs(any)                   {}
func (NoOpSpan) SetOutputs(any)                  {}
func (NoOpSpan) SetAttribute(string, any)        {}
func (NoOpSpan) SetAttributes(map[string]any)    {}
func (NoOpSpan) SetSpanType(string)              {}
func (NoOpSpan) SetStatus(StatusCode, string)    {}
func (NoOpSpan) AddEvent(string, map[string]any) {}
func (NoOpSpan) RecordException(error)           {}
func (NoOpSpan) End()                            {}
