package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
	"tracectl/internal/spanjson/spanjsontest"
)

// writeManyTraces writes n MLflow 3 traces of spans spans each as JSON
// Lines.
func writeManyTraces(tb testing.TB, w io.Writer, n, spans int) {
	tb.Helper()
	for k := range n {
		var b bytes.Buffer
		if err := spanjsontest.WriteV3Trace(&b, spans, int64(k+1)); err != nil {
			tb.Fatal(err)
		}
		line := bytes.ReplaceAll(bytes.TrimSpace(b.Bytes()), []byte("\n"), nil)
		if _, err := w.Write(append(line, '\n')); err != nil {
			tb.Fatal(err)
		}
	}
}

// countingReader counts the bytes read through it (a stream is read on
// another goroutine).
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestStreamHandsOnMLflowTracesBeforeTheInputEnds(t *testing.T) {
	var data bytes.Buffer
	writeManyTraces(t, &data, 40, 20)
	total := data.Len()
	cr := &countingReader{r: &data}
	ins := []ingest.Input{{Name: "many.jsonl", Reader: cr}}
	var readAt []int
	err := streamTraces(context.Background(), ins, func(spanjson.Warning) {}, nil, func(v *render.TraceView) error {
		readAt = append(readAt, int(cr.n.Load()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(readAt) != 40 {
		t.Fatalf("got %d traces, want 40", len(readAt))
	}
	// Each MLflow trace is complete at its document: the first must be
	// handed on long before the whole input has been read.
	if readAt[0] >= total/2 {
		t.Errorf("first trace handed on after %d of %d bytes were read: traces are held until the end", readAt[0], total)
	}
}

func TestStreamHoldsOTLPTracesUntilTheEndAndKeepsOrder(t *testing.T) {
	in := strings.Join([]string{
		otlpLine(traceA, "0000000000000002", "0000000000000001", "child", 20, 30),
		mlflowV3("tr-"+traceB, "OK", "agent"),
		otlpLine(traceA, "0000000000000001", "", "root", 10, 40),
	}, "\n")
	views, _ := loadString(t, in)
	if len(views) != 2 {
		t.Fatalf("got %d traces, want 2", len(views))
	}
	// Input order: the OTLP trace was seen first, and is whole.
	if got := views[0].TraceID(); got != "tr-"+traceA {
		t.Errorf("first trace = %s, want tr-%s", got, traceA)
	}
	if n := len(views[0].Spans()); n != 2 {
		t.Errorf("OTLP trace has %d spans, want 2", n)
	}
}

// BenchmarkStatusManyTraces runs `tracectl status` over 20,000 MLflow 3
// traces in JSON Lines and reports the heap in use at its peak (sampled
// after each trace) in MB: it stays small because each trace is released
// once its row is made.
func BenchmarkStatusManyTraces(b *testing.B) {
	path := filepath.Join(b.TempDir(), "many.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	writeManyTraces(b, f, 20000, 8)
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	var peak uint64
	for b.Loop() {
		streams, _, _, _ := render.Test()
		ins, _ := inputsFrom([]string{path}, streams.In)
		k := 0
		err := streamTraces(context.Background(), ins, func(spanjson.Warning) {}, nil, func(v *render.TraceView) error {
			_ = v.StatusJSON()
			if k++; k%1000 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
}
