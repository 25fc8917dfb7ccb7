package spanjson

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// LangSmith runs (formats-more.md §6): {"runs": [run…]}, a bare array of
// runs, or one run per line. A run is a span; a trace's info is derived
// from its spans (DeriveInfo), so runs of one trace spread over JSON Lines
// are assembled downstream like OTLP spans.
//
// Ids: the trace id is trace_id (else the root run's id) without its
// dashes, the span id the last 16 hex digits of the run id (other texts
// are hashed); the run id is kept as "langsmith.run_id". Parent runs carry
// the token and cost totals of their descendants (§6.3): only llm and
// embedding runs get mlflow.chat.tokenUsage, and a root run whose totals
// differ from the sum over them is warned about. The native counts stay as
// "langsmith.<field>" attributes on every run.

// isLangSmithRun reports whether an object is a run: a run_type and a
// parent link (dotted_order, parent_run_id or trace_id).
func isLangSmithRun(get func(key string) gjson.Result) bool {
	return get("run_type").Type == gjson.String &&
		(get("dotted_order").Exists() || get("parent_run_id").Exists() || get("trace_id").Exists())
}

// isLangSmithRuns reports whether runs (the "runs" member of a top-level
// object) is a list of runs, or empty.
func isLangSmithRuns(get func(key string) gjson.Result) bool {
	runs := get("runs")
	if !runs.IsArray() {
		return false
	}
	first := runs.Get("0")
	return !first.Exists() || first.IsObject() && isLangSmithRun(first.Get)
}

// langsmithStructure are the run members read into ids and the tree, not
// attributes.
var langsmithStructure = map[string]bool{
	"id": true, "trace_id": true, "parent_run_id": true, "parent_run_ids": true, "child_run_ids": true,
	"direct_child_run_ids": true, "child_runs": true, "dotted_order": true,
}

// lsRun is a run and where it sits.
type lsRun struct {
	v                     gjson.Result
	id, traceText, parent string
	runType               string
	tokens                int64   // total_tokens as given
	cost                  float64 // total_cost as given
	hasTokens, hasCost    bool
	usage                 TokenUsage // of an llm or embedding run
	costOwn               float64
}

// langsmithDocument decodes runs.
func (p *reader) langsmithDocument(items []gjson.Result, doc *Document, shape string) error {
	p.schema = SchemaLangSmith
	doc.Schema = SchemaLangSmith
	doc.Shape = shape
	var runs []lsRun
	for _, it := range items {
		p.collectRun(it, "", "", &runs, 0)
	}
	p.resolveTraces(runs)
	spans := make([]Span, 0, len(runs))
	for i := range runs {
		spans = append(spans, p.langsmithSpan(&runs[i]))
	}
	p.checkRollups(runs)
	doc.Traces = p.groupTraces(spans, nil)
	return nil
}

// collectRun lists a run and its nested child_runs (a parent's own
// listing of its children), parents first.
func (p *reader) collectRun(v gjson.Result, parent, traceText string, runs *[]lsRun, depth int) {
	if !p.isItemObject(v, "a run") {
		return
	}
	r := lsRun{v: v, parent: parent, traceText: traceText}
	var children, dotted gjson.Result
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "id":
			r.id = p.idText(val)
		case "trace_id":
			if s := p.idText(val); s != "" {
				r.traceText = s
			}
		case "parent_run_id":
			if s := p.idText(val); s != "" {
				r.parent = s
			}
		case "dotted_order":
			dotted = val
		case "child_runs":
			children = val
		case "run_type":
			r.runType = p.idText(val)
		}
		return true
	})
	if r.parent == "" || r.traceText == "" {
		// "<start>Z<run id>" segments from the root down (§6.2).
		ids := dottedIDs(dotted.Str)
		if r.parent == "" && len(ids) >= 2 {
			r.parent = ids[len(ids)-2]
		}
		if r.traceText == "" && len(ids) >= 2 {
			r.traceText = ids[0]
		}
	}
	*runs = append(*runs, r)
	if children.IsArray() && depth < maxAnyValueDepth {
		children.ForEach(func(_, c gjson.Result) bool {
			p.collectRun(c, r.id, r.traceText, runs, depth+1)
			return true
		})
	}
}

