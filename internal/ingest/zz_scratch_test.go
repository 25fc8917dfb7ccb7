package ingest

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"
)

func TestScratch(t *testing.T) {
	pr, pw := io.Pipe()
	got := make(chan *Trace, 10)
	done := make(chan error, 1)
	go func() {
		done <- Read(context.Background(), []Input{{Name: "<stdin>", Reader: pr}}, Options{Idle: 50 * time.Millisecond}, func(tr *Trace) error { got <- tr; return nil })
	}()
	s1 := tspan{trace: 2, id: 21, name: "m-root", start: 1e15, end: 1e15 + 5e6}
	s2 := tspan{trace: 2, id: 22, parent: 21, name: "m-child", start: 1e15 + 1, end: 1e15 + 2e6}
	io.WriteString(pw, otlpLine(s2))
	io.WriteString(pw, mlflowLine(2, "req", "OK", s1, s2))
	select {
	case tr := <-got:
		fmt.Println("emitted before close", render(tr))
	case <-time.After(2 * time.Second):
		fmt.Println("NOT emitted within 2s")
	}
	pw.Close()
	fmt.Println(<-done)
	close(got)
	for tr := range got {
		fmt.Println("after", render(tr), tr.Info.ClientRequestID)
	}
}
