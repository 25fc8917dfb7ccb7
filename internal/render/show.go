package render

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tracectl/internal/spanjson"
)

// ShowOptions selects what Show prints.
type ShowOptions struct {
	Depth      int  // levels of spans to print (roots are level 1); 0 prints all
	ErrorsOnly bool // only the paths from a root to failing spans
	Attributes bool // each span's attributes
	Events     bool // each span's events
	NoFold     bool // print runs of similar siblings one by one
}

// foldMin is the shortest run of similar siblings that folds into one line.
const foldMin = 3

// pipeNameCap is the widest the span column grows in a pipe.
const pipeNameCap = 80

// maxIndent caps the drawn tree depth: deeper spans keep the indent of this
// level and show their depth, so a 100,000-deep chain prints in linear time.
const maxIndent = 24

// treeLine is one printed line of a span tree: a span, or a run of similar
// sibling spans folded together.
type treeLine struct {
	members  []int // span indices on this line: one, or a folded run
	hidden   int   // descendants not printed (folded away, below --depth, healthy with --errors-only)
	depth    int
	last     bool // last of its siblings
	kidsNext bool // its children are printed next
	dur      time.Duration
	self     time.Duration
	start    int64
	end      int64
}

// spanGroup is a run of sibling span indices that print as one line.
type spanGroup []int

type treeWalker struct {
	v      *TraceView
	o      ShowOptions
	hasErr []bool // errors-only: span is or leads to a failing span
	slab   []spanGroup
	prefix []byte
}

// isError reports whether span i failed.
func (v *TraceView) isError(i int) bool {
	return v.Tree.Spans[i].Status().Code == spanjson.StatusError
}

func newTreeWalker(v *TraceView, o ShowOptions) *treeWalker {
	w := &treeWalker{v: v, o: o}
	if o.ErrorsOnly {
		w.hasErr = make([]bool, len(v.Tree.Spans))
		for k := len(v.order) - 1; k >= 0; k-- {
			i := v.order[k]
			if v.isError(i) {
				w.hasErr[i] = true
			}
			if w.hasErr[i] {
				if p := v.Tree.Parent[i]; p >= 0 {
					w.hasErr[p] = true
				}
			}
		}
	}
	return w
}

func (w *treeWalker) similar(a, b int) bool {
	sa, sb := w.v.Tree.Spans[a], w.v.Tree.Spans[b]
	return sa.Name() == sb.Name() && sa.Status().Code == sb.Status().Code && w.v.typeOf[a] == w.v.typeOf[b]
}

// pushGroups appends the print groups of the visible spans among kids to
// the slab and returns their range.
func (w *treeWalker) pushGroups(kids []int) (lo, hi int) {
	vis := kids
	if w.hasErr != nil {
		vis = nil
		for _, k := range kids {
			if w.hasErr[k] {
				vis = append(vis, k)
			}
		}
	}
	lo = len(w.slab)
	for a := 0; a < len(vis); {
		b := a + 1
		if !w.o.NoFold {
			for b < len(vis) && w.similar(vis[a], vis[b]) {
				b++
			}
			if b-a < foldMin {
				b = a + 1
			}
		}
		w.slab = append(w.slab, spanGroup(vis[a:b:b]))
		a = b
	}
	return lo, len(w.slab)
}

func (w *treeWalker) hasVisibleKids(i int) bool {
	kids := w.v.childrenOf(i)
	if w.hasErr == nil {
		return len(kids) > 0
	}
	for _, k := range kids {
		if w.hasErr[k] {
			return true
		}
	}
	return false
}

