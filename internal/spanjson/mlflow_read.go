package spanjson

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// rawAttrsKey is the Extras member that lists the span attributes whose
// value was a bare JSON value instead of a JSON-encoded string (tolerated on
// read), so that a same-schema write emits them unquoted again.
const rawAttrsKey = "@unquoted_attributes"

// readSpans decodes MLflow span dicts of p.schema (v2, v3 or REST).
func (p *reader) readSpans(items []gjson.Result) []Span {
	spans := make([]Span, 0, len(items))
	for _, it := range items {
		if !it.IsObject() {
			p.warn(it.Index, "a span is not a JSON object: skipped")
			continue
		}
		var d SpanData
		if p.schema == SchemaMLflowV2 {
			p.fastSpanV2(it.Index, &d)
		} else {
			p.fastSpanV3(it.Index, &d)
		}
		spans = append(spans, p.newSpan(d))
	}
	return spans
}

// spanMemberV3 decodes one member of an MLflow 3 span dict (formats.md
// §3.2); REST v3 spans (snake_case OTLP, §3.3) use the same reader. The
// common forms are read by fastSpanV3; this handles every form.
func (p *reader) spanMemberV3(k, val gjson.Result, d *SpanData, extras *[]Field, rawKeys *[]string) {
	switch k.Str {
	case "trace_id", "traceId":
		d.TraceID = p.traceID(val, &d.Opaque)
	case "span_id", "spanId":
		d.SpanID = p.spanID(val, &d.Opaque, false)
	case "parent_span_id", "parentSpanId":
		d.ParentID = p.spanID(val, &d.Opaque, true)
	case "name":
		d.Name = p.str(val)
	case "start_time_unix_nano", "startTimeUnixNano":
		d.StartTime = p.int64Field(val, "start time")
	case "end_time_unix_nano", "endTimeUnixNano":
		d.EndTime = p.int64Field(val, "end time")
	case "trace_state", "traceState":
		d.TraceState = p.str(val)
		if val.Type == gjson.String && val.Str == "" {
			p.spanMarks |= spanMarkTraceState
		}
	case "status":
		d.Status = p.statusV3(val)
	case "attributes":
		d.Attributes, *rawKeys = p.spanAttributes(val)
	case "events":
		d.Events = p.events(val, "time_unix_nano")
	case "links":
		d.Links = p.links(val)
	case "kind":
		d.Kind = p.kind(val)
	case "flags":
		d.Flags = uint32(p.int64Field(val, "flags"))
	case "dropped_attributes_count", "droppedAttributesCount":
		d.DroppedAttributes = uint32(p.int64Field(val, "dropped attributes count"))
	case "dropped_events_count", "droppedEventsCount":
		d.DroppedEvents = uint32(p.int64Field(val, "dropped events count"))
	case "dropped_links_count", "droppedLinksCount":
		d.DroppedLinks = uint32(p.int64Field(val, "dropped links count"))
	default:
		*extras = append(*extras, p.field(k, val))
	}
}

// spanMemberV2 decodes one member of an MLflow 2 span dict (formats.md
// §3.1), every form; fastSpanV2 reads the common ones.
func (p *reader) spanMemberV2(k, val gjson.Result, d *SpanData, extras *[]Field, rawKeys *[]string) {
	switch k.Str {
	case "name":
		d.Name = p.str(val)
	case "context":
		if !val.IsObject() {
			*extras = append(*extras, Field{Key: "context", Value: p.rawJSON(val)})
			return
		}
		val.ForEach(func(ck, cv gjson.Result) bool {
			switch ck.Str {
			case "span_id":
				d.SpanID = p.spanID(cv, &d.Opaque, false)
			case "trace_id":
				d.TraceID = p.traceID(cv, &d.Opaque)
			default:
				*extras = append(*extras, Field{Key: "context." + ck.Str, Value: p.rawJSON(cv)})
			}
			return true
		})
	case "parent_id":
		d.ParentID = p.spanID(val, &d.Opaque, true)
	case "start_time":
		d.StartTime = p.int64Field(val, "start time")
	case "end_time":
		d.EndTime = p.int64Field(val, "end time")
	case "status_code":
		code, ok := ParseStatusCode(p.idText(val))
		if !ok {
			p.warn(val.Index, fmt.Sprintf("unknown status code %s: taken as UNSET", clip(val.Raw)))
		}
		d.Status.Code = code
	case "status_message":
		d.Status.Message = p.str(val)
	case "attributes":
		d.Attributes, *rawKeys = p.spanAttributes(val)
	case "events":
		d.Events = p.events(val, "timestamp")
	default:
		*extras = append(*extras, p.field(k, val))
	}
}

