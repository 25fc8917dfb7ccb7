package tracediff

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"tracectl/internal/render"
)

// The text view of a two-trace diff: a header (the two traces, the trace's
// duration, tokens, cost and state, a count of the changes) and the merged
// tree once, each changed span marked + (added), - (removed) or ~
// (changed) with its changes below it, its ancestors kept for context and
// every run of unchanged siblings folded into one line. The same layout
// in a pipe and on a terminal; a terminal gets colors.

// maxNameWidth caps the name column: a long name pushes only its own row.
const maxNameWidth = 48

// clipOne makes untrusted text one safe line of at most n characters.
func clipOne(s string, n int) string {
	if strings.ContainsAny(s, "\n\r\t") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return clipRunes(render.Printable(s), n)
}

func signedDuration(d time.Duration) string {
	if d > 0 {
		return "+" + render.FormatDuration(d)
	}
	return render.FormatDuration(d)
}

func signedCount(n int64) string {
	if n > 0 {
		return "+" + render.GroupDigits(n)
	}
	return render.GroupDigits(n)
}

func signedUSD(f float64) string {
	if f < 0 {
		return "-" + render.CostText(-f)
	}
	return "+" + render.CostText(f)
}

func pctText(p *float64) string {
	if p == nil {
		return ""
	}
	s := strconv.FormatFloat(*p, 'f', 1, 64) + "%"
	if *p > 0 {
		s = "+" + s
	}
	return " (" + s + ")"
}

// worse paints a growth (more time, tokens, cost) red and a fall green.
func worse(th *render.Theme, delta float64, s string) string {
	switch {
	case delta > 0:
		return th.Bad(s)
	case delta < 0:
		return th.Good(s)
	}
	return s
}

func countText(p *int64) string {
	if p == nil {
		return "-"
	}
	return render.GroupDigits(*p)
}

func usdText(p *float64) string {
	if p == nil {
		return "-"
	}
	return render.CostText(*p)
}

// durationText is "1.20s → 1.50s  +300ms (+25.0%)".
func durationText(th *render.Theme, d *DurationDelta) string {
	s := render.FormatDuration(time.Duration(d.Base)) + " → " + render.FormatDuration(time.Duration(d.Cand))
	if d.Delta != 0 {
		s += "  " + worse(th, float64(d.Delta), signedDuration(time.Duration(d.Delta))+pctText(d.Pct))
	}
	return s
}

func tokensText(th *render.Theme, t *TokensDelta) string {
	s := countText(t.Base.Total) + " → " + countText(t.Cand.Total)
	if t.Delta != nil && *t.Delta != 0 {
		s += "  " + worse(th, float64(*t.Delta), signedCount(*t.Delta)+pctText(t.Pct))
	}
	var parts []string
	if t.Base.Input != nil || t.Cand.Input != nil {
		parts = append(parts, "in "+countText(t.Base.Input)+" → "+countText(t.Cand.Input))
	}
	if t.Base.Output != nil || t.Cand.Output != nil {
		parts = append(parts, "out "+countText(t.Base.Output)+" → "+countText(t.Cand.Output))
	}
	if len(parts) > 0 {
		s += "  " + th.Dim("("+strings.Join(parts, ", ")+")")
	}
	return s
}

func costText(th *render.Theme, c *CostDelta) string {
	s := usdText(c.Base) + " → " + usdText(c.Cand)
	if c.Delta != nil && *c.Delta != 0 {
		s += "  " + worse(th, *c.Delta, signedUSD(*c.Delta)+pctText(c.Pct))
	}
	return s
}

// WriteText writes the text view of d.
func (d *Diff) WriteText(w io.Writer, th *render.Theme, gates []GateResult) error {
	bw := bufio.NewWriter(w)
	field := func(label, value string) {
		bw.WriteString(th.Label(label) + strings.Repeat(" ", max(11-len(label), 1)) + value + "\n")
	}
	side := func(v *render.TraceView) string {
		s := th.Bold(clipOne(v.TraceID(), 80))
		if n := v.Name(); n != "" {
			s += "  " + clipOne(n, 60)
		}
		return s + "  " + th.Dim(clipOne(v.Source, 200))
	}
	field("base", side(d.Base))
	field("candidate", side(d.Cand))
	dur := durationText(th, &d.Trace.Duration)
	if !d.Trace.durationChanged {
		dur = render.FormatDuration(time.Duration(d.Trace.Duration.Base)) + " → " + render.FormatDuration(time.Duration(d.Trace.Duration.Cand)) + th.Dim("  (within the noise)")
	}
	field("duration", dur)
	if st := d.Trace.State; st != nil {
		field("state", st.From+" → "+worseState(th, st.To))
	}
	if t := d.Trace.Tokens; t != nil {
		field("tokens", tokensText(th, t))
	}
	if c := d.Trace.Cost; c != nil {
		field("cost", costText(th, c))
	}
	field("changes", d.summaryText(th))
	writeGates(bw, th, gates)
	bw.WriteByte('\n')
	if len(d.Nodes) == 0 || !anyDirty(d.dirty) {
		if !d.Summary.Changed {
			bw.WriteString(th.Good("no changes") + "\n")
		} else {
			bw.WriteString(th.Dim("no span changed") + "\n")
		}
		return bw.Flush()
	}
	d.writeTree(bw, th)
	return bw.Flush()
}

