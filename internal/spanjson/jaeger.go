package spanjson

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tidwall/gjson"
)

// Jaeger JSON, the UI / query-API model (formats-more.md §2): the query
// API's {"data": [trace…]}, a single trace object {"traceID", "spans",
// "processes"}, and a bare array of spans with inline "process". (The v3
// API's {"result": OTLP} is read by the OTLP reader, see detect.go.)
//
// Mapping: ids padded to 32/16 hex; times µs → ns; the first same-trace
// CHILD_OF reference is the parent, every other reference a link with
// opentracing.ref_type; tags typed (binary as base64); status, kind, scope
// and trace state from the tags that carry them (which then leave the
// attributes); logs → events named by their "event" field; the process →
// the resource (service.name + process tags); Jaeger's own warnings are
// passed on as warnings and kept (span attribute / trace metadata
// jaeger.warnings). Traces get their info from DeriveInfo.

// Keys the Jaeger reader adds.
const (
	AttrJaegerWarnings   = "jaeger.warnings"   // span attribute and trace metadata: Jaeger's warnings, a JSON list
	AttrJaegerIncomplete = "jaeger.incomplete" // span attribute: the span's "incomplete": true
	attrRefType          = "opentracing.ref_type"
	attrServiceName      = "service.name"
)

// jaegerReader holds what the spans of one document share: processes
// (resources) and scopes, one pointer per distinct value.
type jaegerReader struct {
	p         *reader
	processes map[string]*Resource // the current trace object's, by process id
	rawProcs  map[string]gjson.Result
	procOrder []string             // the keys of rawProcs in document order
	inline    map[string]*Resource // inline processes, by their JSON text
	scopes    map[[2]string]*Scope
	none      *Resource // spans without a process
	scratch   []Attribute
	at        []int // where each tag of the span being read is
	// A piece's reader (see parallelSpans) has processes that are all
	// there are (frozen); a span that would add one sets diverged.
	frozen, diverged bool
}

func newJaegerReader(p *reader) *jaegerReader {
	p.schema = SchemaJaeger
	return &jaegerReader{p: p, processes: map[string]*Resource{}, inline: map[string]*Resource{}, scopes: map[[2]string]*Scope{}}
}

// isJaegerSpan reports whether v is a Jaeger span object.
func isJaegerSpan(v gjson.Result) bool {
	if !v.IsObject() {
		return false
	}
	found := false
	v.ForEach(func(k, _ gjson.Result) bool {
		found = k.Str == "spanID" || k.Str == "operationName"
		return !found
	})
	return found
}

// isJaegerTrace reports whether v is a Jaeger trace object: a "spans" list
// whose first item is a Jaeger span, or an empty one beside "traceID".
// (The Decoder streams a "spans" list unless its first item is a Jaeger
// span, so the same test holds for a streamed document: see object.)
func isJaegerTrace(v gjson.Result) bool {
	if !v.IsObject() {
		return false
	}
	hasID, spans := false, gjson.Result{}
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "traceID":
			hasID = true
		case "spans":
			spans = x
		}
		return true
	})
	return jaegerTraceParts(hasID, spans)
}

// isJaegerTop is isJaegerTrace of a document's top level, read already.
func isJaegerTop(t topLevel) bool {
	return jaegerTraceParts(slices.Contains(t.keys, "traceID"), t.spans)
}

func jaegerTraceParts(hasID bool, spans gjson.Result) bool {
	if !spans.IsArray() {
		return false
	}
	if first := spans.Get("0"); first.Exists() {
		return isJaegerSpan(first)
	}
	return hasID
}

