package render

import (
	"slices"
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
	// CriticalPath marks the spans on the critical path in the tree and
	// lists its segments after it (spanjson.CriticalPath).
	CriticalPath bool
	// Metadata prints every tag and metadata key in the header, not only
	// the ones that are not MLflow's own.
	Metadata bool
}

// foldMin is the shortest run of similar siblings that folds into one line.
const foldMin = 3

// pipeNameCap is the widest the span column grows in a pipe.
const pipeNameCap = 80

// maxIndent caps the drawn tree depth in a pipe: a deeper line shows its
// depth ("⋯31") and the last levels of the drawing in the same width, so
// the columns after the tree never move and a 100,000-deep chain prints
// in linear time. A terminal draws as many levels as its name column
// leaves room for.
const maxIndent = 12

// minNameRoom is what the tree leaves of the name column on a terminal.
const minNameRoom = 12

// treeLine is one printed line of a span tree: a span, or a run of similar
// sibling spans folded together.
type treeLine struct {
	members  []int // span indices on this line: one, or a folded run
	hidden   int   // descendants not printed (folded away, below --depth, healthy with --errors-only)
	depth    int
	last     bool // last of its siblings
	kidsNext bool // its children are printed next
	critical bool // --critical-path: a member is on the path
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
	// levels[k] is the drawing under the ancestor at depth k+1 ("│  " or
	// "   "); a line at depth d draws levels[:d-1] and its branch.
	levels []string
	keep   int // levels drawn in full; deeper lines are elided
	markW  int // cells of the "⋯N" depth mark, a multiple of 3
}

// setKeep makes lines deeper than keep levels elide their drawing: each
// prefix is then at most 3*keep cells (unless keep is too small for the
// depth mark, when it grows to fit one).
func (w *treeWalker) setKeep(keep int) {
	cells := 1 + len(itoa(w.v.maxDepth)) + 1 // "⋯", the depth, a space
	w.markW = 3 * ((cells + 2) / 3)
	w.keep = max(keep, w.markW/3+1)
}

// prefixWidth is the cells of a depth's tree drawing.
func (w *treeWalker) prefixWidth(depth int) int {
	return 3 * min(depth, w.keep)
}

// appendPrefix appends the tree drawing before a name at depth: the
// levels above it and its branch; past keep levels, the depth mark and
// the last levels.
func (w *treeWalker) appendPrefix(dst []byte, depth int, last bool) []byte {
	if depth == 0 {
		return dst
	}
	branch := "├─ "
	if last {
		branch = "└─ "
	}
	from := 0
	if depth > w.keep {
		mark := len(dst)
		dst = append(dst, "⋯"...)
		dst = strconv.AppendInt(dst, int64(depth), 10)
		for n := utf8.RuneCount(dst[mark:]); n < w.markW; n++ {
			dst = append(dst, ' ')
		}
		from = depth - 1 - (w.keep - w.markW/3 - 1)
	}
	for _, g := range w.levels[from : depth-1] {
		dst = append(dst, g...)
	}
	return append(dst, branch...)
}

// isError reports whether span i failed.
func (v *TraceView) isError(i int) bool {
	return v.Tree.Spans[i].Status().Code == spanjson.StatusError
}

func newTreeWalker(v *TraceView, o ShowOptions) *treeWalker {
	w := &treeWalker{v: v, o: o}
	w.setKeep(maxIndent)
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
	return sa.Name() == sb.Name() && sa.Status().Code == sb.Status().Code && w.v.types()[a] == w.v.types()[b]
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
	type frame struct{ lo, hi, pos, levels int }
	lo, hi := w.pushGroups(w.v.Tree.Roots)
	stack := []frame{{lo: lo, hi: hi, pos: lo}}
	w.levels = w.levels[:0]
	var line treeLine
	var linePrefix []byte
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.pos == f.hi {
			w.slab = w.slab[:f.lo]
			w.levels = w.levels[:f.levels]
			stack = stack[:len(stack)-1]
			continue
		}
		g := w.slab[f.pos]
		f.pos++
		depth := len(stack) - 1
		last := f.pos == f.hi
		first := g[0]

		depthOK := w.o.Depth <= 0 || depth+1 < w.o.Depth
		line = treeLine{members: g, depth: depth, last: last}
		line.kidsNext = len(g) == 1 && depthOK && w.hasVisibleKids(first)
		w.measure(&line)

		linePrefix = w.appendPrefix(linePrefix[:0], depth, last)
		fn(&line, linePrefix)

		if line.kidsNext {
			n := len(w.levels)
			if depth > 0 {
				w.levels = append(w.levels, levelGlyph(last))
			}
			lo, hi := w.pushGroups(w.v.childrenOf(first))
			stack = append(stack, frame{lo: lo, hi: hi, pos: lo, levels: n})
		}
	}
}

