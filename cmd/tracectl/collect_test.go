package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"tracectl/internal/collect"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"1000000", 1000000, ""},
		{"4MiB", 4 << 20, ""},
		{"4mib", 4 << 20, ""},
		{"4MB", 4000000, ""},
		{"512KiB", 512 << 10, ""},
		{"2k", 2000, ""},
		{"1GiB", 1 << 30, ""},
		{"10B", 10, ""},
		{" 7 MiB ", 7 << 20, ""},
		{"", 0, "want a number of bytes"},
		{"MiB", 0, "want a number of bytes"},
		{"-1", 0, "want a number of bytes"},
		{"0", 0, "must be positive"},
		{"3TB", 0, `unknown unit "TB"`},
		{"1.5MiB", 0, `unknown unit ".5MiB"`},
		{"99999999999GiB", 0, "must be positive and below"},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseSize(%q) = %d, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestCollectUsageErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "o.jsonl")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"collect"}, "give exactly one of --out FILE or --dir DIR"},
		{[]string{"collect", "--out", out, "--dir", dir}, "give exactly one of --out FILE or --dir DIR"},
		{[]string{"collect", "--out", out, "--schema", "v4"}, `invalid --schema "v4": want v3, v2 or otlp`},
		{[]string{"collect", "--out", out, "--max-body", "lots"}, `--max-body: invalid size "lots"`},
		{[]string{"collect", "--out", out, "--idle", "0s"}, "--idle must be positive"},
		{[]string{"collect", "--out", out, "--trace-timeout", "-1s"}, "--trace-timeout must be positive"},
		{[]string{"collect", "--out", out, "--max-traces", "-1"}, "--max-traces must be 0 (no limit) or positive"},
		{[]string{"collect", "--out", out, "--idle", "soon"}, `invalid argument "soon" for --idle: want a duration such as 500ms, 30s or 5m`},
		{[]string{"collect", "--out", out, "extra"}, `unknown command "extra"`},
	}
	for _, tt := range tests {
		streams, _, _, errOut := render.Test()
		code := run(context.Background(), tt.args, streams)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", tt.args, code, exitUsage, errOut)
		}
		if !strings.Contains(errOut.String(), tt.want) || !strings.HasPrefix(errOut.String(), "tracectl: error: ") {
			t.Errorf("%v: stderr %q, want a tracectl error containing %q", tt.args, errOut, tt.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a usage error created the output file")
	}
}

func TestCollectListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	streams, _, _, errOut := render.Test()
	code := run(context.Background(), []string{"collect", "--listen", ln.Addr().String(), "--out", filepath.Join(t.TempDir(), "o.jsonl")}, streams)
	if code != exitError || !strings.Contains(errOut.String(), "cannot listen on "+ln.Addr().String()) || !strings.Contains(errOut.String(), "tracectl: hint: ") {
		t.Errorf("exit %d, stderr %q; want 1, a listen error and a hint", code, errOut)
	}
}

// collectRequest builds an export request: a root and two children of one
// trace, and a lone child of another trace whose root never comes.
func collectRequest() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "cmd-test")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	add := func(trace byte, span, parent byte, name string) {
		s := spans.AppendEmpty()
		s.SetTraceID(pcommon.TraceID{0xaa, 15: trace})
		s.SetSpanID(pcommon.SpanID{0xbb, 7: span})
		if parent != 0 {
			s.SetParentSpanID(pcommon.SpanID{0xbb, 7: parent})
		}
		s.SetName(name)
		s.SetStartTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000 + int64(span)))
		s.SetEndTimestamp(pcommon.Timestamp(1_700_000_001_000_000_000))
		s.Attributes().PutStr("mlflow.spanType", `"CHAIN"`)
		s.Attributes().PutInt("n", int64(span))
	}
	add(1, 2, 1, "child-a")
	add(1, 1, 0, "root")
	add(1, 3, 2, "grandchild")
	add(2, 9, 8, "orphan")
	return td
}

// readTraces decodes every trace in the files with the project's reader.
func readTraces(t *testing.T, files ...string) []spanjson.Trace {
	t.Helper()
	var out []spanjson.Trace
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := spanjson.DecodeAll(fh, f)
		fh.Close()
		if err != nil {
			t.Fatalf("reading %s back: %v", f, err)
		}
		for _, d := range docs {
			out = append(out, d.Traces...)
		}
	}
	slices.SortFunc(out, func(a, b spanjson.Trace) int { return strings.Compare(a.Info.TraceID, b.Info.TraceID) })
	return out
}

