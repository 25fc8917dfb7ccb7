package render

import (
	"strconv"
	"strings"
	"time"

	"tracectl/internal/spanjson"
)

// The critical path (show --critical-path) and the failure chains (show
// --errors-only) as the tree, the listing after it and the JSON show them.
// The rules are spanjson.CriticalPath and spanjson.FailureOrigins.

// criticalMark follows the name of a tree line on the critical path.
const criticalMark = "◆"

// CriticalPathCap is how many segments the listing and the JSON give; the
// total count is always given.
const CriticalPathCap = 100

// CriticalPath returns the trace's critical path (spanjson.CriticalPath),
// computed once.
func (v *TraceView) CriticalPath() []spanjson.PathSegment {
	if v.onPath == nil {
		v.critical = spanjson.CriticalPath(v.Tree)
		v.onPath = make([]bool, len(v.Tree.Spans))
		for _, s := range v.critical {
			v.onPath[s.Span] = true
		}
	}
	return v.critical
}

// onCriticalPath is, per span index, whether it is on the critical path.
func (v *TraceView) onCriticalPath() []bool {
	v.CriticalPath()
	return v.onPath
}

// CriticalPathJSON is a trace's critical path in `show -o json
// --critical-path`: the first CriticalPathCap segments in time order and
// how many there are.
type CriticalPathJSON struct {
	DurationNS   int64             `json:"duration_ns"` // the segments' sum
	SegmentCount int               `json:"segment_count"`
	Truncated    bool              `json:"truncated"` // segments holds the first CriticalPathCap
	Segments     []PathSegmentJSON `json:"segments"`
}

// PathSegmentJSON is one segment: the span that alone decided the time
// from start to end, and that time (self_ns, the span's own on the path).
type PathSegmentJSON struct {
	SpanID    string `json:"span_id"`
	Name      string `json:"name"`
	SpanType  string `json:"span_type"`
	Depth     int    `json:"depth"`
	StartTime string `json:"start_time_unix_nano"`
	EndTime   string `json:"end_time_unix_nano"`
	SelfNS    int64  `json:"self_ns"`
}

// CriticalPathJSON describes the trace's critical path.
func (v *TraceView) CriticalPathJSON() *CriticalPathJSON {
	segs := v.CriticalPath()
	out := &CriticalPathJSON{SegmentCount: len(segs), Truncated: len(segs) > CriticalPathCap, Segments: []PathSegmentJSON{}}
	for k, s := range segs {
		out.DurationNS += int64(s.Duration())
		if k >= CriticalPathCap {
			continue
		}
		sp := v.Tree.Spans[s.Span]
		out.Segments = append(out.Segments, PathSegmentJSON{
			SpanID: SpanIDText(sp), Name: sp.Name(), SpanType: v.typeAt(s.Span), Depth: int(v.depth[s.Span]),
			StartTime: nsText(s.Start), EndTime: nsText(s.End), SelfNS: int64(s.Duration()),
		})
	}
	return out
}

// showCriticalPath lists the critical path after the tree: each segment's
// offset from the trace's start, its length, its share of the path, and
// the span, indented by depth.
func (p *Printer) showCriticalPath(v *TraceView) {
	th := p.th
	segs := v.CriticalPath()
	var total time.Duration
	for _, s := range segs {
		total += s.Duration()
	}
	p.w.WriteString(th.paint(th.bold, "critical path") + "  " + FormatDuration(total) + " in " + itoa(len(segs)) + Plural(len(segs), " segment", " segments") + "\n")
	if len(segs) == 0 {
		p.w.WriteByte('\n')
		return
	}
	t0, _ := v.Bounds()
	cols := []column{{header: "AT", right: true}, {header: "SELF", right: true}, {header: "SHARE", right: true}, {header: "TYPE"}, {header: "SPAN"}}
	for k, s := range segs {
		if k >= CriticalPathCap {
			break
		}
		d := int(v.depth[s.Span])
		indent := strings.Repeat("  ", min(d, maxIndent))
		if d > maxIndent {
			indent += "⋯" + itoa(d) + " "
		}
		share := "-"
		if total > 0 {
			share = strconv.FormatFloat(100*float64(s.Duration())/float64(total), 'f', 1, 64) + "%"
		}
		cols[0].cells = append(cols[0].cells, "+"+FormatDuration(time.Duration(s.Start-t0)))
		cols[1].cells = append(cols[1].cells, FormatDuration(s.Duration()))
		cols[2].cells = append(cols[2].cells, share)
		cols[3].cells = append(cols[3].cells, v.typeAt(s.Span))
		cols[4].cells = append(cols[4].cells, indent+v.Tree.Spans[s.Span].Name())
	}
	cols[3].paint = func(_ int, s string) string { return th.paint(th.label, s) }
	cols[4].paint = func(r int, s string) string {
		if v.isError(segs[r].Span) {
			return th.paint(th.fail, s)
		}
		return s
	}
	p.writeTable(cols)
	if n := len(segs) - CriticalPathCap; n > 0 {
		p.w.WriteString(th.paint(th.dim, "… "+itoa(n)+Plural(n, " more segment", " more segments")) + "\n")
	}
	p.w.WriteByte('\n')
}

