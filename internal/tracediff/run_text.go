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

// WriteText writes the text view of a run diff: the two runs, how the
// traces paired, the gates, a table of the paired traces and of each
// group (base → candidate and the change), and the unpaired traces.
func (r *RunReport) WriteText(w io.Writer, th *render.Theme) error {
	bw := bufio.NewWriter(w)
	field := func(label, value string) {
		bw.WriteString(th.Label(label) + strings.Repeat(" ", max(11-len(label), 1)) + value + "\n")
	}
	side := func(l RunLabel) string {
		return strconv.Itoa(l.Traces) + plural(l.Traces, " trace", " traces") + "  " + th.Dim(clipOne(strings.Join(l.Inputs, " "), 200))
	}
	field("base", side(r.Base))
	field("candidate", side(r.Cand))
	pairing := strconv.Itoa(r.Paired) + " by " + render.Printable(r.Key)
	if nb, nc := len(r.Unpaired.Base), len(r.Unpaired.Cand); nb+nc > 0 {
		pairing += "; unpaired " + strconv.Itoa(nb) + " base, " + strconv.Itoa(nc) + " candidate"
	}
	field("paired", pairing)
	writeGates(bw, th, r.Gates)
	bw.WriteByte('\n')

	head := map[string]string{ByName: "SPAN", ByType: "TYPE", ByModel: "MODEL"}[r.By]
	if head == "" {
		head = "SPAN"
	}
	header := []string{head, "COUNT", "ERRORS", "P50", "P95", "TOKENS", "COST"}
	rows := [][]string{r.rowCells(th, "(traces)", r.Traces)}
	for _, g := range r.Groups {
		rows = append(rows, r.rowCells(th, clipOne(g.Key, 48), g))
	}
	writeColumns(bw, th, header, rows)

	unpaired := func(label string, refs []TraceRef) {
		if len(refs) == 0 {
			return
		}
		bw.WriteString("\n" + th.Label("unpaired in "+label) + " (" + strconv.Itoa(len(refs)) + ")\n")
		for _, t := range refs {
			bw.WriteString("  " + clipOne(t.TraceID, 80) + "  " + clipOne(t.Key, 80) + "  " + th.Dim(clipOne(t.Source, 200)) + "\n")
		}
	}
	unpaired("base", r.Unpaired.Base)
	unpaired("candidate", r.Unpaired.Cand)
	return bw.Flush()
}

func (r *RunReport) rowCells(th *render.Theme, name string, g GroupRow) []string {
	arrow := func(b, c string) string { return b + " → " + c }
	rate := func(s SideStats) string {
		if s.Count == 0 {
			return "-"
		}
		return strconv.FormatFloat(s.ErrorRate*100, 'f', 1, 64) + "%"
	}
	errs := arrow(rate(g.Base), rate(g.Cand))
	if g.Cand.ErrorRate > g.Base.ErrorRate {
		errs = th.Bad(errs)
	}
	dur := func(s SideStats, v int64) string {
		if s.Count == 0 {
			return "-"
		}
		return render.FormatDuration(time.Duration(v))
	}
	quant := func(b, c int64, p *float64) string {
		s := arrow(dur(g.Base, b), dur(g.Cand, c))
		if p != nil && *p != 0 && r.opts.Significant(time.Duration(b), time.Duration(c)) {
			s += " " + worse(th, *p, strings.Trim(pctText(p), " ()"))
		}
		return s
	}
	tokens := arrow(countText(g.Base.Tokens), countText(g.Cand.Tokens))
	if g.TokensPct != nil && *g.TokensPct != 0 {
		tokens += " " + worse(th, *g.TokensPct, strings.Trim(pctText(g.TokensPct), " ()"))
	}
	cost := arrow(usdText(g.Base.Cost), usdText(g.Cand.Cost))
	if g.CostPct != nil && *g.CostPct != 0 {
		cost += " " + worse(th, *g.CostPct, strings.Trim(pctText(g.CostPct), " ()"))
	}
	return []string{
		name,
		arrow(strconv.Itoa(g.Base.Count), strconv.Itoa(g.Cand.Count)),
		errs,
		quant(g.Base.P50, g.Cand.P50, g.P50Pct),
		quant(g.Base.P95, g.Cand.P95, g.P95Pct),
		tokens, cost,
	}
}

// writeColumns writes a table: columns two spaces apart, widths measured
// without color codes, the header dimmed. (tablewriter draws the other
// tables once it is in go.mod; this one is plain columns either way.)
func writeColumns(w *bufio.Writer, th *render.Theme, header []string, rows [][]string) {
	widths := make([]int, len(header))
	for k, h := range header {
		widths[k] = len(h)
	}
	for _, row := range rows {
		for k, c := range row {
			widths[k] = max(widths[k], ansi.StringWidth(c))
		}
	}
	line := func(cells []string, paint func(string) string) {
		var b strings.Builder
		for k, c := range cells {
			b.WriteString(paint(c))
			if k < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[k]-ansi.StringWidth(c)+2))
			}
		}
		w.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	line(header, th.Dim)
	for _, row := range rows {
		line(row, func(s string) string { return s })
	}
}