func (p *reader) finishSpan(d *SpanData, extras []Field, rawKeys []string) {
	if len(rawKeys) > 0 {
		b, _ := json.Marshal(rawKeys)
		extras = append(extras, Field{Key: rawAttrsKey, Value: b})
	}
	marks := p.spanMarks
	p.spanMarks = 0
	if d.Events == nil {
		marks |= spanMarkNoEvents
	}
	if d.Links != nil && len(d.Links) == 0 {
		marks |= spanMarkLinks
	}
	if marks != 0 {
		if len(extras) == 0 {
			extras = spanMarkFields[marks] // shared, see form.go
		} else {
			extras = append(extras, spanMarkFields[marks]...)
		}
	}
	p.keepExtras(&d.Extra, extras)
}

func (p *reader) statusV3(v gjson.Result) Status {
	var st Status
	if v.Type == gjson.String || v.Type == gjson.Number {
		code, ok := ParseStatusCode(p.idText(v))
		if !ok {
			p.warn(v.Index, fmt.Sprintf("unknown status code %s: taken as UNSET", clip(v.Raw)))
		}
		st.Code = code
		return st
	}
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "code", "status_code":
			code, ok := ParseStatusCode(p.idText(val))
			if !ok {
				p.warn(val.Index, fmt.Sprintf("unknown status code %s: taken as UNSET", clip(val.Raw)))
			}
			st.Code = code
		case "message", "description":
			st.Message = p.str(val)
		}
		return true
	})
	return st
}

func (p *reader) kind(v gjson.Result) SpanKind {
	k, ok := ParseSpanKind(p.idText(v))
	if !ok {
		p.warn(v.Index, fmt.Sprintf("unknown span kind %s: taken as UNSPECIFIED", clip(v.Raw)))
	}
	return k
}

// spanAttributes decodes an MLflow span attribute map, whose values are
// JSON-encoded strings; bare JSON values are tolerated and listed in
// rawKeys. A KeyValue list (REST v3) is accepted too.
func (p *reader) spanAttributes(v gjson.Result) (Attributes, []string) {
	if v.IsArray() {
		return p.keyValueList(v, true), nil
	}
	if !v.IsObject() {
		if v.Type != gjson.Null {
			p.warn(v.Index, "span attributes are not an object: ignored")
		}
		return Attributes{}, nil
	}
	list := p.spanScratch[:0]
	var rawKeys []string
	v.ForEach(func(k, val gjson.Result) bool {
		a := Attribute{Key: p.key(k), Type: ValueJSON}
		if val.Type == gjson.String {
			a.Value = p.str(val)
		} else {
			a.Value = p.rawText(val)
			rawKeys = append(rawKeys, a.Key)
		}
		list = append(list, a)
		return true
	})
	p.spanScratch = list
	if len(list) == 0 {
		return Attributes{}, rawKeys
	}
	return p.newAttributes(list), rawKeys
}

// plainAttributes decodes an event or link attribute map of plain JSON
// values: each Value is the value's JSON text.
func (p *reader) plainAttributes(v gjson.Result) Attributes {
	if v.IsArray() {
		return p.keyValueList(v, false)
	}
	if !v.IsObject() {
		if v.Type != gjson.Null {
			p.warn(v.Index, "attributes are not an object: ignored")
		}
		return Attributes{}
	}
	list := p.eventAttrScratch[:0]
	v.ForEach(func(k, val gjson.Result) bool {
		list = append(list, Attribute{Key: p.key(k), Value: p.rawText(val), Type: ValueJSON})
		return true
	})
	p.eventAttrScratch = list
	if len(list) == 0 {
		return Attributes{}
	}
	return p.newAttributes(list)
}

