package render

import (
	"bufio"
	"strconv"
)

// pipeClip is how many cells a free-text value (a preview, an exception
// message, an attribute value) may take in a pipe, where the terminal width
// is unknown and the output must not depend on it.
const pipeClip = 200

// Printer writes text output for one writer: plain and stable in a pipe;
// colored, with symbols, waterfall and widths fitted to the terminal on a
// TTY.
type Printer struct {
	w     *bufio.Writer
	th    *Theme
	tty   bool
	width int
}

// NewPrinter writes to s.Out the way s says (TTY, color, width).
func NewPrinter(s *IOStreams) *Printer {
	return &Printer{
		w:     bufio.NewWriterSize(s.Out, 64<<10),
		th:    NewTheme(s.Renderer(), s.ColorEnabled(), s.OutTTY),
		tty:   s.OutTTY,
		width: max(s.Width, 40),
	}
}

// Flush writes what is buffered.
func (p *Printer) Flush() error { return p.w.Flush() }

// clipWidth is the room for a free-text value that starts at column used.
func (p *Printer) clipWidth(used int) int {
	if !p.tty {
		return pipeClip
	}
	return max(p.width-used, 20)
}

func itoa(n int) string { return strconv.Itoa(n) }

// column is one aligned column of a table: its header, cells and whether it
// is right-aligned.
type column struct {
	header string
	right  bool
	cells  []string
	paint  func(row int, s string) string // nil: plain
}

// writeTableFast is the hand-written drawer of the spans table, which can
// have a million rows: it writes what writeTable writes, column for column,
// without building the table's rows of cells first. See BenchmarkSpanTable
// for why (internal/render/bench_test.go).
func (p *Printer) writeTableFast(cols []column) {
	if len(cols) == 0 {
		return
	}
	widths := make([]int, len(cols))
	for c, col := range cols {
		widths[c] = width(col.header)
		for r, cell := range col.cells {
			cell = Printable(cell) // trace data: one line, no escape sequences
			col.cells[r] = cell
			widths[c] = max(widths[c], width(cell))
		}
	}
	rows := len(cols[0].cells)
	for r := -1; r < rows; r++ {
		for c, col := range cols {
			s := col.header
			if r >= 0 {
				s = col.cells[r]
			}
			w := width(s)
			painted := s
			switch {
			case r < 0:
				painted = p.th.paint(p.th.dim, s)
			case col.paint != nil:
				painted = col.paint(r, s)
			}
			last := c == len(cols)-1
			if col.right {
				for k := w; k < widths[c]; k++ {
					p.w.WriteByte(' ')
				}
				p.w.WriteString(painted)
			} else if last {
				p.w.WriteString(painted)
			} else {
				pad(p.w, painted, w, widths[c])
			}
			if !last {
				p.w.WriteString("  ")
			}
		}
		p.w.WriteByte('\n')
	}
}