// jaegerQuery decodes {"data": [trace…], "total", "limit", "offset",
// "errors"}.
func (p *reader) jaegerQuery(t topLevel, doc *Document) error {
	doc.Schema, doc.Shape = SchemaJaeger, "Jaeger query API response"
	j := newJaegerReader(p)
	if errs := lookup(t.others, "errors"); errs.IsArray() {
		errs.ForEach(func(_, e gjson.Result) bool {
			msg := e.Get("msg").Str
			if msg == "" {
				msg = compactText(e.Raw)
			}
			p.warn(e.Index, "Jaeger query error: "+msg)
			return true
		})
	}
	p.forEach(t.data, func(_, tr gjson.Result) bool {
		if !tr.IsObject() {
			p.warn(tr.Index, `an item of "data" is not a Jaeger trace object: skipped`)
			return true
		}
		doc.Traces = append(doc.Traces, j.traceObject(tr)...)
		return true
	})
	return nil
}

// jaegerTrace decodes a single trace object.
func (p *reader) jaegerTrace(root gjson.Result, doc *Document) error {
	doc.Schema, doc.Shape = SchemaJaeger, "Jaeger trace"
	doc.Traces = newJaegerReader(p).traceObject(root)
	return nil
}

// jaegerSpans decodes a bare array of spans (inline processes).
func (p *reader) jaegerSpans(items []gjson.Result, doc *Document) {
	doc.Schema, doc.Shape = SchemaJaeger, "array of Jaeger spans"
	j := newJaegerReader(p)
	spans := make([]Span, 0, len(items))
	for _, it := range items {
		if !it.IsObject() {
			p.warn(it.Index, "an array item is not a Jaeger span object: skipped")
			continue
		}
		spans = append(spans, j.span(it, ""))
	}
	doc.Traces = p.groupTraces(spans, nil)
}

// traceObject decodes one trace object into its traces (one, unless its
// spans name several trace ids).
func (j *jaegerReader) traceObject(v gjson.Result) []Trace {
	p := j.p
	var id, spans, procs, warnings gjson.Result
	p.forEach(v, func(k, x gjson.Result) bool {
		switch k.Str {
		case "traceID":
			id = x
		case "spans":
			spans = x
		case "processes":
			procs = x
		case "warnings":
			warnings = x
		}
		return true // other members (_comment, …) are not part of the model
	})
	j.processes, j.rawProcs, j.procOrder = map[string]*Resource{}, map[string]gjson.Result{}, nil
	if procs.IsObject() {
		procs.ForEach(func(k, x gjson.Result) bool {
			if _, dup := j.rawProcs[k.Str]; !dup {
				j.procOrder = append(j.procOrder, k.Str)
			}
			j.rawProcs[k.Str] = x
			return true
		})
	} else if procs.Exists() && procs.Type != gjson.Null {
		p.warn(procs.Index, `"processes" is not an object: ignored`)
	}
	idText := p.idText(id)
	var read []Span
	switch {
	case spans.IsArray():
		var ok bool
		if read, ok = j.parallelSpans(spans, idText); !ok {
			read = j.spanList(spans, idText)
		}
	case spans.Exists() && spans.Type != gjson.Null:
		p.warn(spans.Index, `"spans" is not an array: ignored`)
	}
	list := j.warningList(warnings, "Jaeger warning for trace "+strconv.Quote(clip(idText)))
	if len(read) == 0 {
		p.warn(v.Index, fmt.Sprintf("Jaeger trace %q has no spans", clip(idText)))
		return nil
	}
	traces := p.groupTraces(read, nil)
	if list != "" {
		want := traceIDOfText(idText)
		owner := &traces[0]
		for i := range traces {
			if traces[i].Spans[0].TraceID() == want {
				owner = &traces[i]
			}
		}
		owner.Info.Metadata = map[string]string{AttrJaegerWarnings: list}
	}
	return traces
}

// spanList decodes a trace object's span list.
func (j *jaegerReader) spanList(spans gjson.Result, traceID string) []Span {
	var read []Span
	spans.ForEach(func(_, s gjson.Result) bool {
		if sp, ok := j.listItem(s, traceID); ok {
			read = append(read, sp)
		}
		return true
	})
	return read
}

// listItem decodes one item of a span list.
func (j *jaegerReader) listItem(s gjson.Result, traceID string) (Span, bool) {
	if !s.IsObject() {
		j.p.warn(s.Index, "a span is not a JSON object: skipped")
		return Span{}, false
	}
	return j.span(s, traceID), true
}

