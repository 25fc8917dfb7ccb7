package spanjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Langfuse exports (formats-more.md §5): the UI's "Download JSON"
// {"trace": {…, "observations": [summary…], "scores": […]}, "observations":
// [full…]}, the public API's trace object {id, timestamp, observations,
// scores, …}, or a bare {"observations": […]}. Observations are spans;
// the trace object is trace info (not derived), its scores assessments.
//
// Native fields the model has no place for become span attributes
// "langfuse.<field>" (trace members: metadata "langfuse.<member>"); the
// ones MLflow names are mapped too: type → mlflow.spanType, input/output →
// mlflow.spanInputs/Outputs, usage → mlflow.chat.tokenUsage, model →
// mlflow.llm.model. Ingestion bookkeeping (projectId of observations,
// createdAt, updatedAt, latencies and flattened costs and usage that other
// members carry) is not kept.

// Trace-info metadata keys the Langfuse reader sets (formats-more.md §5.4).
const (
	MetaTraceUser    = "mlflow.trace.user"
	MetaTraceSession = "mlflow.trace.session"
)

// isLangfuse reports whether a top-level object is a Langfuse export, API
// trace or observation list (formats-more.md §1).
func isLangfuse(t topLevel) bool {
	if t.spans.Exists() || t.data.Exists() {
		return false
	}
	if t.trace.IsObject() {
		return t.trace.Get("observations").Exists() || t.trace.Get("projectId").Exists()
	}
	return lookup(t.others, "observations").IsArray()
}

// langfuseReader holds what the observations of one document share.
type langfuseReader struct {
	p         *reader
	traceIDs  map[string]TraceID
	hashedIDs map[string]bool // trace id texts that were hashed
	resources map[string]*Resource
	scopes    map[string]*Scope
	usage     TokenUsage // summed over observations
	hasUsage  bool
}

// langfuseObservationSkipped are observation members not kept: ingestion
// bookkeeping and values that other members carry.
var langfuseObservationSkipped = map[string]bool{
	"projectId": true, "createdAt": true, "updatedAt": true, "latency": true, "environment": true,
	"internalModelId": true, "internalModel": true, "usagePricingTierId": true, "usagePricingTierName": true,
	"inputCost": true, "outputCost": true, "totalCost": true,
	"inputUsage": true, "outputUsage": true, "totalUsage": true, "unit": true,
	"promptTokens": true, "completionTokens": true, "totalTokens": true,
}

// langfuse decodes a Langfuse document.
func (p *reader) langfuse(root gjson.Result, t topLevel, doc *Document) error {
	p.schema = SchemaLangfuse
	doc.Schema = SchemaLangfuse
	lf := &langfuseReader{p: p, traceIDs: map[string]TraceID{}, hashedIDs: map[string]bool{},
		resources: map[string]*Resource{}, scopes: map[string]*Scope{}}
	var tr gjson.Result
	lists := []gjson.Result{lookup(t.others, "observations")}
	switch {
	case t.trace.IsObject():
		tr = t.trace
		doc.Shape = "Langfuse trace export"
		// The full copies at the top level first, then the summaries of
		// any they lack (formats-more.md §5.1).
		lists = append(lists, tr.Get("observations"))
	case lookup(t.others, "id").Exists():
		tr = root
		doc.Shape = "Langfuse API trace"
	default:
		doc.Shape = "Langfuse observations"
	}
	traceText := ""
	if tr.Exists() {
		traceText = p.idText(tr.Get("id"))
	}
	var data []SpanData
	seen := map[string]bool{}
	for _, list := range lists {
		if !list.Exists() || !p.isList(list, "observations") {
			continue
		}
		list.ForEach(func(_, o gjson.Result) bool {
			if !p.isItemObject(o, "an observation") {
				return true
			}
			id := p.idText(o.Get("id"))
			if seen[id] {
				return true
			}
			seen[id] = true
			data = append(data, lf.observation(o, traceText))
			return true
		})
	}
	if tr.Exists() {
		data = lf.syntheticRoot(tr, traceText, data)
	}
	spans := make([]Span, len(data))
	for i := range data {
		spans[i] = p.newSpan(data[i])
	}
	if !tr.Exists() {
		doc.Traces = p.groupTraces(spans, nil)
		return nil
	}
	info := lf.traceInfo(tr, traceText, spans)
	doc.Traces = p.groupTraces(spans, &info)
	return nil
}

