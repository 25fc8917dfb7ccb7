package spanjson

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Zipkin v2 JSON (formats-more.md §3): a list of spans (the API's
// ListOfSpans, traces mixed in any order) or one span object.
//
// Records are read into zipkinSpans first, because the model of one span
// can depend on others: two records of one span are merged, the server half
// of a shared client/server span gets its own id under the client
// (zipkin_shared.go), and 64-bit trace ids join their 128-bit form. Then
// each becomes a model span: ids padded to 32/16 hex, times µs → ns (a
// missing timestamp or duration is marked, not made up), status from
// otel.status_code / otel.status_description and the error tag, kind,
// annotations → events, localEndpoint → the resource (service.name),
// remoteEndpoint → peer.service / network.peer.* attributes, tags →
// string attributes. Traces get their info from DeriveInfo.

// Attributes the Zipkin reader adds.
const (
	AttrZipkinShared         = "zipkin.shared"           // the span's "shared" flag
	AttrZipkinDebug          = "zipkin.debug"            // the span's "debug" flag
	AttrZipkinOriginalSpanID = "zipkin.original_span_id" // the id a shared server half was written with
	zipkinLocalPrefix        = "zipkin.local_endpoint."
	zipkinRemotePrefix       = "zipkin.remote_endpoint."
)

// zipkinSpan is one Zipkin record on its way to the model.
type zipkinSpan struct {
	at         int // index of the record in the document
	trace      TraceID
	id, parent SpanID
	opaque     *OpaqueIDs
	name       string
	kind       SpanKind
	start, dur int64 // ns
	hasStart   bool
	hasDur     bool
	badTime    bool // an unreadable timestamp or duration, warned about
	shared     *bool
	debug      *bool
	local      gjson.Result // endpoint objects
	remote     gjson.Result
	service    string // local serviceName
	events     []Event
	tags       []Attribute
	extra      []Field
	marks      spanProblems
	originalID string // set on a shared server half given a new id
	merged     bool   // folded into another record: dropped
}

// isZipkinSpan reports whether v is a Zipkin v2 span: "traceId" and "id",
// no "spanId" or "context" (OTLP, MLflow), no "binaryAnnotations" (v1).
func isZipkinSpan(v gjson.Result) bool {
	if !v.IsObject() {
		return false
	}
	var trace, id, other bool
	v.ForEach(func(k, _ gjson.Result) bool {
		switch k.Str {
		case "traceId":
			trace = true
		case "id":
			id = true
		case "spanId", "span_id", "context", "binaryAnnotations":
			other = true
		}
		return true
	})
	return trace && id && !other
}

// isZipkinV1Span reports whether v is a Zipkin v1 span (not read).
func isZipkinV1Span(v gjson.Result) bool {
	return v.IsObject() && v.Get("traceId").Exists() && v.Get("id").Exists() && v.Get("binaryAnnotations").Exists()
}

// isZipkinSpanObject is the single-span test of formats-more.md §1: a
// Zipkin span with one of the members that tell it from other "id"
// objects.
func isZipkinSpanObject(v gjson.Result) bool {
	if !isZipkinSpan(v) {
		return false
	}
	found := false
	v.ForEach(func(k, _ gjson.Result) bool {
		switch k.Str {
		case "localEndpoint", "kind", "timestamp", "parentId":
			found = true
		}
		return !found
	})
	return found
}

// zipkinSpans decodes a list of Zipkin spans (one span object: a list of
// one).
func (p *reader) zipkinSpans(items []gjson.Result, doc *Document, shape string) {
	p.schema = SchemaZipkin
	doc.Schema, doc.Shape = SchemaZipkin, shape
	zs := make([]zipkinSpan, 0, len(items))
	for _, it := range items {
		if !it.IsObject() {
			p.warn(it.Index, "an array item is not a Zipkin span object: skipped")
			continue
		}
		zs = append(zs, p.zipkinRecord(it))
	}
	p.widenZipkinTraceIDs(zs)
	p.mergeZipkinFragments(zs)
	p.splitZipkinShared(zs)
	z := zipkinBuilder{p: p, resources: map[string]*Resource{}}
	spans := make([]Span, 0, len(zs))
	for i := range zs {
		if !zs[i].merged {
			spans = append(spans, z.span(&zs[i]))
		}
	}
	doc.Traces = p.groupTraces(spans, nil)
}

// zipkinRecord reads one span object.
func (p *reader) zipkinRecord(v gjson.Result) zipkinSpan {
	s := zipkinSpan{at: v.Index}
	var traceID, id, parentID, kind, ts, dur gjson.Result
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "traceId":
			traceID = x
		case "id":
			id = x
		case "parentId":
			parentID = x
		case "name":
			s.name = p.str(x)
		case "kind":
			kind = x
		case "timestamp":
			ts = x
		case "duration":
			dur = x
		case "debug":
			s.debug = p.zipkinFlag(x, "debug")
		case "shared":
			s.shared = p.zipkinFlag(x, "shared")
		case "localEndpoint":
			s.local = p.zipkinEndpoint(x, "localEndpoint")
			s.service = p.str(s.local.Get("serviceName"))
		case "remoteEndpoint":
			s.remote = p.zipkinEndpoint(x, "remoteEndpoint")
		case "annotations":
			s.events = p.zipkinAnnotations(x, &s)
		case "tags":
			s.tags = p.zipkinTags(x)
		default:
			s.extra = append(s.extra, p.field(k, x))
		}
		return true
	})
	if !traceID.Exists() || !id.Exists() {
		p.warn(v.Index, "a Zipkin span without traceId or id: read with a zero id")
	}
	s.trace = p.hexTraceID(traceID, p.idText(traceID), &s.opaque, "trace id")
	s.id = p.hexSpanID(id, p.idText(id), &s.opaque, false, "span id")
	if parentID.Exists() {
		s.parent = p.hexSpanID(parentID, p.idText(parentID), &s.opaque, true, "parent id")
		if s.parent == s.id && !s.id.IsZero() {
			p.warn(parentID.Index, fmt.Sprintf("span %q names itself as its parent: read as a root", clip(s.name)))
			s.parent = SpanID{}
			if s.opaque != nil {
				s.opaque.ParentID = ""
			}
		}
	}
	switch {
	case kind.Type == gjson.String:
		switch k := strings.ToUpper(kind.Str); k {
		case "CLIENT", "SERVER", "PRODUCER", "CONSUMER":
			s.kind, _ = ParseSpanKind(k)
		default:
			p.warn(kind.Index, fmt.Sprintf("span %q: unknown kind %s: kept as member \"kind\"", clip(s.name), clip(kind.Raw)))
			s.extra = append(s.extra, Field{Key: "kind", Value: p.rawJSON(kind)})
		}
	case kind.Exists() && kind.Type != gjson.Null:
		p.warn(kind.Index, fmt.Sprintf("span %q: kind %s is not a string: kept as member \"kind\"", clip(s.name), clip(kind.Raw)))
		s.extra = append(s.extra, Field{Key: "kind", Value: p.rawJSON(kind)})
	default:
		// The collector reads an in-process span's kind from this tag.
		for _, a := range s.tags {
			if a.Key == "span.kind" && strings.EqualFold(a.Value, "internal") {
				s.kind = SpanKindInternal
			}
		}
	}
	if ts.Exists() && ts.Type != gjson.Null {
		n, ok := micros(ts)
		switch {
		case !ok:
			s.badTime = true
			p.unreadable(&s.marks, ts, s.name, fmt.Sprintf("timestamp %s is not a time in microseconds", clip(ts.Raw)), "its start is unknown")
		case n > 0:
			s.start, s.hasStart = n, true
		}
	}
	if dur.Exists() && dur.Type != gjson.Null {
		if n, ok := micros(dur); ok {
			s.dur, s.hasDur = n, true
		} else {
			s.badTime = true
			p.unreadable(&s.marks, dur, s.name, fmt.Sprintf("duration %s is not a duration in microseconds", clip(dur.Raw)), "read as zero-length")
		}
	}
	return s
}

