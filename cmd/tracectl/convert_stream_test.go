package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// samplingDecoder wraps the real decoder and samples the heap every
// `every` documents.
type samplingDecoder struct {
	dec     *spanjson.Decoder
	n       int
	every   int
	samples []uint64
}

func (s *samplingDecoder) Next() (*spanjson.Document, error) {
	if s.n%s.every == 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.samples = append(s.samples, ms.HeapInuse)
	}
	s.n++
	return s.dec.Next()
}

// writeV3Lines writes n small MLflow v3 traces as JSON Lines, each with
// three spans and about 1 KB of inputs and outputs.
func writeV3Lines(t *testing.T, path string, n int) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	pad := strings.Repeat("lorem ipsum ", 12)
	for i := range n {
		tid := fmt.Sprintf("%032x", i+1)
		b64 := func(hexID string) string {
			var id spanjson.TraceID
			id, _ = spanjson.ParseTraceID(hexID)
			return id.Base64()
		}
		sid := func(k int) string {
			id, _ := spanjson.ParseSpanID(fmt.Sprintf("%08x%08x", i+1, k))
			return id.Base64()
		}
		start := int64(1735689600000000000) + int64(i)*1000000
		fmt.Fprintf(w, `{"info":{"trace_id":"tr-%s","trace_location":{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"0"}},"request_time":"2025-01-01T00:00:00.000Z","execution_duration_ms":3,"state":"OK","trace_metadata":{"mlflow.trace_schema.version":"3"},"tags":{"mlflow.traceName":"t%d"}},"data":{"spans":[`, tid, i)
		for k := 1; k <= 3; k++ {
			parent := "null"
			if k > 1 {
				parent = `"` + sid(1) + `"`
			}
			if k > 1 {
				w.WriteString(",")
			}
			fmt.Fprintf(w, `{"trace_id":"%s","span_id":"%s","parent_span_id":%s,"name":"s%d","start_time_unix_nano":%d,"end_time_unix_nano":%d,"status":{"code":"STATUS_CODE_OK","message":""},"attributes":{"mlflow.spanType":"\"CHAIN\"","mlflow.spanInputs":"\"%s\"","mlflow.spanOutputs":"\"%s\""},"events":[]}`,
				b64(tid), sid(k), parent, k, start+int64(k), start+int64(k)+1000, pad, pad)
		}
		w.WriteString("]}}\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	f.Close()
	return fi.Size()
}

// TestConvertStreamsJSONLines converts 10,000 traces (about 22 MB of JSON
// Lines) with the real codecs: at most one trace is held at a time and the
// live heap does not grow with the input.
func TestConvertStreamsJSONLines(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 22 MB input")
	}
	const n = 10000
	input := filepath.Join(t.TempDir(), "traces.jsonl")
	size := writeV3Lines(t, input, n)

	streams, _, _, errOut := render.Test()
	var written countingWriter
	streams.Out = &written
	var dec *samplingDecoder
	opts := &convertOptions{Schema: "v2", Inputs: []string{input}, streams: streams, stats: &convertStats{},
		newDecoder: func(r io.Reader, name string) ingest.Decoder {
			dec = &samplingDecoder{dec: spanjson.NewDecoder(r, name), every: n / 10}
			return dec
		}}
	if err := runConvert(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if opts.stats.Traces != n {
		t.Errorf("wrote %d traces, want %d", opts.stats.Traces, n)
	}
	if written.lines != n {
		t.Errorf("wrote %d lines, want %d", written.lines, n)
	}
	// The input is ~22 MB; holding it (or the output) would show as growth
	// of that order between the first samples and the last.
	base := dec.samples[1]
	for i, s := range dec.samples[1:] {
		if s > base+uint64(size)/4 {
			t.Errorf("heap in use after %d traces: %d bytes, up from %d (input %d bytes)", (i+1)*n/10, s, base, size)
		}
	}
	t.Logf("input %d bytes; heap in use sampled every %d traces: %v", size, n/10, dec.samples)
}

type countingWriter struct{ lines int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.lines += strings.Count(string(p), "\n")
	return len(p), nil
}
