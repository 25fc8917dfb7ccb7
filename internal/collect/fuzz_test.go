package collect

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzCollectorExport posts arbitrary bodies as protobuf, JSON and gzip:
// the handler never panics, answers 200, 400 or 413, and every span it
// accepts is written once at shutdown.
func FuzzCollectorExport(f *testing.F) {
	f.Add(uint8(0), colProtoBody(f, colTestSpan{1, 1, 0, "a"}, colTestSpan{1, 2, 1, "b"}))
	f.Add(uint8(1), colJSONBody(f, colTestSpan{1, 1, 0, "a"}, colTestSpan{0, 2, 1, "no trace id"}))
	f.Add(uint8(2), colGzip(f, colProtoBody(f, colTestSpan{2, 1, 0, "gz"})))
	f.Add(uint8(1), []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`))
	f.Fuzz(func(t *testing.T, mode uint8, body []byte) {
		sink := &colMemSink{}
		c := NewCollector(CollectorConfig{MaxBody: 1 << 16, Sink: sink})
		req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(body))
		switch mode % 3 {
		case 0:
			req.Header.Set("Content-Type", "application/x-protobuf")
		case 1:
			req.Header.Set("Content-Type", "application/json")
		case 2:
			req.Header.Set("Content-Type", "application/x-protobuf")
			req.Header.Set("Content-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if err := c.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := c.Stats()
		written := 0
		for _, ct := range sink.all() {
			written += len(ct.Trace.Spans) + ct.Duplicates
		}
		if int64(written) != st.SpansReceived {
			t.Fatalf("%d spans received, %d written (duplicates included)", st.SpansReceived, written)
		}
	})
}
