package render

import (
	"strings"
	"time"

	"tracectl/internal/spanjson"
)

// Roots writes one line per trace: trace id, root span id and name, state,
// duration, span count, start time and total tokens.
func (p *Printer) Roots(views []*TraceView) {
	rows := make([]RootJSON, len(views))
	for r, v := range views {
		rows[r] = v.RootJSON()
	}
	p.RootRows(rows)
}

// RootRows is Roots over rows made by TraceView.RootJSON, so a caller can
// let each trace go once its row is made. It is drawn by the hand-written
// drawer: a row per trace is tens of thousands of rows on a big dump, where
// tablewriter costs a second and hundreds of MB (BenchmarkTraceTables).
func (p *Printer) RootRows(rows []RootJSON) { p.writeTableFast(p.rootColumns(rows)) }

func (p *Printer) rootColumns(rows []RootJSON) []column {
	th := p.th
	cols := []column{
		{header: "TRACE"}, {header: "ROOT SPAN"}, {header: "NAME"},
		{header: "STATE"}, {header: "DURATION", right: true}, {header: "SPANS", right: true},
		{header: "START"}, {header: "TOKENS", right: true},
	}
	for _, j := range rows {
		name := j.RootName
		if j.RootCount > 1 {
			name += " (+" + itoa(j.RootCount-1) + Plural(j.RootCount-1, " root)", " roots)")
		}
		cols[0].cells = append(cols[0].cells, j.TraceID)
		cols[1].cells = append(cols[1].cells, orDash(j.RootSpanID))
		cols[2].cells = append(cols[2].cells, orDash(name))
		cols[3].cells = append(cols[3].cells, j.State)
		cols[4].cells = append(cols[4].cells, FormatDuration(time.Duration(j.DurationNS)))
		cols[5].cells = append(cols[5].cells, itoa(j.SpanCount))
		cols[6].cells = append(cols[6].cells, j.StartCell())
		cols[7].cells = append(cols[7].cells, j.TokensCell())
	}
	cols[0].paint = func(_ int, s string) string { return th.paint(th.bold, s) }
	cols[3].paint = func(r int, s string) string { return th.paint(th.stateStyle(spanjson.TraceState(rows[r].State)), s) }
	return cols
}

// Status writes per trace its state and span counts by status, then a
// summary line.
func (p *Printer) Status(views []*TraceView) {
	rows := make([]StatusReportJSON, len(views))
	for r, v := range views {
		rows[r] = v.StatusJSON()
	}
	p.StatusRows(rows)
}

// StatusRows is Status over rows made by TraceView.StatusJSON. The last
// column marks the failed rows (Failed): "yes" in a pipe, ✗ on a terminal.
// Like RootRows, a row per trace: the hand-written drawer.
func (p *Printer) StatusRows(rows []StatusReportJSON) {
	th := p.th
	cols, failed := p.statusColumns(rows)
	p.writeTableFast(cols)
	summary := itoa(len(rows)) + Plural(len(rows), " trace", " traces") + ", " + itoa(failed) + " failed"
	if failed > 0 {
		summary = th.paint(th.fail, summary)
	} else {
		summary = th.paint(th.ok, summary)
	}
	p.w.WriteString(summary + "\n")
}

func (p *Printer) statusColumns(rows []StatusReportJSON) (cols []column, failed int) {
	th := p.th
	cols = []column{
		{header: "TRACE"}, {header: "STATE"}, {header: "SPANS", right: true},
		{header: "OK", right: true}, {header: "ERROR", right: true}, {header: "UNSET", right: true},
		{header: "FAILED"},
	}
	for _, j := range rows {
		if j.Failed {
			failed++
		}
		cols[0].cells = append(cols[0].cells, j.TraceID)
		cols[1].cells = append(cols[1].cells, j.State)
		cols[2].cells = append(cols[2].cells, itoa(j.SpanCount))
		cols[3].cells = append(cols[3].cells, itoa(j.StatusCounts.OK))
		cols[4].cells = append(cols[4].cells, itoa(j.StatusCounts.Error))
		cols[5].cells = append(cols[5].cells, itoa(j.StatusCounts.Unset))
		cols[6].cells = append(cols[6].cells, failedMark(j.Failed, th.symbols))
	}
	cols[6].paint = func(_ int, s string) string { return th.paint(th.fail, s) }
	cols[0].paint = func(_ int, s string) string { return th.paint(th.bold, s) }
	cols[1].paint = func(r int, s string) string { return th.paint(th.stateStyle(spanjson.TraceState(rows[r].State)), s) }
	cols[4].paint = func(_ int, s string) string {
		if s != "0" {
			return th.paint(th.fail, s)
		}
		return s
	}
	return cols, failed
}

func failedMark(failed, symbols bool) string {
	switch {
	case failed && symbols:
		return "✗"
	case failed:
		return "yes"
	case symbols:
		return ""
	}
	return "no"
}

// Plural picks the singular or plural form for n.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Preview writes each trace's request and response previews clipped to
// limit cells (0: the default for the writer).
func (p *Printer) Preview(views []*TraceView, limit int) {
	limit = p.PreviewLimit(limit)
	for k, v := range views {
		p.PreviewRow(v.PreviewJSON(limit), k == 0)
	}
}

