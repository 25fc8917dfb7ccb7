package send

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// grpcReceiver is an OTLP/gRPC test server built on pdata's own service.
type grpcReceiver struct {
	ptraceotlp.UnimplementedGRPCServer
	answer func(i int) (ptraceotlp.ExportResponse, error)

	mu       sync.Mutex
	requests []ptrace.Traces
	md       []metadata.MD
	compress string // of the last request, as its header said
}

// grpcReceiver is also a stats.Handler, to see the requests' compression.
func (g *grpcReceiver) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (g *grpcReceiver) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (g *grpcReceiver) HandleConn(context.Context, stats.ConnStats) {}
func (g *grpcReceiver) HandleRPC(_ context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok {
		g.mu.Lock()
		g.compress = h.Compression
		g.mu.Unlock()
	}
}

func (g *grpcReceiver) compression() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.compress
}

func (g *grpcReceiver) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	g.mu.Lock()
	i := len(g.requests)
	td := ptrace.NewTraces()
	req.Traces().CopyTo(td)
	g.requests = append(g.requests, td)
	g.md = append(g.md, md)
	g.mu.Unlock()
	if g.answer != nil {
		return g.answer(i)
	}
	return ptraceotlp.NewExportResponse(), nil
}

func startGRPCReceiver(t *testing.T, answer func(i int) (ptraceotlp.ExportResponse, error)) (*grpcReceiver, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &grpcReceiver{answer: answer}
	srv := grpc.NewServer(grpc.StatsHandler(g))
	ptraceotlp.RegisterGRPCServer(srv, g)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return g, ln.Addr().String()
}

func withRetryInfo(t *testing.T, code codes.Code, msg string, delay time.Duration) error {
	st, err := status.New(code, msg).WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

// UNAVAILABLE with RetryInfo: the sender waits the delay given, retries,
// and counts the partial success of the answer; headers travel as
// metadata.
func TestGRPCRetryInfoAndPartialSuccess(t *testing.T) {
	g, addr := startGRPCReceiver(t, func(i int) (ptraceotlp.ExportResponse, error) {
		if i == 0 {
			return ptraceotlp.NewExportResponse(), withRetryInfo(t, codes.Unavailable, "restarting", 1500*time.Millisecond)
		}
		resp := ptraceotlp.NewExportResponse()
		resp.PartialSuccess().SetRejectedSpans(1)
		resp.PartialSuccess().SetErrorMessage("one span too big")
		return resp, nil
	})
	ft := &fakeTime{t: time.Unix(1000, 0)}
	cfg := testConfig(addr, ft)
	cfg.Protocol = GRPC
	cfg.Headers = []Header{{"X-Tenant", "team-a"}}
	st, err := sendAll(t, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{1500 * time.Millisecond}, ft.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	want := Stats{Spans: 4, Sent: 4, Accepted: 3, Refused: 1, Reason: "partial success: one span too big", Requests: 2, Retries: 1, Batches: 1}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if len(g.requests) != 2 || len(spanNames(g.requests[1])) != 4 {
		t.Fatalf("%d requests", len(g.requests))
	}
	if v := g.md[1].Get("x-tenant"); len(v) != 1 || v[0] != "team-a" {
		t.Errorf("metadata %v", g.md[1])
	}
	if got := g.compression(); got != "gzip" {
		t.Errorf("request compression %q, want gzip", got)
	}
}

// RESOURCE_EXHAUSTED is retried only when the server says when (the OTLP
// rule); without RetryInfo it is refused at once. INVALID_ARGUMENT is
// refused; UNIMPLEMENTED stops the run with a hint.
func TestGRPCCodes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		requests int
		refused  int64
		stop     string
	}{
		{"exhausted with retry info", withRetryInfo(t, codes.ResourceExhausted, "slow down", time.Second), 2, 0, ""},
		{"exhausted without", status.Error(codes.ResourceExhausted, "over quota"), 1, 2, ""},
		{"invalid", status.Error(codes.InvalidArgument, "bad"), 1, 2, ""},
		{"unimplemented", status.Error(codes.Unimplemented, "unknown service"), 1, 0, "gRPC Unimplemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := startGRPCReceiver(t, func(i int) (ptraceotlp.ExportResponse, error) {
				if i == 0 {
					return ptraceotlp.NewExportResponse(), tc.err
				}
				return ptraceotlp.NewExportResponse(), nil
			})
			ft := &fakeTime{t: time.Unix(1000, 0)}
			cfg := testConfig(addr, ft)
			cfg.Protocol = GRPC
			st, err := sendAll(t, cfg, 2)
			if st.Requests != tc.requests || st.Refused != tc.refused {
				t.Errorf("stats %+v", st)
			}
			var ee *EndpointError
			if tc.stop == "" {
				if err != nil {
					t.Errorf("error %v", err)
				}
				return
			}
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), tc.stop) || !strings.Contains(ee.Hint, "4317") {
				t.Errorf("error %v (hint %q)", err, ee.Hint)
			}
		})
	}
}
