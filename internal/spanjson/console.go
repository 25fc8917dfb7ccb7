package spanjson

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// The OpenTelemetry Python console dump (formats-more.md §4): what
// ConsoleSpanExporter prints, ReadableSpan.to_json() of each ended span,
// pretty objects back to back. The Decoder frames each object as its own
// document, so a trace arrives one span per document and is assembled by
// its trace id downstream (internal/ingest), with info derived from its
// spans (DeriveInfo). Records of ConsoleLogExporter that share the stream
// are counted and skipped: the Decoder reports them once per input
// (Decoder.next). An unfinished snapshot (end_time null) of a span printed
// again once ended is dropped for the ended record where traces are
// assembled (internal/ingest/dedupe.go).

// isConsoleSpan reports whether the object whose members get returns is a
// console span: a "context" object and a "kind" starting "SpanKind.", an
// ISO start_time or end_time, or a nested status (formats-more.md §1: an
// MLflow 2 span has integer times, a flat status_code and no kind).
func isConsoleSpan(get func(key string) gjson.Result) bool {
	if !get("context").IsObject() {
		return false
	}
	if k := get("kind"); k.Type == gjson.String && strings.HasPrefix(k.Str, "SpanKind.") {
		return true
	}
	for _, key := range [...]string{"start_time", "end_time"} {
		if t := get(key); t.Type == gjson.String && !isIntegerText(t) {
			return true
		}
	}
	return get("status").IsObject()
}

// isConsoleLog reports whether an object is a ConsoleLogExporter record
// (body, severity, no span context).
func isConsoleLog(get func(key string) gjson.Result) bool {
	return !get("context").Exists() && get("body").Exists() &&
		(get("severity_number").Exists() || get("severity_text").Exists())
}

// consoleCount counts the log records a document skipped, for the one
// warning per input (Decoder.next).
type consoleCount struct {
	logRecords int
	firstLog   string // where the first one is
}

// consoleReader holds what the records of one document share.
type consoleReader struct {
	p         *reader
	resources map[string]*Resource // by JSON text, so spans share them
	attrs     []Attribute
}

// consoleDocument decodes console records: spans, and log records, which
// are counted and skipped. Anything else in an array is warned about and
// skipped.
func (p *reader) consoleDocument(items []gjson.Result, doc *Document, array bool) error {
	p.schema = SchemaOTelConsole
	doc.Schema = SchemaOTelConsole
	c := consoleReader{p: p, resources: map[string]*Resource{}}
	spans := make([]Span, 0, len(items))
	for _, it := range items {
		switch {
		case !it.IsObject():
			p.warn(it.Index, "an array item is not a console span: skipped")
		case isConsoleLog(it.Get):
			if p.console.logRecords == 0 {
				p.console.firstLog = p.where(it.Index)
			}
			p.console.logRecords++
		default:
			spans = append(spans, c.span(it))
		}
	}
	switch {
	case array:
		doc.Shape = "array of OpenTelemetry console records"
	case len(spans) == 0:
		doc.Shape = "OpenTelemetry console log record"
	default:
		doc.Shape = "OpenTelemetry console dump"
	}
	doc.Traces = p.groupTraces(spans, nil)
	return nil
}

// span decodes one console span (formats-more.md §4.2, §4.3).
func (c *consoleReader) span(v gjson.Result) Span {
	p := c.p
	var (
		d                             SpanData
		extras                        []Field
		bad                           unreadable
		startV, endV, eventsV, linksV gjson.Result
	)
	attrs := c.attrs[:0]
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "name":
			d.Name = p.str(val)
		case "context":
			c.context(val, &d.TraceID, &d.SpanID, &d.Opaque, &extras)
		case "kind":
			d.Kind = p.kind(val)
		case "parent_id":
			d.ParentID = p.spanID(val, &d.Opaque, true)
		case "start_time":
			startV = val
		case "end_time":
			endV = val
		case "status":
			d.Status = c.status(val)
		case "attributes":
			attrs = p.typedAttributes(attrs, val, "", false)
		case "events":
			eventsV = val
		case "links":
			linksV = val
		case "resource":
			d.Resource = c.resource(val)
		default:
			extras = append(extras, p.field(k, val))
		}
		return true
	})
	start, startOK, startNull := p.timeMember(startV, "start_time", false, &bad)
	if startNull {
		p.warn(v.Index, "span "+strconv.Quote(clip(d.Name))+" has no start_time: the span is marked "+AttrReadError)
		bad = append(bad, "start_time null")
	}
	end, endOK, _ := p.timeMember(endV, "end_time", false, &bad)
	d.StartTime, d.EndTime = spanTimes(start, end, startOK, startNull, endOK)
	d.Events = c.events(eventsV, d.StartTime, &bad)
	d.Links = c.links(linksV)
	attrs = bad.attr(attrs)
	d.Attributes = p.newAttributes(attrs)
	c.attrs = attrs[:0]
	p.keepExtras(&d.Extra, extras)
	return p.newSpan(d)
}