// parallelSpans decodes a long span list in the pieces the framer cut it
// into (listCut), on as many goroutines as the decoder has workers, and
// gives what spanList gives: the same spans in the same order, the same
// warnings, one resource and one scope value per pointer. Each goroutine
// has a reader of its own (its intern table and allocation blocks); the
// processes are decoded first and shared. ok is false when the list was
// not cut, or when a piece met what only the one reader in order decides
// (a process with a warning, a span with an inline or unknown process):
// the caller then decodes the list with spanList.
//
// On one 1,000,000-span trace (693 MB) the span list is about three
// quarters of the decode's CPU time; in pieces on two cores, with the one
// pass of validateRest, the decode went from 5.8 s to 2.8 s
// (BenchmarkDecodeJaeger: 2.1x to 4.6x encoding/json's wall time).
func (j *jaegerReader) parallelSpans(spans gjson.Result, traceID string) ([]Span, bool) {
	p := j.p
	if p.cuts == nil || p.json[spans.Index] != '[' {
		return nil, false
	}
	cuts := cutsOf(p.cuts.lists, spans.Index)
	if len(cuts) == 0 {
		return nil, false
	}
	// The processes, in document order, without a warning.
	procs := newJaegerReader(p.piece())
	for _, id := range j.procOrder {
		procs.processes[id] = procs.process(j.rawProcs[id])
	}
	if len(procs.p.warnings) > 0 {
		return nil, false
	}
	none := j.noProcess()

	bounds := append(append([]int{spans.Index + 1}, cuts...), spans.Index+len(spans.Raw)-1)
	parts := make([][]Span, len(bounds)-1)
	warns := make([][]Warning, len(bounds)-1)
	workers := min(p.cuts.workers, len(parts))
	readers := make([]*jaegerReader, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		pj := newJaegerReader(p.piece())
		pj.processes, pj.none, pj.frozen = procs.processes, none, true
		readers[w] = pj
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(parts) || pj.diverged {
					return
				}
				w0 := len(pj.p.warnings)
				parts[k] = pj.piece(bounds[k], bounds[k+1], traceID)
				warns[k] = pj.p.warnings[w0:]
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, pj := range readers {
		if pj.diverged {
			return nil, false
		}
	}
	for _, part := range parts {
		n += len(part)
	}
	p.spansMade += n
	read := make([]Span, 0, n)
	for k, part := range parts {
		read = append(read, part...)
		p.warnings = append(p.warnings, warns[k]...)
	}
	j.sameScopes(read)
	listsInPieces.Add(1)
	return read, true
}

// listsInPieces counts the lists parallelSpans decoded, for tests.
var listsInPieces atomic.Int64

// piece decodes the list items that begin in b[from:to] (to is the end
// of an item or the list's ']').
func (j *jaegerReader) piece(from, to int, traceID string) []Span {
	p := j.p
	b := p.raw
	var read []Span
	i := skipWS(b, from)
	if i < to && b[i] == ',' {
		i = skipWS(b, i+1)
	}
	for i < to {
		e := skipValid(b, i)
		if sp, ok := j.listItem(gjson.Result{Type: gjson.JSON, Raw: p.json[i:e], Index: i}, traceID); ok {
			read = append(read, sp)
		}
		if i = skipWS(b, e); i < to && b[i] == ',' {
			i = skipWS(b, i+1)
		}
	}
	return read
}

// sameScopes makes the spans' scopes of one value one pointer, the first
// span's, as one reader in order would have made them.
func (j *jaegerReader) sameScopes(spans []Span) {
	for _, s := range spans {
		if sc := s.d.Scope; sc != nil {
			k := [2]string{sc.Name, sc.Version}
			if first, ok := j.scopes[k]; ok {
				s.d.Scope = first
			} else {
				j.scopes[k] = sc
			}
		}
	}
}

// warningList passes Jaeger's "warnings" on as warnings (prefixed) and
// returns them as a JSON list, "" when there are none.
func (j *jaegerReader) warningList(v gjson.Result, prefix string) string {
	if !v.IsArray() {
		if v.Exists() && v.Type != gjson.Null {
			j.p.warn(v.Index, `"warnings" is not a list: ignored`)
		}
		return ""
	}
	var list []string
	v.ForEach(func(_, w gjson.Result) bool {
		s := w.Str
		if w.Type != gjson.String {
			s = compactText(w.Raw)
		}
		j.p.warn(w.Index, prefix+": "+s)
		list = append(list, s)
		return true
	})
	if len(list) == 0 {
		return ""
	}
	b := []byte{'['}
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONText(b, s)
	}
	return string(append(b, ']'))
}