// walk calls fn for each printed line in order; prefix is the tree drawing
// before the span name, valid during the call only.
func (w *treeWalker) walk(fn func(l *treeLine, prefix []byte)) {
	type frame struct{ lo, hi, pos, prefixLen int }
	spans := w.v.Tree.Spans
	lo, hi := w.pushGroups(w.v.Tree.Roots)
	stack := []frame{{lo: lo, hi: hi, pos: lo}}
	var line treeLine
	var linePrefix []byte
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.pos == f.hi {
			w.slab = w.slab[:f.lo]
			w.prefix = w.prefix[:f.prefixLen]
			stack = stack[:len(stack)-1]
			continue
		}
		g := w.slab[f.pos]
		f.pos++
		depth := len(stack) - 1
		last := f.pos == f.hi
		first := g[0]

		line = treeLine{members: g, depth: depth, last: last}
		line.start, line.end = spans[first].StartTime(), spans[first].EndTime()
		for _, m := range g {
			line.dur += spans[m].Duration()
			line.self += w.v.self[m]
			line.start = min(line.start, spans[m].StartTime())
			line.end = max(line.end, spans[m].EndTime())
		}
		depthOK := w.o.Depth <= 0 || depth+1 < w.o.Depth
		line.kidsNext = len(g) == 1 && depthOK && w.hasVisibleKids(first)
		if !line.kidsNext {
			for _, m := range g {
				line.hidden += int(w.v.size[m]) - 1
			}
		} else if w.hasErr != nil {
			// --errors-only: the healthy children are not printed.
			for _, k := range w.v.childrenOf(first) {
				if !w.hasErr[k] {
					line.hidden += int(w.v.size[k])
				}
			}
		}

		linePrefix = append(linePrefix[:0], w.prefix...)
		if depth > 0 {
			if last {
				linePrefix = append(linePrefix, "└─ "...)
			} else {
				linePrefix = append(linePrefix, "├─ "...)
			}
		}
		fn(&line, linePrefix)

		if line.kidsNext {
			prefixLen := len(w.prefix)
			if depth > 0 && depth <= maxIndent {
				if last {
					w.prefix = append(w.prefix, "   "...)
				} else {
					w.prefix = append(w.prefix, "│  "...)
				}
			}
			lo, hi := w.pushGroups(w.v.childrenOf(first))
			stack = append(stack, frame{lo: lo, hi: hi, pos: lo, prefixLen: prefixLen})
		}
	}
}

// nameCell is the span column of a line: the name, a fold count and how
// many spans below it are not printed.
func nameCell(v *TraceView, l *treeLine) string {
	return string(appendNameCell(nil, v, l))
}

// appendNameCell appends nameCell(v, l) to dst.
func appendNameCell(dst []byte, v *TraceView, l *treeLine) []byte {
	if l.depth > maxIndent {
		dst = append(dst, "⋯"...)
		dst = strconv.AppendInt(dst, int64(l.depth), 10)
		dst = append(dst, ' ')
	}
	dst = append(dst, Printable(v.Tree.Spans[l.members[0]].Name())...)
	if len(l.members) > 1 {
		dst = append(dst, " ×"...)
		dst = strconv.AppendInt(dst, int64(len(l.members)), 10)
	}
	if l.hidden > 0 {
		dst = append(dst, " (+"...)
		dst = strconv.AppendInt(dst, int64(l.hidden), 10)
		dst = append(dst, " nested)"...)
	}
	return dst
}

// nameWidth is the width of nameCell(v, l) without building it.
func nameWidth(v *TraceView, l *treeLine) int {
	n := width(Printable(v.Tree.Spans[l.members[0]].Name()))
	if l.depth > maxIndent {
		n += 2 + len(itoa(l.depth))
	}
	if len(l.members) > 1 {
		n += 2 + len(itoa(len(l.members)))
	}
	if l.hidden > 0 {
		n += len(" (+ nested)") + len(itoa(l.hidden))
	}
	return n
}

// errorText is what a failing span says about why: its exception type and
// message, else its status message.
func errorText(s spanjson.Span) string {
	if t := s.ErrorText(); t != "" {
		return t
	}
	return "no exception or message recorded"
}

// CleanTraces ends a --errors-only listing: how many traces had no
// failure and were not shown.
func (p *Printer) CleanTraces(n int) {
	if n > 0 {
		p.w.WriteString(p.th.paint(p.th.ok, itoa(n)+Plural(n, " trace", " traces")+" without failures not shown") + "\n")
	}
}

// Show writes the trace's header, previews and span tree.
func (p *Printer) Show(v *TraceView, o ShowOptions) {
	p.showHeader(v)
	p.showAssessments(v)
	p.showTree(v, o)
}

