package ingest

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Waits in these tests are bounded (wait) and only ever wait for something
// the code must do; the one "nothing happens" check (notWithin) can only
// fail when the code hands a trace on too early.
const wait = 5 * time.Second

// pipeRead is a Read of one io.Pipe input running on its own goroutine.
type pipeRead struct {
	pw     *io.PipeWriter
	traces chan *Trace
	done   chan error
	cancel context.CancelFunc
}

func startPipeRead(t *testing.T, opts Options) *pipeRead {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	p := &pipeRead{pw: pw, traces: make(chan *Trace, 100), done: make(chan error, 1), cancel: cancel}
	go func() {
		err := Read(ctx, []Input{{Name: "<stdin>", Reader: pr}}, opts, func(tr *Trace) error {
			p.traces <- tr
			return nil
		})
		pr.CloseWithError(errors.New("Read returned")) // unblocks a writer
		p.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		pw.Close()
		select {
		case <-p.done:
		case <-time.After(wait):
			t.Error("Read did not return")
		}
	})
	return p
}

func (p *pipeRead) write(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(p.pw, s); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// next waits up to d for the next trace handed on.
func (p *pipeRead) next(d time.Duration) (*Trace, bool) {
	select {
	case tr := <-p.traces:
		return tr, true
	case <-time.After(d):
		return nil, false
	}
}

// close ends the stream and returns Read's error and the traces handed on
// after what next took.
func (p *pipeRead) close(t *testing.T) (error, []*Trace) {
	t.Helper()
	p.pw.Close()
	var err error
	select {
	case err = <-p.done:
		p.done <- err // for the cleanup
	case <-time.After(wait):
		t.Fatal("Read did not return after the stream ended")
	}
	var rest []*Trace
	for {
		select {
		case tr := <-p.traces:
			rest = append(rest, tr)
		default:
			return err, rest
		}
	}
}

func TestStreamIdleHandsOnTraceWithRoot(t *testing.T) {
	const idle = 50 * time.Millisecond
	p := startPipeRead(t, Options{Idle: idle})
	start := time.Now() // before the write: the spans arrive after it
	p.write(t, otlpLine(
		tspan{trace: 1, id: 1, name: "root", start: 10, end: 40},
		tspan{trace: 1, id: 2, parent: 1, name: "child", start: 11, end: 30}))
	tr, ok := p.next(wait)
	if !ok {
		t.Fatalf("the trace was not handed on within %v while the stream was open", wait)
	}
	if waited := time.Since(start); waited < idle {
		t.Errorf("handed on after %v, before Idle (%v) passed", waited, idle)
	}
	if diff := cmp.Diff([]string{"5a00000000000001 root", "5a00000000000002 child"}, spanList(tr)); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	err, rest := p.close(t)
	if err != nil || len(rest) != 0 {
		t.Errorf("after the end: err %v, %d more traces; want nil, 0", err, len(rest))
	}
}

func TestStreamRootlessTraceWaitsForTheEnd(t *testing.T) {
	const idle = 50 * time.Millisecond
	p := startPipeRead(t, Options{Idle: idle})
	p.write(t, otlpLine(tspan{trace: 1, id: 2, parent: 1, name: "child", start: 11, end: 30}))
	// Many idle periods: a rootless trace must not go on however long it idles.
	if tr, ok := p.next(6 * idle); ok {
		t.Fatalf("rootless trace %s handed on before the end of the stream", tr.Info.TraceID)
	}
	err, rest := p.close(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 1 || rest[0].Info.TraceID != mlflowID(1) {
		t.Fatalf("at the end: got %v, want [%s]", ids(rest), mlflowID(1))
	}
}

func TestStreamRootArrivingLaterCompletesTrace(t *testing.T) {
	const idle = 50 * time.Millisecond
	p := startPipeRead(t, Options{Idle: idle})
	p.write(t, otlpLine(tspan{trace: 1, id: 2, parent: 1, name: "child", start: 11, end: 30}))
	if tr, ok := p.next(4 * idle); ok {
		t.Fatalf("rootless trace %s handed on", tr.Info.TraceID)
	}
	p.write(t, otlpLine(tspan{trace: 1, id: 1, name: "root", start: 10, end: 40}))
	tr, ok := p.next(wait)
	if !ok {
		t.Fatal("the trace was not handed on after its root arrived")
	}
	if diff := cmp.Diff([]string{"5a00000000000001 root", "5a00000000000002 child"}, spanList(tr)); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	if err, rest := p.close(t); err != nil || len(rest) != 0 {
		t.Errorf("after the end: err %v, traces %v", err, ids(rest))
	}
}

func TestStreamMLflowTraceHandedOnAtItsDocument(t *testing.T) {
	// A large Idle: only the MLflow rule can hand a trace on.
	p := startPipeRead(t, Options{Idle: time.Hour})
	p.write(t, otlpLine(tspan{trace: 1, id: 1, name: "otlp-root", start: 10, end: 40}))
	for i, n := range []int{2, 3} {
		p.write(t, mlflowLine(n, "req", "OK", tspan{trace: n, id: n * 10, name: "m", start: 1e15, end: 2e15}))
		// Handed on before the next document is written: no read-ahead.
		tr, ok := p.next(wait)
		if !ok {
			t.Fatalf("MLflow trace %d not handed on before the next document", i+1)
		}
		if tr.Info.TraceID != mlflowID(n) || tr.Info.Derived {
			t.Fatalf("handed on %s (derived %v), want %s", tr.Info.TraceID, tr.Info.Derived, mlflowID(n))
		}
	}
	err, rest := p.close(t)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{mlflowID(1)}, ids(rest)); diff != "" {
		t.Errorf("at the end (-want +got):\n%s", diff)
	}
}

// TestCompletionOrderStreamVsFile: files hand traces on in the order they
// were first seen; a stream as each completes.
func TestCompletionOrderStreamVsFile(t *testing.T) {
	text := otlpLine(tspan{trace: 1, id: 1, name: "a", start: 10, end: 40}) +
		mlflowLine(2, "req", "OK", tspan{trace: 2, id: 20, name: "m", start: 1e15, end: 2e15}) +
		otlpLine(tspan{trace: 3, id: 30, parent: 31, name: "b-rootless", start: 10, end: 40}) +
		mlflowLine(4, "req", "OK", tspan{trace: 4, id: 40, name: "n", start: 1e15, end: 2e15}) +
		otlpLine(tspan{trace: 1, id: 2, parent: 1, name: "a-child", start: 11, end: 20})
	tests := []struct {
		name string
		in   Input
		opts Options
		want []string
	}{
		{"file", fileInput("f.json", text), Options{}, []string{mlflowID(1), mlflowID(2), mlflowID(3), mlflowID(4)}},
		{"stream", streamInput("<stdin>", text), Options{Idle: time.Hour}, []string{mlflowID(2), mlflowID(4), mlflowID(1), mlflowID(3)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := readAll(t, []Input{tc.in}, tc.opts, false)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if diff := cmp.Diff(tc.want, ids(r.traces)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"5a00000000000001 a", "5a00000000000002 a-child"}, spanList(r.traces[slices.Index(ids(r.traces), mlflowID(1))])); diff != "" {
				t.Errorf("trace 1 spans (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamCancelEndsRead(t *testing.T) {
	p := startPipeRead(t, Options{Idle: time.Hour})
	p.write(t, otlpLine(tspan{trace: 1, id: 2, parent: 1, name: "child", start: 11, end: 30}))
	p.cancel() // the writer stays open: Read must not wait for it
	select {
	case err := <-p.done:
		p.done <- err
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Read returned %v, want context.Canceled", err)
		}
	case <-time.After(wait):
		t.Fatal("Read did not return after its context was canceled")
	}
}

// TestEmitErrorEndsRead: an error from emit ends Read and is returned as
// it is, also with Options.Error (it is not an input's error).
func TestEmitErrorEndsRead(t *testing.T) {
	stop := errors.New("stop")
	text := mlflowLine(1, "a", "OK", tspan{trace: 1, id: 1, name: "a", start: 1e15, end: 2e15}) +
		mlflowLine(2, "b", "OK", tspan{trace: 2, id: 2, name: "b", start: 1e15, end: 2e15})
	for _, in := range []Input{fileInput("f.json", text), streamInput("<stdin>", text)} {
		calls, failed := 0, 0
		err := Read(context.Background(), []Input{in, fileInput("g.json", text)},
			Options{Idle: time.Hour, Error: func(error) { failed++ }},
			func(*Trace) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 || failed != 0 {
			t.Errorf("%s: Read = %v after %d emits and %d input errors; want %v after 1 and 0", in.Name, err, calls, failed, stop)
		}
	}
}