// jaegerSpanMembers are a span's members, gathered first: key order is not
// significant, and the tags decide what other members mean.
type jaegerSpanMembers struct {
	traceID, spanID, parentSpanID       gjson.Result
	refs, start, duration, tags, logs   gjson.Result
	processID, process, warnings, flags gjson.Result
	incomplete                          bool
	extra                               []Field
}

// span decodes one span; traceID is the text of its trace object's id,
// used when the span has none.
func (j *jaegerReader) span(v gjson.Result, traceID string) Span {
	p := j.p
	var m jaegerSpanMembers
	var d SpanData
	var marks spanProblems
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "traceID":
			m.traceID = x
		case "spanID":
			m.spanID = x
		case "parentSpanID": // deprecated in favour of references
			m.parentSpanID = x
		case "operationName":
			d.Name = p.str(x)
		case "references":
			m.refs = x
		case "startTime":
			m.start = x
		case "duration":
			m.duration = x
		case "tags":
			m.tags = x
		case "logs":
			m.logs = x
		case "processID":
			m.processID = x
		case "process":
			m.process = x
		case "warnings":
			m.warnings = x
		case "flags":
			m.flags = x
		case "incomplete":
			m.incomplete = x.Type == gjson.True
		default:
			m.extra = append(m.extra, p.field(k, x))
		}
		return true
	})
	if m.traceID.Exists() {
		traceID = p.idText(m.traceID)
	}
	if traceID == "" {
		p.warn(v.Index, fmt.Sprintf("span %q has no traceID: read with the zero trace id", clip(d.Name)))
	}
	d.TraceID = p.hexTraceID(m.traceID, traceID, &d.Opaque, "trace id")
	d.SpanID = p.hexSpanID(m.spanID, p.idText(m.spanID), &d.Opaque, false, "span id")
	if m.flags.Exists() && m.flags.Type != gjson.Null {
		if n, ok := int64Of(m.flags); ok && n >= 0 && n <= 0xffffffff {
			d.Flags = uint32(n)
		} else {
			p.warn(m.flags.Index, fmt.Sprintf("span %q: flags %s is not an unsigned 32-bit integer: ignored", clip(d.Name), clip(m.flags.Raw)))
		}
	}
	j.at = j.at[:0]
	list := j.tags(m.tags, false, j.scratch[:0], &marks, d.Name)
	list = j.spanTags(list, j.at, &d)
	d.Resource = j.resource(m.processID, m.process, d.Name)
	j.times(&d, &m, &marks, v.Index)
	j.references(&d, m.refs, m.parentSpanID)
	d.Events = j.logs(m.logs, &d, &marks)
	if w := j.warningList(m.warnings, fmt.Sprintf("Jaeger warning for span %q", clip(d.Name))); w != "" {
		list = append(list, Attribute{Key: AttrJaegerWarnings, Value: w, Type: ValueArray})
	}
	if m.incomplete {
		list = append(list, Attribute{Key: AttrJaegerIncomplete, Value: "true", Type: ValueBool})
	}
	list = marks.appendTo(list)
	d.Attributes = p.newAttributes(list)
	j.scratch = list[:0]
	p.keepExtras(&d.Extra, m.extra)
	return p.newSpan(d)
}

