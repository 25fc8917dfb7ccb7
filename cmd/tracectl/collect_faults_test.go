package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tracectl/internal/render"
)

// startCollect runs runCollect in-process with opts (listening on a fresh
// 127.0.0.1 port; on gRPC too when opts.grpc is "127.0.0.1:0", and then
// opts.grpc is set to the address bound) and returns its address and a stop function that ends it
// as a signal would and returns its error and stderr.
func startCollect(t *testing.T, opts *collectOptions) (addr string, stop func() (error, string)) {
	t.Helper()
	streams, _, _, errOut := render.Test()
	if opts.streams != nil {
		streams.Quiet = opts.streams.Quiet
	}
	opts.streams = streams
	opts.listen = "127.0.0.1:0"
	if opts.schema == "" {
		opts.schema = "v3"
	}
	if opts.idle == 0 {
		opts.idle, opts.traceTimeout = time.Hour, time.Hour
	}
	if opts.maxBody == "" {
		opts.maxBody = "1MiB"
	}
	opts.exit = func(code int) { t.Errorf("exit(%d) called", code) }
	addrc := make(chan string, 1)
	opts.ready = func(addr, grpcAddr string) {
		opts.grpc = grpcAddr // the bound address, for tests that ask for gRPC with "127.0.0.1:0"
		addrc <- addr
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runCollect(ctx, opts) }()
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("runCollect: %v; stderr %s", err, errOut)
	}
	return addr, func() (error, string) {
		cancel()
		err := <-done
		return err, errOut.String()
	}
}

// A file a crash left with a partial last line is cut back before the
// first trace is appended, and stderr says so once.
func TestCollectCutsPartialLineOnRestart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "traces.jsonl")
	if err := os.WriteFile(out, []byte("{\"kept\":1}\n{\"info\":{\"trace_id\""), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, stop := startCollect(t, &collectOptions{out: out})
	postExport(t, addr, collectRequest(), false)
	err, errOut := stop()
	if err != nil {
		t.Fatalf("runCollect: %v", err)
	}
	if n := strings.Count(errOut, "cut off its last 19 bytes"); n != 1 {
		t.Errorf("stderr says %d times that 19 bytes were cut, want once:\n%s", n, errOut)
	}
	data, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || lines[0] != `{"kept":1}` {
		t.Fatalf("file has %d lines, first %q; want the whole old line and 2 traces", len(lines), lines[0])
	}
	rest := filepath.Join(t.TempDir(), "rest.jsonl")
	if err := os.WriteFile(rest, []byte(strings.Join(lines[1:], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := len(readTraces(t, rest)); got != 2 {
		t.Errorf("%d traces appended, want 2", got)
	}
}
