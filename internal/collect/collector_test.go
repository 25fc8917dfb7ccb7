package collect

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.uber.org/goleak"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"tracectl/internal/spanjson"
	"tracectl/internal/testclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// colMemSink keeps what it is given. When gate is set, WriteTrace waits for
// it to be closed.
type colMemSink struct {
	mu     sync.Mutex
	traces []*CollectedTrace
	closed bool
	gate   chan struct{}
}

func (s *colMemSink) WriteTraces(cts []*CollectedTrace) (int, error) {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.traces = append(s.traces, cts...)
	return len(cts), nil
}

func (s *colMemSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// all returns the traces written, by trace id (writers run in parallel).
func (s *colMemSink) all() []*CollectedTrace {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]*CollectedTrace(nil), s.traces...)
	slices.SortStableFunc(out, func(a, b *CollectedTrace) int { return strings.Compare(a.Trace.Info.TraceID, b.Trace.Info.TraceID) })
	return out
}

// startColCollector serves c on a fresh 127.0.0.1 port and returns the base
// URL; the collector is shut down at the end of the test.
func startColCollector(t testing.TB, cfg CollectorConfig) (*Collector, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(cfg)
	c.Start(ln)
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c, "http://" + ln.Addr().String()
}

// colTestSpan describes a span for a request body.
type colTestSpan struct {
	trace, span, parent int
	name                string
}

func colBuildTraces(spans ...colTestSpan) ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for _, s := range spans {
		sp := ss.Spans().AppendEmpty()
		if s.trace != 0 {
			sp.SetTraceID(pcommon.TraceID(colTID(s.trace)))
		}
		if s.span != 0 {
			sp.SetSpanID(pcommon.SpanID(colSID(s.span)))
		}
		if s.parent != 0 {
			sp.SetParentSpanID(pcommon.SpanID(colSID(s.parent)))
		}
		sp.SetName(s.name)
		sp.SetStartTimestamp(pcommon.Timestamp(1000 + s.span))
		sp.SetEndTimestamp(pcommon.Timestamp(2000 + s.span))
		sp.Attributes().PutStr("k", s.name)
	}
	return td
}

func colProtoBody(t testing.TB, spans ...colTestSpan) []byte {
	t.Helper()
	b, err := ptraceotlp.NewExportRequestFromTraces(colBuildTraces(spans...)).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func colJSONBody(t testing.TB, spans ...colTestSpan) []byte {
	t.Helper()
	b, err := ptraceotlp.NewExportRequestFromTraces(colBuildTraces(spans...)).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func colGzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type colResult struct {
	status int
	header http.Header
	body   []byte
}

func colPost(t testing.TB, client *http.Client, url, contentType, encoding string, body io.Reader) colResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return colResult{resp.StatusCode, resp.Header, b}
}

func TestCollectorBadInput(t *testing.T) {
	sink := &colMemSink{}
	_, base := startColCollector(t, CollectorConfig{MaxBody: 64 << 10, Sink: sink})
	url := base + "/v1/traces"
	good := colProtoBody(t, colTestSpan{1, 1, 0, "root"})
	// 1 MiB of zeros gzips to about 1 KiB: small on the wire, over the limit
	// once decompressed.
	bomb := colGzip(t, make([]byte, 1<<20))
	big := bytes.Repeat([]byte{'x'}, 65<<10)

	tests := []struct {
		name        string
		method      string
		contentType string
		encoding    string
		body        io.Reader
		wantStatus  int
		wantMsg     string // in the google.rpc.Status message
		protoStatus bool   // the error body is protobuf
	}{
		{"truncated protobuf", "POST", "application/x-protobuf", "", bytes.NewReader(good[:len(good)-3]), 400, "malformed protobuf", true},
		{"garbage protobuf", "POST", "application/x-protobuf", "", strings.NewReader("\xff\xff\xff\xff"), 400, "malformed protobuf", true},
		{"invalid JSON", "POST", "application/json", "", strings.NewReader(`{"resourceSpans":[{`), 400, "malformed JSON", false},
		{"JSON with a bad trace id", "POST", "application/json", "", strings.NewReader(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0102030405060708"}]}]}]}`), 400, "malformed JSON", false},
		{"oversized, with Content-Length", "POST", "application/x-protobuf", "", bytes.NewReader(big), 413, "over the limit", true},
		{"oversized, chunked", "POST", "application/x-protobuf", "", io.MultiReader(bytes.NewReader(big)), 413, "over the limit", true},
		{"gzip bomb", "POST", "application/x-protobuf", "gzip", bytes.NewReader(bomb), 413, "decompressed body is over the limit", true},
		{"not gzip", "POST", "application/json", "gzip", strings.NewReader("{}"), 400, "gzip", false},
		{"wrong content type", "POST", "text/plain", "", bytes.NewReader(good), 415, "unsupported content type", false},
		{"no content type", "POST", "", "", bytes.NewReader(good), 415, "unsupported content type", false},
		{"unknown encoding", "POST", "application/x-protobuf", "br", bytes.NewReader(good), 415, "content encoding", true},
		{"GET", "GET", "application/x-protobuf", "", nil, 405, "use POST", true},
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, url, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, tt.wantStatus, body)
			}
			var st statuspb.Status
			if tt.protoStatus {
				err = proto.Unmarshal(body, &st)
			} else {
				err = protojson.Unmarshal(body, &st)
			}
			if err != nil {
				t.Fatalf("error body %q is not a google.rpc.Status: %v", body, err)
			}
			if !strings.Contains(st.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", st.Message, tt.wantMsg)
			}
			// The server keeps serving: a good request right after works.
			r := colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{100 + i, 1, 0, "after"})))
			if r.status != 200 {
				t.Fatalf("good request after a bad one: status %d, body %q", r.status, r.body)
			}
		})
	}
}

