package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// TestSpanSelectionKeepsRowsNotTraces feeds many traces to the selection
// `spans --status error` sorts: once their rows are made the traces must be
// garbage (a finalizer on each view counts them), and what stays on the
// heap must be the few matching rows, not the documents: the long error
// messages live in each document's string block, which a row must not keep
// alive by pointing into it.
func TestSpanSelectionKeepsRowsNotTraces(t *testing.T) {
	const traces = 300
	long := strings.Repeat("upstream timed out; ", 10) // past the decoder's interning
	input := func() []byte {
		var data bytes.Buffer
		writeManyTraces(t, &data, traces, 30)
		return bytes.ReplaceAll(data.Bytes(), []byte(`"message":"TimeoutError: upstream timed out"`), []byte(`"message":"`+long+`"`))
	}()
	ins := []ingest.Input{{Name: "many.jsonl", Reader: bytes.NewReader(input)}}
	filter := &spanFilter{statuses: map[spanjson.StatusCode]bool{spanjson.StatusError: true}}

	var sel spanSelection
	var released atomic.Int64
	err := streamTraces(context.Background(), ins, func(spanjson.Warning) {}, nil, func(v *render.TraceView) error {
		runtime.SetFinalizer(v, func(*render.TraceView) { released.Add(1) })
		sel.add(v, filter)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); released.Load() < traces && time.Now().Before(deadline); {
		runtime.GC() // finalizers run after the collection that finds their object
		time.Sleep(10 * time.Millisecond)
	}
	// A finalized view, and all it points to, goes at the next collection.
	withRows := heapAfterGC()
	rows := len(sel.rows)
	first := sel.rows[0]
	sel.rows = nil
	held := int64(withRows) - int64(heapAfterGC())

	if n := released.Load(); n < traces {
		t.Errorf("%d of %d traces are still alive after their rows were made", traces-n, traces)
	}
	if sel.traces != traces || rows == 0 {
		t.Fatalf("selection saw %d traces and kept %d rows", sel.traces, rows)
	}
	if got := first.JSON.Status.Message; got != long {
		t.Fatalf("first row's status message = %q", got)
	}
	// A row takes some 600 bytes; a document's string block alone is 64 KiB.
	if limit := int64(rows) * 2048; held > limit {
		t.Errorf("%d rows of %d traces hold %d bytes of heap, want <= %d (2 KiB a row; the input is %d bytes)", rows, traces, held, limit, len(input))
	}
}

// heapAfterGC is the heap in use once the garbage is collected.
func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestSpansSortNoneKeepsEachTraceTogether: the default order interleaves
// traces by start time; --sort none lists trace by trace, each in tree
// order, and names the same rows.
func TestSpansSortNoneKeepsEachTraceTogether(t *testing.T) {
	in := strings.Join([]string{
		otlpLine(traceA, "00000000000000a2", "00000000000000a1", "a-child", 30, 35),
		otlpLine(traceA, "00000000000000a1", "", "a-root", 10, 40),
		otlpLine(traceB, "00000000000000b1", "", "b-root", 20, 25),
	}, "\n")
	names := func(args ...string) []string {
		t.Helper()
		out, errOut, code := runMain(t, in, append([]string{"spans", "-o", "jsonl"}, args...)...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var row struct{ Name string }
			if err := json.Unmarshal([]byte(l), &row); err != nil {
				t.Fatal(err)
			}
			got = append(got, row.Name)
		}
		return got
	}
	if diff := gocmp.Diff([]string{"a-root", "b-root", "a-child"}, names()); diff != "" {
		t.Errorf("default (start) order (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff([]string{"a-root", "a-child", "b-root"}, names("--sort", "none")); diff != "" {
		t.Errorf("--sort none order (-want +got):\n%s", diff)
	}
}
