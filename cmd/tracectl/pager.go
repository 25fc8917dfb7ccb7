package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
)

// defaultPager is the pager when neither TRACECTL_PAGER nor PAGER is set;
// LESS gets defaultLess when unset, as git does (quit when the output
// fits on one screen, keep colors, leave the output on the screen).
const (
	defaultPager = "less -R"
	defaultLess  = "FRX"
)

// pagedCommands are the commands whose output goes through the pager on
// a terminal: those that print what was read. collect runs for hours and
// convert writes data, not reading matter.
var pagedCommands = map[string]bool{"show": true, "roots": true, "status": true, "preview": true, "spans": true, "check": true}

// pagerCommand is the pager to run, as git chooses it: TRACECTL_PAGER,
// then PAGER, then less -R; "cat" means no pager.
func pagerCommand(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, name := range []string{"TRACECTL_PAGER", "PAGER"} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			if v == "cat" {
				return ""
			}
			return v
		}
	}
	return defaultPager
}

// errPagerQuit is what writes return once the pager has exited (the user
// pressed q): the command stops and exits quietly.
var errPagerQuit = errors.New("the pager has exited")

// pager pipes stdout through a pager, started at the first write so that
// a command that prints nothing, or fails first, never shows one.
type pager struct {
	command string
	term    *os.File // stdout: the terminal, the pager's own stdout
	errOut  *os.File

	mu      sync.Mutex
	started bool
	cmd     *exec.Cmd
	pipe    io.WriteCloser
	quit    bool // the pager exited before the output ended
}

// startPager makes stdout of cmd go through a pager when it is a paged
// command, stdout is a terminal, --no-pager is not given and a pager is
// set; color, width and the waterfall stay decided by the terminal.
func startPager(cmd *cobra.Command, streams *render.IOStreams, noPager bool) *pager {
	if noPager || !streams.OutTTY || !pagedCommands[cmd.Name()] {
		return nil
	}
	term, ok := streams.Out.(*os.File)
	if !ok {
		return nil
	}
	command := pagerCommand(streams.Getenv)
	if command == "" {
		return nil
	}
	errOut, _ := streams.ErrOut.(*os.File)
	p := &pager{command: command, term: term, errOut: errOut}
	streams.Out = p
	return p
}

func (p *pager) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quit {
		return 0, errPagerQuit
	}
	if !p.started {
		p.started = true
		if err := p.start(); err != nil {
			p.pipe = nil // no pager after all: straight to the terminal
		}
	}
	if p.pipe == nil {
		return p.term.Write(b)
	}
	n, err := p.pipe.Write(b)
	if err != nil && (errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed)) {
		p.quit = true
		return n, errPagerQuit
	}
	return n, err
}

func (p *pager) start() error {
	// A plain command that is not installed would take the output with it
	// (the shell says "not found" and exits): print to the terminal instead.
	if words := strings.Fields(p.command); !strings.ContainsAny(p.command, "|;&$<>()`'\"\\=") {
		if _, err := exec.LookPath(words[0]); err != nil {
			return err
		}
	}
	shell, flag := "sh", "-c"
	if runtime.GOOS == "windows" {
		shell, flag = "cmd", "/c"
	}
	c := exec.Command(shell, flag, p.command)
	c.Stdout = p.term
	c.Stderr = p.errOut
	if p.errOut == nil {
		c.Stderr = p.term
	}
	c.Env = os.Environ()
	if _, ok := os.LookupEnv("LESS"); !ok {
		c.Env = append(c.Env, "LESS="+defaultLess)
	}
	if _, ok := os.LookupEnv("LV"); !ok {
		c.Env = append(c.Env, "LV=-c")
	}
	pipe, err := c.StdinPipe()
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	p.cmd, p.pipe = c, pipe
	return nil
}

// wait ends the output and waits for the user to leave the pager; it
// reports whether the pager was quit before the output ended.
func (p *pager) wait() (quitEarly bool) {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	p.pipe.Close()
	_ = p.cmd.Wait()
	p.cmd = nil
	return p.quit
}
