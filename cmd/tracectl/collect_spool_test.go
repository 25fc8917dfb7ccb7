package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"tracectl/internal/spanjson"
)

// spoolKey names a span: trace id and span id.
type spoolKey struct {
	t spanjson.TraceID
	s spanjson.SpanID
}

// spoolLoad sends export requests from several clients until stopped and
// logs the spans of every request answered 200 (acknowledged). Each
// request carries whole small traces and parts of traces whose other spans
// come in later requests, so that a crash finds traces held incomplete.
type spoolLoad struct {
	mu    sync.Mutex
	acked map[spoolKey]int
	sent  atomic.Int64
}

func (l *spoolLoad) run(ctx context.Context, addr string, client int) {
	rng := rand.New(rand.NewPCG(uint64(client), 7))
	hc := &http.Client{Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	seq := 0
	var pending []spoolKey // spans of traces still open: children of a root sent earlier
	for ctx.Err() == nil {
		td := ptrace.NewTraces()
		ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
		var keys []spoolKey
		add := func(k spoolKey, parent spanjson.SpanID) {
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(pcommon.TraceID(k.t))
			sp.SetSpanID(pcommon.SpanID(k.s))
			if parent != (spanjson.SpanID{}) {
				sp.SetParentSpanID(pcommon.SpanID(parent))
			}
			sp.SetName(fmt.Sprintf("span-%x", k.s))
			now := time.Now()
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
			keys = append(keys, k)
		}
		// The children of traces opened by the previous request.
		for _, k := range pending {
			var root spanjson.SpanID
			binary.BigEndian.PutUint64(root[:], binary.BigEndian.Uint64(k.s[:])&^0xff)
			add(k, root)
		}
		pending = pending[:0]
		for range 1 + rng.IntN(6) {
			seq++
			var tid spanjson.TraceID
			binary.BigEndian.PutUint32(tid[:], uint32(client+1))
			binary.BigEndian.PutUint64(tid[8:], uint64(seq))
			var root spanjson.SpanID
			binary.BigEndian.PutUint64(root[:], uint64(client+1)<<40|uint64(seq)<<8)
			add(spoolKey{tid, root}, spanjson.SpanID{})
			for c := range 1 + rng.IntN(4) {
				child := root
				child[7] = byte(c + 1)
				k := spoolKey{tid, child}
				if rng.IntN(3) == 0 {
					pending = append(pending, k) // sent with the next request
					continue
				}
				add(k, root)
			}
		}
		body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
		if err != nil {
			panic(err)
		}
		l.sent.Add(1)
		resp, err := hc.Post("http://"+addr+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
		if err != nil {
			return // the collector is gone
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			l.mu.Lock()
			for _, k := range keys {
				l.acked[k]++
			}
			l.mu.Unlock()
		}
	}
}

// With --spool, SIGKILL in the middle of a load loses no acknowledged span:
// after a restart, every span a client got 200 for is in the output
// exactly once, and no span is written twice.
func TestCollectProcessSpoolSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, flag := range []string{"--out", "--dir"} {
		t.Run(flag, func(t *testing.T) { testSpoolSIGKILL(t, flag) })
	}
}

func testSpoolSIGKILL(t *testing.T, flag string) {
	dir := t.TempDir()
	out := filepath.Join(dir, "traces.jsonl")
	if flag == "--dir" {
		out = filepath.Join(dir, "traces")
	}
	spool := filepath.Join(dir, "spool")
	args := []string{flag, out, "--spool", spool, "--idle", "300ms", "--trace-timeout", "3s"}
	for round := range 2 {
		p := startCollectProcess(t, args...)
		load := &spoolLoad{acked: make(map[spoolKey]int)}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for c := range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); load.run(ctx, p.addr, round*10+c) }()
		}
		// Kill once traces have been written (so the restart finds spans
		// the output has) and the load goes on (so it finds spans it
		// lacks), however slow the machine.
		time.Sleep(500 * time.Millisecond)
		deadline := time.Now().Add(30 * time.Second)
		for !outputHasTrace(out) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.wait(t)
		cancel()
		wg.Wait()
		if len(load.acked) == 0 {
			t.Fatalf("round %d: no request was acknowledged; stderr:\n%s", round, p.stderr())
		}

		// Restart: the spool is replayed; then stop cleanly.
		p = startCollectProcess(t, args...)
		var requests, spans, already int
		if _, err := fmt.Sscanf(findLine(p.stderr(), "tracectl: spool: replayed "), "tracectl: spool: replayed %d requests left by an earlier run: %d spans, %d of them already written", &requests, &spans, &already); err != nil || already == 0 {
			// The replay must meet spans the output has (written before
			// the kill). That it also meets spans the output lacks depends
			// on where the kill fell; the lost count below says whether
			// they were written.
			t.Fatalf("round %d: replay line: %v (%d requests, %d spans, %d already written); stderr:\n%s", round, err, requests, spans, already, p.stderr())
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t); code != 0 {
			t.Fatalf("round %d: restart exit %d; stderr:\n%s", round, code, p.stderr())
		}
		written := map[spoolKey]int{}
		files := []string{out}
		if flag == "--dir" {
			files, _ = filepath.Glob(filepath.Join(out, "*.json"))
		}
		for _, tr := range readTraces(t, files...) {
			for _, s := range tr.Spans {
				written[spoolKey{s.TraceID(), s.SpanID()}]++
			}
		}
		lost, twice := 0, 0
		for k := range load.acked {
			if written[k] == 0 {
				lost++
			}
		}
		for _, n := range written {
			if n > 1 {
				twice++
			}
		}
		t.Logf("round %d: %d requests sent, %d spans acknowledged, %d spans in the output; replayed %d spans, %d already written", round, load.sent.Load(), len(load.acked), len(written), spans, already)
		if lost > 0 || twice > 0 {
			t.Fatalf("round %d: %d acknowledged spans lost, %d spans written more than once; restart stderr:\n%s", round, lost, twice, p.stderr())
		}
		ents, err := os.ReadDir(spool)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if e.Name() != "lock" {
				t.Errorf("round %d: after a clean stop the spool still holds %s", round, e.Name())
			}
		}
	}
}

// outputHasTrace reports whether the --out file or --dir directory holds a
// written trace.
func outputHasTrace(out string) bool {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		names, _ := filepath.Glob(filepath.Join(out, "*.json"))
		return len(names) > 0
	} else if err == nil {
		return st.Size() > 0
	}
	return false
}

func findLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
