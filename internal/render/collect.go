package render

import (
	"io"
	"strconv"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"tracectl/internal/spanjson"
)

// LogTheme is the theme of lines written to stderr while a command runs
// (collect's line per trace): colored only when stderr is a terminal and
// color is not turned off (NO_COLOR, TERM=dumb, --color never).
func (s *IOStreams) LogTheme() *Theme {
	color := s.ErrColorEnabled()
	r := lipgloss.NewRenderer(s.ErrOut)
	if color {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return NewTheme(r, color, false)
}

// TraceLine is the line collect logs when it has written a trace: the time,
// the trace id, its name, span count, duration and state, the state in red
// when it is ERROR (with a theme that has color). incomplete, when not
// empty, says why the trace was written without being whole.
func TraceLine(w io.Writer, th *Theme, at time.Time, t *spanjson.Trace, incomplete string) {
	b := at.AppendFormat(nil, "15:04:05.000")
	b = append(b, "  "...)
	b = append(b, Printable(t.Info.TraceID)...)
	b = append(b, "  "...)
	b = append(b, orDash(Printable(ClipName(t.Name())))...)
	b = append(b, "  "...)
	b = strconv.AppendInt(b, int64(len(t.Spans)), 10)
	b = append(b, Plural(len(t.Spans), " span", " spans")...)
	b = append(b, "  "...)
	if d, ok := t.Duration(); ok {
		b = AppendDuration(b, d)
	} else {
		b = append(b, '-')
	}
	b = append(b, "  "...)
	state := t.State()
	b = append(b, th.paint(th.stateStyle(state), string(state))...)
	if incomplete != "" {
		b = append(b, "  ("...)
		b = append(b, incomplete...)
		b = append(b, ')')
	}
	b = append(b, '\n')
	_, _ = w.Write(b)
}

// ClipName cuts a trace or span name for a one-line display.
func ClipName(s string) string { return clip(s, 60) }