// levelGlyph is the drawing under a span whose children follow: the line
// on to its next sibling, or space after the last.
func levelGlyph(last bool) string {
	if last {
		return "   "
	}
	return "│  "
}

// measure fills in a line's times, critical mark and hidden count from its
// members, depth and kidsNext.
func (w *treeWalker) measure(line *treeLine) {
	spans := w.v.Tree.Spans
	g := line.members
	first := g[0]
	line.start, line.end = spans[first].StartTime(), spans[first].EndTime()
	for _, m := range g {
		line.dur += spans[m].Duration()
		line.self += w.v.self[m]
		line.start = min(line.start, spans[m].StartTime())
		line.end = max(line.end, spans[m].EndTime())
	}
	if w.o.CriticalPath {
		onPath := w.v.onCriticalPath()
		for _, m := range g {
			line.critical = line.critical || onPath[m]
		}
	}
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
}

// nameCell is the span column of a line after the tree: the name, a fold
// count, how many spans below it are not printed, and the critical-path
// mark.
func nameCell(v *TraceView, l *treeLine) string {
	return string(appendNameCell(nil, v, l, nestedFull))
}

// How much of "(+N nested)" a name cell says: on a narrow terminal it
// gives way before the name is cut to nothing.
const (
	nestedFull  = iota // " (+12 nested)"
	nestedShort        // " +12"
	nestedNone
)

// appendNameCell appends the line's name and its suffix (appendSuffix).
func appendNameCell(dst []byte, v *TraceView, l *treeLine, nested int) []byte {
	dst = append(dst, Printable(v.Tree.Spans[l.members[0]].Name())...)
	return appendSuffix(dst, l, nested)
}

// appendSuffix appends what follows a name and is never cut: " ×N" for a
// folded run, " ◆" on the critical path; then the nested count in the
// given form.
func appendSuffix(dst []byte, l *treeLine, nested int) []byte {
	if len(l.members) > 1 {
		dst = append(dst, " ×"...)
		dst = strconv.AppendInt(dst, int64(len(l.members)), 10)
	}
	if l.critical {
		dst = append(dst, " "+criticalMark...)
	}
	if l.hidden > 0 {
		switch nested {
		case nestedFull:
			dst = append(dst, " (+"...)
			dst = strconv.AppendInt(dst, int64(l.hidden), 10)
			dst = append(dst, " nested)"...)
		case nestedShort:
			dst = append(dst, " +"...)
			dst = strconv.AppendInt(dst, int64(l.hidden), 10)
		}
	}
	return dst
}

// suffixWidth is the width of appendSuffix's text.
func suffixWidth(l *treeLine, nested int) int {
	n := 0
	if len(l.members) > 1 {
		n += 2 + len(itoa(len(l.members)))
	}
	if l.critical {
		n += 2
	}
	if l.hidden > 0 {
		switch nested {
		case nestedFull:
			n += len(" (+ nested)") + len(itoa(l.hidden))
		case nestedShort:
			n += 2 + len(itoa(l.hidden))
		}
	}
	return n
}

// nameWidth is the width of nameCell(v, l) without building it.
func nameWidth(v *TraceView, l *treeLine) int {
	return width(Printable(v.Tree.Spans[l.members[0]].Name())) + suffixWidth(l, nestedFull)
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
	// The header's GenAI summary reads every span's view, and the tree's
	// columns take a walk of the tree: in a big trace they are made at
	// once, on two goroutines (nothing in the walk reads the summary).
	var genai chan struct{}
	if len(v.Tree.Spans) >= concurrentSpans {
		genai = make(chan struct{})
		go func() {
			defer close(genai)
			v.GenAI()
		}()
	}
	lay := p.layTree(v, o)
	if genai != nil {
		<-genai
	}
	p.showHeader(v, o)
	p.showAssessments(v)
	p.showTree(v, o, lay)
}

// concurrentSpans is the size from which a trace's view does parts of its
// work on another goroutine.
const concurrentSpans = 1 << 14

func (p *Printer) showHeader(v *TraceView, o ShowOptions) {
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
	field("start", FormatTimestamp(v.StartTime()))
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
	p.showKeys("tags", v.Trace.Info.Tags, o.Metadata, field)
	p.showKeys("metadata", v.Trace.Info.Metadata, o.Metadata, field)
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

// showKeys writes a trace's tags or metadata, one key=value a line in
// key order: the keys that are not MLflow's own ("mlflow." ones are shown
// elsewhere in the header, or are bookkeeping), values clipped; with all,
// every key and whole values.
func (p *Printer) showKeys(label string, m map[string]string, all bool, field func(label, value string)) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if all || !strings.HasPrefix(k, "mlflow.") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		value := Printable(m[k])
		if !all {
			value = clip(m[k], p.clipWidth(detailLabelWidth+width(Printable(k))+1))
		}
		field(label, p.th.paint(p.th.dim, Printable(k)+"=")+value)
		label = ""
	}
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