// events decodes MLflow span events; timeKey is "timestamp" (v2) or
// "time_unix_nano" (v3). Times are converted to nanoseconds by magnitude.
func (p *reader) events(v gjson.Result, timeKey string) []Event {
	if !p.isList(v, "span events") {
		return nil
	}
	var out []Event
	v.ForEach(func(_, ev gjson.Result) bool {
		if !p.isItemObject(ev, "a span event") {
			return true
		}
		var e Event
		var extras []Field
		ev.ForEach(func(k, val gjson.Result) bool {
			switch k.Str {
			case "name":
				e.Name = p.str(val)
			case timeKey, "time_unix_nano", "timeUnixNano", "timestamp":
				n := p.int64Field(val, "event time")
				e.Time = eventTime(n)
				if e.Time != n {
					// not nanoseconds: a same-schema write gives it back
					extras = append(extras, Field{Key: markTime, Value: strconv.AppendInt(nil, n, 10)})
				}
			case "attributes":
				e.Attributes = p.plainAttributes(val)
			case "dropped_attributes_count", "droppedAttributesCount":
				e.DroppedAttributes = uint32(p.int64Field(val, "dropped attributes count"))
			default:
				extras = append(extras, p.field(k, val))
			}
			return true
		})
		p.keepExtras(&e.Extra, extras)
		out = append(out, e)
		return true
	})
	if out == nil {
		out = []Event{}
	}
	return out
}

