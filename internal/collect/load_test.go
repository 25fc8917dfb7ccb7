package collect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"tracectl/internal/spanjson"
)

// colLoadSpan is one generated span.
type colLoadSpan struct {
	trace         spanjson.TraceID
	span, parent  spanjson.SpanID
	name          string
	start, finish int64
}

// colGenTraces makes n traces of 1 to maxSpans spans each, every span's
// parent an earlier span of its trace; trace ids are unique per seed.
func colGenTraces(rng *rand.Rand, seed, n, maxSpans int) [][]colLoadSpan {
	out := make([][]colLoadSpan, n)
	for i := range out {
		var t spanjson.TraceID
		t[0], t[1], t[2] = 0x10, byte(seed), byte(seed>>8)
		t[12], t[13], t[14], t[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		count := 1 + rng.IntN(maxSpans)
		spans := make([]colLoadSpan, count)
		for j := range spans {
			s := colLoadSpan{trace: t, name: fmt.Sprintf("t%d-s%d", i, j), start: int64(1_700_000_000_000_000_000 + j), finish: int64(1_700_000_001_000_000_000 - j)}
			s.span[0], s.span[1], s.span[6], s.span[7] = byte(seed), byte(i), byte(j>>8), byte(j)+1
			if j > 0 {
				s.parent = spans[rng.IntN(j)].span
			}
			spans[j] = s
		}
		out[i] = spans
	}
	return out
}

func colLoadBody(spans []colLoadSpan, asJSON bool) ([]byte, error) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "load")
	ps := rs.ScopeSpans().AppendEmpty().Spans()
	ps.EnsureCapacity(len(spans))
	for _, s := range spans {
		sp := ps.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID(s.trace))
		sp.SetSpanID(pcommon.SpanID(s.span))
		sp.SetParentSpanID(pcommon.SpanID(s.parent))
		sp.SetName(s.name)
		sp.SetKind(ptrace.SpanKindInternal)
		sp.SetStartTimestamp(pcommon.Timestamp(s.start))
		sp.SetEndTimestamp(pcommon.Timestamp(s.finish))
		sp.Attributes().PutStr("mlflow.spanType", `"LLM"`)
		sp.Attributes().PutInt("n", int64(s.span[7]))
	}
	req := ptraceotlp.NewExportRequestFromTraces(td)
	if asJSON {
		return req.MarshalJSON()
	}
	return req.MarshalProto()
}

// colSendWithRetry posts body until it is accepted, honouring 503.
func colSendWithRetry(client *http.Client, url, contentType, encoding string, body []byte) error {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", contentType)
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode == http.StatusServiceUnavailable && attempt < 10000:
			time.Sleep(time.Millisecond)
		default:
			return fmt.Errorf("status %d", resp.StatusCode)
		}
	}
}

// colSendGRPCWithRetry exports an encoded request over gRPC, retrying the
// answers the OTLP specification calls retryable.
func colSendGRPCWithRetry(cc *grpc.ClientConn, body []byte) error {
	var resp []byte
	for attempt := 0; ; attempt++ {
		err := cc.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export", &body, &resp, grpc.ForceCodec(colRawCodec{}))
		switch c := status.Code(err); {
		case err == nil:
			return nil
		case (c == codes.Unavailable || c == codes.ResourceExhausted) && attempt < 10000:
			time.Sleep(time.Millisecond)
		default:
			return err
		}
	}
}