func worseState(th *render.Theme, s string) string {
	if s == "ERROR" {
		return th.Bad(s)
	}
	return th.Good(s)
}

func anyDirty(b []bool) bool {
	for _, x := range b {
		if x {
			return true
		}
	}
	return false
}

// summaryText counts the changes: "1 added (3 spans), 1 slower, 1 new error".
func (d *Diff) summaryText(th *render.Theme) string {
	s := d.Summary
	var parts []string
	add := func(n int, text string) {
		if n > 0 {
			parts = append(parts, text)
		}
	}
	add(s.Added, strconv.Itoa(s.Added)+" added ("+strconv.Itoa(s.AddedSpans)+plural(s.AddedSpans, " span)", " spans)"))
	add(s.Removed, strconv.Itoa(s.Removed)+" removed ("+strconv.Itoa(s.RemovedSpans)+plural(s.RemovedSpans, " span)", " spans)"))
	add(s.NewErrors, th.Bad(strconv.Itoa(s.NewErrors)+plural(s.NewErrors, " new error", " new errors")))
	add(s.FixedErrors, th.Good(strconv.Itoa(s.FixedErrors)+" fixed"))
	add(s.TypeChanges, strconv.Itoa(s.TypeChanges)+plural(s.TypeChanges, " type change", " type changes"))
	add(s.Slower, strconv.Itoa(s.Slower)+" slower")
	add(s.Faster, strconv.Itoa(s.Faster)+" faster")
	add(s.Tokens, strconv.Itoa(s.Tokens)+plural(s.Tokens, " token change", " token changes"))
	add(s.Cost, strconv.Itoa(s.Cost)+plural(s.Cost, " cost change", " cost changes"))
	add(s.IO, strconv.Itoa(s.IO)+plural(s.IO, " input/output change", " input/output changes"))
	if len(parts) == 0 {
		if s.Changed {
			return "the trace only"
		}
		return th.Good("none")
	}
	return strings.Join(parts, ", ")
}

// treeRow is one line of the tree before it is aligned.
type treeRow struct {
	marker  string // "+ ", "- ", "~ ", "  "
	prefix  string
	name    string // clipped and escaped, not painted
	paint   func(string) string
	typ     string
	rest    string
	details []string
	detailP string // prefix of the detail lines
}

func (d *Diff) writeTree(w *bufio.Writer, th *render.Theme) {
	var rows []treeRow
	type item struct {
		group  []int // nodes: one, or a folded run of unchanged siblings
		prefix string
		last   bool
	}
	var stack []item
	pushKids := func(kids []int, prefix string) {
		var items []item
		for k := 0; k < len(kids); {
			if d.dirty[kids[k]] {
				items = append(items, item{group: kids[k : k+1], prefix: prefix})
				k++
				continue
			}
			e := k
			for e < len(kids) && !d.dirty[kids[e]] {
				e++
			}
			items = append(items, item{group: kids[k:e], prefix: prefix})
			k = e
		}
		for k := len(items) - 1; k >= 0; k-- {
			items[k].last = k == len(items)-1
			stack = append(stack, items[k])
		}
	}
	var roots []int
	for i := range d.Nodes {
		if d.Nodes[i].Parent < 0 {
			roots = append(roots, i)
		}
	}
	pushKids(roots, "")
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		branch, cont := "├─ ", "│  "
		if it.last {
			branch, cont = "└─ ", "   "
		}
		if d.Nodes[it.group[0]].Parent < 0 {
			branch, cont = "", "" // roots start at the margin
		}
		if !d.dirty[it.group[0]] {
			rows = append(rows, d.foldedRow(th, it.group, it.prefix+branch))
			continue
		}
		i := it.group[0]
		row := d.nodeRow(th, i)
		row.prefix = it.prefix + branch
		kids := d.Nodes[i].Children
		if d.Nodes[i].Added() || d.Nodes[i].Removed() {
			kids = nil
		}
		row.detailP = it.prefix + cont + "  "
		if len(kids) > 0 {
			row.detailP = it.prefix + cont + "│ "
		}
		rows = append(rows, row)
		pushKids(kids, it.prefix+cont)
	}
	nameW, typeW := 0, 0
	for _, r := range rows {
		nameW = max(nameW, min(ansi.StringWidth(r.prefix)+ansi.StringWidth(r.name), maxNameWidth))
		typeW = max(typeW, len(r.typ))
	}
	for _, r := range rows {
		used := ansi.StringWidth(r.prefix) + ansi.StringWidth(r.name)
		line := r.marker + th.Dim(r.prefix) + r.paint(r.name) + strings.Repeat(" ", max(nameW-used, 0)+2)
		line += r.typ + strings.Repeat(" ", typeW-len(r.typ)+2) + r.rest
		w.WriteString(strings.TrimRight(line, " ") + "\n")
		for _, dl := range r.details {
			w.WriteString("  " + th.Dim(r.detailP) + dl + "\n")
		}
	}
}

