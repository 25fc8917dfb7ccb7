package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestProgressDraw: the bar shows the bytes read of the total and the
// rate; a line on stderr clears it first; output on the terminal's stdout
// ends it for good.
func TestProgressDraw(t *testing.T) {
	var term bytes.Buffer
	g := &termGate{term: &term}
	errOut := gatedWriter{g: g, w: &term}
	var stdout bytes.Buffer
	out := gatedWriter{g: g, w: &stdout, out: true}

	p := newProgress(g, 10<<20)
	p.read.Store(5 << 20)
	time.Sleep(50 * time.Millisecond) // a rate to show
	p.draw()
	bar := term.String()
	for _, want := range []string{"reading", "50%", "5.2/10 MB", "MB/s"} {
		if !strings.Contains(bar, want) {
			t.Errorf("bar %q lacks %q", bar, want)
		}
	}

	term.Reset()
	errOut.Write([]byte("tracectl: warning: w\n"))
	if got := term.String(); !strings.HasPrefix(got, "\r ") || !strings.HasSuffix(got, "\rtracectl: warning: w\n") {
		t.Errorf("a warning did not clear the bar first: %q", got)
	}

	p.read.Store(6 << 20)
	p.draw()
	if !strings.Contains(term.String(), "60%") {
		t.Errorf("the bar was not drawn again after the warning: %q", term.String())
	}

	term.Reset()
	out.Write([]byte("output\n"))
	p.read.Store(8 << 20)
	p.draw()
	p.end()
	if got := term.String(); strings.Contains(got, "80%") || strings.Count(got, "\r") != 2 {
		t.Errorf("after stdout output the bar was drawn again or not cleared once: %q", got)
	}
	if stdout.String() != "output\n" {
		t.Errorf("stdout %q", stdout.String())
	}
}

// TestProgressBarOnTerminal: reading that lasts more than a second shows a
// bar on a terminal stderr, cleared at the end; not with --quiet, not when
// stderr is a pipe, not for a quick read.
func TestProgressBarOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildTracectl(t, dir)
	first := filepath.Join(dir, "first.jsonl")
	manyTraces(t, first, 200)
	slow := filepath.Join(dir, "slow.jsonl")
	manyTraces(t, slow, 201) // step-201 comes from the FIFO only
	trace, err := os.ReadFile(slow)
	if err != nil {
		t.Fatal(err)
	}

	// run reads first.jsonl and then a FIFO whose writer comes after
	// 1.5 s, with stderr on a terminal (or a pipe) and stdout a pipe.
	run := func(errTTY bool, args ...string) (stdout, stderr string) {
		fifo := filepath.Join(t.TempDir(), "slow.json")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("no FIFO here: %v", err)
		}
		cmd := exec.Command(bin, append(args, first, fifo)...)
		cmd.Env = cleanEnv("TERM=xterm-256color")
		var out, errBuf bytes.Buffer
		cmd.Stdout = &out
		var ptmx, tty *os.File
		var wg sync.WaitGroup
		if errTTY {
			ptmx, tty, err = pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal here: %v", err)
			}
			defer ptmx.Close()
			cmd.Stderr = tty
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 4096)
				for {
					n, err := ptmx.Read(buf)
					errBuf.Write(buf[:n])
					if err != nil {
						return
					}
				}
			}()
		} else {
			cmd.Stderr = &errBuf
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if tty != nil {
			tty.Close() // the child's now: reading ptmx ends when it exits
		}
		time.Sleep(1500 * time.Millisecond)
		if err := os.WriteFile(fifo, trace, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args, err, errBuf.String())
		}
		wg.Wait()
		return out.String(), errBuf.String()
	}

	stdout, stderr := run(true, "roots")
	if !strings.Contains(stdout, "step-201") || !strings.Contains(stdout, "step-200") {
		t.Errorf("stdout lacks the traces:\n%s", stdout)
	}
	// The total is not known (a FIFO): bytes read and the rate.
	if !strings.Contains(stderr, "reading") || !strings.Contains(stderr, "kB") || !strings.Contains(stderr, "/s") {
		t.Errorf("no progress bar on the terminal:\n%q", stderr)
	}
	if i := strings.LastIndex(stderr, "reading"); !strings.Contains(stderr[i:], "\r") || strings.TrimSpace(stderr[strings.LastIndex(stderr, "\r"):]) != "" {
		t.Errorf("the bar was not cleared at the end:\n%q", stderr)
	}

	if _, stderr := run(true, "--quiet", "roots"); stderr != "" {
		t.Errorf("--quiet: stderr %q", stderr)
	}
	if _, stderr := run(false, "roots"); stderr != "" {
		t.Errorf("stderr a pipe: %q", stderr)
	}

	// A quick read shows nothing.
	cmd := exec.Command(bin, "roots", first)
	cmd.Env = cleanEnv("TERM=xterm-256color")
	if out := runOnPTY(t, cmd); strings.Contains(out, "reading") {
		t.Errorf("a quick read showed a bar:\n%s", out)
	}
}
