package spanjson

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// appendMLflowV2 writes t as an MLflow 2 trace ({"info","data"}), canonical
// compact form: "0x" hex ids in "context", flat status_code, request_id,
// timestamp_ms, execution_time_ms, status, request_metadata.
func appendMLflowV2(dst []byte, t *Trace) ([]byte, []Loss, error) {
	w := mlflowWriter{schema: SchemaMLflowV2, b: dst}
	w.traceV2(t)
	return w.b, w.loss.list(), nil
}

// appendMLflowV3 writes t as an MLflow 3 trace ({"info","data"}), canonical
// compact form: "tr-" trace id, base64 span ids, status{code}, ISO
// request_time with milliseconds, execution_duration_ms.
func appendMLflowV3(dst []byte, t *Trace) ([]byte, []Loss, error) {
	w := mlflowWriter{schema: SchemaMLflowV3, b: dst}
	w.traceV3(t)
	return w.b, w.loss.list(), nil
}

// lossSet counts what a write could not carry.
type lossSet struct{ m map[string]int }

func (l *lossSet) add(field string, n int) {
	if n <= 0 {
		return
	}
	if l.m == nil {
		l.m = map[string]int{}
	}
	l.m[field] += n
}

func (l *lossSet) list() []Loss {
	if len(l.m) == 0 {
		return nil
	}
	out := make([]Loss, 0, len(l.m))
	for _, k := range sortedKeys(l.m) {
		out = append(out, Loss{Field: k, Count: l.m[k]})
	}
	return out
}

type mlflowWriter struct {
	schema Schema
	b      []byte
	out    streamOut // WriteTrace: b is handed to out.w between spans
	loss   lossSet
	// reqIDFrom, reqIDTo: the trace id was rewritten; span attributes
	// mlflow.traceRequestId naming the old id name the new one.
	reqIDFrom, reqIDTo string
}

// --- small JSON helpers ---

func (w *mlflowWriter) key(k string) {
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

func (w *mlflowWriter) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

func (w *mlflowWriter) int(k string, n int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, n, 10)
}

func (w *mlflowWriter) comma() { w.b = append(w.b, ',') }

// ownExtras returns the fields of e that belong to the writer's schema
// under prefix (stripped), and reports the others as lost under object.
func (w *mlflowWriter) extras(e Extras, object, prefix string) []Field {
	if len(e.Fields) == 0 {
		return nil
	}
	var out []Field
	for _, f := range e.Fields {
		if isMarker(f.Key) {
			continue
		}
		if e.Schema != w.schema {
			if prefix == "" {
				w.loss.add(object+"."+f.Key, 1)
			}
			continue
		}
		if prefix == "" {
			if !isPrefixedExtra(f.Key) {
				out = append(out, f)
			}
			continue
		}
		if rest, ok := strings.CutPrefix(f.Key, prefix); ok {
			out = append(out, Field{Key: rest, Value: f.Value})
		}
	}
	return out
}

// isPrefixedExtra tells the reader's placement prefixes from plain keys
// that happen to contain a dot.
func isPrefixedExtra(k string) bool {
	return strings.HasPrefix(k, "data.") || strings.HasPrefix(k, "trace.") || strings.HasPrefix(k, "context.") ||
		strings.HasPrefix(k, envelopePrefix) || strings.HasPrefix(k, databricksPrefix)
}

func (w *mlflowWriter) writeFields(fs []Field) {
	for _, f := range fs {
		w.comma()
		w.key(f.Key)
		w.b = appendRawJSON(w.b, f.Value)
	}
}

// appendRawJSON appends raw JSON, compacted; invalid text is written as a
// JSON string so the output stays valid.
func appendRawJSON(dst []byte, raw []byte) []byte {
	s := bytesString(raw)
	if len(s) == 0 || !gjson.Valid(s) {
		return appendJSONString(dst, string(raw))
	}
	if needsCompact(s) {
		return append(dst, compactJSON(s)...)
	}
	return append(dst, raw...)
}

// --- info ---

