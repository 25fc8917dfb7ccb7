package render

// The theme's paints for views drawn outside this package (tracediff):
// each returns s unchanged when the theme has no color.

// Good paints s green: an improvement, a passing result, an added span.
func (t *Theme) Good(s string) string { return t.paint(t.ok, s) }

// Bad paints s bold red: a failure, a regression.
func (t *Theme) Bad(s string) string { return t.paint(t.fail, s) }

// Removed paints s red, not bold: what went away.
func (t *Theme) Removed(s string) string { return t.paint(t.errBar, s) }

// Changed paints s yellow: what changed without being better or worse.
func (t *Theme) Changed(s string) string { return t.paint(t.changed, s) }

// Dim paints s grey: context, unchanged parts.
func (t *Theme) Dim(s string) string { return t.paint(t.dim, s) }

// Bold paints s bold.
func (t *Theme) Bold(s string) string { return t.paint(t.bold, s) }

// Label paints s as a header label (cyan).
func (t *Theme) Label(s string) string { return t.paint(t.label, s) }

// Symbols reports whether the theme draws marks (a terminal) rather than
// words (a pipe).
func (t *Theme) Symbols() bool { return t.symbols }

// OutTheme is the theme of s.Out: colored when ColorEnabled, marks on a
// terminal.
func (s *IOStreams) OutTheme() *Theme { return NewTheme(s.Renderer(), s.ColorEnabled(), s.OutTTY) }

// GroupDigits writes n with thousands separators: 12,345.
func GroupDigits(n int64) string { return groupDigits(n) }
