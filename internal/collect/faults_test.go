package collect

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tracectl/internal/spanjson"
	"tracectl/internal/testclock"
)

// colFullDisk is a writeFunc that, while full is set, writes half of what
// it is given and fails with ENOSPC, as a file system that runs out of
// space in the middle of a write does.
type colFullDisk struct{ full atomic.Bool }

func (d *colFullDisk) write(f *os.File, b []byte) (int, error) {
	if !d.full.Load() {
		return f.Write(b)
	}
	n, _ := f.Write(b[:len(b)/2])
	return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

// colLog is an ErrLog the test can read while the collector writes to it.
type colLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *colLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *colLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func colWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// colWholeLines checks that path holds n lines, each a whole trace.
func colWholeLines(t *testing.T, path string, n int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s ends in a partial line: %q", path, data[bytes.LastIndexByte(data, '\n')+1:])
	}
	if got := bytes.Count(data, []byte("\n")); got != n {
		t.Fatalf("%s has %d lines, want %d", path, got, n)
	}
	if n == 0 {
		return
	}
	if got := len(readBack(t, path)); got != n {
		t.Fatalf("%s reads back as %d traces, want %d", path, got, n)
	}
}

// A full disk under --out: the traces that could not be written are kept,
// the file never keeps a partial line, new requests get 503 until writing
// works again, the kept traces are written then, /stats counts only what
// is in the file, and the log says it once.
func TestCollectorFullDiskJSONL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	sink, err := OpenJSONLSink(path, spanjson.SchemaMLflowV3)
	if err != nil {
		t.Fatal(err)
	}
	disk := &colFullDisk{}
	sink.write = disk.write
	clk := testclock.New()
	log := &colLog{}
	c, base := startColCollector(t, CollectorConfig{
		Assembler: AssemblerConfig{Idle: time.Second, Now: clk.Now},
		Tick:      time.Hour, Sink: sink, ErrLog: log,
	})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	url := base + "/v1/traces"
	post := func(spans ...colTestSpan) colResult {
		return colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, spans...)))
	}
	expire := func() { clk.Advance(2 * time.Second); c.ExpireNow() }

	if r := post(colTestSpan{1, 1, 0, "a"}); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	expire()
	colWaitFor(t, "trace 1 written", func() bool { return c.Stats().TracesWritten == 1 })

	disk.full.Store(true)
	if r := post(colTestSpan{2, 2, 0, "b"}, colTestSpan{3, 3, 0, "c"}, colTestSpan{3, 4, 3, "d"}); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	expire()
	colWaitFor(t, "the failed write", func() bool { return c.Stats().TracesUnwritten == 2 })
	colWholeLines(t, path, 1)
	r := post(colTestSpan{5, 5, 0, "e"})
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("while writing fails: status %d, Retry-After %q; want 503 and a Retry-After", r.status, r.header.Get("Retry-After"))
	}
	c.RetryNow() // still full
	colWholeLines(t, path, 1)
	st := c.Stats()
	if st.TracesWritten != 1 || st.SpansWritten != 1 || st.TracesUnwritten != 2 || st.WriteErrors < 2 {
		t.Errorf("stats while full = %+v; want 1 trace and 1 span written, 2 unwritten, >= 2 write errors", st)
	}

	disk.full.Store(false)
	c.RetryNow()
	colWholeLines(t, path, 3)
	if r := post(colTestSpan{5, 5, 0, "e"}); r.status != 200 {
		t.Fatalf("after space was freed: status %d", r.status)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	colWholeLines(t, path, 4)
	st = c.Stats()
	if st.TracesWritten != 4 || st.SpansWritten != 5 || st.TracesUnwritten != 0 || st.TracesLost != 0 {
		t.Errorf("stats at the end = %+v; want 4 traces and 5 spans written, none unwritten or lost", st)
	}
	out := log.String()
	if n := strings.Count(out, "error"); n != 1 || !strings.Contains(out, "no space left on device") || !strings.Contains(out, "works again: 2 kept traces written") {
		t.Errorf("log (want one error line and one recovery line):\n%s", out)
	}
}