func (p *Printer) showHeader(v *TraceView) {
	th := p.th
	field := func(label, value string) {
		p.w.WriteString(th.paint(th.label, label))
		for k := len(label); k < 10; k++ {
			p.w.WriteByte(' ')
		}
		p.w.WriteString(value)
		p.w.WriteByte('\n')
	}
	field("trace", th.paint(th.bold, Printable(v.TraceID())))
	if name := v.Name(); name != "" {
		field("name", Printable(name))
	}
	state := v.State()
	field("state", th.paint(th.stateStyle(state), string(state)))
	field("duration", FormatDuration(v.Duration()))
	c := v.Counts()
	counts := itoa(c.Total())
	var parts []string
	if c.Error > 0 {
		parts = append(parts, th.paint(th.fail, itoa(c.Error)+" error"))
	}
	if c.OK > 0 {
		parts = append(parts, itoa(c.OK)+" ok")
	}
	if c.Unset > 0 {
		parts = append(parts, itoa(c.Unset)+" unset")
	}
	if len(parts) > 0 {
		counts += " (" + strings.Join(parts, ", ") + ")"
	}
	field("spans", counts)
	p.showGenAI(v.GenAI(), field)
	schema := string(v.Schema)
	if v.Shape != "" {
		schema += " (" + v.Shape + ")"
	}
	field("schema", Printable(schema))
	field("source", Printable(v.Source))
	req, resp := v.Previews()
	if req != "" {
		field("request", clip(req, p.clipWidth(10)))
	}
	if resp != "" {
		field("response", clip(resp, p.clipWidth(10)))
	}
	p.w.WriteByte('\n')
}

// showGenAI writes the trace's GenAI lines, each only when known: models,
// tokens, cost, session, user.
func (p *Printer) showGenAI(g spanjson.TraceGenAI, field func(label, value string)) {
	if len(g.Models) > 0 {
		field(Plural(len(g.Models), "model", "models"), Printable(strings.Join(g.Models, ", ")))
	}
	if t := TokensText(g); t != "" {
		field("tokens", t)
	}
	if g.Cost.Known {
		field("cost", CostText(g.Cost.USD))
	}
	if g.Session != "" {
		field("session", Printable(g.Session))
	}
	if g.User != "" {
		field("user", Printable(g.User))
	}
}

// TokensText is a trace's token line: "2,100 total (1,840 in, 260 out,
// 920 cached)", with the parts that are known; "" when none is.
func TokensText(g spanjson.TraceGenAI) string {
	var parts []string
	for _, c := range []struct {
		n    spanjson.Count
		name string
	}{{g.InputTokens, "in"}, {g.OutputTokens, "out"}, {g.CachedTokens, "cached"}} {
		if c.n.Known {
			parts = append(parts, groupDigits(c.n.N)+" "+c.name)
		}
	}
	text := ""
	if g.TotalTokens.Known {
		text = groupDigits(g.TotalTokens.N) + " total"
	}
	if len(parts) > 0 {
		if text != "" {
			text += " "
		}
		text += "(" + strings.Join(parts, ", ") + ")"
	}
	return text
}

// CostText is an amount in US dollars, to six significant digits.
func CostText(usd float64) string {
	return "$" + strconv.FormatFloat(usd, 'g', 6, 64)
}

