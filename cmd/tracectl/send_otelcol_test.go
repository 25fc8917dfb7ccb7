package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// The OpenTelemetry Collector the end-to-end test builds from the Go
// module proxy: core components only (the OTLP receiver, the OTLP/HTTP
// exporter), pinned.
const (
	otelcolVersion = "v0.165.0"
	otelcolMain    = `// Command otelcol-e2e is an OpenTelemetry Collector with the core OTLP
// receiver and OTLP/HTTP exporter, built by tracectl's end-to-end test.
package main

import (
	"log"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

func components() (otelcol.Factories, error) {
	f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap(otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	f.Exporters, err = otelcol.MakeFactoryMap(otlphttpexporter.NewFactory())
	return f, err
}

func main() {
	set := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-e2e", Description: "tracectl e2e collector", Version: "e2e"},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
				DefaultScheme:     "file",
			},
		},
	}
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		log.Fatal(err)
	}
}
`
	otelcolConfig = `receivers:
  otlp:
    protocols:
      grpc: { endpoint: %s }
      http: { endpoint: %s }
exporters:
  otlp_http:
    endpoint: %s
    encoding: proto
service:
  telemetry:
    metrics: { level: none }
    logs: { level: warn }
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlp_http]
`
)

// buildOtelcol builds the collector into dir; it skips the test when that
// cannot be done (no network to the module proxy, no go command).
func buildOtelcol(t *testing.T, dir string) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the OpenTelemetry Collector: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module otelcole2e\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(otelcolMain), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	steps := [][]string{
		{"get", "go.opentelemetry.io/collector/otelcol@" + otelcolVersion, "go.opentelemetry.io/collector/receiver/otlpreceiver@" + otelcolVersion,
			"go.opentelemetry.io/collector/exporter/otlphttpexporter@" + otelcolVersion, "go.opentelemetry.io/collector/service@" + otelcolVersion},
		{"mod", "tidy"},
		{"build", "-o", "otelcol-e2e", "."},
	}
	start := time.Now()
	for _, args := range steps {
		cmd := exec.CommandContext(ctx, goCmd, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("cannot build the OpenTelemetry Collector %s (go %s): %v\n%s", otelcolVersion, strings.Join(args, " "), err, tail(out, 2000))
		}
	}
	t.Logf("built the OpenTelemetry Collector %s in %s", otelcolVersion, time.Since(start).Round(time.Second))
	return filepath.Join(dir, "otelcol-e2e")
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpSink is the OTLP/HTTP receiver behind the collector: it keeps every
// span of every request, copies included.
type httpSink struct {
	mu    sync.Mutex
	spans []sentSpan
}

func (h *httpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	req := ptraceotlp.NewExportRequest()
	if err == nil {
		err = req.UnmarshalProto(data)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.spans = append(h.spans, sentSpansOf(req.Traces())...)
	h.mu.Unlock()
	b, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

func (h *httpSink) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.spans)
}

// tracectl send through a real OpenTelemetry Collector, built here from
// the Go module proxy, over each protocol: every span of every fixture
// and sample comes out of the collector's exporter exactly once, with its
// ids, parent and name. Slow (a collector build): run with
// TRACECTL_E2E_OTELCOL=1 (make e2e).
func TestSendThroughOpenTelemetryCollector(t *testing.T) {
	if os.Getenv("TRACECTL_E2E_OTELCOL") == "" {
		t.Skip("set TRACECTL_E2E_OTELCOL=1 (make e2e) to build an OpenTelemetry Collector from the Go module proxy and send through it")
	}
	bin := buildOtelcol(t, t.TempDir())
	files := roundTripFiles(t)
	for _, proto := range []string{"grpc", "http/protobuf", "http/json"} {
		t.Run(proto, func(t *testing.T) {
			sink := &httpSink{}
			srv := httptest.NewServer(sink)
			defer srv.Close()
			grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
			cfgFile := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(cfgFile, fmt.Appendf(nil, otelcolConfig, grpcAddr, httpAddr, srv.URL), 0o644); err != nil {
				t.Fatal(err)
			}
			log := &lockedBuffer{}
			col := exec.Command(bin, "--config", "file:"+cfgFile)
			col.Stdout, col.Stderr = log, log
			if err := col.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- col.Wait() }()
			stopped := false
			stop := func() {
				if stopped {
					return
				}
				stopped = true
				_ = col.Process.Signal(syscall.SIGTERM) // drains its exporter queue
				select {
				case <-exited:
				case <-time.After(30 * time.Second):
					_ = col.Process.Kill()
					<-exited
				}
			}
			defer stop()
			endpoint := "http://" + httpAddr
			if proto == "grpc" {
				endpoint = grpcAddr
			}
			waitListening(t, strings.TrimPrefix(endpoint, "http://"), exited, log)

			var want []sentSpan
			for _, file := range files {
				w, unsendable := expectedSpans(t, file)
				want = append(want, w...)
				code, _, stderr := runSendTest(t, "--endpoint", endpoint, "--protocol", proto, "--batch", "50", file)
				if wantCode := map[bool]int{true: 1, false: 0}[unsendable > 0]; code != wantCode {
					t.Errorf("%s: exit %d, want %d:\n%s", filepath.Base(file), code, wantCode, stderr)
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for sink.count() < len(want) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			stop()
			sink.mu.Lock()
			got := sortSent(sink.spans)
			sink.mu.Unlock()
			if diff := cmp.Diff(sortSent(want), got); diff != "" {
				t.Errorf("spans (-read +out of the collector):\n%s\ncollector log:\n%s", diff, tail(log.bytes(), 4000))
			}
			t.Logf("%s: %d spans of %d files through the collector", proto, len(got), len(files))
		})
	}
}

// waitListening waits until addr accepts connections or the process exits.
func waitListening(t *testing.T, addr string, exited chan error, log *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the collector exited: %v\n%s", err, log.bytes())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the collector does not listen on %s after 30s\n%s", addr, log.bytes())
}

// lockedBuffer is a child process's output, read while it may still write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
