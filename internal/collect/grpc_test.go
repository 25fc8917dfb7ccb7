package collect

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// startColGRPC serves c's OTLP/gRPC service on a fresh 127.0.0.1 port and
// returns a client of it.
func startColGRPC(t *testing.T, c *Collector) ptraceotlp.GRPCClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.ServeGRPC(ln)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return ptraceotlp.NewGRPCClient(cc)
}

// The gRPC service answers as the OTLP specification asks: load is
// RESOURCE_EXHAUSTED, the collector's state UNAVAILABLE, both with
// RetryInfo so that clients retry; invalid spans are a partial success;
// each refusal is reported once with the client's address.
func TestCollectorGRPCAnswers(t *testing.T) {
	var mu sync.Mutex
	var rejections []Rejection
	sink := &colMemSink{}
	c, _ := startColCollector(t, CollectorConfig{Sink: sink, MaxBody: 1 << 16, Assembler: AssemblerConfig{Idle: time.Hour},
		OnReject: func(r Rejection) { mu.Lock(); rejections = append(rejections, r); mu.Unlock() }})
	client := startColGRPC(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := func(spans ...colTestSpan) ptraceotlp.ExportRequest {
		return ptraceotlp.NewExportRequestFromTraces(colBuildTraces(spans...))
	}
	resp, err := client.Export(ctx, req(colTestSpan{1, 1, 0, "ok"}, colTestSpan{0, 2, 0, "no trace id"}))
	if err != nil {
		t.Fatal(err)
	}
	if n := payloadMeasured.Load(); n != 0 {
		t.Errorf("the size of %d requests was measured again: the stats handler did not record it", n)
	}
	if ps := resp.PartialSuccess(); ps.RejectedSpans() != 1 || !strings.Contains(ps.ErrorMessage(), "1 spans rejected") {
		t.Errorf("partial success = %d, %q; want 1 rejected span", ps.RejectedSpans(), ps.ErrorMessage())
	}

	retryable := func(what string, err error, want codes.Code) {
		t.Helper()
		st := status.Convert(err)
		if st.Code() != want {
			t.Fatalf("%s: %v, want %s", what, err, want)
		}
		var delay time.Duration
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				delay = ri.GetRetryDelay().AsDuration()
			}
		}
		if delay <= 0 {
			t.Errorf("%s: no RetryInfo in %v", what, st.Details())
		}
	}
	c.failing.Store(true)
	_, err = client.Export(ctx, req(colTestSpan{2, 3, 0, "r"}))
	retryable("writing fails", err, codes.Unavailable)
	c.failing.Store(false)

	c.mem.tryAcquire(c.mem.max, 0) // the budget is spent
	_, err = client.Export(ctx, req(colTestSpan{2, 3, 0, "r"}))
	retryable("memory spent", err, codes.ResourceExhausted)
	c.mem.release(c.mem.max)

	_, err = client.Export(ctx, req(colTestSpan{3, 4, 0, strings.Repeat("x", 1<<16)}))
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("over --max-body: %v, want RESOURCE_EXHAUSTED", err)
	}
	if _, err := client.Export(ctx, req(colTestSpan{2, 3, 0, "r"})); err != nil {
		t.Fatalf("after the budget is free again: %v", err)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(sink.all()); got != 2 {
		t.Errorf("%d traces written, want 2", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rejections) != 2 || rejections[0].Transport != "grpc" || rejections[0].Status != "Unavailable" ||
		rejections[1].Status != "ResourceExhausted" || !strings.HasPrefix(rejections[0].Client, "127.0.0.1:") {
		t.Errorf("rejections reported: %+v", rejections)
	}
	if st := c.Stats(); st.RequestsThrottled != 2 || st.SpansReceived != 2 || st.SpansRejected != 1 {
		t.Errorf("stats %+v", st)
	}
}