type traceView struct {
	ID         string
	State      spanjson.TraceState
	Incomplete string
	Spans      []string // "name span-id parent-id"
}

// viewTraces sums up traces read back. The incomplete marker is a trace tag,
// or in OTLP (no trace record) a resource attribute of the spans.
func viewTraces(traces []spanjson.Trace) []traceView {
	var out []traceView
	for _, tr := range traces {
		v := traceView{ID: tr.Info.TraceID, State: tr.Info.State, Incomplete: tr.Info.Tags[spanjson.TagIncomplete]}
		if len(tr.Spans) > 0 {
			if r := tr.Spans[0].Data().Resource; r != nil {
				if s, ok := r.Attributes.String(spanjson.TagIncomplete); ok {
					v.Incomplete = s
				}
			}
		}
		for _, s := range tr.Spans {
			parent := "-"
			if !s.ParentID().IsZero() {
				parent = s.ParentID().String()
			}
			v.Spans = append(v.Spans, fmt.Sprintf("%s %s %s", s.Name(), s.SpanID(), parent))
		}
		slices.Sort(v.Spans)
		out = append(out, v)
	}
	return out
}

var wantCollected = []traceView{
	{ID: "tr-aa000000000000000000000000000001", State: spanjson.StateOK, Spans: []string{
		"child-a bb00000000000002 bb00000000000001",
		"grandchild bb00000000000003 bb00000000000002",
		"root bb00000000000001 -",
	}},
	{ID: "tr-aa000000000000000000000000000002", State: spanjson.StateError, Incomplete: collect.IncompleteShutdown, Spans: []string{
		"orphan bb00000000000009 bb00000000000008",
	}},
}

func postExport(t *testing.T, addr string, td ptrace.Traces, asJSON bool) {
	t.Helper()
	req := ptraceotlp.NewExportRequestFromTraces(td)
	body, contentType := []byte(nil), "application/x-protobuf"
	var err error
	if asJSON {
		body, err = req.MarshalJSON()
		contentType = "application/json"
	} else {
		body, err = req.MarshalProto()
	}
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Post("http://"+addr+"/v1/traces", contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /v1/traces: %d %s", resp.StatusCode, b)
	}
}

// runCollect in-process for each output form and schema; stopping it (the
// context a signal cancels) writes every trace held, and the output reads
// back to the traces sent.
func TestRunCollectWritesHeldTracesOnStop(t *testing.T) {
	for _, schema := range []string{"v3", "v2", "otlp"} {
		for _, mode := range []string{"out", "dir"} {
			t.Run(schema+"/"+mode, func(t *testing.T) {
				dir := t.TempDir()
				streams, _, _, errOut := render.Test()
				opts := &collectOptions{
					streams: streams, listen: "127.0.0.1:0", schema: schema, idle: time.Hour, traceTimeout: time.Hour,
					maxTraces: 100, maxBody: "1MiB", exit: func(code int) { t.Errorf("exit(%d) called", code) },
				}
				out := filepath.Join(dir, "traces.jsonl")
				if mode == "out" {
					opts.out = out
				} else {
					opts.dir = filepath.Join(dir, "traces")
				}
				addrc := make(chan string, 1)
				opts.ready = func(addr, _ string) { addrc <- addr }
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- runCollect(ctx, opts) }()
				var addr string
				select {
				case addr = <-addrc:
				case err := <-done:
					t.Fatalf("runCollect: %v; stderr %s", err, errOut)
				}
				postExport(t, addr, collectRequest(), schema == "v2")
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("runCollect: %v", err)
				}
				var files []string
				if mode == "out" {
					files = []string{out}
				} else {
					files, _ = filepath.Glob(filepath.Join(opts.dir, "*"))
					var names []string
					for _, f := range files {
						names = append(names, filepath.Base(f))
					}
					if diff := cmp.Diff([]string{"tr-aa000000000000000000000000000001.json", "tr-aa000000000000000000000000000002.json"}, names); diff != "" {
						t.Errorf("files (-want +got):\n%s", diff)
					}
				}
				got := viewTraces(readTraces(t, files...))
				// The incomplete trace reads back as ERROR in every schema:
				// in OTLP from the resource attribute tracectl.incomplete.
				want := slices.Clone(wantCollected)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("written traces (-want +got):\n%s", diff)
				}
				for _, w := range []string{"4 spans received", "2 traces written (1 incomplete", "tracectl: collecting OTLP on http://127.0.0.1:"} {
					if !strings.Contains(errOut.String(), w) {
						t.Errorf("stderr %q lacks %q", errOut, w)
					}
				}
			})
		}
	}
}