// dottedIDs returns the run ids of a dotted_order, root first; a segment
// without one gives "".
func dottedIDs(s string) []string {
	if s == "" {
		return nil
	}
	segs := strings.Split(s, ".")
	ids := make([]string, len(segs))
	for i, seg := range segs {
		if j := strings.IndexByte(seg, 'Z'); j >= 0 {
			ids[i] = seg[j+1:]
		}
	}
	return ids
}

// resolveTraces gives each run without a trace_id the id of its root: the
// topmost ancestor in the document. When that ancestor has a parent that
// is not here, the trace is not known: its runs are grouped under that
// parent's id, with a warning. Each run is walked over once (the path to
// a resolved run is resolved with it).
func (p *reader) resolveTraces(runs []lsRun) {
	byID := make(map[string]int, len(runs))
	for i := range runs {
		if _, dup := byID[runs[i].id]; !dup {
			byID[runs[i].id] = i
		}
	}
	unknown := 0
	first := -1
	var path []int
	walk := make([]int, len(runs)) // the walk (i+1) that last passed a run: a cycle ends it
	for i := range runs {
		if runs[i].traceText != "" {
			continue
		}
		path = path[:0]
		j := i
		for runs[j].traceText == "" && walk[j] != i+1 {
			walk[j] = i + 1
			path = append(path, j)
			k, ok := byID[runs[j].parent]
			if runs[j].parent == "" || !ok {
				break
			}
			j = k
		}
		trace := runs[j].traceText
		if trace == "" {
			switch {
			case runs[j].parent == "":
				trace = runs[j].id
			default:
				trace = runs[j].parent
				if unknown == 0 {
					first = i
				}
				unknown += len(path)
			}
		}
		for _, k := range path {
			runs[k].traceText = trace
		}
	}
	if unknown > 0 {
		p.warn(runs[first].v.Index, fmt.Sprintf("%d runs have no trace_id and their root run is not in this document: grouped by their topmost parent's id", unknown))
	}
}

