package main

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
)

// progressAfter is how long reading runs before its progress bar appears:
// a read that is over sooner shows nothing.
const progressAfter = time.Second

// progressTick is how often the bar is redrawn.
const progressTick = 200 * time.Millisecond

// termGate stands between the command and a terminal stderr on which a
// progress bar may be drawn: every write to stderr clears the bar first
// (the next tick draws it again below), and the first write to stdout on
// the same terminal (or to the pager) ends the bar for good, so the
// output never shares a line with it. It is installed before a command
// runs (gateTerminal) so that writers made early go through it too.
type termGate struct {
	mu    sync.Mutex
	term  io.Writer // stderr itself
	bar   *progressbar.ProgressBar
	drawn bool
	ended bool // stdout was written: no bar from now on
}

type gatedWriter struct {
	g   *termGate
	w   io.Writer
	out bool // stdout: ends the bar
}

func (w gatedWriter) Write(p []byte) (int, error) {
	w.g.mu.Lock()
	defer w.g.mu.Unlock()
	w.g.clearLocked()
	if w.out {
		w.g.ended, w.g.bar = true, nil
	}
	return w.w.Write(p)
}

func (g *termGate) clearLocked() {
	if g.bar != nil && g.drawn {
		_ = g.bar.Clear()
		g.drawn = false
	}
}

// gateTerminal puts a termGate between streams and a terminal stderr when
// a progress bar may be drawn on it (not with --quiet).
func gateTerminal(streams *render.IOStreams) {
	if !streams.ErrTTY || streams.Quiet {
		return
	}
	if _, done := streams.ErrOut.(gatedWriter); done {
		return
	}
	g := &termGate{term: streams.ErrOut}
	streams.ErrOut = gatedWriter{g: g, w: streams.ErrOut}
	if streams.OutTTY {
		streams.Out = gatedWriter{g: g, w: streams.Out, out: true}
	}
}

// startProgress counts the bytes read from ins and, when reading lasts
// more than progressAfter, draws a bar on stderr: bytes read of the total
// (the sum of the input sizes, when every one is known: compressed files
// count as stored) and the rate. Only on a gated terminal (gateTerminal);
// stop clears the bar and must be called when reading is over.
func startProgress(streams *render.IOStreams, ins []ingest.Input) (stop func()) {
	gw, ok := streams.ErrOut.(gatedWriter)
	if !ok || streams.Quiet {
		return func() {}
	}
	total, known := inputBytes(ins)
	if !known {
		total = -1
	}
	p := newProgress(gw.g, total)
	for i := range ins {
		ins[i].Counter = &p.read
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-time.After(progressAfter):
		case <-quit:
			return
		}
		tick := time.NewTicker(progressTick)
		defer tick.Stop()
		for {
			p.draw()
			select {
			case <-tick.C:
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			<-done
			p.end()
		})
	}
}

// progress is one bar over a termGate.
type progress struct {
	g     *termGate
	total int64
	read  atomic.Int64
	bar   *progressbar.ProgressBar
}

// newProgress makes the bar, not drawn yet, its clock started: the rate
// counts from the start of reading, not from the first drawing.
func newProgress(g *termGate, total int64) *progress {
	p := &progress{g: g, total: total}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(g.term),
		progressbar.OptionSetDescription("reading"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		// No spinner goroutine: the bar is drawn only by draw, under the
		// gate's lock.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionSetPredictTime(total >= 0),
	)
	p.bar.StartWithoutRender()
	return p
}

// draw shows the bytes read so far.
func (p *progress) draw() {
	p.g.mu.Lock()
	defer p.g.mu.Unlock()
	if p.g.ended {
		return
	}
	p.g.bar = p.bar
	_ = p.bar.Set64(p.read.Load())
	p.g.drawn = true
}

// end clears the bar.
func (p *progress) end() {
	p.g.mu.Lock()
	defer p.g.mu.Unlock()
	if p.g.bar == p.bar {
		p.g.clearLocked()
		p.g.bar = nil
	}
	_ = p.bar.Exit()
}