// treeLayout is how a span tree prints: its walker and column widths
// (layTree).
type treeLayout struct {
	w                                  *treeWalker
	nameW, typeW, statusW, durW, selfW int
	barW                               int
	empty                              string // the line printed instead of a tree, if any
	// lines are the lines of a big tree, as the walk met them, when they
	// are printed in chunks on several goroutines (printLines); groups
	// are the members of the folded ones, by line.
	lines  []lineRec
	groups map[int32][]int
}

// lineRec is a treeLine as layTree records it: what measure does not
// make again.
type lineRec struct {
	first, depth int32
	last         bool
	kidsNext     bool
	folded       bool // more than one member: see treeLayout.groups
}

// layTree walks the tree once for the widths of its columns.
func (p *Printer) layTree(v *TraceView, o ShowOptions) *treeLayout {
	th := p.th
	if len(v.Tree.Spans) == 0 {
		return &treeLayout{empty: th.paint(th.dim, "(no spans)")}
	}
	w := newTreeWalker(v, o)
	if o.ErrorsOnly && !anyTrue(w.hasErr) {
		return &treeLayout{empty: th.paint(th.ok, "no failing spans")}
	}

	scratch := make([]byte, 0, 32)
	// First pass: column widths. The tree's width is that of its drawing
	// with the pipe's elision; a terminal redraws it to fit (below).
	nameW, typeW, statusW, durW, selfW := len("SPAN"), len("TYPE"), len("STATUS"), len("DURATION"), len("SELF")
	var lines []lineRec
	var groups map[int32][]int
	if p.inChunks(v, o) {
		lines, groups = make([]lineRec, 0, len(v.Tree.Spans)), map[int32][]int{}
	}
	w.walk(func(l *treeLine, _ []byte) {
		if lines != nil {
			if len(l.members) > 1 {
				groups[int32(len(lines))] = l.members
			}
			lines = append(lines, lineRec{first: int32(l.members[0]), depth: int32(l.depth), last: l.last, kidsNext: l.kidsNext, folded: len(l.members) > 1})
		}
		s := v.Tree.Spans[l.members[0]]
		nameW = max(nameW, w.prefixWidth(l.depth)+nameWidth(v, l))
		if lines == nil {
			typeW = max(typeW, width(v.typeAt(l.members[0])))
		}
		statusW = max(statusW, width(th.statusText(s.Status().Code)))
		durW = max(durW, utf8.RuneCount(appendDurText(scratch[:0], l.dur, s)))
		selfW = max(selfW, utf8.RuneCount(appendDurText(scratch[:0], l.self, s)))
	})
	if lines != nil {
		typeW = max(typeW, v.typesWidth(lines))
	}
	barW := 0
	// One long name must not pad every other line: past the cap a name
	// pushes only its own row's columns to the right.
	nameW = min(nameW, pipeNameCap)
	if p.tty {
		// On a terminal every line fits the width: the bar takes what the
		// columns leave, and when that is too little for a useful bar it
		// goes and names get the room (clipped with "…"). The tree takes
		// its room from the names, never from the other columns.
		fixed := typeW + statusW + durW + selfW + 2*4
		full := nameW
		nameW = min(nameW, max(p.width/3, 24))
		barW = p.width - (nameW + fixed + 2)
		if barW < 10 {
			barW = 0
			nameW = min(full, max(p.width-fixed, 8))
		}
		barW = min(barW, 60)
		w.setKeep(max((nameW-minNameRoom)/3, 1))
	}
	return &treeLayout{w: w, nameW: nameW, typeW: typeW, statusW: statusW, durW: durW, selfW: selfW, barW: barW, lines: lines, groups: groups}
}

// showTree prints the tree as lay says.
func (p *Printer) showTree(v *TraceView, o ShowOptions, lay *treeLayout) {
	th := p.th
	if lay.empty != "" {
		p.w.WriteString(lay.empty + "\n\n")
		return
	}
	w := lay.w
	nameW, typeW, statusW, durW, selfW, barW := lay.nameW, lay.typeW, lay.statusW, lay.durW, lay.selfW, lay.barW
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
		p.w.WriteString(th.paint(th.dim, timeAxis(t1-t0, barW)))
	}
	p.w.WriteByte('\n')

	if lay.lines != nil {
		p.printLines(v, o, lay, t0, t1)
	} else {
		var sc rowScratch
		w.walk(func(l *treeLine, prefix []byte) { p.treeRow(v, o, lay, l, prefix, t0, t1, &sc) })
	}
	p.w.WriteByte('\n')
	if o.CriticalPath {
		p.showCriticalPath(v)
	}
	if o.ErrorsOnly {
		p.showFailures(v)
	}
}