// langsmithSpan decodes one run (formats-more.md §6.4).
func (p *reader) langsmithSpan(r *lsRun) Span {
	var (
		d                    SpanData
		bad                  unreadable
		attrs                []Attribute
		startV, endV, events gjson.Result
		status, errText      string
		inputs               gjson.Result
		counts               TokenUsage
	)
	var hashed bool
	d.TraceID, hashed = textTraceID(r.traceText)
	d.SpanID, _ = textSpanID(r.id)
	if r.parent != "" {
		d.ParentID, _ = textSpanID(r.parent)
	}
	attrs = append(attrs, Attribute{Key: "langsmith.run_id", Value: p.copyStr(r.id), Type: ValueString})
	if hashed {
		attrs = append(attrs, Attribute{Key: "langsmith.trace_id", Value: p.copyStr(r.traceText), Type: ValueString})
	}
	r.v.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "name":
			d.Name = p.str(v)
		case "run_type":
			if !emptyJSON(v) {
				attrs = append(attrs, Attribute{Key: "langsmith.run_type", Value: p.str(v), Type: ValueString})
			}
		case "start_time":
			startV = v
		case "end_time":
			endV = v
		case "status":
			status = p.idText(v)
		case "error":
			errText = p.str(v)
		case "inputs":
			inputs = v
			if s, ok := ioJSON(v); ok {
				attrs = append(attrs, Attribute{Key: AttrInputs, Value: s, Type: ValueJSON})
			}
		case "outputs":
			if s, ok := ioJSON(v); ok {
				attrs = append(attrs, Attribute{Key: AttrOutputs, Value: s, Type: ValueJSON})
			}
		case "extra":
			attrs = p.langsmithExtra(v, attrs)
		case "events":
			events = v
		case "prompt_tokens", "completion_tokens", "total_tokens":
			n, ok := int64Of(v)
			if !ok {
				p.warn(v.Index, k.Str+" "+clip(v.Raw)+" is not an integer: ignored")
			}
			switch k.Str {
			case "prompt_tokens":
				counts.InputTokens = n
			case "completion_tokens":
				counts.OutputTokens = n
			default:
				counts.TotalTokens = n
				r.tokens, r.hasTokens = n, v.Type != gjson.Null
			}
			attrs = p.nonZeroAttr(attrs, "langsmith."+k.Str, v)
		case "prompt_cost", "completion_cost", "total_cost":
			if k.Str == "total_cost" {
				r.cost, r.hasCost = decimalOf64(v)
			}
			attrs = p.nonZeroAttr(attrs, "langsmith."+k.Str, v)
		case "first_token_time":
			if v.Type != gjson.Null {
				if n, ok, _ := p.timeMember(v, "first_token_time", true, &bad); ok {
					attrs = append(attrs, Attribute{Key: "langsmith.first_token_time", Value: strconv.FormatInt(n, 10), Type: ValueInt})
				}
			}
		case "feedback_stats":
			if !emptyJSON(v) {
				attrs = append(attrs, Attribute{Key: "langsmith.feedback_stats", Value: string(compactJSON(v.Raw)), Type: ValueString})
			}
		default:
			if !langsmithStructure[k.Str] && !emptyJSON(v) {
				value, vt := p.typedValue(v, false)
				attrs = append(attrs, Attribute{Key: "langsmith." + p.key(k), Value: value, Type: vt})
			}
		}
		return true
	})
	start, startOK, startNull := p.timeMember(startV, "start_time", true, &bad)
	if startNull {
		p.warn(r.v.Index, "run "+strconv.Quote(clip(d.Name))+" has no start_time: the span is marked "+AttrReadError)
		bad = append(bad, "start_time null")
	}
	end, endOK, _ := p.timeMember(endV, "end_time", true, &bad)
	d.StartTime, d.EndTime = spanTimes(start, end, startOK, startNull, endOK)

	switch {
	case errText != "" || status == "error":
		msg, _, _ := strings.Cut(strings.TrimSpace(errText), "\n")
		d.Status = Status{Code: StatusError, Message: msg}
		if errText != "" {
			at := d.EndTime
			if at == 0 {
				at = d.StartTime
			}
			ev := []Attribute{{Key: "exception.message", Value: string(appendJSONText(nil, msg)), Type: ValueString}}
			if msg != strings.TrimSpace(errText) {
				ev = append(ev, Attribute{Key: "exception.stacktrace", Value: string(appendJSONText(nil, errText)), Type: ValueString})
			}
			d.Events = append(d.Events, Event{Name: "exception", Time: at, Attributes: p.newAttributes(ev)})
		}
	case status == "success":
		d.Status.Code = StatusOK
	}
	if status != "" && status != "success" && status != "error" {
		attrs = append(attrs, Attribute{Key: "langsmith.status", Value: p.copyStr(status), Type: ValueString})
	}
	d.Events = append(d.Events, p.langsmithEvents(events, &bad)...)

	spanType, known := NativeSpanType(keyLangSmithRunType, r.runType)
	if r.runType == "llm" && inputs.Get("messages").Exists() {
		spanType = "CHAT_MODEL"
	}
	if known {
		attrs = append(attrs, Attribute{Key: AttrSpanType, Value: string(appendJSONString(nil, spanType)), Type: ValueJSON})
	}
	if (r.runType == "llm" || r.runType == "embedding") && counts != (TokenUsage{}) {
		if counts.TotalTokens == 0 {
			counts.TotalTokens = counts.InputTokens + counts.OutputTokens
		}
		r.usage, r.costOwn = counts, r.cost
		b, _ := json.Marshal(counts)
		attrs = append(attrs, Attribute{Key: AttrTokenUsage, Value: string(b), Type: ValueJSON})
	}
	d.Attributes = p.newAttributes(bad.attr(attrs))
	return p.newSpan(d)
}

// nonZeroAttr keeps a native count or cost (a number, or a decimal string
// in the REST schema) unless it is null or zero.
func (p *reader) nonZeroAttr(attrs []Attribute, key string, v gjson.Result) []Attribute {
	if emptyJSON(v) {
		return attrs
	}
	if f, ok := decimalOf64(v); ok && f == 0 {
		return attrs
	}
	value, vt := p.typedValue(v, false)
	return append(attrs, Attribute{Key: key, Value: value, Type: vt})
}

