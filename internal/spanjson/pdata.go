package spanjson

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// PdataResult is what SpansFromPdata made of an OTLP export request.
type PdataResult struct {
	Spans    []Span
	Rejected int    // spans that could not be taken (empty trace or span id)
	Reason   string // why the first rejected span was rejected; "" if none were
}

// SpansFromPdata converts the spans of an OTLP request, as decoded by the
// collector's pdata modules, into the model. It follows the attribute rules
// of the OTLP JSON reader (BRIEF "shared decisions"), so a span received as
// protobuf and the same span read from OTLP JSON give equal SpanData. A
// span with an all-zero trace id or span id cannot be placed in a trace and
// is rejected (counted, not returned).
func SpansFromPdata(td ptrace.Traces) PdataResult {
	var res PdataResult
	res.Spans = make([]Span, 0, td.SpanCount())
	c := &pdataConv{}
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rs := rss.At(i)
		res0 := c.resource(rs)
		sss := rs.ScopeSpans()
		for j := range sss.Len() {
			ss := sss.At(j)
			scope := c.scope(ss)
			spans := ss.Spans()
			c.reserve(spans)
			for k := range spans.Len() {
				ps := spans.At(k)
				if reason := PdataIDProblem(ps); reason != "" {
					if res.Rejected == 0 {
						res.Reason = reason
					}
					res.Rejected++
					continue
				}
				res.Spans = append(res.Spans, c.span(ps, res0, scope))
			}
		}
	}
	return res
}

// PdataIDProblem says why an OTLP span cannot be placed in a trace (an
// all-zero trace id or span id), "" when it can: the one rule of collect's
// receiver and of send, which does not send such a span.
func PdataIDProblem(ps ptrace.Span) string {
	switch {
	case ps.TraceID().IsEmpty():
		return fmt.Sprintf("span %q (span id %s): empty trace id", ps.Name(), SpanID(ps.SpanID()))
	case ps.SpanID().IsEmpty():
		return fmt.Sprintf("span %q (trace id %s): empty span id", ps.Name(), TraceID(ps.TraceID()))
	}
	return ""
}

// pdataConv converts one request. Span attribute lists are cut from one
// array per scope, which saves an allocation per span; the array lives as
// long as any of its spans.
type pdataConv struct {
	arena []Attribute
}

// reserve sizes the arena for the span attributes of spans.
func (c *pdataConv) reserve(spans ptrace.SpanSlice) {
	n := 0
	for i := range spans.Len() {
		n += spans.At(i).Attributes().Len()
	}
	c.arena = make([]Attribute, 0, n)
}

func (c *pdataConv) resource(rs ptrace.ResourceSpans) *Resource {
	r := rs.Resource()
	return &Resource{
		Attributes:        attributesFromPdata(r.Attributes(), false),
		DroppedAttributes: r.DroppedAttributesCount(),
		SchemaURL:         rs.SchemaUrl(),
	}
}

func (c *pdataConv) scope(ss ptrace.ScopeSpans) *Scope {
	s := ss.Scope()
	return &Scope{
		Name:              s.Name(),
		Version:           s.Version(),
		Attributes:        attributesFromPdata(s.Attributes(), false),
		DroppedAttributes: s.DroppedAttributesCount(),
		SchemaURL:         ss.SchemaUrl(),
	}
}

func (c *pdataConv) span(ps ptrace.Span, r *Resource, sc *Scope) Span {
	d := SpanData{
		TraceID:    TraceID(ps.TraceID()),
		SpanID:     SpanID(ps.SpanID()),
		ParentID:   SpanID(ps.ParentSpanID()),
		Name:       ps.Name(),
		StartTime:  int64(ps.StartTimestamp()),
		EndTime:    int64(ps.EndTimestamp()),
		Status:     Status{Code: StatusCode(ps.Status().Code()), Message: ps.Status().Message()},
		Kind:       SpanKind(ps.Kind()),
		TraceState: ps.TraceState().AsRaw(),
		Flags:      ps.Flags(),
		Attributes: c.spanAttributes(ps.Attributes()),

		DroppedAttributes: ps.DroppedAttributesCount(),
		DroppedEvents:     ps.DroppedEventsCount(),
		DroppedLinks:      ps.DroppedLinksCount(),

		Resource: r,
		Scope:    sc,
	}
	if evs := ps.Events(); evs.Len() > 0 {
		d.Events = make([]Event, evs.Len())
		for i := range evs.Len() {
			e := evs.At(i)
			d.Events[i] = Event{
				Name:              e.Name(),
				Time:              int64(e.Timestamp()),
				Attributes:        attributesFromPdata(e.Attributes(), true),
				DroppedAttributes: e.DroppedAttributesCount(),
			}
		}
	}
	if ls := ps.Links(); ls.Len() > 0 {
		d.Links = make([]Link, ls.Len())
		for i := range ls.Len() {
			l := ls.At(i)
			d.Links[i] = Link{
				TraceID:           TraceID(l.TraceID()),
				SpanID:            SpanID(l.SpanID()),
				TraceState:        l.TraceState().AsRaw(),
				Flags:             l.Flags(),
				Attributes:        attributesFromPdata(l.Attributes(), true),
				DroppedAttributes: l.DroppedAttributesCount(),
			}
		}
	}
	return NewSpan(d)
}

