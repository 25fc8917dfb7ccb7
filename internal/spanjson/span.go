package spanjson

import (
	"encoding/json"
	"time"
)

// Well-known MLflow span attribute keys (formats.md §4).
const (
	AttrTraceRequestID = "mlflow.traceRequestId"
	AttrSpanType       = "mlflow.spanType"
	AttrInputs         = "mlflow.spanInputs"
	AttrOutputs        = "mlflow.spanOutputs"
	AttrFunctionName   = "mlflow.spanFunctionName"
	AttrTokenUsage     = "mlflow.chat.tokenUsage"
	AttrChatUsage      = "mlflow.chat.usage"
	AttrMessageFormat  = "mlflow.message.format"
)

// SpanTypeUnknown is the span type of a span that does not set one.
const SpanTypeUnknown = "UNKNOWN"

// Event is a timestamped span event; exceptions are events named
// "exception" with exception.type/message/stacktrace attributes. Event
// attribute values are JSON text of the plain value.
type Event struct {
	Name              string
	Time              int64 // unix nanoseconds
	Attributes        Attributes
	DroppedAttributes uint32
	Extra             Extras
}

// Link points from a span to another span, possibly of another trace.
type Link struct {
	TraceID           TraceID
	SpanID            SpanID
	TraceState        string
	Flags             uint32
	Attributes        Attributes
	DroppedAttributes uint32
	Opaque            *OpaqueIDs
	Extra             Extras
}

// Resource is the OTLP resource a span was reported with. Spans of one
// resource and scope share the pointers, so a writer can regroup them.
type Resource struct {
	Attributes        Attributes
	DroppedAttributes uint32
	SchemaURL         string
	Extra             Extras
}

// Scope is the OTLP instrumentation scope a span was reported with.
type Scope struct {
	Name              string
	Version           string
	Attributes        Attributes
	DroppedAttributes uint32
	SchemaURL         string
	Extra             Extras
}

// OpaqueIDs keeps the original text of ids that could not be decoded (such
// as "<redacted>"); the span's ids are then stable stand-ins derived from
// that text (OpaqueTraceID, OpaqueSpanID). Empty fields were decodable.
type OpaqueIDs struct {
	TraceID  string
	SpanID   string
	ParentID string
}

// Field is a JSON object member kept verbatim: Value is raw JSON.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Extras are the members of an input object the model has no field for,
// kept so that a write in the same schema loses nothing. Schema says which
// schema they belong to; a writer of another schema reports them as lost.
type Extras struct {
	Schema Schema
	Fields []Field
}

// SpanData is the plain, mutable description of a span, used to build an
// immutable Span (NewSpan) and to read one back whole (Span.Data). Slices
// and pointers in it are shared, never modified after NewSpan.
type SpanData struct {
	TraceID    TraceID
	SpanID     SpanID
	ParentID   SpanID // zero for a root
	Name       string
	StartTime  int64 // unix nanoseconds
	EndTime    int64 // unix nanoseconds; 0 while the span runs
	Status     Status
	Kind       SpanKind
	TraceState string
	Attributes Attributes
	Events     []Event
	Links      []Link

	// Flags sits with the other 4-byte fields (no padding after them).
	Flags             uint32
	DroppedAttributes uint32
	DroppedEvents     uint32
	DroppedLinks      uint32

	Resource *Resource // OTLP origin; nil for spans read from MLflow dicts
	Scope    *Scope
	Opaque   *OpaqueIDs
	Extra    Extras
}

// Span is an immutable span. It is a small handle: copies share the same
// data and decode cache, and all methods are safe for concurrent use. The
// zero Span is invalid (IsZero).
type Span struct{ d *spanData }

// spanData is what a Span holds: SpanData's fields that most spans have,
// and the others behind rare, which is nil when they are all zero (most
// MLflow spans, most OTLP spans without events). A SpanData is 248 bytes,
// this 120: the model of a 1,000,000-span trace was 1.24 times its file,
// of which SpanData made a third.
type spanData struct {
	TraceID    TraceID
	SpanID     SpanID
	ParentID   SpanID
	Name       string
	StartTime  int64
	EndTime    int64
	statusMsg  string
	Attributes Attributes
	Resource   *Resource
	Scope      *Scope
	rare       *spanRare
	Flags      uint32
	statusCode StatusCode
	Kind       SpanKind
}

