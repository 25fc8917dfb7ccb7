package spanjson

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
)

// acceptedShapes lists the document shapes the reader knows, for errors.
const acceptedShapes = `accepted shapes: MLflow 2 or 3 trace {"info":…,"data":{"spans":[…]}}, ` +
	`MLflow TraceData {"spans":[…]}, Databricks serving output {"databricks_output":{"trace":…}}, ` +
	`MLflow REST v3 {"trace":{"trace_info":…}}, OTLP JSON {"resourceSpans":[…]}, ` +
	`Jaeger JSON {"data":[{"traceID":…,"spans":[…]}]}, {"traceID":…,"spans":[…]} or {"result":{"resourceSpans":…}}, ` +
	`Zipkin v2 spans [{"traceId":…,"id":…}], ` +
	`OpenTelemetry console spans, Langfuse {"trace":…,"observations":[…]}, LangSmith {"runs":[…]}, ` +
	`JSON Lines or concatenated documents of these, a bare array of traces or of spans`

// zipkinV1Message refuses Zipkin v1 spans.
const zipkinV1Message = `Zipkin v1 spans (with "binaryAnnotations") are not read: ask Zipkin for v2 (/api/v2/…)`

type decodedDoc struct {
	Document
	err     error
	console consoleCount // log records skipped, reported by the Decoder
}

// decodeDocument detects the shape of one valid JSON document and decodes
// it. raw starts at line, col of file.
// carry holds the blocks to go on filling, and takes them back after.
func decodeDocument(raw []byte, ends map[int]int, file string, line, col int, st *streamed, carry *slabs, cuts *docCuts) decodedDoc {
	p := newReader(raw, file, line, col)
	p.ends, p.cuts = ends, cuts
	p.slabs = *carry
	if st != nil {
		p.stream = st
		p.cut, p.cutLine, p.cutCol = len(st.prefix), st.cutLine, st.cutCol
		p.slabs = st.r.slabs
	}
	defer func() { *carry = p.slabs }()
	out := decodedDoc{Document: Document{Line: line}}
	root := gjson.Parse(p.json)
	var err error
	switch {
	case root.IsObject():
		err = p.object(root, &out.Document)
	case root.IsArray():
		err = p.array(root, &out.Document)
	default:
		err = p.shapeError(0, "a bare JSON value is not a trace document")
	}
	out.Warnings = p.warnings
	if st != nil {
		// Document order: what precedes the span list, the spans, the rest.
		out.Warnings = append(append(append([]Warning(nil), p.warnings...), st.r.warnings...), p.postWarnings...)
	}
	out.Warnings = collapseRepeats(out.Warnings)
	out.err = err
	out.console = p.console
	return out
}

// collapseRepeats keeps the first of warnings that say the same thing (an
// id redacted in every span, say) and counts the others into its message,
// so one problem is one line.
func collapseRepeats(ws []Warning) []Warning {
	if len(ws) < 2 {
		return ws
	}
	first := make(map[string]int, len(ws))
	counts := make([]int, 0, len(ws))
	out := ws[:0:0]
	for _, w := range ws {
		if i, ok := first[w.Msg]; ok {
			counts[i]++
			continue
		}
		first[w.Msg] = len(out)
		out = append(out, w)
		counts = append(counts, 1)
	}
	for i, n := range counts {
		if n > 1 {
			out[i].Msg += fmt.Sprintf(" (%d times in this document)", n)
		}
	}
	return out
}

func (p *reader) shapeError(index int, msg string) error {
	return p.errorAt(index, msg+"; "+acceptedShapes)
}

// errorAt is a SyntaxError at byte index of the document, with the line
// holding it for the caret display.
func (p *reader) errorAt(index int, msg string) error {
	index = min(max(index, 0), len(p.json))
	l, c := p.position(index)
	e := &SyntaxError{File: p.file, Line: l, Col: c, Msg: msg}
	e.LineText, e.LineTextCol = lineTextOf(p.raw, index, c)
	return e
}

// topLevel holds the members of a document object that decide its shape.
type topLevel struct {
	info, data, spans, trace, traceInfo, databricks, otlp, result gjson.Result
	others                                                        []gjson.Result // key, value pairs
	keys                                                          []string
}

