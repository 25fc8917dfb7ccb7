package spanjson

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// OTLP JSON (formats.md §8): TracesData / ExportTraceServiceRequest.
//
// The reader is tolerant (STYLE.md §8): lowerCamelCase and snake_case
// members, enums as numbers or names, ids as hex of any case or base64,
// 64-bit integers as strings or numbers, the pre-1.0 instrumentationLibrary
// spelling of scopes. The writer emits exactly one canonical compact form.
//
// Where MLflow trace info travels in OTLP: nowhere. OTLP has no trace-level
// record, and hiding tags, metadata or previews in resource or span
// attributes would make them look like something the producer reported. So
// appendOTLP writes the spans only and reports every trace-info field it
// cannot rebuild from them as a Loss; decodeOTLP rebuilds a TraceInfo from
// the spans (id, request time, duration and state of the root span).
//
// Unknown members are kept in Extras{Schema: SchemaOTLP}: a span's, event's
// and link's in their own Extra; the resource object's in Resource.Extra and
// those of its ResourceSpans wrapper there too under the key prefix
// "resourceSpans."; likewise Scope.Extra with "scopeSpans."; the document's
// top-level members in TraceInfo.Extra.

const (
	resourceSpansExtraPrefix = "resourceSpans."
	scopeSpansExtraPrefix    = "scopeSpans."
)

// otlpDecoder collects the spans of one document, grouped by trace id in
// first-seen order.
type otlpDecoder struct {
	traces   []Trace
	byID     map[TraceID]int
	warnings []Warning

	emptyTraceIDs, emptySpanIDs int // spans (and links) with "" ids

	// repeated problems (the same undecodable id text, the same unknown
	// enum) give one warning, at their first place, with a count
	repeats map[string]int // problem key → index in warnings
	counts  []int          // per warning: how many times it occurred
}

// decodeOTLP decodes one OTLP JSON document (TracesData /
// ExportTraceServiceRequest, camelCase or snake_case) into traces grouped by
// trace id. Warnings carry no location; the caller adds the document's.
func decodeOTLP(doc gjson.Result) ([]Trace, []Warning, error) {
	if !doc.IsObject() {
		return nil, nil, fmt.Errorf("OTLP: want a TracesData object, got %s", describeJSONKind(doc))
	}
	var (
		rs  gjson.Result
		top []Field
	)
	doc.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "resourceSpans", "resource_spans":
			rs = v
		default:
			top = append(top, rawField(k.Str, v))
		}
		return true
	})
	if !rs.Exists() {
		return nil, nil, fmt.Errorf("OTLP: no resourceSpans member")
	}
	d := &otlpDecoder{byID: make(map[TraceID]int)}
	if err := forEachItem(rs, "resourceSpans", func(i int, v gjson.Result) error {
		return d.resourceSpans(v, "resourceSpans["+strconv.Itoa(i)+"]")
	}); err != nil {
		return nil, nil, err
	}
	if d.emptyTraceIDs > 0 {
		d.warn(fmt.Sprintf("%d span or link trace ids are empty; those spans are grouped under the zero trace id", d.emptyTraceIDs))
	}
	if d.emptySpanIDs > 0 {
		d.warn(fmt.Sprintf("%d span or link span ids are empty; they are kept as the zero span id", d.emptySpanIDs))
	}
	d.finishWarnings()
	for i := range d.traces {
		t := &d.traces[i]
		t.Info = DeriveInfo(t.Spans, SchemaOTLP)
		if len(top) > 0 {
			t.Info.Extra = Extras{Schema: SchemaOTLP, Fields: slices.Clone(top)}
		}
	}
	return d.traces, d.warnings, nil
}

func (d *otlpDecoder) warn(msg string) {
	d.warnings = append(d.warnings, Warning{Msg: msg})
	d.counts = append(d.counts, 1)
}

// warnRepeated warns about a problem once per key, counting repeats.
func (d *otlpDecoder) warnRepeated(key string, msg func() string) {
	if i, ok := d.repeats[key]; ok {
		d.counts[i]++
		return
	}
	if d.repeats == nil {
		d.repeats = map[string]int{}
	}
	d.repeats[key] = len(d.warnings)
	d.warn(msg())
}

// finishWarnings appends the repeat counts.
func (d *otlpDecoder) finishWarnings() {
	for i, n := range d.counts {
		if n > 1 {
			d.warnings[i].Msg += fmt.Sprintf(" (%d times in this document)", n)
		}
	}
}

func (d *otlpDecoder) resourceSpans(v gjson.Result, path string) error {
	res := &Resource{}
	lists, err := d.wrapper(v, path, otlpWrapper{
		objectKeys:  []string{"resource"},
		listKeys:    []string{"scopeSpans", "scope_spans", "instrumentationLibrarySpans", "instrumentation_library_spans"},
		extraPrefix: resourceSpansExtraPrefix,
	}, func(x gjson.Result, p string) error { return d.resource(x, res, p) }, &res.SchemaURL, &res.Extra)
	if err != nil {
		return err
	}
	for _, list := range lists {
		if err := forEachItem(list.v, list.path, func(i int, x gjson.Result) error {
			return d.scopeSpans(x, res, list.path+"["+strconv.Itoa(i)+"]")
		}); err != nil {
			return err
		}
	}
	return nil
}