// groupDigits writes n with thousands separators.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (p *Printer) showTree(v *TraceView, o ShowOptions) {
	th := p.th
	if len(v.Tree.Spans) == 0 {
		p.w.WriteString(th.paint(th.dim, "(no spans)") + "\n\n")
		return
	}
	w := newTreeWalker(v, o)
	if o.ErrorsOnly && !anyTrue(w.hasErr) {
		p.w.WriteString(th.paint(th.ok, "no failing spans") + "\n\n")
		return
	}

	scratch := make([]byte, 0, 32)
	var nameBuf []byte
	// First pass: column widths.
	nameW, typeW, statusW, durW, selfW := len("SPAN"), len("TYPE"), len("STATUS"), len("DURATION"), len("SELF")
	w.walk(func(l *treeLine, prefix []byte) {
		s := v.Tree.Spans[l.members[0]]
		nameW = max(nameW, utf8.RuneCount(prefix)+nameWidth(v, l))
		typeW = max(typeW, width(v.typeAt(l.members[0])))
		statusW = max(statusW, width(th.statusText(s.Status().Code)))
		durW = max(durW, utf8.RuneCount(appendDurText(scratch[:0], l.dur, s)))
		selfW = max(selfW, utf8.RuneCount(appendDurText(scratch[:0], l.self, s)))
	})
	barW := 0
	// One long name must not pad every other line: past the cap a name
	// pushes only its own row's columns to the right.
	nameW = min(nameW, pipeNameCap)
	if p.tty {
		// On a terminal every line fits the width: the bar takes what the
		// columns leave, and when that is too little for a useful bar it
		// goes and names get the room (clipped with "…").
		fixed := typeW + statusW + durW + selfW + 2*4
		full := nameW
		nameW = min(nameW, max(p.width/3, 24))
		barW = p.width - (nameW + fixed + 2)
		if barW < 10 {
			barW = 0
			nameW = min(full, max(p.width-fixed, 8))
		}
		barW = min(barW, 60)
	}
	t0, t1 := v.Bounds()

	// Header row.
	hdr := func(s string, n int, right bool) {
		cell := th.paint(th.dim, s)
		if right {
			for k := len(s); k < n; k++ {
				p.w.WriteByte(' ')
			}
			p.w.WriteString(cell)
		} else {
			pad(p.w, cell, len(s), n)
		}
	}
	hdr("SPAN", nameW, false)
	p.w.WriteString("  ")
	hdr("TYPE", typeW, false)
	p.w.WriteString("  ")
	hdr("STATUS", statusW, false)
	p.w.WriteString("  ")
	hdr("DURATION", durW, true)
	p.w.WriteString("  ")
	hdr("SELF", selfW, true)
	if barW > 0 {
		p.w.WriteString("  ")
		p.w.WriteString(th.paint(th.dim, "TIMELINE"))
	}
	p.w.WriteByte('\n')

	w.walk(func(l *treeLine, prefix []byte) {
		first := v.Tree.Spans[l.members[0]]
		code := first.Status().Code
		nameBuf = appendNameCell(nameBuf[:0], v, l)
		preW := utf8.RuneCount(prefix) // box-drawing characters and spaces: one cell each
		if !p.tty && !th.color {
			// A pipe: no clipping, no styles; the cell goes out as built.
			p.w.Write(prefix)
			p.w.Write(nameBuf)
			writeSpaces(p.w, nameW-(preW+nameWidth(v, l)))
		} else {
			name := string(nameBuf)
			if p.tty && preW+width(name) > nameW {
				name = clip(name, max(nameW-preW, 1))
			}
			if th.color {
				p.w.WriteString(th.paint(th.dim, string(prefix)))
			} else {
				p.w.Write(prefix)
			}
			nameStyled := name
			switch {
			case code == spanjson.StatusError:
				nameStyled = th.paint(th.fail, name)
			case len(l.members) > 1:
				nameStyled = th.paint(th.folded, name)
			}
			pad(p.w, nameStyled, preW+width(name), nameW)
		}
		p.w.WriteString("  ")
		typ := v.typeAt(l.members[0])
		pad(p.w, th.paint(th.label, typ), width(typ), typeW)
		p.w.WriteString("  ")
		st := th.statusText(code)
		pad(p.w, th.paint(th.statusStyle(code), st), width(st), statusW)
		p.w.WriteString("  ")
		scratch = appendDurText(scratch[:0], l.dur, first)
		writeSpaces(p.w, durW-utf8.RuneCount(scratch))
		p.w.Write(scratch)
		p.w.WriteString("  ")
		scratch = appendDurText(scratch[:0], l.self, first)
		writeSpaces(p.w, selfW-utf8.RuneCount(scratch))
		if th.color {
			p.w.WriteString(th.paint(th.dim, string(scratch)))
		} else {
			p.w.Write(scratch)
		}
		if barW > 0 {
			p.w.WriteString("  ")
			p.writeBar(l, t0, t1, barW, code == spanjson.StatusError)
		}
		p.w.WriteByte('\n')
		p.showDetails(v, l, prefix, o)
	})
	p.w.WriteByte('\n')
}