// scanTop sorts the members of a (validated) object by the keys that decide
// the document shape. Large values are skipped in O(1) (see validJSON).
func (p *reader) scanTop(obj gjson.Result) topLevel {
	var t topLevel
	p.members(obj.Index, func(key []byte, ks, v int) int {
		e := p.skip(v)
		k := p.keyResult(key, ks)
		val := p.sub(v, e)
		t.keys = append(t.keys, k.Str)
		switch k.Str {
		case "info":
			t.info = val
		case "data":
			t.data = val
		case "spans":
			t.spans = val
		case "trace":
			t.trace = val
		case "trace_info":
			t.traceInfo = val
		case "databricks_output":
			t.databricks = val
		case "resourceSpans", "resource_spans":
			t.otlp = val
		case "result":
			t.result = val
		default:
			t.others = append(t.others, k, val)
		}
		return e
	})
	return t
}

// keyResult makes a gjson string result of the key at ks.
func (p *reader) keyResult(key []byte, ks int) gjson.Result {
	return gjson.Result{Type: gjson.String, Str: p.keyString(key), Raw: p.json[ks : ks+len(key)+2], Index: ks}
}

// object decodes a top-level object document.
func (p *reader) object(root gjson.Result, doc *Document) error {
	t := p.scanTop(root)
	if ok, err := p.objectConsoleLangs(root, t, doc); ok {
		return err
	}
	switch {
	case t.otlp.Exists():
		return p.otlpDocument(root, doc, "OTLP JSON")
	case t.result.IsObject() && (t.result.Get("resourceSpans").Exists() || t.result.Get("resource_spans").Exists()):
		// The Jaeger v3 API wraps OTLP JSON (formats-more.md §2.10).
		return p.otlpDocument(t.result, doc, "Jaeger v3 API response (OTLP JSON)")
	case t.data.IsArray() && isJaegerQuery(t):
		return p.jaegerQuery(t, doc)
	case !t.data.Exists() && !(p.stream != nil && p.stream.n > 0) && isJaegerTop(t):
		return p.jaegerTrace(root, doc)
	case t.databricks.IsObject():
		tr := t.databricks.Get("trace")
		if !tr.IsObject() {
			return p.shapeError(t.databricks.Index, `"databricks_output" has no "trace" object`)
		}
		tt := p.scanTop(tr)
		if tt.traceInfo.Exists() {
			doc.Schema, doc.Shape = SchemaMLflowREST, "Databricks serving envelope (REST v3 trace)"
			return p.restTrace(tt, doc)
		}
		if !tt.info.Exists() && !tt.spans.Exists() && !tt.data.Exists() {
			return p.shapeError(tr.Index, `"databricks_output.trace" is not an MLflow trace`)
		}
		// The envelope's other members (the model's answer, say) are kept
		// so a same-schema write gives the envelope back.
		p.envelope = p.keepPrefixed(nil, envelopePrefix, t.others)
		p.members(t.databricks.Index, func(key []byte, ks, v int) int {
			e := p.skip(v)
			if string(key) != "trace" {
				p.envelope = append(p.envelope, Field{Key: databricksPrefix + p.keyString(key), Value: p.rawJSON(p.sub(v, e))})
			}
			return e
		})
		return p.mlflowTrace(tt, doc, "Databricks serving envelope")
	case t.trace.IsObject() && !t.info.Exists():
		tt := p.scanTop(t.trace)
		if tt.traceInfo.Exists() {
			doc.Schema, doc.Shape = SchemaMLflowREST, "MLflow REST v3 trace"
			return p.restTrace(tt, doc)
		}
		if tt.info.Exists() {
			return p.mlflowTrace(tt, doc, "wrapped")
		}
	case t.traceInfo.IsObject():
		doc.Schema, doc.Shape = SchemaMLflowREST, "MLflow REST v3 trace"
		return p.restTrace(t, doc)
	case t.info.IsObject() || t.spans.IsArray() || t.data.IsObject():
		return p.mlflowTrace(t, doc, "")
	case looksLikeSpan(root):
		return p.spanArray([]gjson.Result{root}, doc)
	case isZipkinSpanObject(root):
		p.zipkinSpans([]gjson.Result{root}, doc, "Zipkin v2 span")
		return nil
	case isJaegerSpan(root):
		p.jaegerSpans([]gjson.Result{root}, doc)
		doc.Shape = "Jaeger span"
		return nil
	case isZipkinV1Span(root):
		return p.shapeError(0, zipkinV1Message)
	}
	switch {
	case len(t.keys) == 0:
		return p.shapeError(0, "unknown document shape (an empty object)")
	case t.spans.Exists() && !t.spans.IsArray():
		return p.shapeError(t.spans.Index, `"spans" is not an array`)
	case t.data.Exists() && !t.data.IsObject():
		return p.shapeError(t.data.Index, `"data" is not an object`)
	case t.info.Exists() && !t.info.IsObject():
		return p.shapeError(t.info.Index, `"info" is not an object`)
	}
	keys := t.keys
	if len(keys) > 8 {
		keys = append(keys[:8:8], "…")
	}
	return p.shapeError(0, fmt.Sprintf("unknown document shape (an object with keys %s)", quoteList(keys)))
}