// decimalOf64 reads a number or a decimal string.
func decimalOf64(v gjson.Result) (float64, bool) {
	var s string
	switch v.Type {
	case gjson.Number:
		s = v.Raw
	case gjson.String:
		s = strings.TrimSpace(v.Str)
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// langsmithExtra reads a run's extra: metadata members become attributes
// "metadata.<key>", invocation_params and runtime JSON text attributes
// "langsmith.<member>", other members "langsmith.extra.<member>".
func (p *reader) langsmithExtra(v gjson.Result, attrs []Attribute) []Attribute {
	if !v.IsObject() {
		if !emptyJSON(v) {
			attrs = append(attrs, Attribute{Key: "langsmith.extra", Value: string(compactJSON(v.Raw)), Type: ValueString})
		}
		return attrs
	}
	v.ForEach(func(k, val gjson.Result) bool {
		switch {
		case emptyJSON(val):
		case k.Str == "metadata" && val.IsObject():
			attrs = p.typedAttributes(attrs, val, "metadata.", false)
		case k.Str == "invocation_params" || k.Str == "runtime":
			attrs = append(attrs, Attribute{Key: "langsmith." + k.Str, Value: string(compactJSON(val.Raw)), Type: ValueString})
		default:
			value, vt := p.typedValue(val, false)
			attrs = append(attrs, Attribute{Key: "langsmith.extra." + p.key(k), Value: value, Type: vt})
		}
		return true
	})
	return attrs
}

// langsmithEvents reads [{"name", "time", "kwargs"}]: kwargs become the
// event's attributes.
func (p *reader) langsmithEvents(v gjson.Result, bad *unreadable) []Event {
	if emptyJSON(v) {
		return nil
	}
	return p.timedEvents(v, eventMembers{list: "run events", item: "a run event", time: "time", attrs: "kwargs", msNumbers: true}, 0, bad)
}

// checkRollups warns, per trace whose root run is in the document, when
// the root's token or cost total differs from the sum over its llm and
// embedding runs (formats-more.md §6.3): the totals of parent runs are
// roll-ups, and a trace's total is the sum over the runs that called a
// model.
func (p *reader) checkRollups(runs []lsRun) {
	type sum struct {
		tokens  int64
		cost    float64
		n, runs int // llm and embedding runs, all runs
	}
	sums := map[string]*sum{}
	for i := range runs {
		r := &runs[i]
		s := sums[r.traceText]
		if s == nil {
			s = &sum{}
			sums[r.traceText] = s
		}
		s.runs++
		if r.usage == (TokenUsage{}) {
			continue
		}
		s.tokens += r.usage.TotalTokens
		s.cost += r.costOwn
		s.n++
	}
	for i := range runs {
		r := &runs[i]
		s := sums[r.traceText]
		if r.parent != "" || !r.hasTokens && !r.hasCost || s.runs < 2 {
			continue // not a root, nothing to check, or its runs are elsewhere (JSON Lines)
		}
		var diffs, theirs []string
		if r.hasTokens && r.tokens != s.tokens && r.usage == (TokenUsage{}) {
			diffs = append(diffs, fmt.Sprintf("total_tokens %d", r.tokens))
			theirs = append(theirs, strconv.FormatInt(s.tokens, 10))
		}
		if r.hasCost && math.Abs(r.cost-s.cost) > 1e-9*math.Max(1, math.Abs(r.cost)) && r.usage == (TokenUsage{}) {
			diffs = append(diffs, fmt.Sprintf("total_cost %s", strconv.FormatFloat(r.cost, 'f', -1, 64)))
			theirs = append(theirs, strconv.FormatFloat(s.cost, 'f', -1, 64))
		}
		if len(diffs) == 0 {
			continue
		}
		name := p.str(r.v.Get("name"))
		p.warn(r.v.Index, fmt.Sprintf("root run %q: %s differ from the sums over its %d llm and embedding runs (%s): parent runs carry roll-ups, so only llm and embedding runs get %s",
			clip(name), strings.Join(diffs, " and "), s.n, strings.Join(theirs, ", "), AttrTokenUsage))
	}
}
