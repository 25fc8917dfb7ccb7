package spanjson

import "slices"

// The trace id each writer gives a trace, shared by the writers and by
// WrittenTraceID (convert --dir names files after it).

// v3TraceID returns the trace id an MLflow 3 write gives t: an MLflow 2
// request id of 32 hex digits (or none) becomes "tr-" + the OpenTelemetry
// trace id of the spans. lost reports that a different id was replaced.
func v3TraceID(t *Trace) (id string, lost bool) {
	id = t.Info.TraceID
	if id != "" && !isHexID(id, 32) {
		return id, false
	}
	if otel, ok := otelTraceID(t); ok {
		return otel.MLflowID(), id != "" && id != otel.String()
	}
	if id != "" {
		return MLflowTraceIDPrefix + id, false
	}
	return "", false
}

// v2TraceID returns the request id an MLflow 2 write gives t.
func v2TraceID(t *Trace) string {
	if t.Info.TraceID != "" {
		return t.Info.TraceID
	}
	if otel, ok := otelTraceID(t); ok {
		return otel.String()
	}
	return ""
}

// WrittenTraceID returns the trace id a reader of t written in schema will
// see: for MLflow the info's trace (request) id as written, for OTLP the id
// the OTLP reader rebuilds from the written spans.
func WrittenTraceID(schema Schema, t *Trace) string {
	switch schema {
	case SchemaMLflowV3:
		id, _ := v3TraceID(t)
		return id
	case SchemaMLflowV2:
		return v2TraceID(t)
	case SchemaOTLP:
		return otlpReadBackInfo(t).TraceID
	}
	return t.Info.TraceID
}

// commonRequestID returns the mlflow.traceRequestId all spans carry, if they
// all carry the same non-empty one.
func commonRequestID(spans []Span) (string, bool) {
	if len(spans) == 0 {
		return "", false
	}
	raw, ok := spans[0].d.Attributes.Raw(AttrTraceRequestID)
	if !ok {
		return "", false
	}
	id, ok := spans[0].d.Attributes.String(AttrTraceRequestID)
	if !ok || id == "" {
		return "", false
	}
	for _, s := range spans[1:] {
		// The raw text almost always matches; decode only when it does not.
		if r, ok := s.d.Attributes.Raw(AttrTraceRequestID); !ok {
			return "", false
		} else if r != raw {
			if v, _ := s.d.Attributes.String(AttrTraceRequestID); v != id {
				return "", false
			}
		}
	}
	return id, true
}

// schemaVersionFor returns the mlflow.trace_schema.version value an MLflow
// write in schema gives the metadata value v: a known version ("2", "3")
// becomes the written schema's; anything else is kept.
func schemaVersionFor(schema Schema, v string) string {
	if v != "2" && v != "3" {
		return v
	}
	if schema == SchemaMLflowV2 {
		return "2"
	}
	return "3"
}

// repairStandInIDs returns spans fit for an OTLP write when spans of
// another schema have undecodable ids (written as their stand-ins) that
// collide: every "<redacted>" hashes to the same stand-in, which would make
// a child its own parent. The tree builder's duplicate-id repair gives the
// later holders fresh deterministic ids (parents resolve to the first
// holder); the ids stay marked opaque, so the write reports them as
// span.opaque_id losses. Spans without such a collision are returned as
// they are. With forSend the undecodable ids of OTLP-read spans count as
// stand-ins as well (PdataFromTrace writes them so), and any repeated or
// missing span id is repaired the same way: a receiver keeps one span per
// id.
func repairStandInIDs(spans []Span, forSend bool) []Span {
	var seen map[SpanID]bool
	collide := false
	for _, s := range spans {
		if s.IsZero() {
			continue
		}
		if seen == nil {
			seen = make(map[SpanID]bool, len(spans))
		}
		id := s.d.SpanID
		o := s.d.opaque()
		standIn := o != nil && o.SpanID != "" && (forSend || s.d.Resource == nil && s.d.Scope == nil)
		if prev, dup := seen[id]; dup && (prev || standIn || forSend) || forSend && id.IsZero() {
			collide = true
			break
		}
		seen[id] = seen[id] || standIn
	}
	if !collide || slices.ContainsFunc(spans, Span.IsZero) {
		return spans
	}
	tree, _ := BuildTree(spans)
	return tree.Spans
}
