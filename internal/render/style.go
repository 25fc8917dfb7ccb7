package render

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"tracectl/internal/spanjson"
)

// Theme paints text for one writer. Without color every paint call returns
// its text unchanged, so pipe output never holds an escape code; without
// symbols, statuses are plain words.
type Theme struct {
	color   bool
	symbols bool

	ok, fail, unset, dim, bold, label, folded, bar, errBar lipgloss.Style
}

// NewTheme makes a theme on r. color turns on ANSI styles; symbols turns on
// the status marks (✓ ✗ ·) used on a terminal.
func NewTheme(r *lipgloss.Renderer, color, symbols bool) *Theme {
	return &Theme{
		color:   color,
		symbols: symbols,
		ok:      r.NewStyle().Foreground(lipgloss.Color("2")),
		fail:    r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		unset:   r.NewStyle().Foreground(lipgloss.Color("8")),
		dim:     r.NewStyle().Foreground(lipgloss.Color("8")),
		bold:    r.NewStyle().Bold(true),
		label:   r.NewStyle().Foreground(lipgloss.Color("6")),
		folded:  r.NewStyle().Foreground(lipgloss.Color("5")),
		bar:     r.NewStyle().Foreground(lipgloss.Color("4")),
		errBar:  r.NewStyle().Foreground(lipgloss.Color("1")),
	}
}

func (t *Theme) paint(st lipgloss.Style, s string) string {
	if !t.color || s == "" {
		return s
	}
	return st.Render(s)
}

// statusText is the status cell: a word in a pipe, a mark and a word on a
// terminal.
func (t *Theme) statusText(c spanjson.StatusCode) string {
	word := c.String()
	if !t.symbols {
		return word
	}
	switch c {
	case spanjson.StatusOK:
		return "✓ " + word
	case spanjson.StatusError:
		return "✗ " + word
	}
	return "· " + word
}

func (t *Theme) statusStyle(c spanjson.StatusCode) lipgloss.Style {
	switch c {
	case spanjson.StatusOK:
		return t.ok
	case spanjson.StatusError:
		return t.fail
	}
	return t.unset
}

func (t *Theme) stateStyle(s spanjson.TraceState) lipgloss.Style {
	switch s {
	case spanjson.StateOK:
		return t.ok
	case spanjson.StateError:
		return t.fail
	}
	return t.unset
}

// FormatDuration prints a duration with three significant digits at most,
// in a stable form: 850ns, 12.3µs, 4.56ms, 5.10s, 2m05s.
func FormatDuration(d time.Duration) string {
	// A value that rounds up to 1000 of a unit is printed in the next unit
	// (999.9996ms is 1.00s, not 1000ms).
	switch {
	case d < 0:
		return "-" + FormatDuration(-d)
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < 999_500*time.Nanosecond:
		return threeDigits(float64(d)/1e3) + "µs"
	case d < 999_500*time.Microsecond:
		return threeDigits(float64(d)/1e6) + "ms"
	case d < 59_950*time.Millisecond:
		return threeDigits(float64(d)/1e9) + "s"
	case d < time.Hour-500*time.Millisecond:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int((d%time.Minute)/time.Second))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int((d%time.Hour)/time.Minute))
}

func threeDigits(x float64) string {
	switch {
	case x >= 99.95:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 9.995:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// width is the display width of s in terminal cells.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] < ' ' {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// clip shortens s to at most n cells, ending in "…" when cut. Newlines and
// tabs become spaces so one value stays on one line.
func clip(s string, n int) string {
	if strings.ContainsAny(s, "\n\r\t") {
		s = strings.Join(strings.Fields(s), " ")
	}
	if n <= 0 || width(s) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	return ansi.Truncate(s, n, "…")
}

// pad writes s and spaces up to n cells.
func pad(w *bufio.Writer, s string, visible, n int) {
	w.WriteString(s)
	for k := visible; k < n; k++ {
		w.WriteByte(' ')
	}
}