// zipkinFlag reads the debug or shared flag.
func (p *reader) zipkinFlag(v gjson.Result, name string) *bool {
	switch v.Type {
	case gjson.True, gjson.False:
		b := v.Type == gjson.True
		return &b
	case gjson.String:
		if b, err := strconv.ParseBool(v.Str); err == nil {
			return &b
		}
	case gjson.Null:
		return nil
	}
	p.warn(v.Index, fmt.Sprintf("%q is %s, not true or false: ignored", name, clip(v.Raw)))
	return nil
}

func (p *reader) zipkinEndpoint(v gjson.Result, name string) gjson.Result {
	if v.IsObject() {
		return v
	}
	if v.Type != gjson.Null {
		p.warn(v.Index, fmt.Sprintf("%q is not an object: ignored", name))
	}
	return gjson.Result{}
}

// zipkinAnnotations reads annotations as events: the value names the event,
// the µs timestamp is its time.
func (p *reader) zipkinAnnotations(v gjson.Result, s *zipkinSpan) []Event {
	if !p.isList(v, "annotations") {
		return nil
	}
	var out []Event
	v.ForEach(func(_, a gjson.Result) bool {
		if !a.IsObject() {
			p.warn(a.Index, "an annotation is not an object: skipped")
			return true
		}
		var e Event
		var extra []Field
		a.ForEach(func(k, x gjson.Result) bool {
			switch k.Str {
			case "value":
				e.Name = p.str(x)
			case "timestamp":
				if n, ok := micros(x); ok {
					e.Time = n
				} else if x.Type != gjson.Null {
					p.unreadable(&s.marks, x, s.name, fmt.Sprintf("annotation timestamp %s is not a time in microseconds", clip(x.Raw)), "read as 0")
				}
			default:
				extra = append(extra, p.field(k, x))
			}
			return true
		})
		p.keepExtras(&e.Extra, extra)
		out = append(out, e)
		return true
	})
	return out
}