// times sets the span's start and end from startTime and duration (µs).
func (j *jaegerReader) times(d *SpanData, m *jaegerSpanMembers, marks *spanProblems, at int) {
	p := j.p
	start, ok := micros(m.start)
	switch {
	case !m.start.Exists() || m.start.Type == gjson.Null:
		marks.startUnknown = true
		p.warn(at, "span without startTime: its start is unknown (attribute "+AttrStartUnknown+")")
	case !ok:
		marks.startUnknown = true
		p.unreadable(marks, m.start, d.Name, fmt.Sprintf("startTime %s is not a time in microseconds", clip(m.start.Raw)), "its start is unknown")
	case start == 0:
		marks.startUnknown = true
		p.warn(m.start.Index, "span startTime is 0: its start is unknown (attribute "+AttrStartUnknown+")")
	}
	dur, ok := micros(m.duration)
	switch {
	case !m.duration.Exists() || m.duration.Type == gjson.Null:
		dur = 0 // Jaeger leaves out a zero duration (omitempty)
	case !ok:
		marks.durationUnknown = true
		p.unreadable(marks, m.duration, d.Name, fmt.Sprintf("duration %s is not a duration in microseconds", clip(m.duration.Raw)), "read as 0")
		dur = 0
	}
	d.StartTime = start
	d.EndTime = start + dur
	if d.EndTime < start { // overflow
		marks.durationUnknown = true
		p.unreadable(marks, m.duration, d.Name, fmt.Sprintf("startTime + duration %s is past the year 2262", clip(m.duration.Raw)), "read as 0")
		d.EndTime = start
	}
}

// references sets the parent (the first CHILD_OF of the span's own trace,
// else the deprecated parentSpanID) and keeps every other reference as a
// link with opentracing.ref_type.
func (j *jaegerReader) references(d *SpanData, refs, parentSpanID gjson.Result) {
	p := j.p
	if refs.Exists() && refs.Type != gjson.Null && !refs.IsArray() {
		p.warn(refs.Index, `"references" is not a list: ignored`)
	}
	parents := 0
	hasParent := false
	var extraParent gjson.Result
	if refs.IsArray() {
		refs.ForEach(func(_, r gjson.Result) bool {
			if !r.IsObject() {
				p.warn(r.Index, "a reference is not an object: ignored")
				return true
			}
			var typ, tid, sid gjson.Result
			r.ForEach(func(k, x gjson.Result) bool {
				switch k.Str {
				case "refType":
					typ = x
				case "traceID":
					tid = x
				case "spanID":
					sid = x
				}
				return true
			})
			refType := strings.ToLower(typ.Str)
			switch refType {
			case "", "child_of": // CHILD_OF is the enum's zero value
				refType = "child_of"
			case "follows_from":
			default:
				p.warn(typ.Index, fmt.Sprintf("span %q: unknown refType %s: kept as a link", clip(d.Name), clip(typ.Raw)))
				refType = p.str(typ)
			}
			var l Link
			l.TraceID = d.TraceID
			if d.Opaque != nil && d.Opaque.TraceID != "" {
				l.Opaque = &OpaqueIDs{TraceID: d.Opaque.TraceID}
			}
			if tid.Exists() {
				l.Opaque = nil
				l.TraceID = p.hexTraceID(tid, p.idText(tid), &l.Opaque, "reference trace id")
			}
			l.SpanID = p.hexSpanID(sid, p.idText(sid), &l.Opaque, false, "reference span id")
			if refType == "child_of" && l.TraceID == d.TraceID {
				parents++
				if !hasParent {
					hasParent = true
					d.ParentID = l.SpanID
					if l.Opaque != nil && l.Opaque.SpanID != "" {
						opaqueOf(&d.Opaque).ParentID = l.Opaque.SpanID
					}
					return true
				}
				extraParent = r
			}
			l.Attributes = p.newAttributes([]Attribute{{Key: attrRefType, Value: strconv.Quote(refType), Type: ValueString}})
			d.Links = append(d.Links, l)
			return true
		})
	}
	if parents > 1 {
		p.warn(extraParent.Index, fmt.Sprintf("span %q has %d CHILD_OF parents: the first is its parent, the others are kept as links", clip(d.Name), parents))
	}
	if !hasParent && parentSpanID.Exists() {
		d.ParentID = p.hexSpanID(parentSpanID, p.idText(parentSpanID), &d.Opaque, true, "parent span id")
	}
}

