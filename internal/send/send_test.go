package send

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
)

// testTrace makes a trace of n spans (trace number tr), the first the root.
func testTrace(tr, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "svc")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("test")
	for i := range n {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{0: byte(tr >> 8), 1: byte(tr), 15: 1})
		sp.SetSpanID(pcommon.SpanID{0: byte(tr >> 8), 1: byte(tr), 6: byte(i >> 8), 7: byte(i + 1)})
		if i > 0 {
			sp.SetParentSpanID(pcommon.SpanID{0: byte(tr >> 8), 1: byte(tr), 7: 1})
		}
		sp.SetName(fmt.Sprintf("t%d-s%d", tr, i))
		sp.SetStartTimestamp(pcommon.Timestamp(1000 + i))
		sp.SetEndTimestamp(pcommon.Timestamp(2000 + i))
	}
	return td
}

// spanNames lists the span names of td in order.
func spanNames(td ptrace.Traces) []string {
	var names []string
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				names = append(names, sp.Name())
			}
		}
	}
	return names
}

// receiver is an OTLP/HTTP test server: it decodes each request (gzip,
// protobuf or JSON) and answers with what answer says for request number
// i (from 0); a nil answer function means 200 with an empty response.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(i int, w http.ResponseWriter, td ptrace.Traces) bool

	mu       sync.Mutex
	requests []ptrace.Traces
	headers  []http.Header
}

func newReceiver(t *testing.T, answer func(i int, w http.ResponseWriter, td ptrace.Traces) bool) *receiver {
	r := &receiver{t: t, answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/v1/traces" || req.Method != http.MethodPost {
		http.NotFound(w, req)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	er := ptraceotlp.NewExportRequest()
	switch req.Header.Get("Content-Type") {
	case "application/json":
		err = er.UnmarshalJSON(data)
	case "application/x-protobuf":
		err = er.UnmarshalProto(data)
	default:
		err = errors.New("content type " + req.Header.Get("Content-Type"))
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	i := len(r.requests)
	r.requests = append(r.requests, er.Traces())
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	if r.answer != nil && r.answer(i, w, er.Traces()) {
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	b, _ := ptraceotlp.NewExportResponse().MarshalProto()
	_, _ = w.Write(b)
}

// taken is every span name of the requests answered by answer as taken.
func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

// fakeTime records the waits asked for instead of waiting, and moves a
// clock on by them.
type fakeTime struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (f *fakeTime) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeTime) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.t = f.t.Add(d)
	return ctx.Err()
}

func testConfig(endpoint string, ft *fakeTime) Config {
	return Config{
		Endpoint: endpoint, Gzip: true, Timeout: 30 * time.Second,
		now: ft.now, sleep: ft.sleep, random: func() float64 { return 0.5 },
	}
}

// sendAll sends traces of the given sizes and returns the stats and error.
func sendAll(t *testing.T, cfg Config, sizes ...int) (Stats, error) {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		if err := s.Add(testTrace(i+1, n)); err != nil {
			break
		}
	}
	return s.Close()
}

func rpcStatusBody(msg string) []byte {
	b, _ := proto.Marshal(&statuspb.Status{Code: 14, Message: msg})
	return b
}