// A write that fails when the disk is full and is never retried (the
// process stops) is reported at shutdown and counted as lost.
func TestCollectorShutdownReportsUnwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	sink, err := OpenJSONLSink(path, spanjson.SchemaMLflowV3)
	if err != nil {
		t.Fatal(err)
	}
	disk := &colFullDisk{}
	disk.full.Store(true)
	sink.write = disk.write
	c := NewCollector(CollectorConfig{Sink: sink, Tick: time.Hour})
	c.Start(nil)
	c.asm.Add([]spanjson.Span{colSpan(1, 1, 0)})
	err = c.Shutdown(context.Background())
	if err == nil || !strings.Contains(err.Error(), "1 traces could not be written") {
		t.Errorf("Shutdown = %v, want 1 trace not written", err)
	}
	if st := c.Stats(); st.TracesLost != 1 || st.TracesWritten != 0 {
		t.Errorf("stats = %+v, want 1 lost, 0 written", st)
	}
	colWholeLines(t, path, 0)
}

// A full disk under --dir leaves no file under a trace's name, partial or
// empty, and no temporary file; the trace is written whole later.
func TestDirSinkFullDiskLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenDirSink(dir, spanjson.SchemaMLflowV3)
	if err != nil {
		t.Fatal(err)
	}
	disk := &colFullDisk{}
	s.write = disk.write
	disk.full.Store(true)
	if n, err := s.WriteTraces([]*CollectedTrace{colSinkTrace("")}); n != 0 || err == nil {
		t.Fatalf("WriteTraces on a full disk = %d, %v; want 0 and an error", n, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a failed write left %v", entries)
	}
	disk.full.Store(false)
	if n, err := s.WriteTraces([]*CollectedTrace{colSinkTrace("")}); n != 1 || err != nil {
		t.Fatalf("WriteTraces = %d, %v", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "tr-ab000000000000000000000000000001.json" {
		t.Fatalf("files %v, want the trace's file alone", entries)
	}
	if fi, _ := entries[0].Info(); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	colWholeLines(t, filepath.Join(dir, entries[0].Name()), 1)
}

// A file whose last line a crash or a full disk left partial is cut back to
// its last newline on open, so the next trace is a line of its own.
func TestJSONLSinkCutsPartialLastLine(t *testing.T) {
	for _, tc := range []struct {
		name, old, kept string
		cut             int64
	}{
		{"partial", "{\"a\":1}\n{\"b\":", "{\"a\":1}\n", 5},
		{"whole", "{\"a\":1}\n", "{\"a\":1}\n", 0},
		{"only partial", "{\"b\":[1,2", "", 9},
		{"empty", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.jsonl")
			if err := os.WriteFile(path, []byte(tc.old), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := OpenJSONLSink(path, spanjson.SchemaMLflowV3)
			if err != nil {
				t.Fatal(err)
			}
			if s.CutBytes() != tc.cut {
				t.Errorf("CutBytes = %d, want %d", s.CutBytes(), tc.cut)
			}
			if err := s.WriteTrace(colSinkTrace("")); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			if !strings.HasPrefix(string(data), tc.kept) {
				t.Fatalf("file starts %q, want %q kept", data, tc.kept)
			}
			rest := filepath.Join(t.TempDir(), "rest.jsonl")
			if err := os.WriteFile(rest, data[len(tc.kept):], 0o644); err != nil {
				t.Fatal(err)
			}
			colWholeLines(t, rest, 1)
		})
	}
}

// An exporter's retry that arrives after its trace was written is dropped
// and counted in /stats; a new late span is written as a second record,
// tagged.
func TestCollectorDropsLateRetry(t *testing.T) {
	sink := &colMemSink{}
	clk := testclock.New()
	c, base := startColCollector(t, CollectorConfig{
		Assembler: AssemblerConfig{Idle: time.Second, TraceTimeout: 10 * time.Second, Now: clk.Now},
		Tick:      time.Hour, Sink: sink,
	})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	url := base + "/v1/traces"
	body := colProtoBody(t, colTestSpan{1, 1, 0, "root"}, colTestSpan{1, 2, 1, "child"})
	for _, b := range [][]byte{body, body} {
		if r := colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(b)); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		clk.Advance(time.Second)
		c.ExpireNow()
	}
	if r := colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{1, 3, 2, "late"}))); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	clk.Advance(10 * time.Second)
	c.ExpireNow()
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := colSummarize(sink.all())
	if len(got) != 2 || len(got[0].Spans)+len(got[1].Spans) != 3 {
		t.Fatalf("written %+v; want the trace once and its late span apart", got)
	}
	late := got[0]
	if late.Spans[0] != "late" {
		late = got[1]
	}
	if late.Incomplete != IncompleteLate || len(late.Spans) != 1 {
		t.Errorf("late part %+v, want the late span alone, tagged %q", late, IncompleteLate)
	}
	if st := c.Stats(); st.SpansDuplicate != 2 || st.SpansWritten != 3 || st.TracesWritten != 2 {
		t.Errorf("stats = %+v; want 2 duplicates, 3 spans in 2 traces written", st)
	}
}