// PreviewLimit is the clip width Preview uses for limit (0: the default
// for the writer).
func (p *Printer) PreviewLimit(limit int) int {
	if limit <= 0 {
		limit = p.clipWidth(10)
	}
	return limit
}

// PreviewRow writes one trace's previews, made by TraceView.PreviewJSON
// with PreviewLimit; every trace but the first is set off by a blank line.
func (p *Printer) PreviewRow(j PreviewJSON, first bool) {
	th := p.th
	if !first {
		p.w.WriteByte('\n')
	}
	for _, f := range [][2]string{{"trace", th.paint(th.bold, Printable(j.TraceID))}, {"request", orDash(Printable(j.Request))}, {"response", orDash(Printable(j.Response))}} {
		p.w.WriteString(th.paint(th.label, f[0]))
		for n := len(f[0]); n < 10; n++ {
			p.w.WriteByte(' ')
		}
		p.w.WriteString(f[1])
		p.w.WriteByte('\n')
	}
}

// SpanRow is one line of `tracectl spans`: what its text and JSON output
// print of a span, without the trace it belongs to. A listing that must see
// every trace before it prints (a sort across traces) keeps these small
// rows, not the traces; their strings are copies (see owned).
type SpanRow struct {
	JSON    SpanJSON // the -o json/jsonl value, trace_id set
	Start   int64    // unix nanoseconds, for sorting
	Offset  time.Duration
	Code    spanjson.StatusCode
	Running bool // no end time: durations show as "running"
}

// SpanRowOf describes span i of v for `spans`.
func (v *TraceView) SpanRowOf(i int) SpanRow {
	s := v.Tree.Spans[i]
	t0, _ := v.Bounds()
	j := v.SpanJSONOf(i, false, false)
	j.TraceID = v.TraceID()
	j.OTelTraceID = v.OTelTraceID() // one string per trace, not from the input: shared
	for _, p := range []*string{&j.TraceID, &j.SpanID, &j.ParentSpanID, &j.OriginalParentSpanID, &j.Name, &j.SpanType, &j.Status.Message} {
		*p = owned(*p)
	}
	if j.Exception != nil {
		j.Exception.Type, j.Exception.Message = owned(j.Exception.Type), owned(j.Exception.Message)
	}
	if g := j.GenAI; g != nil {
		for _, p := range []*string{&g.Model, &g.Provider, &g.ToolName, &g.ToolCallID, &g.Session, &g.User} {
			*p = owned(*p)
		}
	}
	return SpanRow{JSON: j, Start: s.StartTime(), Offset: time.Duration(s.StartTime() - t0), Code: s.Status().Code, Running: s.EndTime() == 0}
}

// owned returns a copy of s. A row that outlives its trace (a table printed
// when the input ends, a sorted span listing) must not keep alive the
// document-sized string blocks the decoder cut its texts from.
func owned(s string) string { return strings.Clone(s) }

// SpanRows writes a flat table of spans; withTrace adds the trace id column.
// It keeps the hand-written drawer: see BenchmarkSpanTable.
func (p *Printer) SpanRows(rows []SpanRow, withTrace bool) {
	p.writeTableFast(p.spanColumns(rows, withTrace))
}

// spanColumns builds the columns of the spans table.
func (p *Printer) spanColumns(rows []SpanRow, withTrace bool) []column {
	th := p.th
	var cols []column
	add := func(header string, right bool) *column {
		cols = append(cols, column{header: header, right: right, cells: make([]string, 0, len(rows))})
		return &cols[len(cols)-1]
	}
	if withTrace {
		add("TRACE", false)
	}
	add("SPAN ID", false)
	add("PARENT", false)
	add("NAME", false)
	add("TYPE", false)
	add("STATUS", false)
	add("START", true)
	add("DURATION", true)
	add("SELF", true)
	dur := func(r *SpanRow, ns int64) string {
		if r.Running {
			return "running"
		}
		return FormatDuration(time.Duration(ns))
	}
	for k := range rows {
		r := &rows[k]
		c := 0
		next := func(v string) { cols[c].cells = append(cols[c].cells, v); c++ }
		if withTrace {
			next(r.JSON.TraceID)
		}
		next(r.JSON.SpanID)
		next(orDash(r.JSON.ParentSpanID))
		next(r.JSON.Name)
		next(r.JSON.SpanType)
		next(th.statusText(r.Code))
		next("+" + FormatDuration(r.Offset))
		next(dur(r, r.JSON.DurationNS))
		next(dur(r, r.JSON.SelfNS))
	}
	nameCol, statusCol := len(cols)-6, len(cols)-4
	cols[nameCol].paint = func(r int, s string) string {
		if rows[r].Code == spanjson.StatusError {
			return th.paint(th.fail, s)
		}
		return s
	}
	cols[statusCol].paint = func(r int, s string) string { return th.paint(th.statusStyle(rows[r].Code), s) }
	return cols
}