// traceID maps a trace id text to a trace id (textTraceID), once per text.
func (lf *langfuseReader) traceID(s string) TraceID {
	if id, ok := lf.traceIDs[s]; ok {
		return id
	}
	id, hashed := textTraceID(s)
	lf.traceIDs[s] = id
	lf.hashedIDs[s] = hashed
	return id
}

// observation decodes one observation (formats-more.md §5.3, §5.4).
func (lf *langfuseReader) observation(o gjson.Result, traceText string) SpanData {
	p := lf.p
	var (
		d                          SpanData
		bad                        unreadable
		attrs                      []Attribute
		startV, endV               gjson.Result
		typ, level, statusMsg      string
		input, output, meta, model gjson.Result
		usage                      TokenUsage
		hasTrace                   bool
	)
	o.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			s := p.idText(v)
			var hashed bool
			d.SpanID, hashed = textSpanID(s)
			if hashed {
				attrs = append(attrs, Attribute{Key: "langfuse.observation_id", Value: p.copyStr(s), Type: ValueString})
			}
		case "traceId":
			if v.Type != gjson.Null {
				d.TraceID, hasTrace = lf.traceID(p.idText(v)), true
			}
		case "parentObservationId":
			if v.Type != gjson.Null && p.idText(v) != "" {
				d.ParentID, _ = textSpanID(p.idText(v))
			}
		case "name":
			d.Name = p.str(v)
		case "type":
			typ = p.idText(v)
		case "startTime":
			startV = v
		case "endTime":
			endV = v
		case "level":
			level = p.idText(v)
		case "statusMessage":
			statusMsg = p.str(v)
		case "input":
			input = v
		case "output":
			output = v
		case "metadata":
			meta = v
		case "model":
			model = v
		case "usageDetails", "usage":
			usage = mergeUsage(usage, langfuseUsage(v))
			if !emptyJSON(v) {
				value, vt := p.typedValue(v, false)
				attrs = append(attrs, Attribute{Key: "langfuse." + p.key(k), Value: value, Type: vt})
			}
		case "inputUsage", "outputUsage", "totalUsage", "promptTokens", "completionTokens", "totalTokens":
			n, _ := int64Of(v)
			usage = mergeUsage(usage, flatUsage(k.Str, n))
		default:
			if !langfuseObservationSkipped[k.Str] && !emptyJSON(v) {
				value, vt := p.typedValue(v, false)
				attrs = append(attrs, Attribute{Key: "langfuse." + p.key(k), Value: value, Type: vt})
			}
		}
		return true
	})
	if !hasTrace && traceText != "" {
		d.TraceID = lf.traceID(traceText)
	}
	start, startOK, startNull := p.timeMember(startV, "startTime", true, &bad)
	if startNull {
		p.warn(o.Index, "observation "+strconv.Quote(clip(d.Name))+" has no startTime: the span is marked "+AttrReadError)
		bad = append(bad, "startTime null")
	}
	end, endOK, endNull := p.timeMember(endV, "endTime", true, &bad)
	if endNull && typ == "EVENT" {
		end, endOK = start, startOK // an event has no duration
	}
	d.StartTime, d.EndTime = spanTimes(start, end, startOK, startNull, endOK)

	switch level {
	case "ERROR":
		d.Status = Status{Code: StatusError, Message: statusMsg}
	case "", "DEFAULT":
	default:
		attrs = append(attrs, Attribute{Key: "langfuse.level", Value: p.copyStr(level), Type: ValueString})
	}
	if level != "ERROR" && statusMsg != "" {
		attrs = append(attrs, Attribute{Key: "langfuse.statusMessage", Value: statusMsg, Type: ValueString})
	}
	inJSON, hasIn := ioJSON(input)
	if hasIn {
		attrs = append(attrs, Attribute{Key: AttrInputs, Value: inJSON, Type: ValueJSON})
	}
	if outJSON, ok := ioJSON(output); ok {
		attrs = append(attrs, Attribute{Key: AttrOutputs, Value: outJSON, Type: ValueJSON})
	}
	if model.Type == gjson.String && model.Str != "" {
		m := p.str(model)
		attrs = append(attrs,
			Attribute{Key: "langfuse.model", Value: m, Type: ValueString},
			Attribute{Key: "mlflow.llm.model", Value: string(appendJSONString(nil, m)), Type: ValueJSON})
	}
	if usage != (TokenUsage{}) {
		if usage.TotalTokens == 0 {
			usage.TotalTokens = usage.InputTokens + usage.OutputTokens
		}
		b, _ := json.Marshal(usage)
		attrs = append(attrs, Attribute{Key: AttrTokenUsage, Value: string(b), Type: ValueJSON})
		lf.usage.InputTokens += usage.InputTokens
		lf.usage.OutputTokens += usage.OutputTokens
		lf.usage.TotalTokens += usage.TotalTokens
		lf.hasUsage = true
	}
	var otelAttrs []Attribute
	otelAttrs, d.Resource, d.Scope, attrs = lf.metadata(meta, attrs)
	if typ != "" {
		attrs = append(attrs, Attribute{Key: "langfuse.type", Value: p.copyStr(typ), Type: ValueString})
	}
	spanType := langfuseSpanType(typ, inJSON, otelAttrs)
	attrs = append(otelAttrs, attrs...)
	if spanType != "" {
		attrs = append(attrs, Attribute{Key: AttrSpanType, Value: string(appendJSONString(nil, spanType)), Type: ValueJSON})
	}
	d.Attributes = p.newAttributes(bad.attr(attrs))
	return d
}