// zipkinTags reads the tags object: values are strings (anything else is
// taken as its JSON text).
func (p *reader) zipkinTags(v gjson.Result) []Attribute {
	if !v.IsObject() {
		if v.Exists() && v.Type != gjson.Null {
			p.warn(v.Index, `"tags" is not an object: ignored`)
		}
		return nil
	}
	var out []Attribute
	v.ForEach(func(k, x gjson.Result) bool {
		val := x.Str
		if x.Type != gjson.String {
			val = compactText(x.Raw)
		}
		out = append(out, Attribute{Key: p.key(k), Value: p.copyStr(val), Type: ValueString})
		return true
	})
	return out
}

// zipkinBuilder turns zipkinSpans into model spans, sharing one resource
// per distinct local endpoint.
type zipkinBuilder struct {
	p         *reader
	resources map[string]*Resource
	scratch   []Attribute
}

func (z *zipkinBuilder) span(s *zipkinSpan) Span {
	p := z.p
	d := SpanData{TraceID: s.trace, SpanID: s.id, ParentID: s.parent, Name: s.name, Kind: s.kind, Opaque: s.opaque, Events: s.events}
	list := z.scratch[:0]
	d.Status, list = p.zipkinStatus(s, list)
	hasPeer := false
	for _, a := range list {
		hasPeer = hasPeer || a.Key == "peer.service"
	}
	list = z.remote(s.remote, hasPeer, list)
	if s.debug != nil {
		list = append(list, Attribute{Key: AttrZipkinDebug, Value: strconv.FormatBool(*s.debug), Type: ValueBool})
	}
	if s.shared != nil {
		list = append(list, Attribute{Key: AttrZipkinShared, Value: strconv.FormatBool(*s.shared), Type: ValueBool})
	}
	if s.originalID != "" {
		list = append(list, Attribute{Key: AttrZipkinOriginalSpanID, Value: s.originalID, Type: ValueString})
	}
	s.marks.startUnknown = !s.hasStart
	s.marks.durationUnknown = !s.hasDur
	switch {
	case s.badTime:
	case !s.hasStart:
		p.warn(s.at, "span without timestamp: its start is unknown (attribute "+AttrStartUnknown+")")
	case !s.hasDur:
		p.warn(s.at, "span without duration: read as zero-length (attribute "+AttrDurationUnknown+")")
	}
	d.StartTime = s.start
	d.EndTime = s.start + s.dur
	if d.EndTime < d.StartTime { // overflow
		s.marks.durationUnknown = true
		p.unreadable(&s.marks, gjson.Result{Index: s.at}, s.name, "timestamp + duration is past the year 2262", "read as zero-length")
		d.EndTime = d.StartTime
	}
	list = s.marks.appendTo(list)
	d.Attributes = p.newAttributes(list)
	z.scratch = list[:0]
	d.Resource = z.resource(s.local)
	p.keepExtras(&d.Extra, s.extra)
	return p.newSpan(d)
}