// stringMap writes metadata (metadata true) or tags; the metadata's trace
// schema version is the written schema's.
func (w *mlflowWriter) stringMap(k string, m map[string]string, raw map[string]bool, metadata bool) {
	w.key(k)
	w.b = append(w.b, '{')
	for i, mk := range sortedKeys(m) {
		if i > 0 {
			w.comma()
		}
		w.key(mk)
		v := m[mk]
		if metadata && mk == MetaSchemaVersion && !raw[mk] {
			v = schemaVersionFor(w.schema, v)
		}
		if raw[mk] && gjson.Valid(v) {
			w.b = appendRawJSON(w.b, []byte(v))
		} else {
			w.b = appendJSONString(w.b, v)
		}
	}
	w.b = append(w.b, '}')
}

func (w *mlflowWriter) assessments(a []json.RawMessage) {
	if a == nil {
		return
	}
	w.comma()
	w.key("assessments")
	w.b = append(w.b, '[')
	for i, x := range a {
		if i > 0 {
			w.comma()
		}
		w.b = appendRawJSON(w.b, x)
	}
	w.b = append(w.b, ']')
}

// plainExperimentLocation reports whether in's trace location is an
// experiment id at most, all that MLflow 2 (experiment_id) can hold; the
// OTLP writer holds none of it and reports the id apart.
func plainExperimentLocation(in *TraceInfo) bool {
	return len(in.Location) == 0 && (in.LocationType == "" || in.LocationType == ExperimentLocation)
}

// otelTraceID returns the OpenTelemetry trace id of t: its first span's
// (with a decodable id), else the one its MLflow trace id names.
func otelTraceID(t *Trace) (TraceID, bool) {
	for _, s := range t.Spans {
		if o := s.d.opaque(); o == nil || o.TraceID == "" {
			return s.TraceID(), true
		}
	}
	return OTelIDOfMLflowID(t.Info.TraceID)
}

