package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// deepSample is a hand-made trace 30 levels deep, with long names every
// fifth level and a run of four similar siblings (vector_search ×4).
const deepSample = "testdata/insight/deep30.json"

// treeRows returns the span rows of show's tree (from the SPAN header to
// the blank line after it), without ANSI codes and carriage returns.
func treeRows(t *testing.T, out string) (header string, rows []string) {
	t.Helper()
	in := false
	for _, line := range strings.Split(ansi.Strip(strings.ReplaceAll(out, "\r", "")), "\n") {
		switch {
		case strings.HasPrefix(line, "SPAN "):
			in, header = true, line
		case in && strings.TrimSpace(line) == "":
			return header, rows
		case in:
			rows = append(rows, line)
		}
	}
	if header == "" {
		t.Fatalf("no tree in:\n%s", out)
	}
	return header, rows
}

// column is the cell where s starts in line, -1 when absent.
func column(line, s string) int {
	i := strings.Index(line, s)
	if i < 0 {
		return -1
	}
	return ansi.StringWidth(line[:i])
}

// TestLayoutDeepTreeKeepsColumns runs show on a 30-level tree on
// terminals of 60, 120 and 200 columns and into a pipe: the TYPE, STATUS
// and DURATION columns never move, every line fits the terminal, the fold
// count stays whole, and the waterfall has a time axis where there is
// room for it.
func TestLayoutDeepTreeKeepsColumns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildTracectl(t, t.TempDir())
	sample, err := filepath.Abs(filepath.Join(repoRoot, deepSample))
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, out string, cols int) {
		header, rows := treeRows(t, out)
		if len(rows) != 32 { // 31 levels and the folded run
			t.Fatalf("%d tree rows, want 32:\n%s", len(rows), out)
		}
		typeCol, statusCol := column(header, "TYPE"), column(header, "STATUS")
		for _, r := range rows {
			if got := column(r, "UNKNOWN"); got != typeCol {
				t.Errorf("TYPE at %d, header at %d: %q", got, typeCol, r)
			}
			if got := column(r, "UNSET"); got < statusCol || got > statusCol+2 {
				t.Errorf("STATUS at %d, header at %d: %q", got, statusCol, r)
			}
			if cols > 0 && ansi.StringWidth(r) > cols {
				t.Errorf("row is %d cells on a %d-column terminal: %q", ansi.StringWidth(r), cols, r)
			}
		}
		if !regexp.MustCompile(`vector_search ×4|vec\S*… ×4`).MatchString(ansi.Strip(out)) {
			t.Errorf("the fold count ×4 is cut:\n%s", out)
		}
		if !strings.Contains(out, "⋯30") {
			t.Errorf("the deepest line does not give its depth:\n%s", out)
		}
	}
	for _, cols := range []uint16{60, 120, 200} {
		t.Run(fmt.Sprint(cols, "cols"), func(t *testing.T) {
			cmd := exec.Command(bin, "show", sample)
			cmd.Env = cleanEnv("TERM=xterm-256color")
			out := runOnPTYWidth(t, cmd, cols)
			check(t, out, int(cols))
			header, _ := treeRows(t, out)
			hasAxis := strings.Contains(header, "╷0 ")
			if cols >= 120 && !hasAxis {
				t.Errorf("no time axis on %d columns:\n%s", cols, out)
			}
			if hasAxis && !regexp.MustCompile(`╷0 +╷\d+ms +╷\d+ms`).MatchString(header) {
				t.Errorf("the axis has no scale: %q", header)
			}
		})
	}
	t.Run("pipe", func(t *testing.T) {
		cmd := exec.Command(bin, "show", sample)
		cmd.Env = cleanEnv()
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		check(t, out.String(), 0)
		if !utf8.Valid(out.Bytes()) || strings.Contains(out.String(), "╷") {
			t.Errorf("pipe output has an axis or bad UTF-8:\n%s", out.String())
		}
	})
}