// context reads a span or link context: "0x" hex ids and a trace state that
// is Python's repr of it, opaque: an empty one ("[]", "{}") is dropped,
// another is kept as a member (a writer reports it lost).
func (c *consoleReader) context(v gjson.Result, traceID *TraceID, spanID *SpanID, opaque **OpaqueIDs, extras *[]Field) {
	p := c.p
	if !v.IsObject() {
		*extras = append(*extras, Field{Key: "context", Value: p.rawJSON(v)})
		return
	}
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "trace_id":
			*traceID = p.traceID(val, opaque)
		case "span_id":
			*spanID = p.spanID(val, opaque, false)
		case "trace_state":
			switch strings.TrimSpace(p.idText(val)) {
			case "", "[]", "{}":
			default:
				*extras = append(*extras, Field{Key: "context.trace_state", Value: p.rawJSON(val)})
			}
		default:
			*extras = append(*extras, Field{Key: "context." + p.key(k), Value: p.rawJSON(val)})
		}
		return true
	})
}

// status reads {"status_code": "UNSET|OK|ERROR", "description"}; the 0.x
// SDKs' {"canonical_code"} is OK or, any other code, ERROR.
func (c *consoleReader) status(v gjson.Result) Status {
	p := c.p
	var st Status
	code := func(val gjson.Result) {
		s := strings.TrimPrefix(p.idText(val), "StatusCode.")
		cd, ok := ParseStatusCode(s)
		if !ok {
			p.warn(val.Index, "unknown status code "+clip(val.Raw)+": taken as UNSET")
		}
		st.Code = cd
	}
	if !v.IsObject() {
		if v.Type != gjson.Null {
			code(v)
		}
		return st
	}
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "status_code":
			code(val)
		case "canonical_code":
			st.Code = StatusError
			if strings.TrimPrefix(p.idText(val), "StatusCanonicalCode.") == "OK" {
				st.Code = StatusOK
			}
		case "description":
			st.Message = p.str(val)
		}
		return true
	})
	return st
}

// events reads [{"name", "timestamp" (ISO), "attributes"}]; an event whose
// time cannot be read is put at the span's start and the span marked.
func (c *consoleReader) events(v gjson.Result, spanStart int64, bad *unreadable) []Event {
	return c.p.timedEvents(v, eventMembers{list: "span events", item: "a span event", time: "timestamp", attrs: "attributes"}, spanStart, bad)
}

// links reads [{"context": {trace_id, span_id, trace_state}, "attributes"}].
func (c *consoleReader) links(v gjson.Result) []Link {
	p := c.p
	if !v.Exists() || !p.isList(v, "span links") {
		return nil
	}
	out := []Link{}
	v.ForEach(func(_, lv gjson.Result) bool {
		if !p.isItemObject(lv, "a span link") {
			return true
		}
		var l Link
		var extras []Field
		lv.ForEach(func(k, val gjson.Result) bool {
			switch k.Str {
			case "context":
				c.context(val, &l.TraceID, &l.SpanID, &l.Opaque, &extras)
			case "attributes":
				l.Attributes = p.newAttributes(p.typedAttributes(nil, val, "", true))
			default:
				extras = append(extras, p.field(k, val))
			}
			return true
		})
		p.keepExtras(&l.Extra, extras)
		out = append(out, l)
		return true
	})
	return out
}

// resource reads {"attributes": {…}, "schema_url"} (SDK 1.x) or the flat
// attribute map of the 0.x SDKs. Anything else (a log record's Python
// repr, null) is no resource.
func (c *consoleReader) resource(v gjson.Result) *Resource {
	p := c.p
	if !v.IsObject() {
		return nil
	}
	if r, ok := c.resources[v.Raw]; ok {
		return r
	}
	r := &Resource{}
	if a := v.Get("attributes"); a.IsObject() {
		var extras []Field
		v.ForEach(func(k, val gjson.Result) bool {
			switch k.Str {
			case "attributes":
				r.Attributes = p.newAttributes(p.typedAttributes(nil, val, "", false))
			case "schema_url":
				r.SchemaURL = p.str(val)
			default:
				extras = append(extras, p.field(k, val))
			}
			return true
		})
		p.keepExtras(&r.Extra, extras)
	} else {
		r.Attributes = p.newAttributes(p.typedAttributes(nil, v, "", false))
	}
	c.resources[v.Raw] = r
	return r
}