// logs decodes span logs into events: µs timestamps, fields as
// attributes, the name from the "event" field ("log" without one).
func (j *jaegerReader) logs(v gjson.Result, d *SpanData, marks *spanProblems) []Event {
	p := j.p
	if !v.IsArray() {
		if v.Exists() && v.Type != gjson.Null {
			p.warn(v.Index, `"logs" is not a list: ignored`)
		}
		return nil
	}
	var out []Event
	v.ForEach(func(_, lv gjson.Result) bool {
		if !lv.IsObject() {
			p.warn(lv.Index, "a log is not an object: skipped")
			return true
		}
		var ts, fields gjson.Result
		var extra []Field
		lv.ForEach(func(k, x gjson.Result) bool {
			switch k.Str {
			case "timestamp":
				ts = x
			case "fields":
				fields = x
			default:
				extra = append(extra, p.field(k, x))
			}
			return true
		})
		e := Event{Name: "log"}
		if ts.Exists() && ts.Type != gjson.Null {
			if n, ok := micros(ts); ok {
				e.Time = n
			} else {
				p.unreadable(marks, ts, d.Name, fmt.Sprintf("log timestamp %s is not a time in microseconds", clip(ts.Raw)), "read as 0")
			}
		}
		list := j.tags(fields, true, nil, marks, d.Name)
		for i, a := range list {
			if a.Key == "event" {
				e.Name = a.Value
				if s, ok := DecodeValue(a.Value).(string); ok && a.Type == ValueString {
					e.Name = s
				}
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		e.Attributes = p.newAttributes(list)
		p.keepExtras(&e.Extra, extra)
		out = append(out, e)
		return true
	})
	return out
}

// spanTags takes the tags that carry model fields out of list (status,
// kind, scope, trace state, as the OpenTelemetry collector does) and sets
// them on d. at[i] is where list[i] is in the document.
func (j *jaegerReader) spanTags(list []Attribute, at []int, d *SpanData) []Attribute {
	first := func(key string) (Attribute, int) {
		for i, a := range list {
			if a.Key == key {
				return a, i
			}
		}
		return Attribute{}, -1
	}
	var dropBuf [9]string
	drop := dropBuf[:0]
	failed := false
	if a, i := first("error"); i >= 0 && (a.Type == ValueBool || a.Type == ValueString) {
		if b, err := strconv.ParseBool(plainText(a)); err == nil {
			failed, drop = b, append(drop, "error")
		}
	}
	code := StatusUnset
	if a, i := first("otel.status_code"); i >= 0 {
		if c, ok := ParseStatusCode(plainText(a)); ok {
			code, drop = c, append(drop, "otel.status_code")
		} else {
			j.p.warn(at[i], fmt.Sprintf("span %q: unknown otel.status_code %q: kept as an attribute", clip(d.Name), clip(plainText(a))))
		}
	}
	switch {
	case failed:
		d.Status.Code = StatusError
	default:
		d.Status.Code = code
	}
	if a, i := first("otel.status_description"); i >= 0 && d.Status.Code != StatusUnset {
		d.Status.Message, drop = plainText(a), append(drop, "otel.status_description")
	}
	if a, i := first("span.kind"); i >= 0 && a.Type == ValueString {
		if k, ok := ParseSpanKind(plainText(a)); ok {
			d.Kind, drop = k, append(drop, "span.kind")
		}
	}
	for _, keys := range [][2]string{{"otel.scope.name", "otel.scope.version"}, {"otel.library.name", "otel.library.version"}} {
		if a, i := first(keys[0]); i >= 0 {
			var version string
			if v, k := first(keys[1]); k >= 0 {
				version = plainText(v)
			}
			d.Scope = j.scope(plainText(a), version)
			drop = append(drop, keys[0], keys[1])
			break
		}
	}
	if a, i := first("w3c.tracestate"); i >= 0 {
		d.TraceState, drop = plainText(a), append(drop, "w3c.tracestate")
	}
	if len(drop) == 0 {
		return list
	}
	keep := list[:0]
	for _, a := range list {
		if !slices.Contains(drop, a.Key) {
			keep = append(keep, a)
		}
	}
	return keep
}

// plainText is a span attribute's value as text: a string's content, any
// other value's JSON text.
func plainText(a Attribute) string {
	if a.Type == ValueJSON {
		if s, ok := DecodeValue(a.Value).(string); ok {
			return s
		}
	}
	return a.Value
}

func (j *jaegerReader) scope(name, version string) *Scope {
	k := [2]string{name, version}
	if s, ok := j.scopes[k]; ok {
		return s
	}
	s := &Scope{Name: j.p.copyStr(name), Version: j.p.copyStr(version)}
	j.scopes[k] = s
	return s
}

// resource returns the span's process as a shared resource: its
// processID's entry in the trace's "processes", or its inline "process".
func (j *jaegerReader) resource(id, inline gjson.Result, span string) *Resource {
	p := j.p
	if inline.IsObject() && j.frozen {
		j.diverged = true
		return j.noProcess()
	}
	if inline.IsObject() {
		key := compactText(inline.Raw)
		if r, ok := j.inline[key]; ok {
			return r
		}
		r := j.process(inline)
		j.inline[key] = r
		return r
	}
	if id.Exists() && id.Type != gjson.Null {
		pid := id.Str
		if r, ok := j.processes[pid]; ok {
			return r
		}
		if raw, ok := j.rawProcs[pid]; ok {
			r := j.process(raw)
			j.processes[pid] = r
			return r
		}
		if j.frozen {
			j.diverged = true
			return j.noProcess()
		}
		p.warn(id.Index, fmt.Sprintf("span %q: process %s is not in the trace's processes", clip(span), clip(id.Raw)))
		j.processes[pid] = j.noProcess()
		return j.processes[pid]
	}
	return j.noProcess()
}

func (j *jaegerReader) noProcess() *Resource {
	if j.none == nil {
		j.none = &Resource{}
	}
	return j.none
}

// process decodes {"serviceName", "tags"} into a resource: service.name
// first, then the tags.
func (j *jaegerReader) process(v gjson.Result) *Resource {
	p := j.p
	r := &Resource{}
	if !v.IsObject() {
		p.warn(v.Index, "a process is not an object: ignored")
		return r
	}
	var list []Attribute
	var tags gjson.Result
	var extra []Field
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "serviceName":
			list = append([]Attribute{{Key: attrServiceName, Value: p.str(x), Type: ValueString}}, list...)
		case "tags":
			tags = x
		default:
			extra = append(extra, p.field(k, x))
		}
		return true
	})
	list = j.tags(tags, false, list, nil, "")
	r.Attributes = p.newAttributes(list)
	p.keepExtras(&r.Extra, extra)
	return r
}

