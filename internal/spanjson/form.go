package spanjson

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Same-schema fidelity. A write in the schema a trace was read from gives
// back the document as it was, after canonical formatting (compact JSON,
// members in any order). The model holds values, not their spelling, so the
// readers leave marker members in the Extras of the object concerned (with
// the schema read) for what the canonical writer would otherwise change:
//
//   - markTime on an event: the time as written, when it was not in
//     nanoseconds (MLflow event times are inferred by magnitude; real
//     Databricks files have microseconds). Written back only in the same
//     schema and only while it still denotes the event's time.
//   - markEmpty on a span or info: optional members that were present but
//     empty ("trace_state": "", "links": [], "request_preview": ""), which the
//     writer otherwise leaves out.
//   - markAbsent on a span or info: members the writer always writes that
//     the input did not have ("events", "tags", "trace_metadata").
//   - markShape on a trace's info: the document was not a full trace:
//     "spans" (MLflow TraceData {"spans": [...]}, no info), "array" (a bare
//     array of spans) or "databricks" (the serving envelope, whose sibling
//     members are kept as info extras under "envelope." and
//     "databricks_output.").
//
// Markers are never written as members and never reported as losses; a
// write in another schema ignores them (and uses nanoseconds, full traces).
const (
	markTime   = "@time_as_written"
	markEmpty  = "@present_empty"
	markAbsent = "@absent"
	markShape  = "@shape"

	shapeTraceData  = "spans"
	shapeSpanArray  = "array"
	shapeDatabricks = "databricks"

	envelopePrefix   = "envelope."
	databricksPrefix = "databricks_output."
)

// isMarker tells reader markers (rawAttrsKey included) from kept members.
func isMarker(key string) bool {
	switch key {
	case rawAttrsKey, markTime, markEmpty, markAbsent, markShape:
		return true
	}
	return false
}

// markerValue returns the value of marker key in e when e was read in
// schema.
func markerValue(e Extras, schema Schema, key string) (json.RawMessage, bool) {
	if e.Schema != schema || len(e.Fields) == 0 {
		return nil, false
	}
	for _, f := range e.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// hasMark reports whether the list marker key of e (read in schema) names
// member.
func hasMark(e Extras, schema Schema, key, member string) bool {
	v, ok := markerValue(e, schema, key)
	if !ok {
		return false
	}
	var q [64]byte
	return bytes.Contains(v, appendJSONString(q[:0], member))
}

// shapeOf returns the document shape marked on info for a write in schema.
func shapeOf(in *TraceInfo, schema Schema) string {
	v, ok := markerValue(in.Extra, schema, markShape)
	if !ok {
		return ""
	}
	var s string
	_ = json.Unmarshal(v, &s)
	return s
}

// eventTimeAsWritten returns the time to write for e in schema: the
// original number when e was read in schema with another unit.
func eventTimeAsWritten(e *Event, schema Schema) int64 {
	v, ok := markerValue(e.Extra, schema, markTime)
	if !ok {
		return e.Time
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || eventTime(n) != e.Time {
		return e.Time
	}
	return n
}

// Span member marks, as bits while a span is read.
const (
	spanMarkTraceState uint8 = 1 << iota // "trace_state": "" present
	spanMarkLinks                        // "links": [] present
	spanMarkNoEvents                     // "events" absent
)

// spanMarkFields are the marker fields for each combination of span marks,
// built once: most MLflow 3 spans have "trace_state": "", and sharing the
// slice keeps the hot path free of allocations. (Appending to one copies:
// len == cap.)
var spanMarkFields = func() (t [8][]Field) {
	for bits := range uint8(8) {
		var empty, absent []string
		if bits&spanMarkTraceState != 0 {
			empty = append(empty, "trace_state")
		}
		if bits&spanMarkLinks != 0 {
			empty = append(empty, "links")
		}
		if bits&spanMarkNoEvents != 0 {
			absent = append(absent, "events")
		}
		var fs []Field
		if empty != nil {
			b, _ := json.Marshal(empty)
			fs = append(fs, Field{Key: markEmpty, Value: b})
		}
		if absent != nil {
			b, _ := json.Marshal(absent)
			fs = append(fs, Field{Key: markAbsent, Value: b})
		}
		t[bits] = fs[:len(fs):len(fs)]
	}
	return t
}()

// markList appends a marker field listing names, if any.
func markList(dst []Field, key string, names []string) []Field {
	if len(names) == 0 {
		return dst
	}
	b, _ := json.Marshal(names)
	return append(dst, Field{Key: key, Value: b})
}