func TestCollectorAcceptsProtoJSONAndGzip(t *testing.T) {
	sink := &colMemSink{}
	c, base := startColCollector(t, CollectorConfig{Sink: sink})
	url := base + "/v1/traces"
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	requests := []struct {
		contentType, encoding string
		body                  []byte
	}{
		{"application/x-protobuf", "", colProtoBody(t, colTestSpan{1, 1, 0, "a"})},
		{"application/x-protobuf", "gzip", colGzip(t, colProtoBody(t, colTestSpan{1, 2, 1, "b"}))},
		{"application/json", "", colJSONBody(t, colTestSpan{1, 3, 1, "c"})},
		{"application/json; charset=utf-8", "gzip", colGzip(t, colJSONBody(t, colTestSpan{1, 4, 3, "d"}))},
	}
	for _, r := range requests {
		res := colPost(t, client, url, r.contentType, r.encoding, bytes.NewReader(r.body))
		if res.status != 200 {
			t.Fatalf("%s %s: status %d, body %q", r.contentType, r.encoding, res.status, res.body)
		}
		resp := ptraceotlp.NewExportResponse()
		var err error
		if strings.HasPrefix(r.contentType, "application/json") {
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("response Content-Type %q, want application/json", ct)
			}
			err = resp.UnmarshalJSON(res.body)
		} else {
			if ct := res.header.Get("Content-Type"); ct != "application/x-protobuf" {
				t.Errorf("response Content-Type %q, want application/x-protobuf", ct)
			}
			err = resp.UnmarshalProto(res.body)
		}
		if err != nil {
			t.Fatalf("response %q is not an ExportTraceServiceResponse: %v", res.body, err)
		}
		if n := resp.PartialSuccess().RejectedSpans(); n != 0 {
			t.Errorf("rejected %d spans, want 0", n)
		}
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := colSummarize(sink.all())
	want := []colSummary{{Trace: colTID(1).MLflowID(), Spans: []string{"a", "b", "c", "d"}, State: spanjson.StateOK}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	if !sink.closed {
		t.Error("Shutdown did not close the sink")
	}
}

func TestCollectorPartialSuccess(t *testing.T) {
	for _, format := range []string{"application/x-protobuf", "application/json"} {
		t.Run(format, func(t *testing.T) {
			sink := &colMemSink{}
			c, base := startColCollector(t, CollectorConfig{Sink: sink})
			spans := []colTestSpan{{1, 1, 0, "ok"}, {0, 2, 0, "no-trace-id"}, {1, 0, 1, "no-span-id"}}
			var body []byte
			if format == "application/json" {
				body = colJSONBody(t, spans...)
			} else {
				body = colProtoBody(t, spans...)
			}
			client := &http.Client{Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			res := colPost(t, client, base+"/v1/traces", format, "", bytes.NewReader(body))
			if res.status != 200 {
				t.Fatalf("status %d, body %q", res.status, res.body)
			}
			resp := ptraceotlp.NewExportResponse()
			var err error
			if format == "application/json" {
				err = resp.UnmarshalJSON(res.body)
			} else {
				err = resp.UnmarshalProto(res.body)
			}
			if err != nil {
				t.Fatal(err)
			}
			ps := resp.PartialSuccess()
			if ps.RejectedSpans() != 2 || !strings.Contains(ps.ErrorMessage(), `"no-trace-id"`) {
				t.Errorf("partial success = %d rejected, %q; want 2 naming the first bad span", ps.RejectedSpans(), ps.ErrorMessage())
			}
			if err := c.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := c.Stats()
			if st.SpansReceived != 1 || st.SpansRejected != 2 || st.TracesWritten != 1 {
				t.Errorf("stats = %+v; want 1 received, 2 rejected, 1 trace", st)
			}
		})
	}
}

func TestCollectorHealthzAndStats(t *testing.T) {
	sink := &colMemSink{}
	_, base := startColCollector(t, CollectorConfig{Sink: sink})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	colPost(t, client, base+"/v1/traces", "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{1, 1, 0, "a"}, colTestSpan{2, 2, 1, "b"})))
	colPost(t, client, base+"/v1/traces", "text/plain", "", strings.NewReader("x"))

	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", resp.StatusCode, b)
	}
	resp, err = client.Post(base+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST /healthz = %d, want 405", resp.StatusCode)
	}

	resp, err = client.Get(base + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"requests": 2`, `"requests_bad": 1`, `"spans_received": 2`, `"traces_held": 2`, `"spans_held": 2`, `"traces_written": 0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("GET /stats = %s; missing %s", b, want)
		}
	}
}

func TestCollectorBackpressure(t *testing.T) {
	sink := &colMemSink{gate: make(chan struct{})}
	clk := testclock.New()
	c, base := startColCollector(t, CollectorConfig{
		Assembler: AssemblerConfig{Idle: time.Second, Now: clk.Now},
		QueueSize: 1, Writers: 1, Tick: time.Hour, Sink: sink,
	})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	url := base + "/v1/traces"
	send := func(i int) {
		if r := colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{i, i, 0, "r"}))); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
	}
	// Trace 1 goes to the writer, which blocks; then trace 2 fills the
	// queue and trace 3 waits in ExpireNow until there is room.
	send(1)
	clk.Advance(2 * time.Second)
	c.ExpireNow()
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().QueueLength > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	send(2)
	send(3)
	clk.Advance(2 * time.Second)
	expired := make(chan struct{})
	go func() { c.ExpireNow(); close(expired) }()
	for c.Stats().QueueLength < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	r := colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{4, 4, 0, "r"})))
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("with the writer behind: status %d, Retry-After %q; want 503 and a Retry-After", r.status, r.header.Get("Retry-After"))
	}
	close(sink.gate)
	<-expired
	// The client retries and is accepted now.
	for {
		r = colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{4, 4, 0, "r"})))
		if r.status == 200 {
			break
		}
		if r.status != 503 || time.Now().After(deadline) {
			t.Fatalf("retry: status %d", r.status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(sink.all()); got != 4 {
		t.Errorf("%d traces written, want 4", got)
	}
	if st := c.Stats(); st.RequestsThrottled < 1 || st.TracesWritten != 4 {
		t.Errorf("stats = %+v; want >= 1 throttled, 4 written", st)
	}
}

func TestCollectorShutdownWritesHeld(t *testing.T) {
	sink := &colMemSink{}
	c, base := startColCollector(t, CollectorConfig{Sink: sink})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	colPost(t, client, base+"/v1/traces", "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{1, 1, 0, "root"}, colTestSpan{2, 2, 7, "orphan"})))
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []colSummary{
		{Trace: colTID(1).MLflowID(), Spans: []string{"root"}, State: spanjson.StateOK},
		{Trace: colTID(2).MLflowID(), Spans: []string{"orphan"}, State: spanjson.StateError,
			Tags: map[string]string{spanjson.TagIncomplete: IncompleteShutdown}, Incomplete: IncompleteShutdown},
	}
	if diff := cmp.Diff(want, colSummarize(sink.all())); diff != "" {
		t.Errorf("written at shutdown (-want +got):\n%s", diff)
	}
	// No longer accepting.
	if _, err := client.Post(base+"/v1/traces", "application/x-protobuf", bytes.NewReader(colProtoBody(t, colTestSpan{3, 3, 0, "late"}))); err == nil {
		t.Error("request after Shutdown succeeded")
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

// The ticker lets complete traces go on its own (real clock, short idle).
func TestCollectorTickerWritesIdleTraces(t *testing.T) {
	sink := &colMemSink{}
	_, base := startColCollector(t, CollectorConfig{Assembler: AssemblerConfig{Idle: 20 * time.Millisecond}, Sink: sink})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	colPost(t, client, base+"/v1/traces", "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{1, 1, 0, "root"})))
	deadline := time.Now().Add(10 * time.Second)
	for len(sink.all()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("trace not written 10s after it went idle")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A collector that was started, served and shut down leaves no goroutine
// behind.
func TestCollectorShutdownLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	sink := &colMemSink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(CollectorConfig{Assembler: AssemblerConfig{Idle: 10 * time.Millisecond}, Sink: sink})
	c.Start(ln)
	client := &http.Client{Timeout: 10 * time.Second}
	r := colPost(t, client, "http://"+ln.Addr().String()+"/v1/traces", "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{1, 1, 0, "a"})))
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	client.CloseIdleConnections()
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sink.all()) != 1 {
		t.Errorf("%d traces written, want 1", len(sink.all()))
	}
}