// tags decodes a KeyValue list (tags, log fields, process tags), appending
// to dst, and where each is to j.at. plain selects the event rule: strings
// stored JSON-quoted. A value that does not fit its type is kept as JSON,
// with a warning and, for a span's (marks not nil), the span's mark.
func (j *jaegerReader) tags(v gjson.Result, plain bool, dst []Attribute, marks *spanProblems, span string) []Attribute {
	p := j.p
	if !v.IsArray() {
		if v.Exists() && v.Type != gjson.Null {
			p.warn(v.Index, "tags are not a list: ignored")
		}
		return dst
	}
	v.ForEach(func(_, kv gjson.Result) bool {
		if !kv.IsObject() {
			p.warn(kv.Index, "a tag is not a {\"key\", \"type\", \"value\"} object: skipped")
			return true
		}
		var key, typ, val gjson.Result
		kv.ForEach(func(k, x gjson.Result) bool {
			switch k.Str {
			case "key":
				key = x
			case "type":
				typ = x
			case "value":
				val = x
			}
			return true
		})
		a := Attribute{Key: p.str(key)}
		var ok bool
		a.Value, a.Type, ok = jaegerValue(typ.Str, val, plain)
		switch {
		case !ok && !knownTagType(typ.Str):
			p.warn(typ.Index, fmt.Sprintf("tag %q has unknown type %s: its value is kept as JSON", clip(a.Key), clip(typ.Raw)))
		case !ok && marks != nil:
			p.unreadable(marks, val, span, fmt.Sprintf("tag %q of type %s has value %s", clip(a.Key), typ.Str, clip(val.Raw)), "kept as JSON")
		case !ok:
			p.warn(val.Index, fmt.Sprintf("tag %q of type %s has value %s: kept as JSON", clip(a.Key), typ.Str, clip(val.Raw)))
		}
		a.Value = p.copyStr(a.Value)
		dst = append(dst, a)
		j.at = append(j.at, kv.Index)
		return true
	})
	return dst
}