// FailureJSON is one failure chain in `show -o json --errors-only`: a
// deepest failing span (spanjson.FailureOrigins), its exception (or
// status message) and the spans from its root down to it.
type FailureJSON struct {
	SpanID    string         `json:"span_id"`
	Name      string         `json:"name"`
	Message   string         `json:"status_message"`
	Exception *ExceptionJSON `json:"exception,omitempty"`
	Path      []PathStepJSON `json:"path"`
}

// FailuresJSON describes the trace's failure chains, nil when no span
// failed.
func (v *TraceView) FailuresJSON() []FailureJSON {
	var out []FailureJSON
	for _, i := range spanjson.FailureOrigins(v.Tree) {
		s := v.Tree.Spans[i]
		f := FailureJSON{SpanID: SpanIDText(s), Name: s.Name(), Message: s.Status().Message}
		if typ, msg, ok := s.Exception(); ok {
			f.Exception = &ExceptionJSON{Type: typ, Message: msg, Stacktrace: stacktraceOf(s)}
		}
		for _, k := range v.Tree.PathFromRoot(i) {
			f.Path = append(f.Path, PathStepJSON{SpanID: SpanIDText(v.Tree.Spans[k]), Name: v.Tree.Spans[k].Name()})
		}
		out = append(out, f)
	}
	return out
}

// showFailures lists, after an --errors-only tree, where each failure
// began: the deepest failing spans, the path from the root to each, and
// why it failed (the stack trace's last line when there is one: the
// line that names the error).
func (p *Printer) showFailures(v *TraceView) {
	th := p.th
	origins := spanjson.FailureOrigins(v.Tree)
	if len(origins) == 0 {
		return
	}
	p.w.WriteString(th.paint(th.bold, "failures") + "  " + itoa(len(origins)) + Plural(len(origins), " span where a failure began", " spans where failures began") + "\n")
	for _, i := range origins {
		s := v.Tree.Spans[i]
		p.w.WriteString("  " + th.paint(th.fail, clip(v.SpanPathText(i), p.clipWidth(2))) + "  " + th.paint(th.dim, Printable(SpanIDText(s))) + "\n")
		p.w.WriteString("    " + th.paint(th.fail, "! "+clip(errorText(s), p.clipWidth(6))) + "\n")
		if st := stacktraceOf(s); st != "" {
			lines := strings.Split(strings.TrimRight(st, "\n"), "\n")
			p.w.WriteString("    " + th.paint(th.dim, clip(strings.TrimSpace(lines[len(lines)-1]), p.clipWidth(4))+"  ("+itoa(len(lines))+"-line stack trace: tracectl span --id "+Printable(SpanIDText(s))+")") + "\n")
		}
	}
	p.w.WriteByte('\n')
}

// timeAxis is the waterfall's header on a terminal: ticks at round
// times across n cells for a trace of total nanoseconds, each tick "╷"
// followed by its time ("╷0", "╷25ms", …).
func timeAxis(total int64, n int) string {
	if total <= 0 || n < 8 {
		return "TIMELINE"
	}
	step := niceStep(total, max(n/8, 1))
	cells := make([]rune, n)
	for k := range cells {
		cells[k] = ' '
	}
	next := 0 // first free cell
	for t := int64(0); t <= total; t += step {
		pos := int(float64(t) / float64(total) * float64(n))
		label := "╷" + axisLabel(time.Duration(t))
		w := len([]rune(label))
		if pos < next || pos+w > n {
			continue
		}
		copy(cells[pos:], []rune(label))
		next = pos + w + 1
	}
	return strings.TrimRight(string(cells), " ")
}

// niceStep is the smallest of 1, 2, 5 × 10^k nanoseconds that cuts total
// into at most ticks steps.
func niceStep(total int64, ticks int) int64 {
	for step := int64(1); ; step *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if s := step * m; total/s <= int64(ticks) || s > total {
				return s
			}
		}
	}
}

// axisLabel is a tick's time, without the trailing zeros of
// FormatDuration ("2.50ms" is "2.5ms", "0ns" is "0").
func axisLabel(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := FormatDuration(d)
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return s
	}
	end := dot + 1
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	digits := strings.TrimRight(s[dot+1:end], "0")
	if digits == "" {
		return s[:dot] + s[end:]
	}
	return s[:dot+1] + digits + s[end:]
}
