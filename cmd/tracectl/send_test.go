package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
	"tracectl/internal/send"
	"tracectl/internal/spanjson"
)

// sharedSamples holds the real sample files beside the repository, when
// they are there.
const sharedSamples = repoRoot + "/../shared/samples"

// sentSpan is what a round trip must keep of a span.
type sentSpan struct{ Trace, Span, Parent, Name string }

func sentSpansOf(td ptrace.Traces) []sentSpan {
	var out []sentSpan
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				parent := ""
				if !sp.ParentSpanID().IsEmpty() {
					parent = spanjson.SpanID(sp.ParentSpanID()).String()
				}
				out = append(out, sentSpan{spanjson.TraceID(sp.TraceID()).String(), spanjson.SpanID(sp.SpanID()).String(), parent, sp.Name()})
			}
		}
	}
	return out
}

func sortSent(s []sentSpan) []sentSpan {
	slices.SortFunc(s, func(a, b sentSpan) int {
		return strings.Compare(a.Trace+a.Span+a.Parent+a.Name, b.Trace+b.Span+b.Parent+b.Name)
	})
	return s
}

// expectedSpans is what tracectl itself reads in file: every span with its
// ids as the tree gives them (a repeated or missing span id gets its fresh
// id, the one `tracectl spans` shows), less the spans without a trace id,
// which cannot be sent.
func expectedSpans(t *testing.T, file string) (want []sentSpan, unsendable int) {
	t.Helper()
	ins, err := ingest.Inputs([]string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = ingest.Read(context.Background(), ins, ingest.Options{Tree: true}, func(tr *ingest.Trace) error {
		for _, s := range tr.Tree.Spans {
			if s.TraceID().IsZero() {
				unsendable++
				continue
			}
			parent := ""
			if !s.ParentID().IsZero() {
				parent = s.ParentID().String()
			}
			want = append(want, sentSpan{s.TraceID().String(), s.SpanID().String(), parent, s.Name()})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	return sortSent(want), unsendable
}

// roundTripFiles are the inputs of the send round trips: a fixture of
// every format tracectl reads, and the shared samples when present.
func roundTripFiles(t *testing.T) []string {
	var files []string
	for _, pat := range []string{repoRoot + "/testdata/spanjson/*.json*", repoRoot + "/testdata/otlp/*.json", sharedSamples + "/*.json*"} {
		m, _ := filepath.Glob(pat)
		for _, f := range m {
			switch filepath.Base(f) {
			case "bad_json.json", "bad_line.jsonl", "truncated.json", "unknown_shape.json", "empty.json",
				"mlflow-mlflow-export-import__samples_oss_mlflow_bulk_prompts_my-greeting-prompt_v1_prompt.json":
				continue // not traces
			}
			files = append(files, f)
		}
	}
	if _, err := os.Stat(sharedSamples); err != nil {
		t.Logf("%s absent: the round trips use the repository's fixtures only", sharedSamples)
	}
	return files
}

// runSendTest runs `tracectl send` in-process.
func runSendTest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	streams, _, out, errOut := render.Test()
	code = run(context.Background(), append([]string{"send"}, args...), streams)
	return code, out.String(), errOut.String()
}

// readCollected reads what collect --schema otlp wrote with the
// OpenTelemetry Collector's own JSON decoder.
func readCollected(t *testing.T, file string) []sentSpan {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []sentSpan
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		got = append(got, sentSpansOf(td)...)
	}
	return sortSent(got)
}

// Send round trips over OTLP/HTTP (protobuf and JSON) into tracectl
// collect, in-process: every span of every format arrives exactly once,
// with its trace id, span id, parent and name.
func TestSendRoundTripCollect(t *testing.T) {
	for _, proto := range []string{send.HTTPProtobuf, send.HTTPJSON, send.GRPC} {
		for _, file := range roundTripFiles(t) {
			t.Run(proto+"/"+filepath.Base(file), func(t *testing.T) {
				want, unsendable := expectedSpans(t, file)
				out := filepath.Join(t.TempDir(), "out.jsonl")
				opts := &collectOptions{out: out, schema: "otlp", grpc: "127.0.0.1:0"}
				addr, stop := startCollect(t, opts)
				if proto == send.GRPC {
					addr = opts.grpc
				}
				code, _, stderr := runSendTest(t, "--endpoint", "http://"+addr, "--protocol", proto, "--batch", "7", file)
				if err, errOut := stop(); err != nil {
					t.Fatalf("collect: %v\n%s", err, errOut)
				}
				if wantCode := map[bool]int{true: 1, false: 0}[unsendable > 0]; code != wantCode {
					t.Fatalf("exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
				}
				if diff := cmp.Diff(want, readCollected(t, out)); diff != "" {
					t.Errorf("spans (-read +collected):\n%s\nsend stderr:\n%s", diff, stderr)
				}
				if len(want) > 0 && !strings.Contains(stderr, fmt.Sprintf("%d accepted, 0 refused", len(want))) {
					t.Errorf("summary does not say %d accepted:\n%s", len(want), stderr)
				}
			})
		}
	}
}

// grpcSink is an OTLP/gRPC receiver on pdata's own service that keeps
// what it gets.
type grpcSink struct {
	ptraceotlp.UnimplementedGRPCServer
	mu    sync.Mutex
	spans []sentSpan
	reqs  int
}

func (g *grpcSink) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs++
	g.spans = append(g.spans, sentSpansOf(req.Traces())...)
	return ptraceotlp.NewExportResponse(), nil
}

func startGRPCSink(t *testing.T, opts ...grpc.ServerOption) (*grpcSink, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &grpcSink{}
	srv := grpc.NewServer(opts...)
	ptraceotlp.RegisterGRPCServer(srv, g)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return g, ln.Addr().String()
}

// The same round trips over OTLP/gRPC.
func TestSendRoundTripGRPC(t *testing.T) {
	for _, file := range roundTripFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want, unsendable := expectedSpans(t, file)
			g, addr := startGRPCSink(t)
			code, _, stderr := runSendTest(t, "--endpoint", addr, "--protocol", "grpc", "--batch", "5", file)
			if wantCode := map[bool]int{true: 1, false: 0}[unsendable > 0]; code != wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
			}
			g.mu.Lock()
			got := sortSent(g.spans)
			reqs := g.reqs
			g.mu.Unlock()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("spans (-read +received):\n%s", diff)
			}
			if min := (len(want) + 4) / 5; reqs < min {
				t.Errorf("%d requests for %d spans in batches of 5", reqs, len(want))
			}
		})
	}
}