// otlpDocument decodes an OTLP JSON object (v, the document or the value
// that wraps it) with the OTLP reader, its warnings and errors placed in
// the document.
func (p *reader) otlpDocument(v gjson.Result, doc *Document, shape string) error {
	doc.Schema, doc.Shape = SchemaOTLP, shape
	traces, warns, err := decodeOTLP(v)
	where := p.where(v.Index)
	for _, w := range warns {
		if w.Where == "" {
			w.Where = where
		} else if !strings.HasPrefix(w.Where, p.file) {
			w.Where = where + " " + w.Where
		}
		p.warnings = append(p.warnings, w)
	}
	if err != nil {
		if i, ok := errorIndex(err); ok {
			return p.errorAt(i, "OTLP document: "+err.Error())
		}
		return fmt.Errorf("%s: OTLP document: %w", where, err)
	}
	doc.Traces = traces
	return nil
}

// isJaegerQuery reports whether a document with a "data" list is a Jaeger
// query-API response: its items are trace objects, or, with no items, it
// has the response's other members.
func isJaegerQuery(t topLevel) bool {
	first := t.data.Get("0")
	if first.Exists() {
		return isJaegerTrace(first)
	}
	for _, k := range t.keys {
		switch k {
		case "total", "limit", "offset", "errors":
			return true
		}
	}
	return false
}

func quoteList(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return strings.Join(q, ", ")
}

// looksLikeSpan reports whether an object is a span dict of a known schema.
func looksLikeSpan(v gjson.Result) bool {
	if !v.IsObject() {
		return false
	}
	found := false
	v.ForEach(func(k, _ gjson.Result) bool {
		switch k.Str {
		case "context", "span_id", "start_time_unix_nano", "spanId", "startTimeUnixNano", "parent_span_id":
			found = true
			return false
		}
		return true
	})
	return found
}

// array decodes a top-level array: of traces or of spans.
func (p *reader) array(root gjson.Result, doc *Document) error {
	items := root.Array()
	if len(items) == 0 {
		doc.Shape = "empty array"
		return nil
	}
	if ok, err := p.arrayConsoleLangs(items, doc); ok {
		return err
	}
	switch {
	case isJaegerSpan(items[0]):
		p.jaegerSpans(items, doc)
		return nil
	case isZipkinSpan(items[0]):
		p.zipkinSpans(items, doc, "array of Zipkin v2 spans")
		return nil
	case isZipkinV1Span(items[0]):
		return p.shapeError(items[0].Index, zipkinV1Message)
	}
	if looksLikeSpan(items[0]) {
		err := p.spanArray(items, doc)
		for i := range doc.Traces {
			p.markShape(&doc.Traces[i].Info, shapeSpanArray, nil)
		}
		return err
	}
	for _, it := range items {
		if !it.IsObject() {
			return p.shapeError(it.Index, "an array item is not a trace or span object")
		}
		var sub Document
		if err := p.object(it, &sub); err != nil {
			return err
		}
		if doc.Schema == SchemaUnknown {
			doc.Schema = sub.Schema
		}
		if sub.Schema != doc.Schema && sub.Schema != SchemaUnknown && !strings.HasPrefix(doc.Shape, "array of mixed") {
			doc.Shape = "array of mixed traces"
		}
		if doc.Shape == "" {
			doc.Shape = "array of " + sub.Shape
		}
		doc.Traces = append(doc.Traces, sub.Traces...)
	}
	return nil
}