var (
	collectBinOnce sync.Once
	collectBin     string
	collectBinErr  error
)

// collectBinary builds tracectl once for the process tests.
func collectBinary(t *testing.T) string {
	t.Helper()
	collectBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tracectl-collect-bin")
		if err != nil {
			collectBinErr = err
			return
		}
		collectBin = filepath.Join(dir, "tracectl")
		if out, err := exec.Command("go", "build", "-o", collectBin, ".").CombinedOutput(); err != nil {
			collectBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if collectBinErr != nil {
		t.Fatal(collectBinErr)
	}
	return collectBin
}

// collectProcess is a running `tracectl collect` and its stderr, read line
// by line.
type collectProcess struct {
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	all   strings.Builder
	addr  string
	// grpcAddr is the gRPC address ("-" when off).
	grpcAddr string
}

func startCollectProcess(t *testing.T, args ...string) *collectProcess {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	base := []string{"collect", "--http", "127.0.0.1:0", "--addr-file", addrFile}
	if !slices.Contains(args, "--grpc") {
		base = append(base, "--grpc", "off") // tests run side by side: no fixed port
	}
	cmd := exec.Command(collectBinary(t), append(base, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &collectProcess{cmd: cmd, lines: make(chan string, 100)}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.all.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	p.waitLine(t, "tracectl: collecting OTLP on")
	b, err := os.ReadFile(addrFile)
	if err != nil {
		t.Fatal(err)
	}
	addrs := strings.Fields(string(b))
	p.addr = addrs[0]
	if len(addrs) > 1 {
		p.grpcAddr = addrs[1]
	}
	return p
}

func (p *collectProcess) waitLine(t *testing.T, prefix string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("stderr ended before a line starting %q:\n%s", prefix, p.stderr())
			}
			if strings.HasPrefix(l, prefix) {
				return
			}
		case <-timeout:
			t.Fatalf("no line starting %q within 30s:\n%s", prefix, p.stderr())
		}
	}
}

func (p *collectProcess) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.all.String()
}

func (p *collectProcess) wait(t *testing.T) int {
	t.Helper()
	for range p.lines {
	}
	err := p.cmd.Wait()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errorsAs(err, &exitErr):
		return exitErr.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// The built binary, stopped with SIGTERM, writes the traces it holds,
// syncs, prints its counters and exits 0.
func TestCollectProcessSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	out := filepath.Join(t.TempDir(), "traces.jsonl")
	p := startCollectProcess(t, "--out", out)
	postExport(t, p.addr, collectRequest(), false)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0; stderr:\n%s", code, p.stderr())
	}
	if diff := cmp.Diff(wantCollected, viewTraces(readTraces(t, out))); diff != "" {
		t.Errorf("written traces (-want +got):\n%s", diff)
	}
	if !strings.Contains(p.stderr(), "4 spans received, 0 rejected, 2 traces written (1 incomplete") {
		t.Errorf("stderr lacks the counters:\n%s", p.stderr())
	}
}

// A second signal during shutdown ends the process at once, exit 1: here
// shutdown waits for a request whose body never finishes.
func TestCollectProcessSecondSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startCollectProcess(t, "--out", filepath.Join(t.TempDir(), "traces.jsonl"))
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\n0123456789")
	time.Sleep(50 * time.Millisecond) // let the server start reading the body
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, "tracectl: stopping")
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != exitError {
		t.Fatalf("exit %d after a second signal, want %d; stderr:\n%s", code, exitError, p.stderr())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s to exit after the second signal", d)
	}
	if !strings.Contains(p.stderr(), "second signal") {
		t.Errorf("stderr does not say why:\n%s", p.stderr())
	}
}