// links decodes MLflow 3 span links (shape as OTLP links, snake_case).
func (p *reader) links(v gjson.Result) []Link {
	if !p.isList(v, "span links") {
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
			case "trace_id", "traceId":
				l.TraceID = p.traceID(val, &l.Opaque)
			case "span_id", "spanId":
				l.SpanID = p.spanID(val, &l.Opaque, false)
			case "trace_state", "traceState":
				l.TraceState = p.str(val)
			case "flags":
				l.Flags = uint32(p.int64Field(val, "flags"))
			case "attributes":
				l.Attributes = p.plainAttributes(val)
			case "dropped_attributes_count", "droppedAttributesCount":
				l.DroppedAttributes = uint32(p.int64Field(val, "dropped attributes count"))
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

// isList reports whether v is a JSON list; what else it is but null is
// warned about as ignored (what: the list's name, plural).
func (p *reader) isList(v gjson.Result, what string) bool {
	if v.IsArray() {
		return true
	}
	if v.Type != gjson.Null {
		p.warn(v.Index, what+" are not an array: ignored")
	}
	return false
}

// isItemObject reports whether the list item v is an object, warning that
// it is skipped when not (what: "a span event" and the like).
func (p *reader) isItemObject(v gjson.Result, what string) bool {
	if v.IsObject() {
		return true
	}
	p.warn(v.Index, what+" is not an object: skipped")
	return false
}

// field keeps the unknown member k: val.
func (p *reader) field(k, val gjson.Result) Field {
	return Field{Key: p.key(k), Value: p.rawJSON(val)}
}

// keepExtras sets *dst to the kept members, marked as this document's
// schema, when there are any.
func (p *reader) keepExtras(dst *Extras, fields []Field) {
	if len(fields) > 0 {
		*dst = Extras{Schema: p.schema, Fields: fields}
	}
}

// msDuration reads a duration in whole milliseconds; null is no duration.
func (p *reader) msDuration(v gjson.Result, what string) (time.Duration, bool) {
	return time.Duration(p.int64Field(v, what)) * time.Millisecond, v.Type != gjson.Null
}

// stringMap decodes metadata or tags: an object (to_json form) or a list of
// {"key","value"} (REST wire form). Non-string values are kept as JSON text
// and named in raw.
func (p *reader) stringMap(v gjson.Result, what string, raw *map[string]bool) map[string]string {
	m := map[string]string{}
	put := func(k string, val gjson.Result) {
		if val.Type == gjson.String {
			m[k] = p.str(val)
			return
		}
		m[k] = p.rawText(val)
		if raw != nil {
			if *raw == nil {
				*raw = map[string]bool{}
			}
			(*raw)[k] = true
		}
	}
	switch {
	case v.IsObject():
		v.ForEach(func(k, val gjson.Result) bool {
			put(p.key(k), val)
			return true
		})
	case v.IsArray():
		v.ForEach(func(_, kv gjson.Result) bool {
			put(p.str(kv.Get("key")), kv.Get("value"))
			return true
		})
	case v.Type == gjson.Null:
	default:
		p.warn(v.Index, what+" is not an object: ignored")
	}
	return m
}

// infoV3 decodes MLflow 3 trace info (formats.md §2.3); the REST v3
// trace_info (§2.4) is the same but for the duration and time encodings,
// which both are accepted.
func (p *reader) infoV3(v gjson.Result) TraceInfo {
	return p.info(v, "trace_metadata", v3EmptyKept, func(in *TraceInfo, k string, val gjson.Result) bool {
		switch k {
		case "trace_id":
			in.TraceID = p.str(val)
		case "client_request_id":
			in.ClientRequestID = p.str(val)
		case "trace_location":
			p.location(val, in)
		case "request_time":
			in.RequestTime = p.timeValue(val, "request_time")
		case "execution_duration_ms":
			in.ExecutionDuration, in.HasDuration = p.msDuration(val, "execution_duration_ms")
		case "execution_duration":
			in.ExecutionDuration, in.HasDuration = p.durationValue(val)
		case "state":
			in.State = p.state(val)
		case "request_preview":
			in.RequestPreview = p.str(val)
		case "response_preview":
			in.ResponsePreview = p.str(val)
		default:
			return false
		}
		return true
	})
}

// v3EmptyKept are the optional MLflow 3 info members whose presence as ""
// is marked (markEmpty) for a same-schema write.
var v3EmptyKept = []string{"client_request_id", "request_preview", "response_preview"}

// infoV2 decodes MLflow 2 trace info (formats.md §2.2).
// The previews are the metadata's mlflow.traceInputs and
// mlflow.traceOutputs (PreviewOfMetadata).
func (p *reader) infoV2(v gjson.Result) TraceInfo {
	in := p.info(v, "request_metadata", nil, func(in *TraceInfo, k string, val gjson.Result) bool {
		switch k {
		case "request_id":
			in.TraceID = p.str(val)
		case "experiment_id":
			in.ExperimentID = p.str(val)
			in.LocationType = ExperimentLocation
		case "timestamp_ms":
			if val.Type != gjson.Null {
				in.RequestTime = time.UnixMilli(p.int64Field(val, "timestamp_ms")).UTC()
			}
		case "execution_time_ms":
			in.ExecutionDuration, in.HasDuration = p.msDuration(val, "execution_time_ms")
		case "status":
			in.State = p.state(val)
		default:
			return false
		}
		return true
	})
	in.RequestPreview = previewFromMetadata(&in, MetaTraceInputs)
	in.ResponsePreview = previewFromMetadata(&in, MetaTraceOutputs)
	return in
}

// previewFromMetadata returns the preview an MLflow 2 info's metadata key
// gives (PreviewOfMetadata). A value the preview holds whole moves there
// (the MLflow 2 writer puts it back), so that no preview is kept twice; a
// longer one, or one that is not a JSON string, stays in the metadata too.
func previewFromMetadata(in *TraceInfo, key string) string {
	v, ok := in.Metadata[key]
	if !ok || v == "" {
		return ""
	}
	pv := PreviewOfMetadata(v)
	if pv == v && !in.RawMetadata[key] {
		delete(in.Metadata, key)
	}
	return pv
}

// info serves infoV3 and infoV2: it decodes the trace info object v,
// offering each member to member first (which reports whether it took it);
// the members both versions write alike (the metadata under metadataKey,
// tags, assessments) are read here, any other is kept. The members of
// emptyKept present as "" and a missing metadata or tags member are marked
// (markEmpty, markAbsent) for a same-schema write.
func (p *reader) info(v gjson.Result, metadataKey string, emptyKept []string, member func(in *TraceInfo, k string, val gjson.Result) bool) TraceInfo {
	var in TraceInfo
	var extras []Field
	var empty []string
	absent := map[string]bool{metadataKey: true, "tags": true}
	v.ForEach(func(k, val gjson.Result) bool {
		delete(absent, k.Str)
		if val.Type == gjson.String && val.Str == "" && slices.Contains(emptyKept, k.Str) {
			empty = append(empty, k.Str)
		}
		switch {
		case member(&in, k.Str, val):
		case k.Str == metadataKey:
			in.Metadata = p.stringMap(val, metadataKey, &in.RawMetadata)
		case k.Str == "tags":
			in.Tags = p.stringMap(val, "tags", nil)
		case k.Str == "assessments":
			in.Assessments = p.rawList(val)
		default:
			extras = append(extras, p.field(k, val))
		}
		return true
	})
	extras = markList(extras, markEmpty, empty)
	extras = markList(extras, markAbsent, sortedKeys(absent))
	p.keepExtras(&in.Extra, extras)
	return in
}

func (p *reader) rawList(v gjson.Result) []json.RawMessage {
	if !p.isList(v, "assessments") {
		return nil
	}
	out := []json.RawMessage{}
	v.ForEach(func(_, it gjson.Result) bool {
		out = append(out, p.rawJSON(it))
		return true
	})
	return out
}

// location reads trace_location: a plain experiment location fills
// ExperimentID; anything else is kept whole in Location.
func (p *reader) location(v gjson.Result, in *TraceInfo) {
	if !v.IsObject() {
		if v.Type != gjson.Null {
			in.Location = p.rawJSON(v)
		}
		return
	}
	plain := true
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "type":
			in.LocationType = p.str(val)
		case "mlflow_experiment":
			n := 0
			val.ForEach(func(ek, ev gjson.Result) bool {
				n++
				if ek.Str == "experiment_id" && ev.Type == gjson.String {
					in.ExperimentID = p.str(ev)
				} else {
					plain = false
				}
				return true
			})
			if n != 1 {
				plain = false
			}
		default:
			plain = false
		}
		return true
	})
	if !plain || in.LocationType != ExperimentLocation {
		in.Location = p.rawJSON(v)
	}
}