// spanArray decodes a bare list of span dicts (MLflow 2 or 3, told apart by
// the first span) into traces with derived infos.
func (p *reader) spanArray(items []gjson.Result, doc *Document) error {
	schema := spanSchema(items[0])
	p.schema = schema
	doc.Schema = schema
	doc.Shape = "array of " + schemaSpanName(schema)
	spans := p.readSpans(items)
	doc.Traces = p.groupTraces(spans, nil)
	return nil
}

func schemaSpanName(s Schema) string {
	if s == SchemaMLflowV2 {
		return "MLflow 2 spans"
	}
	return "MLflow 3 spans"
}

// spanSchema tells an MLflow 2 span dict (context.span_id) from an MLflow 3
// one.
func spanSchema(v gjson.Result) Schema {
	schema := SchemaMLflowV3
	v.ForEach(func(k, _ gjson.Result) bool {
		switch k.Str {
		case "context", "parent_id", "start_time", "status_code":
			schema = SchemaMLflowV2
			return false
		case "span_id", "start_time_unix_nano", "parent_span_id":
			return false
		}
		return true
	})
	return schema
}

// infoSchema tells MLflow 2 trace info from MLflow 3 info by its keys.
func infoSchema(info gjson.Result) (Schema, bool) {
	var s Schema
	info.ForEach(func(k, _ gjson.Result) bool {
		switch k.Str {
		case "request_id", "timestamp_ms", "execution_time_ms", "request_metadata", "experiment_id", "status":
			s = SchemaMLflowV2
			return false
		case "trace_id", "trace_location", "request_time", "state", "trace_metadata", "execution_duration_ms", "client_request_id":
			s = SchemaMLflowV3
			return false
		}
		return true
	})
	return s, s != SchemaUnknown
}

// mlflowTrace decodes {"info","data":{"spans"}} or a bare {"spans"}.
func (p *reader) mlflowTrace(t topLevel, doc *Document, envelope string) error {
	spans := t.spans
	var dataOthers []gjson.Result
	if t.data.Exists() {
		if !t.data.IsObject() {
			return p.shapeError(t.data.Index, `"data" is not an object`)
		}
		p.members(t.data.Index, func(key []byte, ks, v int) int {
			e := p.skip(v)
			if string(key) == "spans" {
				spans = p.sub(v, e)
			} else {
				dataOthers = append(dataOthers, p.keyResult(key, ks), p.sub(v, e))
			}
			return e
		})
	}
	if spans.Exists() && !spans.IsArray() && spans.Type != gjson.Null {
		return p.shapeError(spans.Index, `"spans" is not an array`)
	}
	var first gjson.Result
	if spans.IsArray() {
		spans.ForEach(func(_, v gjson.Result) bool {
			first = v
			return false
		})
	}
	// The span format decides (formats.md §5.4); info only when there are
	// no spans.
	var schema Schema
	hasInfo := t.info.IsObject()
	streamedSpans := p.stream != nil && p.stream.n > 0
	switch {
	case streamedSpans:
		schema = p.stream.schema
	case first.Exists():
		schema = spanSchema(first)
	case hasInfo:
		if s, ok := infoSchema(t.info); ok {
			schema = s
		} else {
			schema = SchemaMLflowV3
		}
	default:
		schema = SchemaMLflowV3
	}
	p.schema = schema
	doc.Schema = schema
	ver := "3"
	if schema == SchemaMLflowV2 {
		ver = "2"
	}
	switch {
	case envelope == "Databricks serving envelope":
		doc.Shape = envelope
	case hasInfo:
		doc.Shape = "MLflow " + ver + " trace"
	default:
		doc.Shape = "MLflow " + ver + " TraceData"
	}
	var read []Span
	switch {
	case streamedSpans:
		// The span list was decoded while the input was read.
		read = p.stream.list()
	case spans.IsArray():
		read = p.readSpansAt(spans.Index)
	}
	var info *TraceInfo
	if hasInfo {
		var in TraceInfo
		if schema == SchemaMLflowV2 {
			in = p.infoV2(t.info)
		} else {
			in = p.infoV3(t.info)
		}
		// Members beside "spans" in "data", and beside "info"/"data" at the
		// top, are kept with a prefix so a same-schema write restores them.
		in.Extra.Fields = p.keepPrefixed(in.Extra.Fields, "data.", dataOthers)
		if envelope != "wrapped" {
			in.Extra.Fields = p.keepPrefixed(in.Extra.Fields, "trace.", t.others)
		}
		if len(in.Extra.Fields) > 0 {
			in.Extra.Schema = schema
		}
		info = &in
	}
	doc.Traces = p.groupTraces(read, info)
	switch {
	case envelope == "Databricks serving envelope" && len(doc.Traces) > 0:
		p.markShape(&doc.Traces[0].Info, shapeDatabricks, p.envelope)
	case !hasInfo && envelope == "":
		for i := range doc.Traces {
			var others []Field
			if i == 0 {
				others = p.keepPrefixed(nil, "trace.", t.others)
			}
			p.markShape(&doc.Traces[i].Info, shapeTraceData, others)
		}
	}
	return nil
}