// spanRare are the fields of SpanData that most spans leave zero. Empty
// events and links lists are kept as nil: whether the input had them is
// in Extra (see finishSpan).
type spanRare struct {
	TraceState        string
	Events            []Event
	Links             []Link
	DroppedAttributes uint32
	DroppedEvents     uint32
	DroppedLinks      uint32
	Opaque            *OpaqueIDs
	Extra             Extras
}

// hasRare reports whether d has a field that spanRare holds.
func hasRare(d *SpanData) bool {
	return d.TraceState != "" || len(d.Events) > 0 || len(d.Links) > 0 ||
		d.DroppedAttributes != 0 || d.DroppedEvents != 0 || d.DroppedLinks != 0 ||
		d.Opaque != nil || d.Extra.Schema != "" || len(d.Extra.Fields) > 0
}

// fill sets s from d; rare is where d's rare fields go, nil when it has
// none (hasRare).
func (s *spanData) fill(d *SpanData, rare *spanRare) {
	*s = spanData{
		TraceID: d.TraceID, SpanID: d.SpanID, ParentID: d.ParentID, Name: d.Name,
		StartTime: d.StartTime, EndTime: d.EndTime, statusMsg: d.Status.Message,
		Attributes: d.Attributes, Resource: d.Resource, Scope: d.Scope,
		Flags: d.Flags, statusCode: d.Status.Code, Kind: d.Kind,
	}
	if rare == nil {
		return
	}
	*rare = spanRare{
		TraceState: d.TraceState, Events: d.Events, Links: d.Links,
		DroppedAttributes: d.DroppedAttributes, DroppedEvents: d.DroppedEvents, DroppedLinks: d.DroppedLinks,
		Opaque: d.Opaque, Extra: d.Extra,
	}
	if len(rare.Events) == 0 {
		rare.Events = nil
	}
	if len(rare.Links) == 0 {
		rare.Links = nil
	}
	s.rare = rare
}

// data is s as a SpanData.
func (s *spanData) data() SpanData {
	d := SpanData{
		TraceID: s.TraceID, SpanID: s.SpanID, ParentID: s.ParentID, Name: s.Name,
		StartTime: s.StartTime, EndTime: s.EndTime, Status: s.status(),
		Attributes: s.Attributes, Resource: s.Resource, Scope: s.Scope, Flags: s.Flags, Kind: s.Kind,
	}
	if r := s.rare; r != nil {
		d.TraceState, d.Events, d.Links = r.TraceState, r.Events, r.Links
		d.DroppedAttributes, d.DroppedEvents, d.DroppedLinks = r.DroppedAttributes, r.DroppedEvents, r.DroppedLinks
		d.Opaque, d.Extra = r.Opaque, r.Extra
	}
	return d
}

// opaque is the span's OpaqueIDs, nil when its ids were decodable.
func (s *spanData) opaque() *OpaqueIDs {
	if s.rare == nil {
		return nil
	}
	return s.rare.Opaque
}

// status is the span's status, from the code and message kept apart.
func (s *spanData) status() Status { return Status{Code: s.statusCode, Message: s.statusMsg} }

// NewSpan builds an immutable span from d (copied).
func NewSpan(d SpanData) Span {
	var rare *spanRare
	if hasRare(&d) {
		rare = new(spanRare)
	}
	s := new(spanData)
	s.fill(&d, rare)
	return Span{d: s}
}

// IsZero reports whether s is the zero Span.
func (s Span) IsZero() bool { return s.d == nil }

// Data returns a copy of the span's description; its slices are shared and
// must not be modified. An empty events or links list is nil.
func (s Span) Data() SpanData { return s.d.data() }