func knownTagType(t string) bool {
	switch strings.ToLower(t) {
	case "", "string", "bool", "int64", "float64", "binary":
		return true
	}
	return false
}

// jaegerValue reads a tag's value by its type (formats-more.md §2.3.1) into
// the model's text and type; no type: by the JSON value. ok is false when
// the value does not fit the type: it is then kept as its JSON text.
func jaegerValue(typ string, v gjson.Result, plain bool) (string, ValueType, bool) {
	str := func(s string) (string, ValueType, bool) {
		if plain {
			return string(appendJSONText(nil, s)), ValueString, true
		}
		return s, ValueString, true
	}
	switch strings.ToLower(typ) {
	case "string":
		switch v.Type {
		case gjson.String:
			return str(v.Str)
		case gjson.Number, gjson.True, gjson.False:
			return str(v.Raw)
		}
	case "bool":
		switch v.Type {
		case gjson.True, gjson.False:
			return v.Raw, ValueBool, true
		case gjson.String:
			if b, err := strconv.ParseBool(strings.TrimSpace(v.Str)); err == nil {
				return strconv.FormatBool(b), ValueBool, true
			}
		}
	case "int64":
		if v.Type == gjson.Number || v.Type == gjson.String {
			if n, ok := int64Of(v); ok {
				return strconv.FormatInt(n, 10), ValueInt, true
			}
		}
	case "float64":
		switch v.Type {
		case gjson.Number:
			return doubleText(v.Raw), ValueDouble, true
		case gjson.String:
			switch v.Str {
			case "NaN", "Infinity", "-Infinity":
				return string(appendJSONText(nil, v.Str)), ValueDouble, true
			}
			if isJSONNumber(v.Str) {
				return doubleText(v.Str), ValueDouble, true
			}
		}
	case "binary":
		if v.Type == gjson.String {
			if _, err := base64.StdEncoding.DecodeString(v.Str); err == nil {
				return string(appendJSONText(nil, v.Str)), ValueBytes, true
			}
		}
	case "":
		switch v.Type {
		case gjson.String:
			return str(v.Str)
		case gjson.True, gjson.False:
			return v.Raw, ValueBool, true
		case gjson.Number:
			if n, ok := parseJSONInt(v.Raw); ok {
				return strconv.FormatInt(n, 10), ValueInt, true
			}
			return doubleText(v.Raw), ValueDouble, true
		case gjson.Null:
			return "null", ValueJSON, true
		}
		if v.IsArray() || v.IsObject() {
			return compactText(v.Raw), ValueJSON, true
		}
	}
	if !v.Exists() {
		return "null", ValueJSON, false
	}
	return compactText(v.Raw), ValueJSON, false
}

// traceIDOfText is the trace id the readers make of an id's text, without
// warnings.
func traceIDOfText(text string) TraceID {
	var id TraceID
	if text == "" || parseShortHex(id[:], text) {
		return id
	}
	return opaqueTraceIDOf(text)
}

// compactText is valid JSON text compacted, as a string.
func compactText(raw string) string { return string(compactJSON(raw)) }
