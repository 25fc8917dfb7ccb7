package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// demoTrace is the repository's own trace `make demo` shows (an agent
// whose tool fails), there on any machine; demoRoot is its root span.
const (
	demoTrace = "testdata/demo/agent.json"
	demoRoot  = "store_assistant"
)

// buildTracectl builds the command into dir and returns the binary's path.
func buildTracectl(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "tracectl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// builtWithDemo builds the binary (skipped with -short) and returns it
// with the absolute path of the demo trace.
func builtWithDemo(t *testing.T) (bin, sample string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin = buildTracectl(t, t.TempDir())
	sample, err := filepath.Abs(filepath.Join(repoRoot, demoTrace))
	if err != nil {
		t.Fatal(err)
	}
	return bin, sample
}

// cleanEnv is the environment without the variables that decide color or
// the pager, with no pager (PAGER=cat) unless extra sets one.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "NO_COLOR", "CLICOLOR_FORCE", "TERM", "COLUMNS", "PAGER", "TRACECTL_PAGER", "LESS", "LV":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PAGER=cat")
	return append(env, extra...)
}

// runOnPTY runs cmd with a 120-column pseudo-terminal as stdin, stdout
// and stderr and returns everything it wrote.
func runOnPTY(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	return runOnPTYWidth(t, cmd, 120)
}

// runOnPTYWidth is runOnPTY on a terminal cols columns wide.
func runOnPTYWidth(t *testing.T, cmd *exec.Cmd, cols uint16) string {
	t.Helper()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: cols})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(&out, ptmx)
		done <- err
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v on a terminal: %v\n%s", cmd.Args, err, out.String())
	}
	select {
	case err := <-done:
		// Linux reports the closed terminal as EIO.
		if err != nil && !errors.Is(err, syscall.EIO) {
			t.Fatalf("reading the terminal: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("terminal output did not end")
	}
	return out.String()
}

// TestTerminalAndPipeOutput runs the built binary on a pseudo-terminal and
// into a pipe: colors, symbols and the waterfall appear on the terminal
// only, and NO_COLOR removes the colors but keeps the waterfall.
func TestTerminalAndPipeOutput(t *testing.T) {
	bin, sample := builtWithDemo(t)

	cmd := exec.Command(bin, "show", sample)
	cmd.Env = cleanEnv("TERM=xterm-256color")
	tty := runOnPTY(t, cmd)
	for _, want := range []string{"\x1b[", "█", "╷0 ", "✓"} {
		if !strings.Contains(tty, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, tty)
		}
	}

	cmd = exec.Command(bin, "show", sample)
	cmd.Env = cleanEnv("TERM=xterm-256color")
	var pipe, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &pipe, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("show into a pipe: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(pipe.String(), demoRoot) {
		t.Fatalf("pipe output lacks the trace:\n%s", pipe.String())
	}
	for _, bad := range []string{"\x1b[", "█", "╷0", "✓"} {
		if strings.Contains(pipe.String(), bad) {
			t.Errorf("pipe output contains %q:\n%s", bad, pipe.String())
		}
	}

	cmd = exec.Command(bin, "show", sample)
	cmd.Env = cleanEnv("TERM=xterm-256color", "NO_COLOR=1")
	noColor := runOnPTY(t, cmd)
	if strings.Contains(noColor, "\x1b[") {
		t.Errorf("NO_COLOR output on a terminal has escape codes:\n%s", noColor)
	}
	if !strings.Contains(noColor, "█") {
		t.Errorf("NO_COLOR removed the waterfall:\n%s", noColor)
	}
}
