package render

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// IOStreams is where a command reads and writes, and what it knows about the
// terminal. Commands never touch os.Stdout directly; tests use buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// InTTY reports whether In is a terminal (a person typing, not a pipe).
	InTTY bool
	// OutTTY reports whether Out is a terminal.
	OutTTY bool
	// ErrTTY reports whether ErrOut is a terminal.
	ErrTTY bool
	// Width is the terminal width in columns (80 when unknown).
	Width int
	// Quiet drops warnings and progress lines (-q); errors are never
	// dropped.
	Quiet bool
	// Getenv reads the environment (os.Getenv by default; tests replace it).
	Getenv func(string) string

	mode     string // --color
	color    bool
	colorSet bool
}

// System returns streams bound to the process's stdin, stdout and stderr.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv, Width: 80}
	s.InTTY = isTerminal(os.Stdin)
	s.OutTTY = isTerminal(os.Stdout)
	s.ErrTTY = isTerminal(os.Stderr)
	if s.OutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			s.Width = w
		}
	}
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		s.Width = c
	}
	return s
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Test returns streams on buffers (not a TTY, no color, width 80) and the
// buffers: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, Width: 80, Getenv: func(string) string { return "" }}, in, out, errOut
}

// SetColorMode decides color for Out from --color (auto, always, never),
// then NO_COLOR, CLICOLOR_FORCE, TERM=dumb and finally whether Out is a TTY.
func (s *IOStreams) SetColorMode(mode string) error {
	switch mode {
	case "always", "never", "auto", "":
	default:
		return fmt.Errorf("invalid --color %q: want auto, always or never", mode)
	}
	s.mode = mode
	s.color = s.colorFor(s.OutTTY)
	s.colorSet = true
	return nil
}

// colorFor applies the color rule to a writer that is a terminal or not.
func (s *IOStreams) colorFor(tty bool) bool {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch s.mode {
	case "always":
		return true
	case "never":
		return false
	}
	switch {
	case getenv("NO_COLOR") != "":
		return false
	case getenv("CLICOLOR_FORCE") != "" && getenv("CLICOLOR_FORCE") != "0":
		return true
	case getenv("TERM") == "dumb":
		return false
	}
	return tty
}

// Warnf prints "tracectl: warning: ..." on ErrOut unless Quiet.
func (s *IOStreams) Warnf(format string, a ...any) {
	if s.Quiet {
		return
	}
	fmt.Fprintf(s.ErrOut, "tracectl: warning: "+format+"\n", a...)
}

// ErrColorEnabled reports whether ErrOut gets ANSI colors: the rule of
// ColorEnabled applied to ErrOut.
func (s *IOStreams) ErrColorEnabled() bool { return s.colorFor(s.ErrTTY) }

// ColorEnabled reports whether Out gets ANSI colors.
func (s *IOStreams) ColorEnabled() bool {
	if !s.colorSet {
		_ = s.SetColorMode("auto")
	}
	return s.color
}

// Renderer returns a lipgloss renderer bound to Out whose color profile
// follows ColorEnabled (ANSI colors, or none at all), so color is decided per
// writer and never through lipgloss's package-level default renderer.
func (s *IOStreams) Renderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(s.Out)
	if s.ColorEnabled() {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}
