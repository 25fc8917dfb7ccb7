package send

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// grpcExporter sends through pdata's own OTLP/gRPC client.
type grpcExporter struct {
	conn   *grpc.ClientConn
	client ptraceotlp.GRPCClient
	md     metadata.MD
	opts   []grpc.CallOption
}

func newGRPCExporter(cfg *Config, t Target) (*grpcExporter, error) {
	creds := insecure.NewCredentials()
	if t.TLS {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	conn, err := grpc.NewClient(t.Addr, grpc.WithTransportCredentials(creds), grpc.WithUserAgent(cfg.UserAgent))
	if err != nil {
		return nil, fmt.Errorf("invalid gRPC endpoint %s: %w", t.Addr, err)
	}
	md := metadata.MD{}
	for _, kv := range cfg.Headers {
		md.Append(strings.ToLower(kv.Key), kv.Value)
	}
	e := &grpcExporter{conn: conn, client: ptraceotlp.NewGRPCClient(conn), md: md}
	if cfg.Gzip {
		e.opts = append(e.opts, grpc.UseCompressor(gzip.Name))
	}
	return e, nil
}

func (e *grpcExporter) close() error { return e.conn.Close() }

func (e *grpcExporter) prepare(req ptraceotlp.ExportRequest) (any, error) { return req, nil }

func (e *grpcExporter) attempt(ctx context.Context, payload any) outcome {
	if len(e.md) > 0 {
		ctx = metadata.NewOutgoingContext(ctx, e.md)
	}
	resp, err := e.client.Export(ctx, payload.(ptraceotlp.ExportRequest), e.opts...)
	if err == nil {
		ps := resp.PartialSuccess()
		return outcome{rejected: ps.RejectedSpans(), message: ps.ErrorMessage()}
	}
	st := status.Convert(err)
	out := outcome{err: fmt.Errorf("gRPC %s: %s", st.Code(), st.Message())}
	retryInfo := false
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			retryInfo = true
			out.retryAfter, out.hasRetryAfter = max(ri.GetRetryDelay().AsDuration(), 0), true
		}
	}
	switch st.Code() {
	// Retryable as the OTLP specification lists them; RESOURCE_EXHAUSTED
	// only when the server says when to come back (RetryInfo).
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
		out.retryable = true
	case codes.ResourceExhausted:
		out.retryable = retryInfo
	case codes.Unauthenticated, codes.PermissionDenied, codes.Unimplemented:
		out.fatal = true
	}
	return out
}