// 429 with Retry-After: the sender waits what it was told, then the batch
// goes through.
func TestRetryAfter429(t *testing.T) {
	r := newReceiver(t, func(i int, w http.ResponseWriter, _ ptrace.Traces) bool {
		if i == 0 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	ft := &fakeTime{t: time.Unix(1000, 0)}
	st, err := sendAll(t, testConfig(r.srv.URL, ft), 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second}, ft.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	want := Stats{Spans: 3, Sent: 3, Accepted: 3, Requests: 2, Retries: 1, Batches: 1}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if r.count() != 2 || len(spanNames(r.requests[1])) != 3 {
		t.Errorf("%d requests", r.count())
	}
}

// A Retry-After given as an HTTP date is honoured too.
func TestRetryAfterDate(t *testing.T) {
	ft := &fakeTime{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r := newReceiver(t, func(i int, w http.ResponseWriter, _ ptrace.Traces) bool {
		if i == 0 {
			w.Header().Set("Retry-After", ft.now().Add(7*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	if _, err := sendAll(t, testConfig(r.srv.URL, ft), 1); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, ft.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// 503, 502, 504 without Retry-After: exponential backoff with jitter
// (the random draw is fixed at 0.5: three quarters of each step).
func TestBackoffThenOK(t *testing.T) {
	codes := []int{http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout}
	r := newReceiver(t, func(i int, w http.ResponseWriter, _ ptrace.Traces) bool {
		if i < len(codes) {
			w.Header().Set("Content-Type", "application/x-protobuf")
			w.WriteHeader(codes[i])
			_, _ = w.Write(rpcStatusBody("busy"))
			return true
		}
		return false
	})
	ft := &fakeTime{t: time.Unix(1000, 0)}
	st, err := sendAll(t, testConfig(r.srv.URL, ft), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{150 * time.Millisecond, 300 * time.Millisecond, 600 * time.Millisecond}
	if diff := cmp.Diff(want, ft.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if st.Accepted != 2 || st.Requests != 4 || st.Retries != 3 || st.Refused != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestBackoffSteps(t *testing.T) {
	for _, tc := range []struct {
		retry  int
		random float64
		want   time.Duration
	}{
		{0, 0, 100 * time.Millisecond},
		{0, 0.999999, 199999980 * time.Nanosecond},
		{1, 0, 200 * time.Millisecond},
		{4, 0, 1600 * time.Millisecond},
		{5, 0, 2500 * time.Millisecond}, // capped at 5s
		{50, 1, 5 * time.Second},
	} {
		if got := backoff(tc.retry, tc.random); got.Round(time.Microsecond) != tc.want.Round(time.Microsecond) {
			t.Errorf("backoff(%d, %v) = %s, want %s", tc.retry, tc.random, got, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Fri, 02 Jan 2026 03:04:15 GMT", 10 * time.Second, true},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true}, // in the past
		{"99999999999", 24 * time.Hour, true},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// A partial success counts its rejected spans as refused, with the
// receiver's message, and the rest as accepted.
func TestPartialSuccess(t *testing.T) {
	r := newReceiver(t, func(i int, w http.ResponseWriter, _ ptrace.Traces) bool {
		resp := ptraceotlp.NewExportResponse()
		resp.PartialSuccess().SetRejectedSpans(2)
		resp.PartialSuccess().SetErrorMessage("2 spans too old")
		b, _ := resp.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		return true
	})
	ft := &fakeTime{t: time.Unix(1000, 0)}
	cfg := testConfig(r.srv.URL, ft)
	cfg.Protocol = HTTPJSON
	st, err := sendAll(t, cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	if st.Accepted != 3 || st.Refused != 2 || st.Sent != 5 || st.Reason != "partial success: 2 spans too old" || st.Retries != 0 {
		t.Errorf("stats %+v", st)
	}
	if ct := r.headers[0].Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
}

// 400 is permanent: the batch is refused, not retried, and the next
// batch is still sent.
func TestPermanent400NotRetried(t *testing.T) {
	r := newReceiver(t, func(i int, w http.ResponseWriter, _ ptrace.Traces) bool {
		if i == 0 {
			w.Header().Set("Content-Type", "application/x-protobuf")
			w.WriteHeader(http.StatusBadRequest)
			b, _ := proto.Marshal(&statuspb.Status{Code: 3, Message: "bad span"})
			_, _ = w.Write(b)
			return true
		}
		return false
	})
	ft := &fakeTime{t: time.Unix(1000, 0)}
	cfg := testConfig(r.srv.URL, ft)
	cfg.BatchSpans = 2
	st, err := sendAll(t, cfg, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Spans: 4, Sent: 4, Accepted: 2, Refused: 2, Reason: "HTTP 400 Bad Request: bad span", Requests: 2, Batches: 2}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if len(ft.waits) != 0 {
		t.Errorf("waited %v", ft.waits)
	}
}

// A receiver that asks for more time than --timeout leaves: the batch is
// given up at once (no wait), and the run stops.
func TestRetryAfterBeyondTimeout(t *testing.T) {
	r := newReceiver(t, func(i int, w http.ResponseWriter, _ ptrace.Traces) bool {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	ft := &fakeTime{t: time.Unix(1000, 0)}
	cfg := testConfig(r.srv.URL, ft)
	cfg.Timeout = 5 * time.Second
	cfg.BatchSpans = 1
	st, err := sendAll(t, cfg, 1, 1, 1)
	var ee *EndpointError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "asked to retry after 1m0s") || !strings.Contains(err.Error(), "--timeout 5s") {
		t.Fatalf("error %v", err)
	}
	if len(ft.waits) != 0 {
		t.Errorf("waited %v", ft.waits)
	}
	if st.Failed != 3 || st.Accepted != 0 || st.Sent != 0 || st.Spans != 3 {
		t.Errorf("stats %+v", st)
	}
	if r.count() != 1 {
		t.Errorf("%d requests after the run stopped, want 1", r.count())
	}
}

// Retries stop when the batch's time is up.
func TestRetriesBoundedByTimeout(t *testing.T) {
	r := newReceiver(t, func(i int, w http.ResponseWriter, _ ptrace.Traces) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	ft := &fakeTime{t: time.Unix(1000, 0)}
	cfg := testConfig(r.srv.URL, ft)
	cfg.Timeout = 10 * time.Second
	st, err := sendAll(t, cfg, 4)
	if err == nil || st.Failed != 4 {
		t.Fatalf("err %v, stats %+v", err, st)
	}
	var total time.Duration
	for _, w := range ft.waits {
		total += w
	}
	if total > 10*time.Second || total < 5*time.Second {
		t.Errorf("waited %s in all (%v), want most of the 10s", total, ft.waits)
	}
	if st.Requests != st.Retries+1 {
		t.Errorf("%d requests, %d retries", st.Requests, st.Retries)
	}
}

// 404 stops the run with a hint about the path; later batches are not sent.
func TestNotFoundStops(t *testing.T) {
	r := newReceiver(t, nil)
	ft := &fakeTime{t: time.Unix(1000, 0)}
	cfg := testConfig(r.srv.URL+"/wrong/path", ft)
	cfg.BatchSpans = 1
	st, err := sendAll(t, cfg, 1, 1, 1)
	var ee *EndpointError
	if !errors.As(err, &ee) || !strings.Contains(ee.Error(), "HTTP 404") || !strings.Contains(ee.Hint, "/v1/traces") {
		t.Fatalf("error %#v", err)
	}
	if !strings.Contains(ee.Endpoint, "/wrong/path") {
		t.Errorf("endpoint %q: want the URL as given", ee.Endpoint)
	}
	if st.Failed != 3 || st.Requests != 1 {
		t.Errorf("stats %+v", st)
	}
}

// Headers are sent on every request, gzip is on by default and can be
// turned off, and the User-Agent names tracectl.
func TestHeadersAndGzip(t *testing.T) {
	for _, gz := range []bool{true, false} {
		r := newReceiver(t, nil)
		ft := &fakeTime{t: time.Unix(1000, 0)}
		cfg := testConfig(r.srv.URL, ft)
		cfg.Gzip = gz
		cfg.UserAgent = "tracectl/test"
		cfg.Headers = []Header{{"x-mlflow-experiment-id", "42"}, {"Authorization", "Bearer a=b"}}
		if _, err := sendAll(t, cfg, 2); err != nil {
			t.Fatal(err)
		}
		h := r.headers[0]
		if h.Get("X-Mlflow-Experiment-Id") != "42" || h.Get("Authorization") != "Bearer a=b" || h.Get("User-Agent") != "tracectl/test" {
			t.Errorf("headers %v", h)
		}
		if got := h.Get("Content-Encoding") == "gzip"; got != gz {
			t.Errorf("gzip %v: Content-Encoding %q", gz, h.Get("Content-Encoding"))
		}
	}
}

// Batches: a trace is never split when it fits a batch, every span is
// sent once, in order, and no batch is over the span limit.
func TestBatchesBySpans(t *testing.T) {
	r := newReceiver(t, nil)
	ft := &fakeTime{t: time.Unix(1000, 0)}
	cfg := testConfig(r.srv.URL, ft)
	cfg.BatchSpans = 4
	sizes := []int{2, 2, 3, 1, 9, 4, 1}
	st, err := sendAll(t, cfg, sizes...)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	var all []string
	for _, td := range r.requests {
		got = append(got, spanNames(td))
		all = append(all, spanNames(td)...)
	}
	var want []string
	for i, n := range sizes {
		want = append(want, spanNames(testTrace(i+1, n))...)
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("spans sent (-want +got):\n%s", diff)
	}
	wantBatches := [][]string{
		{"t1-s0", "t1-s1", "t2-s0", "t2-s1"},
		{"t3-s0", "t3-s1", "t3-s2", "t4-s0"},
		{"t5-s0", "t5-s1", "t5-s2", "t5-s3"}, // 9 spans: split
		{"t5-s4", "t5-s5", "t5-s6", "t5-s7"},
		{"t5-s8"},
		{"t6-s0", "t6-s1", "t6-s2", "t6-s3"},
		{"t7-s0"},
	}
	if diff := cmp.Diff(wantBatches, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	if st.Batches != len(wantBatches) || st.Accepted != 22 {
		t.Errorf("stats %+v", st)
	}
	// A split trace keeps one resource and scope per request.
	if n := r.requests[3].ResourceSpans().Len(); n != 1 {
		t.Errorf("split batch has %d resources, want 1", n)
	}
}

// Batches are bounded in bytes too: big spans go in smaller batches,
// and a span bigger than the bound goes alone.
func TestBatchesByBytes(t *testing.T) {
	var got []int
	b := newBatcher(100, 10_000, func(bt batch) {
		if n := (&ptrace.ProtoMarshaler{}).TracesSize(bt.td); n > 10_000 && bt.spans > 1 {
			t.Errorf("batch of %d spans is %d bytes", bt.spans, n)
		}
		got = append(got, bt.spans)
	})
	big := func(tr, n, attrBytes int) ptrace.Traces {
		td := testTrace(tr, n)
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					sp.Attributes().PutStr("gen_ai.prompt", strings.Repeat("x", attrBytes))
				}
			}
		}
		return td
	}
	b.add(big(1, 3, 2000))  // 3 spans, ~6 KB: fits
	b.add(big(2, 3, 2000))  // does not fit with the first: a new batch
	b.add(big(3, 10, 3000)) // ~30 KB: split, its first span fills the batch of trace 2, then 3 a batch
	b.add(big(4, 1, 20000)) // one span over the bound: alone
	b.add(big(5, 1, 10))
	b.flush()
	if diff := cmp.Diff([]int{3, 4, 3, 3, 3, 1, 1}, got); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
}

// Spans without a trace id or span id are not sent (no receiver can place
// them), counted as skipped with the reason.
func TestSkipsSpansWithoutIDs(t *testing.T) {
	r := newReceiver(t, nil)
	ft := &fakeTime{t: time.Unix(1000, 0)}
	s, err := New(context.Background(), testConfig(r.srv.URL, ft))
	if err != nil {
		t.Fatal(err)
	}
	td := testTrace(1, 3)
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1).SetSpanID(pcommon.SpanID{})
	if err := s.Add(td); err != nil {
		t.Fatal(err)
	}
	st, err := s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st.Spans != 3 || st.Skipped != 1 || st.Accepted != 2 || !strings.Contains(st.SkipReason, "empty span id") {
		t.Errorf("stats %+v", st)
	}
	if diff := cmp.Diff([]string{"t1-s0", "t1-s2"}, spanNames(r.requests[0])); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
}

// An endpoint nobody listens on is named at once.
func TestReachRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, proto := range Protocols {
		cfg := Config{Endpoint: "http://" + addr, Protocol: proto}
		s, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Reach(context.Background())
		var ee *EndpointError
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), "cannot reach "+addr) || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%s: %v", proto, err)
		}
		if _, err := s.Close(); err != nil {
			t.Errorf("%s: close: %v", proto, err)
		}
	}
}

func TestResolveEndpoint(t *testing.T) {
	for _, tc := range []struct {
		endpoint, protocol string
		want               Target
		err                string
	}{
		{"http://localhost:4318", HTTPProtobuf, Target{URL: "http://localhost:4318/v1/traces", Addr: "localhost:4318"}, ""},
		{"http://localhost:4318/", HTTPJSON, Target{URL: "http://localhost:4318/v1/traces", Addr: "localhost:4318"}, ""},
		{"https://otlp.example.com", HTTPProtobuf, Target{URL: "https://otlp.example.com/v1/traces", Addr: "otlp.example.com:443", TLS: true}, ""},
		{"http://mlflow:5000/v1/traces", HTTPProtobuf, Target{URL: "http://mlflow:5000/v1/traces", Addr: "mlflow:5000"}, ""},
		{"http://phoenix:6006/custom/otlp", HTTPProtobuf, Target{URL: "http://phoenix:6006/custom/otlp", Addr: "phoenix:6006"}, ""},
		{"http://[::1]:4318", HTTPProtobuf, Target{URL: "http://[::1]:4318/v1/traces", Addr: "[::1]:4318"}, ""},
		{"localhost:4317", GRPC, Target{URL: "http://localhost:4317", Addr: "localhost:4317"}, ""},
		{"https://tempo.example.com", GRPC, Target{URL: "https://tempo.example.com", Addr: "tempo.example.com:443", TLS: true}, ""},
		{"localhost:4318", HTTPProtobuf, Target{}, "want an http:// or https:// URL"},
		{"ftp://x", GRPC, Target{}, "want host:port or an http:// or https:// URL"},
		{"http://", HTTPProtobuf, Target{}, "no host"},
		{"http://localhost:4317/v1/traces", GRPC, Target{}, "a gRPC endpoint has no path"},
		{"http://u:p@host", HTTPProtobuf, Target{}, "user info"},
		{"http://host:99x", HTTPProtobuf, Target{}, "invalid endpoint"},
		{"", HTTPProtobuf, Target{}, "empty endpoint"},
	} {
		got, err := ResolveEndpoint(tc.endpoint, tc.protocol)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %s: error %v, want %q", tc.endpoint, tc.protocol, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q %s: %+v, %v; want %+v", tc.endpoint, tc.protocol, got, err, tc.want)
		}
	}
}

var _ = strconv.Itoa

// Interrupted (Ctrl-C) while a request hangs: the request is abandoned,
// its spans and the later ones counted as not delivered, and Close says
// so.
func TestInterrupted(t *testing.T) {
	arrived := make(chan struct{}, 1)
	r := newReceiver(t, func(i int, w http.ResponseWriter, _ ptrace.Traces) bool {
		arrived <- struct{}{}
		time.Sleep(200 * time.Millisecond) // hangs past the interrupt
		return false
	})
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTime{t: time.Unix(1000, 0)}
	cfg := testConfig(r.srv.URL, ft)
	cfg.BatchSpans = 2
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(testTrace(1, 2)); err != nil {
		t.Fatal(err)
	}
	<-arrived
	cancel()
	_ = s.Add(testTrace(2, 2))
	st, err := s.Close()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if st.Failed != 4 || st.Accepted != 0 || st.Spans != 4 {
		t.Errorf("stats %+v", st)
	}
}