// foldedRow is one line for a run of unchanged siblings: their names
// (repeats counted) and how many spans they hold.
func (d *Diff) foldedRow(th *render.Theme, group []int, prefix string) treeRow {
	var names []string
	count := map[string]int{}
	spans := 0
	for _, i := range group {
		n := d.Nodes[i].Name
		if count[n] == 0 {
			names = append(names, n)
		}
		count[n]++
		spans += d.Base.SubtreeSize(d.Nodes[i].Base)
	}
	var parts []string
	for _, n := range names {
		p := n
		if count[n] > 1 {
			p += " ×" + strconv.Itoa(count[n])
		}
		parts = append(parts, p)
	}
	text := clipOne(strings.Join(parts, ", "), 60)
	return treeRow{marker: "  ", prefix: prefix, name: text, paint: th.Dim,
		rest: th.Dim("unchanged (" + strconv.Itoa(spans) + plural(spans, " span)", " spans)"))}
}

func (d *Diff) nodeRow(th *render.Theme, i int) treeRow {
	n := &d.Nodes[i]
	row := treeRow{marker: "  ", name: clipOne(n.Name, 60), paint: func(s string) string { return s }}
	switch {
	case n.Added(), n.Removed():
		c := &d.Changes[d.own[i][0]]
		row.typ = c.SpanType
		if n.Added() {
			row.marker, row.paint = th.Good("+")+" ", th.Good
		} else {
			row.marker, row.paint = th.Removed("-")+" ", th.Removed
		}
		row.rest = render.FormatDuration(time.Duration(*c.DurationNS))
		if c.SubtreeSize > 1 {
			row.rest += "  " + strconv.Itoa(c.SubtreeSize) + " spans"
		}
		if c.Status == "ERROR" {
			msg := "ERROR"
			if c.Exception != "" {
				msg += "  " + clipOne(c.Exception, 200)
			}
			if n.Added() {
				msg = th.Bad(msg)
			}
			row.details = append(row.details, msg)
		}
		return row
	}
	bs, cs := d.Base.Tree.Spans[n.Base], d.Cand.Tree.Spans[n.Cand]
	row.typ = d.Cand.SpanTypeAt(n.Cand)
	dd := durationDelta(bs.Duration(), cs.Duration())
	if d.Opts.Significant(bs.Duration(), cs.Duration()) {
		row.rest = durationText(th, dd)
	} else {
		row.rest = th.Dim(render.FormatDuration(cs.Duration()))
	}
	if len(d.own[i]) > 0 {
		row.marker = th.Changed("~") + " "
	}
	for _, k := range d.own[i] {
		c := &d.Changes[k]
		switch c.Kind {
		case KindType:
			row.details = append(row.details, "type "+c.From+" → "+th.Changed(c.To))
		case KindStatus:
			if c.To == "ERROR" {
				row.details = append(row.details, "status "+c.From+" → "+th.Bad(c.To+"  "+clipOne(c.Exception, 200)))
			} else {
				row.details = append(row.details, "status ERROR → "+th.Good(c.To)+th.Dim("  was: "+clipOne(c.Exception, 200)))
			}
		case KindDuration:
			row.details = append(row.details, "self "+durationText(th, c.Self))
		case KindTokens:
			row.details = append(row.details, "tokens "+tokensText(th, c.Tokens))
		case KindCost:
			row.details = append(row.details, "cost "+costText(th, c.Cost))
		case KindInput, KindOutput:
			row.details = append(row.details, c.Kind)
			for _, l := range c.Lines {
				text := "  " + render.Printable(l)
				switch l[0] {
				case '-':
					text = th.Removed(text)
				case '+':
					text = th.Good(text)
				}
				row.details = append(row.details, text)
			}
		}
	}
	return row
}