// otlpWrapper names the members of an OTLP ResourceSpans or ScopeSpans
// object: its one object (the resource or scope, any spelling), its lists,
// and the key prefix its unknown members are kept under.
type otlpWrapper struct {
	objectKeys, listKeys []string
	extraPrefix          string
}

// otlpList is a list member of a wrapper and its path.
type otlpList struct {
	v    gjson.Result
	path string
}

// wrapper serves resourceSpans and scopeSpans: it decodes the wrapper object
// v at path, its object member with object, schemaUrl into *schemaURL, the
// other members kept in extra (under w.extraPrefix, marked OTLP), and
// returns its lists for the caller to decode.
func (d *otlpDecoder) wrapper(v gjson.Result, path string, w otlpWrapper, object func(x gjson.Result, path string) error, schemaURL *string, extra *Extras) ([]otlpList, error) {
	if !v.IsObject() {
		return nil, fmt.Errorf("%s: want an object, got %s", path, describeJSONKind(v))
	}
	var lists []otlpList
	var err error
	v.ForEach(func(k, x gjson.Result) bool {
		switch {
		case slices.Contains(w.objectKeys, k.Str):
			err = object(x, path+"."+k.Str)
		case slices.Contains(w.listKeys, k.Str):
			lists = append(lists, otlpList{x, path + "." + k.Str})
		case k.Str == "schemaUrl" || k.Str == "schema_url":
			*schemaURL, err = stringField(x, jsonPath{path, k.Str})
		default:
			extra.Fields = append(extra.Fields, rawField(w.extraPrefix+k.Str, x))
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	markOTLPExtras(extra)
	return lists, nil
}

func (d *otlpDecoder) resource(v gjson.Result, res *Resource, path string) error {
	return attributedObject(v, path, &res.Attributes, &res.DroppedAttributes, &res.Extra, nil)
}

func (d *otlpDecoder) scopeSpans(v gjson.Result, res *Resource, path string) error {
	sc := &Scope{}
	lists, err := d.wrapper(v, path, otlpWrapper{
		objectKeys:  []string{"scope", "instrumentationLibrary", "instrumentation_library"},
		listKeys:    []string{"spans"},
		extraPrefix: scopeSpansExtraPrefix,
	}, func(x gjson.Result, p string) error { return d.scope(x, sc, p) }, &sc.SchemaURL, &sc.Extra)
	if err != nil {
		return err
	}
	for _, list := range lists {
		if err := forEachItem(list.v, list.path, func(i int, x gjson.Result) error {
			return d.span(x, res, sc, list.path+"["+strconv.Itoa(i)+"]")
		}); err != nil {
			return err
		}
	}
	return nil
}

func (d *otlpDecoder) scope(v gjson.Result, sc *Scope, path string) error {
	err := attributedObject(v, path, &sc.Attributes, &sc.DroppedAttributes, &sc.Extra, func(k, x gjson.Result) (bool, error) {
		var err error
		switch k.Str {
		case "name":
			sc.Name, err = stringField(x, jsonPath{path, "name"})
		case "version":
			sc.Version, err = stringField(x, jsonPath{path, "version"})
		default:
			return false, nil
		}
		return true, err
	})
	markOTLPExtras(&sc.Extra)
	return err
}

// attributedObject decodes the members a Resource and an
// InstrumentationScope share: attributes and droppedAttributesCount, the
// unknown ones kept in extra (unmarked). member, when not nil, is offered
// each member first and reports whether it took it. A null object is empty.
func attributedObject(v gjson.Result, path string, attrs *Attributes, dropped *uint32, extra *Extras, member func(k, x gjson.Result) (bool, error)) error {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsObject() {
		return fmt.Errorf("%s: want an object, got %s", path, describeJSONKind(v))
	}
	var err error
	v.ForEach(func(k, x gjson.Result) bool {
		if member != nil {
			var took bool
			if took, err = member(k, x); took {
				return err == nil
			}
		}
		switch k.Str {
		case "attributes":
			*attrs, err = attributesField(x, jsonPath{path, k.Str}, false)
		case "droppedAttributesCount", "dropped_attributes_count":
			*dropped, err = uint32Field(x, jsonPath{path, k.Str})
		default:
			extra.Fields = append(extra.Fields, rawField(k.Str, x))
		}
		return err == nil
	})
	return err
}

func (d *otlpDecoder) span(v gjson.Result, res *Resource, sc *Scope, path string) error {
	if !v.IsObject() {
		return fmt.Errorf("%s: want a span object, got %s", path, describeJSONKind(v))
	}
	sd := SpanData{Resource: res, Scope: sc}
	var (
		traceText, spanText, parentText string
		err                             error
	)
	v.ForEach(func(k, x gjson.Result) bool {
		p := jsonPath{path, k.Str}
		switch k.Str {
		case "traceId", "trace_id":
			traceText, err = stringField(x, p)
		case "spanId", "span_id":
			spanText, err = stringField(x, p)
		case "parentSpanId", "parent_span_id":
			parentText, err = stringField(x, p)
		case "traceState", "trace_state":
			sd.TraceState, err = stringField(x, p)
		case "flags":
			sd.Flags, err = uint32Field(x, p)
		case "name":
			sd.Name, err = stringField(x, p)
		case "kind":
			sd.Kind = d.kind(x, p.String())
		case "startTimeUnixNano", "start_time_unix_nano":
			sd.StartTime, err = timeField(x, p)
		case "endTimeUnixNano", "end_time_unix_nano":
			sd.EndTime, err = timeField(x, p)
		case "attributes":
			sd.Attributes, err = attributesField(x, p, false)
		case "droppedAttributesCount", "dropped_attributes_count":
			sd.DroppedAttributes, err = uint32Field(x, p)
		case "events":
			err = forEachItem(x, p.String(), func(i int, e gjson.Result) error {
				ev, err := d.event(e, p.String()+"["+strconv.Itoa(i)+"]")
				sd.Events = append(sd.Events, ev)
				return err
			})
		case "droppedEventsCount", "dropped_events_count":
			sd.DroppedEvents, err = uint32Field(x, p)
		case "links":
			err = forEachItem(x, p.String(), func(i int, l gjson.Result) error {
				ln, err := d.link(l, p.String()+"["+strconv.Itoa(i)+"]")
				sd.Links = append(sd.Links, ln)
				return err
			})
		case "droppedLinksCount", "dropped_links_count":
			sd.DroppedLinks, err = uint32Field(x, p)
		case "status":
			sd.Status, err = d.status(x, p.String())
		default:
			sd.Extra.Fields = append(sd.Extra.Fields, rawField(k.Str, x))
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	markOTLPExtras(&sd.Extra)

	var op OpaqueIDs
	sd.TraceID, sd.SpanID, op = d.ids(traceText, spanText, path)
	sd.ParentID, op.ParentID = d.spanID(parentText, path+".parentSpanId", false)
	sd.Opaque = opaqueOrNil(op)

	i, ok := d.byID[sd.TraceID]
	if !ok {
		i = len(d.traces)
		d.byID[sd.TraceID] = i
		d.traces = append(d.traces, Trace{})
	}
	d.traces[i].Spans = append(d.traces[i].Spans, NewSpan(sd))
	return nil
}

// ids decodes the traceId and spanId texts of the span or link at path,
// the undecodable ones kept in the returned OpaqueIDs.
func (d *otlpDecoder) ids(traceText, spanText, path string) (TraceID, SpanID, OpaqueIDs) {
	tid, tOp := d.traceID(traceText, path+".traceId")
	sid, sOp := d.spanID(spanText, path+".spanId", true)
	return tid, sid, OpaqueIDs{TraceID: tOp, SpanID: sOp}
}

// opaqueOrNil is a pointer to op, or nil when no id was opaque.
func opaqueOrNil(op OpaqueIDs) *OpaqueIDs {
	if op == (OpaqueIDs{}) {
		return nil
	}
	return &op
}

// traceID decodes an OTLP trace id. An empty id is the zero id (counted for
// one warning); an undecodable one is an opaque id, its text returned for
// OpaqueIDs.
func (d *otlpDecoder) traceID(s, path string) (TraceID, string) {
	if s == "" {
		d.emptyTraceIDs++
		return TraceID{}, ""
	}
	id, err := ParseTraceID(s)
	if err != nil {
		d.warnRepeated("traceId\x00"+s, func() string { return fmt.Sprintf("%s: %v; kept as an opaque id", path, err) })
		s = strings.ToValidUTF8(s, "\uFFFD") // as it will be written back
		return opaqueTraceIDOf(s), s
	}
	return id, ""
}

// spanID decodes an OTLP span id like traceID. An empty parent id is a
// root, not a problem; an empty span id is counted for a warning.
func (d *otlpDecoder) spanID(s, path string, required bool) (SpanID, string) {
	if s == "" {
		if required {
			d.emptySpanIDs++
		}
		return SpanID{}, ""
	}
	id, err := ParseSpanID(s)
	if err != nil {
		d.warnRepeated(path[strings.LastIndexByte(path, '.')+1:]+"\x00"+s, func() string {
			return fmt.Sprintf("%s: %v; kept as an opaque id", path, err)
		})
		s = strings.ToValidUTF8(s, "\uFFFD")
		return opaqueSpanIDOf(s), s
	}
	return id, ""
}

func (d *otlpDecoder) kind(v gjson.Result, path string) SpanKind {
	text := v.Str
	if v.Type == gjson.Number {
		text = v.Raw
	}
	if v.Type == gjson.Null {
		return SpanKindUnspecified
	}
	if k, ok := ParseSpanKind(text); ok && (v.Type == gjson.Number || v.Type == gjson.String) {
		return k
	}
	d.warnRepeated("kind\x00"+v.Raw, func() string { return fmt.Sprintf("%s: unknown span kind %s; read as unspecified", path, v.Raw) })
	return SpanKindUnspecified
}

func (d *otlpDecoder) status(v gjson.Result, path string) (Status, error) {
	var st Status
	if v.Type == gjson.Null {
		return st, nil
	}
	if !v.IsObject() {
		return st, fmt.Errorf("%s: want an object, got %s", path, describeJSONKind(v))
	}
	var err error
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "message":
			st.Message, err = stringField(x, jsonPath{path, "message"})
		case "code":
			text := x.Str
			if x.Type == gjson.Number {
				text = x.Raw
			}
			c, ok := ParseStatusCode(text)
			if !ok || (x.Type != gjson.Number && x.Type != gjson.String && x.Type != gjson.Null) {
				d.warnRepeated("status\x00"+x.Raw, func() string {
					return fmt.Sprintf("%s.code: unknown status code %s; read as unset", path, x.Raw)
				})
			}
			st.Code = c
		}
		return err == nil
	})
	return st, err
}

func (d *otlpDecoder) event(v gjson.Result, path string) (Event, error) {
	var ev Event
	if !v.IsObject() {
		return ev, fmt.Errorf("%s: want an event object, got %s", path, describeJSONKind(v))
	}
	var err error
	v.ForEach(func(k, x gjson.Result) bool {
		p := jsonPath{path, k.Str}
		switch k.Str {
		case "timeUnixNano", "time_unix_nano":
			ev.Time, err = timeField(x, p)
		case "name":
			ev.Name, err = stringField(x, p)
		case "attributes":
			ev.Attributes, err = attributesField(x, p, true)
		case "droppedAttributesCount", "dropped_attributes_count":
			ev.DroppedAttributes, err = uint32Field(x, p)
		default:
			ev.Extra.Fields = append(ev.Extra.Fields, rawField(k.Str, x))
		}
		return err == nil
	})
	markOTLPExtras(&ev.Extra)
	return ev, err
}

func (d *otlpDecoder) link(v gjson.Result, path string) (Link, error) {
	var ln Link
	if !v.IsObject() {
		return ln, fmt.Errorf("%s: want a link object, got %s", path, describeJSONKind(v))
	}
	var (
		traceText, spanText string
		err                 error
	)
	v.ForEach(func(k, x gjson.Result) bool {
		p := jsonPath{path, k.Str}
		switch k.Str {
		case "traceId", "trace_id":
			traceText, err = stringField(x, p)
		case "spanId", "span_id":
			spanText, err = stringField(x, p)
		case "traceState", "trace_state":
			ln.TraceState, err = stringField(x, p)
		case "attributes":
			ln.Attributes, err = attributesField(x, p, true)
		case "droppedAttributesCount", "dropped_attributes_count":
			ln.DroppedAttributes, err = uint32Field(x, p)
		case "flags":
			ln.Flags, err = uint32Field(x, p)
		default:
			ln.Extra.Fields = append(ln.Extra.Fields, rawField(k.Str, x))
		}
		return err == nil
	})
	if err != nil {
		return ln, err
	}
	markOTLPExtras(&ln.Extra)
	var op OpaqueIDs
	ln.TraceID, ln.SpanID, op = d.ids(traceText, spanText, path)
	ln.Opaque = opaqueOrNil(op)
	return ln, nil
}

// forEachItem calls fn for each element of a JSON list; an absent or null
// member is an empty list.
func forEachItem(list gjson.Result, path string, fn func(i int, v gjson.Result) error) error {
	if !list.Exists() || list.Type == gjson.Null {
		return nil
	}
	if !list.IsArray() {
		return fmt.Errorf("%s: want a list, got %s", path, describeJSONKind(list))
	}
	i := 0
	var err error
	list.ForEach(func(_, v gjson.Result) bool {
		err = fn(i, v)
		i++
		return err == nil
	})
	return err
}

// jsonPath names a member for error messages without building the string
// unless an error needs it.
type jsonPath struct{ parent, member string }

func (p jsonPath) String() string { return p.parent + "." + p.member }

func stringField(v gjson.Result, p jsonPath) (string, error) {
	switch v.Type {
	case gjson.String:
		return v.Str, nil
	case gjson.Null:
		return "", nil
	}
	return "", fmt.Errorf("%s: want a string, got %s", p, describeJSONKind(v))
}

// timeField reads unix nanoseconds (a proto fixed64) written as a decimal
// string or a bare number, never through float64.
func timeField(v gjson.Result, p jsonPath) (int64, error) {
	if v.Type == gjson.Null {
		return 0, nil
	}
	n, err := int64Member(p, v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, located(v, fmt.Errorf("%s: negative time %d", p, n))
	}
	return n, nil
}

// uint32Field reads a count or flags value written as a number or a decimal
// string.
func uint32Field(v gjson.Result, p jsonPath) (uint32, error) {
	var text string
	switch v.Type {
	case gjson.Null:
		return 0, nil
	case gjson.Number:
		text = v.Raw
	case gjson.String:
		text = v.Str
	default:
		return 0, fmt.Errorf("%s: want a number, got %s", p, describeJSONKind(v))
	}
	n, err := strconv.ParseUint(text, 10, 32)
	if err != nil {
		return 0, located(v, fmt.Errorf("%s: %q is not an unsigned 32-bit integer", p, text))
	}
	return uint32(n), nil
}

// attributesField decodes an OTLP attribute list member (plain for event and
// link attributes), its errors placed at p.
func attributesField(x gjson.Result, p jsonPath, plain bool) (Attributes, error) {
	a, err := decodeKVList(x, plain)
	if err != nil {
		err = fmt.Errorf("%s%w", p, err)
	}
	return a, err
}

// markOTLPExtras marks kept members as OTLP's when there are any.
func markOTLPExtras(x *Extras) {
	if len(x.Fields) > 0 {
		x.Schema = SchemaOTLP
	}
}

func rawField(key string, v gjson.Result) Field {
	return Field{Key: key, Value: []byte(v.Raw)}
}

// TagIncomplete is the trace tag `tracectl collect` sets on a trace it wrote
// without its root span (the value says why). OTLP has no trace-level
// record, so in OTLP output it is a resource attribute of the spans; the
// OTLP reader turns it back into the tag and the ERROR state.
const TagIncomplete = "tracectl.incomplete"

// incompleteMark returns the TagIncomplete resource attribute of spans.
func incompleteMark(spans []Span) (string, bool) {
	var last *Resource
	for _, s := range spans {
		r := s.d.Resource
		if r == nil || r == last {
			continue
		}
		last = r
		if a, ok := r.Attributes.Lookup(TagIncomplete); ok {
			v := a.Value
			if a.Type == ValueJSON {
				if x, ok := r.Attributes.String(TagIncomplete); ok {
					v = x
				}
			}
			return v, true
		}
	}
	return "", false
}

// appendOTLP writes t as one OTLP JSON TracesData object, canonical compact
// form: hex ids, numeric enums, int64 as strings, spans grouped by resource
// and scope (both in first-seen order), members in proto field order,
// empty optional members omitted. MLflow trace info does not travel (see the
// comment at the top of this file): each field OTLP cannot rebuild from the
// spans is reported as a Loss, as are unknown members kept from another
// schema and undecodable ids of non-OTLP spans (written as their stand-ins).
func appendOTLP(dst []byte, t *Trace) ([]byte, []Loss, error) {
	return appendOTLPTo(dst, streamOut{}, t)
}

// appendOTLPTo is appendOTLP handing what it wrote to out between spans.
func appendOTLPTo(dst []byte, out streamOut, t *Trace) ([]byte, []Loss, error) {
	return appendOTLPWith(dst, out, t, false)
}

// appendOTLPWith is appendOTLPTo; with standIns every undecodable id is
// written as its stand-in (reported as a span.opaque_id loss), OTLP-read
// ones too, and a span id that is missing or repeated in the trace gets
// the tree's fresh id (reported as span.span_id), so that a receiver,
// which decodes ids and keeps one span per id, gets every span.
func appendOTLPWith(dst []byte, out streamOut, t *Trace, standIns bool) ([]byte, []Loss, error) {
	freshIDs := 0
	if fixed := repairStandInIDs(t.Spans, standIns); len(t.Spans) > 0 && &fixed[0] != &t.Spans[0] {
		for i := range fixed {
			if fixed[i].SpanID() != t.Spans[i].SpanID() {
				freshIDs++
			}
		}
		t2 := *t
		t2.Spans = fixed
		t = &t2
	}
	w := otlpWriter{dst: dst, losses: map[string]int{}, standIns: standIns}
	w.infoLosses(t)
	if standIns {
		w.lose("span.span_id", freshIDs)
	}

	groups := groupByResource(t.Spans)
	w.str(`{"resourceSpans":[`)
	for gi, g := range groups {
		if gi > 0 {
			w.byte(',')
		}
		w.str(`{"resource":`)
		w.resource(g.res)
		w.str(`,"scopeSpans":[`)
		for si, sg := range g.scopes {
			if si > 0 {
				w.byte(',')
			}
			w.str(`{"scope":`)
			w.scope(sg.scope)
			w.str(`,"spans":[`)
			for k, i := range sg.spans {
				w.dst = out.flush(w.dst)
				if k > 0 {
					w.byte(',')
				}
				d := t.Spans[i].Data()
				w.span(&d)
			}
			w.byte(']')
			w.scopeTail(sg.scope)
			w.byte('}')
		}
		w.byte(']')
		w.resourceTail(g.res)
		w.byte('}')
	}
	w.byte(']')
	w.objectExtras(t.Info.Extra, "info", "")
	w.byte('}')
	return w.dst, w.lossList(), nil
}

type scopeGroup struct {
	scope *Scope
	spans []int
}

type resourceGroup struct {
	res    *Resource
	scopes []scopeGroup
	byKey  map[string]int // scope key → index in scopes
}

// groupByResource groups span indexes by resource and, within, by scope,
// both by value (what the writer emits for them: attributes, dropped
// counts, schema URL, name, version, kept members), in first-seen order.
// Spans of one producer share the pointers, so the value of each distinct
// pointer is computed once and a span with the previous span's pointers
// takes the fast path.
func groupByResource(spans []Span) []resourceGroup {
	var (
		groups    []resourceGroup
		resKeys   = map[*Resource]string{}
		scopeKeys = map[*Scope]string{}
		resIndex  = map[string]int{}
		lastRes   *Resource
		lastScope *Scope
		lastG     = -1
		lastSG    = -1
	)
	for i, s := range spans {
		if s.IsZero() {
			continue
		}
		if lastG < 0 || s.d.Resource != lastRes {
			k, ok := resKeys[s.d.Resource]
			if !ok {
				k = resourceKey(s.d.Resource)
				resKeys[s.d.Resource] = k
			}
			g, ok := resIndex[k]
			if !ok {
				g = len(groups)
				resIndex[k] = g
				groups = append(groups, resourceGroup{res: s.d.Resource, byKey: map[string]int{}})
			}
			lastRes, lastG, lastSG = s.d.Resource, g, -1
		}
		g := &groups[lastG]
		if lastSG < 0 || s.d.Scope != lastScope {
			k, ok := scopeKeys[s.d.Scope]
			if !ok {
				k = scopeKey(s.d.Scope)
				scopeKeys[s.d.Scope] = k
			}
			sg, ok := g.byKey[k]
			if !ok {
				sg = len(g.scopes)
				g.byKey[k] = sg
				g.scopes = append(g.scopes, scopeGroup{scope: s.d.Scope})
			}
			lastScope, lastSG = s.d.Scope, sg
		}
		g.scopes[lastSG].spans = append(g.scopes[lastSG].spans, i)
	}
	return groups
}

// resourceKey is what the writer emits for r: equal keys, equal output.
func resourceKey(r *Resource) string {
	w := otlpWriter{losses: map[string]int{}}
	w.resource(r)
	w.resourceTail(r)
	return string(w.dst)
}

// scopeKey is what the writer emits for s.
func scopeKey(s *Scope) string {
	w := otlpWriter{losses: map[string]int{}}
	w.scope(s)
	w.scopeTail(s)
	return string(w.dst)
}

// resourceTail writes the members of a resourceSpans entry after its list:
// r's schema URL and kept members.
func (w *otlpWriter) resourceTail(r *Resource) {
	if r != nil {
		w.optString("schemaUrl", r.SchemaURL)
		w.wrapperExtras(r.Extra, resourceSpansExtraPrefix)
	}
}

// scopeTail writes the members of a scopeSpans entry after its list: s's
// schema URL and kept members.
func (w *otlpWriter) scopeTail(s *Scope) {
	if s != nil {
		w.optString("schemaUrl", s.SchemaURL)
		w.wrapperExtras(s.Extra, scopeSpansExtraPrefix)
	}
}

type otlpWriter struct {
	dst      []byte
	losses   map[string]int
	standIns bool // write stand-ins for OTLP-read undecodable ids too
}

func (w *otlpWriter) str(s string) { w.dst = append(w.dst, s...) }
func (w *otlpWriter) byte(c byte)  { w.dst = append(w.dst, c) }

func (w *otlpWriter) lose(field string, n int) {
	if n > 0 {
		w.losses[field] += n
	}
}

func (w *otlpWriter) lossList() []Loss {
	if len(w.losses) == 0 {
		return nil
	}
	out := make([]Loss, 0, len(w.losses))
	for _, k := range sortedKeys(w.losses) {
		out = append(out, Loss{Field: k, Count: w.losses[k]})
	}
	return out
}

// infoLosses reports the trace-info fields that differ from what a reader of
// the OTLP output would rebuild from the spans (otlpTraceInfo).
func (w *otlpWriter) infoLosses(t *Trace) {
	info := &t.Info
	derived := otlpReadBackInfo(t)
	if info.TraceID != "" && info.TraceID != derived.TraceID && MLflowTraceIDPrefix+info.TraceID != derived.TraceID {
		w.lose("info.trace_id", 1)
	}
	if info.ClientRequestID != "" {
		w.lose("info.client_request_id", 1)
	}
	if info.ExperimentID != "" {
		w.lose("info.experiment_id", 1)
	}
	if !plainExperimentLocation(info) {
		w.lose("info.trace_location", 1)
	}
	// Times and durations by the MLflow writers' millisecond rule: lost
	// when an MLflow write of what is read back would not give them back.
	if !info.RequestTime.IsZero() {
		switch {
		case derived.RequestTime.IsZero():
			w.lose("info.request_time", 1)
		case infoTimeLoss(info.RequestTime, derived.RequestTime) != "":
			w.lose(infoTimeLoss(info.RequestTime, derived.RequestTime), 1)
		}
	}
	if info.HasDuration {
		switch {
		case !derived.HasDuration:
			w.lose("info.execution_duration", 1)
		case infoDurationLoss(info.ExecutionDuration, derived.ExecutionDuration) != "":
			w.lose(infoDurationLoss(info.ExecutionDuration, derived.ExecutionDuration), 1)
		}
	}
	if info.State != "" && info.State != StateUnspecified && info.State != derived.State {
		w.lose("info.state", 1)
	}
	if info.RequestPreview != "" {
		w.lose("info.request_preview", 1)
	}
	if info.ResponsePreview != "" {
		w.lose("info.response_preview", 1)
	}
	w.lose("info.trace_metadata", len(info.Metadata))
	lostTags := 0
	for k, v := range info.Tags {
		if dv, ok := derived.Tags[k]; !ok || dv != v {
			lostTags++
		}
	}
	w.lose("info.tags", lostTags)
	w.lose("info.assessments", len(info.Assessments))
}

// otlpReadBackInfo is the trace info a reader of t written as OTLP rebuilds.
func otlpReadBackInfo(t *Trace) TraceInfo {
	derived := DeriveInfo(t.Spans, SchemaOTLP)
	if _, ok := commonRequestID(t.Spans); ok {
		return derived
	}
	if root, ok := RootSpan(t.Spans); ok && root.d.Resource == nil && root.d.Scope == nil {
		// spans of another schema are written with their stand-in ids
		derived.TraceID = root.d.TraceID.MLflowID()
	}
	return derived
}

// wrapperExtras writes the kept members of a ResourceSpans or ScopeSpans
// wrapper: the fields of x under prefix, with the prefix removed.
func (w *otlpWriter) wrapperExtras(x Extras, prefix string) {
	if x.Schema != SchemaOTLP {
		return // wrapper members are only ever kept from OTLP input
	}
	for _, f := range x.Fields {
		if strings.HasPrefix(f.Key, prefix) {
			w.member(f.Key[len(prefix):], f.Value)
		}
	}
}

// objectExtras writes the kept members of an object (skipping those kept for
// its wrapper under wrapperPrefix) when they came from OTLP, and reports
// another schema's as lost under "<object>.<key>".
func (w *otlpWriter) objectExtras(x Extras, object string, wrapperPrefix string) {
	for _, f := range x.Fields {
		if isMarker(f.Key) {
			continue
		}
		if wrapperPrefix != "" && strings.HasPrefix(f.Key, wrapperPrefix) {
			continue
		}
		if x.Schema != SchemaOTLP {
			w.lose(object+"."+f.Key, 1)
			continue
		}
		w.member(f.Key, f.Value)
	}
}

// member writes a kept member with its value compacted; a value that is not
// valid JSON (never produced by the readers) is skipped, so the output stays
// valid.
func (w *otlpWriter) member(key string, raw json.RawMessage) {
	mark := len(w.dst)
	w.byte(',')
	w.dst = appendJSONText(w.dst, key)
	w.byte(':')
	buf := bytes.NewBuffer(w.dst)
	if err := json.Compact(buf, raw); err != nil {
		w.dst = w.dst[:mark]
		return
	}
	w.dst = buf.Bytes()
}

func (w *otlpWriter) optString(key, v string) {
	if v == "" {
		return
	}
	w.str(`,"`)
	w.str(key)
	w.str(`":`)
	w.dst = appendJSONText(w.dst, v)
}

func (w *otlpWriter) optUint(key string, v uint32) {
	if v == 0 {
		return
	}
	w.str(`,"`)
	w.str(key)
	w.str(`":`)
	w.dst = strconv.AppendUint(w.dst, uint64(v), 10)
}

func (w *otlpWriter) optAttrs(a Attributes, plain bool) {
	if a.Len() == 0 {
		return
	}
	w.str(`,"attributes":`)
	var inexact int
	w.dst, inexact = appendKVList(w.dst, a, plain)
	// numbers neither int64 nor float64 holds come back as strings
	w.lose("attribute value type", inexact)
}

// openOptional opens an object whose members are all optional (each written
// with a leading comma); closeOptional drops the first member's comma.
func (w *otlpWriter) openOptional() int { w.byte('{'); return len(w.dst) }

func (w *otlpWriter) closeOptional(start int) {
	if len(w.dst) > start && w.dst[start] == ',' {
		w.dst = append(w.dst[:start], w.dst[start+1:]...)
	}
	w.byte('}')
}

func (w *otlpWriter) resource(r *Resource) {
	start := w.openOptional()
	if r != nil {
		w.optAttrs(r.Attributes, false)
		w.optUint("droppedAttributesCount", r.DroppedAttributes)
		w.objectExtras(r.Extra, "resource", resourceSpansExtraPrefix)
	}
	w.closeOptional(start)
}

func (w *otlpWriter) scope(s *Scope) {
	start := w.openOptional()
	if s != nil {
		w.optString("name", s.Name)
		w.optString("version", s.Version)
		w.optAttrs(s.Attributes, false)
		w.optUint("droppedAttributesCount", s.DroppedAttributes)
		w.objectExtras(s.Extra, "scope", scopeSpansExtraPrefix)
	}
	w.closeOptional(start)
}

// id writes `"key":` and an id: lower-case hex, "" for the zero id. An
// OTLP-read span writes an undecodable id back as it was; a span of another
// schema writes the stand-in id (valid OTLP) and reports the loss.
// omitZero leaves out a zero id with no text (parentSpanId of a root).
func (w *otlpWriter) id(key string, id []byte, opaque string, otlpOrigin, omitZero bool) {
	zero := !slices.ContainsFunc(id, func(b byte) bool { return b != 0 })
	if omitZero && zero && opaque == "" {
		return
	}
	w.str(key)
	if opaque != "" {
		if otlpOrigin && !w.standIns {
			w.dst = appendJSONText(w.dst, opaque)
			return
		}
		w.lose("span.opaque_id", 1)
	}
	w.byte('"')
	if !zero {
		w.dst = hex.AppendEncode(w.dst, id)
	}
	w.byte('"')
}

// openWithIDs serves span and link: it opens the object with its traceId,
// spanId and traceState, and returns the opaque id texts (none when opaque
// is nil).
func (w *otlpWriter) openWithIDs(traceID TraceID, spanID SpanID, traceState string, opaque *OpaqueIDs, otlpOrigin bool) OpaqueIDs {
	var op OpaqueIDs
	if opaque != nil {
		op = *opaque
	}
	w.id(`{"traceId":`, traceID[:], op.TraceID, otlpOrigin, false)
	w.id(`,"spanId":`, spanID[:], op.SpanID, otlpOrigin, false)
	w.optString("traceState", traceState)
	return op
}

func (w *otlpWriter) span(d *SpanData) {
	otlpOrigin := d.Resource != nil || d.Scope != nil
	op := w.openWithIDs(d.TraceID, d.SpanID, d.TraceState, d.Opaque, otlpOrigin)
	w.id(`,"parentSpanId":`, d.ParentID[:], op.ParentID, otlpOrigin, true)
	w.optUint("flags", d.Flags)
	w.str(`,"name":`)
	w.dst = appendJSONText(w.dst, d.Name)
	kind := d.Kind
	if kind == SpanKindUnspecified && !otlpOrigin {
		// MLflow span dicts carry no kind; their spans are OpenTelemetry
		// spans of the default kind, INTERNAL.
		kind = SpanKindInternal
	}
	w.str(`,"kind":`)
	w.dst = strconv.AppendInt(w.dst, int64(kind), 10)
	w.str(`,"startTimeUnixNano":"`)
	w.dst = strconv.AppendInt(w.dst, d.StartTime, 10)
	w.str(`","endTimeUnixNano":"`)
	w.dst = strconv.AppendInt(w.dst, d.EndTime, 10)
	w.byte('"')
	w.optAttrs(d.Attributes, false)
	w.optUint("droppedAttributesCount", d.DroppedAttributes)
	if len(d.Events) > 0 {
		w.str(`,"events":[`)
		for i := range d.Events {
			if i > 0 {
				w.byte(',')
			}
			w.event(&d.Events[i])
		}
		w.byte(']')
	}
	w.optUint("droppedEventsCount", d.DroppedEvents)
	if len(d.Links) > 0 {
		w.str(`,"links":[`)
		for i := range d.Links {
			if i > 0 {
				w.byte(',')
			}
			w.link(&d.Links[i], otlpOrigin)
		}
		w.byte(']')
	}
	w.optUint("droppedLinksCount", d.DroppedLinks)
	w.str(`,"status":{`)
	if d.Status.Message != "" {
		w.str(`"message":`)
		w.dst = appendJSONText(w.dst, d.Status.Message)
		w.byte(',')
	}
	w.str(`"code":`)
	w.dst = strconv.AppendInt(w.dst, int64(d.Status.Code), 10)
	w.byte('}')
	w.objectExtras(d.Extra, "span", "")
	w.byte('}')
}

func (w *otlpWriter) event(e *Event) {
	w.str(`{"timeUnixNano":"`)
	w.dst = strconv.AppendInt(w.dst, e.Time, 10)
	w.str(`","name":`)
	w.dst = appendJSONText(w.dst, e.Name)
	w.optAttrs(e.Attributes, true)
	w.optUint("droppedAttributesCount", e.DroppedAttributes)
	w.objectExtras(e.Extra, "event", "")
	w.byte('}')
}

func (w *otlpWriter) link(l *Link, otlpOrigin bool) {
	w.openWithIDs(l.TraceID, l.SpanID, l.TraceState, l.Opaque, otlpOrigin)
	w.optAttrs(l.Attributes, true)
	w.optUint("droppedAttributesCount", l.DroppedAttributes)
	w.optUint("flags", l.Flags)
	w.objectExtras(l.Extra, "link", "")
	w.byte('}')
}
