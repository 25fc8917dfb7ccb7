package spanjson

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// otlpReceiver is a minimal OTLP/HTTP JSON receiver built from the
// collector's pdata packages, as a collector's otlpreceiver handles
// POST /v1/traces: 200 with an ExportTraceServiceResponse for a request it
// can decode, 400 otherwise.
type otlpReceiver struct {
	srv   *httptest.Server
	spans atomic.Int64
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rcv := &otlpReceiver{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			http.Error(w, "unsupported content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalJSON(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rcv.spans.Add(int64(req.Traces().SpanCount()))
		resp, err := ptraceotlp.NewExportResponse().MarshalJSON()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(resp)
	})
	rcv.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(rcv.srv.Close)
	return rcv
}

// post sends body to /v1/traces and returns the status code and response.
func (rcv *otlpReceiver) post(t *testing.T, body []byte) (int, string) {
	t.Helper()
	resp, err := rcv.srv.Client().Post(rcv.srv.URL+"/v1/traces", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOTLPReceiverAcceptsOurOutput(t *testing.T) {
	rcv := newOTLPReceiver(t)

	snake, _ := decodeOTLPBytes(t, otlpDocs(t, otlpTestFile(t, "snake_case.json"))[0])
	cases := []struct {
		name  string
		trace *Trace
	}{
		{"snake_case fixture", &snake[0]},
		{"MLflow-shaped trace", mlflowShapedTrace()},
	}
	// The real samples, when ../shared/samples is beside the checkout.
	for _, f := range presentSamples(t, "open-telemetry-opentelemetry-proto__examples_trace.json") {
		sample, _ := decodeOTLPBytes(t, otlpDocs(t, f)[0])
		cases = append(cases, struct {
			name  string
			trace *Trace
		}{"OTLP sample", &sample[0]})
	}
	cases = append(cases, mlflowSampleTracesForReceiver(t)...)
	var want int64
	for _, c := range cases {
		out, _, err := AppendTrace(nil, SchemaOTLP, c.trace)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		code, body := rcv.post(t, out)
		if code != http.StatusOK {
			t.Errorf("%s: receiver answered %d: %s", c.name, code, body)
		}
		want += int64(len(c.trace.Spans))
	}
	if got := rcv.spans.Load(); got != want {
		t.Errorf("receiver counted %d spans, want %d", got, want)
	}
}

// The receiver is not a rubber stamp: it refuses what the collector cannot
// decode.
func TestOTLPReceiverRejectsBadRequests(t *testing.T) {
	rcv := newOTLPReceiver(t)
	opaque, _ := decodeOTLPBytes(t, otlpDocs(t, otlpTestFile(t, "opaque_ids.json"))[0])
	withOpaqueIDs, _, _ := appendOTLP(nil, &opaque[0])
	for name, body := range map[string][]byte{
		"not JSON":          []byte(`{"resourceSpans":[`),
		"invalid trace ids": withOpaqueIDs,
	} {
		if code, _ := rcv.post(t, body); code != http.StatusBadRequest {
			t.Errorf("%s: receiver answered %d, want 400", name, code)
		}
	}
	if got := rcv.spans.Load(); got != 0 {
		t.Errorf("receiver counted %d spans from bad requests", got)
	}
}

// mlflowSampleTracesForReceiver reads the real MLflow samples with the
// package's decoder, for converting them to OTLP (none without
// ../shared/samples).
func mlflowSampleTracesForReceiver(t *testing.T) []struct {
	name  string
	trace *Trace
} {
	t.Helper()
	var out []struct {
		name  string
		trace *Trace
	}
	for _, f := range presentSamples(t,
		"mlflow-mlflow-website__bedrock-chat-model-part-1_trace_excerpt.json",
		"mnorberg-dev-mnorberg-dev.github.io__databricks_output_trace_ok.json",
	) {
		docs, err := decodeFileForTest(t, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range docs {
			for i := range d.Traces {
				out = append(out, struct {
					name  string
					trace *Trace
				}{f, &d.Traces[i]})
			}
		}
	}
	return out
}

func decodeFileForTest(t *testing.T, path string) ([]*Document, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return DecodeAll(f, path)
}