func isHexID(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func (w *mlflowWriter) traceV3(t *Trace) {
	in := &t.Info
	shape := shapeOf(in, w.schema)
	if w.spansOnly(t, shape) {
		return
	}
	if shape == shapeDatabricks {
		w.b = append(w.b, `{"databricks_output":{"trace":`...)
	}
	w.b = append(w.b, `{"info":{`...)
	id, lost := v3TraceID(t)
	if lost {
		w.loss.add("info.request_id", 1)
	}
	if in.TraceID != "" && id != in.TraceID {
		// Spans name their trace by mlflow.traceRequestId: they follow.
		w.reqIDFrom, w.reqIDTo = in.TraceID, id
	}
	w.str("trace_id", id)
	if in.ClientRequestID != "" || w.presentEmpty(in.Extra, "client_request_id") {
		w.comma()
		w.str("client_request_id", in.ClientRequestID)
	}
	switch {
	case in.Location != nil:
		w.comma()
		w.key("trace_location")
		w.b = appendRawJSON(w.b, in.Location)
	case in.ExperimentID != "" || in.LocationType != "":
		typ := in.LocationType
		if typ == "" {
			typ = ExperimentLocation
		}
		w.comma()
		w.b = append(w.b, `"trace_location":{`...)
		w.str("type", typ)
		if in.ExperimentID != "" {
			w.b = append(w.b, `,"mlflow_experiment":{`...)
			w.str("experiment_id", in.ExperimentID)
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, '}')
	}
	if !in.RequestTime.IsZero() {
		w.comma()
		w.key("request_time")
		rt := w.requestTime(in.RequestTime, in.Derived)
		w.b = append(w.b, '"')
		at := len(w.b)
		w.b = rt.AppendFormat(w.b, "2006-01-02T15:04:05.000Z")
		if _, err := time.Parse(time.RFC3339Nano, string(w.b[at:])); err != nil {
			// a year outside 0000-9999: readers (timeValue) cannot take it
			w.loss.add("info.request_time", 1)
		}
		w.b = append(w.b, '"')
	}
	if in.HasDuration {
		w.comma()
		w.durationMS("execution_duration_ms", in.ExecutionDuration, in.Derived)
	}
	w.comma()
	state := in.State
	if state == "" {
		state = StateUnspecified
	}
	w.str("state", string(state))
	if in.RequestPreview != "" || w.presentEmpty(in.Extra, "request_preview") {
		w.comma()
		w.str("request_preview", in.RequestPreview)
	}
	if in.ResponsePreview != "" || w.presentEmpty(in.Extra, "response_preview") {
		w.comma()
		w.str("response_preview", in.ResponsePreview)
	}
	w.finishTrace(t, "trace_metadata", in.Metadata)
	if shape == shapeDatabricks {
		w.writeFields(w.extras(in.Extra, "info", databricksPrefix))
		w.b = append(w.b, '}')
		w.writeFields(w.extras(in.Extra, "info", envelopePrefix))
		w.b = append(w.b, '}')
	}
}

// spansOnly writes t as the span-only document it was read from (MLflow
// TraceData or a bare span array, see form.go) and reports whether it did.
func (w *mlflowWriter) spansOnly(t *Trace, shape string) bool {
	switch shape {
	case shapeTraceData:
		w.b = append(w.b, `{"spans":[`...)
		w.spanList(t)
		w.b = append(w.b, ']')
		w.writeFields(w.extras(t.Info.Extra, "info", "trace."))
		w.b = append(w.b, '}')
	case shapeSpanArray:
		w.b = append(w.b, '[')
		w.spanList(t)
		w.b = append(w.b, ']')
	default:
		return false
	}
	return true
}

// spanList writes t's spans, comma-separated, in the writer's schema,
// handing what is written to out between spans.
func (w *mlflowWriter) spanList(t *Trace) {
	for i, s := range t.Spans {
		w.b = w.out.flush(w.b)
		if i > 0 {
			w.comma()
		}
		d := s.Data()
		if w.schema == SchemaMLflowV2 {
			w.spanV2(&d)
		} else {
			w.spanV3(&d)
		}
	}
}

// presentEmpty reports whether member was read, empty, in this schema.
func (w *mlflowWriter) presentEmpty(e Extras, member string) bool {
	return hasMark(e, w.schema, markEmpty, member)
}

// absent reports whether member was missing from what was read in this
// schema.
func (w *mlflowWriter) absent(e Extras, member string) bool {
	return hasMark(e, w.schema, markAbsent, member)
}

// durationMS writes the info duration d in whole milliseconds. Info derived
// from spans loses no sub-millisecond digits there: the spans keep the
// nanoseconds and a reader derives them again.
func (w *mlflowWriter) durationMS(k string, d time.Duration, derived bool) {
	back := mlflowDuration(d)
	if f := infoDurationLoss(d, back); f != "" && !(derived && f == subMSDuration) {
		w.loss.add(f, 1)
	}
	w.int(k, back.Milliseconds())
}

// requestTime returns the info request time t as both MLflow writers
// write it (whole milliseconds), reporting the digits it drops.
func (w *mlflowWriter) requestTime(t time.Time, derived bool) time.Time {
	back := mlflowTime(t)
	if f := infoTimeLoss(t, back); f != "" && !(derived && f == subMSTime) {
		w.loss.add(f, 1)
	}
	return back
}

// MLflow trace info keeps whole milliseconds. mlflowTime and mlflowDuration
// are the one rounding rule for it (truncation): what a reader gets back
// from what the MLflow writers write, what the MLflow readers derive from a
// root span, and what the OTLP writer's loss check compares with.

// mlflowTime is t as an MLflow trace info request time.
func mlflowTime(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

// mlflowDuration is d as an MLflow trace info duration.
func mlflowDuration(d time.Duration) time.Duration { return d.Truncate(time.Millisecond) }

// infoTimeLoss names what an info request time had loses when a reader of a
// write gets back instead, "" for nothing. back carries had when it is had
// or when the MLflow rule makes it had: had came from a millisecond field
// and back only adds digits below it. When only the digits below the
// millisecond differ, those are what is lost.
func infoTimeLoss(had, back time.Time) string {
	switch {
	case had.Equal(back) || had.Equal(mlflowTime(back)):
		return ""
	case mlflowTime(had).Equal(mlflowTime(back)):
		return subMSTime
	}
	return "info.request_time"
}

// The losses of digits below the millisecond.
const (
	subMSTime     = "info.request_time sub-millisecond precision"
	subMSDuration = "info.execution_duration sub-millisecond precision"
)

// infoDurationLoss is infoTimeLoss for the info duration.
func infoDurationLoss(had, back time.Duration) string {
	switch {
	case had == back || had == mlflowDuration(back):
		return ""
	case mlflowDuration(had) == mlflowDuration(back):
		return subMSDuration
	}
	return "info.execution_duration"
}

func (w *mlflowWriter) traceV2(t *Trace) {
	in := &t.Info
	if w.spansOnly(t, shapeOf(in, w.schema)) {
		return
	}
	w.b = append(w.b, `{"info":{`...)
	w.str("request_id", v2TraceID(t))
	if in.ExperimentID != "" {
		w.comma()
		w.str("experiment_id", in.ExperimentID)
	}
	if !plainExperimentLocation(in) {
		w.loss.add("info.trace_location", 1)
	}
	if in.ClientRequestID != "" {
		w.loss.add("info.client_request_id", 1)
	}
	if !in.RequestTime.IsZero() {
		w.comma()
		w.int("timestamp_ms", w.requestTime(in.RequestTime, in.Derived).UnixMilli())
	}
	if in.HasDuration {
		w.comma()
		w.durationMS("execution_time_ms", in.ExecutionDuration, in.Derived)
	}
	w.comma()
	state := string(in.State)
	if state == "" || in.State == StateUnspecified {
		state = "TRACE_STATUS_UNSPECIFIED"
	}
	w.str("status", state)
	w.finishTrace(t, "request_metadata", w.previewMetadata(in))
}

// previewMetadata returns the request metadata an MLflow 2 write gives in:
// its metadata, with the previews MLflow 3 keeps apart carried as
// mlflow.traceInputs / mlflow.traceOutputs where the metadata has none. A
// preview that a reader would not get back (PreviewOfMetadata) is lost.
func (w *mlflowWriter) previewMetadata(in *TraceInfo) map[string]string {
	meta := in.Metadata
	for _, pv := range [...]struct{ key, preview, field string }{
		{MetaTraceInputs, in.RequestPreview, "info.request_preview"},
		{MetaTraceOutputs, in.ResponsePreview, "info.response_preview"},
	} {
		if pv.preview == "" {
			continue
		}
		have, ok := meta[pv.key]
		if !ok {
			if len(meta) == len(in.Metadata) {
				meta = maps.Clone(meta)
				if meta == nil {
					meta = map[string]string{}
				}
			}
			meta[pv.key], have = pv.preview, pv.preview
		}
		if PreviewOfMetadata(have) != pv.preview {
			w.loss.add(pv.field, 1)
		}
	}
	return meta
}

// finishTrace serves traceV3 and traceV2: it ends the info object (the
// metadata under metadataKey, tags, assessments, kept members), writes the
// data object with the spans and closes the trace, kept members of data
// and of the trace object included. Metadata and tags that are empty and
// were absent from what was read in this schema stay absent.
func (w *mlflowWriter) finishTrace(t *Trace, metadataKey string, metadata map[string]string) {
	in := &t.Info
	if len(metadata) > 0 || !w.absent(in.Extra, metadataKey) {
		w.comma()
		w.stringMap(metadataKey, metadata, in.RawMetadata, true)
	}
	if len(in.Tags) > 0 || !w.absent(in.Extra, "tags") {
		w.comma()
		w.stringMap("tags", in.Tags, nil, false)
	}
	w.assessments(in.Assessments)
	w.writeFields(w.extras(in.Extra, "info", ""))
	w.b = append(w.b, `},"data":{"spans":[`...)
	w.spanList(t)
	w.b = append(w.b, ']')
	w.writeFields(w.extras(in.Extra, "info", "data."))
	w.b = append(w.b, '}')
	w.writeFields(w.extras(in.Extra, "info", "trace."))
	w.b = append(w.b, '}')
}

// --- spans ---

// spanLosses reports the span members neither MLflow dict format carries.
func (w *mlflowWriter) spanLosses(d *SpanData) {
	if d.Kind != SpanKindUnspecified && d.Kind != SpanKindInternal {
		w.loss.add("span.kind", 1)
	}
	if d.Flags != 0 {
		w.loss.add("span.flags", 1)
	}
	if d.DroppedAttributes != 0 {
		w.loss.add("span.dropped_attributes_count", 1)
	}
	if d.DroppedEvents != 0 {
		w.loss.add("span.dropped_events_count", 1)
	}
	if d.DroppedLinks != 0 {
		w.loss.add("span.dropped_links_count", 1)
	}
	if d.Resource != nil && (d.Resource.Attributes.Len() > 0 || d.Resource.SchemaURL != "" || len(d.Resource.Extra.Fields) > 0) {
		w.loss.add("span.resource", 1)
	}
	if d.Scope != nil && (d.Scope.Name != "" || d.Scope.Version != "" || d.Scope.Attributes.Len() > 0 || d.Scope.SchemaURL != "") {
		w.loss.add("span.scope", 1)
	}
}

func (w *mlflowWriter) spanV3(d *SpanData) {
	w.spanLosses(d)
	op := d.Opaque
	if op == nil {
		op = &OpaqueIDs{}
	}
	w.b = append(w.b, '{')
	w.key("trace_id")
	w.b = appendIDText(w.b, op.TraceID, d.TraceID[:], false)
	w.comma()
	w.key("span_id")
	w.b = appendIDText(w.b, op.SpanID, d.SpanID[:], false)
	if d.TraceState != "" || w.presentEmpty(d.Extra, "trace_state") {
		w.comma()
		w.str("trace_state", d.TraceState)
	}
	w.comma()
	w.key("parent_span_id")
	if d.ParentID.IsZero() && op.ParentID == "" {
		w.b = append(w.b, "null"...)
	} else {
		w.b = appendIDText(w.b, op.ParentID, d.ParentID[:], false)
	}
	w.comma()
	w.str("name", d.Name)
	w.comma()
	w.int("start_time_unix_nano", d.StartTime)
	w.comma()
	w.endTime("end_time_unix_nano", d.EndTime)
	if len(d.Events) > 0 || !w.absent(d.Extra, "events") {
		w.comma()
		w.events(d.Events, "time_unix_nano")
	}
	w.b = append(w.b, `,"status":{"code":"STATUS_CODE_`...)
	w.b = append(w.b, d.Status.Code.String()...)
	w.b = append(w.b, `","message":`...)
	w.b = appendJSONString(w.b, d.Status.Message)
	w.b = append(w.b, "},"...)
	w.spanAttributes(d)
	if len(d.Links) > 0 || w.presentEmpty(d.Extra, "links") {
		w.comma()
		w.linksV3(d.Links)
	}
	w.writeFields(w.extras(d.Extra, "span", ""))
	w.b = append(w.b, '}')
}

func (w *mlflowWriter) spanV2(d *SpanData) {
	w.spanLosses(d)
	if d.TraceState != "" {
		w.loss.add("span.trace_state", 1)
	}
	if len(d.Links) > 0 {
		w.loss.add("span.links", len(d.Links))
	}
	op := d.Opaque
	if op == nil {
		op = &OpaqueIDs{}
	}
	w.b = append(w.b, '{')
	w.str("name", d.Name)
	w.b = append(w.b, `,"context":{"span_id":`...)
	w.b = appendIDText(w.b, op.SpanID, d.SpanID[:], true)
	w.b = append(w.b, `,"trace_id":`...)
	w.b = appendIDText(w.b, op.TraceID, d.TraceID[:], true)
	w.writeFields(w.extras(d.Extra, "span", "context."))
	w.b = append(w.b, `},"parent_id":`...)
	if d.ParentID.IsZero() && op.ParentID == "" {
		w.b = append(w.b, "null"...)
	} else {
		w.b = appendIDText(w.b, op.ParentID, d.ParentID[:], true)
	}
	w.comma()
	w.int("start_time", d.StartTime)
	w.comma()
	w.endTime("end_time", d.EndTime)
	w.comma()
	w.str("status_code", d.Status.Code.String())
	w.comma()
	w.str("status_message", d.Status.Message)
	w.comma()
	w.spanAttributes(d)
	if len(d.Events) > 0 || !w.absent(d.Extra, "events") {
		w.comma()
		w.events(d.Events, "timestamp")
	}
	w.writeFields(w.extras(d.Extra, "span", ""))
	w.b = append(w.b, '}')
}

func (w *mlflowWriter) endTime(k string, ns int64) {
	if ns == 0 {
		w.key(k)
		w.b = append(w.b, "null"...)
		return
	}
	w.int(k, ns)
}

// appendIDText writes an id: the opaque text when the input id was not
// decodable, else base64 (MLflow 3) or "0x" hex (MLflow 2).
func appendIDText(dst []byte, opaque string, id []byte, hexForm bool) []byte {
	if opaque != "" {
		return appendJSONString(dst, opaque)
	}
	dst = append(dst, '"')
	if hexForm {
		dst = append(dst, "0x"...)
		dst = hex.AppendEncode(dst, id)
	} else {
		dst = base64Std.AppendEncode(dst, id)
	}
	return append(dst, '"')
}

// spanAttributes writes the attribute map by the MLflow rule: every value a
// JSON-encoded string. Attributes read as bare JSON values in this schema
// are written back bare.
func (w *mlflowWriter) spanAttributes(d *SpanData) {
	var bare []string
	if d.Extra.Schema == w.schema {
		for _, f := range d.Extra.Fields {
			if f.Key == rawAttrsKey {
				_ = json.Unmarshal(f.Value, &bare)
			}
		}
	}
	w.b = append(w.b, `"attributes":{`...)
	for i := range d.Attributes.Len() {
		a := d.Attributes.At(i)
		if i > 0 {
			w.comma()
		}
		w.key(a.Key)
		switch a.Type {
		case ValueArray, ValueKVList, ValueBytes:
			w.loss.add("attribute value type", 1)
		}
		if w.reqIDTo != "" && a.Key == AttrTraceRequestID {
			if v, ok := d.Attributes.String(AttrTraceRequestID); ok && v == w.reqIDFrom {
				w.b = appendJSONString(w.b, string(appendJSONString(nil, w.reqIDTo)))
				continue
			}
		}
		valid := gjson.Valid(a.Value)
		if valid && len(bare) > 0 && slices.Contains(bare, a.Key) {
			w.b = appendRawJSON(w.b, []byte(a.Value))
			continue
		}
		if valid {
			w.b = appendJSONString(w.b, a.Value)
		} else {
			w.b = appendJSONString(w.b, string(appendJSONString(nil, a.Value)))
		}
	}
	w.b = append(w.b, '}')
}

// plainAttributes writes event and link attributes: values are plain JSON.
func (w *mlflowWriter) plainAttributes(a Attributes) {
	w.b = append(w.b, `"attributes":{`...)
	for i := range a.Len() {
		at := a.At(i)
		if i > 0 {
			w.comma()
		}
		w.key(at.Key)
		// Plain values are JSON text (an OTLP stringValue is stored
		// JSON-quoted), so only text that is not JSON needs quoting.
		if !gjson.Valid(at.Value) {
			w.b = appendJSONString(w.b, at.Value)
		} else {
			w.b = appendRawJSON(w.b, []byte(at.Value))
		}
	}
	w.b = append(w.b, '}')
}

func (w *mlflowWriter) events(evs []Event, timeKey string) {
	w.b = append(w.b, `"events":[`...)
	for i, e := range evs {
		if i > 0 {
			w.comma()
		}
		if e.DroppedAttributes != 0 {
			w.loss.add("event.dropped_attributes_count", 1)
		}
		w.b = append(w.b, '{')
		w.str("name", e.Name)
		w.comma()
		n := eventTimeAsWritten(&e, w.schema)
		if eventTime(n) != e.Time {
			// the readers infer the unit from the magnitude: a
			// nanosecond time below 1e18 comes back in another unit
			w.loss.add("event."+timeKey, 1)
		}
		w.int(timeKey, n)
		w.comma()
		w.plainAttributes(e.Attributes)
		w.writeFields(w.extras(e.Extra, "event", ""))
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

func (w *mlflowWriter) linksV3(ls []Link) {
	w.b = append(w.b, `"links":[`...)
	for i, l := range ls {
		if i > 0 {
			w.comma()
		}
		if l.Flags != 0 {
			w.loss.add("link.flags", 1)
		}
		if l.DroppedAttributes != 0 {
			w.loss.add("link.dropped_attributes_count", 1)
		}
		op := l.Opaque
		if op == nil {
			op = &OpaqueIDs{}
		}
		w.b = append(w.b, `{"trace_id":`...)
		w.b = appendIDText(w.b, op.TraceID, l.TraceID[:], false)
		w.b = append(w.b, `,"span_id":`...)
		w.b = appendIDText(w.b, op.SpanID, l.SpanID[:], false)
		if l.TraceState != "" {
			w.comma()
			w.str("trace_state", l.TraceState)
		}
		w.comma()
		w.plainAttributes(l.Attributes)
		w.writeFields(w.extras(l.Extra, "link", ""))
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

const hexDigits = "0123456789abcdef"

var base64Std = base64.StdEncoding