func anyTrue(b []bool) bool {
	for _, x := range b {
		if x {
			return true
		}
	}
	return false
}

// durText is a duration cell; a span that has not ended shows "running".
func durText(d time.Duration, s spanjson.Span) string {
	return string(appendDurText(nil, d, s))
}

func appendDurText(dst []byte, d time.Duration, s spanjson.Span) []byte {
	if s.EndTime() == 0 {
		return append(dst, "running"...)
	}
	return AppendDuration(dst, d)
}

// writeBar draws the line's interval on the trace's time axis [t0, t1].
func (p *Printer) writeBar(l *treeLine, t0, t1 int64, n int, failed bool) {
	span := t1 - t0
	from, to := 0, n
	if span > 0 {
		end := l.end
		if end == 0 {
			end = t1
		}
		from = int(float64(l.start-t0) / float64(span) * float64(n))
		to = int(float64(end-t0)/float64(span)*float64(n) + 0.999)
	}
	from = min(max(from, 0), n-1)
	to = min(max(to, from+1), n)
	glyph := "█"
	if len(l.members) > 1 {
		glyph = "▒"
	}
	st := p.th.bar
	if failed {
		st = p.th.errBar
	}
	p.w.WriteString(strings.Repeat(" ", from))
	p.w.WriteString(p.th.paint(st, strings.Repeat(glyph, to-from)))
}

// showDetails writes the lines under a span: why it failed, its attributes
// and its events.
func (p *Printer) showDetails(v *TraceView, l *treeLine, prefix []byte, o ShowOptions) {
	first := v.Tree.Spans[l.members[0]]
	failed := first.Status().Code == spanjson.StatusError
	if !failed && !o.Attributes && !o.Events {
		return
	}
	th := p.th
	// The detail indent continues the tree lines beside the span.
	indent := string(prefix[:len(prefix)-min(len(prefix), len("└─ "))])
	if l.depth > 0 {
		if l.last {
			indent += "   "
		} else {
			indent += "│  "
		}
	}
	if l.kidsNext {
		indent += "│ "
	} else {
		indent += "  "
	}
	used := width(indent) + 4
	if failed {
		p.w.WriteString(th.paint(th.dim, indent))
		p.w.WriteString(th.paint(th.fail, "! "+clip(errorText(first), p.clipWidth(used))))
		p.w.WriteByte('\n')
	}
	if o.Attributes {
		for _, kv := range v.otelDetails(l.members[0]) {
			p.w.WriteString(th.paint(th.dim, indent))
			p.w.WriteString("  ")
			key := Printable(kv[0])
			p.w.WriteString(th.paint(th.dim, key))
			p.w.WriteString(" = ")
			p.w.WriteString(clip(kv[1], p.clipWidth(used+width(key)+3)))
			p.w.WriteByte('\n')
		}
		for a := range first.Attributes().All() {
			p.w.WriteString(th.paint(th.dim, indent))
			p.w.WriteString("  ")
			key := Printable(a.Key)
			p.w.WriteString(th.paint(th.label, key))
			p.w.WriteString(" = ")
			p.w.WriteString(clip(a.Value, p.clipWidth(used+width(key)+3)))
			p.w.WriteByte('\n')
		}
	}
	if o.Events {
		for _, e := range first.Events() {
			p.w.WriteString(th.paint(th.dim, indent))
			p.w.WriteString("  @")
			if e.Time == 0 { // no timestamp
				p.w.WriteString("-")
			} else {
				p.w.WriteString(FormatDuration(time.Duration(e.Time - first.StartTime())))
			}
			p.w.WriteString(" ")
			p.w.WriteString(th.paint(th.bold, Printable(e.Name)))
			var kv []string
			for a := range e.Attributes.All() {
				kv = append(kv, a.Key+"="+a.Value)
			}
			if len(kv) > 0 {
				p.w.WriteString(" ")
				p.w.WriteString(clip(strings.Join(kv, " "), p.clipWidth(used+width(e.Name)+12)))
			}
			p.w.WriteByte('\n')
		}
	}
}
