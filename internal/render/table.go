package render

import (
	"bufio"
	"bytes"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// writeTable draws columns with tablewriter: no borders and no rules, so a
// pipe gets plain columns two spaces apart that grep and awk can split;
// the header is dimmed and the cells painted (lipgloss) on a color writer.
// Cells are made one line of printable text first (trace data), and cell
// widths are measured without the color codes. The last column is not
// padded: no line ends in spaces.
func (p *Printer) writeTable(cols []column) {
	if len(cols) == 0 {
		return
	}
	n := len(cols)
	header := make([]string, n)
	aligns := make([]tw.Align, n)
	pads := make([]tw.Padding, n)
	for c, col := range cols {
		header[c] = p.th.paint(p.th.dim, col.header)
		aligns[c] = tw.AlignLeft
		if col.right {
			aligns[c] = tw.AlignRight
		}
		pads[c] = tw.Padding{Right: "  ", Overwrite: true}
	}
	pads[n-1] = tw.PaddingNone
	tl := &trimLines{w: p.w}
	t := tablewriter.NewTable(tl,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Settings: tw.Settings{Separators: tw.SeparatorsNone, Lines: tw.LinesNone},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithHeaderPaddingPerColumn(pads),
		tablewriter.WithRowPaddingPerColumn(pads),
	)
	t.Header(header)
	rows := len(cols[0].cells)
	for r := 0; r < rows; r++ {
		row := make([]string, n) // the table keeps the slice
		for c, col := range cols {
			s := Printable(col.cells[r]) // trace data: one line, no escape sequences
			if col.paint != nil {
				s = col.paint(r, s)
			}
			row[c] = s
		}
		_ = t.Append(row) // errors only for values it cannot print; these are strings
	}
	_ = t.Render() // writes into a bufio.Writer: Flush reports the write error
	tl.flush()
}

// trimLines drops the spaces that end each line: tablewriter pads every
// cell, the last one included, and a colored cell ends in its reset code.
type trimLines struct {
	w    *bufio.Writer
	line []byte
}

func (t *trimLines) Write(b []byte) (int, error) {
	for _, c := range b {
		if c == '\n' {
			t.w.Write(bytes.TrimRight(t.line, " "))
			t.w.WriteByte('\n')
			t.line = t.line[:0]
			continue
		}
		t.line = append(t.line, c)
	}
	return len(b), nil
}

func (t *trimLines) flush() {
	if len(t.line) > 0 {
		t.w.Write(bytes.TrimRight(t.line, " "))
		t.line = t.line[:0]
	}
}