// spanAttributes converts a span's attributes into the arena.
func (c *pdataConv) spanAttributes(m pcommon.Map) Attributes {
	if m.Len() == 0 {
		return Attributes{}
	}
	start := len(c.arena)
	if cap(c.arena)-start < m.Len() {
		c.arena = make([]Attribute, 0, m.Len()) // not reserved: own array
		start = 0
	}
	for k, v := range m.All() {
		val, typ := valueFromPdata(v)
		c.arena = append(c.arena, Attribute{Key: k, Value: val, Type: typ})
	}
	return NewAttributes(c.arena[start:len(c.arena):len(c.arena)])
}

// attributesFromPdata converts an OTLP attribute map. plain is set for event
// and link attributes, whose string values are stored JSON-quoted.
func attributesFromPdata(m pcommon.Map, plain bool) Attributes {
	if m.Len() == 0 {
		return Attributes{}
	}
	list := make([]Attribute, 0, m.Len())
	for k, v := range m.All() {
		val, typ := valueFromPdata(v)
		if plain && typ == ValueString {
			val = string(appendJSONText(nil, val))
		}
		list = append(list, Attribute{Key: k, Value: val, Type: typ})
	}
	return NewAttributes(list)
}

// valueFromPdata applies the OTLP AnyValue rule: a string is kept as is,
// every other kind becomes its JSON text.
func valueFromPdata(v pcommon.Value) (string, ValueType) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str(), ValueString
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.Bool()), ValueBool
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10), ValueInt
	case pcommon.ValueTypeDouble:
		return string(pdataAppendDouble(nil, v.Double())), ValueDouble
	case pcommon.ValueTypeBytes:
		return string(appendJSONText(nil, base64.StdEncoding.EncodeToString(v.Bytes().AsRaw()))), ValueBytes
	case pcommon.ValueTypeSlice:
		return string(pdataAppendPlain(nil, v)), ValueArray
	case pcommon.ValueTypeMap:
		return string(pdataAppendPlain(nil, v)), ValueKVList
	}
	// An AnyValue with no value set: JSON null.
	return "null", ValueJSON
}

// pdataAppendPlain appends the plain JSON value of v (used inside arrays and
// kvlists, where strings are quoted).
func pdataAppendPlain(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONText(dst, v.Str())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return pdataAppendDouble(dst, v.Double())
	case pcommon.ValueTypeBytes:
		return appendJSONText(dst, base64.StdEncoding.EncodeToString(v.Bytes().AsRaw()))
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = append(dst, '[')
		for i := range s.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = pdataAppendPlain(dst, s.At(i))
		}
		return append(dst, ']')
	case pcommon.ValueTypeMap:
		dst = append(dst, '{')
		first := true
		for k, e := range v.Map().All() {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendJSONText(dst, k)
			dst = append(dst, ':')
			dst = pdataAppendPlain(dst, e)
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

// pdataAppendDouble appends f as JSON number text that always shows it is a
// double: the shortest round-trip form as encoding/json writes it, with
// ".0" added to integral values (2 → "2.0"). NaN and ±Inf, which JSON
// cannot hold, become the JSON strings "NaN", "Infinity" and "-Infinity",
// as the OTLP JSON reader stores their proto-JSON spelling.
func pdataAppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(dst) - start
		if n >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-3] == '-' && dst[len(dst)-2] == '0' {
			dst[len(dst)-2] = dst[len(dst)-1]
			dst = dst[:len(dst)-1]
		}
		return dst
	}
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}
