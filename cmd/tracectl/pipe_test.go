package main

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"tracectl/internal/render"
)

// pipePause is how long the paused pipe waits for the first trace's output
// before it sends the second trace anyway.
const pipePause = 3 * time.Second

// firstLineSignal collects what is written and closes first when the
// first line is complete.
type firstLineSignal struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan struct{}
	once  sync.Once
}

func (w *firstLineSignal) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.IndexByte(w.buf.Bytes(), '\n') >= 0 {
		w.once.Do(func() { close(w.first) })
	}
	return len(p), nil
}

// TestPipedTraceIsPrintedBeforeTheNextArrives feeds roots and status a
// pipe that sends one MLflow 3 trace (a JSON Lines document) and then
// pauses until the trace's line has been printed: a command that waits for
// more input before it prints the trace would hang there, so the pipe goes
// on after pipePause and the test reports it.
func TestPipedTraceIsPrintedBeforeTheNextArrives(t *testing.T) {
	var data bytes.Buffer
	writeManyTraces(t, &data, 2, 3)
	docs := bytes.SplitAfter(data.Bytes(), []byte("\n"))[:2]
	ids := []string{string(mlflowTraceID.FindSubmatch(docs[0])[1]), string(mlflowTraceID.FindSubmatch(docs[1])[1])}
	for _, cmd := range []string{"roots", "status"} {
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			pr, pw := io.Pipe()
			out := &firstLineSignal{first: make(chan struct{})}
			printedFirst := make(chan bool, 1)
			fed := make(chan struct{})
			go func() {
				defer close(fed)
				if _, err := pw.Write(docs[0]); err != nil {
					printedFirst <- false
					return
				}
				select {
				case <-out.first:
					printedFirst <- true
				case <-time.After(pipePause):
					printedFirst <- false
				}
				if _, err := pw.Write(docs[1]); err == nil {
					pw.Close()
				}
			}()
			streams, _, _, errOut := render.Test()
			streams.In, streams.Out = pr, out
			code := Main([]string{cmd, "-o", "jsonl"}, streams)
			pr.Close() // a write still pending (Main gave up early) returns
			<-fed
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], ids[0]) || !strings.Contains(lines[1], ids[1]) {
				t.Fatalf("output is not the two traces' lines in order:\n%s", out.buf.String())
			}
			if !<-printedFirst {
				t.Fatalf("the first trace was printed only after the second document came")
			}
		})
	}
}
