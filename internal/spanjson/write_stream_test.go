package spanjson_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson"
	"tracectl/internal/spanjson/spanjsontest"
)

// chunkWriter records how many writes it got and can fail after n bytes.
type chunkWriter struct {
	bytes.Buffer
	writes  int
	failAt  int // fail the write that would pass this many bytes (0: never)
	written int
}

var errWriteFailed = errors.New("write failed")

func (c *chunkWriter) Write(p []byte) (int, error) {
	if c.failAt > 0 && c.written+len(p) > c.failAt {
		return 0, errWriteFailed
	}
	c.writes++
	c.written += len(p)
	return c.Buffer.Write(p)
}

// writeSchemas are the schemas WriteTrace writes.
var writeSchemas = []spanjson.Schema{spanjson.SchemaMLflowV2, spanjson.SchemaMLflowV3, spanjson.SchemaOTLP}

// bigWriteTrace serves both WriteTrace tests: a generated MLflow 3 trace of
// 3000 spans, decoded.
func bigWriteTrace(t *testing.T) spanjson.Trace {
	t.Helper()
	var gen bytes.Buffer
	if err := spanjsontest.WriteV3Trace(&gen, 3000, 7); err != nil {
		t.Fatal(err)
	}
	docs, err := spanjson.DecodeAll(&gen, "gen")
	if err != nil {
		t.Fatal(err)
	}
	return docs[0].Traces[0]
}

// TestWriteTraceMatchesAppendTrace: streaming a trace gives the same bytes
// and losses as AppendTrace, in several pieces for a big trace.
func TestWriteTraceMatchesAppendTrace(t *testing.T) {
	big := bigWriteTrace(t)
	small := big
	small.Spans = small.Spans[:3]
	for _, tr := range []spanjson.Trace{big, small} {
		for _, schema := range writeSchemas {
			want, wantLoss, err := spanjson.AppendTrace(nil, schema, &tr)
			if err != nil {
				t.Fatal(err)
			}
			var w chunkWriter
			gotLoss, err := spanjson.WriteTrace(&w, schema, &tr)
			if err != nil {
				t.Fatalf("%s: %v", schema, err)
			}
			if !bytes.Equal(w.Bytes(), want) {
				t.Errorf("%s, %d spans: WriteTrace output differs from AppendTrace", schema, len(tr.Spans))
			}
			if diff := cmp.Diff(wantLoss, gotLoss); diff != "" {
				t.Errorf("%s: losses (-append +write):\n%s", schema, diff)
			}
			if big := len(want) > 4*256<<10; big && w.writes < 4 {
				t.Errorf("%s: %d bytes in %d writes: not streamed", schema, len(want), w.writes)
			}
		}
	}
}

func TestWriteTraceReportsWriteError(t *testing.T) {
	tr := bigWriteTrace(t)
	for _, schema := range writeSchemas {
		w := chunkWriter{failAt: 600 << 10}
		if _, err := spanjson.WriteTrace(&w, schema, &tr); !errors.Is(err, errWriteFailed) {
			t.Errorf("%s: error %v, want the write error", schema, err)
		}
		if w.written > 600<<10 {
			t.Errorf("%s: %d bytes written after the error", schema, w.written)
		}
	}
	if _, err := spanjson.WriteTrace(&chunkWriter{}, "yaml", &tr); err == nil {
		t.Error("unknown schema accepted")
	}
}

// TestWriteTraceReusesBuffersCleanly: WriteTrace's buffers are reused
// from trace to trace and goroutine to goroutine; each trace still writes
// exactly AppendTrace's bytes (nothing left over from a bigger one before
// it). go test -race checks the sharing.
func TestWriteTraceReusesBuffersCleanly(t *testing.T) {
	big := bigWriteTrace(t)
	var traces []spanjson.Trace
	for _, n := range []int{3000, 1, 40, 7, 3000, 2} {
		tr := big
		tr.Spans = tr.Spans[:n]
		traces = append(traces, tr)
	}
	done := make(chan error)
	for g := range 3 {
		go func() {
			for k := range traces {
				tr := traces[(k+g)%len(traces)]
				for _, schema := range writeSchemas {
					want, _, err := spanjson.AppendTrace(nil, schema, &tr)
					if err != nil {
						done <- err
						return
					}
					var got bytes.Buffer
					if _, err := spanjson.WriteTrace(&got, schema, &tr); err != nil {
						done <- err
						return
					}
					if !bytes.Equal(got.Bytes(), want) {
						done <- fmt.Errorf("%d spans as %s: WriteTrace wrote %d bytes, AppendTrace %d", len(tr.Spans), schema, got.Len(), len(want))
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