// zipkinStatus reads the status from the tags (formats-more.md §3.5):
// otel.status_code and otel.status_description first, then any error tag
// makes it ERROR, its value the message when there is no description. The
// tags stay attributes, except an error tag of "true". It appends the
// attributes to list.
func (p *reader) zipkinStatus(s *zipkinSpan, list []Attribute) (Status, []Attribute) {
	var st Status
	var desc, errVal string
	var hasDesc, hasErr bool
	for _, a := range s.tags {
		switch a.Key {
		case "otel.status_code":
			if c, ok := ParseStatusCode(a.Value); ok {
				st.Code = c
			} else {
				p.warn(s.at, fmt.Sprintf("span %q: unknown otel.status_code %q: kept as an attribute", clip(s.name), clip(a.Value)))
			}
		case "otel.status_description":
			desc, hasDesc = a.Value, true
		case "error":
			errVal, hasErr = a.Value, true
		}
		if a.Key != "error" || a.Value != "true" {
			list = append(list, a)
		}
	}
	if hasErr {
		st.Code = StatusError
		if errVal == "false" {
			p.warn(s.at, fmt.Sprintf("span %q has the tag error=\"false\": read as ERROR, as Zipkin reads any error tag", clip(s.name)))
		}
		if !hasDesc && errVal != "true" && errVal != "false" && errVal != "" {
			st.Message = errVal
		}
	}
	if hasDesc && st.Code != StatusUnset {
		st.Message = desc
	}
	return st, list
}

// remote appends the remote endpoint's attributes: peer.service (unless a
// tag has it), network.peer.address and .port, the rest under
// zipkin.remote_endpoint.
func (z *zipkinBuilder) remote(v gjson.Result, hasPeer bool, list []Attribute) []Attribute {
	if !v.Exists() {
		return list
	}
	p := z.p
	hasIPv4 := v.Get("ipv4").Exists()
	v.ForEach(func(k, x gjson.Result) bool {
		key := zipkinRemotePrefix + k.Str
		switch {
		case k.Str == "serviceName" && !hasPeer:
			key = "peer.service"
		case k.Str == "ipv4", k.Str == "ipv6" && !hasIPv4:
			key = "network.peer.address"
		case k.Str == "port":
			key = "network.peer.port"
		}
		list = append(list, p.endpointAttr(key, x))
		return true
	})
	return list
}

// endpointAttr is an endpoint member as an attribute: a port an int, the
// rest strings.
func (p *reader) endpointAttr(key string, x gjson.Result) Attribute {
	a := Attribute{Key: p.interned(key), Type: ValueString}
	switch {
	case x.Type == gjson.String:
		a.Value = p.copyStr(x.Str)
	case x.Type == gjson.Number:
		if n, ok := parseJSONInt(x.Raw); ok {
			a.Value, a.Type = strconv.FormatInt(n, 10), ValueInt
		} else {
			a.Value, a.Type = doubleText(x.Raw), ValueDouble
		}
	default:
		a.Value, a.Type = compactText(x.Raw), ValueJSON
	}
	return a
}

// resource returns the shared resource of a local endpoint: service.name,
// the other members under zipkin.local_endpoint.
func (z *zipkinBuilder) resource(v gjson.Result) *Resource {
	key := ""
	if v.Exists() {
		key = compactText(v.Raw)
	}
	if r, ok := z.resources[key]; ok {
		return r
	}
	r := &Resource{}
	var list []Attribute
	v.ForEach(func(k, x gjson.Result) bool {
		name := zipkinLocalPrefix + k.Str
		if k.Str == "serviceName" {
			name = attrServiceName
		}
		list = append(list, z.p.endpointAttr(name, x))
		return true
	})
	r.Attributes = z.p.newAttributes(list)
	z.resources[key] = r
	return r
}