// On shutdown the traces held are written at once, and a client that
// trickles its body gets DrainGrace, not the 2 minutes of ReadTimeout.
func TestCollectorShutdownSlowClient(t *testing.T) {
	sink := &colMemSink{}
	const grace = time.Second
	c, base := startColCollector(t, CollectorConfig{Sink: sink, DrainGrace: grace})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	if r := colPost(t, client, base+"/v1/traces", "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{1, 1, 0, "held"}))); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	trickled := make(chan struct{})
	go func() {
		defer close(trickled)
		for {
			if _, err := conn.Write([]byte{0}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	colWaitFor(t, "the slow request to be read", func() bool { return c.Stats().Requests == 2 })

	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- c.Shutdown(context.Background()) }()
	colWaitFor(t, "the held trace to be written", func() bool { return len(sink.all()) == 1 })
	if held := time.Since(start); held >= grace {
		t.Errorf("the held trace was written %v after Shutdown began, not before the grace of %v", held, grace)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) before the grace ended", err)
	default:
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > grace+2*time.Second {
		t.Errorf("Shutdown took %v with a grace of %v", took, grace)
	}
	conn.Close()
	<-trickled
}

// TestCollectorMaxMemory: requests in flight reserve their body and what
// decoding it takes; one that would pass --max-memory gets 503 while
// another is in flight, and is served once it is alone.
func TestCollectorMaxMemory(t *testing.T) {
	sink := &colMemSink{}
	c, base := startColCollector(t, CollectorConfig{MaxMemory: 1000, Sink: sink, Assembler: AssemblerConfig{Idle: time.Hour}})
	url := base + "/v1/traces"
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	slow := colProtoBody(t, colTestSpan{1, 1, 0, "slow"})
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(slow))
	req.Header.Set("Content-Type", "application/x-protobuf")
	done := make(chan int, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// Half the body is sent; the request now holds its reservation.
	if _, err := pw.Write(slow[:len(slow)/2]); err != nil {
		t.Fatal(err)
	}
	colWaitFor(t, "the slow request to reserve memory", func() bool {
		c.mem.mu.Lock()
		defer c.mem.mu.Unlock()
		return c.mem.used > 0
	})
	big := colProtoBody(t, colTestSpan{2, 2, 0, strings.Repeat("x", 1000)})
	r := colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(big))
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the budget with another request in flight: status %d, Retry-After %q; want 503 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	if _, err := pw.Write(slow[len(slow)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if st := <-done; st != 200 {
		t.Fatalf("the slow request, alone over the budget once read: status %d, want 200", st)
	}
	// Alone, the big request passes even though it costs more than the budget.
	if r := colPost(t, client, url, "application/x-protobuf", "", bytes.NewReader(big)); r.status != 200 {
		t.Fatalf("alone: status %d, want 200", r.status)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(sink.all()); got != 2 {
		t.Errorf("%d traces written, want 2", got)
	}
	if c.mem.used != 0 {
		t.Errorf("memory still reserved after shutdown: %d", c.mem.used)
	}
}