// langfuseSpanType is the MLflow span type of an observation: from its type
// through the GenAI table (GENERATION with a message list as input is
// CHAT_MODEL), refined by the OpenTelemetry attributes it was ingested with
// when the type says nothing (SPAN, EVENT).
func langfuseSpanType(typ, input string, otel []Attribute) string {
	t, known := NativeSpanType(keyLangfuseType, typ)
	if typ == "GENERATION" && isMessageList(input) {
		t = "CHAT_MODEL"
	}
	if !known || t == SpanTypeUnknown {
		if o := SpanTypeOfAttributes(otel); o != "" {
			return o
		}
	}
	return t
}

// isMessageList reports whether JSON text is a list of chat messages
// (objects with a role).
func isMessageList(s string) bool {
	v := gjson.Parse(s)
	return v.IsArray() && v.Get("0.role").Exists()
}

// metadata reads an observation's metadata (an object or its JSON text):
// for OpenTelemetry-ingested observations "attributes" are the original
// span attributes, "resourceAttributes" the resource and "scope" the scope;
// any other member becomes the attribute "metadata.<member>". Metadata
// that is not an object is kept as "langfuse.metadata".
func (lf *langfuseReader) metadata(v gjson.Result, attrs []Attribute) (otel []Attribute, res *Resource, sc *Scope, out []Attribute) {
	p := lf.p
	if v.Type == gjson.String {
		if s := strings.TrimSpace(v.Str); gjson.Valid(s) && gjson.Parse(s).IsObject() {
			v = gjson.Parse(s)
		} else if s != "" {
			return nil, nil, nil, append(attrs, Attribute{Key: "langfuse.metadata", Value: p.str(v), Type: ValueString})
		}
	}
	if !v.IsObject() {
		return nil, nil, nil, attrs
	}
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "attributes":
			otel = p.typedAttributes(otel, val, "", false)
		case "resourceAttributes":
			// Shared by value: the same resource is an object in one
			// observation and JSON text in the next.
			key := string(compactJSON(val.Raw))
			if r, ok := lf.resources[key]; ok {
				res = r
			} else if val.IsObject() {
				res = &Resource{Attributes: p.newAttributes(p.typedAttributes(nil, val, "", false))}
				lf.resources[key] = res
			}
		case "scope":
			key := string(compactJSON(val.Raw))
			if s, ok := lf.scopes[key]; ok {
				sc = s
			} else if val.IsObject() {
				sc = &Scope{Name: p.str(val.Get("name")), Version: p.str(val.Get("version")),
					Attributes: p.newAttributes(p.typedAttributes(nil, val.Get("attributes"), "", false))}
				lf.scopes[key] = sc
			}
		default:
			value, vt := p.typedValue(val, false)
			attrs = append(attrs, Attribute{Key: "metadata." + p.key(k), Value: value, Type: vt})
		}
		return true
	})
	return otel, res, sc, attrs
}

