package collect

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed exports
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/types/known/durationpb"

	"tracectl/internal/spanjson"
)

// grpcService is the OTLP/gRPC TraceService: pdata's own service
// definition, with the same admission, spool, assembly and limits as
// POST /v1/traces.
type grpcService struct {
	ptraceotlp.UnimplementedGRPCServer
	c *Collector
}

func (c *Collector) newGRPCServer() *grpc.Server {
	s := grpc.NewServer(
		grpc.MaxRecvMsgSize(int(min(c.cfg.MaxBody, 1<<31-1))), // sent and decompressed
		// Exports are large messages: with HTTP/2's default 64 KiB windows a
		// 200 KB export waits on window updates (BenchmarkCollectIngestGRPC:
		// 0.65 of HTTP's throughput with them).
		grpc.InitialWindowSize(4<<20),
		grpc.InitialConnWindowSize(16<<20),
		grpc.StatsHandler(payloadSizes{}),
		// Before a request's message is read: refuse while the memory
		// budget is spent (the message's own cost is reserved once its
		// size is known, in Export).
		grpc.InTapHandle(func(ctx context.Context, _ *tap.Info) (context.Context, error) {
			if c.mem.full() {
				c.requests.Add(1)
				c.rejected(errMemory, "grpc", grpcClient(ctx))
				return ctx, grpcStatus(errMemory)
			}
			return ctx, nil
		}),
	)
	ptraceotlp.RegisterGRPCServer(s, &grpcService{c: c})
	return s
}

// ServeGRPC serves OTLP/gRPC on ln in the background (Start must have been
// called or be called too).
func (c *Collector) ServeGRPC(ln net.Listener) {
	go func() { _ = c.grpc.Serve(ln) }()
}

func (g *grpcService) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	c := g.c
	c.requests.Add(1)
	resp, herr := g.export(ctx, req)
	if herr != nil {
		c.rejected(herr, "grpc", grpcClient(ctx))
		return ptraceotlp.NewExportResponse(), grpcStatus(herr)
	}
	return resp, nil
}

func (g *grpcService) export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, *httpError) {
	c := g.c
	if herr := c.admit(); herr != nil {
		return ptraceotlp.ExportResponse{}, herr
	}
	held := decodeCost * payloadSize(ctx, req)
	if !c.mem.tryAcquire(held, 0) {
		return ptraceotlp.ExportResponse{}, errMemory
	}
	defer c.mem.release(held)
	res := spanjson.SpansFromPdata(req.Traces())
	if herr := c.file(res, wireProto, req.MarshalProto); herr != nil {
		return ptraceotlp.ExportResponse{}, herr
	}
	resp := ptraceotlp.NewExportResponse()
	if res.Rejected > 0 {
		ps := resp.PartialSuccess()
		ps.SetRejectedSpans(int64(res.Rejected))
		ps.SetErrorMessage(fmt.Sprintf("%d spans rejected; first: %s", res.Rejected, res.Reason))
	}
	return resp, nil
}

// payloadSizes records each RPC's message size (decompressed) as gRPC
// received it, for the memory budget: cheaper than measuring the decoded
// request again.
type payloadSizes struct{}

type payloadSizeKey struct{}

func (payloadSizes) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, payloadSizeKey{}, new(atomic.Int64))
}

func (payloadSizes) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InPayload); ok {
		if n, ok := ctx.Value(payloadSizeKey{}).(*atomic.Int64); ok {
			n.Store(int64(in.Length))
		}
	}
}

func (payloadSizes) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (payloadSizes) HandleConn(context.Context, stats.ConnStats)                       {}

// payloadMeasured counts the requests payloadSize had to measure (tests).
var payloadMeasured atomic.Int64

// payloadSize is the size of req as received, measured when the stats
// handler did not see it.
func payloadSize(ctx context.Context, req ptraceotlp.ExportRequest) int64 {
	if n, ok := ctx.Value(payloadSizeKey{}).(*atomic.Int64); ok && n.Load() > 0 {
		return n.Load()
	}
	payloadMeasured.Add(1)
	return int64((&ptrace.ProtoMarshaler{}).TracesSize(req.Traces()))
}

// grpcRetryDelay is the RetryInfo of retryable answers, as Retry-After is
// for HTTP.
const grpcRetryDelay = time.Second

// grpcStatus maps an answer of the HTTP handler onto the gRPC status the
// OTLP specification gives: load is RESOURCE_EXHAUSTED and the collector's
// state UNAVAILABLE, both with RetryInfo (clients retry
// RESOURCE_EXHAUSTED only with it).
func grpcStatus(herr *httpError) error {
	code := codes.Code(rpcCode(herr.code))
	if herr.overload {
		code = codes.ResourceExhausted
	}
	st := status.New(code, herr.msg)
	if herr.code == http.StatusServiceUnavailable {
		if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(grpcRetryDelay)}); err == nil {
			st = d
		}
	}
	return st.Err()
}

func grpcClient(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}
