package main

import (
	"fmt"
	"sync"
	"time"

	"tracectl/internal/collect"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// collectLog is what collect prints while it runs: a line on stderr per
// trace written (or its tree on stdout with --print tree) and a line per
// rejected request. -q prints neither. Both are called from several
// goroutines at once.
type collectLog struct {
	streams *render.IOStreams
	tree    bool
	theme   *render.Theme
	now     func() time.Time

	mu      sync.Mutex
	printer *render.Printer
	// Refusals for load (503) come in bursts while clients retry: one line
	// a second per reason, with the count of those not printed.
	lastRefusal map[string]time.Time
	heldBack    map[string]int
}

func newCollectLog(streams *render.IOStreams, print string) *collectLog {
	l := &collectLog{streams: streams, tree: print == "tree", theme: streams.LogTheme(), now: time.Now,
		lastRefusal: map[string]time.Time{}, heldBack: map[string]int{}}
	if l.tree {
		l.printer = render.NewPrinter(streams)
	}
	return l
}

// written reports a trace that is now in the output.
func (l *collectLog) written(ct *collect.CollectedTrace) {
	if l.streams.Quiet {
		return
	}
	if !l.tree {
		l.mu.Lock()
		render.TraceLine(l.streams.ErrOut, l.theme, l.now(), &ct.Trace, ct.Incomplete)
		l.mu.Unlock()
		return
	}
	// The tree is built on a copy: the trace as written is not changed.
	t := ct.Trace
	t.Spans = append([]spanjson.Span(nil), ct.Trace.Spans...)
	tree, _ := spanjson.BuildTree(t.Spans)
	v := render.NewTraceViewWithTypes("collect", spanjson.SchemaOTLP, "OTLP export", &t, tree)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.printer.Show(v, render.ShowOptions{})
	_ = l.printer.Flush()
}

// rejected reports a request answered with an error.
func (l *collectLog) rejected(r collect.Rejection) {
	if l.streams.Quiet {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := r.Transport + " " + r.Status + " " + r.Reason
	now := l.now()
	if r.Status == "503" || r.Status == "Unavailable" || r.Status == "ResourceExhausted" {
		if now.Sub(l.lastRefusal[key]) < time.Second {
			l.heldBack[key]++
			return
		}
		l.lastRefusal[key] = now
	}
	more := ""
	if n := l.heldBack[key]; n > 0 {
		more = fmt.Sprintf(" (and %d more like it in the last second)", n)
		delete(l.heldBack, key)
	}
	fmt.Fprintf(l.streams.ErrOut, "tracectl: rejected: %s %s from %s: %s%s\n", r.Transport, r.Status, render.Printable(r.Client), render.Printable(r.Reason), more)
}
