package render

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"tracectl/internal/spanjson"
)

// The JSON shapes below are the stable, documented output of `-o json`
// (an array) and `-o jsonl` (one object per line). Times are unix
// nanoseconds as decimal strings, as in OTLP JSON, so no digit is lost;
// durations are integer nanoseconds. Fields are only ever added.

// TraceJSON is one trace in `tracectl show -o json`: the trace's fields,
// then its spans.
type TraceJSON struct {
	TraceHeadJSON
	Spans []SpanJSON `json:"spans"`
}

// TraceHeadJSON is the trace-level part of TraceJSON.
type TraceHeadJSON struct {
	TraceID     string `json:"trace_id"`
	OTelTraceID string `json:"otel_trace_id"`
	Name        string `json:"name"`
	State       string `json:"state"`
	StartTime   string `json:"start_time_unix_nano"`
	EndTime     string `json:"end_time_unix_nano"`
	// StartText is the start time as RFC 3339 in UTC to the nanosecond
	// (the spans' first start, else the info's request time; "-" unknown).
	StartText       string       `json:"start_time"`
	DurationNS      int64        `json:"duration_ns"`
	SpanCount       int          `json:"span_count"`
	StatusCounts    StatusCounts `json:"status_counts"`
	Schema          string       `json:"schema"`
	Shape           string       `json:"shape"`
	Source          string       `json:"source"`
	RequestPreview  string       `json:"request_preview"`
	ResponsePreview string       `json:"response_preview"`
	// GenAI is the trace's model, tokens, cost, session and user, when
	// any is known (spanjson.TraceGenAIOf).
	GenAI *TraceGenAIJSON `json:"genai,omitempty"`
	// Assessments are the trace's MLflow assessments as read (feedback
	// and expectations), absent when it has none.
	Assessments []json.RawMessage `json:"assessments,omitempty"`
	// Tags and Metadata are the trace info's, every key, absent when
	// empty.
	Tags     map[string]string `json:"tags,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	// CriticalPath comes with --critical-path; Failures with
	// --errors-only.
	CriticalPath *CriticalPathJSON `json:"critical_path,omitempty"`
	Failures     []FailureJSON     `json:"failures,omitempty"`
}

// TraceGenAIJSON is a trace's GenAI summary (spanjson.TraceGenAIOf); what
// is not known is left out. usage_source says where the token counts come
// from: "metadata", "model spans" or "top spans".
type TraceGenAIJSON struct {
	Models       []string `json:"models,omitempty"`
	Providers    []string `json:"providers,omitempty"`
	InputTokens  *int64   `json:"input_tokens,omitempty"`
	OutputTokens *int64   `json:"output_tokens,omitempty"`
	TotalTokens  *int64   `json:"total_tokens,omitempty"`
	CachedTokens *int64   `json:"cached_tokens,omitempty"`
	UsageSource  string   `json:"usage_source,omitempty"`
	CostUSD      *float64 `json:"cost_usd,omitempty"`
	Session      string   `json:"session,omitempty"`
	User         string   `json:"user,omitempty"`
}

// SpanGenAIJSON is a span's GenAI view (spanjson.GenAIOf) beside its
// span_type; what is not known is left out. Inputs and outputs (decoded,
// flattened lists rebuilt) come with --attributes when another
// convention's keys hold them: MLflow's own are in attributes already.
type SpanGenAIJSON struct {
	Model        string   `json:"model,omitempty"`
	Provider     string   `json:"provider,omitempty"`
	InputTokens  *int64   `json:"input_tokens,omitempty"`
	OutputTokens *int64   `json:"output_tokens,omitempty"`
	TotalTokens  *int64   `json:"total_tokens,omitempty"`
	CachedTokens *int64   `json:"cached_tokens,omitempty"`
	CostUSD      *float64 `json:"cost_usd,omitempty"`
	ToolName     string   `json:"tool_name,omitempty"`
	ToolCallID   string   `json:"tool_call_id,omitempty"`
	Session      string   `json:"session,omitempty"`
	User         string   `json:"user,omitempty"`
	Inputs       any      `json:"inputs,omitempty"`
	Outputs      any      `json:"outputs,omitempty"`
}

func countJSON(c spanjson.Count) *int64 {
	if !c.Known {
		return nil
	}
	n := c.N
	return &n
}

func costJSON(c spanjson.Cost) *float64 {
	if !c.Known {
		return nil
	}
	f := c.USD
	return &f
}

// spanGenAIJSON describes g, nil when it says nothing beyond the type.
func spanGenAIJSON(g spanjson.GenAI, io bool) *SpanGenAIJSON {
	j := SpanGenAIJSON{
		Model: g.Model, Provider: g.Provider,
		InputTokens: countJSON(g.InputTokens), OutputTokens: countJSON(g.OutputTokens),
		TotalTokens: countJSON(g.TotalTokens), CachedTokens: countJSON(g.CachedTokens),
		CostUSD: costJSON(g.Cost), ToolName: g.ToolName, ToolCallID: g.ToolCallID,
		Session: g.Session, User: g.User,
	}
	empty := j == (SpanGenAIJSON{}) // before Inputs: a list or map does not compare
	if io {
		inKey, outKey := g.IOKeys()
		if inKey != spanjson.AttrInputs {
			j.Inputs, _ = g.Inputs()
		}
		if outKey != spanjson.AttrOutputs {
			j.Outputs, _ = g.Outputs()
		}
	}
	if empty && j.Inputs == nil && j.Outputs == nil {
		return nil
	}
	return &j
}

// traceGenAIJSON describes t, nil when nothing is known.
func traceGenAIJSON(t spanjson.TraceGenAI) *TraceGenAIJSON {
	j := TraceGenAIJSON{
		Models: t.Models, Providers: t.Providers,
		InputTokens: countJSON(t.InputTokens), OutputTokens: countJSON(t.OutputTokens),
		TotalTokens: countJSON(t.TotalTokens), CachedTokens: countJSON(t.CachedTokens),
		UsageSource: t.UsageFrom, CostUSD: costJSON(t.Cost), Session: t.Session, User: t.User,
	}
	if len(j.Models) == 0 && len(j.Providers) == 0 && j.InputTokens == nil && j.OutputTokens == nil &&
		j.TotalTokens == nil && j.CachedTokens == nil && j.CostUSD == nil && j.Session == "" && j.User == "" {
		return nil
	}
	return &j
}

// SpanJSON is one span in `show -o json` (in tree pre-order) and in
// `spans -o json` (with trace_id set).
type SpanJSON struct {
	TraceID      string `json:"trace_id,omitempty"`
	OTelTraceID  string `json:"otel_trace_id,omitempty"` // with trace_id
	SpanID       string `json:"span_id"`
	ParentSpanID string `json:"parent_span_id"`
	// OriginalParentSpanID is the parent id a span was read with when the
	// tree made it a root (its parent is missing, itself, or in a cycle).
	OriginalParentSpanID string         `json:"original_parent_span_id,omitempty"`
	Name                 string         `json:"name"`
	SpanType             string         `json:"span_type"`
	Status               StatusJSON     `json:"status"`
	StartTime            string         `json:"start_time_unix_nano"`
	EndTime              string         `json:"end_time_unix_nano"`
	DurationNS           int64          `json:"duration_ns"`
	SelfNS               int64          `json:"self_ns"`
	Depth                int            `json:"depth"`
	Exception            *ExceptionJSON `json:"exception,omitempty"`
	Attributes           map[string]any `json:"attributes,omitempty"`
	// Kind, Resource and Scope come with the attributes: the OpenTelemetry
	// span kind (absent when unspecified), the resource's attributes and
	// the instrumentation scope, each absent when the span has none.
	Kind     string         `json:"kind,omitempty"`
	Resource map[string]any `json:"resource,omitempty"`
	Scope    *ScopeJSON     `json:"scope,omitempty"`
	Events   []EventJSON    `json:"events,omitempty"`
	// GenAI is the span's model, tokens, cost, tool, session and user when
	// any is known (spanjson.GenAIOf).
	GenAI *SpanGenAIJSON `json:"genai,omitempty"`
}

// ScopeJSON is a span's OpenTelemetry instrumentation scope.
type ScopeJSON struct {
	Name       string         `json:"name"`
	Version    string         `json:"version,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// StatusJSON is a span status.
type StatusJSON struct {
	Code    string `json:"code"` // UNSET, OK or ERROR
	Message string `json:"message"`
}

// ExceptionJSON is a failing span's first exception event; the stack
// trace comes in the span view (tracectl span).
type ExceptionJSON struct {
	Type       string `json:"type"`
	Message    string `json:"message"`
	Stacktrace string `json:"stacktrace,omitempty"`
}

// EventJSON is a span event.
type EventJSON struct {
	Name       string         `json:"name"`
	Time       string         `json:"time_unix_nano"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// RootJSON is one line of `tracectl roots`.
type RootJSON struct {
	TraceID     string `json:"trace_id"`
	OTelTraceID string `json:"otel_trace_id"`
	RootSpanID  string `json:"root_span_id"`
	RootName    string `json:"root_name"`
	RootCount   int    `json:"root_count"`
	State       string `json:"state"`
	DurationNS  int64  `json:"duration_ns"`
	SpanCount   int    `json:"span_count"`
	Source      string `json:"source"`
	// StartTime is the trace's start (unix nanoseconds, "0" unknown);
	// the tokens are the trace's (spanjson.TraceGenAIOf), absent when
	// unknown.
	StartTime    string `json:"start_time_unix_nano"`
	InputTokens  *int64 `json:"input_tokens,omitempty"`
	OutputTokens *int64 `json:"output_tokens,omitempty"`
	TotalTokens  *int64 `json:"total_tokens,omitempty"`
}

// StatusReportJSON is one trace in `tracectl status`.
type StatusReportJSON struct {
	TraceID      string       `json:"trace_id"`
	OTelTraceID  string       `json:"otel_trace_id"`
	State        string       `json:"state"`
	SpanCount    int          `json:"span_count"`
	StatusCounts StatusCounts `json:"status_counts"`
	Failed       bool         `json:"failed"` // state ERROR or an ERROR span (with status --fail-on trace: state ERROR)
	Source       string       `json:"source"`
}

// PreviewJSON is one trace in `tracectl preview`.
type PreviewJSON struct {
	TraceID     string `json:"trace_id"`
	OTelTraceID string `json:"otel_trace_id"`
	Request     string `json:"request"`
	Response    string `json:"response"`
	Source      string `json:"source"`
}

func nsText(t int64) string { return strconv.FormatInt(t, 10) }

// SpanIDText is how a span id is shown: the original text of an id that
// could not be decoded (such as "<redacted>"), else 16 hex digits.
// A span the tree gave a fresh id (it repeated another's) is shown by that
// id, the one the tree's warning names.
func SpanIDText(s spanjson.Span) string {
	if d := s.Data(); d.Opaque != nil && d.Opaque.SpanID != "" && d.SpanID == spanjson.OpaqueSpanID(d.Opaque.SpanID) {
		return d.Opaque.SpanID
	}
	return s.SpanID().String()
}

// parentIDText is the id a span was read with as its parent, "" for none.
func parentIDText(s spanjson.Span) string {
	if s.IsRoot() {
		return ""
	}
	if d := s.Data(); d.Opaque != nil && d.Opaque.ParentID != "" {
		return d.Opaque.ParentID
	}
	return s.ParentID().String()
}

// ParentText is span i's parent id as shown: "" for a root of the tree,
// with original the id it was read with when the tree made it a root (a
// missing parent, a self-parent, a broken cycle).
func (v *TraceView) ParentText(i int) (parent, original string) {
	s := v.Tree.Spans[i]
	if v.Tree.Parent[i] < 0 {
		return "", parentIDText(s)
	}
	return SpanIDText(v.Tree.Spans[v.Tree.Parent[i]]), ""
}

// SpanJSONOf describes span i of v.
func (v *TraceView) SpanJSONOf(i int, attributes, events bool) SpanJSON {
	s := v.Tree.Spans[i]
	st := s.Status()
	parent, original := v.ParentText(i)
	out := SpanJSON{
		SpanID:               SpanIDText(s),
		ParentSpanID:         parent,
		OriginalParentSpanID: original,
		Name:                 s.Name(),
		SpanType:             v.typeAt(i),
		Status:               StatusJSON{Code: st.Code.String(), Message: st.Message},
		StartTime:            nsText(s.StartTime()),
		EndTime:              nsText(s.EndTime()),
		DurationNS:           int64(s.Duration()),
		SelfNS:               int64(v.self[i]),
		Depth:                int(v.depth[i]),
	}
	if typ, msg, ok := s.Exception(); ok {
		out.Exception = &ExceptionJSON{Type: typ, Message: msg}
	}
	if attributes {
		if s.Attributes().Len() > 0 {
			out.Attributes = attrMap(s.Attributes())
		}
		if k := s.Kind(); k != spanjson.SpanKindUnspecified {
			out.Kind = k.String()
		}
		if r := s.Resource(); r != nil {
			out.Resource = attrMap(r.Attributes)
		}
		if sc := s.Scope(); hasScope(sc) {
			out.Scope = &ScopeJSON{Name: sc.Name, Version: sc.Version, Attributes: attrMap(sc.Attributes)}
		}
	}
	out.GenAI = spanGenAIJSON(spanjson.GenAIOf(s), attributes)
	if events {
		for _, e := range s.Events() {
			out.Events = append(out.Events, EventJSON{Name: e.Name, Time: nsText(e.Time), Attributes: attrMap(e.Attributes)})
		}
	}
	return out
}

func attrMap(a spanjson.Attributes) map[string]any {
	if a.Len() == 0 {
		return nil
	}
	m := make(map[string]any, a.Len())
	for i := 0; i < a.Len(); i++ {
		m[a.At(i).Key] = a.DecodedAt(i)
	}
	return m
}

// ShowJSON describes the trace for `show -o json`: the spans that the text
// tree would print, never folded.
func (v *TraceView) ShowJSON(o ShowOptions) TraceJSON {
	out := TraceJSON{TraceHeadJSON: v.showHead(o), Spans: []SpanJSON{}}
	v.eachShownSpan(o, func(i int) {
		out.Spans = append(out.Spans, v.SpanJSONOf(i, o.Attributes, o.Events))
	})
	return out
}

// HeadJSON describes the trace as the head of `show -o json` does,
// without the critical path and failure chains.
func (v *TraceView) HeadJSON() TraceHeadJSON { return v.showHead(ShowOptions{}) }

func (v *TraceView) showHead(o ShowOptions) TraceHeadJSON {
	req, resp := v.Previews()
	t0, t1 := v.Bounds()
	h := TraceHeadJSON{
		TraceID:         v.TraceID(),
		OTelTraceID:     v.OTelTraceID(),
		Name:            v.Name(),
		State:           string(v.State()),
		StartTime:       nsText(t0),
		EndTime:         nsText(t1),
		StartText:       FormatTimestamp(v.StartTime()),
		DurationNS:      int64(v.Duration()),
		SpanCount:       len(v.Tree.Spans),
		StatusCounts:    v.Counts(),
		Schema:          string(v.Schema),
		Shape:           v.Shape,
		Source:          v.Source,
		RequestPreview:  req,
		ResponsePreview: resp,
		GenAI:           traceGenAIJSON(v.GenAI()),
		Assessments:     v.AssessmentsJSON(),
		Tags:            nonEmpty(v.Trace.Info.Tags),
		Metadata:        nonEmpty(v.Trace.Info.Metadata),
	}
	if o.CriticalPath {
		h.CriticalPath = v.CriticalPathJSON()
	}
	if o.ErrorsOnly {
		h.Failures = v.FailuresJSON()
	}
	return h
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// eachShownSpan calls fn for the spans `show` prints, in tree order,
// unfolded.
func (v *TraceView) eachShownSpan(o ShowOptions, fn func(i int)) {
	w := newTreeWalker(v, ShowOptions{Depth: o.Depth, ErrorsOnly: o.ErrorsOnly, NoFold: true})
	if o.ErrorsOnly && !anyTrue(w.hasErr) {
		return
	}
	w.walk(func(l *treeLine, _ []byte) { fn(l.members[0]) })
}

// WriteShow writes the trace exactly as Write(v.ShowJSON(o)) would, but
// one span at a time, so a million-span trace never exists as one JSON
// value in memory.
func (j *JSONWriter) WriteShow(v *TraceView, o ShowOptions) error {
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	encode := func(x any, prefix string) ([]byte, error) {
		j.buf.Reset()
		if !j.lines {
			enc.SetIndent(prefix, "  ")
		}
		if err := enc.Encode(x); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")), nil
	}
	head, err := encode(v.showHead(o), "  ")
	if err != nil {
		return err
	}
	// The head's closing brace makes way for the spans member.
	head = bytes.TrimRight(head[:len(head)-1], " \n")

	start, open, spanSep, closeEmpty, closeSpans, end := "", `,"spans":[`, ",", "]}", "]}", "\n"
	if !j.lines {
		start = ",\n  "
		if j.n == 0 {
			start = "[\n  "
		}
		open, spanSep, closeEmpty, closeSpans, end = ",\n    \"spans\": [", ",", "]\n  }", "\n    ]\n  }", ""
	}
	j.n++
	if _, err := io.WriteString(j.w, start); err != nil {
		return err
	}
	if _, err := j.w.Write(head); err != nil {
		return err
	}
	if _, err := io.WriteString(j.w, open); err != nil {
		return err
	}
	n := 0
	v.eachShownSpan(o, func(i int) {
		if err != nil {
			return
		}
		var b []byte
		if b, err = encode(v.SpanJSONOf(i, o.Attributes, o.Events), "      "); err != nil {
			return
		}
		sep := spanSep
		if n == 0 {
			sep = ""
		}
		if !j.lines {
			sep += "\n      "
		}
		n++
		if _, err = io.WriteString(j.w, sep); err == nil {
			_, err = j.w.Write(b)
		}
	})
	if err != nil {
		return err
	}
	closing := closeSpans
	if n == 0 {
		closing = closeEmpty
	}
	_, err = io.WriteString(j.w, closing+end)
	return err
}

// RootJSON describes the trace for `roots`. Its texts are copies (see
// owned): a table keeps the rows until the input ends.
func (v *TraceView) RootJSON() RootJSON {
	out := RootJSON{
		TraceID:     owned(v.TraceID()),
		OTelTraceID: v.OTelTraceID(),
		RootCount:   len(v.Tree.Roots),
		State:       string(v.State()),
		DurationNS:  int64(v.Duration()),
		SpanCount:   len(v.Tree.Spans),
		Source:      v.Source,
		StartTime:   nsText(v.StartTime()),
	}
	in, o, total := v.TokenCounts()
	out.InputTokens, out.OutputTokens, out.TotalTokens = countJSON(in), countJSON(o), countJSON(total)
	if r := v.Root(); r >= 0 {
		out.RootSpanID = owned(SpanIDText(v.Tree.Spans[r]))
		out.RootName = owned(v.Tree.Spans[r].Name())
	}
	return out
}

// StatusJSON describes the trace for `status`. Its texts are copies (see
// owned): a table keeps the rows until the input ends.
func (v *TraceView) StatusJSON() StatusReportJSON {
	c := v.Counts()
	return StatusReportJSON{
		TraceID:      owned(v.TraceID()),
		OTelTraceID:  v.OTelTraceID(),
		State:        string(v.State()),
		SpanCount:    c.Total(),
		StatusCounts: c,
		Failed:       v.Failed(),
		Source:       v.Source,
	}
}

// PreviewJSON describes the trace for `preview`; width > 0 clips the texts.
func (v *TraceView) PreviewJSON(width int) PreviewJSON {
	req, resp := v.Previews()
	if width > 0 {
		req, resp = clip(req, width), clip(resp, width)
	}
	return PreviewJSON{TraceID: v.TraceID(), OTelTraceID: v.OTelTraceID(), Request: req, Response: resp, Source: v.Source}
}

// JSONWriter writes values as one indented JSON array (json) or as one
// compact object per line (jsonl), streaming either way.
type JSONWriter struct {
	w     io.Writer
	lines bool
	n     int
	enc   *json.Encoder // jsonl: compact
	ind   *json.Encoder // json: indented, into buf
	buf   bytes.Buffer
}

// NewJSONWriter starts output on w; lines selects JSON Lines.
func NewJSONWriter(w io.Writer, lines bool) *JSONWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	j := &JSONWriter{w: w, lines: lines, enc: enc}
	j.ind = json.NewEncoder(&j.buf)
	j.ind.SetEscapeHTML(false)
	j.ind.SetIndent("  ", "  ")
	return j
}

// Write adds one value.
func (j *JSONWriter) Write(v any) error {
	if j.lines {
		return j.enc.Encode(v)
	}
	j.buf.Reset()
	if err := j.ind.Encode(v); err != nil {
		return err
	}
	b := bytes.TrimSuffix(j.buf.Bytes(), []byte("\n"))
	sep := ",\n  "
	if j.n == 0 {
		sep = "[\n  "
	}
	j.n++
	if _, err := io.WriteString(j.w, sep); err != nil {
		return err
	}
	_, err := j.w.Write(b)
	return err
}

// Close ends the array.
func (j *JSONWriter) Close() error {
	if j.lines {
		return nil
	}
	end := "\n]\n"
	if j.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}
