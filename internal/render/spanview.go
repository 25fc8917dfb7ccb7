package render

import (
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"tracectl/internal/spanjson"
)

// One span in full (`tracectl span`, `show --span`): everything the tree
// leaves out, untruncated. Values are indented JSON with unicode as is;
// every line still goes through Printable, so control characters and
// terminal escapes in trace data stay escaped.

// FormatTimestamp is a unix-nanosecond time as RFC 3339 in UTC with all
// nine fractional digits; "-" for 0 (unknown).
func FormatTimestamp(ns int64) string {
	if ns == 0 {
		return "-"
	}
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
}

// PathStepJSON is one span on the way from a root down to a span.
type PathStepJSON struct {
	SpanID string `json:"span_id"`
	Name   string `json:"name"`
}

// LinkJSON is a span link.
type LinkJSON struct {
	TraceID    string         `json:"trace_id"`
	SpanID     string         `json:"span_id"`
	TraceState string         `json:"trace_state,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// SpanDetailJSON is one span in `tracectl span -o json`: the span as in
// `show -o json --attributes --events` with its trace id, the path from
// its root (root first, the span last), its times as RFC 3339 text, its
// links, the exception's stack trace, and where it was read.
type SpanDetailJSON struct {
	SpanJSON
	Path      []PathStepJSON `json:"path"`
	StartText string         `json:"start_time"`
	EndText   string         `json:"end_time"`
	Links     []LinkJSON     `json:"links,omitempty"`
	Source    string         `json:"source"`
}

// SpanDetailJSONOf describes span i of v in full.
func (v *TraceView) SpanDetailJSONOf(i int) SpanDetailJSON {
	s := v.Tree.Spans[i]
	j := SpanDetailJSON{
		SpanJSON:  v.SpanJSONOf(i, true, true),
		StartText: FormatTimestamp(s.StartTime()),
		EndText:   FormatTimestamp(s.EndTime()),
		Source:    v.Source,
	}
	j.TraceID, j.OTelTraceID = v.TraceID(), v.OTelTraceID()
	if j.Exception != nil {
		j.Exception.Stacktrace = stacktraceOf(s)
	}
	for _, k := range v.Tree.PathFromRoot(i) {
		j.Path = append(j.Path, PathStepJSON{SpanID: SpanIDText(v.Tree.Spans[k]), Name: v.Tree.Spans[k].Name()})
	}
	j.Links = LinksJSON(s)
	return j
}

// LinksJSON describes the span's links: ids as hex, or as written when
// they could not be read.
func LinksJSON(s spanjson.Span) []LinkJSON {
	var out []LinkJSON
	for _, l := range s.Links() {
		lj := LinkJSON{TraceID: l.TraceID.String(), SpanID: l.SpanID.String(), TraceState: l.TraceState, Attributes: attrMap(l.Attributes)}
		if l.Opaque != nil {
			if l.Opaque.TraceID != "" {
				lj.TraceID = l.Opaque.TraceID
			}
			if l.Opaque.SpanID != "" {
				lj.SpanID = l.Opaque.SpanID
			}
		}
		out = append(out, lj)
	}
	return out
}

// StacktraceOf is the stack trace of the span's first exception event, ""
// when it has none.
func StacktraceOf(s spanjson.Span) string { return stacktraceOf(s) }

// stacktraceOf is the stack trace of the span's first exception event.
func stacktraceOf(s spanjson.Span) string {
	for _, e := range s.Events() {
		if e.Name == "exception" {
			st, _ := e.Attributes.String("exception.stacktrace")
			return st
		}
	}
	return ""
}

// SpanPathText is the names from span i's root down to it, "a › b › c".
func (v *TraceView) SpanPathText(i int) string {
	var names []string
	for _, k := range v.Tree.PathFromRoot(i) {
		names = append(names, v.Tree.Spans[k].Name())
	}
	return strings.Join(names, " › ")
}

// detailLabelWidth is the label column of the span view and the header.
const detailLabelWidth = 10

// SpanDetail writes span i of v in full; every block but the first is
// set off by a blank line.
func (p *Printer) SpanDetail(v *TraceView, i int, first bool) {
	th := p.th
	s := v.Tree.Spans[i]
	if !first {
		p.w.WriteByte('\n')
	}
	field := func(label, value string) {
		p.w.WriteString(th.paint(th.label, label))
		writeSpaces(p.w, detailLabelWidth-len(label))
		p.w.WriteString(value)
		p.w.WriteByte('\n')
	}
	name := Printable(s.Name())
	if s.Status().Code == spanjson.StatusError {
		name = th.paint(th.fail, name)
	} else {
		name = th.paint(th.bold, name)
	}
	field("span", name)
	field("span id", Printable(SpanIDText(s)))
	field("trace", Printable(v.TraceID()))
	parent, original := v.ParentText(i)
	switch {
	case parent != "":
		field("parent", Printable(parent))
	case original != "":
		field("parent", Printable(original)+" (not in the trace: shown as a root)")
	default:
		field("parent", "- (root)")
	}
	field("path", Printable(v.SpanPathText(i)))
	field("type", th.paint(th.label, v.typeAt(i)))
	st := s.Status()
	status := th.paint(th.statusStyle(st.Code), th.statusText(st.Code))
	if st.Message != "" {
		status += "  " + Printable(st.Message)
	}
	field("status", status)
	if k := s.Kind(); k != spanjson.SpanKindUnspecified {
		field("kind", k.String())
	}
	field("start", FormatTimestamp(s.StartTime()))
	field("end", FormatTimestamp(s.EndTime()))
	field("duration", durText(s.Duration(), s))
	field("self", durText(v.self[i], s))
	t0, _ := v.Bounds()
	if s.StartTime() != 0 && t0 != 0 {
		field("offset", "+"+FormatDuration(time.Duration(s.StartTime()-t0))+" after the trace's first span")
	}
	g := spanjson.GenAIOf(s)
	if g.Model != "" {
		m := g.Model
		if g.Provider != "" {
			m += " (" + g.Provider + ")"
		}
		field("model", Printable(m))
	}
	if t := TokensText(spanjson.TraceGenAI{InputTokens: g.InputTokens, OutputTokens: g.OutputTokens, TotalTokens: g.TotalTokens, CachedTokens: g.CachedTokens}); t != "" {
		field("tokens", t)
	}
	if g.Cost.Known {
		field("cost", CostText(g.Cost.USD))
	}
	if g.ToolName != "" {
		tool := g.ToolName
		if g.ToolCallID != "" {
			tool += " (call " + g.ToolCallID + ")"
		}
		field("tool", Printable(tool))
	}
	if g.Session != "" {
		field("session", Printable(g.Session))
	}
	if g.User != "" {
		field("user", Printable(g.User))
	}
	field("source", Printable(v.Source))

	section := func(title string) {
		p.w.WriteByte('\n')
		p.w.WriteString(th.paint(th.bold, title))
		p.w.WriteByte('\n')
	}
	if typ, msg, ok := s.Exception(); ok {
		section("exception")
		head := strings.TrimSpace(typ + ": " + msg)
		head = strings.TrimSuffix(strings.TrimPrefix(head, ": "), ":")
		p.writeBlock("  ", head, &th.fail)
		if stack := stacktraceOf(s); stack != "" {
			p.writeBlock("  ", stack, &th.dim)
		}
	}
	inKey, outKey := g.IOKeys()
	if in, ok := ioText(g, s.Attributes(), inKey, true); ok {
		section("inputs")
		p.writeBlock("  ", in, nil)
	}
	if out, ok := ioText(g, s.Attributes(), outKey, false); ok {
		section("outputs")
		p.writeBlock("  ", out, nil)
	}
	attrs := s.Attributes()
	if attrs.Len() > 0 {
		section("attributes")
		for a := range attrs.All() {
			if a.Key == inKey || a.Key == outKey {
				continue // printed above
			}
			p.keyValue("  ", a.Key, prettyValue(a))
		}
	}
	if evs := s.Events(); len(evs) > 0 {
		section("events")
		for _, e := range evs {
			p.w.WriteString("  ")
			if e.Time == 0 {
				p.w.WriteString("@-")
			} else {
				p.w.WriteString("@" + FormatDuration(time.Duration(e.Time-s.StartTime())))
			}
			p.w.WriteString(" " + th.paint(th.bold, Printable(e.Name)) + "  " + th.paint(th.dim, FormatTimestamp(e.Time)) + "\n")
			for a := range e.Attributes.All() {
				p.keyValue("    ", a.Key, prettyEventValue(a))
			}
		}
	}
	if links := s.Links(); len(links) > 0 {
		section("links")
		for _, l := range v.SpanDetailJSONOf(i).Links {
			p.w.WriteString("  trace " + Printable(l.TraceID) + "  span " + Printable(l.SpanID))
			if l.TraceState != "" {
				p.w.WriteString("  state " + Printable(l.TraceState))
			}
			p.w.WriteByte('\n')
		}
		for _, l := range links {
			for a := range l.Attributes.All() {
				p.keyValue("    ", a.Key, prettyEventValue(a))
			}
		}
	}
	if r := s.Resource(); r != nil && r.Attributes.Len() > 0 {
		section("resource")
		for a := range r.Attributes.All() {
			p.keyValue("  ", a.Key, prettyValue(a))
		}
	}
	if sc := s.Scope(); hasScope(sc) {
		section("scope")
		name := sc.Name
		if sc.Version != "" {
			name += " " + sc.Version
		}
		p.w.WriteString("  " + Printable(name) + "\n")
		for a := range sc.Attributes.All() {
			p.keyValue("    ", a.Key, prettyValue(a))
		}
	}
}

// ioText is a span's inputs (in) or outputs as indented JSON: the
// attribute's own text (member order and digits kept; a JSON string that
// holds an object or a list unwrapped), or the list rebuilt from
// flattened keys.
func ioText(g spanjson.GenAI, attrs spanjson.Attributes, key string, in bool) (string, bool) {
	if key == "" {
		return "", false
	}
	if a, ok := attrs.Lookup(key); ok {
		return prettyIO(a), true
	}
	var v any
	var ok bool
	if in {
		v, ok = g.Inputs()
	} else {
		v, ok = g.Outputs()
	}
	if !ok {
		return "", false
	}
	return prettyAny(v), true
}

// keyValue writes "key: value" with a multi-line value's later lines
// indented under the key.
func (p *Printer) keyValue(indent, key, value string) {
	th := p.th
	p.w.WriteString(indent)
	p.w.WriteString(th.paint(th.label, Printable(key)))
	p.w.WriteString(": ")
	lines := strings.Split(value, "\n")
	p.w.WriteString(Printable(expandTabs(lines[0])))
	p.w.WriteByte('\n')
	for _, l := range lines[1:] {
		p.w.WriteString(indent)
		p.w.WriteString("  ")
		p.w.WriteString(Printable(expandTabs(l)))
		p.w.WriteByte('\n')
	}
}

// writeBlock writes text line by line, each line indented and escaped
// (Printable), painted with st when given.
func (p *Printer) writeBlock(indent, text string, st *lipgloss.Style) {
	text = strings.ReplaceAll(strings.TrimRight(text, "\r\n"), "\r\n", "\n")
	for _, l := range strings.Split(text, "\n") {
		p.w.WriteString(indent)
		line := Printable(expandTabs(l))
		if st != nil {
			line = p.th.paint(*st, line)
		}
		p.w.WriteString(line)
		p.w.WriteByte('\n')
	}
}

// expandTabs turns tabs into four spaces: a stack trace's indentation
// reads as indentation, not as "\t".
func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	return strings.ReplaceAll(s, "\t", "    ")
}