func (s Span) TraceID() TraceID       { return s.d.TraceID }
func (s Span) SpanID() SpanID         { return s.d.SpanID }
func (s Span) ParentID() SpanID       { return s.d.ParentID }
func (s Span) IsRoot() bool           { return s.d.ParentID.IsZero() }
func (s Span) Name() string           { return s.d.Name }
func (s Span) StartTime() int64       { return s.d.StartTime }
func (s Span) EndTime() int64         { return s.d.EndTime }
func (s Span) Status() Status         { return s.d.status() }
func (s Span) Kind() SpanKind         { return s.d.Kind }
func (s Span) Attributes() Attributes { return s.d.Attributes }

// Events are the span's events; nil when it has none.
func (s Span) Events() []Event {
	if s.d.rare == nil {
		return nil
	}
	return s.d.rare.Events
}

// Links are the span's links; nil when it has none.
func (s Span) Links() []Link {
	if s.d.rare == nil {
		return nil
	}
	return s.d.rare.Links
}

// Resource is the OTLP resource the span was reported with (Jaeger
// processes, Zipkin endpoints and console resources read as one); nil for
// spans read from MLflow dicts.
func (s Span) Resource() *Resource { return s.d.Resource }

// Scope is the OTLP instrumentation scope the span was reported with; nil
// when there was none.
func (s Span) Scope() *Scope { return s.d.Scope }

// Duration is end minus start; 0 for a span that has not ended.
func (s Span) Duration() time.Duration {
	if s.d.EndTime == 0 || s.d.EndTime < s.d.StartTime {
		return 0
	}
	return time.Duration(s.d.EndTime - s.d.StartTime)
}

// SpanType returns mlflow.spanType, or UNKNOWN when unset.
func (s Span) SpanType() string { return spanTypeOf(s.d.Attributes) }

// Inputs returns the decoded mlflow.spanInputs.
func (s Span) Inputs() (any, bool) { return s.d.Attributes.Get(AttrInputs) }

// Outputs returns the decoded mlflow.spanOutputs.
func (s Span) Outputs() (any, bool) { return s.d.Attributes.Get(AttrOutputs) }

// FunctionName returns mlflow.spanFunctionName, or "".
func (s Span) FunctionName() string {
	v, _ := s.d.Attributes.String(AttrFunctionName)
	return v
}

// TokenUsage returns the span's token counts from mlflow.chat.tokenUsage (or
// the mlflow.chat.usage spelling).
func (s Span) TokenUsage() (TokenUsage, bool) { return tokenUsageOf(s.d.Attributes) }

// Exception returns the type and message of the span's first exception
// event.
func (s Span) Exception() (typ, msg string, ok bool) {
	for _, e := range s.Events() {
		if e.Name == "exception" {
			typ, _ = e.Attributes.String("exception.type")
			msg, _ = e.Attributes.String("exception.message")
			return typ, msg, true
		}
	}
	return "", "", false
}

// ErrorText is what a span says about its failure: "type: message" of its
// first exception event (either part alone when the other is empty), else
// its status message; "" when it says nothing. show, check and diff print
// it.
func (s Span) ErrorText() string {
	if typ, msg, ok := s.Exception(); ok {
		switch {
		case typ != "" && msg != "":
			return typ + ": " + msg
		case typ != "":
			return typ
		case msg != "":
			return msg
		}
	}
	return s.d.statusMsg
}

// TokenUsage counts an LLM call's tokens.
type TokenUsage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	TotalTokens  int64 `json:"total_tokens"`
}

func spanTypeOf(a Attributes) string {
	if t, ok := a.String(AttrSpanType); ok && t != "" {
		return t
	}
	return SpanTypeUnknown
}

func tokenUsageOf(a Attributes) (TokenUsage, bool) {
	for _, key := range []string{AttrTokenUsage, AttrChatUsage} {
		raw, ok := a.Raw(key)
		if !ok {
			continue
		}
		var u TokenUsage
		if err := json.Unmarshal([]byte(raw), &u); err == nil {
			if u.TotalTokens == 0 {
				u.TotalTokens = u.InputTokens + u.OutputTokens
			}
			return u, true
		}
	}
	return TokenUsage{}, false
}