// markShape records on a trace's info that its document was not a plain
// full trace (see form.go), with the members kept around it.
func (p *reader) markShape(in *TraceInfo, shape string, fields []Field) {
	if in.Extra.Schema != p.schema && len(in.Extra.Fields) > 0 {
		return
	}
	in.Extra.Schema = p.schema
	in.Extra.Fields = append(slices.Clip(in.Extra.Fields), fields...)
	in.Extra.Fields = append(in.Extra.Fields, Field{Key: markShape, Value: appendJSONString(nil, shape)})
}

func (p *reader) keepPrefixed(dst []Field, prefix string, kv []gjson.Result) []Field {
	for i := 0; i+1 < len(kv); i += 2 {
		dst = append(dst, Field{Key: prefix + kv[i].Str, Value: p.rawJSON(kv[i+1])})
	}
	return dst
}

// oneTrace reports whether every span has the first one's trace id.
func oneTrace(spans []Span) bool {
	id := spans[0].TraceID()
	for _, s := range spans[1:] {
		if s.TraceID() != id {
			return false
		}
	}
	return true
}

// groupTraces splits spans by trace id (in order of first appearance). info,
// when given, belongs to the group it names (else the first); the other
// groups get an info derived from their spans.
func (p *reader) groupTraces(spans []Span, info *TraceInfo) []Trace {
	if len(spans) > 0 && oneTrace(spans) {
		// The common case needs no copy of the list (a million-span
		// trace's copy, grown by append, was 45 MB of garbage).
		// One group owns info whatever id it names, as below.
		t := Trace{Spans: slices.Clip(spans)}
		if info != nil {
			t.Info = *info
		} else {
			t.Info = p.deriveInfo(t.Spans)
		}
		return []Trace{t}
	}
	var order []TraceID
	groups := map[TraceID][]Span{}
	for _, s := range spans {
		id := s.TraceID()
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		groups[id] = append(groups[id], s)
	}
	if len(order) == 0 {
		if info == nil {
			return nil
		}
		return []Trace{{Info: *info}}
	}
	owner := 0
	if info != nil {
		for i, id := range order {
			if info.TraceID == id.MLflowID() || info.TraceID == id.String() {
				owner = i
				break
			}
		}
	}
	traces := make([]Trace, 0, len(order))
	for i, id := range order {
		t := Trace{Spans: groups[id]}
		if info != nil && i == owner {
			t.Info = *info
		} else {
			t.Info = p.deriveInfo(t.Spans)
			if info != nil {
				p.warn(0, fmt.Sprintf("spans of trace %s in a document whose info is for %s: kept as a separate trace", t.Info.TraceID, info.TraceID))
			}
		}
		traces = append(traces, t)
	}
	return traces
}

// deriveInfo builds the info of a bare TraceData from its spans (the one
// rule, DeriveInfo).
func (p *reader) deriveInfo(spans []Span) TraceInfo {
	return DeriveInfo(spans, p.schema)
}
