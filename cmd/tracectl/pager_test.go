package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

func TestPagerCommand(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "less -R"},
		{map[string]string{"PAGER": "more"}, "more"},
		{map[string]string{"PAGER": "more", "TRACECTL_PAGER": "most"}, "most"},
		{map[string]string{"PAGER": "cat"}, ""},
		{map[string]string{"PAGER": "less", "TRACECTL_PAGER": "cat"}, ""},
		{map[string]string{"PAGER": "  "}, "less -R"},
	} {
		got := pagerCommand(func(k string) string { return tc.env[k] })
		if got != tc.want {
			t.Errorf("pagerCommand(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// ptySession runs cmd with a pseudo-terminal as stdin, stdout and stderr
// and collects what it writes, for tests that type into it.
type ptySession struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	read chan struct{}
}

func startPTY(t *testing.T, cmd *exec.Cmd, rows uint16) *ptySession {
	t.Helper()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: 120})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	s := &ptySession{t: t, cmd: cmd, ptmx: ptmx, read: make(chan struct{})}
	go func() {
		defer close(s.read)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		ptmx.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return s
}

func (s *ptySession) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitFor waits until the output contains want.
func (s *ptySession) waitFor(want string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.output(), want) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the terminal never showed %q:\n%s", want, s.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the command to exit and returns its exit code.
func (s *ptySession) wait() int {
	s.t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		s.t.Fatalf("%v did not exit:\n%s", s.cmd.Args, s.output())
	}
	select {
	case <-s.read:
	case <-time.After(2 * time.Second):
	}
	return s.cmd.ProcessState.ExitCode()
}

// manyTraces writes n one-span OTLP traces as JSON Lines: long output.
func manyTraces(t *testing.T, path string, n int) {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%032x","spanId":"%016x","name":"step-%d","startTimeUnixNano":"1735689600000000000","endTimeUnixNano":"1735689600005000000"}]}]}]}`+"\n", i, i, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPagerOnTerminal: on a terminal a read command's output goes through
// the pager (LESS=FRX set for it, colors and the waterfall kept); not with
// --no-pager, PAGER=cat, or when stdout is a pipe.
func TestPagerOnTerminal(t *testing.T) {
	bin, sample := builtWithDemo(t)
	// A pager that marks its output and passes the rest through.
	marker := `TRACECTL_PAGER=echo "PAGED LESS=$LESS"; cat`

	cmd := exec.Command(bin, "show", sample)
	cmd.Env = cleanEnv("TERM=xterm-256color", marker)
	paged := runOnPTY(t, cmd)
	for _, want := range []string{"PAGED LESS=FRX", "\x1b[", "█", "╷0", demoRoot} {
		if !strings.Contains(paged, want) {
			t.Errorf("paged output lacks %q:\n%s", want, paged)
		}
	}

	cmd = exec.Command(bin, "show", sample)
	cmd.Env = cleanEnv("TERM=xterm-256color", marker, "LESS=-S")
	if out := runOnPTY(t, cmd); !strings.Contains(out, "PAGED LESS=-S") {
		t.Errorf("the user's LESS was not kept:\n%s", out)
	}

	for _, args := range [][]string{{"--no-pager", "show", sample}, {"show", "--no-pager", sample}} {
		cmd = exec.Command(bin, args...)
		cmd.Env = cleanEnv("TERM=xterm-256color", marker)
		out := runOnPTY(t, cmd)
		if strings.Contains(out, "PAGED") || !strings.Contains(out, "█") {
			t.Errorf("%v: paged or lost the waterfall:\n%s", args, out)
		}
	}

	cmd = exec.Command(bin, "show", sample)
	cmd.Env = cleanEnv("TERM=xterm-256color", "PAGER=no-such-pager-here -R")
	if out := runOnPTY(t, cmd); !strings.Contains(out, demoRoot) {
		t.Errorf("a pager that is not installed lost the output:\n%s", out)
	}

	cmd = exec.Command(bin, "show", sample)
	cmd.Env = cleanEnv("TERM=xterm-256color", "PAGER=cat")
	if out := runOnPTY(t, cmd); strings.Contains(out, "PAGED") || !strings.Contains(out, demoRoot) {
		t.Errorf("PAGER=cat: %s", out)
	}

	// Into a pipe: never a pager, also for -o json.
	for _, args := range [][]string{{"show", sample}, {"show", "-o", "json", sample}} {
		cmd = exec.Command(bin, args...)
		cmd.Env = cleanEnv(marker)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		if strings.Contains(stdout.String(), "PAGED") || !strings.Contains(stdout.String(), demoRoot) {
			t.Errorf("%v into a pipe went through the pager:\n%s", args, stdout.String())
		}
	}

	// Commands that do not print reading matter are not paged.
	cmd = exec.Command(bin, "version")
	cmd.Env = cleanEnv(marker)
	if out := runOnPTY(t, cmd); strings.Contains(out, "PAGED") {
		t.Errorf("version went through the pager:\n%s", out)
	}
}

// TestDefaultPagerLess: with no pager set, long output opens less (with
// LESS=FRX: it stays until q); q before the output has all been written
// ends tracectl quietly with exit 0.
func TestDefaultPagerLess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("less"); err != nil {
		t.Skip("less is not installed")
	}
	dir := t.TempDir()
	bin := buildTracectl(t, dir)
	input := filepath.Join(dir, "many.jsonl")
	manyTraces(t, input, 5000) // far more than a pipe buffer of output

	cmd := exec.Command(bin, "roots", input)
	cmd.Env = cleanEnv("TERM=xterm-256color", "PAGER=")
	s := startPTY(t, cmd, 24)
	s.waitFor("step-1")
	time.Sleep(200 * time.Millisecond)
	if strings.Contains(s.output(), "step-4999") {
		t.Fatalf("the whole output went to the terminal, not through less:\n%s", s.output())
	}
	if _, err := io.WriteString(s.ptmx, "q"); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(); code != 0 {
		t.Errorf("exit %d after q, want 0:\n%s", code, s.output())
	}
	if strings.Contains(s.output(), "error") {
		t.Errorf("an error after q:\n%s", s.output())
	}

	// Short output: less -F quits by itself, the text stays on the screen.
	short := filepath.Join(dir, "short.jsonl")
	manyTraces(t, short, 3)
	cmd = exec.Command(bin, "roots", short)
	cmd.Env = cleanEnv("TERM=xterm-256color", "PAGER=")
	s = startPTY(t, cmd, 24)
	if code := s.wait(); code != 0 || !strings.Contains(s.output(), "step-3") {
		t.Errorf("short output: exit %d\n%s", code, s.output())
	}
}