// -o json: the summary as one JSON object on stdout, the counts agreeing
// with the text summary's; spans without trace ids counted as skipped and
// exit 1.
func TestSendJSONSummary(t *testing.T) {
	g, addr := startGRPCSink(t)
	file := repoRoot + "/testdata/spanjson/several_traces.jsonl"
	want, _ := expectedSpans(t, file)
	code, stdout, stderr := runSendTest(t, "--endpoint", addr, "--protocol", "grpc", "-o", "json", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum sendSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	wantSum := sendSummary{Endpoint: addr, Protocol: "grpc", Compression: "gzip", Traces: sum.Traces, Spans: int64(len(want)),
		Sent: int64(len(want)), Accepted: int64(len(want)), Requests: 1, OK: true}
	if diff := cmp.Diff(wantSum, sum); diff != "" || sum.Traces < 2 {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if strings.Contains(stderr, "tracectl: send:") {
		t.Errorf("text summary on stderr with -o json:\n%s", stderr)
	}
	if len(g.spans) != len(want) {
		t.Errorf("%d spans received", len(g.spans))
	}
}

// Usage errors exit 2 and name the flag; an endpoint nobody listens on
// exits 1 and names it.
func TestSendErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	file := repoRoot + "/testdata/otlp/two_traces.json"
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{file}, 2, "send needs --endpoint"},
		{[]string{"--endpoint", "localhost:4318", file}, 2, `--endpoint: invalid endpoint "localhost:4318": want an http:// or https:// URL`},
		{[]string{"--endpoint", "http://x", "--protocol", "thrift", file}, 2, `invalid --protocol "thrift"`},
		{[]string{"--endpoint", "http://x", "--header", "novalue", file}, 2, `invalid --header "novalue": want KEY=VALUE`},
		{[]string{"--endpoint", "http://x", "--header", "bad key=1", file}, 2, `invalid --header "bad key=1"`},
		{[]string{"--endpoint", "http://x", "--batch", "0", file}, 2, "--batch must be positive"},
		{[]string{"--endpoint", "http://x", "--batch-bytes", "lots", file}, 2, "--batch-bytes"},
		{[]string{"--endpoint", "http://x", "--compression", "zstd", file}, 2, `invalid --compression "zstd"`},
		{[]string{"--endpoint", "http://x", "--timeout", "0s", file}, 2, "--timeout must be positive"},
		{[]string{"--endpoint", "http://x", "-o", "jsonl", file}, 2, `invalid --output "jsonl"`},
		{[]string{"--endpoint", "http://" + closed, file}, 1, "http://" + closed + "/v1/traces: cannot reach " + closed},
		{[]string{"--endpoint", closed, "--protocol", "grpc", file}, 1, closed + " (gRPC): cannot reach " + closed},
	} {
		code, _, stderr := runSendTest(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("send %q: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}

// An input that cannot be read is reported, the others are sent, and the
// exit code is 1.
func TestSendFailedInput(t *testing.T) {
	g, addr := startGRPCSink(t)
	good := repoRoot + "/testdata/otlp/two_traces.json"
	want, _ := expectedSpans(t, good)
	code, _, stderr := runSendTest(t, "--endpoint", addr, "--protocol", "grpc", repoRoot+"/testdata/spanjson/bad_json.json", good)
	if code != 1 || !strings.Contains(stderr, "bad_json.json") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if len(g.spans) != len(want) || len(want) == 0 {
		t.Errorf("%d spans received, want %d", len(g.spans), len(want))
	}
}

// The OpenTelemetry environment gives the defaults: the base endpoint gets
// /v1/traces, the traces endpoint is used as given, headers are merged
// with the flags' (a flag wins), percent-encoded values decoded.
func TestSendConfigFromEnv(t *testing.T) {
	env := map[string]string{}
	streams, _, _, _ := render.Test()
	streams.Getenv = func(k string) string { return env[k] }
	opts := &sendOptions{streams: streams, protocol: send.HTTPProtobuf, compression: "gzip", batch: 10, batchBytes: "1MiB", timeout: time.Second, output: "text"}
	given := map[string]bool{}
	opts.changed = func(name string) bool { return given[name] }

	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://mlflow:5000/base/"
	env["OTEL_EXPORTER_OTLP_HEADERS"] = "x-mlflow-experiment-id=7, Authorization=Bearer%20abc"
	env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] = "x-extra=1"
	opts.headers = []string{"X-MLflow-Experiment-Id=42"}
	cfg, err := opts.sendConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "http://mlflow:5000/base/v1/traces" {
		t.Errorf("endpoint %q", cfg.Endpoint)
	}
	wantH := []send.Header{{Key: "Authorization", Value: "Bearer abc"}, {Key: "x-extra", Value: "1"}, {Key: "X-MLflow-Experiment-Id", Value: "42"}}
	if diff := cmp.Diff(wantH, cfg.Headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}

	env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://phoenix:6006"
	env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
	env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/json"
	if cfg, err = opts.sendConfig(); err != nil || cfg.Endpoint != "http://phoenix:6006" || cfg.Protocol != send.HTTPJSON {
		t.Errorf("endpoint %q protocol %q err %v", cfg.Endpoint, cfg.Protocol, err)
	}
	given["endpoint"], opts.endpoint = true, "http://flag:1"
	given["protocol"], opts.protocol = true, "http/protobuf"
	if cfg, err = opts.sendConfig(); err != nil || cfg.Endpoint != "http://flag:1" || cfg.Protocol != send.HTTPProtobuf {
		t.Errorf("flags do not win: endpoint %q protocol %q err %v", cfg.Endpoint, cfg.Protocol, err)
	}
	env["OTEL_EXPORTER_OTLP_HEADERS"] = "broken"
	if _, err = opts.sendConfig(); err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_HEADERS") {
		t.Errorf("bad env headers: %v", err)
	}
}

// A receiver that takes smaller requests than --batch-bytes refuses the
// spans (not retried), and the summary names the flag to lower.
func TestSendTooBigHint(t *testing.T) {
	g, addr := startGRPCSink(t, grpc.MaxRecvMsgSize(200))
	code, _, stderr := runSendTest(t, "--endpoint", addr, "--protocol", "grpc", "--compression", "none", repoRoot+"/testdata/otlp/two_traces.json")
	if code != 1 || !strings.Contains(stderr, "larger than max") || !strings.Contains(stderr, "tracectl: hint: the receiver takes smaller requests: lower --batch-bytes") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "retries)") && !strings.Contains(stderr, "(0 retries)") {
		t.Errorf("retried:\n%s", stderr)
	}
	if len(g.spans) != 0 {
		t.Errorf("%d spans received", len(g.spans))
	}
}