// langfuseUsage reads token counts from usageDetails {input, output,
// total}, the legacy usage object, or flattened members.
func langfuseUsage(v gjson.Result) TokenUsage {
	var u TokenUsage
	if !v.IsObject() {
		return u
	}
	n := func(r gjson.Result) int64 {
		x, _ := int64Of(r)
		return x
	}
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "input", "inputUsage", "promptTokens":
			u.InputTokens = n(val)
		case "output", "outputUsage", "completionTokens":
			u.OutputTokens = n(val)
		case "total", "totalUsage", "totalTokens":
			u.TotalTokens = n(val)
		}
		return true
	})
	return u
}

// flatUsage is one flattened usage member as a TokenUsage.
func flatUsage(key string, n int64) TokenUsage {
	switch key {
	case "inputUsage", "promptTokens":
		return TokenUsage{InputTokens: n}
	case "outputUsage", "completionTokens":
		return TokenUsage{OutputTokens: n}
	}
	return TokenUsage{TotalTokens: n}
}

// mergeUsage fills the counts a has not from b.
func mergeUsage(a, b TokenUsage) TokenUsage {
	if a.InputTokens == 0 {
		a.InputTokens = b.InputTokens
	}
	if a.OutputTokens == 0 {
		a.OutputTokens = b.OutputTokens
	}
	if a.TotalTokens == 0 {
		a.TotalTokens = b.TotalTokens
	}
	return a
}

// syntheticRoot puts the observations of a trace that has several without
// a parent under a root span made from the trace (name, timestamp,
// latency, input and output; formats-more.md §5.4), with a warning.
func (lf *langfuseReader) syntheticRoot(tr gjson.Result, traceText string, data []SpanData) []SpanData {
	p := lf.p
	roots := 0
	for i := range data {
		if data[i].ParentID.IsZero() {
			roots++
		}
	}
	if roots < 2 {
		return data
	}
	id, _ := textSpanID(traceText + "/trace")
	root := SpanData{TraceID: lf.traceID(traceText), SpanID: id, Name: p.str(tr.Get("name"))}
	root.StartTime, root.EndTime = math.MaxInt64, 0
	for i := range data {
		root.StartTime = min(root.StartTime, data[i].StartTime)
		root.EndTime = max(root.EndTime, data[i].EndTime)
	}
	if n, ok := isoTime(tr.Get("timestamp").Str); ok {
		root.StartTime = n
		if d, ok := secondsDuration(tr.Get("latency")); ok {
			root.EndTime = n + int64(d)
		}
	}
	attrs := []Attribute{{Key: "langfuse.type", Value: "TRACE", Type: ValueString}}
	if s, ok := ioJSON(tr.Get("input")); ok {
		attrs = append(attrs, Attribute{Key: AttrInputs, Value: s, Type: ValueJSON})
	}
	if s, ok := ioJSON(tr.Get("output")); ok {
		attrs = append(attrs, Attribute{Key: AttrOutputs, Value: s, Type: ValueJSON})
	}
	root.Attributes = p.newAttributes(attrs)
	for i := range data {
		if data[i].ParentID.IsZero() {
			data[i].ParentID = id
		}
	}
	p.warn(tr.Index, fmt.Sprintf("%d observations have no parent: they are put under a root span %s made from the trace", roots, id))
	return append([]SpanData{root}, data...)
}