// timeValue reads an ISO-8601 string or an int of milliseconds.
func (p *reader) timeValue(v gjson.Result, what string) time.Time {
	switch v.Type {
	case gjson.String:
		t, err := time.Parse(time.RFC3339Nano, v.Str)
		if err != nil {
			p.warn(v.Index, fmt.Sprintf("%s %q is not an ISO-8601 time: ignored", what, clip(v.Str)))
			return time.Time{}
		}
		return t.UTC()
	case gjson.Number:
		return time.UnixMilli(p.int64Field(v, what)).UTC()
	case gjson.Null:
		return time.Time{}
	}
	p.warn(v.Index, what+" is not a time: ignored")
	return time.Time{}
}

// durationValue reads a protobuf Duration string ("1.500s") or an int of ms.
func (p *reader) durationValue(v gjson.Result) (time.Duration, bool) {
	switch v.Type {
	case gjson.String:
		s := strings.TrimSpace(v.Str)
		if !strings.HasSuffix(s, "s") {
			s += "s"
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			p.warn(v.Index, fmt.Sprintf("execution_duration %q is not a duration: ignored", clip(v.Str)))
			return 0, false
		}
		return d, true
	case gjson.Number:
		return p.msDuration(v, "execution_duration")
	}
	return 0, false
}

func (p *reader) state(v gjson.Result) TraceState {
	s, ok := ParseTraceState(p.idText(v))
	if !ok {
		p.warn(v.Index, fmt.Sprintf("unknown trace state %s: taken as %s", clip(v.Raw), StateUnspecified))
	}
	return s
}
