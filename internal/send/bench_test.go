package send

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// BenchmarkSendHTTP sends 100 traces of 100 spans through a Sender to a
// local receiver that reads and discards the body, against the least any
// sender must do in the same run (encode and gzip the same batches):
// the ratio is what batching, HTTP and the answers cost on top.
func BenchmarkSendHTTP(b *testing.B) {
	const traces, spansEach = 100, 100
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	make := func() []ptrace.Traces {
		out := make([]ptrace.Traces, traces)
		for i := range out {
			out[i] = testTrace(i+1, spansEach)
		}
		return out
	}
	b.Run("encode-gzip-reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bt := newBatcher(DefaultBatchSpans, DefaultBatchBytes, func(bt batch) {
				body, _ := ptraceotlp.NewExportRequestFromTraces(bt.td).MarshalProto()
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				_, _ = zw.Write(body)
				_ = zw.Close()
			})
			for _, td := range make() {
				bt.add(td)
			}
			bt.flush()
		}
		b.ReportMetric(float64(traces*spansEach*b.N)/b.Elapsed().Seconds(), "spans/s")
	})
	b.Run("send", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := New(context.Background(), Config{Endpoint: srv.URL, Gzip: true})
			if err != nil {
				b.Fatal(err)
			}
			for _, td := range make() {
				if err := s.Add(td); err != nil {
					b.Fatal(err)
				}
			}
			if st, err := s.Close(); err != nil || st.Accepted != traces*spansEach {
				b.Fatalf("%v %+v", err, st)
			}
		}
		b.ReportMetric(float64(traces*spansEach*b.N)/b.Elapsed().Seconds(), "spans/s")
	})
}