// secondsDuration reads a latency in seconds (a JSON number).
func secondsDuration(v gjson.Result) (time.Duration, bool) {
	if v.Type != gjson.Number {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.Raw, 64)
	if err != nil || f < 0 || f > math.MaxInt64/1e9 {
		return 0, false
	}
	return time.Duration(math.Round(f * 1e9)), true
}

// langfuseTraceSkipped are trace members that are not trace info: the
// observations and scores (read apart) and ingestion times.
var langfuseTraceSkipped = map[string]bool{
	"observations": true, "scores": true, "createdAt": true, "updatedAt": true, "id": true,
	"bookmarked": true, "public": true,
}

// traceInfo maps the trace object onto trace info (formats-more.md §5.4):
// the id, state and, when the trace does not say, the request time and
// duration come from the spans (DeriveInfo); the name is the trace name
// tag; user and session MLflow metadata; other members metadata
// "langfuse.<member>"; scores assessments.
func (lf *langfuseReader) traceInfo(tr gjson.Result, traceText string, spans []Span) TraceInfo {
	p := lf.p
	var own []Span
	tid := lf.traceID(traceText)
	for _, s := range spans {
		if s.TraceID() == tid {
			own = append(own, s)
		}
	}
	info := DeriveInfo(own, SchemaLangfuse)
	info.Derived = false
	if info.TraceID == "" {
		info.TraceID = tid.MLflowID()
	}
	info.Metadata = map[string]string{}
	info.Tags = map[string]string{}
	if lf.hashedIDs[traceText] {
		info.Metadata["langfuse.trace_id"] = p.copyStr(traceText)
	}
	var scores gjson.Result
	tr.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "name":
			if v.Type == gjson.String {
				info.Tags[TagTraceName] = p.str(v)
			}
		case "timestamp":
			if n, ok := isoTime(v.Str); ok && v.Type == gjson.String {
				info.RequestTime = unixNanoTime(n)
			} else if v.Type != gjson.Null {
				p.warn(v.Index, "trace timestamp "+clip(v.Raw)+" is not a time: the spans' start is used")
			}
		case "latency":
			if d, ok := secondsDuration(v); ok {
				info.ExecutionDuration, info.HasDuration = d, true
			} else if v.Type != gjson.Null {
				p.warn(v.Index, "trace latency "+clip(v.Raw)+" is not a number of seconds: the spans' duration is used")
			}
		case "userId":
			if !emptyJSON(v) {
				info.Metadata[MetaTraceUser] = p.str(v)
			}
		case "sessionId":
			if !emptyJSON(v) {
				info.Metadata[MetaTraceSession] = p.str(v)
			}
		case "input":
			if s, ok := ioJSON(v); ok {
				info.RequestPreview = ClipRunes(s, PreviewMaxLength)
			}
		case "output":
			if s, ok := ioJSON(v); ok {
				info.ResponsePreview = ClipRunes(s, PreviewMaxLength)
			}
		case "tags":
			if !emptyJSON(v) {
				info.Tags["langfuse.tags"] = string(compactJSON(v.Raw))
			}
		case "scores":
			scores = v
		default:
			if !langfuseTraceSkipped[k.Str] && !emptyJSON(v) {
				if v.Type == gjson.String {
					info.Metadata["langfuse."+p.key(k)] = p.str(v)
				} else {
					info.Metadata["langfuse."+p.key(k)] = p.rawText(v)
				}
			}
		}
		return true
	})
	if info.RequestPreview == "" {
		if root, ok := RootSpan(own); ok {
			info.RequestPreview = PreviewOf(root.Attributes(), AttrInputs)
			info.ResponsePreview = PreviewOf(root.Attributes(), AttrOutputs)
		}
	}
	if lf.hasUsage {
		b, _ := json.Marshal(lf.usage)
		info.Metadata[MetaTokenUsage] = string(b)
	}
	if scores.Exists() && p.isList(scores, "scores") {
		info.Assessments = []json.RawMessage{}
		scores.ForEach(func(_, s gjson.Result) bool {
			if p.isItemObject(s, "a score") {
				info.Assessments = append(info.Assessments, lf.assessment(s, info.TraceID))
			}
			return true
		})
	}
	if len(info.Tags) == 0 {
		info.Tags = nil
	}
	return info
}