// rowScratch is the scratch space of treeRow.
type rowScratch struct{ name, dur []byte }

// treeRow writes one line of the tree (and the details under it).
func (p *Printer) treeRow(v *TraceView, o ShowOptions, lay *treeLayout, l *treeLine, prefix []byte, t0, t1 int64, sc *rowScratch) {
	th := p.th
	nameW, typeW, statusW, durW, selfW, barW := lay.nameW, lay.typeW, lay.statusW, lay.durW, lay.selfW, lay.barW
	first := v.Tree.Spans[l.members[0]]
	code := first.Status().Code
	preW := prefixCells(prefix)
	if !p.tty && !th.color {
		// A pipe: no clipping, no styles; the cell goes out as built.
		sc.name = appendNameCell(sc.name[:0], v, l, nestedFull)
		p.w.Write(prefix)
		p.w.Write(sc.name)
		writeSpaces(p.w, nameW-(preW+nameWidth(v, l)))
	} else {
		name, suffix := p.fitName(v, l, nameW-preW)
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
		if l.critical && th.color {
			suffix = strings.Replace(suffix, criticalMark, th.paint(th.critical, criticalMark), 1)
		}
		pad(p.w, nameStyled+suffix, preW+width(name)+suffixWidthOf(suffix), nameW)
	}
	p.w.WriteString("  ")
	typ := v.typeAt(l.members[0])
	pad(p.w, th.paint(th.label, typ), width(typ), typeW)
	p.w.WriteString("  ")
	st := th.statusText(code)
	pad(p.w, th.paint(th.statusStyle(code), st), width(st), statusW)
	p.w.WriteString("  ")
	sc.dur = appendDurText(sc.dur[:0], l.dur, first)
	writeSpaces(p.w, durW-utf8.RuneCount(sc.dur))
	p.w.Write(sc.dur)
	p.w.WriteString("  ")
	sc.dur = appendDurText(sc.dur[:0], l.self, first)
	writeSpaces(p.w, selfW-utf8.RuneCount(sc.dur))
	if th.color {
		p.w.WriteString(th.paint(th.dim, string(sc.dur)))
	} else {
		p.w.Write(sc.dur)
	}
	if barW > 0 {
		p.w.WriteString("  ")
		p.writeBar(l, t0, t1, barW, code == spanjson.StatusError)
	}
	p.w.WriteByte('\n')
	p.showDetails(v, l, prefix, o)
}

// prefixCells is the width of a tree row's prefix: box-drawing
// characters, the depth mark and spaces, one cell each; that is, its
// bytes but UTF-8 continuation bytes. (utf8.RuneCount copies the bytes
// from the first non-ASCII one on into a string, on the heap when longer
// than 32: 42 MB for the rows of a 1,000,000-span tree.)
func prefixCells(prefix []byte) int {
	n := len(prefix)
	for _, c := range prefix {
		if c&0xC0 == 0x80 {
			n--
		}
	}
	return n
}

// fitName is a line's name clipped to room cells on a terminal and the
// suffix that follows it uncut (appendSuffix): the fold count and the
// critical-path mark always stay; the nested count shortens, then goes,
// before the name is cut below a few cells.
func (p *Printer) fitName(v *TraceView, l *treeLine, room int) (name, suffix string) {
	name = Printable(v.Tree.Spans[l.members[0]].Name())
	nested := nestedFull
	for nested < nestedNone && room-suffixWidth(l, nested) < min(width(name), 6) {
		nested++
	}
	suffix = string(appendSuffix(nil, l, nested))
	if nameRoom := room - suffixWidth(l, nested); width(name) > nameRoom {
		name = clip(name, max(nameRoom, 1))
	}
	return name, suffix
}

// suffixWidthOf is the width of a suffix made by appendSuffix: its glyphs
// (×, ◆) are one cell each.
func suffixWidthOf(s string) int { return utf8.RuneCountInString(s) }

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
	if (o.Attributes || o.Events) && len(l.members) > 1 {
		// A folded run's attributes are each member's: one member's would
		// pass for all of them.
		p.w.WriteString(th.paint(th.dim, indent+"  ("+itoa(len(l.members))+" spans folded: --no-fold or tracectl span --name '"+Printable(first.Name())+"' shows each)"))
		p.w.WriteByte('\n')
		return
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