// Several senders deliver thousands of traces, their spans shuffled across
// requests (within windows of 50 traces, so a trace's spans come within
// milliseconds of each other) over HTTP in protobuf and JSON, plain and
// gzip, and over gRPC. --idle is
// 5s: far longer than a window takes even on a loaded 2-core machine (at 1s
// a stalled sender's late span made a second record), so most traces are
// written at shutdown; idle completion itself is tested with a fake clock in
// assembler_test.go. Every span sent is written exactly once, every
// trace whole.
func TestCollectorLoad(t *testing.T) {
	const (
		senders   = 4
		perSender = 1000
		maxSpans  = 8
		window    = 50
		perReq    = 40
	)
	sink := &colMemSink{}
	c, base := startColCollector(t, CollectorConfig{
		Assembler: AssemblerConfig{Idle: 5 * time.Second},
		QueueSize: 16, // small, so the writers fall behind now and then
		Sink:      sink,
	})
	url := base + "/v1/traces"
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.ServeGRPC(gln)
	cc, err := grpc.NewClient(gln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	sent := make([][][]colLoadSpan, senders)
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for g := range senders {
		rng := rand.New(rand.NewPCG(uint64(g), 42))
		sent[g] = colGenTraces(rng, g+1, perSender, maxSpans)
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			defer client.CloseIdleConnections()
			traces := sent[g]
			for w := 0; w < len(traces); w += window {
				var spans []colLoadSpan
				for _, tr := range traces[w:min(w+window, len(traces))] {
					spans = append(spans, tr...)
				}
				rng.Shuffle(len(spans), func(i, j int) { spans[i], spans[j] = spans[j], spans[i] })
				for r := 0; r < len(spans); r += perReq {
					chunk := spans[r:min(r+perReq, len(spans))]
					overGRPC := rng.IntN(3) == 0
					asJSON := !overGRPC && rng.IntN(4) == 0
					body, err := colLoadBody(chunk, asJSON)
					if err != nil {
						errs <- err
						return
					}
					if overGRPC {
						if err := colSendGRPCWithRetry(cc, body); err != nil {
							errs <- err
							return
						}
						continue
					}
					contentType, encoding := "application/x-protobuf", ""
					if asJSON {
						contentType = "application/json"
					}
					if rng.IntN(3) == 0 {
						body, encoding = colGzip(t, body), "gzip"
					}
					if err := colSendWithRetry(client, url, contentType, encoding, body); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	before := c.Stats().TracesWritten
	// The same path SIGTERM takes.
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	want := map[spanjson.TraceID]map[spanjson.SpanID]colLoadSpan{}
	total := 0
	for _, traces := range sent {
		for _, tr := range traces {
			m := map[spanjson.SpanID]colLoadSpan{}
			for _, s := range tr {
				m[s.span] = s
				total++
			}
			want[tr[0].trace] = m
		}
	}
	written := sink.all()
	if len(written) != len(want) {
		t.Errorf("%d traces written, want %d", len(written), len(want))
	}
	seen := map[spanjson.TraceID]bool{}
	spans := 0
	for _, ct := range written {
		if ct.Incomplete != "" || ct.Evicted {
			t.Errorf("trace %s: incomplete %q, evicted %v", ct.Trace.Info.TraceID, ct.Incomplete, ct.Evicted)
		}
		if len(ct.Trace.Spans) == 0 {
			t.Fatalf("trace %s written without spans", ct.Trace.Info.TraceID)
		}
		id := ct.Trace.Spans[0].TraceID()
		if seen[id] {
			t.Errorf("trace %s written twice (split)", id)
		}
		seen[id] = true
		exp := want[id]
		if len(ct.Trace.Spans) != len(exp) {
			t.Errorf("trace %s: %d spans written, %d sent", id, len(ct.Trace.Spans), len(exp))
		}
		for _, s := range ct.Trace.Spans {
			spans++
			e, ok := exp[s.SpanID()]
			if !ok || s.ParentID() != e.parent || s.Name() != e.name || s.StartTime() != e.start || s.EndTime() != e.finish {
				t.Errorf("trace %s: span %s (%q, parent %s) was not sent like this", id, s.SpanID(), s.Name(), s.ParentID())
			}
			delete(exp, s.SpanID()) // a second copy would fail the lookup above
		}
	}
	if spans != total {
		t.Errorf("%d spans written, %d sent", spans, total)
	}
	st := c.Stats()
	if st.SpansReceived != int64(total) || st.SpansWritten != int64(total) || st.TracesWritten != int64(len(want)) || st.SpansDuplicate != 0 {
		t.Errorf("stats = %+v; want %d spans received and written, %d traces", st, total, len(want))
	}
	t.Logf("%d traces, %d spans, %d requests, %d throttled (503); %d traces written before shutdown", len(want), total, st.Requests, st.RequestsThrottled, before)
}