// langfuseSources maps a score's source onto an MLflow assessment source
// type (formats-more.md §5.5).
var langfuseSources = map[string]string{"EVAL": "LLM_JUDGE", "ANNOTATION": "HUMAN", "API": "CODE"}

// assessment maps a Langfuse score onto MLflow feedback (formats-more.md
// §5.5): the value by its data type, the comment as rationale, the
// observation as span; what MLflow has no field for goes to its metadata.
func (lf *langfuseReader) assessment(s gjson.Result, traceID string) json.RawMessage {
	p := lf.p
	a := Assessment{TraceID: traceID, Metadata: map[string]string{}}
	var value, stringValue gjson.Result
	dataType := ""
	s.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			a.AssessmentID = p.str(v)
		case "name":
			a.Name = p.str(v)
		case "value":
			value = v
		case "stringValue":
			stringValue = v
		case "dataType":
			dataType = p.str(v)
			a.Metadata["langfuse.dataType"] = dataType
		case "source":
			src := p.str(v)
			a.Source.SourceType = langfuseSources[src]
			if a.Source.SourceType == "" {
				a.Source.SourceType = "SOURCE_TYPE_UNSPECIFIED"
			}
			a.Metadata["langfuse.source"] = src
		case "authorUserId":
			if !emptyJSON(v) {
				a.Source.SourceID = p.str(v)
			}
		case "comment":
			a.Rationale = p.str(v)
		case "observationId":
			if !emptyJSON(v) {
				id, _ := textSpanID(p.idText(v))
				a.SpanID = id.String()
			}
		case "timestamp":
			a.CreateTime = p.str(v)
		case "updatedAt":
			a.LastUpdateTime = p.str(v)
		case "metadata":
			lf.scoreMetadata(v, a.Metadata)
		case "traceId", "projectId", "createdAt", "environment", "longStringValue":
		default:
			if !emptyJSON(v) {
				a.Metadata["langfuse."+p.key(k)] = p.str(v)
			}
		}
		return true
	})
	switch {
	case dataType == "CATEGORICAL" && stringValue.Type == gjson.String,
		value.Type != gjson.Number && stringValue.Type == gjson.String:
		a.Feedback = &AssessmentValue{Value: appendJSONString(nil, stringValue.Str)}
	case dataType == "BOOLEAN" && value.Type == gjson.Number:
		a.Feedback = &AssessmentValue{Value: json.RawMessage(strconv.FormatBool(value.Raw != "0" && value.Raw != "0.0"))}
	case value.Exists():
		a.Feedback = &AssessmentValue{Value: p.rawJSON(value)}
	default:
		a.Feedback = &AssessmentValue{Value: json.RawMessage("null")}
	}
	if len(a.Metadata) == 0 {
		a.Metadata = nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(a)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// scoreMetadata adds a score's metadata (an object or its JSON text) to m,
// values as text.
func (lf *langfuseReader) scoreMetadata(v gjson.Result, m map[string]string) {
	p := lf.p
	if v.Type == gjson.String {
		if s := strings.TrimSpace(v.Str); gjson.Valid(s) && gjson.Parse(s).IsObject() {
			v = gjson.Parse(s)
		} else {
			if s != "" {
				m["langfuse.metadata"] = v.Str
			}
			return
		}
	}
	v.ForEach(func(k, val gjson.Result) bool {
		if val.Type == gjson.String {
			m[p.key(k)] = p.str(val)
		} else {
			m[p.key(k)] = p.rawText(val)
		}
		return true
	})
}
