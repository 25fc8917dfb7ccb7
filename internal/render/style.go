package render

import (
	"bufio"
	"math"
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

	ok, fail, unset, dim, bold, label, folded, bar, errBar, critical, changed lipgloss.Style
}

// NewTheme makes a theme on r. color turns on ANSI styles; symbols turns on
// the status marks (✓ ✗ ·) used on a terminal.
func NewTheme(r *lipgloss.Renderer, color, symbols bool) *Theme {
	return &Theme{
		color:    color,
		symbols:  symbols,
		ok:       r.NewStyle().Foreground(lipgloss.Color("2")),
		fail:     r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		unset:    r.NewStyle().Foreground(lipgloss.Color("8")),
		dim:      r.NewStyle().Foreground(lipgloss.Color("8")),
		bold:     r.NewStyle().Bold(true),
		label:    r.NewStyle().Foreground(lipgloss.Color("6")),
		folded:   r.NewStyle().Foreground(lipgloss.Color("5")),
		bar:      r.NewStyle().Foreground(lipgloss.Color("4")),
		errBar:   r.NewStyle().Foreground(lipgloss.Color("1")),
		critical: r.NewStyle().Foreground(lipgloss.Color("3")).Bold(true),
		changed:  r.NewStyle().Foreground(lipgloss.Color("3")),
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
func FormatDuration(d time.Duration) string { return string(AppendDuration(nil, d)) }

// AppendDuration appends FormatDuration(d) to dst without allocating; the
// digits come from integer arithmetic, rounded half up.
func AppendDuration(dst []byte, d time.Duration) []byte {
	// A value that rounds up to 1000 of a unit is printed in the next unit
	// (999.9996ms is 1.00s, not 1000ms).
	switch {
	case d < 0:
		if d == math.MinInt64 {
			d++
		}
		return AppendDuration(append(dst, '-'), -d)
	case d < time.Microsecond:
		return append(strconv.AppendInt(dst, int64(d), 10), "ns"...)
	case d < 999_500*time.Nanosecond:
		return append(threeDigits(dst, int64(d), 1e3), "µs"...)
	case d < 999_500*time.Microsecond:
		return append(threeDigits(dst, int64(d), 1e6), "ms"...)
	case d < 59_950*time.Millisecond:
		return append(threeDigits(dst, int64(d), 1e9), 's')
	case d < time.Hour-500*time.Millisecond:
		d = d.Round(time.Second)
		dst = strconv.AppendInt(dst, int64(d/time.Minute), 10)
		return append(twoDigits(append(dst, 'm'), int64((d%time.Minute)/time.Second)), 's')
	}
	d = d.Round(time.Minute)
	dst = strconv.AppendInt(dst, int64(d/time.Hour), 10)
	return append(twoDigits(append(dst, 'h'), int64((d%time.Hour)/time.Minute)), 'm')
}

// threeDigits appends n/unit (1 <= n/unit < 999.5) with three significant
// digits: 4.56, 45.6 or 456.
func threeDigits(dst []byte, n, unit int64) []byte {
	if r := (n*100 + unit/2) / unit; r < 1000 {
		return append(append(strconv.AppendInt(dst, r/100, 10), '.'), byte('0'+r/10%10), byte('0'+r%10))
	}
	if r := (n*10 + unit/2) / unit; r < 1000 {
		return append(append(strconv.AppendInt(dst, r/10, 10), '.'), byte('0'+r%10))
	}
	return strconv.AppendInt(dst, (n+unit/2)/unit, 10)
}

func twoDigits(dst []byte, n int64) []byte { return append(dst, byte('0'+n/10), byte('0'+n%10)) }

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
	s = Printable(s)
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
	writeSpaces(w, n-visible)
}

const spaceRun = "                                                                "

// writeSpaces writes n spaces (none when n <= 0), a run at a time.
func writeSpaces(w *bufio.Writer, n int) {
	for n > 0 {
		k := min(n, len(spaceRun))
		w.WriteString(spaceRun[:k])
		n -= k
	}
}
